"""PII in collector messages: card numbers, IBANs, bank accounts, national IDs, passwords.

A collector who pastes a customer's full card number, bank details, SSN or a password into an
email or chat has exposed it, whoever it belongs to (TAXONOMY `pii_exposure`). What is *not*
exposure matters as much, because these checks run on every outbound message and a noisy flag
gets ignored: "card ending 4242", `DE89 **** **** **** 3000`, "the last four digits of your
SSN", phone numbers, invoice, order and tracking numbers, and a password-reset link.

So every number needs a pattern *and* the checksum its scheme defines, where one exists:

- card: 13-19 digits (contiguous, spaced or dashed), a known issuer prefix and length, Luhn.
  A 16-digit payment reference that fails Luhn is not a card.
- iban: a known ISO 13616 country, that country's exact length, and mod-97 == 1.
- bank_account: an account number after its label, with the bank or branch code that goes
  with it after its own label on the same line or the next two (sort code, ABA routing
  number, BSB, IFSC, Canadian transit number, South African branch code, German BLZ); a
  Mexican CLABE after its label, with its check digit; a New Zealand `12-3456-0123456-00`.
- ssn: `123-45-6789`, or 9 digits after an SSN label; never area 000, 666 or 9xx, group 00
  or serial 0000 (numbers the SSA never issues, so a match on them is something else).
- other countries' national IDs (Canada, UK, Ireland, South Africa, Australia, India, Mexico,
  Brazil, Poland, Germany, UAE, Nigeria): see `nlp.idnumbers`, each kind named after its
  scheme (`sin`, `nino`, `aadhaar`, …).
- password: a secret given after "password"/"pwd"/"pw"/"passcode"/"PIN" and ":", "=" or
  "is"; or after "new/temporary password" when it looks generated. The finding covers the
  secret only, so masking leaves the sentence readable.

The module is plain functions on purpose: it is called on the message text directly, without
a spaCy pipeline, and `find_pii` returns at once for the great majority of messages, which have
neither six digits in a row, an ID's letters and digits, nor a password word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from nlp.idnumbers import (
    NATIONAL_ID_KINDS,
    cbu_valid,
    clabe_valid,
    find_national_ids,
    luhn_valid,
)

__all__ = [
    "IBAN_LENGTHS",
    "PiiFinding",
    "aba_valid",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "mask_pii",
    "ssn_valid",
]

# IBAN length per country, from the ISO 13616 registry. A country not listed is not accepted:
# without its length the 1-in-97 chance that a random code passes mod-97 is the only guard.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

# When two findings overlap, the longer one wins; on a tie, the kind earlier in this tuple.
# A labelled bank account beats a card or ID reading of the same digits, and an ID whose
# birth date and checksum agree beats a 13-digit Visa reading.
_PRIORITY = ("bank_account", "iban", *NATIONAL_ID_KINDS, "card", "ssn", "password")


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """One piece of PII: `text == message[start:end]`."""

    kind: str  # "card" | "iban" | "bank_account" | "ssn" | "password" | NATIONAL_ID_KINDS
    start: int
    end: int
    text: str


# ----------------------------------------------------------------------------- checksums


def iban_valid(s: str) -> bool:
    """ISO 13616: known country, that country's length, and ISO 7064 mod-97 == 1.

    Spaces are ignored and letters may be lower case, as people write IBANs both ways.
    """
    iban = s.replace(" ", "").upper()
    if not (iban.isascii() and iban.isalnum()) or len(iban) < 5:
        return False
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    if not iban[:2].isalpha():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def aba_valid(routing: str) -> bool:
    """US ABA routing number: 9 digits, a Federal Reserve prefix, weights 3-7-1 sum to 0 mod 10."""
    if len(routing) != 9 or not (routing.isascii() and routing.isdigit()):
        return False
    prefix = int(routing[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    d = [ord(c) - 48 for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """A number the SSA could have issued: not area 000, 666 or 9xx, group 00, serial 0000."""
    return (
        area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
    )


def _card_issuer_ok(digits: str) -> bool:
    """A prefix and length some card scheme issues (Visa, Mastercard, Amex, Discover, JCB,
    Diners, UnionPay, Maestro, Mir), so a Luhn-valid account or reference number that no
    scheme would issue does not count as a card."""
    n = len(digits)
    p2, p3, p4 = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if p2 in (34, 37):
        return n == 15
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if 2200 <= p4 <= 2204:
        return 16 <= n <= 19
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if 300 <= p3 <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19
    if p2 == 62:
        return 16 <= n <= 19
    if p4 in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763):
        return 13 <= n <= 19
    return False


# ----------------------------------------------------------------------------- patterns

# Quick gates: cards, IBANs and SSNs have at least 8 digits with at most single spaces or
# hyphens between them; bank details at least 6 (an Australian account number or BSB).
_DIGITS8 = re.compile(r"\d(?:[ -]?\d){7}")
_DIGITS6 = re.compile(r"\d(?:[ -]?\d){5}")
_PW_KEY = (
    r"(?:pass(?:word|wd|code|phrase)|pass\s+code|pwd|pw|pin(?:\s+(?:code|number))?"
    # Portuguese, Polish, German, French, Spanish, Italian.
    r"|senha|has[lł]o|passwort|kennwort|mot\s+de\s+passe|contrase[ñn]a|clave\s+de\s+acceso"
    r"|codice\s+di\s+accesso)"
)
# "senha provisória é X", "nowe hasło: X": a word for new or temporary after the key.
_PW_NEW = (
    r"(?:\s+(?:provis[oó]ri[ao]|tempor[aá]ri[ao]|temporal|provisional|tymczasowe|temporaire|"
    r"provisoire|vorl[aä]ufiges|tempor[aä]res|temporanea|nuev[ao]|nov[ao]|nowe|neues|nouveau))?"
)
_PW_WORD = re.compile(r"(?i)\b" + _PW_KEY + r"\b")

# A run of digits with single spaces or hyphens between them; boundaries are checked in code.
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*+")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}")
_SSN_DASHED = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])")
_SSN_LABELLED = re.compile(
    r"(?i)\b(?:ssn|ss\#|social\s+security(?:\s+(?:number|no\.?|\#))?|social)(?![\w])"
    r"[^\d\n]{0,30}?(?<![\d-])(\d{3})([ -]?)(\d{2})\2(\d{4})(?![\w-])"
)

_ACCT_LABEL = (
    r"(?:(?:bank\s+)?(?:account|acct|a/c)(?:\s*(?:number|no\.?|num|\#))?"
    r"|kontonummer|konto(?:-?nr\.?)?|(?:n[uú]mero\s+de\s+)?(?:cuenta|conta))"
)
_SEP = r"[\s:#.=-]{0,4}"
_AS = r"(?:(?:is|as)\s+)?"  # "we have your account as 453925118"
# Label pairs sit close together: on one line, or on up to three short lines of a bank-details
# block ("A/c No: 50100234567890\nIFSC: HDFC0001234").
_GAP = r"[^\n]{0,40}?(?:\n[^\n]{0,40}?){0,2}"


def _account_pair(code_label: str, code: str, account: str) -> re.Pattern[str]:
    """An account number and the bank or branch code that goes with it, in either order,
    each after its label. Group 1 or 4 is the account number."""
    return re.compile(
        rf"(?i)\b{_ACCT_LABEL}{_SEP}{_AS}{account}{_GAP}\b{code_label}{_SEP}{_AS}{code}"
        rf"|\b{code_label}{_SEP}{_AS}{code}{_GAP}\b{_ACCT_LABEL}{_SEP}{_AS}{account}"
    )


_NUMBER_LABEL = r"(?:\s*(?:number|no\.?|num|\#))?"
# (country, bank or branch code label, code, account number). None of these codes has a
# checksum a sender gets right by chance (the ABA one does, but a mistyped routing number
# leaves the account number just as exposed), so a pair of labels is what makes them count.
_ACCOUNT_PAIRS: tuple[re.Pattern[str], ...] = tuple(
    _account_pair(label, rf"(?<![\w-])({code})(?![\w-])", rf"(?<![\w-])({account})(?![\w-])")
    for label, code, account in (
        # UK: sort code and an 8-digit account
        (r"(?:sort[\s-]*code|s/c)", r"\d{2}[- ]?\d{2}[- ]?\d{2}", r"\d{4} ?\d{4}"),
        # US: ABA routing number
        (rf"(?:routing(?:\s*/\s*transit)?|aba|rtn){_NUMBER_LABEL}", r"\d{9}", r"\d{6,17}"),
        # Australia: BSB
        (rf"bsb{_NUMBER_LABEL}", r"\d{3}[- ]?\d{3}", r"\d(?: ?\d){5,9}"),
        # India: IFSC (four letters, 0, six letters or digits)
        (r"ifsc(?:\s*code)?", r"[A-Za-z]{4}0[A-Za-z0-9]{6}", r"\d{9,18}"),
        # Canada: transit (branch) number
        (rf"transit{_NUMBER_LABEL}", r"\d{5}", r"\d{7,12}"),
        # South Africa: (universal) branch code
        (r"(?:universal\s+)?branch\s+code", r"\d{6}", r"\d{9,11}"),
        # Germany: Bankleitzahl
        (r"(?:blz|bankleitzahl)", r"\d{3} ?\d{3} ?\d{2}", r"\d{5,10}"),
    )
)
# An account number after a bank's name or the kind of bank account: "your FNB account
# 66388887415", "your Equity account …", "checking account 4839201755". An all-capitals name
# that is not a bank ("GL account", "SAP account") or a capitalised word at a sentence start
# ("Customer account 1002345678") does not count.
_BANK_NAMED = re.compile(
    r"(?:\b(?P<acr>[A-Z][A-Z&]{1,5})|(?i:\b(?:your|his|her|their|the)\s+)(?P<name>[A-Z][a-z-]{2,14})"
    r"|(?i:\b(?:bank|checking|chequing|savings|current|cheque|salary)))"
    r"\s+(?i:(?:bank\s+)?(?:account|a/c|acct))(?i:\s*(?:number|no\.?|num|\#))?"
    r"(?:\s*[:=]\s*|\s+(?:is|as)\s+|\s+)(?P<n>\d(?:[ -]?\d){7,19})(?![\w-])"
)
_NOT_BANKS = frozenset(
    "AR AP GL PO SO SAP ERP CRM VIP ID TDS GST VAT KYC CC BCC PDF EDI API UPI UTR "
    "Customer Client Trade Credit Loyalty Portal Online Web Ledger Supplier Vendor".split()
)
# A long account number (10 digits and more) in a sentence about a bank debit, a bounced or
# drawn cheque, a refund or a deposit: "cheque drawn on a/c 30219876543".
_ACCOUNT_LONG = re.compile(
    r"(?i)\b(?:account|a/c|acct)(?:\s*(?:number|no\.?|num|\#))?(?:\s*[:=]\s*|\s+(?:is|as)\s+|\s+)"
    r"(?P<n>\d(?:[ -]?\d){9,19})(?![\w-])"
)
_BANK_CONTEXT = re.compile(
    r"(?i)\b(?:debit\w*|bounced?|drawn|refund\w*|standing\s+order|deposit\w*|direct\s+debit)\b"
)
# One quick scan tells which forms can be here: a pair needs a bank or branch code's label,
# the named and long forms an account word with a number soon after it, a CLABE its label,
# a New Zealand account its dashes.
_ACCOUNT_GATE = re.compile(  # on the lower-cased text: faster than (?i)
    r"\b(?:(?P<code>sort[\s-]*code|s/c|routing|aba|rtn|bsb|ifsc|transit|branch\s+code|blz"
    r"|bankleitzahl)|(?P<account>(?:account|a/c|acct)\b[^\d\n]{0,16}\d)|(?P<clabe>clabe|cbu|cvu)"
    r"|(?P<nz>\d{2}-\d{4}-))"
)
# Mexico's CLABE carries its own bank code and check digit; New Zealand's account number is
# bank-branch-account-suffix, a shape nothing else has.
_CLABE = re.compile(r"(?i)\bclabe\b[^\d\n]{0,30}(?<![\w-])(\d(?: ?\d){17})(?![\w-])")
# Argentina's CBU (or a wallet's CVU): 22 digits, bank and branch with a check digit, then the
# account with another.
_CBU = re.compile(r"(?i)\b(?:cbu|cvu)\b[^\d\n]{0,30}(?<![\w-])(\d(?: ?\d){21})(?![\w-])")
_NZ_ACCOUNT = re.compile(r"(?<![\w-])(\d{2}-\d{4}-\d{7}-\d{2,3})(?![\w-])")

# "password: X", "pwd = X", "your password is X", "pw for the payment portal is X",
# "password has been reset to X". The secret is one whitespace-free token, quotes stripped.
_CREDENTIAL = r"[\"'“‘(\[<]?(?P<secret>[^\s\"'”’)\]>]{4,64})"
_PASSWORD = re.compile(
    r"(?i)\b" + _PW_KEY + r"\b" + _PW_NEW
    + r"(?:\s+(?:for|to|on|of)(?:\s+(?!(?:is|was|will|has|have)\b)[\w.@'/-]+){1,10}?)?"
    r"(?:\s*[:=]\s*"
    # "the password I set is, um, Laurentide2027!": who set it, and a filler on a call
    r"|(?:\s+(?:i|we)(?:'ve|\s+have)?\s+(?:set|made|created|chose|picked))?"
    r"\s+(?:is|was|will\s+be|é|e|es|est|ist|lautet|è|jest|to)(?:\s+now)?\s*:?"
    r"(?:,?\s+(?:um+|uh+|er+m?|ah+)\s*,)?\s+"
    r"|\s+(?:(?:has|have)\s+been\s+|is\s+|was\s+)?(?:set|reset|changed|updated)\s+to\s*:?\s+)"
    + _CREDENTIAL
)
_ENGLISH_KEY = re.compile(r"(?i)(?:new|temporary|temp|initial|one-time|default|interim|pass|pwd|pw"
                          r"|pin)\b|pass(?!wort)")
# "new password Lagoon#1442 for the portal": no ":" or "is", so only a generated-looking
# secret counts ("new password policy" and "temporary password reset" do not); likewise
# "user mkowalski / password Tulip#2026": the word itself, then a generated-looking secret,
# in other languages too ("senha Verd@2026lima"; "senha obrigatória" is no secret).
_PASSWORD_BARE = re.compile(
    r"(?i)\b(?:(?:new|temporary|temp|initial|one-time|default|interim)"
    r"\s+(?:(?:portal|login|account)\s+)?" + _PW_KEY + r"|pass(?:word|wd|code)|pwd"
    # "usuario hernan.rozo / contraseña Girasol#2026", "login … / senha Verd@2026lima"
    r"|senha|has[lł]o|passwort|kennwort|mot\s+de\s+passe|contrase[ñn]a)\s+"
    + _CREDENTIAL
)
# "PIN 604418": the key in capitals and four to eight digits ("pin 2024 to the board" is a
# verb); "mike.t@coastline.example / Scaffold!2027": a login and a generated-looking secret.
_PIN = re.compile(r"\bPIN(?:\s+(?:code|number|no\.?))?\s*:?\s+(?P<secret>\d{4,8})\b")
_LOGIN_PAIR = re.compile(r"(?i)\b[^@\s]+@[^@\s]+\.[a-z]{2,}\s*/\s*(?P<secret>[^\s/]{4,64})")
_TRAILING = ".,;:?"
# Words that follow "password is/:" in prose about passwords rather than giving one.
_NOT_SECRETS = frozenset(
    """
    incorrect invalid wrong correct required needed missing expired reset changed updated locked
    blocked disabled enabled sent attached enclosed below above same different blank empty
    optional mandatory secure safe weak strong temporary case sensitive case-sensitive valid
    unchanged hidden redacted removed withheld confidential private secret protected encrypted
    please never still also only just being been what that this these those your their there
    here with from into over under within without must should will would could cannot does
    something anything nothing available unavailable pending known unknown coming ready active
    inactive provided shown listed printed stored saved kept managed handled separately separate
    elsewhere later soon today tomorrow again none null unset n/a tbc tba check follow visit
    click call contact email enter type choose create change update request refer note send
    sending used using mine yours ours theirs not
    """.split()
)
_NOT_SECRET_SUFFIXES = ("ed", "ly", "ing", "able", "ible", "ive", "ous", "ful", "less")
_MASKED = re.compile(r"[*•xX#.]+|\[[^\]]*\]|<[^>]*>")


# ----------------------------------------------------------------------------- detection


def find_pii(text: str) -> list[PiiFinding]:
    """Every full card number, IBAN, bank account, national ID and password in `text`, in
    text order, whether written in digits or read out in words on a call ("four six six one
    …"); a spoken finding covers the words.

    Findings never overlap: where two readings of the same characters compete (an IBAN
    contains a Luhn-valid run, a labelled account number is also card-shaped) the longer
    one is kept, then the more specific kind.
    """
    found = _written_pii(text)
    spoken = _spoken_digits(text)
    if spoken is not None:
        view, starts, ends, runs = spoken
        for f in _written_pii(view):
            start, end = starts[f.start], ends[f.end - 1]
            if any(start < run_end and end > run_start for run_start, run_end in runs):
                found.append(_finding(text, f.kind, start, end))
    return _without_overlaps(found)


def _written_pii(text: str) -> list[PiiFinding]:
    words = _PW_WORD.search(text) is not None or _LOGIN_PAIR.search(text) is not None
    found: list[PiiFinding] = list(_national_ids(text))
    if _DIGITS6.search(text) is not None:
        found.extend(_accounts(text))
    if _DIGITS8.search(text) is not None:
        found.extend(_ibans(text))
        found.extend(_cards(text))
        found.extend(_ssns(text))
    if words:
        found.extend(_passwords(text))
    return found


_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
# Read in pairs: "sixty-one", "twenty", "oh-six" ("three-oh-seven, sixty-one,
# oh-three-seven-eight" is 307 61 0378).
_PAIR_WORDS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip
_TENS_WORDS = {"twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6",
               "seventy": "7", "eighty": "8", "ninety": "9"}
_SPOKEN_WORD = (
    r"(?:(?:double|triple)\s+)?(?:zero|oh|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
)
# Three digit words or more in a row, separated by spaces, commas or hyphens.
_SPOKEN_RUN = re.compile(
    rf"(?i)\b{_SPOKEN_WORD}(?:[\s,-]+{_SPOKEN_WORD}){{2,}}\b"
)
_WORD = re.compile(r"[a-z]+")
_PAUSE = re.compile(r",|\s[-–]\s?|[-–]\s")
_SPOKEN_TOKEN = re.compile(r"(?i)(double\s+|triple\s+)?([a-z]+)")


def _spoken_digits(text: str) -> tuple[str, list[int], list[int], list[tuple[int, int]]] | None:
    """`text` with digits read out in words turned into digits, for a message with a run of
    six or more: "your social as five three one, four four, eight eight two zero" reads
    "your social as 531 44 8820"; numbers read in pairs too ("three-oh-seven, sixty-one,
    oh-three-seven-eight" is 307 61 0378). A pause (a comma, a dash with a space beside it)
    between words splits the digit groups; a hyphen inside a group does not. Returns the
    view, the start and end in `text` of each character of the view, and the runs' spans in
    `text`; None when there is no such run."""
    if sum(1 for word in _WORD.findall(text.lower())
           if word in _DIGIT_WORDS or word in _PAIR_WORDS or word in _TENS_WORDS) < 6:
        return None
    runs = []
    for m in _SPOKEN_RUN.finditer(text):
        tokens: list[tuple[int, int, str]] = []
        for t in _SPOKEN_TOKEN.finditer(m.group()):
            repeat = {"double": 2, "triple": 3}.get((t.group(1) or "").strip().lower(), 1)
            word = t.group(2).lower()
            start, end = m.start() + t.start(), m.start() + t.end()
            if word in _DIGIT_WORDS and tokens and tokens[-1][2].endswith("?") and (
                    text[tokens[-1][1] : start] in ("-", " ") and word not in ("zero", "oh")):
                # "sixty-one": the tens word takes its unit
                tokens[-1] = (tokens[-1][0], end, tokens[-1][2][:-1] + _DIGIT_WORDS[word])
                continue
            if word in _TENS_WORDS:
                digits = _TENS_WORDS[word] + "?"  # its unit, or 0, decided by the next word
            else:
                digits = (_DIGIT_WORDS.get(word) or _PAIR_WORDS[word]) * repeat
            tokens.append((start, end, digits))
        tokens = [(a, b, d.replace("?", "0")) for a, b, d in tokens]
        while tokens and text[tokens[0][0] : tokens[0][1]].lower() == "oh":
            tokens.pop(0)  # "oh, one two three" starts with an interjection
        if sum(len(d) for _s, _e, d in tokens) >= 3:
            runs.append(tokens)
    if not any(sum(len(d) for _s, _e, d in tokens) >= 6 for tokens in runs):
        return None
    view: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for tokens in runs:
        first = tokens[0][0]
        view.append(text[pos:first])
        starts.extend(range(pos, first))
        ends.extend(range(pos + 1, first + 1))
        previous_end = None
        for start, end, digits in tokens:
            # a comma or a spaced dash is a pause between groups; "three-oh-seven" is one
            if previous_end is not None and _PAUSE.search(text, previous_end, start):
                view.append(" ")
                starts.append(previous_end)
                ends.append(start)
            view.append(digits)
            starts.extend([start] * len(digits))
            ends.extend([end] * len(digits))
            previous_end = end
        pos = tokens[-1][1]
        spans.append((first, pos))
    view.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return "".join(view), starts, ends, spans


def mask_pii(text: str) -> str:
    """`text` with every finding masked in place; the length never changes, so offsets of
    other evidence stay valid.

    Numbers keep their separators and last four letters or digits ("**** **** **** 1111",
    "***-**-6789"), which is what a reviewer needs to tell two numbers apart. Passwords are
    masked entirely: any part of a password helps guess it.
    """
    findings = find_pii(text)
    if not findings:
        return text
    out: list[str] = []
    pos = 0
    for f in findings:
        out.append(text[pos : f.start])
        out.append(_mask(f.text, keep=0 if f.kind == "password" else 4))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def _mask(value: str, keep: int) -> str:
    if keep == 0:
        return "*" * len(value)
    alnum = sum(c.isalnum() for c in value)
    hidden = alnum - keep
    chars = []
    for c in value:
        if c.isalnum() and hidden > 0:
            chars.append("*")
            hidden -= 1
        else:
            chars.append(c)
    return "".join(chars)


def _finding(text: str, kind: str, start: int, end: int) -> PiiFinding:
    return PiiFinding(kind, start, end, text[start:end])


def _cards(text: str) -> Iterator[PiiFinding]:
    for m in _DIGIT_RUN.finditer(text):
        start, end = m.span()
        run = m.group()
        digits = run.replace(" ", "").replace("-", "")
        if len(digits) < 13:
            continue
        if start and _glued_before(text, start):
            continue  # part of a reference ("SO-4111…", "UTR4111…") or a phone number
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue
        yield from _cards_in_run(text, start, run)


def _glued_before(text: str, start: int) -> bool:
    before = text[start - 1]
    if before.isalnum() or before in "+_":
        return True
    return before == "-" and start >= 2 and text[start - 2].isalnum()


def _cards_in_run(text: str, start: int, run: str) -> Iterator[PiiFinding]:
    """Cards inside one run of digit groups. A run can hold more than a card (an expiry or a
    date written next to it), so every stretch of whole groups with 13-19 digits is tried,
    longest first, and the stretches that pass are kept without overlapping."""
    groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", run)]
    candidates: list[tuple[int, int]] = []
    for i in range(len(groups)):
        count = 0
        for j in range(i, len(groups)):
            count += groups[j][1] - groups[j][0]
            if count > 19:
                break
            if count >= 13:
                s, e = groups[i][0], groups[j][1]
                digits = run[s:e].replace(" ", "").replace("-", "")
                if luhn_valid(digits) and _card_issuer_ok(digits):
                    candidates.append((s, e))
    candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
    taken: list[tuple[int, int]] = []
    for s, e in candidates:
        if all(e <= ts or s >= te for ts, te in taken):
            taken.append((s, e))
    for s, e in sorted(taken):
        yield _finding(text, "card", start + s, start + e)


def _ibans(text: str) -> Iterator[PiiFinding]:
    """IBANs, grouped or not: walk from each country code + check digits, reading exactly as
    many letters and digits as that country's IBAN has, skipping single spaces."""
    n = len(text)
    for m in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(m.group()[:2].upper())
        if length is None:
            continue
        need = length - 4
        pos = m.end()
        while need and pos < n:
            c = text[pos]
            if c.isascii() and c.isalnum():
                need -= 1
                pos += 1
            elif c == " " and pos + 1 < n and text[pos + 1].isascii() and text[pos + 1].isalnum():
                pos += 1
            else:
                break
        if need or (pos < n and text[pos].isascii() and text[pos].isalnum()):
            continue
        if iban_valid(text[m.start() : pos]):
            yield _finding(text, "iban", m.start(), pos)


def _accounts(text: str) -> Iterator[PiiFinding]:
    """The account number of a labelled bank account: next to its sort code, routing number,
    BSB, IFSC, transit number, branch code or BLZ; after a bank's name; a long one in a
    sentence about a debit, cheque or refund; a CLABE; a New Zealand account number.

    The finding is the account number: that is the secret part, while the codes only name
    the bank and branch.
    """
    here = {m.lastgroup for m in _ACCOUNT_GATE.finditer(text.lower())}
    if "code" in here:
        for pattern in _ACCOUNT_PAIRS:
            for m in pattern.finditer(text):
                group = 1 if m.group(1) else 4
                yield _finding(text, "bank_account", m.start(group), m.end(group))
    if "clabe" in here:
        for m in _CLABE.finditer(text):
            if clabe_valid(m.group(1).replace(" ", "")):
                yield _finding(text, "bank_account", m.start(1), m.end(1))
        for m in _CBU.finditer(text):
            if cbu_valid(m.group(1).replace(" ", "")):
                yield _finding(text, "bank_account", m.start(1), m.end(1))
    if "nz" in here:
        for m in _NZ_ACCOUNT.finditer(text):
            yield _finding(text, "bank_account", m.start(1), m.end(1))
    if "account" not in here:
        return
    for m in _BANK_NAMED.finditer(text):
        if (m.group("acr") or m.group("name") or "") not in _NOT_BANKS:
            yield _finding(text, "bank_account", m.start("n"), m.end("n"))
    for m in _ACCOUNT_LONG.finditer(text):
        sentence_start = max(text.rfind(".", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
        sentence_end = len(text)
        for stop in (". ", "\n"):
            found_at = text.find(stop, m.end())
            if found_at != -1:
                sentence_end = min(sentence_end, found_at)
        if _BANK_CONTEXT.search(text, sentence_start, sentence_end):
            yield _finding(text, "bank_account", m.start("n"), m.end("n"))


def _national_ids(text: str) -> Iterator[PiiFinding]:
    for m in find_national_ids(text):
        yield _finding(text, m.kind, m.start, m.end)


def _ssns(text: str) -> Iterator[PiiFinding]:
    for m in _SSN_DASHED.finditer(text):
        if ssn_valid(*m.groups()):
            yield _finding(text, "ssn", m.start(), m.end())
    for m in _SSN_LABELLED.finditer(text):
        area, _sep, group, serial = m.groups()
        if ssn_valid(area, group, serial):
            yield _finding(text, "ssn", m.start(1), m.end(4))


def _passwords(text: str) -> Iterator[PiiFinding]:
    for pattern, generated_only in ((_PASSWORD, False), (_PASSWORD_BARE, True), (_PIN, True),
                                    (_LOGIN_PAIR, True)):
        for m in pattern.finditer(text):
            secret = m.group("secret").rstrip(_TRAILING)
            # A plain word after "senha é" or "hasło:" may be prose ("Senha é obrigatória"):
            # `_NOT_SECRETS` lists English prose only, so other languages' keys need a
            # generated-looking secret.
            english = _ENGLISH_KEY.match(m.group(0)) is not None
            if len(secret) < 4 or not _is_secret(secret, generated_only or not english):
                continue
            start = m.start("secret")
            yield _finding(text, "password", start, start + len(secret))


def _is_secret(token: str, generated_only: bool) -> bool:
    """Does `token`, found where a password would be, look like one?

    A token with a digit or symbol, or mixed case ("kXGqkk57N9", "Copper!7468", "4821"), does.
    A plain word does only after ":", "=" or "is", and only if it is not a word that prose
    about passwords uses there ("is incorrect", ": see below", "is case-sensitive").
    URLs, e-mail addresses and masks ("********", "[redacted]") are never secrets.
    """
    lowered = token.lower()
    if "://" in token or lowered.startswith("www.") or _MASKED.fullmatch(token):
        return False
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", lowered):
        return False
    has_digit = any(c.isdigit() for c in token)
    has_symbol = any(not c.isalnum() and c not in "-'" for c in token)
    mixed_case = any(c.islower() for c in token) and any(c.isupper() for c in token[1:])
    if has_digit or has_symbol or mixed_case:
        return True
    if generated_only:
        return False
    return lowered not in _NOT_SECRETS and not (
        len(lowered) >= 5 and lowered.endswith(_NOT_SECRET_SUFFIXES)
    )


def _without_overlaps(found: list[PiiFinding]) -> list[PiiFinding]:
    rank = {kind: i for i, kind in enumerate(_PRIORITY)}
    best = sorted(set(found), key=lambda f: (f.start - f.end, rank[f.kind], f.start))
    kept: list[PiiFinding] = []
    for f in best:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: (f.start, f.end))
