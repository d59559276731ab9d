"""Lexicon evidence: phrase and token patterns from data files, with negation and hypotheticals.

Each line of a `*.jsonl` lexicon file is `{"label": tag, "pattern": "phrase" | [token
pattern], "id": "tag.group", "weight": 0.99}`. Phrases are matched on spaCy's NORM (lower
case, "won't" = "will not", "we'll" = "we will"), token patterns with spaCy's `Matcher`.
`weight` says how much a match alone is worth (see `nlp.signals`). The `commwatch_lexicon`
component keeps every match on `doc._.cw_hits`, marked asserted or not: a match preceded by
a negation in its clause ("we are not disputing") or inside a hypothetical ("if we had been
charged twice") is kept as counter-evidence, not as evidence.

Other languages: a file named for a language of `data/languages.json` (`es.jsonl`,
`de.jsonl`, …; or an entry with `"language": "es"`) holds that language's phrases, and is
read only in messages written in it (`nlp.language`), with that language's cue words
(`data/cues.json`, `languages`). Words are written with their accents; a message of another
language also matches them typed without ("uberweisen", "ueberweisen", "zaplace"). An
English message never reads them: "payée" without its accent is "payee", "rata" is in "pro
rata". The other way round, an entry with `"language": "en"` is read in messages read as
English alone: the UK's "IVA" is VAT in Spanish, Portuguese and Italian.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from spacy.attrs import NORM, ORTH
from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.util import add_lookups
from spacy.vocab import Vocab

from nlp.components import sentence_starts, token_columns
from nlp.cues import CueIndex, Cues, CueSet, DocCues, check_cues
from nlp.labels import ALL_TAGS
from nlp.language import ENGLISH as EN
from nlp.language import LanguageGuesser, read_languages
from nlp.language import spellings as typed_forms
from nlp.tokenpatterns import COLUMNS, NotIn, TokenPattern, compile_pattern

DATA = Path(__file__).resolve().parent / "data"
LEXICONS = DATA / "lexicons"
CUES = DATA / "cues.json"
SPELLINGS = DATA / "spellings.json"
DEFAULT_WEIGHT = 0.99

_WORDS = [NORM, ORTH]
LANGUAGES_KEY = "cw_languages"  # doc.user_data: the doc's languages (nlp.language)
LANGUAGE_CODES = frozenset(read_languages()[0]) - {"en"}
# Columns of `nlp.tokenpatterns` tables.
_NORM, _LOWER, _ORTH = 0, 1, 2
assert COLUMNS[:3] == ("NORM", "LOWER", "ORTH")


def _BY_START_LONGEST(match: tuple[int, int, int]) -> tuple[int, int]:
    return match[1], -match[2]


__all__ = ["CueSet", "Cues", "Hit", "LexiconError", "LexiconMatcher", "read_lexicon_folder",
           "read_lexicons"]

if not Doc.has_extension("cw_hits"):
    Doc.set_extension("cw_hits", default=None)


class LexiconError(Exception):
    """A lexicon file cannot be used; says which file and line."""


class Hit(NamedTuple):
    """One lexicon match. A named tuple rather than a frozen dataclass: a message has several,
    and a frozen dataclass sets each field through `object.__setattr__` (~1.4 us a hit
    against ~0.4 us)."""

    label: str
    rule: str
    start: int  # token offsets
    end: int
    start_char: int
    end_char: int
    weight: float
    asserted: bool
    blocked_by: str = ""  # "negation" or "hypothetical" when not asserted


def read_lexicon_folder(folder: Path) -> list[dict[str, Any]]:
    """Every pattern in the folder's *.jsonl files, checked line by line."""
    patterns: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LexiconError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
            if not isinstance(entry, dict) or "label" not in entry or "pattern" not in entry:
                raise LexiconError(f'{path}:{number}: expected {{"label": …, "pattern": …}}')
            if entry["label"] not in ALL_TAGS:
                raise LexiconError(
                    f"{path}:{number}: unknown label {entry['label']!r}; "
                    f"expected one of {', '.join(ALL_TAGS)}"
                )
            pattern = entry["pattern"]
            if not (isinstance(pattern, str) and pattern.strip()) and not (
                isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern)
            ):
                raise LexiconError(
                    f"{path}:{number}: pattern must be a phrase or a list of token patterns"
                )
            weight = entry.get("weight", DEFAULT_WEIGHT)
            if not isinstance(weight, int | float) or not 0 < weight < 1:
                raise LexiconError(f"{path}:{number}: weight must be a number between 0 and 1")
            entry.setdefault("id", f"{entry['label']}.{path.stem}")
            entry["_where"] = f"{path.name}:{number}"
            # A file named for a language ("es.jsonl") is read in messages written in it; an
            # entry of "language" "en" in messages read as English alone ("IVA", the UK's
            # insolvency arrangement, is VAT in Spanish, Portuguese and Italian).
            language = entry.get("language", path.stem if path.stem in LANGUAGE_CODES else None)
            if language is not None and language not in LANGUAGE_CODES | {EN}:
                raise LexiconError(
                    f"{path}:{number}: language {language!r} is not one of "
                    f"{', '.join(sorted(LANGUAGE_CODES | {EN}))} (data/languages.json)")
            entry["_language"] = language
            patterns.append(entry)
    return patterns


