"""National identity and tax numbers beyond the US SSN, each by its pattern and checksum.

A collector who pastes a customer's national ID has exposed it wherever the customer lives,
so `nlp.pii` looks for the numbers of the countries our users sell to. Every scheme has a
shape, and a checksum where the scheme defines one; a scheme whose checksum is weak (one
random number in ten or eleven passes) or that has none is only accepted after its own
label ("SIN", "TFN", "PESEL", "Steuer-ID"...), because a bare 9- or 11-digit number in a
collector's message is far more often a phone, order or reference number.

A labelled number counts even when its check digit is wrong: a typo leaves it just as exposed.

| kind | country | shape | check | label needed |
| --- | --- | --- | --- | --- |
| `sin` | Canada | 9 digits, 3-3-3 | Luhn; never starts with 8 | yes |
| `nino` | UK | `AB 12 34 56 C` | prefix rules (and HMRC's sample QQ), suffix A-D | no |
| `pps` | Ireland | 7 digits + check letter (+ letter) | mod 23 | yes |
| `sa_id` | South Africa | 13 digits: birth date, citizenship 0/1 | Luhn | no |
| `tfn` | Australia | 8 or 9 digits | weighted mod 11 | yes |
| `aadhaar` | India | 12 digits, first 2-9 | Verhoeff | yes, unless grouped 4-4-4 |
| `pan` | India | `AAAPA9999A`, 4th letter P (a person) | none public | no |
| `curp` | Mexico | 18 characters with birth date and sex | mod 10 over 17 | no |
| `cpf` | Brazil | 11 digits | two mod-11 digits | yes, unless `123.456.789-09` |
| `pesel` | Poland | 11 digits with birth date | weighted mod 10 | yes |
| `steuer_id` | Germany | 11 digits, first not 0 | ISO 7064 MOD 11,10 | yes |
| `emirates_id` | UAE | `784-YYYY-NNNNNNN-C` | Luhn | no |
| `bvn`, `nin` | Nigeria | 11 digits | none public | yes |
| `ird` | New Zealand | 8-9 digits | - | yes |
| `hkid` | Hong Kong | `K123456(3)` | mod 11 | unless with its (check) |
| `nric` | Singapore | `S1234567D` | weighted check letter | no |
| `mykad` | Malaysia | `850612-14-5523`: birth date, place | - | unless dashed |
| `cnic` | Pakistan | `35202-8841236-7` | - | unless dashed |
| `ghana_card` | Ghana | `GHA-721456983-4` | - | no |
| `kra_pin` | Kenya | `A004512789K` | - | yes |
| `nid` | Bangladesh | 10, 13 or 17 digits | - | yes |
| `citizenship`, `pan_np` | Nepal | digits and dashes; 9 digits | - | yes |
| `personnummer` | Sweden | `811228-9874`: birth date | Luhn | no |
| `dni` | Spain | `12345678Z`, NIE `X1234567L` | mod-23 letter | no |
| `cuit` | Argentina | `20-17254359-7`, a person's CUIT or CUIL | mod 11 | unless dashed |
| `rodne_cislo` | Czechia, Slovakia | `780123/3540`: birth date | mod 11 | no |
| `id_number` | anywhere | 6-13 digits after "ID", "ID no.", "identity card no." | - | yes |

A bare "ID" counts unless the word before it names something else's ID: "customer ID",
"transaction ID", "ticket ID", "SMTP id" and so on (`_NOT_A_PERSON`).

A PAN whose fourth letter is not P names a company, trust or firm, which prints it on its
invoices; a PAN inside a GSTIN (`27AAAPL1234C1Z5`, glued to the digits around it) is a
business's tax registration. Neither is a person's ID, so neither counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

__all__ = [
    "NATIONAL_ID_KINDS",
    "IdMatch",
    "clabe_valid",
    "cbu_valid",
    "cpf_valid",
    "cuit_valid",
    "curp_valid",
    "emirates_id_valid",
    "find_national_ids",
    "luhn_valid",
    "pesel_valid",
    "pps_valid",
    "sa_id_valid",
    "sin_valid",
    "steuer_id_valid",
    "tfn_valid",
    "verhoeff_valid",
]


def _digits(s: str) -> list[int]:
    return [ord(c) - 48 for c in s]


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check over a string of ASCII digits: payment cards, and the SIN, South
    African ID, Emirates ID and personnummer below."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, n in enumerate(reversed(_digits(digits))):
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _birth_date(yy: int, mm: int, dd: int, centuries: tuple[int, ...] = (1900, 2000)) -> bool:
    for century in centuries:
        try:
            date(century + yy, mm, dd)
        except ValueError:
            continue
        return True
    return False


# ----------------------------------------------------------------------------- checksums

# Verhoeff's dihedral-group tables (multiplication and permutation).
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """Verhoeff's check (Aadhaar): catches every single-digit error and adjacent swap."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    c = 0
    for i, n in enumerate(reversed(_digits(digits))):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][n]]
    return c == 0


