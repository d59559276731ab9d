"""Deciding the tags of a message from lexicon evidence, the classifier and PII patterns.

The `commwatch_signals` component runs last. For each tag the message's direction allows:

- an asserted lexicon match (not negated, not hypothetical) is evidence; the tag is set
  unless the classifier is all but certain it is wrong (`veto`);
- without one, the classifier alone sets the tag at `threshold`, or at `counter_threshold`
  when the only matches for it were negated or hypothetical ("we are not disputing"); its
  evidence is then the sentence the classifier scores highest for the tag;
- some matches count against their tag, as negated ones do: a duplicate charge the customer
  paid twice themselves (`overpaid`), a dispute they call settled ("the credit note came in,
  all good now": `settled`), a deduction they only ask about ("was the 2% already
  deducted?": the `query.applied` billing matches), a "stop" that is a credit stop to lift
  ("take us off stop": `off_stop`), a payment meant once and not made ("we were going to
  pay on the 30th but that's not happening now": `intent_past`), paperwork not received
  ("has not received the GST invoice copy": `paperwork`), tax withheld at source ("we have
  deducted TDS u/s 194C": `withheld_tax`), someone else's insolvency told in passing
  (`third_party`), the court of the customer's own insolvency as legal action
  (`insolvency_court`), and abusive words inside quotation marks (the customer's own,
  quoted back);
- a tag the classifier alone set is dropped when the sentence it points at says otherwise:
  a payment held or only meant once is no promise (`held`, `intent_past`), a stop lifted no
  request to stop contact;
- `pii_exposure` is set by `nlp.pii` findings only (pattern plus checksum);
- `promise_to_pay` also needs a when: a date or time not before the message was sent, or an
  event, schedule or plan (`promise_when` in `data/cues.json`) next to its evidence; "we'll
  pay invoice 30112 as normal" commits to nothing a collector can hold the customer to, and
  neither do "as soon as I can" (`when_able`) or a sentence saying no date can be given
  (`no_date`);
- `billing_query` also needs an ask: a question mark, a request or a discrepancy put to us
  (`query_ask`) next to its evidence; "Total $18,406.75 incl GST" names a billing topic and
  asks nothing;
- `auto_reply` wins alone over an out-of-office reply, an acknowledgement or a bounce: nobody
  wrote it, so nothing in it is a signal. A system notice (an AP portal's "scheduled for
  payment", an invoice rejected for a price variance, a remittance advice) keeps the account
  tags its own words show (`NOTICE_TAGS`): that is the customer's system on the account.
  Courtesy words ("thank you for your email", `COURTESY_RULE`) are weak evidence, and never
  make a reply automatic when the message's own words set another tag.

Every set tag has at least one evidence span, in character offsets into the doc's text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.components import sentence_chars, sentence_spans, sentence_starts, text_of, token_columns
from nlp.cues import CueSet
from nlp.dates import times_in
from nlp.labels import tags_for
from nlp.lexicon import Hit
from nlp.pii import find_pii

CLASSIFIER = "textcat_multilabel"
STRONG = 0.7  # lexicon weight from which a match alone sets its tag
VOICEMAIL_RULE = "auto.voicemail"  # the automatic replies a call can have

for _name in ("direction", "channel", "cw_signals"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@dataclass(frozen=True, slots=True)
class Evidence:
    label: str
    start: int
    end: int
    text: str
    rule: str  # "lexicon:<pattern id>", "classifier", "pii:<kind>"

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Decision:
    labels: list[str]
    scores: dict[str, float]
    evidence: list[Evidence]


@Language.factory(
    "commwatch_signals",
    default_config={
        "threshold": 0.6,
        "counter_threshold": 0.9,
        "veto": 0.01,
        "thresholds": {},
    },
)
def make_signals(
    nlp: Language,
    name: str,
    threshold: float,
    counter_threshold: float,
    veto: float,
    corroborate: float,
    thresholds: dict[str, float],
) -> SignalDecider:
    return SignalDecider(nlp, threshold, counter_threshold, veto, corroborate, thresholds)


class SignalDecider:
    def __init__(
        self,
        nlp: Language,
        threshold: float,
        counter_threshold: float,
        veto: float,
        corroborate: float,
        thresholds: dict[str, float],
    ) -> None:
        self.nlp = nlp
        self.corroborate = corroborate
        self.threshold = threshold
        self.counter_threshold = counter_threshold
        self.veto = veto
        self.thresholds = dict(thresholds)
        self._lexicon_cues: Any = None

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterable[Doc]:
        for doc in docs:
            doc._.cw_signals = self.decide(doc)
            yield doc

    def _classifier_evidence(self, doc: Doc, labels: list[str]) -> dict[str, Evidence]:
        """For tags the classifier set alone: the sentence it scores highest for each."""
        spans = list(sentence_spans(doc))
        if not spans:
            return {}
        if len(spans) == 1:
            best = {label: spans[0] for label in labels}
        else:
            textcat = self.nlp.get_pipe(CLASSIFIER)
            sent_docs = [_sentence(doc, s, e).as_doc() for s, e in spans]
            scores = textcat.model.predict(sent_docs)  # type: ignore[attr-defined]
            names = list(textcat.labels)  # type: ignore[attr-defined]
            best = {}
            for label in labels:
                column = names.index(label)
                row = max(range(len(spans)), key=lambda i: float(scores[i][column]))
                best[label] = spans[row]
        return {
            label: Evidence(label, s, e, text_of(doc)[s:e], "classifier")
            for label, (s, e) in best.items()
        }

    def decide(self, doc: Doc) -> Decision:
        ext = doc._
        allowed = tags_for(ext.direction)
        hits: list[Hit] = ext.cw_hits or []
        if ext.channel == "call" and not any(
                h.asserted and h.rule == VOICEMAIL_RULE for h in hits):
            # A person speaking on a call is never an automatic reply; a voicemail greeting
            # or a phone menu ("please leave a message after the tone", "for accounts press
            # two") is the automatic reply of a call.
            allowed = tuple(t for t in allowed if t != "auto_reply")
        cats = doc.cats or {}
        asserted: dict[str, list[Hit]] = {}
        countered: set[str] = set()
        for hit in hits:
            if hit.label not in allowed:
                continue
            if hit.asserted:
                asserted.setdefault(hit.label, []).append(hit)
            else:
                countered.add(hit.label)

        promised = asserted.get("promise_to_pay")
        if promised:
            # A letter or a certificate sent, or a payment meant once and not made, is
            # counter-evidence, as a negated promise is: the classifier alone then needs
            # `counter_threshold`.
            asserted["promise_to_pay"] = [h for h in promised if not (
                self._sends_other(doc, h) or self._meant_once(doc, h))]
            if len(asserted["promise_to_pay"]) < len(promised):
                countered.add("promise_to_pay")
        disputed = asserted.get("dispute")
        if disputed:
            # The customer's own payment made twice is a refund to ask for, not a bill
            # contested; counter-evidence as above.
            asserted["dispute"] = [
                h for h in disputed
                if not (self._overpaid(doc, h) or self._settled(doc, h)
                        or self._asks_if_taken(doc, h, hits) or self._paper_missing(doc, h)
                        or self._tax_withheld(doc, h))
            ]
            if len(asserted["dispute"]) < len(disputed):
                countered.add("dispute")
        insolvent = [h for h in asserted.get("hardship", []) if h.rule == _INSOLVENCY_RULE]
        if insolvent:
            # Someone else's insolvency told in passing is no difficulty of the customer's.
            elsewhere = [h for h in insolvent if self._someone_else(doc, h)]
            if elsewhere:
                asserted["hardship"] = [h for h in asserted["hardship"] if h not in elsewhere]
                countered.add("hardship")
            if any(h.rule == _INSOLVENCY_RULE for h in asserted["hardship"]) and not asserted.get(
                    "cease_contact"):
                # The court of the customer's own insolvency is no legal action against us (a
                # stay notice telling creditors to stop is, as writers label it).
                legal = asserted.get("legal_escalation", [])
                beyond_court = [h for h in legal if not self._court_only(doc, h)]
                if len(beyond_court) < len(legal):
                    asserted["legal_escalation"] = beyond_court
                    countered.add("legal_escalation")
        abusive = asserted.get("abusive_language")
        if abusive:
            # A collector quoting the customer's own words ("you said, and I'm quoting you,
            # 'go f*** yourselves'") or an agent's text being apologised for: words inside
            # quotation marks are not the writer's; counter-evidence as above.
            quoted = _quoted(text_of(doc))
            asserted["abusive_language"] = [
                h for h in abusive
                if not any(a <= h.start_char and h.end_char <= b for a, b in quoted)]
            if len(asserted["abusive_language"]) < len(abusive):
                countered.add("abusive_language")
        stopped = asserted.get("cease_contact")
        if stopped:
            # "Please take us off stop": a credit stop lifted, not contact stopped.
            asserted["cease_contact"] = [h for h in stopped
                                         if not self._inside_cue(doc, h, "off_stop")]
            if len(asserted["cease_contact"]) < len(stopped):
                countered.add("cease_contact")
        labels: list[str] = []
        scores: dict[str, float] = {}
        evidence: list[Evidence] = []
        by_classifier: list[str] = []
        for label in allowed:
            if label == "pii_exposure":
                findings = find_pii(text_of(doc))
                scores[label] = 0.99 if findings else 0.0
                if findings:
                    labels.append(label)
                    evidence += [
                        Evidence(label, f.start, f.end, f.text, f"pii:{f.kind}") for f in findings
                    ]
                continue
            p = float(cats.get(label, 0.0))
            # A weak phrase ("will be back", "return on") counts only with the classifier
            # leaning the same way; a strong one stands alone.
            own = [
                h for h in asserted.get(label, []) if h.weight >= STRONG or p >= self.corroborate
            ]
            if own and p >= self.veto:
                weight = max(h.weight for h in own)
                scores[label] = round(1 - (1 - weight) * (1 - p), 4)
                labels.append(label)
                evidence += _merge(label, own, text_of(doc))
                continue
            needed = self.thresholds.get(label, self.threshold)
            if label in countered:
                needed = max(needed, self.counter_threshold)
            if p >= needed:
                scores[label] = round(p, 4)
                labels.append(label)
                by_classifier.append(label)
            else:
                # A tag not set never shows a score that would read as set.
                scores[label] = round(min(p, 0.49), 4)
        if by_classifier:
            found = self._classifier_evidence(doc, by_classifier)
            for label in by_classifier:
                if label in found:
                    evidence.append(found[label])
                else:  # no sentence at all (an empty text): nothing to show, so no tag
                    labels.remove(label)
        for label in by_classifier:
            if label in labels and self._says_otherwise(doc, evidence, label):
                labels.remove(label)
                scores[label] = min(scores[label], 0.49)
                evidence = [e for e in evidence if e.label != label]
        for label, holds in (("promise_to_pay", self._says_when), ("billing_query", self._asks)):
            if label in labels and not holds(doc, evidence):
                labels.remove(label)
                scores[label] = min(scores[label], 0.49)
                evidence = [e for e in evidence if e.label != label]
        if "auto_reply" in labels:
            auto_hits = asserted.get("auto_reply", [])
            if _person_wrote(labels, auto_hits, by_classifier):
                labels.remove("auto_reply")
                scores["auto_reply"] = min(scores["auto_reply"], 0.49)
            else:
                kept = _notice_tags(labels, auto_hits, by_classifier)
                for label in labels:
                    if label != "auto_reply" and label not in kept:
                        scores[label] = min(scores[label], 0.49)
                labels = [label for label in labels if label == "auto_reply" or label in kept]
            evidence = [e for e in evidence if e.label in labels]
        evidence.sort(key=lambda e: (e.start, e.end, e.label))
        return Decision(labels, scores, evidence)

    def _says_when(self, doc: Doc, evidence: list[Evidence]) -> bool:
        """Does the promise say when? TAXONOMY: a promise commits to pay at or by a time. A
        date or time (not a past one, nor a date before the message was sent unless a future
        marker says it is to come: "the cheque dated 2 November we sent you"), or a
        `promise_when` cue (an event, a schedule, a plan, "now") in the sentence of a piece of
        its evidence or the one either side of it.

        "We'll pay invoice 30112 as normal", "I'm sending you a letter", "I'll see what I can
        do" and "6% is what we'll pay on this one" say no when, and are no promise."""
        cues = self._cues(doc)
        text = text_of(doc)
        spans = _around(doc, evidence, "promise_to_pay")
        lowered, unsaid = _unsaid_when(doc, cues, _lower_in_place(text))
        when = cues.promise_when
        if when is not None and any(when.search(lowered[a:b]) for a, b in spans):
            return True
        sent = doc._.sent_at.date() if doc._.sent_at is not None else None
        future = cues.future_said
        return any(
            not t.is_past and any(a <= t.start < b for a, b in spans)
            and not any(a <= t.start < b for a, b in unsaid)
            and (sent is None or t.when is None or t.when >= sent or (
                future is not None and any(future.search(lowered[a:b]) for a, b in spans
                                           if a <= t.start < b)))
            for t in times_in(text, sent)
        )

    def _sends_other(self, doc: Doc, hit: Hit) -> bool:
        """Is what a promise's sending verb sends no payment? "They will send you a letter
        of demand next week", "a somasi will be sent to your company this week", "the
        certificate will send by post": a `send_verbs` word whose object (the words right
        after it) or subject (those right before the match) is one of `sent_not_money`, with
        none of `money_words` in it ("we will send the statement and payment on Friday" and
        "will be released once the goods arrive" stand)."""
        cues = self._cues(doc)
        words = _lower(doc)
        verb = next((i for i in range(hit.start, hit.end) if words[i] in cues.send_verbs), None)
        if verb is None:
            return False
        after = _phrase(doc, verb + 1, forward=True)
        if cues.sent_not_money.found_in(after) and not cues.money_words & set(after):
            return True
        if hit.start and words[hit.start - 1] in _PERSONS:
            return False
        before = _phrase(doc, hit.start - 1, forward=False)
        return cues.sent_not_money.found_in(before) and not cues.money_words & set(before)

    def _meant_once(self, doc: Doc, hit: Hit) -> bool:
        """Is a promise match a payment meant once and not made? An `intent_past` phrase
        ending in the match or at most three words before it: "we were going to pay on the
        30th but that's not happening now", "we were gonna pay on the twentieth, but the owner
        wants to hold everything"."""
        phrases = self._cues(doc).intent_past
        if not phrases.phrases:
            return False
        words = _lower(doc)
        return phrases.found_in(words[max(0, hit.start - 3) : min(hit.end, hit.start + 3)])

    def _overpaid(self, doc: Doc, hit: Hit) -> bool:
        """Is a duplicate-charge match about the customer's own double payment? "Looks like
        we paid INV-204950 twice - can you refund the duplicate?", "the duplicate payment of
        R4,500 needs to be refunded": an `overpaid` phrase, or a paying word with "twice" at
        most six words on, in the match's sentence or the one before, and none of
        `charged_words` there ("you charged our card twice, refund the duplicate" is a
        dispute, and so is "invoice 552 is a duplicate of 551, which we paid")."""
        if not hit.rule.startswith("dispute.duplicate"):
            return False
        cues = self._cues(doc)
        lo, hi = _sentences(doc, hit.start, before=1)
        words = _lower(doc)[lo : max(hi, hit.end)]
        if cues.charged_words & set(words):
            return False
        if cues.overpaid.found_in(words):
            return True
        return any(w in _PAYING and "twice" in words[i + 1 : i + 7]
                   for i, w in enumerate(words))

    def _settled(self, doc: Doc, hit: Hit) -> bool:
        """Does the customer say the matter of a dispute match is settled? "The credit note for
        the broken pallets came in this morning, thanks - all good now", "thanks for sorting
        out the short delivery", "thanks for cancelling the duplicate": a `settled` phrase, or
        a credit word with an arrival word, in the match's sentence or the next, and none of
        `open_words` in the match's sentence (or in the next, when that is where it is said):
        "the credit came through but the price is still wrong" and "until the credit has
        come in" stay open."""
        cues = self._cues(doc)
        said = doc.user_data.get(_SETTLED_KEY)
        if said is None:  # once a doc: does anything in it say so at all?
            said = doc.user_data[_SETTLED_KEY] = cues.settled_said is not None and bool(
                cues.settled_said.search(text_of(doc).lower()))
        if not said:
            return False
        every = _lower(doc)
        lo, hi = _sentences(doc, hit.start)
        for _next in range(2):
            if lo >= len(doc):
                break
            words = every[lo : max(hi, hit.end)]
            if cues.open_words & set(words):
                return False
            credited = any(w in cues.credit_words and not (k and words[k - 1] in cues.credit_asked)
                           for k, w in enumerate(words))
            if cues.settled.found_in(words) or (credited and cues.arrived_words & set(words)):
                return True
            lo, hi = _sentences(doc, hi)
        return False

    def _asks_if_taken(self, doc: Doc, hit: Hit, hits: list[Hit]) -> bool:
        """Is a dispute match part of a question whether a credit or discount is already
        taken off? "Was the 2% discount already deducted on INV-4410?", "kindly confirm
        whether TDS should be deducted or already considered": a `query.applied` billing
        match in the same sentence or the one before, and the match's sentence asks ("?" or
        "whether")."""
        applied = [h.start for h in hits if h.rule == "query.applied" and h.asserted]
        if not applied:
            return False
        lo, hi = _sentences(doc, hit.start)
        asked_from = _sentences(doc, hit.start, before=1)[0]
        if not any(asked_from <= start < hi for start in applied):
            return False
        text = doc[lo:hi].text
        return "?" in text or "whether" in text.lower()

    def _tax_withheld(self, doc: Doc, hit: Hit) -> bool:
        """Is a deduction match tax withheld at source ("We have deducted TDS @ 2% u/s 194C on
        your invoice", "We deducted 3% withholding tax")? A `withheld_tax` phrase in its
        sentence and a deducting word in the match."""
        words = _lower(doc)
        if not any(w.startswith(("deduct", "withh")) for w in words[hit.start : hit.end]):
            return False
        lo, hi = _sentences(doc, hit.start)
        return self._cues(doc).withheld_tax.found_in(words[lo : max(hi, hit.end)])

    def _court_only(self, doc: Doc, hit: Hit) -> bool:
        """Is a legal match nothing but a court word ("the Ontario Superior Court of
        Justice", "the Tribunal admitted the petition")? `insolvency_court` phrases only."""
        words = _lower(doc)[hit.start : hit.end]
        return tuple(words) in self._cues(doc).insolvency_court.phrases

    def _someone_else(self, doc: Doc, hit: Hit) -> bool:
        """Is an insolvency match about someone else: a `third_party` phrase in its sentence
        or the one before ("Heads up - Southern Cross Catering went into liquidation")."""
        lo, hi = _sentences(doc, hit.start, before=1)
        return self._cues(doc).third_party.found_in(_lower(doc)[lo : max(hi, hit.end)])

    def _paper_missing(self, doc: Doc, hit: Hit) -> bool:
        """Is a not-received match about paperwork? "Our accounts dept has not received the
        GST invoice copy", "we never received the statement": a `paperwork` word in the
        phrase after it, and no credit ("not received the credit note" is contested)."""
        if not hit.rule.startswith("dispute.not_received"):
            return False
        after = _phrase(doc, hit.end, forward=True)
        # "the goods on this invoice" names goods: the phrase up to its first preposition
        head = next((after[:i] for i, w in enumerate(after) if w in _PREPOSITIONS), after)
        return bool(self._cues(doc).paperwork & set(head)) and "credit" not in after

    def _inside_cue(self, doc: Doc, hit: Hit, cue: str) -> bool:
        """Is a lexicon match part of one of the `cue` phrases ("stop" in "take us off
        stop")? A match beside one ("take us off hold and stop calling") is not."""
        words = _lower(doc)
        found: CueSet = getattr(self._cues(doc), cue)
        for phrase in found.phrases:
            n = len(phrase)
            for i in range(max(0, hit.start - n + 1), min(hit.end, len(words) - n + 1)):
                if tuple(words[i : i + n]) == phrase:
                    return True
        return False

    def _says_otherwise(self, doc: Doc, evidence: list[Evidence], label: str) -> bool:
        """Does the sentence the classifier chose for a tag say it is not that? A promise's
        that holds the payment back ("Payment will be held until the POD is received") or
        tells of a payment meant once ("we were gonna pay it Friday, but the PO got
        cancelled"), a request to stop contact's that asks to lift a credit stop ("please
        take us off stop")."""
        cues = self._cues(doc)
        against = {"promise_to_pay": (cues.held, cues.intent_past),
                   "cease_contact": (cues.off_stop,)}.get(label)
        if against is None:
            return False
        for e in evidence:
            if e.label == label:
                span = doc.char_span(e.start, e.end, alignment_mode="expand")
                words = _lower(doc)[span.start : span.end] if span is not None else []
                if any(cue.found_in(words) for cue in against):
                    return True
        return False

    def _asks(self, doc: Doc, evidence: list[Evidence]) -> bool:
        """Does the billing query ask? TAXONOMY: the customer asks a question or makes a
        request about a bill. A question mark or a `query_ask` cue in the sentence of a piece
        of its evidence or the one either side of it: "Total $18,406.75 incl GST", "thanks
        for the updated statement" and "our terms are net 60" name a billing topic and ask
        nothing."""
        ask = self._cues(doc).query_ask
        text = text_of(doc)
        for a, b in _around(doc, evidence, "billing_query"):
            chunk = text[a:b]
            if "?" in chunk or (ask is not None and ask.search(chunk.lower())):
                return True
        return False

    def _cues(self, doc: Doc) -> Any:
        """The cue words of the doc's languages (English and its own; `nlp.language`)."""
        if self._lexicon_cues is None:
            self._lexicon_cues = self.nlp.get_pipe("commwatch_lexicon")
        return self._lexicon_cues.cues_for(doc)


