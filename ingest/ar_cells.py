"""The cells of an AR export: amounts as accounting exports write them, dates, yes/no flags
and lists; each parser raises ValueError saying what was wrong.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

_CENT = Decimal("0.0001")  # what the store keeps
_LIMIT = Decimal(10) ** 14  # Numeric(18, 4)

_NUMBER = {
    False: re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+"),
    True: re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d*)?|,\d+"),
}
_CODE = re.compile(r"(?<![A-Za-z])[A-Za-z]{3}(?![A-Za-z])")  # USD 1,200.00 / 1.200,00 EUR
_GAPS = re.compile(r"[\s'\u2019]+")  # 1 234,56 / 1'234.56: thousands, like the separator


def parse_amount(value: str, decimal_comma: bool = False) -> Decimal:
    """An amount as accounting exports write it; raises ValueError saying what was wrong."""
    number = _amount(value, decimal_comma)
    if number is None:
        hint = ""
        if _amount(value, not decimal_comma) is not None:
            hint = f" (is decimal_comma = {str(decimal_comma).lower()} right?)"
        raise ValueError(f"{value!r} is not a number{hint}")
    if abs(number) >= _LIMIT:
        raise ValueError(f"{value!r} is too large")
    return number


def _amount(value: str, decimal_comma: bool) -> Decimal | None:
    s = "".join(ch for ch in value.strip() if unicodedata.category(ch) != "Sc")
    s = _CODE.sub("", s, count=1).strip().replace("\u2212", "-")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    if s[:1] in ("-", "+") or s.endswith("-"):
        if negative:  # "(-120)": two signs, say which you mean
            return None
        negative = s[:1] == "-" or s.endswith("-")
        s = s[1:] if s[:1] in ("-", "+") else s[:-1]
        s = s.strip()
    s = _GAPS.sub("." if decimal_comma else ",", s)
    if not _NUMBER[decimal_comma].fullmatch(s):
        return None
    thousands, point = (".", ",") if decimal_comma else (",", ".")
    try:
        number = Decimal(s.replace(thousands, "").replace(point, ".")).quantize(_CENT)
    except InvalidOperation:  # too many digits for the context
        return None
    return -number if negative else number


def parse_date(value: str, date_format: str | None = None) -> date:
    """A date in `date_format`, or ISO 8601 (a time part is ignored)."""
    s = value.strip()
    if date_format:
        try:
            return datetime.strptime(s, date_format).date()
        except ValueError:
            pass
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(s).date()
    except ValueError:
        pass
    expected = f"{date_format} or " if date_format else ""
    raise ValueError(f"{value!r} is not a date (expected {expected}YYYY-MM-DD)")


_TRUE = {"true", "t", "yes", "y", "1", "x"}
_FALSE = {"false", "f", "no", "n", "0", ""}


def parse_flag(value: str) -> bool:
    s = value.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes/no (expected true/false, yes/no, 1/0)")


def _split(value: str) -> list[str]:
    return [v.strip().lower() for v in re.split(r"[;,\s]+", value or "") if v.strip()]
