"""Values behind the tags: what a customer promised to pay and when, which invoices they name,
and why they dispute one.

The tagger says *that* a message carries a promise or a dispute and where its evidence is
(`focus`); this module reads the values out of that text. It is rules on plain `re`
(nlp.amounts, nlp.dates), so it is fast and every value can be traced to a character span.

A promise is read from the sentence that carries it. Customers routinely mix a promise with
a payment already made ("paid half yesterday, the rest on Friday"), a disputed amount ("we
were quoted $2,910 … the rest we'll pay Friday") or an out-of-office line, so each date and
amount is judged by the nearest verb-like cue before it: a past payment ("paid", "was made",
"received our transfer") or a disputed figure ("quote", "charge", "credit note") disqualifies
it, a future one ("will", "can", "going out", "balance") keeps it.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from nlp.amounts import Money, find_amounts, parse_number, words_to_number
from nlp.components import ABBREVIATIONS
from nlp.currency import CurrencyContext
from nlp.dates import (
    COUNTS,
    DATE,
    DAY,
    MONTH_LIST_GAP,
    MONTHS,
    NOW,
    SCANNER,
    VAGUE,
    WORDS,
    Scanner,
    TimeMention,
    add_months,
    times_in,
    words_pattern,
)

Span = tuple[int, int]


@dataclass(frozen=True)
class Instalment:
    amount: float | None
    currency: str | None
    date: date | None

    def to_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency,
                "date": self.date.isoformat() if self.date else None}


@dataclass(frozen=True)
class PromiseValue:
    amount: float | None
    currency: str | None
    date: date | None
    instalments: tuple[Instalment, ...] = ()  # empty unless >1 stated; first == top level
    amount_span: Span | None = None
    date_span: Span | None = None

    def to_json(self) -> dict[str, Any]:
        """The TAXONOMY `promise` object; `instalments` only when more than one was stated."""
        out = Instalment(self.amount, self.currency, self.date).to_json()
        if len(self.instalments) > 1:
            out["instalments"] = [i.to_json() for i in self.instalments]
        return out


@dataclass(frozen=True)
class Ref:
    start: int
    end: int
    text: str


# --- sentences and cues --------------------------------------------------------------------

_ABBREVIATIONS = {
    "no", "nr", "inv", "rs", "approx", "e.g", "i.e", "eg", "ie", "co", "ltd", "inc", "mr", "mrs",
    "ms", "dr", "st", "vs", "ref", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "fr", "sfr", "incl", "excl", "attn", "dept", "tel", "p.o", "a.m", "p.m",
    "num", "pcs", "qty", "ca", "bzw", "est",
    # dotted ones the pipeline's tokens never hold: "$33,180.50 M.N.", "S.A. de C.V."
    "m.n", "s.a", "c.v", "ltda", "hnos", "tys", "tsd", "nro",
    *ABBREVIATIONS,  # the pipeline's sentence splitter's ("Sra. López", "Rechnung Nr. 5")
}
_BREAK = re.compile(r"\n[ \t]*\n\s*|\n|(?<=[.!?])[\"')\]]*\s+")
_DAY_MONTH_END = re.compile(r"(?<![\d.])\d{1,2}\.\d{1,2}\.$")
_DAY_END = re.compile(r"(?<![\d.,])\b\d{1,2}\.$")
_NEXT_WORD = re.compile(r"\w+")


def _goes_on(text: str, at: int) -> bool:
    """Whether the sentence carries on at `at`: a lower-case word or a month's name."""
    word = _NEXT_WORD.match(text, at)
    return word is not None and (word.group(0)[0].islower() or word.group(0).lower() in MONTHS)