def read_lexicons(extra_folders: Iterable[Path | str] = ()) -> list[dict[str, Any]]:
    patterns = read_lexicon_folder(LEXICONS)
    for folder in extra_folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise LexiconError(f"{folder}: lexicon folder not found")
        patterns += read_lexicon_folder(folder)
    return patterns


@dataclass(frozen=True, slots=True)
class _TokenMatcher:
    key: int
    anchors: list[frozenset[str]]
    anchor_hashes: list[frozenset[int]]
    matcher: Matcher | None  # None when `fast` runs instead
    fast: TokenPattern | None
    reads: int = 0  # ANY_DOC, or only ENGLISH / OTHER_LANGUAGE docs (see `_with_spellings`)
    language: str | None = None  # read only in docs written in it


ANY_DOC, ENGLISH, OTHER_LANGUAGE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Words:
    norms: list[str]
    texts: list[str]


def _sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    starts = sentence_starts(doc)
    return list(zip(starts, [*starts[1:], len(doc)], strict=True))


class _Lookup(dict[int, int]):
    """ORTH hash -> a lexeme attribute, looked up on first use."""

    def __init__(self, compute: Callable[[int], int]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, orth: int) -> int:
        if len(self) >= 200_000:
            self.clear()
        value = self[orth] = self.compute(orth)
        return value


class _Lead(NamedTuple):
    """The token patterns that start with one word: those tried wherever it is, and by the
    column and word after it, those the next word must be one of a few for."""

    any_next: list[int]
    by_next: list[tuple[int, dict[int, list[int]]]]


class _ByOrth:
    """A token column read through a `_Lookup` by each token's ORTH, on demand."""

    __slots__ = ("orths", "lookup")

    def __init__(self, orths: list[int], lookup: _Lookup) -> None:
        self.orths, self.lookup = orths, lookup

    def __getitem__(self, i: int) -> int:
        return self.lookup[self.orths[i]]


def _anchors(pattern: list[dict[str, Any]]) -> list[frozenset[str]]:
    """For each required token of a pattern that names its words (NORM, LOWER or TEXT,
    equal to or IN a list), those words: the pattern needs one of each in the doc."""
    anchors = []
    for spec in pattern:
        if spec.get("OP") not in (None, "+", "!") or spec.get("OP") == "!":
            continue
        for attr in ("NORM", "LOWER", "TEXT", "ORTH"):
            value = spec.get(attr)
            if isinstance(value, str):
                anchors.append(frozenset({value, value.lower()}))
            elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                anchors.append(frozenset(v for w in value["IN"] for v in (w, w.lower())))
    return anchors