_PERSONS = frozenset("i we you they he she u".split())
_PAYING = frozenset("paid remitted transferred wired sent".split())
# Words before a noun phrase ("you a", "over the"), and words that end one ("of", "once").
_LEADING = frozenset("you u us them it the a an our your this that these those over across "
                     "back".split())
_PHRASE_END = frozenset("of for on by to with once when after before until till as if "
                        "regarding about via through at in from".split())


def _phrase(doc: Doc, at: int, forward: bool) -> list[str]:
    """The lower-case words of the noun phrase starting at token `at` (forward: "you a
    formal notarized notice" -> ["formal", "notarized", "notice"]) or ending there
    (backward: "the 50 Tawi certificate", "a somasi (formal legal warning)" -> "somasi"):
    at most four words, up to a punctuation mark or a word that ends a phrase."""
    step = 1 if forward else -1
    i = at
    if not forward and 0 <= i < len(doc) and doc[i].text == ")":
        while i >= 0 and doc[i].text != "(":
            i -= 1
        i -= 1
    while forward and i < len(doc) and doc[i].lower_ in _LEADING:
        i += 1
    words: list[str] = []
    while 0 <= i < len(doc) and len(words) < 4:
        token = doc[i]
        if token.is_punct or token.is_space or token.lower_ in _PHRASE_END or (
                not forward and token.lower_ in _LEADING):
            break
        words.append(token.lower_)
        i += step
    return words if forward else words[::-1]