def sin_valid(digits: str) -> bool:
    """Canadian Social Insurance Number: 9 digits, Luhn; 8 is never issued first (0 marks
    the sample numbers forms print, which people paste as well)."""
    return len(digits) == 9 and digits.isdigit() and digits[0] != "8" and luhn_valid(digits)


def sa_id_valid(digits: str) -> bool:
    """South African ID: YYMMDD birth date, 4-digit sequence, citizenship 0/1, 1 digit, Luhn."""
    if len(digits) != 13 or not digits.isdigit() or digits[10] not in "01":
        return False
    d = _digits(digits)
    return _birth_date(d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]) and luhn_valid(digits)


def tfn_valid(digits: str) -> bool:
    """Australian Tax File Number: weighted sum of 8 or 9 digits divisible by 11."""
    weights = {9: (1, 4, 3, 7, 5, 8, 6, 9, 10), 8: (10, 7, 8, 4, 6, 3, 5, 1)}.get(len(digits))
    if weights is None or not digits.isdigit():
        return False
    return sum(w * n for w, n in zip(weights, _digits(digits), strict=True)) % 11 == 0


def pps_valid(pps: str) -> bool:
    """Irish PPS number: 7 digits, a check letter, and optionally a second letter that the
    2013 format folds into the check (A=1 … I=9, W=0)."""
    pps = pps.upper()
    if not re.fullmatch(r"\d{7}[A-W][A-IW]?", pps):
        return False
    total = sum((8 - i) * n for i, n in enumerate(_digits(pps[:7])))
    if len(pps) == 9:
        total += 9 * (0 if pps[8] == "W" else ord(pps[8]) - 64)
    remainder = total % 23
    return pps[7] == ("W" if remainder == 0 else chr(64 + remainder))


_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def curp_valid(curp: str) -> bool:
    """Mexican CURP: its 18th character is a mod-10 check over the first 17, and its birth
    date (characters 5-10) is a real date."""
    curp = curp.upper()
    if len(curp) != 18 or any(c not in _CURP_ALPHABET for c in curp) or not curp[17].isdigit():
        return False
    if not _birth_date(int(curp[4:6]), int(curp[6:8]), int(curp[8:10])):
        return False
    total = sum(_CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(curp[:17]))
    return (10 - total % 10) % 10 == int(curp[17])


def clabe_valid(digits: str) -> bool:
    """Mexican CLABE (18-digit bank account): weights 3-7-1, the last digit makes it 0 mod 10."""
    if len(digits) != 18 or not digits.isdigit():
        return False
    d = _digits(digits)
    total = sum((n * w) % 10 for n, w in zip(d[:17], (3, 7, 1) * 6, strict=False))
    return (10 - total % 10) % 10 == d[17]