def _with_spellings(pattern: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A token pattern whose words also match as typed without their accents
    (`nlp.language.spellings`); unchanged when it has none."""
    out = []
    for spec in pattern:
        spec = dict(spec)
        for attr in ("NORM", "LOWER", "TEXT", "ORTH"):
            value = spec.get(attr)
            if isinstance(value, str) and not value.isascii():
                spec[attr] = {"IN": sorted(typed_forms(value))}
            elif isinstance(value, dict):
                value = dict(value)
                for op in ("IN", "NOT_IN"):
                    words = value.get(op)
                    if isinstance(words, list) and not all(
                        isinstance(w, str) and w.isascii() for w in words
                    ):
                        value[op] = sorted({f for w in words for f in (
                            typed_forms(w) if isinstance(w, str) else {w})}, key=str)
                spec[attr] = value
        out.append(spec)
    return out


def read_spellings(extra_folders: Iterable[Path | str] = ()) -> dict[str, str]:
    """The spelling table (`nlp/data/spellings.json`, then each lexicon folder's own
    `spellings.json`): chat spellings and misspellings mapped to the word they stand for."""
    table: dict[str, str] = {}
    paths = [SPELLINGS] + [Path(f) / "spellings.json" for f in extra_folders]
    for path in paths:
        if not path.is_file():
            continue
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LexiconError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(entries, dict):
            raise LexiconError(f'{path}: expected an object {{"spelling": "word", …}}')
        for spelling, word in entries.items():
            if spelling.startswith("_"):
                continue  # "_about" and other notes
            if not isinstance(word, str) or not word.strip() or " " in spelling.strip():
                raise LexiconError(
                    f"{path}: {spelling!r}: expected one word mapped to a non-empty word"
                )
            table[spelling.strip().lower()] = word.strip().lower()
    return table


def apply_spellings(vocab: Vocab, table: dict[str, str]) -> None:
    """Give each spelling (lower, Title and UPPER case) the NORM of the word it stands for.

    By spaCy's own hook for norm exceptions (the vocab's NORM getter extended with a lookup
    table), so it holds for lexemes made later too: loading a pipeline from disk empties the
    vocab's lexeme cache after the components are built."""
    forms = {
        form: word
        for spelling, word in table.items()
        for form in (spelling, spelling.title(), spelling.upper())
    }
    getters: dict[int, Any] = vocab.lex_attr_getters  # type: ignore[attr-defined]
    getters[NORM] = add_lookups(getters.get(NORM, LEX_ATTRS[NORM]), forms)
    for form, word in forms.items():
        if form in vocab:  # lexemes already made keep the NORM they were made with
            vocab[form].norm_ = word


@Language.factory(
    "commwatch_lexicon",
    default_config={"extra_folders": [], "attr": "NORM"},
)
def make_lexicon(
    nlp: Language, name: str, extra_folders: list[str], attr: str
) -> LexiconMatcher:
    return LexiconMatcher(nlp, read_lexicons(extra_folders), attr, read_spellings(extra_folders))