def sentences(text: str) -> list[Span]:
    """Sentence spans: paragraphs, lines that end a thought, and [.!?] ends.

    A single newline inside a long line-wrapped paragraph does not end a sentence, so a
    hard-wrapped "we will pay $5,000\\non Friday" stays together.
    """
    spans: list[Span] = []
    start = 0
    for m in _BREAK.finditer(text):
        piece = text[start : m.start()]
        if not piece.strip():
            start = m.end()
            continue
        if m.group(0).strip(" \t") == "\n" and _wrapped(piece):
            continue
        if m.group(0)[:1] not in "\n" and (
            _ends_with_abbreviation(piece)
            # "EUR 3.000 on 31.08. and EUR 2.880 on 30.09.": a date's dot, not a full stop
            or (_DAY_MONTH_END.search(piece) and text[m.end() : m.end() + 1].islower())
            # "am 3. Dezember", "bis zum 15. überweisen wir": a day number's dot
            or (_DAY_END.search(piece) and _goes_on(text, m.end()))
        ):
            continue
        spans.append(_strip(text, start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append(_strip(text, start, len(text)))
    return spans


def _wrapped(piece: str) -> bool:
    last = piece.rsplit("\n", 1)[-1].rstrip()
    return len(last) >= 60 and last[-1:].isalnum()


_WORD_OR_DOT = string.ascii_letters + "."


def _ends_with_abbreviation(piece: str) -> bool:
    r"""Whether `piece` ends in "<letters and dots>." that is an abbreviation or an initial.

    That is `re.search(r"([A-Za-z.]+)\.$", piece.rstrip())`, read from the end: the run of
    letters and dots the piece ends with, less its final dot.
    """
    piece = piece.rstrip()
    if not piece.endswith("."):
        return False
    token = piece[len(piece.rstrip(_WORD_OR_DOT)) : -1].lower()
    return bool(token) and (token in _ABBREVIATIONS or len(token) == 1)


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


FUTURE, PAST, DISPUTED, ALREADY = "future", "past", "disputed", "already"
_CHEQUE_BEFORE = re.compile(
    r"\b(?:cheques?|checks?|chq|pdc)\b(?:[^.!?\n]|\.(?=\d))*$|\bpost[-\s]?$", re.IGNORECASE)
_AUX = (r"(?:will|'ll|’ll|shall|to|be|get|getting|gets|being|can|could|should|would|going|"
        r"gonna|must|may|might)")
_PAST_VERB = (
    r"paid|payed|sent|remitted|transferred|transfered|wired|posted|deposited|processed|"
    # "released" alone is still to come ("will be released Friday"); after "have" it is done
    r"(?:have|has|had|'ve|’ve)\s+(?:(?:just|already|now|today)\s+)?released|"
    r"went(?:\s+out)?|gone\s+out|"
    r"made\s+(?:the|a|our)?\s*(?:(?:part|partial|full|first|second|final)\s+)?(?:payment|transfer)|"
    r"was\s+made|were\s+made|"
    r"been\s+made|done\s+the\s+payment|did\s+(?:it|the\s+payment|the\s+transfer|a\s+transfer)|"
    r"did\s+it\s+online|settled\s+previously|which\s+we\s+settled|already|"
    r"received\s+(?:our|the|your|my)?\s*(?:transfer|payment|remittance|money|funds|cheque)|"
    r"received|delivered|arrived|shipped|ordered|issued|dated|invoiced\s+on|billed\s+on|since|"
    r"spoke|spoken|talked|discussed|called|emailed|wrote|"
    r"was\s+due|were\s+due|fell\s+due|due\s+date|cheque(?!\s+run)|check\s+(?:no|number|#)|"
    r"remittance"
)
# Other languages' past paying verbs (`data/dates.json`, past_verbs): "ho pagato 500 €".
_PAST_VERB_ABROAD = "|".join(re.escape(p).replace(r"\ ", r"\s+")
                             for p in sorted(WORDS.past_verbs, key=len, reverse=True))
_FUTURE_CUE = (
    r"will|'ll|’ll|shall|going\s+to|gonna|can|could|would|intend|expect|plan|propose|"
    r"schedul\w*|arrang\w*|releas\w*|payment\s+run|payment\s+of|pay|paying|payment|send|sending|"
    r"(?<!bank\s)(?<!wire\s)(?<!by\s)(?<!a\s)transfer|remit|settle|clear|cleared|go\s+out|"
    r"goes\s+out|going\s+out|follow|rest|remaining|remainder|balance|instal\w*|then|until|till|"
    r"untill|by(?=\s+(?:the\s+)?(?:\d|end|close|next|this|tomorrow|tmrw|2moro|eom|cob|eod|"
    r"month|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))|"
    r"ok\?|okay\?|do\s+(?=[$£€\d])|other(?=\s+(?:half|[$£€\d]))"
)
_DISPUTE_CUE = (
    r"quote[ds]?|quotation|charges?|charged|overcharged|billed|invoiced|credit(?:\s+note)?|"
    r"refund|deducted|deduct|deduction|penalty|fee|discount|priced?|rate|costs?|worth|"
    r"shortfall|difference|instead\s+of"
)
_CUE = re.compile(
    rf"(?P<past>\b(?:{_PAST_VERB})\b)|(?P<abroad>\b(?:{_PAST_VERB_ABROAD})\b)"
    rf"|(?P<disputed>\b(?:{_DISPUTE_CUE})\b)"
    rf"|(?P<future>(?:\b|(?<=\w))(?:{_FUTURE_CUE})\b)",
    re.IGNORECASE,
)
# Future cues match inside words too ("repay"), so their starts are looked for everywhere: worth
# it only in the sentences whose values need cues, hence a scanner of its own, run on those.
_CUE_SCAN = Scanner().add(_CUE)
# "will be paid", "get it paid", "if we paid next Friday": not a payment already made.
_FUTURE_AUX_BEFORE = re.compile(
    rf"\b{_AUX}\s+(?:\w+\s+){{0,2}}$|\b(?:if|once|when|unless|whether)\s+(?:we|i|you|they)\s+$",
    re.IGNORECASE,
)


_BY_MEANS = re.compile(r"\b(?:by|via|through|per|with)\s+(?:a\s+)?$", re.IGNORECASE)
# "I'll have all of it, $5,327.80, paid by EOM"
_HAVE_IT = re.compile(
    r"\b(?:will|'ll|’ll|ill|gonna|going\s+to)\s+have\b(?:[^.!?\n]|\.(?=\d)){0,50}$",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int
    end: int
    kind: str
    # Another language's past verb reaches only the values of its own clause: "Ho pagato
    # 500 € ieri, il resto lo paghiamo venerdì" pays on Friday, though no future cue says so.
    in_clause: bool = False


def _cues(text: str, span: Span) -> list[_Cue]:
    out = []
    for m in _CUE_SCAN.matches(text, span[0], span[1], original=False):
        kind = m.lastgroup or FUTURE
        if kind == "abroad":
            out.append(_Cue(m.start(), m.end(), PAST, in_clause=True))
            continue
        lead = text[max(span[0], m.start() - 60) : m.start()]
        if kind == PAST and (_FUTURE_AUX_BEFORE.search(lead[-30:]) or _HAVE_IT.search(lead)):
            kind = FUTURE  # "will be paid", "to be sent", "get it paid", "I'll have it all paid"
        elif kind == PAST and m.group(0).lower() == "dated" and _CHEQUE_BEFORE.search(lead):
            kind = FUTURE  # "cheque dated 15th", "post-dated": a post-dated cheque is a promise
        elif kind == PAST and m.group(0).lower() == "cheque" and _BY_MEANS.search(lead):
            continue  # "we will settle … by cheque on 17 December": how, not when
        elif kind == PAST and m.group(0).lower() == "already":
            kind = ALREADY
        out.append(_Cue(m.start(), m.end(), kind))
    return out


# Where a clause turns: a cue before it does not reach the values after it.
_TURN = re.compile(r"\b(?:but|however|though|although)\b|;", re.IGNORECASE)
_STOPS = r"[,;:!?\n]|\.(?!\d)"
_CLAUSE_BREAK = re.compile(rf"{_STOPS}|\band\b", re.IGNORECASE)
_AFTER_BREAK = re.compile(r"\band\b|;|\.(?!\d)", re.IGNORECASE)
# … and "and" or "but" as the other languages say it ("a" is also "to" in three of them).
_CLAUSE_BREAK_ABROAD = re.compile(
    rf"{_STOPS}|\b(?:and|y|e|et|und|i|oraz|pero|mas|mais|aber|ale|però|ma)\b", re.IGNORECASE)


def _context(cues: list[_Cue], start: int, end: int, *, ahead: int,
             text: str | None = None) -> str | None:
    """The kind of the cue nearest before a value, or right after it when that is closer.

    "already" is a past cue, except right after a value a future cue leads to: "scheduled
    for the 12th already" is set up, not paid. A cue before a "but" or "however" does not
    reach past it: "our run has already closed, but I've put INV-12870 ($4,620.00) in the
    first run of the new year".
    """
    before = [c for c in cues if c.end <= start and start - c.end <= 60
              and (text is None or not _TURN.search(text, c.end, start))
              and not (c.in_clause and text is not None
                       and _CLAUSE_BREAK_ABROAD.search(text, c.end, start))]
    # A cue after the value speaks for it only in its own clause: "sent … today and the
    # remaining …" leaves "today" with "sent".
    after = [c for c in cues if c.start >= end and c.start - end <= ahead
             and not (text is not None and _AFTER_BREAK.search(text, end, c.start))]
    best_before = before[-1] if before else None
    best_after = after[0] if after else None
    if best_after and (best_before is None or best_after.start - end < start - best_before.end):
        best = best_after
    elif best_before is not None:
        best = best_before
    else:
        return None
    if best is best_before and best.kind == PAST and text is not None and _CLAUSE_BREAK.search(
            text, best.end, start):
        # "…for goods delivered after that date, and €2,110.00 in respect of INV-IE-30611
        # will be paid to you": the value leads its own clause, whose verb comes after it.
        later = next((c for c in cues if c.start >= end and c.start - end <= 50), None)
        if later is not None and later.kind == FUTURE and not _CLAUSE_BREAK.search(
                text, end, later.start):
            return FUTURE
    if best.kind != ALREADY:
        return best.kind
    led = best is best_after and best_before is not None and best_before.kind == FUTURE
    return FUTURE if led else PAST


_STRONG_PROMISE = re.compile(
    r"\b(?:will|'ll|’ll|shall|going\s+to|gonna|can|could|intend\s+to|expect\s+to|plan\s+to|"
    r"propose\s+to|would\s+like\s+to)\b(?:\s+\w+){0,4}?\s+(?:pay|settle|clear|remit|transfer|"
    r"send|release|process|make|do|get|wire|cover|follow|go\s+out)\b"
    r"|\b(?:will|to)\s+be\s+(?:paid|settled|cleared|released|processed|transferred|sent|"
    r"remitted|wired|made|scheduled)\b|\bgo(?:es|ing)?\s+out\b|\bschedul\w*\b|\bpayment\s+run\b"
    r"|\binstal\w*\b|\b(?:a|per)\s+month\b|\bthe\s+rest\b|\bremaining\b|\bbalance\b|\bpay(?:ing)?\b"
    r"|\bcould\s+we\s+have\s+until\b|\bwhat\s+(?:i|we)\s+can\s+(?:do|manage)\b|\bwill\s+send\b"
    # the present for the future, as many write English: "I transfer by EOD tmr"
    r"|\b(?:i|we)\s+(?:transfer|send|deposit|remit|settle|clear|wire)\b",
    re.IGNORECASE,
)
_CONFIRMATION = re.compile(
    r"\b(?:paid|remitted|transferred|wired|was\s+made|been\s+made|went\s+out|proof\s+of\s+payment|"
    r"remittance\s+(?:advice|attached)|received\s+our\s+(?:transfer|payment))\b",
    re.IGNORECASE,
)
_OUT_OF_OFFICE = re.compile(
    r"\b(?:out\s+of\s+(?:the\s+)?office|o\.?o\.?o\b|on\s+(?:annual\s+|parental\s+|maternity\s+|"
    r"paternity\s+)?leave|on\s+(?:holiday|vacation)|away\s+from\s+(?:my|the)\s+(?:desk|office)|"
    r"limited\s+access|automatic\s+reply|auto[-\s]?reply|closed|shut|holidays|vacation)\b",
    re.IGNORECASE,
)
_RETURN_BEFORE = re.compile(
    r"\b(?:until|till|untill|back|return|returning|from|between|and|through|thru)\b[\s\w,]{0,12}$",
    re.IGNORECASE,
)
_STRONG_PROMISE_SCAN = SCANNER.add(_STRONG_PROMISE)
# "cheque kal dega": a future verb of a language that puts it last (data/dates.json).
_VERB_LAST_SCAN = SCANNER.add(re.compile(words_pattern("verb", WORDS.future_markers),
                                         re.IGNORECASE)) if WORDS.future_markers else None
_CONFIRMATION_SCAN = SCANNER.add(_CONFIRMATION)
_OUT_OF_OFFICE_SCAN = SCANNER.add(_OUT_OF_OFFICE)


# --- promise -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sentence:
    span: Span
    times: tuple[TimeMention, ...]
    amounts: tuple[Money, ...]
    score: float
    promise_cues: int


def extract_promise(
    text: str, sent_at: datetime | None, focus: Sequence[Span] = (),
    currency_hint: str | None = None, thread: str = "", languages: Sequence[str] = (),
) -> PromiseValue | None:
    """The amount, currency and due date a message promises, with instalments when stated.

    Dates resolve against the local calendar date of `sent_at` in its own UTC offset: a
    message sent at 23:30 on 31 March in New York was written on 31 March, whatever UTC says.
    Without `sent_at`, only dates that state their year resolve. `focus` is where the tagger
    found the promise; values there or nearest to it are preferred. An amount in "$", "Rs"
    or no currency at all takes the currency the message, the quoted history it answers
    (`thread`), the customer's account (`currency_hint`) or the sender's UTC offset and
    language (`languages`, nlp.language) show (nlp.currency). Returns None when the text
    states neither an amount nor a time.
    """
    sent = sent_at.date() if sent_at is not None else None
    amounts = find_amounts(text)
    if any(a.shared or a.currency is None for a in amounts):
        context = CurrencyContext(text, sent_at, currency_hint, amounts, thread, languages)
        amounts = context.settle_all(amounts)
    chosen = _choose_sentences(text, sent, focus, amounts)
    if chosen is None:
        return None
    times = [t for s in chosen for t in s.times]
    amounts = [a for s in chosen for a in s.amounts]
    region = (chosen[0].span[0], chosen[-1].span[1])
    amounts += _bare_rest_amounts(text, region, amounts, times)
    amounts.sort(key=lambda a: a.start)
    if not times and not amounts:
        return None
    found = _listed_instalments(text, region, times, amounts) or _monthly_plan(
        text, region, times, amounts)
    if found is None:
        # An amount anchors the date only from a sentence that also holds a time: one
        # borrowed from the next sentence ("… on the 30th instead of the 20th? … anything
        # over $10k") does not.
        timed = [s.span for s in chosen if s.times]
        anchors = [a for a in amounts if any(start <= a.start < end for start, end in timed)]
        found = _single(text, region, times, amounts, anchors)
    return _shared(text, region, found, amounts, times)


def _choose_sentences(
    text: str, sent: date | None, focus: Sequence[Span], all_amounts: list[Money]
) -> list[_Sentence] | None:
    """The sentence most likely to hold the promise, plus any it leans on for a missing part."""
    spans = sentences(text)
    all_times = _moved(text, spans, list(times_in(text, sent)))
    refs = invoice_refs(text) if all_amounts else []  # only amounts are checked against them
    scored = [_score(text, span, all_times, all_amounts, refs, sent, focus) for span in spans]
    candidates = [s for s in scored if s.times or s.amounts]
    if not candidates:
        return None
    best = max(candidates, key=lambda s: (s.score, -s.span[0]))
    i = scored.index(best)
    if i > 0 and (scored[i - 1].times or scored[i - 1].amounts) and _CONTINUATION.match(
        text[best.span[0] : best.span[1]].lower()
    ):
        # "AED 12,000 by Thursday. Rest next month.": the rest follows the first part.
        i -= 1
        best = scored[i]
    chosen = [best]
    follow = i + 1
    while follow < len(scored) and _continues(text, scored[follow]):
        chosen.append(scored[follow])
        follow += 1
    if _schedule_line(text, best):
        # "- € 3,000.00 by 31 October; - € 3,000.00 by 30 November; …": a listed schedule
        # is read whole, whichever of its lines lies nearest the promise's words. A "2." the
        # splitter left as a sentence of its own sits between the lines.
        lines = [k for k, s in enumerate(scored) if not _LIST_MARK.fullmatch(
            text, s.span[0], s.span[1])]
        at = lines.index(i)
        while at > 0 and _schedule_line(text, scored[lines[at - 1]]):
            at -= 1
            chosen.insert(0, scored[lines[at]])
        at = lines.index(follow - 1) if follow - 1 in lines else len(lines)
        while at + 1 < len(lines) and _schedule_line(text, scored[lines[at + 1]]):
            at += 1
            chosen.append(scored[lines[at]])
    # A form's fields are labelled: when the promise is one of them, its other half is the
    # field that names it, and no other field is borrowed ("Order date: …").
    form = _in_form(text, best.span[0])
    for want in ("amounts", "times"):
        if form and not any(getattr(s, want) for s in chosen):
            chosen = _form_field(text, scored, i, chosen, want=want)
        if not any(getattr(s, want) for s in chosen):
            chosen = _borrow(text, scored, i, chosen, want=want, fields=not form)
        if not form and not any(getattr(s, want) for s in chosen):
            chosen = _form_field(text, scored, i, chosen, want=want)
    return chosen


# A day said to be the new one ("it'll be Monday now", "the 30th instead"); a day said before
# ("I said Friday", "I told you last week we'd pay on the 23rd") or taken back ("not today").
_NOW_AFTER = re.compile(r"[\s,]*(?:now|instead)\b", re.IGNORECASE)
_SAID_BEFORE = re.compile(
    r"\b(?:i|we)\s+(?:(?:had\s+)?said|told\s+(?:you|u|ya)|promised(?:\s+you)?)\b", re.IGNORECASE)
_NOT_BEFORE = re.compile(r"\bnot\s+(?:on\s+)?(?:the\s+)?$", re.IGNORECASE)


def _said_new(text: str, times: Sequence[TimeMention]) -> bool:
    """Is one of `times` said to be the new day ("it'll be Monday now")?"""
    return any(_NOW_AFTER.match(text, t.end) for t in times)


def _moved(text: str, spans: list[Span], times: list[TimeMention]) -> list[TimeMention]:
    """The times left once a promise's day is moved. When a day is said to be the new one
    ("I said Friday but it'll be Monday now", "It's going to be the 30th now", "it'll be
    Thursday now, not today"), a day said before it in its sentence (`spans`) after "I said"
    or "I told you" (with no "but" between), or taken back with "not", is the old day, not
    the promise's; and the "now" that marks the new day is no time of its own."""
    said = [(t, m.end()) for t in times if (m := _NOW_AFTER.match(text, t.end))]
    if not said:
        return times
    new, markers = {t for t, _end in said}, {end for _t, end in said}
    starts = [a for a, _b in spans]
    kept = []
    for t in times:
        if t.kind == NOW and t.end in markers:
            continue
        if t not in new:
            k = bisect_right(starts, t.start) - 1
            lead = text[starts[k] if k >= 0 else 0 : t.start]
            if _NOT_BEFORE.search(lead) or any(
                    not _TURN.search(lead, m.end()) for m in _SAID_BEFORE.finditer(lead)):
                continue
        kept.append(t)
    return kept


# A form's field line: "Amount: USD 7,215.00", "Scheduled payment date: 11/24/2026".
_FIELD = re.compile(r"[ \t]*(?P<label>[^\W\d_][\w .&/()#-]{0,40}?)[ \t]*:[ \t]*\S")
# Which of a form's sums is the payment: the payment's own, then a total, then any amount; a
# tax, discount, fee, deduction or credit line is none.
_FIELD_PAYMENT = re.compile(r"(?i)\b(?:payment|paid|pay|net|remit\w*|transfer\w*|disburse\w*)\b")
_FIELD_TOTAL = re.compile(r"(?i)\btotal\b")
_FIELD_SUM = re.compile(r"(?i)\b(?:amount|amt|sum|value)\b")
_FIELD_NOT_PAID = re.compile(
    r"(?i)\b(?:tax|vat|gst|hst|discount|deduct\w*|fees?|charges?|credit|withh\w*|retention|"
    r"balance|outstanding|overdue|limit)\b")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_FIELD_DATE = re.compile(r"(?i)\b(?:date|due|scheduled|value\s+date|payment\s+on|pay\s+on)\b")
# Which of a form's dates is the payment's: one that names it ("Payment date", "Scheduled",
# "Value date"), then a plain date or due date; a date of the paper or the goods ("Invoice
# date", "Order date", "Delivery date") is none.
_FIELD_WHEN = re.compile(r"(?i)\b(?:scheduled|value\s+date)\b")
_FIELD_PAPER = re.compile(
    r"(?i)\b(?:invoice|inv|order|po|document|doc|issued?|delivery|delivered|ship\w*|dispatch\w*|"
    r"posting|posted|statement|created|received|receipt|entry|period)\b")


def _in_form(text: str, at: int) -> bool:
    """Is the line at `at` a field of a form: a "Label: value" line with another right
    before or after it?"""
    start = text.rfind("\n", 0, at) + 1
    if _FIELD.match(text, start) is None:
        return False
    end = text.find("\n", at)
    before = text.rfind("\n", 0, max(start - 1, 0)) + 1
    return (start > 0 and _FIELD.match(text, before, start - 1) is not None) or (
        end >= 0 and _FIELD.match(text, end + 1) is not None)


def _form_field(
    text: str, scored: list[_Sentence], i: int, chosen: list[_Sentence], want: str
) -> list[_Sentence]:
    """A form states the promise's other half in a field of its own. "Amount: USD 7,215.00"
    and "Scheduled payment date: 11/24/2026" in an AP portal's notice are one promise when
    the promise's sentence is a field of the same form (no blank line between them). The
    field for a sum is the payment's ("Net payment", "Amount to be paid"), else a total,
    else an amount; a tax, discount, fee or balance field gives none."""
    best = scored[i]
    if _FIELD.match(text, text.rfind("\n", 0, best.span[0]) + 1) is None:
        return chosen
    picked: tuple[int, int, _Sentence] | None = None
    for j, s in enumerate(scored):
        if j == i or s in chosen or not (s.amounts if want == "amounts" else s.times):
            continue
        a, b = sorted((s.span[0], best.span[0]))
        if _BLANK_LINE.search(text, a, b):
            continue  # another block
        line_start = text.rfind("\n", 0, s.span[0]) + 1
        field = _FIELD.match(text, line_start)
        if field is None or field.end("label") > s.span[1]:
            continue
        label = field.group("label")
        if want == "times":
            rank = (0 if not _FIELD_DATE.search(label)
                    else 2 if _FIELD_PAYMENT.search(label) or _FIELD_WHEN.search(label)
                    else 0 if _FIELD_PAPER.search(label) else 1)
        elif _FIELD_NOT_PAID.search(label):
            rank = 0
        else:
            rank = (3 if _FIELD_PAYMENT.search(label) else 2 if _FIELD_TOTAL.search(label)
                    else 1 if _FIELD_SUM.search(label) else 0)
        if rank and (picked is None or rank > picked[0]):
            picked = (rank, -abs(j - i), s)
    if picked is None:
        return chosen
    return sorted([*chosen, picked[2]], key=lambda s: s.span[0])


# What starts a list item: "- ", "• ", "1. ", "2) ", "a) "; a line led by one, and a sentence
# that is nothing else.
_BULLET = r"(?:[-–—•*·▪►]|\(?\d{1,2}[.)]|[a-z]\))"
_LIST_ITEM = re.compile(rf"[ \t]*{_BULLET}[ \t]+")
_LIST_MARK = re.compile(rf"\s*{_BULLET}\s*")


def _schedule_line(text: str, s: _Sentence) -> bool:
    """A list item that states both a sum and a time: one line of a payment schedule."""
    if not (s.times and s.amounts):
        return False
    line_start = text.rfind("\n", 0, s.span[0]) + 1
    item = _LIST_ITEM.match(text, line_start)
    # The sentence is the item itself, whether or not the splitter kept its bullet.
    return item is not None and (
        s.span[0] <= item.end() or not text[item.end() : s.span[0]].strip())


def _continues(text: str, s: _Sentence) -> bool:
    """A follow-on sentence of the same plan: "…on Friday. The rest (£2k) on the 30th." """
    if not s.times:
        return False
    return _CONTINUATION.match(text[s.span[0] : s.span[1]].lower()) is not None


_CONTINUATION = re.compile(
    r"(?:and\s+)?(?:then\s+)?(?:the\s+)?(?:rest|remaining|remainder|balance|second|final)\b"
)


def _borrow(
    text: str, scored: list[_Sentence], i: int, chosen: list[_Sentence], want: str,
    fields: bool = True,
) -> list[_Sentence]:
    """Take the missing amount or date from a neighbouring sentence that is also a promise.

    A promise that announces its terms ("we propose to pay in three instalments:", "will be
    released in 2 tranches.") takes its dates from the sentence or list lines right after it,
    amounts and all.
    """
    after = i + 1
    # A call's "Yeah." or "Grand." between the date and the sum does not part them.
    while (after < len(scored) - 1 and not (scored[after].times or scored[after].amounts)
           and len(_FILLER_SENTENCE.findall(text, *scored[after].span)) <= 2
           and scored[after].span[1] - scored[after].span[0] <= 12):
        after += 1
    if want == "amounts":
        whole = _whole_sum_after(text, scored, after, chosen)
        if whole is not None:
            return [*chosen, whole]
    for j in (i - 1, after):
        if not 0 <= j < len(scored) or scored[j] in chosen:
            continue
        neighbour = scored[j]
        if not fields and _FIELD.match(text, text.rfind("\n", 0, neighbour.span[0]) + 1):
            continue  # a form's field is taken by what it is called (`_form_field`)
        if (j == i - 1 and want == "amounts" and neighbour.amounts and not neighbour.times
                and _BACK_REFERENCE.match(text, chosen[0].span[0])):
            # "We have approved $9,450.00 for payment… It will be in the Friday run."
            return [neighbour, *chosen]
        has = bool(neighbour.amounts) if want == "amounts" else bool(neighbour.times)
        lacks_other = not (neighbour.times if want == "amounts" else neighbour.amounts)
        if has and lacks_other and neighbour.promise_cues:
            return sorted([*chosen, neighbour], key=lambda s: s.span[0])
        if (has and lacks_other and want == "amounts" and j == after and chosen[-1].promise_cues
                and "\n\n" not in text[chosen[-1].span[1] : neighbour.span[0]]
                and not all(_THRESHOLD_BEFORE.search(text, max(0, a.start - 20), a.start)
                            for a in neighbour.amounts)):
            return [*chosen, neighbour]  # "I send by Friday. SGD 1,800 first."
        if (has and want == "times" and j == after and neighbour.amounts
                and neighbour.promise_cues and not chosen[-1].promise_cues):
            # "…a payment plan for the £11,900 we owe. Could we do £1,500 a month from the
            # end of March?": the plan is the sentence after the one that announces it.
            return [neighbour]
        if has and want == "amounts" and j == after and _said_new(text, chosen[-1].times) and (
                lacks_other or {t.when for t in neighbour.times} <= {
                    t.when for t in chosen[-1].times}) and not all(
                _THRESHOLD_BEFORE.search(text, max(0, a.start - 20), a.start)
                for a in neighbour.amounts):
            # "It's going to be the 30th now. The full €8,420 will go then.": the sum of a
            # moved day follows it, alone or with the same day.
            return [*chosen, neighbour]
        if has and lacks_other and want == "times" and j == i - 1 and _said_new(
                text, neighbour.times):
            # "It'll be Thursday now, not today. Same amount, the eight sixty-five."
            return [neighbour, *chosen]
        if has and want == "times" and j == after and chosen[-1].promise_cues:
            terms = [neighbour]
            while j + 1 < len(scored) and scored[j + 1].times and scored[j + 1].amounts:
                j += 1
                terms.append(scored[j])
            return [*chosen, *terms]
    return chosen


def _whole_sum_after(
    text: str, scored: list[_Sentence], after: int, chosen: list[_Sentence]
) -> _Sentence | None:
    """The sentence right after a dated promise that names the sum as the whole of it, or
    restates the same day with the sum: "…payment will go Friday arvo. Full $4,995.", "I said
    I'd pay Friday and I will. You'll have the $2,475 by Friday." One sentence with neither a
    sum nor a day may stand between ("can we pay on the 20th? that's when our deposit comes
    in. it'd be the whole $2,310")."""
    days = {t.when for t in chosen[-1].times}
    if not days:
        return None
    for j in (after, after + 1):
        if j >= len(scored) or scored[j] in chosen:
            return None
        neighbour = scored[j]
        if neighbour.amounts:
            if any(_THRESHOLD_BEFORE.search(text, max(0, a.start - 20), a.start)
                   for a in neighbour.amounts):
                return None
            if neighbour.times and {t.when for t in neighbour.times} <= days:
                return neighbour
            if not neighbour.times and any(_WHOLE_SUM.search(text, max(0, a.start - 30), a.start)
                                           for a in neighbour.amounts):
                return neighbour
            return None
        if neighbour.times or "\n\n" in text[chosen[-1].span[1] : neighbour.span[1]]:
            return None
    return None


# "the full six hundred and eighty", "Full $4,995", "the whole lot, eleven thousand two hundred"
_WHOLE_SUM = re.compile(
    r"\b(?:(?:full|whole|entire|total|all)(?:\s+(?:lot|amount|balance|sum|thing|of\s+it))?"
    r"|(?:(?<=[.!?]\s)|(?<=\n))amount)"
    r"[\s,:]*(?:(?:of\s+)?(?:the\s+)?(?:ah|uh|um|er)?[\s,]*)?$", re.IGNORECASE)


_FILLER_SENTENCE = re.compile(r"\w+")
# A sentence that starts by pointing back at the one before: "It will go in Friday's run."
_BACK_REFERENCE = re.compile(r"(?:(?:it|that|this|which)(?:'ll|’ll|\s+(?:will|shall|is|'s|goes|"
                             r"should|would))|(?:they|these|those)(?:'ll|’ll|\s+(?:will|shall|"
                             r"are|go|should|would)))\b", re.IGNORECASE)


# "anything above £5,000" is a limit, not a sum anyone pays.
_THRESHOLD_BEFORE = re.compile(
    r"\b(?:above|over|under|below|exceeding|more\s+than|less\s+than|up\s+to|at\s+least|"
    r"limit\s+of)\s*$", re.IGNORECASE)


class _Context:
    """Cues and out-of-office state of one sentence, worked out only if a value asks."""

    __slots__ = ("text", "span", "_cues", "_out_of_office")

    def __init__(self, text: str, span: Span) -> None:
        self.text, self.span = text, span
        self._cues: list[_Cue] | None = None
        self._out_of_office: bool | None = None

    @property
    def cues(self) -> list[_Cue]:
        if self._cues is None:
            self._cues = _cues(self.text, self.span)
        return self._cues

    @property
    def out_of_office(self) -> bool:
        if self._out_of_office is None:
            self._out_of_office = _OUT_OF_OFFICE_SCAN.search(
                self.text, *self.span, sliced=True, original=False) is not None
        return self._out_of_office


_NOTHING = ((), (), 0.0, 0)


def _score(
    text: str,
    span: Span,
    all_times: list[TimeMention],
    all_amounts: list[Money],
    refs: list[Ref],
    sent: date | None,
    focus: Sequence[Span],
) -> _Sentence:
    start, end = span
    context = _Context(text, span)
    times = tuple(
        t for t in all_times if start <= t.start < end and _usable_time(text, t, context, sent)
    )
    amounts = tuple(
        a for a in all_amounts if start <= a.start < end and _usable_amount(a, context, refs)
    )
    if not times and not amounts:
        # Never a candidate, and neither chosen nor borrowed from: its score is never read.
        return _Sentence(span, *_NOTHING)
    out_of_office = context.out_of_office
    promise = len(_STRONG_PROMISE_SCAN.matches(text, start, end, sliced=True, original=False))
    if _VERB_LAST_SCAN is not None:
        promise += len(_VERB_LAST_SCAN.matches(text, start, end, sliced=True, original=False))
    firm = any(not a.spoken for a in amounts)
    score = 4.0 * bool(times) + 2.0 * firm + 3.0 * min(promise, 2)
    if not promise and _CONFIRMATION_SCAN.search(text, start, end, sliced=True, original=False):
        score -= 4
    if out_of_office:
        score -= 6
    if times and all(t.kind == NOW for t in times) and not amounts:
        score -= 3  # "we are now in administration" is not when anyone pays
    if focus:
        score += 10.0 if any(f[0] < span[1] and span[0] < f[1] for f in focus) else -min(
            min(abs(f[0] - span[1]), abs(span[0] - f[1])) for f in focus) / 200
    return _Sentence(span, times, amounts, score, promise)


def _usable_time(text: str, t: TimeMention, context: _Context, sent: date | None) -> bool:
    if t.is_past or (t.when is not None and sent is not None and t.when < sent):
        return False
    if context.out_of_office and _RETURN_BEFORE.search(text[max(0, t.start - 30) : t.start]):
        return False  # "out of the office until Monday" is a return date
    if _VERB_LAST_SCAN is not None and _VERB_LAST_SCAN.search(
            text, t.end, min(context.span[1], t.end + 24), original=False):
        return True  # "cheque kal dega": the verb after the time says it is to come
    return _context(context.cues, t.start, t.end, ahead=12, text=text) != PAST


def _usable_amount(a: Money, context: _Context, refs: list[Ref]) -> bool:
    if any(r.start <= a.start < r.end for r in refs):
        return False
    if _OF_A_WHOLE.search(context.text, max(0, a.start - 40), a.start):
        return False  # "$4,000 of the $9,812 balance": the whole, not what is paid
    return _context(context.cues, a.start, a.end, ahead=10, text=context.text) not in (
        PAST, DISPUTED)


# A sum right after another and "of the": "we can pay $4,000.00 of the $9,812.00 balance",
# "2k out of the 7,500".
_OF_A_WHOLE = re.compile(
    r"\d(?:\s?(?:k|m|grand|thousand|lakh))?\s+(?:out\s+)?of\s+"
    r"(?:(?:the|your|our|my|this|that)\s+)?(?:(?:total|full|whole|outstanding)\s+)?$",
    re.IGNORECASE)
_REST = re.compile(
    r"\b(?:the\s+)?(?:rest|remaining|remainder|balance|other\s+half|second\s+half)\b"
    # the rest in the languages read (nlp.language): "el resto", "o restante", "le reste",
    # "den Rest", "il rimanente", "resztę", "la otra mitad", "die andere Hälfte"
    r"|\b(?:resto|restante|reste|restbetrag|rimanente|reszt[aęey]|pozostał[aąe]\w*"
    r"|(?:otra|outra|autre|andere|altra)\s+(?:mitad|metade|moitié|hälfte|metà)"
    r"|drug[aą]\s+połow[aęy])\b",
    re.IGNORECASE,
)
_BARE_REST = re.compile(
    r"\b(?:rest|remaining|remainder|balance)\s*(?:of\s+)?\(?\s*"
    r"(?P<num>\d{1,3}(?:[,. ]\d{3})+(?:[.,]\d\d)?|\d{3,7}(?:\.\d\d)?)(?![\d/])",
    re.IGNORECASE,
)
_REST_SCAN = SCANNER.add(_REST)
_BARE_REST_SCAN = SCANNER.add(_BARE_REST)


def _bare_rest_amounts(
    text: str, region: Span, amounts: list[Money], times: list[TimeMention]
) -> list[Money]:
    """ "$500 Friday, balance 700 on the 30th": a bare number after "balance" in a sentence
    that already names a currency is the second instalment in that currency."""
    currencies = {a.currency for a in amounts if a.currency}
    if len(currencies) != 1:
        return []
    extra = []
    for m in _BARE_REST_SCAN.matches(text, region[0], region[1]):
        start, end = m.span("num")
        if any(a.start <= start < a.end for a in amounts) or any(
            t.start <= start < t.end for t in times
        ):
            continue
        value = parse_number(m.group("num"))
        if value:
            extra.append(Money(start, end, value, next(iter(currencies))))
    return extra


# Typed in a hurry: "a monht for 3 montsh".
_MONTHISH = r"(?:mon\w*|mth\w*|mnth\w*)"
_WEEKISH = r"(?:week\w*|wk\w*|wee\w*)"
_N = rf"(?:\d{{1,2}}|{'|'.join(w for w in COUNTS if w not in ('a', 'an'))})"
_PLAN = re.compile(
    rf"\b(?P<n>{_N})\s+(?:equal\s+)?(?:(?P<freq>monthly|weekly|fortnightly|bi-?weekly|quarterly)\s+)?"
    r"(?:instal?l?ments?|payments|parts|tranches)\b"
    rf"|\b(?:a|per|each|every)\s+(?P<per>{_MONTHISH}|{_WEEKISH}|fortnight|quarter)\s+(?:for|over)\s+"
    rf"(?:the\s+next\s+)?(?P<n2>{_N})\s+(?:{_MONTHISH}|{_WEEKISH}|fortnights?|quarters?)\b"
    rf"|\b(?P<freq3>monthly|weekly)\s+(?:for|over)\s+(?:the\s+next\s+)?(?P<n3>{_N})\s+"
    rf"(?:{_MONTHISH}|{_WEEKISH})\b",
    re.IGNORECASE,
)
_PLAN_SCAN = SCANNER.add(_PLAN)
_PER_INSTALMENT = re.compile(
    r"(?:instal?l?ments?|payments|parts|tranches)\s+of\s+$|^\s*(?:a|per|each|every)\s+"
    r"(?:month|week|fortnight|quarter)\b|^\s*(?:monthly|weekly)\b",
    re.IGNORECASE,
)


def _monthly_plan(
    text: str, region: Span, times: list[TimeMention], amounts: list[Money]
) -> PromiseValue | None:
    """ "Four monthly instalments of €5,650, the first by Thursday", "$250 a month for 3
    months starting next Wednesday": a schedule at a fixed interval from its first date."""
    m = _PLAN_SCAN.search(text, region[0], region[1])
    if m is None:
        return None
    raw = (m.group("n") or m.group("n2") or m.group("n3") or "").lower()
    n = int(raw) if raw.isdigit() else COUNTS.get(raw, 0)
    if not 2 <= n <= 60:
        return None
    freq = (m.group("freq") or m.group("per") or m.group("freq3") or "month").lower()
    freq = "week" if freq.startswith(("wk", "wee")) else freq
    amount = _nearest(amounts, m.start(), m.end())
    value = amount.amount if amount else None
    if amount is not None and not _is_per_instalment(text, amount, m, n, amounts):
        value = round(amount.amount / n, 2)
    # "…starting 1 April" usually follows the plan; "From Friday, £200 a month for…" leads it.
    first = next((t for t in times if t.start >= m.start()), times[0] if times else None)
    start = first.when if first is not None and first.kind != VAGUE else None
    currency = amount.currency if amount else None
    dates: list[date | None] = [_step(start, freq, k) if start else None for k in range(n)]
    said: list[date | None] = [t.when for t in times
                               if t.start >= m.start() and t.kind != VAGUE and t.when]
    if len(said) == n:  # "in two equal parts on 10th October and 25th October": those days
        dates = said
    schedule = tuple(Instalment(value, currency, day) for day in dates)
    return PromiseValue(
        value, currency, schedule[0].date, schedule,
        (amount.start, amount.end) if amount else None,
        (first.start, first.end) if first else None,
    )


def _is_per_instalment(text: str, amount: Money, plan: re.Match[str], n: int,
                       amounts: list[Money]) -> bool:
    """Whether `amount` is one instalment of the plan rather than the total it divides:
    "instalments of £400", "£400 a month", or "the £9,600 in three payments - £3,200 on…"
    (another amount n times it is the total)."""
    if any(abs(other.amount - amount.amount * n) <= 0.01 * other.amount for other in amounts):
        return True
    before = text[max(0, amount.start - 30) : amount.start]
    after = text[amount.end : amount.end + 20]
    return bool(_PER_INSTALMENT.search(before) or _PER_INSTALMENT.search(after)) or (
        plan.group("per") is not None or plan.group("freq3") is not None
    )


# A part of the sum that is paid at a time: "half today", "50% this Fri", "the remaining
# sixty percent goes out on the 30th", "send a third now". Not "the other half" (what is left)
# nor "the first half of December" (a time).
_SHARE = re.compile(
    r"(?<![\w-])(?<!\ba\s)(?<!\ban\s)(?:(?P<half>half)(?![\s-]+(?:of\s+)?(?:the\s+|this\s+|next\s+|an?\s+)?(?:hour|day|"
    r"month|week|year|past|term|grand|thousand|k\b|million|lakh|jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|oct|nov|dec)\w*)"
    r"|(?P<third>(?:a|one)\s+third)|(?P<quarter>(?:a|one)\s+quarter)"
    r"|(?P<pct>\d{1,2}(?:\.\d)?)\s?(?:%|per\s?cent\b|pct\b)"
    r"|(?P<pctw>(?:ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]+five)?)"
    r"[\s-]+per\s?cent\b)",
    re.IGNORECASE,
)
_SHARE_SCAN = SCANNER.add(_SHARE)
# What may stand between a share and its time: "of it", "the outstanding balance", "goes out",
# "by M-Pesa". Not "discount", "interest" or "VAT": "less the 2% discount on the 15th".
_SHARE_GAP = re.compile(
    r"[\s,-]*(?:of\s+)?(?:(?:it|that|this|the\s+(?:outstanding\s+)?(?:balance|total|amount|invoice|"
    r"bill|outstanding|sum|payment))\s*)?(?:(?:will\s+be\s+|is\s+|to\s+be\s+)?(?:paid|sent|goes\s+out|"
    r"go\s+out|going\s+out|transferred|released|wired|cleared|settled|deposited)\s*)?"
    r"(?:(?:by|via|through)\s+[\w-]+\s*)?[\s,-]*(?:(?:on|by|at|before)\s+)?",
    re.IGNORECASE,
)
_OF_THE = re.compile(r"\s+of\s+(?:the\s+)?", re.IGNORECASE)
_OTHER_SHARE_BEFORE = re.compile(r"\b(?:other|second|last|final)\s+$", re.IGNORECASE)


def _fraction(m: re.Match[str]) -> float:
    if m.group("half"):
        return 0.5
    if m.group("third"):
        return 1 / 3
    if m.group("quarter"):
        return 0.25
    if m.group("pct"):
        return float(m.group("pct")) / 100
    return (words_to_number(m.group("pctw")) or 0) / 100


def _shared(text: str, region: Span, found: PromiseValue, amounts: list[Money],
            times: list[TimeMention]) -> PromiseValue:
    """ "Of the KSh 160,000 balance, I will send half today and the other half at month
    end": what is promised first is a share of the sum named, paid at the time the share
    leads to, not the sum. A stated share ("Total is $14,800 so $7,400 each") is taken as
    written."""
    if found.amount is None or found.amount_span is None:
        return found
    pair = None
    for m in _SHARE_SCAN.matches(text, region[0], region[1]):
        if _OTHER_SHARE_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue
        of = _OF_THE.match(text, m.end())
        if of is not None and of.end() == found.amount_span[0] and not m.group("half"):
            # "sixty percent of the $11,000 goes out on the 30th" ("half of the $4,000" is
            # read as $2,000 where the sum is found)
            value = round(found.amount * _fraction(m), 2)
            return replace(found, amount=value, amount_span=(m.start(), found.amount_span[1]),
                           instalments=())
        # The share is what is paid at a time: right before it ("half today"), or with its
        # paying verb between ("sixty percent goes out on the 30th").
        when = next((t for t in times if m.end() <= t.start <= m.end() + 25), None)
        if when is not None and _SHARE_GAP.fullmatch(text, m.end(), when.start):
            pair = (m, when)
            break
    if pair is None:
        return found
    share, when = pair
    if share.start() <= found.amount_span[0] < when.end + 20 or sum(
            a.amount == found.amount for a in amounts) > 1:
        # "half of the $4,000 on Friday" names the sum it halves; "half now, CAD 6,250, and
        # the other half (CAD 6,250)" and "half of it now, so the eleven hundred" the share,
        # paid at the share's time.
        if found.amount_span[0] >= when.end and found.date_span != (when.start, when.end):
            return replace(found, date=when.when if when.kind != VAGUE else None,
                           date_span=(when.start, when.end), instalments=())
        return found
    fraction = _fraction(share)
    if not 0 < fraction < 1:
        return found
    value = round(found.amount * fraction, 2)
    stated = next((a for a in amounts if a.amount != found.amount
                   and abs(a.amount - value) <= 0.01 * value), None)
    span = (stated.start, stated.end) if stated else (share.start(), share.end())
    value = stated.amount if stated else value
    day = when.when if when.kind != VAGUE else None
    instalments: tuple[Instalment, ...] = ()
    if found.instalments and found.instalments[0].amount == found.amount:
        later_dates = [i.date for i in found.instalments if i.date != day]
    else:  # the time after the share's is when the rest is paid
        later_dates = [t.when for t in times if t.start > when.end and t.kind != VAGUE][:1]
    if later_dates:
        rest = round(found.amount - value, 2)
        instalments = (Instalment(value, found.currency, day),
                       *(Instalment(rest if len(later_dates) == 1 else None, found.currency, d)
                         for d in later_dates))
    return PromiseValue(value, found.currency, day, instalments, span, (when.start, when.end))


def _step(start: date, freq: str, k: int) -> date:
    if freq.startswith("week"):
        return start + timedelta(days=7 * k)
    if freq.startswith(("fortnight", "bi")):
        return start + timedelta(days=14 * k)
    if freq.startswith("quarter"):
        return add_months(start, 3 * k)
    return add_months(start, k)


def _nearest(amounts: list[Money], start: int, end: int) -> Money | None:
    if not amounts:
        return None
    return min(amounts, key=lambda a: min(abs(a.end - start), abs(a.start - end)))


def _listed_instalments(
    text: str, region: Span, times: list[TimeMention], amounts: list[Money]
) -> PromiseValue | None:
    """ "$1,460 in a week and then $2,220 on the 18th", "£10k on 4th, rest (£4k) 30 mar",
    "5k now, the rest on the 30th": each amount with the time stated after it; "$500 on
    the 1st of February, March and April": the amount in each month listed."""
    # "in two equal parts on 10th October and 25th October" is a plan dividing its sum
    # (`_monthly_plan`), not the sum on each day listed
    plan = _PLAN_SCAN.search(text, region[0], region[1]) is not None
    if not times or (len(amounts) < 2 and not _REST_SCAN.search(
            text, times[0].start, region[1], original=False)
            and (plan or not any(_listed_months(text, t, times) for t in times))):
        return None
    pairs: list[tuple[Money | None, TimeMention]] = []
    used: set[TimeMention] = set()
    for i, amount in enumerate(amounts):
        limit = amounts[i + 1].start if i + 1 < len(amounts) else region[1]
        after = [t for t in times if amount.end <= t.start < limit and t not in used]
        before = [t for t in times if t.end <= amount.start and t not in used] if i == 0 else []
        when = _first_time(text, amount, after, before)
        if when is not None:
            used.add(when)
            pairs.append((amount, when))
    if not plan:
        # "$4,000 on the 15th of January, February and March": the sum again in each month
        pairs = [(amount_said, t) for amount_said, when_said in pairs
                 for t in (when_said, *_listed_months(text, when_said, times))
                 if t is when_said or t not in used]
        used.update(t for _, t in pairs)
        # "the $18,000 balance by January 1: $6,000 on 15 Jan, 15 Feb and 15 Mar": a total
        # said first is what the instalments add up to, not one of them
        later = [a.amount for a, _ in pairs[1:] if a is not None]
        first = pairs[0][0] if pairs else None
        if (first is not None and len(later) >= 2 and len(later) == len(pairs) - 1
                and abs(first.amount - sum(later)) < 0.01):
            pairs = pairs[1:]
    for t in times:
        prior = max((when.end for _, when in pairs), default=-1)
        if t not in used and prior >= 0 and t.start > prior and _REST_SCAN.search(
                text, prior, t.start, sliced=True, original=False):
            pairs.append((None, t))
            used.add(t)
    if len(pairs) < 2 or len({(a.amount if a else None, t.when) for a, t in pairs}) < 2:
        return None
    currency = next((a.currency for a, _ in pairs if a and a.currency), None)
    schedule = tuple(
        Instalment(a.amount if a else None, (a.currency or currency) if a else None,
                   t.when if t.kind != VAGUE else None)
        for a, t in pairs
    )
    first_amount, first_time = pairs[0]
    return PromiseValue(
        schedule[0].amount, schedule[0].currency, schedule[0].date, schedule,
        (first_amount.start, first_amount.end) if first_amount else None,
        (first_time.start, first_time.end),
    )


_MONTH_LIST_GAP = re.compile(MONTH_LIST_GAP, re.IGNORECASE)


_LISTED_KINDS = (DATE, DAY)


def _listed_months(text: str, when: TimeMention, times: list[TimeMention]) -> list[TimeMention]:
    """The dates listed right after `when`, each joined to the one before by a comma or "and"
    alone: "the 15th of January, February and March" (nlp.dates reads the months as dates
    on the same day), "€2,000 on 1 December, 1 January and 1 February". Only calendar days:
    "adesso, subito" is one time said twice."""
    out: list[TimeMention] = []
    end = when.end
    for t in times:
        if t.start < end:
            continue
        if (t.kind not in _LISTED_KINDS or when.kind not in _LISTED_KINDS
                or not _MONTH_LIST_GAP.fullmatch(text, end, t.start)):
            break
        out.append(t)
        end = t.end
    return out


# Between a sum and the rest named after it: a clause of its own ("300 zł, resztę…", "1.500
# euros y el resto…"), not the sum's own noun ("the $14,000 balance").
_THEN = re.compile(r"[,;]|\s(?:and|then|y|e|et|und|i|a)\s", re.IGNORECASE)


def _first_time(text: str, amount: Money, after: list[TimeMention],
                before: list[TimeMention]) -> TimeMention | None:
    """The time of a listed amount: the first stated after it, a vague one giving way to a
    firmer one before the rest is named ("15 tys. zł w tym tygodniu, w piątek, a resztę…",
    "dreitausend Euro noch diese Woche, spätestens am Freitag, den Rest…"); or the time right
    before it when the rest follows ("wyślę dziś 300 zł, resztę w poniedziałek", "ahora
    mismo le hago la mitad, 1.500 euros, y el resto el 30"); else the last before it."""
    if not after:
        return before[-1] if before else None
    rest = _REST_SCAN.search(text, amount.end, after[-1].end, original=False)
    rest_at = rest.start() if rest else len(text)
    near = before[-1] if before else None
    # the rest named in a clause of its own ("the $14,000 balance by end of Q1" is one sum)
    if near is not None and near.kind != VAGUE and rest_at <= after[0].start and _THEN.search(
            text, amount.end, rest_at) and amount.start - near.end <= 40 and not _BREAK.search(
            text, near.end, amount.start):
        return near
    if after[0].kind == VAGUE:
        firm = next((t for t in after[1:] if t.end <= rest_at and t.kind != VAGUE
                     and t.when is not None), None)
        if firm is not None:
            return firm
    return after[0]


def _single(
    text: str, region: Span, times: list[TimeMention], amounts: list[Money],
    anchors: list[Money],
) -> PromiseValue:
    time = _pick_time(text, region, times, anchors)
    amount = _pick_amount(amounts, time)
    return PromiseValue(
        amount.amount if amount else None,
        amount.currency if amount else None,
        time.when if time and time.kind != VAGUE else None,
        (),
        (amount.start, amount.end) if amount else None,
        (time.start, time.end) if time else None,
    )


def _pick_time(
    text: str, region: Span, times: list[TimeMention], amounts: list[Money]
) -> TimeMention | None:
    """The time governing the promise: next to its amount, else after its verb, else first.

    "now" is weak ("we can now pay on Friday") and so is a vague time beside a precise one
    ("next week, on Wednesday"): they only win when nothing more specific is said.
    """
    if not times:
        return None
    firm = [t for t in times if t.kind != NOW or _anchored_now(text, t, amounts)]
    strong = [t for t in firm if t.kind != VAGUE] or firm or times
    anchors = [a for a in amounts if not a.spoken]
    if anchors:
        anchor = anchors[0]
        return min(strong, key=lambda t: _distance(t, anchor.start, anchor.end))
    verb = _STRONG_PROMISE_SCAN.search(text, region[0], region[1], original=False)
    if verb is not None:
        after = [t for t in strong if t.start >= verb.start()]
        if after:
            return after[0]
    last = _VERB_LAST_SCAN.search(text, region[0], region[1], original=False) if (
        _VERB_LAST_SCAN is not None) else None
    if last is not None:
        before = [t for t in strong if t.end <= last.start()]
        if before:
            return before[-1]
    return strong[0]


_NOW_ANCHOR_BEFORE = re.compile(r"\b(?:half|part|some|deposit|pay|paying|send|transfer)\s*$",
                                re.IGNORECASE)
_NOW_ANCHOR_AFTER = re.compile(r"^[\s,]*(?:and\s+)?(?:then\s+)?(?:the\s+)?(?:rest|remaining|"
                               r"balance|remainder|half)\b", re.IGNORECASE)


def _anchored_now(text: str, t: TimeMention, amounts: list[Money]) -> bool:
    """ "5k now", "half now, half at month end", "pay now": "now" as a payment time."""
    if any(0 <= t.start - a.end <= 2 for a in amounts):
        return True
    return bool(_NOW_ANCHOR_BEFORE.search(text, max(0, t.start - 20), t.start)
                or _NOW_ANCHOR_AFTER.match(text[t.end : t.end + 30]))


def _distance(t: TimeMention, start: int, end: int) -> float:
    if t.start >= end:
        return t.start - end
    return 1.5 * max(0, start - t.end)  # a time usually follows its amount


def _pick_amount(amounts: list[Money], time: TimeMention | None) -> Money | None:
    if not amounts:
        return None
    if time is None:
        return amounts[0]
    return min(amounts, key=lambda a: _distance(time, a.start, a.end) if a.end <= time.start
               else abs(a.start - time.end) * 1.5)


# --- invoice references --------------------------------------------------------------------

_ID = r"(?P<id>(?:[A-Z]{1,4}[-/]?)?\d[\dA-Z]*(?:[-/.][\dA-Z]+)*)"
_INVOICE_WORD = (
    r"invoices?|invs?\.?|inv\b\.?|factura|facture|fattura|rechnung|faktura|"
    r"bill(?=\s*(?:no\b|nr\b|number|#))|p\.\s?o\.|p\.o\b|po(?=[\s#:-])|purchase\s+order|"
    r"ref(?:erence)?\.?(?=\s*(?:no\b|#|:)?\s*(?:INV|PO|SI|RE|BILL|F-)[-/\d])|"
    r"our\s+ref(?:erence)?\.?(?=\s*(?:INV|PO|SI|RE|F-)[-/\d])"
)
_LABELLED = re.compile(
    rf"\b(?P<label>{_INVOICE_WORD})(?P<sep>\s*(?:(?:no|nr|num|number|n°|nº)\b\.?\s*[:#]?|#|:)?\s*"
    r"#?\s*)" + _ID,
    re.IGNORECASE,
)
_STANDALONE = re.compile(
    r"(?<![\w/#-])(?P<id>(?:INV|PO|SI)(?:[-/#]?\d[\dA-Z]*(?:[-/][\dA-Z]+)*))(?![\w/-])"
    r"|(?<![\w&#/])(?P<hash>#\s?\d{3,}(?:-\d+)?)(?![\w/])",
    re.IGNORECASE,
)
_NOT_INVOICE_BEFORE = re.compile(
    r"\b(?:sales\s+order|order|(?-i:SO)|ticket|case|cheque|check(?=\s+(?:no\b|nr\b|number))|"
    r"tracking|utr|account|acct|a/c|customer|member|phone|tel|room|unit|item|line|job|request|req|complaint|claim|"
    r"transaction|txn|confirmation|receipt|delivery\s+note|credit\s+note|cn|vat|tax|"
    r"reg(?:istration)?|iban|sort\s+code|routing|swift|bic|contract|agreement|shipment|"
    r"awb|container|booking|reservation|policy|serial)\b(?:\s*(?:no\b\.?|nr\b\.?|number|#|:))*"
    r"\s*$",
    re.IGNORECASE,
)
_PO_BOX = re.compile(r"p\.?\s?o\.?\s*box", re.IGNORECASE)
_LABELLED_SCAN = SCANNER.add(_LABELLED)
_STANDALONE_SCAN = SCANNER.add(_STANDALONE)


def invoice_refs(text: str) -> list[Ref]:
    """Invoice and purchase-order references, written as they appear with their label word.

    Sales orders, tickets, tracking, cheque and UTR numbers are not invoices, and neither are
    phone numbers, amounts or dates: a reference needs an invoice-like label or shape.
    """
    return list(_invoice_refs(text))


# The pipeline asks for a message's references and then extracts its promise, which needs them
# again: remember the last few.
@lru_cache(maxsize=8)
def _invoice_refs(text: str) -> tuple[Ref, ...]:
    refs: list[Ref] = []
    for m in _LABELLED_SCAN.matches(text):
        ref = _labelled(text, m)
        if ref is not None:
            refs.append(ref)
    for m in _STANDALONE_SCAN.matches(text):
        if any(r.start <= m.start() < r.end for r in refs):
            continue
        before = text[max(0, m.start() - 25) : m.start()]
        if m.group("hash") and _NOT_INVOICE_BEFORE.search(before):
            continue
        if m.group("id") and not _digits(m.group("id"), 3):
            continue
        refs.append(Ref(m.start(), m.end(), m.group(0)))
    refs.extend(_listed_refs(text, refs))
    refs.sort(key=lambda r: r.start)
    return tuple(_dedupe_overlaps(refs))


def _labelled(text: str, m: re.Match[str]) -> Ref | None:
    label, ident = m.group("label"), m.group("id")
    if _PO_BOX.match(text, m.start()) or not _digits(ident, 3):
        return None
    if _CODE_ID.fullmatch(ident) and not label.lower().startswith(("ref", "our")):
        start = m.start("id")  # "purchase order PO-15775": the reference is the code itself
        return Ref(start, m.end(), text[start : m.end()])
    if ident.isalpha() or _DATE_ID.fullmatch(ident):
        return None  # a date ("invoice 12/03/2026") is not a reference
    end = m.end()
    if text[end - 1] in ".-/":
        end -= 1
    return Ref(m.start(), end, text[m.start() : end])


_CODE_ID = re.compile(r"(?i)(?:INV|PO|SI)[-/#]?\d.*")
_DATE_ID = re.compile(r"\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?")


def _digits(s: str, n: int) -> bool:
    return sum(c.isdigit() for c in s) >= n


_LIST_TAIL = re.compile(
    r"\s*(?:,|&|and|/)\s*#?(?P<id>\d{3,}|(?:INV|PO)[-/]?\d{3,})\b", re.IGNORECASE
)


_PLURAL_LABEL = re.compile(r"(?i)(?:invoices|invs)\b")


def _listed_refs(text: str, refs: list[Ref]) -> list[Ref]:
    """ "invoices 4411, 4412 and 4413": the numbers after the first share its label."""
    extra: list[Ref] = []
    for ref in refs:
        if not _PLURAL_LABEL.match(ref.text):
            continue
        pos = ref.end
        while (m := _LIST_TAIL.match(text, pos)) is not None:
            extra.append(Ref(m.start("id"), m.end("id"), m.group("id")))
            pos = m.end()
    return extra


def _dedupe_overlaps(refs: list[Ref]) -> list[Ref]:
    out: list[Ref] = []
    for ref in refs:
        if out and ref.start < out[-1].end:
            if ref.end - ref.start > out[-1].end - out[-1].start:
                out[-1] = ref
            continue
        out.append(ref)
    return out


# --- dispute reason ------------------------------------------------------------------------

# (reason, weight, pattern). A specific phrase outweighs a generic word; ties go to the reason
# listed first, which is the more specific one. Goods that "never turned up" were not received;
# an engineer who "never turned up" is a service failure, so those cues look at the subject.
_GOODS = (r"(?:order|goods|delivery|deliveries|shipment|shipent|parcel|package|consignment|items?|"
          r"stock|pallets?|boxes|cases|material|products?|equipment|supplies|it|they)")
_PEOPLE = (r"(?:engineer|technician|tech|guy|team|contractor|crew|fitter|installer|consultant|"
           r"plumber|electrician|driver|he|she|nobody|no\s+one)")
_SERVICE_THING = (r"(?:service|services|work|job|repair|install\w*|maintenance|visit|call[-\s]?out|"
                  r"consult\w*|hours|training|session|support|labou?r|cleaning|audit|project)")
_NOT = (r"(?:not|never|didn'?t|didnt|did\s+not|wasn'?t|was\s+not|were\s+not|weren'?t|hasn'?t|"
        r"has\s+not)")
# "I don't recognise the €550 fee": an unexplained charge, not an unordered delivery.
_A_CHARGE = (r"\s+(?:the\s+|this\s+|that\s+)?(?:[\w$£€.,-]+\s+){0,5}?"
             r"(?:charges?|fees?|debits?|transactions?)\b")
_REASONS: list[tuple[str, float, str]] = [
    ("credit_note", 3, r"credit\s+note|credit\s+memo|promised\s+(?:us\s+)?a\s+credit|"
                       r"credit\s+(?:for|on)\s+(?:the\s+)?return|not\s+(?:been\s+)?credited|"
                       r"should\s+be\s+less|should\s+have\s+been\s+reduced|refund\s+(?:not|never)|"
                       r"(?:still\s+)?waiting\s+(?:for|on)\s+(?:a|the|our)\s+(?:credit|refund)|"
                       r"returned\s+(?:stock|goods|items)|return\s+goods|credit\s+(?:was\s+)?agreed|"
                       r"agreed\s+credit|balance\s+is\s+(?:therefore\s+)?overstated"),
    ("duplicate", 3, r"(?:billed|charged|invoiced)\s+(?:us\s+|me\s+)?(?:twice|again)|"
                     r"d(?:ou|o|u)ble[-\s]?(?:billed|charged|billing|charge|invoiced)|dupli\w*|"
                     r"same\s+(?:invoice|order|amount|thing|charge|goods|delivery)\s+(?:twice|"
                     r"two\s+times|again)|two\s+times|identical|exact\s+same|same\s+thing|"
                     r"twice\s+for\s+the\s+same|two\s+(?:bills|invoices|charges)\s+for\s+"
                     r"(?:one|the\s+same)|one\s+(?:of\s+them\s+)?is\s+extra|"
                     r"already\s+(?:been\s+)?(?:paid|settled|invoiced|billed)|"
                     r"paid\s+(?:this|that|it)\s+already"),
    ("not_ordered", 3, r"never\s+ordered|(?:did\s+not|didn'?t|didnt)\s+(?:order|place\s+(?:an|the|"
                       r"this)\s+order|request|ask\s+for)|not\s+ordered|no\s+(?:purchase\s+order|"
                       r"po)\b|order\s+was\s+not\s+placed|not\s+placed\s+(?:from|by)|"
                       r"(?:nobody|no\s+one|no-one)\s+(?:here\s+|on\s+my\s+team\s+)?ordered|"
                       rf"(?:don'?t|do\s+not)\s+recogni[sz]e(?!{_A_CHARGE})|"
                       r"never\s+(?:asked|signed)\s+(?:for|up)|"
                       r"not\s+requested|unsolicited|not\s+our\s+order|cancel+ed\s+(?:the|this|"
                       r"that|our)\s+order"),
    ("service", 4, rf"{_SERVICE_THING}\b[^.]{{0,40}}?{_NOT}\s+(?:\w+\s+)?(?:been\s+)?"
                   r"(?:performed|done|completed|carried\s+out|finish\w*|happen\w*|take\s+place|"
                   r"attend\w*|provided|delivered|rendered|fixed|resolved)"),
    ("service", 4, rf"{_PEOPLE}\b[^.]{{0,30}}?(?:never|didn'?t|did\s+not)\s+(?:even\s+)?"
                   r"(?:show\w*|turn\w*|c[ao]me|attend\w*|arriv\w*|finish\w*|complete\w*)"),
    ("service", 3, r"half\s+done|no[-\s]show|(?:did\s+not|didn'?t)\s+take\s+place|"
                   rf"{_NOT}\s+(?:\w+\s+)?(?:finished|completed)|never\s+(?:attended|came\s+out)|"
                   r"poor\s+(?:service|workmanship)|unfinished|incomplete\s+work|"
                   r"not\s+done\s+properly|(?:work|job)\s+(?:is\s+)?not\s+done"),
    ("service", 2, r"never\s+show\w*\s+up|no\s+one\s+(?:came|showed)"),
    ("quantity", 3, r"short[-\s]?(?:shipped|delivered|shipment|delivery|supplied)|shortfall|"
                    r"only\s+(?:received|recieved|got|delivered|arrived|came|showed\s+up|\d+)|"
                    r"(?:received|got|delivered)\s+only|quantity|\bqty\b|missing\s+(?:items|units|"
                    r"boxes|cases|pallets|pieces)|(?:items|units|boxes|cases|pallets|pcs|pieces)\s+"
                    r"(?:were\s+|are\s+)?missing|partial\s+delivery|incomplete\s+delivery|"
                    r"less\s+than\s+(?:invoiced|ordered|billed)|(?:charged|billed|invoiced)\s+"
                    r"(?:us\s+)?for\s+\d+|\d+\s+of\s+the\s+\d+|counted\s+(?:only\s+)?\d+|"
                    r"(?:warehouse|we)\s+counted|actually\s+(?:showed\s+up|arrived)|\bnot\s+\d+\b|"
                    r"(?:shows|lists|says)\s+\d+\s+(?:units|boxes|cases|pallets|pcs|pieces|items)|"
                    r"short\s+by\s+\d+|ordered\s+\d+\s+but"),
    ("damaged", 3, r"damag\w*|broken|smashed|crushed|defective|faulty|unusable|not\s+usable|"
                   r"cracked|leak\w*|dented|spoil[et]d?|expired|rotten|torn|not\s+working|"
                   r"doesn'?t\s+work|poor\s+quality|substandard|wrong\s+(?:items?|goods|product)"),
    ("not_received", 3, r"never\s+(?:received|recieved|got(?!\s+(?:finished|done|completed|sorted|"
                        r"fixed|paid))|arr?ived|delivered)|"
                        r"(?:not|n't)\s+(?:yet\s+)?(?:been\s+)?(?:received|recieved|delivered|"
                        r"arr?ived)|nothing\s+(?:has\s+)?arr?ived|no\s+record\s+of\s+(?:receiving|"
                        r"delivery)|proof\s+of\s+delivery|(?:didn'?t|did\s+not)\s+(?:arrive|"
                        r"receive|get)|still\s+waiting\s+(?:for|on)\s+(?:the\s+)?(?:delivery|"
                        r"goods|order|shipment)|not\s+reached|lost\s+in\s+(?:transit|the\s+post)"),
    ("not_received", 2, r"never\s+turned\s+up"),
    ("not_received", 4, rf"{_GOODS}\b[^.]{{0,40}}?(?:never|not|didn'?t|did\s+not|has\s+not|"
                        r"hasn'?t|have\s+not|haven'?t)\s+(?:yet\s+)?(?:turned\s+up|showed\s+up|"
                        r"arr?iv\w*|c[ao]me|been\s+delivered|reached)"),
    ("price", 3, r"price|pricing|rate\b|rates\b|overcharg\w*|over[-\s]charg\w*|quoted?|quotation|"
                 r"discount|more\s+than\s+(?:we\s+)?agreed|higher\s+than|list\s+price|"
                 r"last\s+year'?s\s+rate|old\s+rate|agreed\s+(?:price|rate)|"
                 r"(?:wrong|incorrect)\s+amount|amount\s+is\s+(?:wrong|incorrect|not\s+correct)"),
    ("other", 2, r"(?:never|not|didn'?t|didnt|did\s+not)\s+authori[sz]\w*|unauthori[sz]ed|"
                 r"never\s+agreed\s+to|(?:did\s+not|didn'?t)\s+agree\s+to|deduct\w*|penalt\w*|"
                 r"take\s+it\s+off|remove\s+(?:the|this|it)|chargeback|charge\s+back|"
                 r"late\s+(?:payment\s+)?(?:fee|interest)|interest\s+charges?|not\s+liable|"
                 rf"(?:don'?t|do\s+not)\s+recogni[sz]e(?={_A_CHARGE})"),
    # The same reasons in Spanish, Portuguese, German, French, Italian and Polish, accents
    # optional (customers type them on phones).
    ("credit_note", 3, r"nota\s+de\s+cr[eé]dito|nota\s+cr[eé]dito|gutschrift|avoir|"
                       r"nota\s+di\s+credito|korekt\w*|faktur\w*\s+koryguj\w*"),
    ("duplicate", 3, r"dos\s+veces|duas\s+vezes|em\s+duplicidade|duplicad\w*|doppelt\w*|zweimal|"
                     r"en\s+double|deux\s+fois|due\s+volte|doppi[ao]|podw[oó]jn\w*|dwukrotn\w*|"
                     r"dwa\s+razy|ya\s+(?:fue\s+|est[aá]\s+)?pagad\w*|j[aá]\s+(?:foi\s+)?pag[oa]\w*|"
                     r"bereits\s+(?:bezahlt|beglichen)|d[ée]j[aà]\s+(?:pay|r[ée]gl)\w*|"
                     r"gi[aà]\s+pagat\w*|ju[zż]\s+(?:zap[lł]acon|op[lł]acon)\w*"),
    ("not_ordered", 3, r"no\s+(?:lo\s+|la\s+|los\s+)?(?:pedimos|solicitamos|ordenamos)|"
                       r"nunca\s+(?:lo\s+)?(?:pedimos|solicitamos)|"
                       r"n[aã]o\s+(?:pedimos|solicitamos|encomendamos)|(?:nicht|nie)\s+bestellt|"
                       r"(?:pas|jamais)\s+command[ée]\w*|non\s+(?:l'|lo\s+)?(?:abbiamo\s+)?"
                       r"ordinat\w*|nie\s+zam(?:awia|[oó]wi)\w*"),
    ("service", 3, r"servicio\s+no\s+(?:se\s+)?(?:realiz|prest|hizo)\w*|servi[cç]o\s+n[aã]o\s+"
                   r"(?:foi\s+)?(?:realizad|prestad|executad|feit)\w*|leistung\s+(?:wurde\s+)?"
                   r"nicht\s+erbracht|prestation\s+non\s+(?:r[ée]alis|effectu)\w*|"
                   r"servizio\s+non\s+(?:[eè]\s+stato\s+)?(?:eseguit|effettuat)\w*|"
                   r"us[lł]ug\w*\s+nie\s+(?:zosta[lł]a\s+|by[lł]a\s+)?wykonan\w*|"
                   r"t[eé]cnico\s+(?:no|n[aã]o)\s+(?:vino|lleg[oó]|veio|apareceu)|"
                   r"techniker\s+(?:ist\s+)?nicht\s+(?:gekommen|erschienen)"),
    ("quantity", 3, r"faltan?\b|faltaron|faltando|faltou|incomplet\w*|cantidad|quantidade|"
                    r"fehlmenge|fehl(?:en|t)\b|zu\s+wenig|menge|quantit[ée]|manqu\w*|quantit[aà]|"
                    r"mancan\w*|brak\w*|niepe[lł]n\w*|ilo[sś][cć]\w*|za\s+ma[lł]o"),
    ("damaged", 3, r"da[ñn]ad\w*|rot[oa]s?\b|quebrad\w*|defectuos\w*|averiad\w*|danificad\w*|"
                   r"avariad\w*|besch[aä]digt\w*|defekt\w*|kaputt\w*|zerbrochen|endommag\w*|"
                   r"cass[ée]\w*|d[ée]fectueu\w*|danneggiat\w*|rott[oaie]\b|difettos\w*|"
                   r"uszkodz\w*|zniszcz\w*|pot[lł]uczon\w*|wadliw\w*"),
    ("not_received", 3, r"no\s+(?:hemos\s+|he\s+)?(?:recibido|recibimos|nos\s+lleg[oó]|"
                        r"ha\s+llegado|lleg[oó])|nunca\s+(?:nos\s+)?(?:lleg[oó]|recibimos)|n[aã]o\s+(?:recebemos|"
                        r"recebi|chegou|foi\s+entregue)|nunca\s+chegou|(?:nicht|nie)\s+(?:erhalten|"
                        r"angekommen|geliefert|eingegangen)|(?:pas|jamais)\s+(?:re[cç]u|livr[ée]|"
                        r"arriv[ée])\w*|non\s+(?:[eè]\s+)?(?:abbiamo\s+)?(?:ricevut|consegnat|"
                        r"arrivat)\w*|mai\s+(?:arrivat|ricevut)\w*|nie\s+(?:otrzyma|dotar|dosta)\w*|"
                        r"nie\s+zosta[lł]\w*\s+dostarczon\w*"),
    ("price", 3, r"precios?\b|cobra(?:d[oa]s?|ron)\s+de\s+m[aá]s|tarifa|cotizaci[oó]n|pre[cç]o|"
                 r"cobrad[oa]\s+a\s+mais|cobran[cç]a\s+indevida|valor\s+errado|preis\w*|"
                 r"zu\s+viel\s+berechnet|angebot\w*|prix|tarif\b|surfactur\w*|devis|prezz\w*|"
                 r"listino|preventivo|cen[aąey]\b|cenie|zawy[zż]on\w*|ofert\w*"),
    ("other", 2, r"no\s+autoriz\w*|n[aã]o\s+autoriz\w*|nicht\s+autorisiert|non\s+autoris\w*|"
                 r"non\s+autorizzat\w*|nieautoryzowan\w*|descont\w*|abzug\w*|abgezogen|"
                 r"d[ée]duit\w*|d[ée]duction|detratt\w*|potr[aą]c\w*|intereses?\s+(?:moratori|de\s+"
                 r"mora)\w*|juros|verzugszinsen|mahngeb[uü]hr\w*|p[ée]nalit[ée]s?\s+de\s+retard|"
                 r"interessi\s+di\s+mora|odsetk\w*"),
]
_REASON_PATTERNS = [(r, w, re.compile(rf"\b(?:{p})", re.IGNORECASE)) for r, w, p in _REASONS]
_REASON_SCANS = [(r, w, SCANNER.add(p)) for r, w, p in _REASON_PATTERNS]
# Ties go to the reason listed first: minus the index of its first pattern.
_REASON_RANK = {r: -i for i, (r, _, _) in reversed(list(enumerate(_REASONS)))}
REASONS = ("price", "quantity", "damaged", "not_received", "duplicate", "not_ordered", "service",
           "credit_note", "other")


def dispute_reason(text: str, focus: Sequence[Span] = ()) -> str:
    """Why the customer disputes, from the focus sentences (or the whole text without focus).

    Each reason has phrase patterns; the best-scoring reason wins and "other" is the answer
    when nothing specific is said ("we are disputing INV-1, put it on hold").
    """
    if focus:
        reason = _reason_in(text, _merged(focus))
        if reason != "other":
            return reason
    return _reason_in(text, [(0, len(text))])


def _merged(spans: Sequence[Span]) -> list[Span]:
    """Focus spans without repeats: two evidence phrases in one sentence are one sentence."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def _reason_in(text: str, spans: Sequence[Span]) -> str:
    """The best reason in `spans` of `text`, each read as a text of its own, from the one scan
    of the whole message the pipeline has already made."""
    scores: dict[str, float] = {}
    starts = SCANNER.starts(text)
    for reason, weight, scan in _REASON_SCANS:
        hits = 0
        if scan.could_match(starts):  # only min(hits, 2) counts: stop at two
            for start, end in spans:
                hits += len(scan.matches_in(starts, text, start, end, sliced=True,
                                            original=False, limit=2 - hits))
                if hits >= 2:
                    break
        scores[reason] = max(scores.get(reason, 0.0), weight * min(hits, 2))
    best = max(scores, key=lambda r: (scores[r], _REASON_RANK[r]))
    return best if scores[best] > 0 else "other"