def cbu_valid(digits: str) -> bool:
    """Argentine CBU/CVU (22-digit bank account): bank and branch (7 digits) and a check digit,
    then the account (13 digits) and a check digit; weights 7-1-3-9 and 3-9-7-1, repeating."""
    if not re.fullmatch(r"\d{22}", digits):
        return False

    def check(block: str) -> int:
        weights = (3, 9, 7, 1) if len(block) == 13 else (7, 1, 3, 9)
        return (10 - sum(int(d) * weights[i % 4] for i, d in enumerate(block)) % 10) % 10

    return check(digits[:7]) == int(digits[7]) and check(digits[8:21]) == int(digits[21])


def cpf_valid(digits: str) -> bool:
    """Brazilian CPF: 11 digits, two mod-11 check digits; eleven equal digits are invalid."""
    if len(digits) != 11 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    d = _digits(digits)
    for n in (9, 10):
        check = sum(d[i] * (n + 1 - i) for i in range(n)) * 10 % 11 % 10
        if check != d[n]:
            return False
    return True


def pesel_valid(digits: str) -> bool:
    """Polish PESEL: birth date (the month carries the century) and a weighted mod-10 check."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    d = _digits(digits)
    yy, mm, dd = d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]
    century = {0: 1900, 1: 2000, 2: 2100, 3: 2200, 4: 1800}.get(mm // 20)
    if century is None or not _birth_date(yy, mm % 20, dd, (century,)):
        return False
    total = sum(w * n for w, n in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), d, strict=False))
    return (10 - total % 10) % 10 == d[10]


def steuer_id_valid(digits: str) -> bool:
    """German tax ID (Steuerliche Identifikationsnummer): 11 digits, not starting with 0,
    ISO 7064 MOD 11,10 check digit."""
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    product = 10
    for n in _digits(digits[:10]):
        s = (n + product) % 10 or 10
        product = s * 2 % 11
    return (11 - product) % 10 == int(digits[10])


def emirates_id_valid(digits: str) -> bool:
    """UAE Emirates ID: 784, the holder's birth year, 7 digits and a Luhn check digit."""
    if len(digits) != 15 or not digits.startswith("784") or not digits.isdigit():
        return False
    return 1900 <= int(digits[3:7]) <= 2100 and luhn_valid(digits)


def hkid_valid(hkid: str) -> bool:
    """Hong Kong ID: one or two letters, six digits and a check digit or A (mod 11)."""
    hkid = hkid.upper()
    m = re.fullmatch(r"([A-Z]{1,2})(\d{6})([0-9A])", hkid)
    if m is None:
        return False
    letters = m.group(1).rjust(2, " ")
    values = [36 if c == " " else ord(c) - 55 for c in letters] + _digits(m.group(2))
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    check = 10 if m.group(3) == "A" else int(m.group(3))
    return (total + check) % 11 == 0


def nric_valid(nric: str) -> bool:
    """Singapore NRIC/FIN: S/T/F/G/M, seven digits, a check letter from weights 2-7-6-5-4-3-2."""
    nric = nric.upper()
    if not re.fullmatch(r"[STFGM]\d{7}[A-Z]", nric):
        return False
    total = sum(w * n for w, n in zip((2, 7, 6, 5, 4, 3, 2), _digits(nric[1:8]), strict=True))
    total += {"T": 4, "G": 4, "M": 3}.get(nric[0], 0)
    table = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK"}
    letters = table.get(nric[0], "KLJNPQRTUWX")
    index = total % 11 if nric[0] != "M" else 10 - total % 11
    return nric[8] == letters[index]


def cuit_valid(digits: str) -> bool:
    """Argentine CUIT/CUIL of a person (20, 23, 24 or 27 first; 30, 33 and 34 are companies,
    which print theirs on every invoice): weights 5-4-3-2-7-6-5-4-3-2, mod 11."""
    if not re.fullmatch(r"\d{11}", digits) or digits[:2] not in ("20", "23", "24", "27"):
        return False
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    check = 11 - sum(int(d) * w for d, w in zip(digits[:10], weights, strict=True)) % 11
    # 10 is never issued: such a person gets prefix 23 instead, and a check that fits it.
    return check != 10 and int(digits[10]) == check % 11