class LexiconMatcher:
    """Finds lexicon matches and decides which are asserted."""

    def __init__(
        self, nlp: Language, patterns: list[dict[str, Any]], attr: str = "NORM",
        spellings: dict[str, str] | None = None,
    ) -> None:
        self.patterns = patterns
        # Applied first: phrase patterns below are read with the spellings' NORMs.
        self.spellings = spellings or {}
        apply_spellings(nlp.vocab, self.spellings)
        self.raw_cues = json.loads(CUES.read_text(encoding="utf-8"))
        check_cues(self.raw_cues, str(CUES))
        self.cues = Cues(self.raw_cues)
        self.cue_index = CueIndex(self.cues, nlp.vocab.strings)
        # The cues of messages in other languages (`nlp.language`), made when first needed.
        self.languages = LanguageGuesser(nlp.vocab.strings)
        self._cue_indexes: dict[tuple[str, ...], CueIndex] = {(): self.cue_index}
        self.phrases = PhraseMatcher(nlp.vocab, attr=attr)
        # A phrase typed without its accents, read in messages of other languages only:
        # "payée" without its accent is the English "payee", "raté" is "rate".
        self.unaccented = PhraseMatcher(nlp.vocab, attr=attr)
        # The phrases of a language's own file (both spellings), read in its messages only:
        # an English message never pays for them, and never matches "rata" or "police".
        self.language_phrases: dict[str, PhraseMatcher] = {}
        self.info: dict[int, tuple[str, str, float]] = {}
        self.own_negation: dict[int, bool] = {}
        strings = nlp.vocab.strings
        phrase_docs: dict[str, list[Doc]] = {}
        unaccented_docs: dict[str, list[Doc]] = {}
        language_docs: dict[str, dict[str, list[Doc]]] = {}
        token_patterns: dict[str, list[tuple[list[dict[str, Any]], int, str | None]]] = {}
        for entry in patterns:
            key = f"{entry['label']}|{entry['id']}|{entry.get('weight', DEFAULT_WEIGHT)}"
            self.info[strings.add(key)] = (
                entry["label"], entry["id"], float(entry.get("weight", DEFAULT_WEIGHT))
            )
            pattern = entry["pattern"]
            language = entry.get("_language")
            if isinstance(pattern, str) and language == EN:
                # As a token pattern, looked for only where its first word is: a phrase
                # matcher of its own would run over every English message.
                pattern = [{"NORM": token.norm_} for token in nlp.make_doc(pattern)]
            if isinstance(pattern, str) and language is not None:
                language_docs.setdefault(language, {}).setdefault(key, []).extend(
                    nlp.make_doc(form) for form in sorted(typed_forms(pattern))
                )
            elif isinstance(pattern, str):
                phrase_docs.setdefault(key, []).append(nlp.make_doc(pattern))
                # "überweisen" also as typed without its accents: "uberweisen", "ueberweisen".
                unaccented_docs.setdefault(key, []).extend(
                    nlp.make_doc(form) for form in sorted(typed_forms(pattern) - {pattern})
                )
            else:
                expanded = _with_spellings(pattern)
                pats = token_patterns.setdefault(key, [])
                if language == EN:  # as written, in messages read as English alone
                    pats.append((pattern, ENGLISH, None))
                elif language is not None:
                    pats.append((expanded, ANY_DOC, language))
                elif expanded == pattern:
                    pats.append((pattern, ANY_DOC, None))
                else:  # as written in English messages, in all spellings in the others
                    pats += [(pattern, ENGLISH, None), (expanded, OTHER_LANGUAGE, None)]
        for key, docs in phrase_docs.items():
            self.phrases.add(key, docs)
        for key, docs in unaccented_docs.items():
            if docs:
                self.unaccented.add(key, docs)
        for language, keyed in language_docs.items():
            own = self.language_phrases[language] = PhraseMatcher(nlp.vocab, attr=attr)
            for key, docs in keyed.items():
                own.add(key, docs)
        # Per token pattern: the word sets it cannot match without (as hashes), spaCy's
        # Matcher (which also validates it) and, for the patterns `nlp.tokenpatterns` can
        # read, that compiled form, which is what runs.
        self.token_matchers: list[_TokenMatcher] = []
        for key, pats in token_patterns.items():
            for pattern, reads, language in pats:
                matcher = Matcher(nlp.vocab, validate=True)
                try:
                    matcher.add(key, [pattern])
                except ValueError as exc:  # spaCy's pattern validation names the problem
                    raise LexiconError(
                        f"token pattern for {key.split('|')[1]}: {exc}"
                    ) from None
                anchors = _anchors(pattern)
                fast = compile_pattern(pattern, strings.add)
                self.token_matchers.append(_TokenMatcher(
                    strings.add(key),
                    anchors,
                    [frozenset(strings.add(w) for w in anchor) for anchor in anchors],
                    # Kept only where it runs: a compiled pattern needs it for validation
                    # alone, and thousands of Matchers cost tens of megabytes.
                    matcher if fast is None else None,
                    fast,
                    reads,
                    language,
                ))
        # Compiled patterns whose first token is one word test on NORM, LOWER or ORTH, by
        # that column and word: one pass over each column finds where they can start, and
        # they run there when the doc holds all their other anchor words. The rest run
        # where the doc holds all their anchor words.
        vocab = nlp.vocab
        self.lexeme_columns = (  # COLUMNS after NORM, LOWER and ORTH (read from the doc)
            _Lookup(lambda orth: int(vocab[orth].is_punct)),
            _Lookup(lambda orth: int(vocab[orth].is_space)),
            _Lookup(lambda orth: vocab[orth].shape),
            _Lookup(lambda orth: int(vocab[orth].like_num)),
            _Lookup(lambda orth: int(vocab[orth].is_digit)),
        )
        # (By language: a language's own patterns are looked for in its messages only.)
        self.by_lead: dict[str | None, dict[int, dict[int, list[int]]]] = {}
        self.by_anchors: list[int] = []
        self._lead_indexes: dict[tuple[str | None, int], dict[int, dict[int, _Lead]]] = {}
        for number, tm in enumerate(self.token_matchers):
            lead = tm.fast.lead if tm.fast is not None else None
            if lead is not None and len(lead) == 1 and len(lead[0]) == 1 and lead[0][0][0] in (
                _NORM, _LOWER, _ORTH
            ) and not isinstance(lead[0][0][1], NotIn):
                column, value = lead[0][0]
                words = value if isinstance(value, frozenset) else (value,)
                index = self.by_lead.setdefault(tm.language, {}).setdefault(column, {})
                for word in words:
                    index.setdefault(word, []).append(number)
            else:
                self.by_anchors.append(number)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            doc._.cw_hits = []
            return doc
        # The cue checks and token patterns work on hash columns, read once.
        norms, orths, starts, _lowers = token_columns(doc)
        languages = self.languages_of(doc)
        matches = self.phrases(doc)
        if languages and len(self.unaccented):
            matches += self.unaccented(doc)
        for language in languages:
            if language in self.language_phrases:
                matches += self.language_phrases[language](doc)
        if self.token_matchers:
            matches += self._token_matches(doc, languages)
        if not matches:
            doc._.cw_hits = []
            return doc
        index = self.cue_index_for(languages)
        lengths = index.orth_length
        cues = DocCues(index, norms, orths)
        words: _Words | None = None
        hits = []
        for match_id, start, end in sorted(set(matches), key=_BY_START_LONGEST):
            label, rule, weight = self.info[match_id]
            blocked = cues.blocked(start, end, label) if cues.exact else None
            if blocked is None:
                if words is None:
                    strings = doc.vocab.strings
                    words = _Words([strings[h] for h in norms], [strings[h] for h in orths])
                blocked = self._blocked(index.cues, words, start, end, label)
            hits.append(
                Hit(label, rule, start, end, starts[start],
                    starts[end - 1] + lengths[orths[end - 1]], weight, not blocked, blocked)
            )
        doc._.cw_hits = hits
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    def languages_of(self, doc: Doc) -> tuple[str, ...]:
        """The languages other than English the doc is written in (`nlp.language`), worked
        out once a doc."""
        found = doc.user_data.get(LANGUAGES_KEY)
        if found is None:
            found = doc.user_data[LANGUAGES_KEY] = self.languages.guess(token_columns(doc).norms)
        return found

    def cue_index_for(self, languages: tuple[str, ...]) -> CueIndex:
        index = self._cue_indexes.get(languages)
        if index is None:
            if len(self._cue_indexes) >= 64:
                self._cue_indexes = {(): self.cue_index}
            index = self._cue_indexes[languages] = CueIndex(
                Cues(self.raw_cues, languages), self.cue_index.strings)
        return index

    def cues_for(self, doc: Doc) -> Cues:
        """The cue words a doc is read with: English and its own language's."""
        return self.cue_index_for(self.languages_of(doc)).cues

    def _token_matches(
        self, doc: Doc, languages: tuple[str, ...] = ()
    ) -> list[tuple[int, int, int]]:
        """Token pattern matches within sentences, in the order of sentences, then patterns:
        the English files' patterns (their accent-less forms only in a doc of another
        language) and those of the doc's own `languages`."""
        skip = ENGLISH if languages else OTHER_LANGUAGE
        candidates: dict[int, list[int]] = {}  # pattern number -> where it may start
        norms, orths, _starts, lowers = token_columns(doc)
        columns = {_NORM: norms, _LOWER: lowers, _ORTH: orths}
        table: list[Any] | None = None
        last = len(norms) - 1
        for language in (None, *languages):
            for column, index in self._lead_index(language, skip).items():
                values = columns[column]
                at: dict[int, list[int]] = {}  # lead word -> where it is
                for i in [i for i, h in enumerate(values) if h in index]:
                    at.setdefault(values[i], []).append(i)
                for h, where in at.items():
                    lead = index[h]
                    for number in lead.any_next:
                        candidates.setdefault(number, []).extend(where)
                    if not lead.by_next:
                        continue
                    # Where the word after the first rules a pattern out, it is not tried.
                    if table is None:
                        table = self._table(doc, norms, orths, lowers)
                    for i in where:
                        if i == last:
                            break
                        for next_column, by_word in lead.by_next:
                            numbers = by_word.get(table[next_column][i + 1])
                            if numbers is not None:
                                for number in numbers:
                                    candidates.setdefault(number, []).append(i)
        present: set[int] | None = None
        if candidates:
            # A pattern whose other required words are not all in the doc cannot match.
            present = {*norms, *orths, *lowers}
            matchers = self.token_matchers
            candidates = {
                number: starts for number, starts in candidates.items()
                if all(not anchor.isdisjoint(present) for anchor in matchers[number].anchor_hashes)
            }
        spacy_only = []
        if self.by_anchors:
            if table is None:
                table = self._table(doc, norms, orths, lowers)
            if present is None:
                present = {*norms, *orths, *lowers}
            for number in self.by_anchors:
                tm = self.token_matchers[number]
                if tm.reads == skip or (tm.language is not None and tm.language not in languages
                                        ) or any(anchor.isdisjoint(present)
                                                 for anchor in tm.anchor_hashes):
                    continue
                if tm.fast is None:
                    spacy_only.append(number)
                else:
                    candidates[number] = tm.fast.candidates(table, 0, len(norms))
        if not candidates and not spacy_only:
            return []
        if table is None:
            table = self._table(doc, norms, orths, lowers)
        bounds = _sentence_bounds(doc)
        sentence_starts = [s for s, _e in bounds]
        found: list[tuple[int, int, int, int, int]] = []  # sentence, pattern, key, start, end
        for number, starts in candidates.items():
            tm = self.token_matchers[number]
            assert tm.fast is not None
            for start in starts:
                sentence = bisect_right(sentence_starts, start) - 1
                if sentence < 0:
                    continue  # before the first sentence start: never matched
                found += [
                    (sentence, number, tm.key, start, end)
                    for end in tm.fast.ends_at(table, start, bounds[sentence][1])
                ]
        for number in spacy_only:
            found += self._spacy_matches(doc, number, self.token_matchers[number], bounds)
        found.sort(key=lambda f: (f[0], f[1]))
        return [(key, start, end) for _s, _n, key, start, end in found]

    def _lead_index(self, language: str | None, skip: int) -> dict[int, dict[int, _Lead]]:
        """`by_lead` for one language without the patterns a doc read with `skip` leaves
        out, made once: for each column and first word, the patterns tried wherever it is
        and, by the word after it, those that need one of a few words there."""
        kept = self._lead_indexes.get((language, skip))
        if kept is None:
            kept = self._lead_indexes[(language, skip)] = {}
            for column, index in self.by_lead.get(language, {}).items():
                leads: dict[int, _Lead] = {}
                for h, numbers in index.items():
                    lead = _Lead([], [])
                    by_next: dict[int, dict[int, list[int]]] = {}
                    for number in numbers:
                        tm = self.token_matchers[number]
                        if tm.reads == skip:
                            continue
                        second = tm.fast.second if tm.fast is not None else None
                        if second is None:
                            lead.any_next.append(number)
                            continue
                        by_word = by_next.setdefault(second[0], {})
                        for word in second[1]:
                            by_word.setdefault(word, []).append(number)
                    lead.by_next.extend(by_next.items())
                    if lead.any_next or lead.by_next:
                        leads[h] = lead
                if leads:
                    kept[column] = leads
        return kept

    def _table(
        self, doc: Doc, norms: list[int], orths: list[int], lowers: list[int]
    ) -> list[Any]:
        """The columns `nlp.tokenpatterns` reads (COLUMNS order). All but NORM, LOWER and ORTH
        are the lexeme's, so they are looked up by ORTH only for the tokens a pattern tries."""
        lexeme = self.lexeme_columns
        return [norms, lowers, orths, *(_ByOrth(orths, column) for column in lexeme)]

    @staticmethod
    def _spacy_matches(
        doc: Doc, number: int, tm: _TokenMatcher, bounds: list[tuple[int, int]]
    ) -> list[tuple[int, int, int, int, int]]:
        """A pattern beyond `nlp.tokenpatterns`, with spaCy's Matcher on the sentences that
        hold its words."""
        assert tm.matcher is not None  # kept for every pattern without a compiled form
        out: list[tuple[int, int, int, int, int]] = []
        for sentence, (start, end) in enumerate(bounds):
            here: set[str] = set()
            for token in doc[start:end]:
                here.update((token.norm_, token.lower_, token.text))
            if all(not anchor.isdisjoint(here) for anchor in tm.anchors):
                out += [(sentence, number, key, start + s, start + e)
                        for key, s, e in tm.matcher(doc[start:end])]
        return out

    @staticmethod
    def _clause(cues: Cues, words: _Words, start: int) -> tuple[list[str], int]:
        """NORMs from the start of the match's sentence up to the match, and the clause start."""
        out: list[str] = []
        clause_start = -1
        i = start - 1
        while i >= 0 and start - i <= 40:
            text = words.texts[i]
            if text in {".", "!", "?"} or "\n" in text:
                break
            norm = words.norms[i]
            if clause_start < 0 and norm in cues.breakers:
                clause_start = len(out)
            out.append(norm)
            i -= 1
        out.reverse()
        return out, (len(out) - clause_start if clause_start >= 0 else 0)

    def _blocked(self, cues: Cues, tokens: _Words, start: int, end: int, label: str) -> str:
        words, clause_start = self._clause(cues, tokens, start)
        clause = cues.polite_if.blank_out(words[clause_start:])
        if cues.negation.isdisjoint(tokens.norms[start:end]):
            # The phrase carries no negation of its own: look back a few words in its clause
            # (and on a few, in a language that puts "nicht" after the verb).
            if not cues.negation.isdisjoint(clause[-cues.window :]):
                return "negation"
            if cues.after and label in cues.after_labels and not cues.negation.isdisjoint(
                self._rest_of_clause(cues, tokens, end)
            ):
                return "negation"
        if label in cues.future_labels and cues.future_markers.found_in(clause[-3:]):
            return "future"  # "funds will be transferred": a promise, not a payment made
        if label in cues.past_labels and cues.past_markers.found_in(clause[-3:]):
            return "past"  # "I was out of the office": a person, not an automatic reply
        if cues.counterfactual.found_in(words):
            return "hypothetical"
        if label not in cues.conditional_exempt and cues.conditional.found_in(clause):
            return "hypothetical"
        if label in cues.precondition_labels and cues.precondition.found_in(clause):
            return "hypothetical"
        if label in cues.conditional_after_labels and self._condition_follows(cues, tokens, end):
            return "hypothetical"
        return ""

    @staticmethod
    def _rest_of_clause(cues: Cues, tokens: _Words, end: int) -> list[str]:
        """NORMs of the `cues.after` words after a match, up to a stop or a scope breaker."""
        out = []
        for norm, text in zip(tokens.norms[end : end + cues.after],
                              tokens.texts[end : end + cues.after], strict=True):
            if text in {".", "!", "?"} or "\n" in text or norm in cues.breakers:
                break
            out.append(norm)
        return out

    @staticmethod
    def _condition_follows(cues: Cues, tokens: _Words, end: int) -> bool:
        """A condition cue in the next few words of the sentence, and no time in it."""
        after: list[str] = []
        for norm, text in zip(tokens.norms[end : end + 12], tokens.texts[end : end + 12],
                              strict=True):
            if text in {".", "!", "?"} or "\n" in text:
                break
            after.append(norm)
        if not cues.conditional_after.found_in(after[:6]):
            return False
        around = range(max(0, end - 20), min(len(tokens.norms), end + 12))
        return not any(
            tokens.norms[i] in cues.time_words or any(c.isdigit() for c in tokens.texts[i])
            for i in around
        )
