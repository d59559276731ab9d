"""PII detection: checksums, near-misses, masking, and agreement with the labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nlp import idnumbers
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


# Published examples of each scheme (Wikipedia, the issuing agencies' sample numbers) and the
# same numbers with one digit or letter changed.
@pytest.mark.parametrize(
    ("check", "value", "valid"),
    [
        (idnumbers.verhoeff_valid, "2363", True),
        (idnumbers.verhoeff_valid, "468599528907", True),
        (idnumbers.verhoeff_valid, "468599528908", False),
        (idnumbers.verhoeff_valid, "468599529807", False),  # adjacent swap
        (idnumbers.sin_valid, "046454286", True),  # the sample number forms print
        (idnumbers.sin_valid, "419487574", True),
        (idnumbers.sin_valid, "419487575", False),
        (idnumbers.sa_id_valid, "8001015009087", True),
        (idnumbers.sa_id_valid, "8001015009088", False),
        (idnumbers.sa_id_valid, "8013015009087", False),  # month 13
        (idnumbers.sa_id_valid, "8001015009287", False),  # citizenship digit 2
        (idnumbers.tfn_valid, "123456782", True),
        (idnumbers.tfn_valid, "123456783", False),
        (idnumbers.pps_valid, "1234567T", True),
        (idnumbers.pps_valid, "1234567FA", True),  # 2013 format, second letter in the check
        (idnumbers.pps_valid, "1234567TA", False),
        (idnumbers.curp_valid, "HEGG560427MVZRRL04", True),  # RENAPO's example
        (idnumbers.curp_valid, "HEGG560427MVZRRL05", False),
        (idnumbers.curp_valid, "HEGG561327MVZRRL04", False),  # month 13
        (idnumbers.clabe_valid, "032180000118359719", True),
        (idnumbers.clabe_valid, "032180000118359718", False),
        (idnumbers.cpf_valid, "52998224725", True),
        (idnumbers.cpf_valid, "52998224726", False),
        (idnumbers.cpf_valid, "11111111111", False),  # equal digits pass the sums, never issued
        (idnumbers.pesel_valid, "44051401359", True),
        (idnumbers.pesel_valid, "44051401358", False),
        (idnumbers.pesel_valid, "44153401359", False),  # no such month in any century
        (idnumbers.steuer_id_valid, "86095742719", True),
        (idnumbers.steuer_id_valid, "86095742718", False),
        (idnumbers.steuer_id_valid, "06095742719", False),
        (idnumbers.emirates_id_valid, "784198700147121", True),
        (idnumbers.emirates_id_valid, "784198700147122", False),
        (idnumbers.hkid_valid, "C6686689", True),
        (idnumbers.hkid_valid, "C6686688", False),
        (idnumbers.nric_valid, "S1234567D", True),
        (idnumbers.nric_valid, "S1234567A", False),
        (idnumbers.dni_valid, "12345678Z", True),
        (idnumbers.dni_valid, "X1234567L", True),  # NIE
        (idnumbers.dni_valid, "12345678A", False),
        (idnumbers.personnummer_valid, "8112289874", True),
        (idnumbers.personnummer_valid, "8112289875", False),
        (idnumbers.rodne_cislo_valid, "7801233540", True),
        (idnumbers.rodne_cislo_valid, "7801233541", False),
        (idnumbers.mykad_valid, "900515144890", True),
        (idnumbers.mykad_valid, "901315144890", False),
        (idnumbers.ahv_valid, "7569217076985", True),  # the AHV office's example
        (idnumbers.ahv_valid, "7569217076986", False),
        (idnumbers.ahv_valid, "7579217076985", False),  # not 756
        (idnumbers.nir_valid, "185057800608491", True),
        (idnumbers.nir_valid, "185057800608492", False),
        (idnumbers.codice_fiscale_valid, "RSSMRA85T10A562S", True),  # the usual example
        (idnumbers.codice_fiscale_valid, "RSSMRA85T10A562T", False),
        (idnumbers.belgian_nn_valid, "85073003328", True),
        (idnumbers.belgian_nn_valid, "00010100105", True),  # born in 2000: 2 before the nine
        (idnumbers.belgian_nn_valid, "85073003329", False),
        (idnumbers.nif_pt_valid, "123456789", True),
        (idnumbers.nif_pt_valid, "123456780", False),
        (idnumbers.cuit_valid, "20172543597", True),  # a widely published person's CUIT
        (idnumbers.cuit_valid, "20172543598", False),
        (idnumbers.cuit_valid, "30500010912", False),  # a company's (30): printed on invoices
        (idnumbers.cbu_valid, "2850590940090418135201", True),  # the usual published example
        (idnumbers.cbu_valid, "2850590940090418135202", False),  # account check digit wrong
        (idnumbers.cbu_valid, "2850591940090418135201", False),  # branch check digit wrong
        (idnumbers.bsn_valid, "111222333", True),
        (idnumbers.bsn_valid, "111222334", False),
        (idnumbers.nip_valid, "5261040828", True),
        (idnumbers.nip_valid, "5261040829", False),
    ],
)
def test_national_id_checksums(check: Any, value: str, valid: bool) -> None:
    assert check(value) is valid


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
        ("So the login's your email, and the password I set is, um, Laurentide2027! with the",
         "password", "Laurentide2027!"),
        ("your payment portal login is ref CG-77102 and PIN 604418. Pay", "password", "604418"),
        ("his login: mike.t@coastline.example / Scaffold!2027 for the invoices", "password",
         "Scaffold!2027"),
        ("passcode 8812-Kq for the gate", "password", "8812-Kq"),
        (
            "here is the password for the customer portal account we set up for you: DPC#Dubai26",
            "password",
            "DPC#Dubai26",
        ),
        # other countries' bank details
        ("BSB 062-000, account 123456", "bank_account", "123456"),
        ("A/c No: 50100234567890\nIFSC: HDFC0001234", "bank_account", "50100234567890"),
        ("transit 12345, institution 003, account 1234567", "bank_account", "1234567"),
        ("branch code 250655, account number 62012345678", "bank_account", "62012345678"),
        ("Konto 1234567890, BLZ 370 400 44", "bank_account", "1234567890"),
        ("CLABE interbancaria: 032180000118359719", "bank_account", "032180000118359719"),
        ("deposit it to 12-3456-0123456-00 please", "bank_account", "12-3456-0123456-00"),
        ("we have your account as 453925118 at routing 049282999", "bank_account", "453925118"),
        ("your debit order from FNB account 66388887415 bounced", "bank_account", "66388887415"),
        ("we will debit your Equity account 0180291456723 on the 25th", "bank_account",
         "0180291456723"),
        ("your cheque drawn on a/c 30219876543 (SBI) has bounced", "bank_account", "30219876543"),
        # national IDs
        ("Customer SIN: 419 487 574 confirmed.", "sin", "419 487 574"),
        ("NI number AB 12 34 56 C on file", "nino", "AB 12 34 56 C"),
        ("His PPS number is 1234567T.", "pps", "1234567T"),
        ("ID 8001015009087 matches the guarantor", "sa_id", "8001015009087"),
        ("8001015009087 is the director's number", "sa_id", "8001015009087"),
        ("TFN 123 456 782 for the director", "tfn", "123 456 782"),
        ("IRD number 086-512-447 on the guarantee", "ird", "086-512-447"),
        ("Aadhaar no. 468599528907 verified", "aadhaar", "468599528907"),
        ("we hold 4685 9952 8907 for you", "aadhaar", "4685 9952 8907"),
        ("PAN ABCPK1234D on the credit form", "pan", "ABCPK1234D"),
        ("CURP HEGG560427MVZRRL04", "curp", "HEGG560427MVZRRL04"),
        ("CPF 529.982.247-25", "cpf", "529.982.247-25"),
        ("cpf 52998224725", "cpf", "52998224725"),
        ("PESEL 44051401359", "pesel", "44051401359"),
        ("Steuer-ID 86 095 742 719", "steuer_id", "86 095 742 719"),
        ("Emirates ID 784-1982-4567321-8 and passport", "emirates_id", "784-1982-4567321-8"),
        ("784-1987-0014712-1 is on the file", "emirates_id", "784-1987-0014712-1"),
        ("BVN 22123456789", "bvn", "22123456789"),
        ("BVN: 2212-3456-789 on the mandate", "bvn", "2212-3456-789"),
        ("I have your NIN as 67891 302 285, kindly confirm", "nin", "67891 302 285"),
        ("director's guarantee (HKID K123456(3))", "hkid", "K123456(3)"),
        ("NRIC S7834521D, Blk 412 Bedok", "nric", "S7834521D"),
        ("your IC no. 850612-14-5523 and company reg. no. 201901023456", "mykad",
         "850612-14-5523"),
        ("Aap ka CNIC 35202-8841236-7 hamare paas hai", "cnic", "35202-8841236-7"),
        ("your Ghana Card number GHA-721456983-4 is on the form", "ghana_card", "GHA-721456983-4"),
        ("the credit form shows ID No. 27845126 under your name", "id_number", "27845126"),
        ("Mr Kamau you are a thief. ID 23456781, we know", "id_number", "23456781"),
        ("KRA PIN A004512789K under your name", "kra_pin", "A004512789K"),
        ("we have your NID no. 8712345609", "nid", "8712345609"),
        ("nagarikta no. 27-01-74-05123", "citizenship", "27-01-74-05123"),
        ("personnummer 811228-9874", "personnummer", "811228-9874"),
        ("DNI 12345678Z, Calle Mayor 22", "dni", "12345678Z"),
        ("rodné číslo 780123/3540", "rodne_cislo", "780123/3540"),
        ("Ihre AHV-Nummer 756.9217.0769.85 ist hinterlegt", "ahv", "756.9217.0769.85"),
        ("7569217076985 steht im Antrag", "ahv", "7569217076985"),
        ("votre numéro de sécurité sociale 185057800608491", "nir", "185057800608491"),
        ("NIR 1 85 05 78 006 084 91 au dossier", "nir", "1 85 05 78 006 084 91"),
        ("codice fiscale RSSMRA85T10A562S, via Roma 3", "codice_fiscale", "RSSMRA85T10A562S"),
        ("RSSMRA85T10A562S risulta dal contratto", "codice_fiscale", "RSSMRA85T10A562S"),
        ("numéro national 85.07.30-033.28", "belgian_nn", "85.07.30-033.28"),
        ("o seu NIF 123456789 consta da ficha", "nif_pt", "123456789"),
        ("uw BSN 111222333 staat in het dossier", "bsn", "111222333"),
        ("Titular: Pablo Ledesma – CUIT 20-17254359-7", "cuit", "20-17254359-7"),
        ("su CUIL 20172543597 figura en el legajo", "cuit", "20172543597"),
        ("CBU: 2850590940090418135201 a nombre del titular", "bank_account",
         "2850590940090418135201"),
        ("NIP 526-104-08-28 i PESEL w aktach", "nip", "526-104-08-28"),
        # passwords in the customer's language
        ("login: 4412.mercado | senha: Pk#72vaLq", "password", "Pk#72vaLq"),
        ("a senha provisória é Acme@2026! é só trocar", "password", "Acme@2026!"),
        ("login: piotr | hasło: Wiosna!2026pb", "password", "Wiosna!2026pb"),
        # the key word, then a generated-looking secret, with no ":" between
        ("usuario hernan.rozo / contraseña Girasol#2026. Pague hoy", "password", "Girasol#2026"),
        ("login fernanda.lima / senha Verd@2026lima. Qualquer coisa", "password",
         "Verd@2026lima"),
        ("Ihr Passwort lautet Tulpe#2026", "password", "Tulpe#2026"),
        ("le mot de passe est Soleil2026!", "password", "Soleil2026!"),
        ("la contraseña es Lima#4432", "password", "Lima#4432"),
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
        "Senha é obrigatória no primeiro acesso.",  # prose about a password, not one
        "Das Passwort ist vertraulich.",
        "7569217076986 steht im Antrag",  # an AHV shape failing its check digit
        "CUIT 30-50001091-2 en todas nuestras facturas",  # a company's CUIT
        "pedido 20172543597 despachado",  # a CUIT's shape without label or dashes
        "CBU 2850590940090418135202",  # failing its check digit
        "senha obrigatória para acessar o portal",  # prose: no generated-looking secret
        "Rechnung 5261040828 vom 12.11.",  # a NIP shape without its label
        # numbers that look like other countries' IDs and accounts
        "The payment reference on our side is 2469 0991 6787 9763, please quote it.",
        "GSTIN 27ABCPK1234D1Z5 on the tax invoice",  # a business's tax registration
        "Our PAN AAACR1234F is on every invoice",  # a company's PAN, printed on invoices
        "Transaction ID 20260412345 refers to your transfer.",
        "Customer ID 10023456 / ticket ID 4412345",
        "Call 046 454 286 or 0412 345 678.",  # a SIN's shape without its label
        "UTR 412345678901 received with thanks",  # 12 digits, no Aadhaar label or grouping
        "Your GL account 40010000 was credited.",
        "Your account 1000234567 is overdue.",  # a customer number, no bank around it
        "TFN on file: see the attached form",
        "ID ending 4412 was verified",
        "Order 67891 302 285 shipped",  # eleven digits in groups, with no ID label
        "cc a.b@c.example / d.e@f.example on the login issue",  # two addresses, no secret
        "Login: send it to a.b@c.example / accounts team",
        "NIN 1234 5678 9012 3456 is a card's shape, not a NIN's",
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


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        (
            "I have your social as five three one, four four, eight eight two zero, is that right",
            "ssn",
            "five three one, four four, eight eight two zero",
        ),
        (
            "read it back: four six six one three one eight six zero nine one three nine zero "
            "nine zero, expiry eleven twenty seven",
            "card",
            "four six six one three one eight six zero nine one three nine zero nine zero",
        ),
        (
            "routing zero two one zero zero zero zero two one, account number four eight three "
            "nine two zero one seven five five, and",
            "bank_account",
            "four eight three nine two zero one seven five five",
        ),
        (
            "your BSB as zero six two zero zero zero and account number one two three four "
            "double five six seven",
            "bank_account",
            "one two three four double five six seven",
        ),
        (
            "I have your NIN as six seven eight nine one, three zero two, two eight five. Abeg "
            "confirm",
            "nin",
            "six seven eight nine one, three zero two, two eight five",
        ),
        # read in pairs and with hyphens inside a group: 307 61 0378
        (
            "I've got your Social right here. Three-oh-seven, sixty-one, oh-three-seven-eight. "
            "You want me to make some calls?",
            "ssn",
            "Three-oh-seven, sixty-one, oh-three-seven-eight",
        ),
        (
            "for the direct debit I've got sort code twenty, thirty-two, oh-six, account number "
            "four three nine one, two eight six seven. Is that right?",
            "bank_account",
            "four three nine one, two eight six seven",
        ),
    ],
)
def test_numbers_read_out_on_a_call(text: str, kind: str, found: str) -> None:
    start = text.index(found)
    assert find_pii(text) == [PiiFinding(kind, start, start + len(found), found)]
    masked = mask_pii(text)
    assert len(masked) == len(text) and found not in masked


@pytest.mark.parametrize(
    "text",
    [
        "Oh, one two three, that's easy, we'll pay the balance on Friday.",
        "I said two, maybe three, four times that we would pay.",
        "one two three four five six seven eight",  # no label: not an account or ID
        "I can pay nineteen fifty on Friday, and twenty twenty-seven is the year we expand",
    ],
)
def test_counting_aloud_is_not_pii(text: str) -> None:
    assert find_pii(text) == []


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
        ("Aadhaar 4685 9952 8907", "Aadhaar **** **** 8907"),
        ("CURP HEGG560427MVZRRL04", "CURP **************RL04"),
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