def dni_valid(dni: str) -> bool:
    """Spanish DNI (8 digits) or NIE (X/Y/Z and 7 digits) and its mod-23 check letter."""
    dni = dni.upper().replace("-", "").replace(" ", "")
    m = re.fullmatch(r"([XYZ]?)(\d{7,8})([A-Z])", dni)
    if m is None or len(m.group(1) + m.group(2)) != 8:
        return False
    number = int(str("XYZ".index(m.group(1))) + m.group(2) if m.group(1) else m.group(2))
    return m.group(3) == "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]


def personnummer_valid(digits: str) -> bool:
    """Swedish personnummer: YYMMDD (day + 60 for a coordination number), 3 digits, Luhn."""
    digits = digits[-10:]
    if len(digits) != 10 or not digits.isdigit():
        return False
    d = _digits(digits)
    day = d[4] * 10 + d[5]
    day = day - 60 if day > 60 else day
    return _birth_date(d[0] * 10 + d[1], d[2] * 10 + d[3], day) and luhn_valid(digits)


def rodne_cislo_valid(digits: str) -> bool:
    """Czech/Slovak birth number: YYMMDD (month + 50 for women, + 20 after 2004), then 3 or 4
    digits; a 10-digit one is divisible by 11."""
    if len(digits) not in (9, 10) or not digits.isdigit():
        return False
    d = _digits(digits)
    month = d[2] * 10 + d[3]
    month -= 50 if month > 50 else 0
    month -= 20 if month > 20 else 0
    if not _birth_date(d[0] * 10 + d[1], month, d[4] * 10 + d[5]):
        return False
    return len(digits) == 9 or int(digits) % 11 == 0 or (int(digits[:9]) % 11 == 10 and d[9] == 0)


def mykad_valid(digits: str) -> bool:
    """Malaysian MyKad: YYMMDD birth date, a 2-digit place of birth, 4 digits."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    d = _digits(digits)
    return _birth_date(d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]) and digits[6:8] != "00"


# ----------------------------------------------------------------------------- schemes


def ahv_valid(digits: str) -> bool:
    """Swiss AHV/AVS number: 756, 9 digits and an EAN-13 check digit."""
    if len(digits) != 13 or not digits.isdigit() or not digits.startswith("756"):
        return False
    d = _digits(digits)
    total = sum(v * (3 if i % 2 else 1) for i, v in enumerate(d[:12]))
    return (10 - total % 10) % 10 == d[12]


def nir_valid(written: str) -> bool:
    """French NIR (numéro de sécurité sociale): sex, YYMM, department (2A/2B for Corsica),
    commune, order number, and a key of 97 minus the first 13 digits mod 97."""
    nir = written.upper()
    if len(nir) != 15 or nir[0] not in "12":
        return False
    body = nir[:13].replace("2A", "19", 1) if nir[5:7] == "2A" else (
        nir[:13].replace("2B", "18", 1) if nir[5:7] == "2B" else nir[:13])
    if not (body.isdigit() and nir[13:].isdigit()):
        return False
    return 97 - int(body) % 97 == int(nir[13:])


_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4,
                    18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23], strict=True))


def codice_fiscale_valid(code: str) -> bool:
    """Italian codice fiscale: 15 characters and a check letter (odd and even positions
    weighted by their own tables, mod 26)."""
    code = code.upper()
    if len(code) != 16 or not code.isalnum() or not code.isascii():
        return False
    total = 0
    for i, c in enumerate(code[:15]):
        if i % 2 == 0:
            total += _CF_ODD[c]
        else:
            total += int(c) if c.isdigit() else ord(c) - 65
    return code[15] == chr(65 + total % 26)


def belgian_nn_valid(digits: str) -> bool:
    """Belgian national register number: YYMMDD, 3-digit order, and 97 minus the first nine
    digits mod 97 (with 2 before them for people born from 2000)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    body, check = int(digits[:9]), int(digits[9:])
    return check in (97 - body % 97, 97 - (2_000_000_000 + body) % 97)


