"""PII detection: checksums, near-misses, masking, and agreement with the labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nlp.pii import (
    PiiFinding,
    aba_valid,
    find_pii,
    iban_valid,
    luhn_valid,
    mask_pii,
    ssn_valid,
)

CORPUS = Path(__file__).resolve().parents[2] / "nlp" / "data" / "corpus"


# ----------------------------------------------------------------------------- checksums


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("378282246310005", True),  # Amex test number
        ("5555555555554444", True),
        ("79927398713", True),  # the textbook Luhn example
        ("4111111111111112", False),
        ("79927398710", False),
        ("", False),
        ("4111 1111 1111 1111", False),  # digits only: callers strip separators
        ("41111111111111a1", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("gb82west12345698765432", True),  # lower case, no spaces
        ("DE89370400440532013000", True),
        ("NO9386011117947", True),  # shortest country
        ("FR1420041010050500013M02606", True),  # letter inside the BBAN
        ("GB82 WEST 1234 5698 7654 33", False),  # one digit off: mod-97 fails
        ("GB83 WEST 1234 5698 7654 32", False),  # wrong check digits
        ("GB82 WEST 1234 5698 7654", False),  # too short for GB
        ("XX82WEST12345698765432", False),  # not a country
        ("DE89 **** **** **** 3000", False),
    ],
)
def test_iban(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


@pytest.mark.parametrize(
    ("routing", "valid"),
    [
        ("021000021", True),
        ("011000015", True),
        ("322271627", True),
        ("021000022", False),  # checksum
        ("123456789", False),  # checksum
        ("991000021", False),  # no such Federal Reserve prefix
        ("02100002", False),
    ],
)
def test_aba(routing: str, valid: bool) -> None:
    assert aba_valid(routing) is valid


@pytest.mark.parametrize(
    ("ssn", "valid"),
    [
        ("123-45-6789", True),
        ("899-01-0001", True),
        ("000-12-3456", False),
        ("666-12-3456", False),
        ("912-12-3456", False),
        ("123-00-3456", False),
        ("123-45-0000", False),
    ],
)
def test_ssn_rules(ssn: str, valid: bool) -> None:
    assert ssn_valid(*ssn.split("-")) is valid
    assert bool(find_pii(f"SSN on file: {ssn}.")) is valid


# ----------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("We tried to charge your card 4111 1111 1111 1111.", "card", "4111 1111 1111 1111"),
        ("card: 4111-1111-1111-1111, thanks", "card", "4111-1111-1111-1111"),
        ("Amex 3782 822463 10005 on file", "card", "3782 822463 10005"),
        ("Card 4111111111111111 exp 04/27", "card", "4111111111111111"),
        ("card 4111 1111 1111 1111 0427", "card", "4111 1111 1111 1111"),  # expiry run-on
        ("Refund to GB82 WEST 1234 5698 7654 32 today", "iban", "GB82 WEST 1234 5698 7654 32"),
        ("iban: gb82west12345698765432.", "iban", "gb82west12345698765432"),
        ("Sort code 20-00-00, account number 12345678", "bank_account", "12345678"),
        ("account 12345678 sort code 200000", "bank_account", "12345678"),
        ("routing number 021000021, account 1234567890", "bank_account", "1234567890"),
        ("acct no. 000123456789, ABA 021000021", "bank_account", "000123456789"),
        ("we have your SSN as 123-45-6789.", "ssn", "123-45-6789"),
        ("SSN: 123 45 6789", "ssn", "123 45 6789"),
        ("social security number 123456789", "ssn", "123456789"),
        ("Your temporary portal password is Copper%388.", "password", "Copper%388"),
        ("ur new login pw: XVtN3n7dB3", "password", "XVtN3n7dB3"),
        ("pw for the payment portal is kXGqkk57N9 - change it", "password", "kXGqkk57N9"),
        ("Login: jo@x.example / password: Granite$770", "password", "Granite$770"),
        ("new password Lagoon#1442 for the portal", "password", "Lagoon#1442"),
        ("temporary password: Tq8#vLm2", "password", "Tq8#vLm2"),
        ("pwd: hunter22", "password", "hunter22"),
        ('Your password has been reset to "Xy7!abcd".', "password", "Xy7!abcd"),
        ("password: sunshine", "password", "sunshine"),
        ("Your PIN is 4821.", "password", "4821"),
        ("Your portal login: user mkowalski / password Tulip#2026.", "password", "Tulip#2026"),
        ("passcode 8812-Kq for the gate", "password", "8812-Kq"),
    ],
)
def test_finds(text: str, kind: str, found: str) -> None:
    start = text.index(found)
    assert find_pii(text) == [PiiFinding(kind, start, start + len(found), found)]


@pytest.mark.parametrize(
    "text",
    [
        "We attempted to charge the card ending 4242 on 3 May, but the payment was declined.",
        "so I can see a card on file ending in 0042, shall I use that one?",
        "Our records show the mandate is linked to account DE89 **** **** **** 3000.",
        "The direct debit from GB29 **** **** **** 1234 was returned unpaid by your bank.",
        "IBAN GB82 WEST 1234 5698 7654 33",  # fails mod-97
        "To verify your identity, I'll only need the last four digits of your SSN.",
        "You can reach me directly on +1 (555) 012-3456 or +44 20 7946 0123.",
        "Call 555-0142 or 1-800-555-0199 for help.",
        "Invoice INV-10023, PO 7781, Invoice 2025/0113, #45521: $27,800.00 due 2026-03-02.",
        "Your order SO-123456 has been dispatched, tracking number 1Z999AA10123456784.",
        "Please quote reference 1234 5678 9012 3456 on your transfer.",  # fails Luhn
        "Card 4111 1111 1111 1112 was declined.",  # fails Luhn
        "UTR123456789012 and cheque 123456 received.",
        "Please reset your portal password using the link on the login page.",
        "Password reset: https://portal.example/reset?token=abc123XYZ",
        "Your password: https://portal.example/reset?token=abc123XYZ",
        "We will never ask for your password or PIN by email.",
        "Your password is incorrect.",
        "Your password is case-sensitive.",
        "password: ********",
        "Password: [redacted]",
        "The new password policy applies from Monday.",
        "password reset link below",
        "Password Policy 2026 applies to every portal user.",
        "pin 2024 to the board",  # "pin" without ":" or "is" is a word, not a key
        "account number 12345678",  # a UK account needs its sort code
        "SSN 666-12-3456",
    ],
)
def test_near_misses_are_not_pii(text: str) -> None:
    assert find_pii(text) == []


def test_findings_are_sorted_and_do_not_overlap() -> None:
    text = (
        "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, "
        "password: Xy7!abcd and sort code 20-00-00 account 12345678."
    )
    findings = find_pii(text)
    assert [f.kind for f in findings] == ["card", "iban", "ssn", "password", "bank_account"]
    for f in findings:
        assert text[f.start : f.end] == f.text
    for a, b in zip(findings, findings[1:], strict=False):
        assert a.end <= b.start


def test_an_iban_is_not_also_read_as_a_card() -> None:
    # "3704 0044 0532 0130 00" inside this IBAN could be tried as a card number.
    text = "IBAN DE89 3704 0044 0532 0130 00"
    assert [f.kind for f in find_pii(text)] == ["iban"]


# ----------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 4111 1111 1111 1111.", "card **** **** **** 1111."),
        ("card 4111-1111-1111-1111", "card ****-****-****-1111"),
        ("SSN 123-45-6789", "SSN ***-**-6789"),
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN **** **** **** **** **30 00"),
        ("sort code 20-00-00, account 12345678", "sort code 20-00-00, account ****5678"),
        ("pwd: Xy7!abcd.", "pwd: ********."),
        ("Nothing to see: INV-10023.", "Nothing to see: INV-10023."),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask_pii(text) == masked
    assert len(mask_pii(text)) == len(text)
    assert find_pii(mask_pii(text)) == []


# ----------------------------------------------------------------------------- corpus


def _outbound() -> list[Any]:
    params: list[Any] = []
    for split in ("train", "dev"):
        for line in (CORPUS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            ex = json.loads(line)
            if ex["direction"] != "outbound":
                continue
            expected = "pii_exposure" in ex["labels"]
            params.append(pytest.param(ex["text"], expected, id=ex["id"]))
    return params


@pytest.mark.parametrize(("text", "expected"), _outbound())
def test_corpus_outbound(text: str, expected: bool) -> None:
    assert bool(find_pii(text)) is expected