_INSOLVENCY_RULE = "hardship.insolvency"
_PREPOSITIONS = frozenset("on for of in from with under against to at by about".split())
_QUOTED = re.compile(r'"[^"\n]{3,400}"|“[^”\n]{3,400}”|«[^»\n]{3,400}»')


def _quoted(text: str) -> list[tuple[int, int]]:
    """The spans of text inside double quotation marks."""
    return [m.span() for m in _QUOTED.finditer(text)]


def _lower_in_place(text: str) -> str:
    """The text in lower case with every character where it was ("İ" lowers to two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower()[:1] for c in text)


def _unsaid_when(doc: Doc, cues: Any, lowered: str) -> tuple[str, list[tuple[int, int]]]:
    """The lower-cased text with what names no time blanked out, and where that is (times
    there do not count). "I'll pay as soon as I can", "apenas pueda te pago": a `when_able`
    phrase is no "as soon as" of an event. "Apenas pueda te pago, pero hoy no te puedo dar
    una fecha": a sentence with a `no_date` phrase names no time for the promise, whatever
    day it mentions."""
    unsaid: list[tuple[int, int]] = []
    if cues.no_date is not None and cues.no_date.search(lowered):
        bounds = sentence_chars(doc) or [(0, len(lowered))]
        for m in cues.no_date.finditer(lowered):
            unsaid += [(a, b) for a, b in bounds if a <= m.start() < b]
    if cues.when_able is not None:
        unsaid += [m.span() for m in cues.when_able.finditer(lowered)]
    for a, b in unsaid:
        lowered = lowered[:a] + " " * (b - a) + lowered[b:]
    return lowered, unsaid


def _around(doc: Doc, evidence: list[Evidence], label: str) -> list[tuple[int, int]]:
    """Where to look around `label`'s evidence: each sentence holding a piece of it and the
    sentence either side, neighbouring sentences joined into one stretch (character spans)."""
    bounds = sentence_chars(doc) or [(0, len(text_of(doc)))]
    picked: set[int] = set()
    for e in evidence:
        if e.label != label:
            continue
        for i, (s, end) in enumerate(bounds):
            if s < e.end and e.start < end:
                picked.update((i - 1, i, i + 1))
    stretches: list[list[int]] = []
    for i in sorted(i for i in picked if 0 <= i < len(bounds)):
        if stretches and stretches[-1][1] == i - 1:
            stretches[-1][1] = i
        else:
            stretches.append([i, i])
    return [(bounds[a][0], bounds[b][1]) for a, b in stretches]


# What a customer's AP or procurement system reports: "scheduled for payment", "rejected:
# price variance", a remittance advice. These keep their tags beside auto_reply.
NOTICE_TAGS = ("promise_to_pay", "payment_confirmation", "dispute", "billing_query")
# The auto_reply lexicon rule of a message sent by a system ("this is an automated
# notification", "do not reply", "this mailbox is not monitored"). Out-of-office replies
# (auto.ooo), receipt acknowledgements and automatic replies (auto.received) and bounces
# (auto.bounce) say nothing of the account.
_NOTICE_RULE = "auto.notice"


# The auto_reply lexicon rule of the words a person also opens a reply with: "thank you for
# your email", "we have received your message", "nous avons bien reçu votre message". A
# receipt acknowledgement says them too, but says nothing else of the account.
COURTESY_RULE = "auto.courtesy"


def _person_wrote(labels: list[str], auto_hits: list[Hit], by_classifier: list[str]) -> bool:
    """Is a message read as automatic only for its courtesy words a person's reply? It is
    when every auto_reply match is a courtesy phrase and another tag stands on the message's
    own words (lexicon evidence, not the classifier alone): "Thank you for your email. We
    will pay the $3,200 on Friday" is a promise, not an acknowledgement. An out-of-office
    line, a bounce, a ticket number or a promise to answer within two days keeps it
    automatic. PII is no sign of a person: an acknowledgement may repeat a number."""
    return bool(auto_hits) and "auto_reply" not in by_classifier and all(
        hit.rule == COURTESY_RULE for hit in auto_hits) and any(
        label not in ("auto_reply", "pii_exposure") and label not in by_classifier
        for label in labels)


def _notice_tags(labels: list[str], auto_hits: list[Hit],
                 by_classifier: list[str]) -> set[str]:
    """The tags an automatic message keeps: for a system notice, those of `NOTICE_TAGS` its
    own words show (lexicon evidence, not the classifier alone); none when anything marks it
    as an absence, an acknowledgement, a bounce, or only the classifier calls it automatic.

    Read from every auto_reply match, not from the evidence: evidence merges overlapping
    matches under the first one's rule, and "This is an automatic reply" would then be a
    notice ("this is an automatic") rather than a reply ("automatic reply")."""
    if not auto_hits or "auto_reply" in by_classifier or any(
            hit.rule != _NOTICE_RULE for hit in auto_hits):
        return set()
    return {label for label in labels
            if label in NOTICE_TAGS and label not in by_classifier}


def _merge(label: str, hits: list[Hit], text: str) -> list[Evidence]:
    """Overlapping matches of one tag ("we will pay" / "will pay") are one piece of evidence."""
    merged: list[list[Any]] = []
    for hit in sorted(hits, key=lambda h: (h.start_char, -h.end_char)):
        if merged and hit.start_char < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hit.end_char)
            continue
        merged.append([hit.start_char, hit.end_char, hit.rule])
    return [Evidence(label, s, e, text[s:e], f"lexicon:{rule}") for s, e, rule in merged]


def _lower(doc: Doc) -> list[str]:
    """The doc's tokens lower-cased, worked out once a doc (the cue checks read them), from
    the LOWER hashes read with the doc's other columns: making a Token for every word of the
    doc cost more than the checks that read them."""
    kept = doc.user_data.get(_LOWER_KEY)
    if kept is None or len(kept) != len(doc):
        strings = doc.vocab.strings
        kept = doc.user_data[_LOWER_KEY] = [strings[h] for h in token_columns(doc).lowers]
    return kept


_LOWER_KEY = "cw_lower"
_SETTLED_KEY = "cw_settled_said"


def _sentences(doc: Doc, token: int, before: int = 0) -> tuple[int, int]:
    """The token range of the sentence holding `token`, and of `before` sentences before it
    (the whole doc's end when it is the last)."""
    starts = sentence_starts(doc)
    k = bisect_right(starts, token) - 1
    lo = starts[k - before] if k - before >= 0 else 0
    hi = starts[k + 1] if k + 1 < len(starts) else len(doc)
    return lo, hi


def _sentence(doc: Doc, start: int, end: int) -> Span:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:  # "expand" aligns any offsets inside the text; these come from its tokens
        raise ValueError(f"sentence {start}:{end} is outside the text")
    return span