def _mod11_weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=False)) % 11


def nif_pt_valid(digits: str) -> bool:
    """Portuguese NIF: 9 digits, weights 9..2 and a mod-11 check digit (0 for 10 or 11)."""
    if len(digits) != 9 or not digits.isdigit() or digits[0] not in "12356789":
        return False
    r = _mod11_weighted(digits, (9, 8, 7, 6, 5, 4, 3, 2))
    return int(digits[8]) == (0 if r < 2 else 11 - r)


def bsn_valid(digits: str) -> bool:
    """Dutch BSN: 9 digits passing the "elfproef" (weights 9..2 and -1, sum divisible by 11)."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    d = _digits(digits)
    return (sum(v * (9 - i) for i, v in enumerate(d[:8])) - d[8]) % 11 == 0


def nip_valid(digits: str) -> bool:
    """Polish NIP (tax number): 10 digits, weights 6-5-7-2-3-4-5-6-7, mod 11 is the last."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    r = _mod11_weighted(digits, (6, 5, 7, 2, 3, 4, 5, 6, 7))
    return r != 10 and r == int(digits[9])


@dataclass(frozen=True, slots=True)
class IdMatch:
    """One national ID found: `kind` names its scheme; `start`/`end` are the number's span."""

    kind: str
    start: int
    end: int


def _always(written: str) -> bool:
    return True


def _never(written: str) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class _Scheme:
    """A number counts after its label (a mistyped check digit leaves it just as exposed), or
    without one when `bare(written)` allows that form and the checksum passes."""

    kind: str
    pattern: re.Pattern[str]  # group "v": the number as written
    valid: Callable[[str], bool]  # gets the number with spaces, dots, dashes, slashes removed
    label: re.Pattern[str] | None  # ends right before the number
    bare: Callable[[str], bool] = _always


def _label(words: str) -> re.Pattern[str]:
    # The label, then up to 30 characters without a digit or line break on the same line:
    # "SIN: ", "TFN on file for Mr Lee is ", "Aadhaar no. ", "PESEL klienta ".
    return re.compile(r"(?i)(?<![\w])(?:" + words + r")(?![\w])[^\d\n]{0,30}$")


def _grouped(shape: str) -> Callable[[str], bool]:
    compiled = re.compile(shape)
    return lambda written: compiled.fullmatch(written) is not None


def _strip(s: str) -> str:
    return re.sub(r"[\s.\-/()]", "", s)


_NO = r"(?:\s*(?:number|no\.?|num|nr\.?|\#))?"
_START = r"(?<![\w.-])(?<!\d )"
# A number ends at a non-word character that does not carry on its digit groups
# ("2469 0991 6787 9763" is one 16-digit reference, not a 12-digit ID and four more digits).
_END = r"(?![\w-]|[.,/]\d| \d)"


# Eleven digits in any grouping ("67891 302 285", "2234-5678-901").
_ELEVEN = r"\d(?:[ -]?\d){10}"


def _digits_pattern(body: str) -> re.Pattern[str]:
    return re.compile(_START + "(?P<v>" + body + ")" + _END)


def _letters_pattern(body: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?P<v>" + body + r")(?![\w-])")


