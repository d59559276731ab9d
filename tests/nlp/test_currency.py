"""Which currency a promise's "$", "Rs" or bare "two grand" means (nlp.currency)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from nlp.amounts import find_amounts
from nlp.extract import extract_promise
from nlp.pipeline import default_tagger
from nlp.places import PlaceError, load
from tests.nlp.house import version_changes


def at(offset: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-04T10:00:00{offset}")


def currency_of(text: str, offset: str = "+00:00", hint: str | None = None) -> tuple[float | None,
                                                                                     str | None]:
    found = extract_promise(text, at(offset), currency_hint=hint)
    assert found is not None
    return found.amount, found.currency


@pytest.mark.parametrize(
    ("offset", "currency"),
    [
        ("+10:00", "AUD"), ("+11:00", "AUD"), ("+10:30", "AUD"), ("+09:30", "AUD"),
        ("+13:00", "NZD"), ("+12:00", "NZD"), ("-03:30", "CAD"),
        # Clocks several "$" countries share say nothing: the usual reading stands.
        ("+08:00", "USD"), ("-05:00", "USD"), ("-04:00", "USD"), ("+00:00", "USD"),
    ],
)
def test_a_dollar_sign_is_read_where_the_sender_is(offset: str, currency: str) -> None:
    assert currency_of("I'll transfer the $2,150 tomorrow first thing.", offset) == (
        2150.0, currency)


@pytest.mark.parametrize(
    ("offset", "currency"), [("+05:45", "NPR"), ("+05:00", "PKR"), ("+05:30", "INR"),
                             ("+00:00", "INR")],
)
def test_rupees_are_read_where_the_sender_is(offset: str, currency: str) -> None:
    assert currency_of("Sir we will deposit Rs. 90,000 on Monday.", offset) == (90000.0, currency)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        # Another amount names the currency, and the "$" beside it is the same.
        ("C$1,200 now and $800 on the 30th.", 1200.0, "CAD"),
        # A payment system one country uses.
        ("Sorry, crazy week. I'll e-transfer the $1,280 tomorrow morning.", 1280.0, "CAD"),
        ("Will BPAY the $640 on Friday.", 640.0, "AUD"),
        ("Rs 40,000 bholi pathaunchu esewa bata.", 40000.0, "NPR"),
        # A word after the sum, or anywhere in the message.
        ("I'll send the e-transfer for the fourteen fifty Canadian first thing Monday",
         1450.0, "CAD"),
        ("Friday, I will bring the cheque for the eighteen thousand TT by your office", 18000.0,
         "TTD"),
        ("I will do ten thousand Friday and ten thousand the Friday after that, TT dollars",
         10000.0, "TTD"),
        # A code alone is a currency only as what things are "in".
        ("We'll pay $500 on Friday, all in CAD.", 500.0, "CAD"),
        ("We'll pay $500 on Friday once the CAD drawings are signed off.", 500.0, "USD"),
        # Named on the amount itself: the clock does not overrule it.
        ("We'll pay $980 AUD on Friday.", 980.0, "AUD"),
        ("We'll pay US$980 on Friday.", 980.0, "USD"),
    ],
)
def test_the_message_says_which(text: str, amount: float, currency: str) -> None:
    assert currency_of(text, "-05:00") == (amount, currency)


@pytest.mark.parametrize(
    ("offset", "currency"),
    [("-06:00", "MXN"), ("-07:00", "MXN"), ("-05:00", "COP"), ("-04:00", "CLP"),
     ("-03:00", "ARS"), ("+08:00", "PHP"), ("+01:00", "MXN")],
)
def test_pesos_are_read_where_the_sender_is(offset: str, currency: str) -> None:
    # Mexico, Colombia, Chile and Argentina all write "pesos" (and "$"); with nothing else to
    # go by, the clock says which, and Mexican pesos are the usual reading elsewhere.
    assert currency_of("joven le deposito los $4,800 pesos el viernes sin falta", offset) == (
        4800.0, currency)
    assert currency_of("Le pago 45.000 pesos el viernes.", offset) == (45000.0, currency)


def test_pesos_take_the_account_currency_when_it_is_a_peso() -> None:
    assert currency_of("Le pago 45.000 pesos el viernes.", "-05:00", "CLP") == (45000.0, "CLP")
    # A euro account says nothing about which peso.
    assert currency_of("Le pago 45.000 pesos el viernes.", "-05:00", "EUR") == (45000.0, "COP")


def test_the_clock_does_not_overrule_the_message() -> None:
    # Sent from Sydney, but the amount says US dollars.
    assert currency_of("We'll wire $5,000 USD on Friday.", "+11:00") == (5000.0, "USD")
    assert currency_of("I'll e-transfer the $1,280 tomorrow.", "+10:00") == (1280.0, "CAD")


def test_two_currencies_named_leave_the_dollar_as_written() -> None:
    text = "C$1,200 now, A$300 on Monday and $800 on the 30th."
    found = extract_promise(text, at("-05:00"))
    assert found is not None and found.instalments
    assert [i.currency for i in found.instalments] == ["CAD", "AUD", "USD"]


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        # The customer's account currency settles a "$" the message does not.
        ("We'll pay the $2,000 on Friday.", "AUD", (2000.0, "AUD")),
        ("We'll pay the $2,000 on Friday.", "cad", (2000.0, "CAD")),
        # ... and gives a bare sum its currency.
        ("I'll send two grand Friday.", "CAD", (2000.0, "CAD")),
        ("We can do 5k by the 30th.", "GBP", (5000.0, "GBP")),
        # Only a currency the symbol can mean: a euro account's "$" is still dollars.
        ("We'll pay the $2,000 on Friday.", "EUR", (2000.0, "USD")),
        # What the message names outranks the account.
        ("We'll pay US$2,000 on Friday.", "CAD", (2000.0, "USD")),
        ("Will BPAY the $640 on Friday.", "NZD", (640.0, "AUD")),
        # No account, no currency named, a clock several countries share: a bare sum keeps
        # none.
        ("I'll send two grand Friday.", None, (2000.0, None)),
    ],
)
def test_the_account_currency(text: str, hint: str | None,
                              expected: tuple[float, str | None]) -> None:
    assert currency_of(text, "+00:00", hint) == expected


@pytest.mark.parametrize(
    ("text", "thread", "hint", "expected"),
    [
        # The reminder a reply quotes names the currency; the reply's "$" is the same.
        ("We will make payment via GIRO on 7 Dec for the amount of $5,418.60.",
         "\n-----Original Message-----\nInvoices SG-11208 (S$3,180.00) and SG-11215"
         " (S$2,238.60) are overdue.", None, (5418.6, "SGD")),
        # ... and outranks the account's currency, which may be a default nobody set.
        ("Will lodge $185,000 on Monday.", "\n> Invoice JM-4471 for J$185,000.00 is overdue.",
         "USD", (185000.0, "JMD")),
        # A bare sum takes it too, as it would the account's.
        ("Will pay the 2 grand on Thurs.", "\n> £4,000 is now overdue.", None, (2000.0, "GBP")),
        # A thread naming two currencies settles nothing: the account does.
        ("We'll pay the $900 Friday.", "\n> C$900 on INV-1 and US$400 on INV-2.", "CAD",
         (900.0, "CAD")),
        # What the reply itself names outranks the thread.
        ("We'll pay US$900 Friday.", "\n> C$900 is overdue.", None, (900.0, "USD")),
        # A currency the symbol cannot mean is no evidence: a euro thread leaves "$" as USD.
        ("We'll pay the $900 Friday.", "\n> EUR 900 is overdue.", None, (900.0, "USD")),
    ],
)
def test_the_quoted_thread_says_which(text: str, thread: str, hint: str | None,
                                      expected: tuple[float, str | None]) -> None:
    found = extract_promise(text, at("+00:00"), currency_hint=hint, thread=thread)
    assert found is not None and (found.amount, found.currency) == expected


def test_the_tagger_reads_the_thread_an_eval_text_quotes() -> None:
    text = ("Hi Mel, the $14,300 will go in our EFT run on the 26th.\n\nRegards,\nKylie\n\n"
            "From: Mel Hughes\nSent: Friday, 6 November 2026 3:40 PM\nSubject: overdue\n\n"
            "Hi Kylie, INV-60290 and INV-60301 are now overdue, total A$14,300.")
    (result,) = default_tagger().tag([text], sent_ats=[datetime.fromisoformat(
        "2026-11-19T08:50:00+08:00")])
    assert "promise_to_pay" in result.labels
    assert result.promise == {"amount": 14300.0, "currency": "AUD", "date": "2026-11-26"}


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        # A payment system only one country uses says what a bare sum is counted in.
        ("After Thanksgiving. I'll e-transfer the three grand Tuesday", "-05:00",
         (3000.0, "CAD")),
        ("Will send 45,000 via UPI on Monday.", "+00:00", (45000.0, "INR")),
        # So does a clock only one country's money goes by.
        ("Three thousand even, the Friday before Christmas.", "+13:00", (3000.0, "NZD")),
        ("We'll do the eleven thousand two hundred on Wednesday.", "+11:00", (11200.0, "AUD")),
        ("Will pay 45,000 on Monday sir.", "+05:30", (45000.0, "INR")),
        ("The cheque for 7,800 is dated the 30th.", "+04:00", (7800.0, "AED")),
        ("Will pay 12,000 on Sunday.", "+06:00", (12000.0, "BDT")),
        # A clock several countries share says nothing: Kenya and Saudi Arabia, Singapore
        # and Perth, the UK and Ghana, the US and Canada.
        ("Will pay 12,000 on Sunday.", "+03:00", (12000.0, None)),
        ("Will pay 12,000 on Sunday.", "+08:00", (12000.0, None)),
        ("Will pay 12,000 on Sunday.", "+00:00", (12000.0, None)),
        ("Will pay 12,000 on Sunday.", "-05:00", (12000.0, None)),
        # Shillings are Kenya's, Uganda's, Tanzania's and Somalia's: the clock they share
        # says nothing, a payment system only Kenya uses does.
        ("I will send, ah, sixty thousand shillings, by Thursday evening.", "+03:00",
         (60000.0, None)),
        ("Eighty-five thousand shillings, I'll send it on M-Pesa by Thursday.", "+03:00",
         (85000.0, "KES")),
        # The money the message's other sums are in.
        ("Wire for $42,118.90 went out this AM. Other 18k goes Friday.", "-06:00",
         (18000.0, "USD")),
        ("Ya tumetuma KSh 20,000 leo. Other 15k by Friday.", "+03:00", (15000.0, "KES")),
        # A currency named anywhere in the message, by a name that is no other word.
        ("Since the naira fall we are struggling. I'll pay the whole one point eight million "
         "end of December.", "+01:00", (1800000.0, "NGN")),
    ],
)
def test_a_bare_sum_is_read_where_the_sender_is(text: str, offset: str,
                                                expected: tuple[float, str | None]) -> None:
    assert currency_of(text, offset) == expected


def test_the_account_does_not_overrule_the_message_for_a_bare_sum() -> None:
    assert currency_of("Sending two grand Friday, all amounts in NZD.", "+00:00", "AUD") == (
        2000.0, "NZD")


@pytest.mark.parametrize(
    ("text", "shared"),
    [("$500", "$"), ("500 dollars", "$"), ("twelve hundred bucks", "$"), ("Rs 4,000", "rs"),
     ("4,000 rupees", "rs"), ("$980 AUD", None), ("C$5", None), ("US$5", None),
     ("five hundred Canadian dollars", None), ("€500", None), ("Rs 4,000 PKR", None),
     ("sixty thousand shillings", "shilling")],
)
def test_which_amounts_have_a_shared_symbol(text: str, shared: str | None) -> None:
    (money,) = find_amounts(text)
    assert money.shared == shared


@pytest.mark.parametrize(
    ("text", "offset", "hint", "expected"),
    [
        # A town, a region after a town, a company form, a phone number or a postcode in the
        # message or its signature says where the customer counts their money.
        ("We'll settle the full balance of 4,310.20 on 10/15.\n\nCarla Mendes\n"
         "Pacific Crest Collision, Fresno CA", "-07:00", None, (4310.2, "USD")),
        ("Will pay 18,000 after payday on the 25th. Kamau, Mombasa Rd Tyres", "+03:00", None,
         (18000.0, "KES")),
        ("The rest of INV-CA-22450, $2,616.75, is in our run this Friday.\n\nPriya\n"
         "Kensington Market Bistro, Toronto", "-05:00", None, (2616.75, "CAD")),
        ("Will pay $1,500 on Friday.\n\nDarlene Fraser\nBluenose Plumbing\nDartmouth, NS\n"
         "902-555-0114", "-03:00", None, (1500.0, "CAD")),
        ("Can pay $1,850 next Wed.\nTan Building Supplies Pte Ltd", "+08:00", None,
         (1850.0, "SGD")),
        ("Will pay $4,000 on Friday.\nTel +61 2 9555 0101", "+00:00", None, (4000.0, "AUD")),
        ("Will pay $4,000 on Friday.\nTel +1 (876) 555-0142", "-05:00", None, (4000.0, "JMD")),
        # A North American number with an area code only Canada or an island uses; a US or
        # toll-free one, or ten digits run together, says nothing.
        ("We'll pay the $5,000.00 on May 15.\n\nHarpreet Gill\nGill Brothers Construction"
         " Ltd.\n780-555-0133", "-06:00", None, (5000.0, "CAD")),
        ("The payment of 2 345,60 $ will be do by bank transfer on friday.\nMélanie\n"
         "(514) 555-0144", "-05:00", None, (2345.6, "CAD")),
        ("Will pay $900 Friday. Call me on 876.555.0142", "-05:00", None, (900.0, "JMD")),
        ("Will pay $900 Friday.\n1-800-555-0199", "-05:00", None, (900.0, "USD")),
        ("Will pay $900 Friday.\n212-555-0199", "-05:00", None, (900.0, "USD")),
        ("Will pay $900 Friday. Ref 7805550133", "-06:00", None, (900.0, "USD")),
        ("Will pay $900 Friday.\n780-555-0133 / +61 2 9555 0101", "+00:00", None,
         (900.0, "USD")),
        ("Will pay 4,000 on Friday.\n12 High St, Leeds LS1 4AP", "+00:00", None,
         (4000.0, "GBP")),
        # "Tulsa, OK 74103" is Oklahoma; "Friday OK" is no state.
        ("Will pay 900 on Friday.\nTulsa, OK 74103", "-06:00", None, (900.0, "USD")),
        ("We pay 900 on Friday OK\n", "-06:00", None, (900.0, None)),
        # The longest name is the place: New South Wales is not Wales, New Mexico not Mexico.
        ("Will pay $700 on Friday.\nOrange, New South Wales", "+00:00", None, (700.0, "AUD")),
        ("Will pay $700 on Friday.\nLas Cruces, New Mexico", "-06:00", None, (700.0, "USD")),
        # A greeting's name is a person; a place someone travels to is not where they are.
        ("Hi Sydney, will pay $500 Friday.", "-05:00", None, (500.0, "USD")),
        ("He is travelling to Dubai, when back we pay the 4,000 on the 30th.", "+03:00", None,
         (4000.0, None)),
        # Places of two currencies settle nothing; the account's currency comes first; a
        # currency the symbol cannot mean is no evidence.
        ("Will pay 5,000 Friday. Offices in Nairobi and Lagos.", "+01:00", None,
         (5000.0, None)),
        ("Will pay $5,000 Friday.\nKensington Market Bistro, Toronto", "-05:00", "USD",
         (5000.0, "USD")),
        ("Will pay $900 Friday.\nMcAllister's, Glasgow", "+00:00", None, (900.0, "USD")),
        # Dinars, kroner, riyals and pounds are several countries' money.
        ("Dear we send 15 million dinar on thursday. Ali - Erbil", "+03:00", None,
         (15000000.0, "IQD")),
        ("We pay 38 000:- on monday /Karin, Malmö", "+02:00", None, (38000.0, "SEK")),
        ("Ahmed from Delta Pack Tanta. 150 thousand pounds tomorrow", "+02:00", None,
         (150000.0, "EGP")),
        ("We will pay 7,500 on Thursday.\nMishari Al-Sabah\nSafat 13012, Kuwait", "+03:00",
         None, (7500.0, "KWD")),  # "Al-Sabah" is a family name, not Malaysia's Sabah
        ("we send 15 million dinar on thursday", "+03:00", None, (15000000.0, None)),
        ("150 thousand pounds tomorrow", "+02:00", None, (150000.0, "GBP")),
        ("We pay 20,000 riyals on Sunday.\nAl Mana Trading, Doha", "+03:00", None,
         (20000.0, "QAR")),
        ("We pay 20,000 riyals on Sunday.", "+03:00", None, (20000.0, "SAR")),
        # Words only one country's customers write (places.json local_words).
        ("Ja, no, we'll pay the twenty-two thousand on the twenty-sixth.", "+02:00", None,
         (22000.0, "ZAR")),
        ("Eish, sorry. The full 32 000 on Monday.", "+02:00", None, (32000.0, "ZAR")),
        ("Yes po, we will deposit the forty-two thousand on the twenty-fifth.", "+08:00", None,
         (42000.0, "PHP")),
        ("Oga I go send 200k today evening.", "+01:00", None, (200000.0, "NGN")),
        ("can we pay on the 20th? it's when our OHIP deposit comes in. The whole $2,310",
         "-05:00", None, (2310.0, "CAD")),
        ("Zelle won't let me send that much so I'll mail a check tmrw for the 860", "-08:00",
         None, (860.0, "USD")),
        ("We'll send the 4,200 by ACH on Friday.", "-06:00", None, (4200.0, "USD")),
        # An abbreviation in capitals counts only as written: "ach so" is German.
        ("ach so, we'll send the 4,200 on Friday.", "-06:00", None, (4200.0, None)),
        # "cheque" in North America is Canadian; elsewhere it says nothing.
        ("Cheque's in the mail, post-dated Dec 1 for the full $7,240.", "-07:00", None,
         (7240.0, "CAD")),
        ("We'll get you eighteen hundred Friday, Gerry has the chequebook.", "-03:00", None,
         (1800.0, "CAD")),
        ("Cheque's in the mail, post-dated Dec 1 for the full $7,240.", "+08:00", None,
         (7240.0, "USD")),
        ("Payment of the full $7,240 goes out Dec 1.", "-07:00", None, (7240.0, "USD")),
    ],
)
def test_where_the_customer_writes_from_says_which(
    text: str, offset: str, hint: str | None, expected: tuple[float, str | None]
) -> None:
    assert currency_of(text, offset, hint) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I send you two thousand five hundred dinar, Kuwaiti dinar, by transfer tomorrow.",
         (2500.0, "KWD")),
        ("We will pay $4.850.000 (CLP) on Monday 9.", (4850000.0, "CLP")),
        ("after golden week we pay 5万 first, on the 12th", (50000.0, "CNY")),
    ],
)
def test_a_currency_named_right_after_the_sum(
        text: str, expected: tuple[float, str | None]) -> None:
    assert currency_of(text, "+08:00" if "万" in text else "+03:00", None) == expected


def test_a_place_in_the_quoted_history_is_the_suppliers_not_the_customers() -> None:
    text = ("Will pay the $1,500 on Friday.\n\nThanks\nHarjit\n\n"
            "On Thu, Oct 8, 2026 at 2:30 PM Jess Whitaker wrote:\n> Balance overdue.\n"
            "> Jess Whitaker | Northline Supply | Toronto, ON")
    (result,) = default_tagger().tag([text], sent_ats=[at("-07:00")])
    assert result.promise is not None and result.promise["currency"] == "USD"
    # The same place in the customer's own signature counts.
    text = "Will pay the $1,500 on Friday.\n\nThanks\nHarjit\nSurrey Sweets, Surrey BC"
    (result,) = default_tagger().tag([text], sent_ats=[at("-07:00")])
    assert result.promise is not None and result.promise["currency"] == "CAD"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"places": {"USD": ["Fresno"], "CAD": ["Fresno"]}}',
         r"places\.json.*'Fresno' is listed for USD and CAD"),
        ('{"places": {"USD": "Fresno"}}', r"places\.json: 'places' must map"),
        ('{"area_codes": {"CAD": ["604"], "USD": ["604"]}}',
         r"area code '604' is listed for CAD and USD"),
        ('{"area_codes": {"CAD": ["60"]}}', r"'area_codes' CAD: '60' is not an area code"),
        ('{"local_words": {"ZAR": ["eish"], "KES": ["Eish"]}}',
         r"'local_words' lists 'Eish' for ZAR and KES"),
        ('{"towns": {}}', r"unknown key\(s\) \['towns'\]"),
    ],
)
def test_a_bad_places_file_is_named_with_its_key(tmp_path: Path, content: str,
                                                 message: str) -> None:
    bad = tmp_path / "places.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(PlaceError, match=message):
        load(bad)


def test_editing_the_places_file_changes_the_pipeline_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert version_changes(tmp_path, monkeypatch, "PLACES",
                           lambda raw: raw["places"]["KES"].append("Naro Moru"))
