"""Which currency a "$", "Rs" or bare "two grand" means.

A Canadian, an Australian and a Jamaican all write "$", a Pakistani and a Nepali write "Rs",
and nobody names a currency when they say "I'll send two grand Friday". Reading every "$" as
US dollars records an Australian customer's promise in USD; its AUD payment then never keeps
it, and the collector gets a broken-promise alert for a promise that was kept. So an amount
written with a shared symbol, or with none, is settled from the best evidence there is, in
this order:

1. the message itself: an amount or word that names one currency ("C$1,200 now, $800 on
   the 30th", "fourteen fifty Canadian", "TT dollars") or, for a "$" or "Rs", a payment
   system that only one country uses ("Interac e-transfer", "BPAY", "eSewa"); "pesos" says a
   "$" is a peso, and the steps below say whose (Mexico, Colombia, Chile, Argentina, the
   Philippines all write it; Mexican pesos when nothing tells);
2. the thread it answers: the quoted history below it (`thread`), where the supplier's own
   reminder usually states the currency ("invoice JM-4471 for J$185,000.00 is overdue"),
   when what it names is one currency;
3. the customer's account currency (`hint`), when one is known;
4. where the customer writes from: a town, region, company form, phone number or postcode in
   the message or the signature under it (`nlp.places`, `data/places.json`: "Kisumu Auto
   Centre", "Fresno CA", "Pte Ltd", "+61 2 9555 0101"), when they point to one currency the
   sum can be in; the quoted history is not read for this (it is the supplier's, address
   and all);
5. where the sender's clock is: the UTC offset of the sent time, with the language the
   message is written in (`languages`: Spanish from -06:00 is Mexican, Polish is zloty) or
   only where it points to one country that writes that symbol (+10:00 and +11:00 are
   eastern Australia, +05:45 Nepal, -03:30 Newfoundland); +08:00 (Perth, Singapore, Hong
   Kong) or -05:00 in English say nothing;
6. the symbol's usual reading: "$" is USD, "Rs" INR. A bare amount ("I'll send the 2,100
   tomorrow", "three grand Friday") takes its currency from a payment system the message
   names, or from a clock that only one country's money goes by (+10:00 Australia, +13:00
   New Zealand, +05:30 India, +04:00 the UAE…); elsewhere it keeps none.

Each step only picks a currency the symbol can mean: a euro customer's "$500" stays USD.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ingest.quotation import quote_start
from nlp.amounts import ADJECTIVES, CODES, WORDS, Money, find_amounts
from nlp.places import finder as place_finder

# The currencies each shared symbol (as `Money.shared` names it) is written for.
FAMILIES = {
    "$": frozenset("USD CAD AUD NZD SGD HKD MXN JMD TTD XCD BBD COP CLP ARS UYU DOP".split()),
    "rs": frozenset("INR PKR LKR NPR".split()),
    "pesos": frozenset("MXN COP CLP ARS UYU DOP PHP".split()),
    "dh": frozenset("AED MAD".split()),  # dirhams: the UAE's and Morocco's
    "¥": frozenset("JPY CNY".split()),
    "pounds": frozenset("GBP EGP LBP SDG SYP".split()),
    "riyal": frozenset("SAR QAR OMR YER".split()),
    "dinar": frozenset("KWD BHD JOD IQD TND DZD LYD RSD".split()),
    "kr": frozenset("SEK NOK DKK ISK".split()),
    "shilling": frozenset("KES UGX TZS SOS".split()),
}
# UTC offsets (minutes) where one country writes the symbol.
_OFFSETS = {
    "$": {570: "AUD", 600: "AUD", 630: "AUD", 660: "AUD", 720: "NZD", 765: "NZD", 780: "NZD",
          -210: "CAD", -150: "CAD"},
    "rs": {330: "INR", 300: "PKR", 345: "NPR"},
    # Mexico, Colombia, Chile (its winter), Argentina, the Philippines.
    "pesos": {-420: "MXN", -360: "MXN", -300: "COP", -240: "CLP", -180: "ARS", 480: "PHP"},
    "dh": {240: "AED", 0: "MAD", 60: "MAD"},
    "¥": {480: "CNY", 540: "JPY"},  # China's clock, Japan's
}
# Clocks only one country's money goes by, for an amount with no symbol at all: the "$"
# countries above, the rupee countries, the UAE and Bangladesh. +03:00 (Kenya, Saudi Arabia,
# Qatar), +08:00 and every European or American offset are shared, and settle nothing.
_BARE = {**_OFFSETS["$"], **_OFFSETS["rs"], 240: "AED", 360: "BDT"}
# North America's clocks, Newfoundland's to Alaska's (minutes), where "cheque" is Canadian.
_NORTH_AMERICA = frozenset((-210, -180, -240, -300, -360, -420, -480))
_CHEQUE = re.compile(r"\bcheque", re.IGNORECASE)
# Where a message written in a language is sent from, when that says which money it is
# counted in (`nlp.language` codes; UTC offsets in minutes): Spanish from UTC-6 is Mexican,
# from UTC-5 Colombian, from UTC-3 Argentine; Portuguese from UTC-3 Brazilian; French from
# UTC-5 or -4 Canadian. Only for a "$" or an amount with no currency, after every other step.
_LOCAL = {
    "es": {-420: "MXN", -360: "MXN", -300: "COP", -240: "CLP", -180: "ARS", 60: "EUR",
           120: "EUR"},
    "pt": {-240: "BRL", -180: "BRL", -120: "BRL", 0: "EUR"},
    "pl": {60: "PLN", 120: "PLN"},
    "de": {60: "EUR", 120: "EUR"},
    "fr": {60: "EUR", 120: "EUR", -300: "CAD", -240: "CAD"},
    "it": {60: "EUR", 120: "EUR"},
    "nl": {60: "EUR", 120: "EUR"},
}
# Words that name one currency wherever they stand in the message: a code ("all figures in
# CAD"), a country's dollar ("TT dollars", "Canadian funds"), or a payment system used in
# one country only.
# The adjectives nlp.amounts reads before "dollars", and a few more said on their own.
_NAMES = {**ADJECTIVES, "kiwi": "NZD", "trinidad": "TTD", "bajan": "BBD", "mexican": "MXN"}
_RAILS = {
    "interac": "CAD", "e-transfer": "CAD", "etransfer": "CAD", "e transfer": "CAD",
    "bpay": "AUD", "payid": "AUD", "osko": "AUD", "esewa": "NPR", "khalti": "NPR",
    "jazzcash": "PKR", "easypaisa": "PKR", "neft": "INR", "imps": "INR", "upi": "INR",
    "spei": "MXN", "gcash": "PHP", "m-pesa": "KES", "mpesa": "KES", "paynow": "SGD",
}
# Names of one currency each that are no other English word, wherever they stand ("since the
# naira fell"): "rand", "won", "dong" and "real" are left out.
_ONE_CURRENCY_WORDS: dict[str, str] = {
    word: code
    for word in ("naira", "cedis", "cedi", "ringgit", "baht", "rupiah", "taka", "shekels",
                 "shekel", "zloty", "złoty", "zlotys", "złotych", "reais", "forints", "forint",
                 "koruna", "tenge", "euros", "euro", "sterling", "quid")
    if (code := WORDS[word]) is not None
}
# What a country's adjective names ("Kuwaiti dinar", "Egyptian pounds", "Danish kroner").
_NAMED_WORDS = (r"dinars?|riyals?|rials?|pounds?|kroner|krone|krona|kronor|shillings?|francs?"
                r"|rupees?")
_NAMED = re.compile(
    r"(?<![\w$])(?:(?P<adj>" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in _NAMES)
    + r")\s+(?:dollars?|funds|currency|" + _NAMED_WORDS + r")"
    r"|(?P<pesos>pesos?)"
    r"|(?P<word>" + "|".join(_ONE_CURRENCY_WORDS) + r")"
    r"|(?P<rail>" + "|".join(re.escape(k).replace(r"\ ", r"\s?") for k in _RAILS) + r")"
    # A code alone only as the currency things are in: "CAD drawings" are not money.
    r"|(?<=\bin\s)(?-i:(?P<code>" + "|".join(CODES) + r")))(?![\w$])",
    re.IGNORECASE,
)
# Right after a sum: "fourteen fifty Canadian", "eighteen thousand TT", "$4,800 pesos",
# "two thousand five hundred dinar, Kuwaiti dinar".
_AFTER = re.compile(
    r",?\s+(?:(?P<adj>" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in _NAMES)
    + r")|(?P<pesos>pesos?))(?![\w$])"
    # "$4.850.000 (CLP)"
    r"|\s*\((?-i:(?P<code>" + "|".join(CODES) + r"))\)",
    re.IGNORECASE,
)


class CurrencyContext:
    """What one message says about its currency; `settle` applies it to each amount."""

    __slots__ = ("_named", "_pesos", "_places", "_rails", "_rest", "_thread", "hint",
                 "languages", "offset", "text")

    def __init__(self, text: str, sent_at: datetime | None = None, hint: str | None = None,
                 amounts: Sequence[Money] = (), thread: str = "",
                 languages: Sequence[str] = ()) -> None:
        self.text = text
        self.languages = tuple(languages)
        self.hint = hint.upper() if hint else None
        delta = sent_at.utcoffset() if sent_at is not None else None
        self.offset = None if delta is None else int(delta.total_seconds() // 60)
        # "pesos" anywhere says a "$" is a peso, not which one (nlp.amounts reads "45.000
        # pesos" as the Mexican ones until this settles it).
        self._pesos = False
        self._named, self._rails = self._names(text, amounts)
        self._thread: tuple[set[str], set[str]] = (set(), set())
        if thread.strip():
            self._thread = self._names(thread, find_amounts(thread))
        self._rest = thread  # what follows the text in its body: signature, quoted history
        self._places: set[str] | None = None  # read when a step needs them

    @property
    def places(self) -> set[str]:
        """The currencies of the places the message and its signature name (not the quoted
        history under the signature)."""
        if self._places is None:
            # The thread is what follows the new text in the body it was cut from: the
            # signature, then the quoted history.
            body = self.text + self._rest
            self._places = place_finder().currencies_in(body[: quote_start(body)])
        return self._places

    def _names(self, text: str, amounts: Sequence[Money]) -> tuple[set[str], set[str]]:
        """The currencies `text` names by its amounts and words, and those its payment
        systems imply."""
        named = {a.currency for a in amounts if a.currency and not a.shared}
        rails: set[str] = set()
        for m in _NAMED.finditer(text):
            if m.group("pesos"):
                self._pesos = self._pesos or text is self.text
                continue
            (rails if m.group("rail") else named).add(self._name_of(m))
        return named, rails

    def _name_of(self, m: re.Match[str]) -> str:
        groups = m.groupdict()
        if groups.get("code"):
            return m.group("code")
        if groups.get("word"):
            return _ONE_CURRENCY_WORDS[m.group("word").lower()]
        if groups.get("rail"):
            return _RAILS[" ".join(m.group("rail").lower().split())]
        return _NAMES[" ".join(m.group("adj").lower().split())]

    def settle_all(self, amounts: Sequence[Money]) -> list[Money]:
        """Each of `amounts` settled; then a sum with no currency at all takes the one the
        others are in, when they are all in one ("wire for $42,118.90 went out this AM. other
        18k goes Friday")."""
        settled = [self.settle(a) for a in amounts]
        said = {a.currency for a in settled if a.currency is not None}
        if len(said) != 1:
            return settled
        (currency,) = said
        return [replace(a, currency=currency) if a.currency is None else a for a in settled]

    def settle(self, money: Money) -> Money:
        """`money` with the currency it means here (unchanged when it names its own)."""
        if money.currency and not money.shared:
            return money
        after = _AFTER.match(self.text, money.end)
        if after is not None and after.group("pesos"):
            money = replace(money, shared="pesos", end=after.end())
        elif after is not None:
            return replace(money, currency=self._name_of(after), shared=None, end=after.end())
        symbol = money.shared
        if symbol == "$" and self._pesos:
            symbol = "pesos"
        family = FAMILIES.get(symbol or "")
        if symbol == "$" and "es" in self.languages:
            family = (family or frozenset()) | FAMILIES["pesos"]  # in Spanish, mostly a peso
        currency = self._pick(family, symbol)
        if currency is None and symbol == "pesos":
            currency = "MXN"  # the usual reading, as "$" is USD
        if currency is None or currency == money.currency:
            return money
        return replace(money, currency=currency)

    def _pick(self, family: frozenset[str] | None, symbol: str | None) -> str | None:
        fits = (lambda c: c in family) if family else (lambda c: True)
        # A payment system shows which "$" is meant, and what a bare "three grand" is
        # counted in ("I'll e-transfer the three grand Tuesday" is Canadian).
        for named, rails in ((self._named, self._rails), self._thread):
            said = {c for c in named | rails if fits(c)}
            if len(said) == 1:
                return said.pop()
            if said:  # several: neither this nor the thread settles which
                break
        if self.hint and fits(self.hint):
            return self.hint
        placed = {c for c in self.places if fits(c)}
        if len(placed) == 1:
            return placed.pop()
        if self.offset is None:
            return None
        for language in self.languages:
            local = _LOCAL.get(language, {}).get(self.offset)
            if local is not None and fits(local):
                return local
        by_clock = _OFFSETS.get(symbol, {}).get(self.offset) if symbol else _BARE.get(self.offset)
        if by_clock is None and symbol in ("$", None) and self.offset in _NORTH_AMERICA and (
                _CHEQUE.search(self.text)):
            return "CAD"  # a North American who writes "cheque" is, most often, Canadian
        return by_clock


__all__ = ["FAMILIES", "CurrencyContext"]