_SCHEMES: tuple[_Scheme, ...] = (
    _Scheme(
        "sin",
        _digits_pattern(r"\d{3}([ -]?)\d{3}\2\d{3}"),
        sin_valid,
        _label(rf"sin|s\.i\.n\.?|social\s+insurance{_NO}|nas"),
        _never,
    ),
    _Scheme(
        "nino",
        _letters_pattern(
            r"(?:QQ|(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
            r"( ?)\d{2}\2\d{2}\2\d{2}\2[A-D]"
        ),
        _always,
        None,
    ),
    _Scheme(
        "pps",
        re.compile(_START + r"(?P<v>\d{7} ?[A-Wa-w][A-IWa-iw]?)(?![\w-])"),
        pps_valid,
        _label(rf"ppsn?{_NO}|personal\s+public\s+service{_NO}"),
        _never,
    ),
    _Scheme(
        "sa_id",
        _digits_pattern(r"\d{6} ?\d{4} ?\d{3}"),
        sa_id_valid,
        None,
    ),
    _Scheme(
        "tfn",
        _digits_pattern(r"\d{3}( ?)\d{3}\2\d{2,3}"),
        tfn_valid,
        _label(rf"tfn|tax\s+file{_NO}"),
        _never,
    ),
    _Scheme(
        "ird",
        _digits_pattern(r"\d{2,3}([ -]?)\d{3}\2\d{3}"),
        _always,
        _label(rf"ird{_NO}|inland\s+revenue{_NO}"),
        _never,
    ),
    _Scheme(
        "aadhaar",
        _digits_pattern(r"[2-9]\d{3}([ -]?)\d{4}\2\d{4}"),
        verhoeff_valid,
        _label(r"a{1,2}dh?a{1,2}r|uid(?:ai)?"),
        _grouped(r"\d{4}[ -]\d{4}[ -]\d{4}"),
    ),
    _Scheme("pan", _letters_pattern(r"[A-Z]{3}P[A-Z]\d{4}[A-Z]"), _always, None),
    _Scheme(
        "curp",
        _letters_pattern(
            r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX]"
            r"(?:AS|B[CS]|C[CLMSH]|D[FG]|G[TR]|HG|JC|M[CNS]|N[ETL]|OC|PL|Q[TR]|S[PLR]|T[CSL]|VZ|YN|ZS)"
            r"[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d"
        ),
        curp_valid,
        _label(r"curp"),
    ),
    _Scheme(
        "cpf",
        _digits_pattern(r"\d{3}(\.?)\d{3}\2\d{3}-?\d{2}"),
        cpf_valid,
        _label(r"cpf|cadastro\s+de\s+pessoas?\s+f[ií]sicas?"),
        _grouped(r"\d{3}\.\d{3}\.\d{3}-\d{2}"),
    ),
    _Scheme("pesel", _digits_pattern(r"\d{11}"), pesel_valid, _label(r"pesel"), _never),
    _Scheme(
        "steuer_id",
        _digits_pattern(r"\d{2} ?\d{3} ?\d{3} ?\d{3}"),
        steuer_id_valid,
        _label(
            rf"steuer-?id(?:entifikationsnummer)?|steuerliche\s+identifikationsnummer"
            rf"|idnr\.?|tax\s+id(?:entification)?{_NO}|tin"
        ),
        _never,
    ),
    _Scheme(
        "emirates_id",
        _digits_pattern(r"784([ -]?)\d{4}\2\d{7}\2\d"),
        emirates_id_valid,
        _label(r"emirates\s+id|eid"),
    ),
    _Scheme(
        # Labelled and without a checksum: read out or written in any grouping.
        "bvn", _digits_pattern(_ELEVEN), _always, _label(rf"bvn|bank\s+verification{_NO}"), _never
    ),
    _Scheme(
        "nin",
        _digits_pattern(_ELEVEN),
        _always,
        _label(rf"nin|national\s+identi(?:ty|fication){_NO}"),
        _never,
    ),
    _Scheme(
        "hkid",
        re.compile(r"(?<![\w-])(?P<v>[A-Z]{1,2}\d{6} ?\(?[0-9A]\)?)(?![\w-])"),
        hkid_valid,
        _label(r"hkid|hk\s*id|hong\s+kong\s+id(?:entity)?(?:\s+card)?"),
        _grouped(r"[A-Z]{1,2}\d{6} ?\([0-9A]\)"),
    ),
    _Scheme(
        "nric",
        _letters_pattern(r"[STFGM]\d{7}[A-Z]"),
        nric_valid,
        _label(r"nric|fin|ic(?:\s+no\.?)?"),
    ),
    _Scheme(
        "mykad",
        _digits_pattern(r"\d{6}(-?)\d{2}\2\d{4}"),
        mykad_valid,
        _label(r"i/?c|mykad|nric|kad\s+pengenalan"),
        _grouped(r"\d{6}-\d{2}-\d{4}"),
    ),
    _Scheme(
        "cnic",
        _digits_pattern(r"\d{5}(-?)\d{7}\2\d"),
        _always,
        _label(r"cnic|nicop|nic"),
        _grouped(r"\d{5}-\d{7}-\d"),
    ),
    _Scheme("ghana_card", _letters_pattern(r"GHA-\d{9}-\d"), _always, None),
    _Scheme(
        "kra_pin", _letters_pattern(r"[AP]\d{9}[A-Z]"), _always, _label(r"kra(?:\s+pin)?|pin"),
        _never,
    ),
    _Scheme(
        "nid",
        _digits_pattern(r"\d{10}|\d{13}|\d{17}"),
        _always,
        _label(rf"nid{_NO}|smart\s+card"),
        _never,
    ),
    _Scheme(
        "citizenship",
        _digits_pattern(r"\d{1,3}(?:[-/]\d{1,5}){2,4}|\d{6,12}"),
        _always,
        _label(rf"nagarikta{_NO}|citizenship(?:\s+certificate)?{_NO}"),
        _never,
    ),
    _Scheme("pan_np", _digits_pattern(r"\d{9}"), _always, _label(r"pan"), _never),
    _Scheme(
        "personnummer",
        _digits_pattern(r"(?:19|20)?\d{6}[-+]\d{4}"),
        personnummer_valid,
        _label(r"personnummer|personal\s+identity\s+number"),
    ),
    _Scheme(
        "cuit",
        _digits_pattern(r"2[0347]-?\d{8}-?\d"),  # a person's: labelled or not
        cuit_valid,
        _label(r"cuit|cuil"),
        _grouped(r"\d{2}-\d{8}-\d"),
    ),
    _Scheme(
        "dni",
        _letters_pattern(r"\d{8}-?[A-Z]|[XYZ]-?\d{7}-?[A-Z]"),
        dni_valid,
        _label(r"dni|nie|nif"),
    ),
    _Scheme(
        "rodne_cislo",
        _digits_pattern(r"\d{6}/\d{3,4}"),
        rodne_cislo_valid,
        _label(r"rodn[eé]\s+[cč][ií]slo|r\.?\s?[cč]\.?|birth\s+number"),
    ),
    _Scheme(
        "ahv",
        _digits_pattern(r"756(\.?)\d{4}\2\d{4}\2\d{2}"),
        ahv_valid,
        _label(r"ahv|avs|ahv-nr\.?|ahv-nummer|sozialversicherungsnummer|no\s+avs"),
    ),
    _Scheme(
        "nir",
        re.compile(r"(?<![\w.-])(?P<v>[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2})"
                   r"(?![\w-]| \d)"),
        nir_valid,
        _label(r"nir|insee|s[ée]curit[ée]\s+sociale|s[ée]cu|num[ée]ro\s+de\s+s[ée]cu\w*"),
        _grouped(r"[12] \d{2} \d{2} (?:\d{2}|2[AB]) \d{3} \d{3} \d{2}"),
    ),
    _Scheme(
        "codice_fiscale",
        _letters_pattern(r"[A-Z]{6}\d{2}[ABCDEHLMPRST]\d{2}[A-Z]\d{3}[A-Z]"),
        codice_fiscale_valid,
        _label(r"codice\s+fiscale|c\.?\s?f\.?|cod\.?\s+fisc\.?"),
    ),
    _Scheme(
        "belgian_nn",
        _digits_pattern(r"\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}"),
        belgian_nn_valid,
        _label(r"num[ée]ro\s+national|n°\s+national|rijksregisternummer|rijksregister"
               r"|national\s+(?:register\s+)?number|nn|rrn"),
        _grouped(r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}"),
    ),
    _Scheme(
        "nif_pt",
        _digits_pattern(r"\d{3} ?\d{3} ?\d{3}"),
        nif_pt_valid,
        _label(r"nif|contribuinte|n[úu]mero\s+(?:de\s+)?(?:identifica[cç][aã]o\s+)?fiscal"),
        _never,
    ),
    _Scheme(
        "bsn",
        _digits_pattern(r"\d{9}|\d{4}\.\d{2}\.\d{3}"),
        bsn_valid,
        _label(r"bsn|burgerservicenummer|sofi-?nummer"),
        _never,
    ),
    _Scheme(
        "nip",
        _digits_pattern(r"\d{3}-?\d{3}-?\d{2}-?\d{2}|\d{3}-\d{2}-\d{2}-\d{3}"),
        nip_valid,
        _label(r"nip"),
        _never,
    ),
)
NATIONAL_ID_KINDS = tuple(dict.fromkeys([*(s.kind for s in _SCHEMES), "id_number"]))

# A person's ID after a bare "ID" label ("ID no. 27845126", "your ID 23456781"), unless the
# word before names something else's ID: "customer ID", "transaction ID", "ticket ID".
_ID_LABEL = re.compile(
    r"(?i)(?:(?P<pre>[\w/-]+)\s+)?(?<![\w/.-])(?:national\s+)?(?:id|identity)(?:\s+card)?"
    r"(?:\s*(?:number|no\.?|nr\.?|\#))?[\s:.#=-]{0,4}$"
)
_ID_NUMBER = _digits_pattern(r"\d{6,13}")
_NOT_A_PERSON = frozenset(
    """
    customer client account order transaction txn trans user login ticket reference ref
    invoice tracking vendor supplier employee staff member payment case request session device
    message mail email e-mail batch job company merchant terminal portal app meeting zoom skype
    caller file document doc record claim contract project product item sku part shipment
    delivery consignment booking reservation remittance trade deal dispute complaint query
    incident service unique internal system sap erp crm vat gst tax business registration
    group chat whatsapp telegram wechat teams slack mandate creditor debtor payer payee
    beneficiary bank branch swift utr upi store site location shop outlet asset serial model
    licence license contact lead opportunity quote sales purchase po so smtp esmtp esmtps
    esmtpsa lmtp http https mapi
    """.split()
)
# Where an ID can start: a number (with single separators), with up to five capital letters
# glued or spaced before it ("AB 12 34 56 C", "ABCPK1234D", "GHA-721456983-4", "K123456(3)").
# Each scheme is tried only at these places, not over the whole message.
_CANDIDATE = re.compile(
    r"(?<![\w.-])(?:[A-Z]{1,5}[- ]?)?(?P<d>\d)(?:[ .\-/]?\d){3,}"
    r"|(?<![\w-])(?=[A-Z]{6}\d\d[A-Z]\d\d[A-Z]\d{3}[A-Z])"  # a codice fiscale
)


def find_national_ids(text: str) -> Iterator[IdMatch]:
    """Every national ID number in `text` that follows its label, or that passes its
    scheme's checks in a form that needs none. Overlaps are resolved by the caller."""
    starts: list[int] = []
    for c in _CANDIDATE.finditer(text):
        starts.append(c.start())
        if c.group("d") is not None and c.start("d") != c.start():
            starts.append(c.start("d"))
    if not starts:
        return
    for scheme in _SCHEMES:
        for pos in starts:
            m = scheme.pattern.match(text, pos)
            if m is None:
                continue
            written = m.group("v")
            labelled = scheme.label is not None and scheme.label.search(
                text, max(0, pos - 60), pos
            )
            if labelled or (scheme.bare(written) and scheme.valid(_strip(written))):
                yield IdMatch(scheme.kind, pos, m.end("v"))
    for pos in starts:
        m = _ID_NUMBER.match(text, pos)
        if m is None:
            continue
        label = _ID_LABEL.search(text, max(0, pos - 60), pos)
        if label is not None and (label.group("pre") or "").lower() not in _NOT_A_PERSON:
            yield IdMatch("id_number", pos, m.end("v"))
