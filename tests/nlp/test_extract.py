"""Promise values, invoice references and dispute reasons read out of a message's new text."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from nlp.extract import (
    _ABBREVIATIONS,
    Instalment,
    PromiseValue,
    _ends_with_abbreviation,
    dispute_reason,
    extract_promise,
    invoice_refs,
    sentences,
)
from nlp.pipeline import default_tagger

WED = datetime.fromisoformat("2026-03-04T10:00:00+00:00")


def promise(text: str, sent_at: datetime | None = WED) -> PromiseValue:
    found = extract_promise(text, sent_at)
    assert found is not None
    return found


# --- promises ------------------------------------------------------------------------------


def test_amount_currency_and_date_with_spans() -> None:
    text = "Hi Sam,\n\nWe will pay the outstanding $4,250.00 COB Thursday.\n\nThanks, Ana"
    found = promise(text)
    assert (found.amount, found.currency, found.date) == (4250.0, "USD", date(2026, 3, 5))
    assert found.amount_span and text[slice(*found.amount_span)] == "$4,250.00"
    assert found.date_span and text[slice(*found.date_span)] == "COB Thursday"
    assert found.to_json() == {"amount": 4250.0, "currency": "USD", "date": "2026-03-05"}


def test_year_end_crossing() -> None:
    sent = datetime.fromisoformat("2026-12-29T11:00:00+01:00")  # a Tuesday
    assert promise("We'll pay INV-10023 by Friday.", sent).date == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("sent_at", "phrase", "expected"),
    [
        # local 31 March in New York, although UTC is already 1 April
        ("2026-03-31T23:30:00-05:00", "tomorrow", date(2026, 4, 1)),
        ("2026-03-31T23:30:00-05:00", "by end of month", date(2026, 3, 31)),
        ("2026-03-31T23:30:00-05:00", "today", date(2026, 3, 31)),
        # local 1 April in Tokyo, although UTC is still 31 March
        ("2026-04-01T00:30:00+09:00", "by end of month", date(2026, 4, 30)),
        ("2026-04-01T00:30:00+09:00", "today", date(2026, 4, 1)),
        ("2026-04-01T00:30:00+09:00", "on the 31st", date(2026, 5, 31)),
    ],
)
def test_local_sent_date_not_utc(sent_at: str, phrase: str, expected: date) -> None:
    found = promise(f"We will pay $900 {phrase}.", datetime.fromisoformat(sent_at))
    assert found.date == expected


def test_past_payment_dates_are_not_the_promise() -> None:
    text = "We paid INV-1 ($300) on Monday. The rest, $700, will be paid on the 20th."
    found = promise(text)
    assert (found.amount, found.date) == (700.0, date(2026, 3, 20))
    found = promise("paid via card yday, have receipt rest will be paid on 21st")
    assert found.date == date(2026, 3, 21)


def test_the_other_amount_after_a_past_payment_is_the_promise() -> None:
    sent = datetime.fromisoformat("2026-09-20T12:00:00+00:00")  # a Sunday
    found = promise("sent 1k today, other 1k this fri", sent)
    assert (found.amount, found.currency, found.date) == (1000.0, None, date(2026, 9, 25))
    found = promise("we wired $500 this morning, the other half next Friday", sent)
    assert found.date == date(2026, 9, 25)


@pytest.mark.parametrize("paid", [
    "We have made part payment of ₦500,000 today.",
    "We have released ₦500,000 today by NEFT as part payment.",
    "We've just released the ₦500,000 this morning.",
    "We made a part payment of ₦500,000 today.",
])
def test_a_part_payment_made_is_not_the_first_instalment(paid: str) -> None:
    """"Released" is still to come on its own ("will be released Friday"); after "have" the
    payment is made, and so is a part payment made: the promise is the rest."""
    found = promise(f"{paid} The remaining ₦1.1m will be paid on or before 15th March.")
    assert (found.amount, found.currency, found.date) == (1100000.0, "NGN", date(2026, 3, 15))
    assert found.instalments == ()
    found = promise("Payment of $2,000 will be released on Friday.")
    assert (found.amount, found.date) == (2000.0, date(2026, 3, 6))


def test_a_sum_of_a_whole_is_what_is_paid() -> None:
    found = promise("We can pay $4,000.00 of the $9,812.00 balance on Friday and the remaining "
                    "$5,812.00 on the 30th.")
    assert [(i.amount, i.date) for i in found.instalments] == [
        (4000.0, date(2026, 3, 6)), (5812.0, date(2026, 3, 30))]
    found = promise("I can send 2k out of the 7,500 on Friday.")
    assert (found.amount, found.date) == (2000.0, date(2026, 3, 6))
    # The whole alone is still the sum.
    assert promise("We will pay the $9,812.00 balance on Friday.").amount == 9812.0


def test_a_plan_with_its_days_said_takes_those_days() -> None:
    found = promise("The balance of ₹1,10,000 will be paid in two equal parts on 10th March "
                    "and 25th March.")
    assert [(i.amount, i.date) for i in found.instalments] == [
        (55000.0, date(2026, 3, 10)), (55000.0, date(2026, 3, 25))]
    found = promise("Can we settle the outstanding LKR 480,000 in 3 installments - LKR 160,000 "
                    "each on 30th April, 31st May and 30th June?")
    assert [i.date for i in found.instalments] == [
        date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]


def test_real_email_with_greeting_wrapping_and_signature() -> None:
    text = ("Hi Sarah,\n\nHappy Friday! Apologies for the delay on this one. Following our "
            "review, we will\nrelease the payment of $12,450.00 for INV-2231 on or before "
            "13 March.\n\nKind regards,\nJohn\nOffice hours Mon-Fri 9-5, tel 020 7946 0958")
    found = promise(text)
    assert (found.amount, found.currency, found.date) == (12450.0, "USD", date(2026, 3, 13))


def test_payment_method_words_do_not_make_a_past_date_future() -> None:
    text = "We paid by bank transfer on Monday; the balance will follow on Friday."
    assert promise(text).date == date(2026, 3, 6)
    assert extract_promise("We paid $500 by card on Monday.", WED) is None


def test_closed_until_is_not_a_payment_date() -> None:
    text = "We're closed for the holidays until 5 January, payment will be made when we return."
    assert extract_promise(text, WED) is None


def test_dotted_day_month_after_a_preposition() -> None:
    found = promise("We'll pay Inv 5521 (EUR 3,200) on 15.04.")
    assert (found.amount, found.currency, found.date) == (3200.0, "EUR", date(2026, 4, 15))


def test_now_counts_only_as_a_payment_time() -> None:
    text = "We are now in administration. We will pay $500 on Friday."
    assert promise(text).date == date(2026, 3, 6)
    assert promise("we can pay half now, half at end of month").date == date(2026, 3, 4)


def test_hypothetical_paid_is_a_proposal() -> None:
    assert promise("Would it work if we paid next Friday?").date == date(2026, 3, 6)


def test_out_of_office_return_date_is_ignored() -> None:
    text = "I am out of the office until Monday 9 March. We will pay INV-123 by Friday."
    assert promise(text).date == date(2026, 3, 6)
    assert extract_promise("I am out of the office until Monday 9 March.", WED) is None


def test_disputed_amount_is_not_the_promised_amount() -> None:
    text = ("The price on INV-35158 is not what we agreed, we had a quote for $10,400. "
            "The rest of it, we'll pay that by Friday.")
    found = promise(text)
    assert (found.amount, found.date) == (None, date(2026, 3, 6))


def test_vague_time_keeps_amount_without_date() -> None:
    found = promise("33,700 dollars is going out to you early next month.")
    assert (found.amount, found.currency, found.date) == (33700.0, "USD", None)


def test_bare_k_has_no_currency() -> None:
    found = promise("balance 2.5k on tues")
    assert (found.amount, found.currency, found.date) == (2500.0, None, date(2026, 3, 10))


def test_no_time_or_amount_is_none() -> None:
    assert extract_promise("We'll look into it and revert.", WED) is None


def test_without_sent_at_relative_dates_stay_open() -> None:
    assert promise("We'll pay $500 by Friday.", None).date is None
    assert promise("We'll pay $500 on 13 March 2026.", None).date == date(2026, 3, 13)


def test_focus_picks_the_flagged_sentence() -> None:
    text = "We can pay $500 on Friday for INV-1. INV-2 ($800) will go out on the 20th."
    second = text.index("INV-2")
    found = extract_promise(text, WED, focus=[(second, len(text))])
    assert found is not None and (found.amount, found.date) == (800.0, date(2026, 3, 20))
    found = extract_promise(text, WED, focus=[(0, second)])
    assert found is not None and (found.amount, found.date) == (500.0, date(2026, 3, 6))


def test_terms_announced_then_listed_take_their_dates_from_the_list() -> None:
    """The tagger's evidence is the announcing sentence; its dates are on the lines after."""
    text = ("We propose to pay the open amount of PLN 58.450 in three instalments:\n"
            "- PLN 20.000 on 10.06.2026\n- PLN 20.000 on 10.07.2026\n- PLN 18.450 on 10.08.2026"
            "\n\nPlease confirm.")
    found = extract_promise(text, WED, focus=[(0, text.index(":"))])
    assert found is not None and found.date == date(2026, 6, 10)
    text = ("Payment of 1 crore will be released in 2 tranches. Rs 60,00,000 by 15th April "
            "and Rs 40,00,000 by 30th April.")
    found = extract_promise(text, WED, focus=[(0, text.index("."))])
    assert found is not None and found.date == date(2026, 4, 15)


def test_a_post_dated_cheque_is_a_promise_and_an_invoice_date_is_not() -> None:
    found = promise("Cheque dated 15th for AED 6,750 is ready, send driver to collect")
    assert (found.amount, found.date) == (6750.0, date(2026, 3, 15))
    found = promise("Invoice dated 15th for AED 6,750: we will pay it on Friday")
    assert found.date == date(2026, 3, 6)


def test_already_after_a_scheduled_date_is_not_a_past_payment() -> None:
    assert promise("Scheduled for the 12th already, SGD 3,200").date == date(2026, 3, 12)
    assert promise("Paid SGD 3,200 on the 2nd already, rest on the 12th").date == date(
        2026, 3, 12)


# --- instalments ---------------------------------------------------------------------------


def test_listed_instalments_with_then() -> None:
    found = promise("so what I can do is $1,460 in a week and then $2,220 on the eighteenth")
    assert found.instalments == (
        Instalment(1460.0, "USD", date(2026, 3, 11)),
        Instalment(2220.0, "USD", date(2026, 3, 18)),
    )
    assert (found.amount, found.date) == (1460.0, date(2026, 3, 11))
    assert [i["amount"] for i in found.to_json()["instalments"]] == [1460.0, 2220.0]


@pytest.mark.parametrize("bullet", ["- ", "• ", "1. ", "a) ", "  – "])
def test_a_listed_schedule_gives_its_first_instalment(bullet: str) -> None:
    lines = ["€ 3,000.00 by 31 March;", "€ 3,000.00 by 30 April;", "€ 2,480.00 by 29 May."]
    if bullet == "1. ":
        items = [f"{n}. {line}" for n, line in enumerate(lines, start=1)]
    elif bullet == "a) ":
        items = [f"{c}) {line}" for c, line in zip("abc", lines, strict=True)]
    else:
        items = [bullet + line for line in lines]
    text = ("We confirm the following payment plan for the balance (total € 8,480.00):\n"
            + "\n".join(items) + "\nPayments will be made by bank transfer.")
    # The tagger found the promise in the last line, nearest the schedule's last instalment.
    start = text.index("Payments will be made")
    found = extract_promise(text, WED, focus=[(start, start + 21)])
    assert found is not None
    assert (found.amount, found.currency, found.date) == (3000.0, "EUR", date(2026, 3, 31))
    assert [(i.amount, i.date) for i in found.instalments] == [
        (3000.0, date(2026, 3, 31)), (3000.0, date(2026, 4, 30)), (2480.0, date(2026, 5, 29))]


def test_lines_that_are_no_list_are_not_read_as_one_schedule() -> None:
    text = "We paid € 500.00 on 2 March.\nWe will pay € 700.00 on 30 March."
    start = text.index("We will pay")
    found = extract_promise(text, WED, focus=[(start, start + 11)])
    assert found is not None
    assert (found.amount, found.date, found.instalments) == (700.0, date(2026, 3, 30), ())


def test_listed_instalments_inherit_currency() -> None:
    found = promise("$2.5k jun 12, rest (4k) 29 jun")
    assert found.instalments == (
        Instalment(2500.0, "USD", date(2026, 6, 12)),
        Instalment(4000.0, "USD", date(2026, 6, 29)),
    )


def test_rest_without_amount_is_an_open_instalment() -> None:
    found = promise("We can do 5k now and the rest on the 30th.")
    assert found.instalments == (
        Instalment(5000.0, None, date(2026, 3, 4)),
        Instalment(None, None, date(2026, 3, 30)),
    )


def test_monthly_plan_clamps_to_month_end() -> None:
    sent = datetime.fromisoformat("2027-12-20T09:00:00+00:00")
    found = promise("We can pay £500 a month for 3 months starting 31 December.", sent)
    assert [i.date for i in found.instalments] == [
        date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29)]
    assert {i.amount for i in found.instalments} == {500.0}


def test_monthly_plan_first_by_weekday() -> None:
    sent = datetime.fromisoformat("2026-12-31T16:00:00-05:00")  # a Thursday
    found = promise("We would like to propose four monthly instalments of €5.650,00, the first "
                    "by Thursday.", sent)
    assert [i.date for i in found.instalments] == [
        date(2027, 1, 7), date(2027, 2, 7), date(2027, 3, 7), date(2027, 4, 7)]
    assert found.to_json()["amount"] == 5650.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one day in each month listed, the sum said once for them all
        ("What we can commit to is $4,000 on the 15th of April, May and June, with the final "
         "$2,760 on July 15.",
         [(4000.0, date(2026, 4, 15)), (4000.0, date(2026, 5, 15)), (4000.0, date(2026, 6, 15)),
          (2760.0, date(2026, 7, 15))]),
        ("We will pay $500 on the 31st of March, April & May.",
         [(500.0, date(2026, 3, 31)), (500.0, date(2026, 4, 30)), (500.0, date(2026, 5, 31))]),
        ("Nous verserons 1 200 € le 15 avril, mai et juin.",
         [(1200.0, date(2026, 4, 15)), (1200.0, date(2026, 5, 15)), (1200.0, date(2026, 6, 15))]),
        # days listed in full after a sum, and the total said first is no instalment
        ("The $18,000 balance by April 30: $6,000 on 15 April, 15 May and 15 June.",
         [(6000.0, date(2026, 4, 15)), (6000.0, date(2026, 5, 15)), (6000.0, date(2026, 6, 15))]),
        # a plan dividing its sum over the days listed
        ("The balance of ₹1,10,000 will be paid in two equal parts on 10th April and 25th April.",
         [(55000.0, date(2026, 4, 10)), (55000.0, date(2026, 4, 25))]),
    ],
)
def test_a_sum_on_each_day_listed(text: str, expected: list[tuple[float, date]]) -> None:
    assert [(i.amount, i.date) for i in promise(text).instalments] == expected


@pytest.mark.parametrize(
    "text",
    [
        "We will pay $900 on 15 March and may pay the rest later.",  # "may" is no month here
        "Le hago el bonifico de mil euros adesso, subito.",  # one time said twice
    ],
)
def test_a_month_word_or_a_time_said_twice_is_no_list(text: str) -> None:
    assert promise(text).instalments == ()


def test_total_split_into_instalments() -> None:
    found = promise("We'll pay the $6,000 balance in three instalments starting 1 April.")
    assert [(i.amount, i.date) for i in found.instalments] == [
        (2000.0, date(2026, 4, 1)), (2000.0, date(2026, 5, 1)), (2000.0, date(2026, 6, 1))]


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        # A share of the sum named is what is paid first, at the time the share leads to.
        ("Of the KSh 160,000 balance, I will send half today by M-Pesa and the other half at "
         "month end.", (80000.0, date(2026, 3, 4)), (80000.0, date(2026, 3, 31))),
        ("balance is $840, can i pay half now and half on the 28th?",
         (420.0, date(2026, 3, 4)), (420.0, date(2026, 3, 28))),
        ("We pay 50% this Fri, the other 50% on 18 Mar. Total is $3,960 right?",
         (1980.0, date(2026, 3, 6)), (1980.0, date(2026, 3, 18))),
        ("the remaining sixty percent of the $11,000 goes out on the 30th",
         (6600.0, date(2026, 3, 30)), None),
        # A share stated as a sum is taken as written.
        ("Can we do half on the 16th and the rest at month end? Total on the account is "
         "$14,800 so $7,400 each.", (7400.0, date(2026, 3, 16)), (7400.0, date(2026, 3, 31))),
        # The sum said with the share is the share, not the total it halves.
        ("We'll pay half the outstanding balance now, CAD 6,250, and the other half "
         "(CAD 6,250) on April 1.", (6250.0, date(2026, 3, 4)), (6250.0, date(2026, 4, 1))),
        ("I can pay half of it now, so the $1,100, and half on the thirtieth",
         (1100.0, date(2026, 3, 4)), None),
        ("We will pay half of the $4,000 on Friday.", (2000.0, date(2026, 3, 6)), None),
    ],
)
def test_a_share_of_the_sum_is_what_is_paid_first(
    text: str, first: tuple[float, date], second: tuple[float, date] | None
) -> None:
    found = promise(text)
    assert (found.amount, found.date) == first
    if second is not None:
        assert (found.instalments[1].amount, found.instalments[1].date) == second


@pytest.mark.parametrize(
    "text",
    [
        # "Half" in a sum, a time or a discount is no share of what is paid.
        "We'll pay about three and a half grand by Friday, $3,500.",
        "We will pay the $4,000 in the first half of April.",
        "We will pay the $4,000 less the 2% discount on the 15th.",
        "We will pay the $4,000 on Friday, half an hour after the bank opens.",
    ],
)
def test_half_that_is_no_share_leaves_the_sum(text: str) -> None:
    assert promise(text).amount in (3500.0, 4000.0)


def test_single_payment_has_no_instalments() -> None:
    found = promise("We'll pay £2,588.19 by Wednesday.")
    assert found.instalments == ()
    assert "instalments" not in found.to_json()


# --- invoice references --------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    ["INV-10023", "INV10023", "#45521", "Invoice 2025/0113", "PO 7781", "PO-15775", "PO#55512",
     "P.O. 99812", "inv no. 88812", "Inv. 59620", "invoice #33383", "invoice number 123456",
     "bill no. 4411", "SI-2026-0042", "Rechnung RE-1234", "ref INV/26/305", "factura F-2231"],
)
def test_invoice_reference_shapes(ref: str) -> None:
    text = f"Please check {ref} again."
    assert [r.text for r in invoice_refs(text)] == [ref]
    [found] = invoice_refs(text)
    assert text[found.start : found.end] == ref


def test_code_after_a_label_is_the_code_itself() -> None:
    assert [r.text for r in invoice_refs("our purchase order PO-15775")] == ["PO-15775"]


def test_listed_invoice_numbers_share_their_label() -> None:
    text = "invoices 4411, 4412 and 4413 are overdue"
    assert [r.text for r in invoice_refs(text)] == ["invoices 4411", "4412", "4413"]


@pytest.mark.parametrize(
    "text",
    ["your order SO-676816 ships today", "assigned ticket number TKT-45187",
     "Reference: #AP-550411", "ticket #45521", "tracking: 1Z42PM88", "Cheque number 582175",
     "UTR 123456789012", "call +1 555 010 2233", "$4,500.00 due 15/03/2026",
     "send it to PO Box 1234", "account 99812345", "order #55121"],
)
def test_not_invoice_references(text: str) -> None:
    assert invoice_refs(text) == []


def test_invoice_refs_are_a_new_list_each_call() -> None:
    """References are remembered per text for the pipeline's second ask; a caller changing
    the list it got must not change what the next caller gets."""
    text = "Please check INV-10023 again."
    invoice_refs(text).clear()
    assert [r.text for r in invoice_refs(text)] == ["INV-10023"]


# --- dispute reasons -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The unit price on INV-1 does not match the rate agreed in our contract.", "price"),
        ("We were overcharged on #4521, the quote was $900.", "price"),
        ("We only received 63 of the 111 cases billed on INV-21071.", "quantity"),
        ("#51903 shows 72 boxes. Our warehouse counted 32.", "quantity"),
        ("Several items on invoice 77311 arrived damaged and unusable.", "damaged"),
        ("The goods for PO 7781 have not arrived yet.", "not_received"),
        ("The order on #19425 never turned up.", "not_received"),
        ("You've billed us twice for the same order: INV-1 and INV-2 are identical.",
         "duplicate"),
        ("We never ordered this, nobody here ordered it.", "not_ordered"),
        ("Your engineer never turned up, the visit on INV-9 did not take place.", "service"),
        ("The consultancy hours on PO 3016 were not delivered.", "service"),
        ("Still waiting on the credit note for the returned stock.", "credit_note"),
        ("There's a charge on my account I never authorised.", "other"),
        ("We are disputing invoice #10265. Please put it on hold.", "other"),
    ],
)
def test_dispute_reasons(text: str, reason: str) -> None:
    assert dispute_reason(text) == reason


def test_dispute_reason_prefers_focus() -> None:
    text = "The price on INV-1 is wrong. Also INV-2 arrived damaged."
    second = text.index("Also")
    assert dispute_reason(text, focus=[(second, len(text))]) == "damaged"
    assert dispute_reason(text, focus=[(0, second)]) == "price"


# --- sentences -----------------------------------------------------------------------------


def test_sentences_keep_abbreviations_and_initials() -> None:
    text = "Please pay inv. 4411 by Friday. Thanks! J. Smith approved it. OK?"
    assert [text[s:e] for s, e in sentences(text)] == [
        "Please pay inv. 4411 by Friday.", "Thanks!", "J. Smith approved it.", "OK?"]


def test_abbreviation_check_reads_the_last_word_as_the_regex_did() -> None:
    def by_regex(piece: str) -> bool:
        word = re.search(r"([A-Za-z.]+)\.$", piece.rstrip())
        if word is None:
            return False
        token = word.group(1).lower()
        return token in _ABBREVIATIONS or len(token) == 1

    rng = random.Random(3)
    pieces = ["inv", "Inv", "e.g", "No", "x", "A", "pay", "é", "2", ".", "..", " ", "\n", ")"]
    for _ in range(5000):
        piece = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 7)))
        assert _ends_with_abbreviation(piece) == by_regex(piece), piece


def test_a_rest_sentence_after_the_first_part_keeps_the_first_part() -> None:
    """ "AED 12,000 by Thursday. Rest next month.": the tagger's evidence is the second
    sentence, but the amount and date are the first part's."""
    sent = datetime(2026, 3, 2, 10, tzinfo=timezone(timedelta(hours=4)))  # a Monday
    value = extract_promise("Habibi, AED 12,000 by Thursday inshallah. Rest next month.", sent,
                            focus=[(42, 58)])
    assert value is not None
    assert (value.amount, value.currency, value.date) == (12000.0, "AED", date(2026, 3, 5))
    value = extract_promise("Sir we will deposit Rs. 90,000 on Monday. The balance will be paid "
                            "end of the month.", sent, focus=[(42, 80)])
    assert value is not None and value.date == date(2026, 3, 9) and value.amount == 90000.0
    assert [i.date for i in value.instalments] == [date(2026, 3, 9), date(2026, 3, 31)]


def test_a_spoken_sum_does_not_move_the_date_away_from_the_paying_verb() -> None:
    sent = datetime(2026, 11, 3, 10, tzinfo=UTC)  # a Tuesday
    # Anchored on the sum, the date would be the Monday said next to it.
    value = extract_promise(
        "I'll pay it Thursday, I know, I said Monday before, the eighteen seventy five", sent)
    assert value is not None
    assert (value.amount, value.date) == (1875.0, date(2026, 11, 5))


def test_the_present_for_the_future_and_the_amount_in_the_next_sentence() -> None:
    """ "I send by Friday. SGD 1,800 first.": many write English with the present for the
    future, and put the sum in a sentence of its own."""
    value = extract_promise("Boss, I send by Friday. SGD 1,800 first.", WED)
    assert value is not None
    assert (value.amount, value.currency, value.date) == (1800.0, "SGD", date(2026, 3, 6))
    value = extract_promise("We deposit tomorrow. USD 900 for INV-4411.", WED)
    assert value is not None and (value.amount, value.date) == (900.0, date(2026, 3, 5))


def test_a_limit_in_the_next_sentence_is_neither_the_amount_nor_the_date_anchor() -> None:
    """Anchored on "£5,000", the date would be "the 14th", the one said nearer to it."""
    value = extract_promise("Could we pay INV-7781 on the 28th rather than the 14th? Our MD "
                            "signs anything above £5,000 and she is away.", WED)
    assert value is not None
    assert (value.amount, value.date) == (None, date(2026, 3, 28))


def test_a_past_cue_does_not_reach_past_but() -> None:
    sent = datetime.fromisoformat("2026-12-30T10:15:00-05:00")
    found = promise("Our payment run for this year has already closed, but I've put INV-12870 "
                    "($4,620.00) in the first run of the new year, which is on the 5th of "
                    "January.", sent)
    assert (found.amount, found.date) == (4620.0, date(2027, 1, 5))


def test_a_day_month_date_with_its_dot_does_not_end_the_sentence() -> None:
    sent = datetime.fromisoformat("2026-08-12T10:20:00+02:00")
    found = promise("We can pay the invoice in two parts: EUR 3.000 on 31.08. and EUR 2.880 on "
                    "30.09. Is this acceptable for you?", sent)
    assert [(i.amount, i.date) for i in found.instalments] == [
        (3000.0, date(2026, 8, 31)), (2880.0, date(2026, 9, 30))]


def test_an_instalment_beside_the_total_it_divides_is_not_divided() -> None:
    sent = datetime.fromisoformat("2026-08-26T10:10:00+01:00")
    found = promise("Would you accept the £9,600 in three payments - £3,200 on 30 September, "
                    "30 October and 30 November?", sent)
    assert [(i.amount, i.date) for i in found.instalments] == [
        (3200.0, date(2026, 9, 30)), (3200.0, date(2026, 10, 30)), (3200.0, date(2026, 11, 30))]


def test_a_post_dated_cheque_in_the_mail_with_its_amount() -> None:
    sent = datetime.fromisoformat("2026-03-12T15:20:00-03:00")
    found = promise("I've put a post-dated cheque in the mail today for $7,450.00, dated March "
                    "27. Please don't deposit it before then.", sent)
    assert (found.amount, found.date) == (7450.0, date(2026, 3, 27))


def test_a_plan_proposed_after_the_sentence_that_announces_it() -> None:
    sent = datetime.fromisoformat("2026-03-24T17:20:00+00:00")
    text = ("I'd like to set up a payment plan for the £11,900 we owe you. Could we do £1,500 a "
            "month from the end of March? I'll ring you tomorrow to talk it through.")
    found = extract_promise(text, sent, [(text.index("set up"), text.index(" plan"))])
    assert found is not None
    assert (found.amount, found.currency, found.date) == (1500.0, "GBP", date(2026, 3, 31))


def test_a_sum_that_leads_its_own_clause_after_a_past_one() -> None:
    sent = datetime.fromisoformat("2026-12-03T09:30:00+00:00")
    found = promise("The examiner has approved the payment of supplier invoices for goods "
                    "delivered after that date, and €2,110.00 in respect of INV-IE-30611 will "
                    "be paid to you on 18 December.", sent)
    assert (found.amount, found.currency, found.date) == (2110.0, "EUR", date(2026, 12, 18))
    # A past clause still keeps its own sum: "we paid £500, and will pay the rest Friday".
    found = promise("We paid £500 last week and the rest will follow on Friday.", sent)
    assert (found.amount, found.date) == (None, date(2026, 12, 4))


def test_it_points_back_to_the_sum_in_the_sentence_before() -> None:
    sent = datetime.fromisoformat("2026-11-03T13:40:00-04:00")
    text = ("We have approved TT$9,450.00 for payment against invoices TT-2240 and TT-2251. "
            "It will be in the Friday run after next.")
    found = extract_promise(text, sent, [(text.index("It will"), len(text))])
    assert found is not None
    assert (found.amount, found.currency, found.date) == (9450.0, "TTD", date(2026, 11, 13))


def test_a_filler_sentence_does_not_part_the_date_from_the_sum() -> None:
    sent = datetime.fromisoformat("2026-12-09T14:00:00+13:00")
    text = ("Yeah nah, yeah, we'll do it - um - the Friday before Christmas, so the, the "
            "eighteenth. Yeah. Three thousand even.")
    found = extract_promise(text, sent, [(text.index("we'll do"), text.index(" it -"))])
    assert found is not None
    assert (found.amount, found.date) == (3000.0, date(2026, 12, 18))
    # A sentence that says something is not a filler: the sum after it is not borrowed.
    text = ("We'll do it the Friday before Christmas, the eighteenth. Gerry has the chequebook. "
            "Three thousand even.")
    found = extract_promise(text, sent, [(text.index("We'll do"), text.index(" it the"))])
    assert found is not None and found.amount is None


@pytest.mark.parametrize(
    ("text", "amount", "day"),
    [
        # The sum follows the dated promise, named as the whole of it.
        ("Hey, no stress, payment will go Friday arvo. Full $4,995.", 4995.0, 27),
        ("can we pay on the 30th? that's when our next deposit comes in. it'd be the whole "
         "$2,310", 2310.0, 30),
        ("Ah look, I'll have it for you Friday. Grand. The full six hundred and eighty, yeah.",
         680.0, 27),
        # The same day said again, with the sum.
        ("Yeah, I said I'd pay Friday and I will. You'll have the $2,475 by Friday, end of "
         "day.", 2475.0, 27),
        # "They" point back to the sum before.
        ("Hi Liam, 9920 and 9934 are approved, $4,615.00 all up. They'll be paid Friday.",
         4615.0, 27),
        # A sum after the promise that is a limit, or not said to be the whole of it across
        # a sentence that says something else.
        ("Payment will go Friday. Anything over $10,000 needs two signatures.", None, 27),
        ("Payment will go Friday. Our controller signs off. The statement shows $4,995.",
         None, 27),
    ],
)
def test_a_sum_said_after_the_dated_promise(text: str, amount: float | None, day: int) -> None:
    sent = datetime.fromisoformat("2026-11-25T10:00:00-05:00")
    (result,) = default_tagger().tag([text], sent_ats=[sent])
    assert result.promise is not None
    assert (result.promise["amount"], result.promise["date"]) == (amount, f"2026-11-{day}")


@pytest.mark.parametrize(
    ("text", "sent", "amount", "day"),
    [
        # A cheque is how it is paid, not a cheque already written.
        ("Noted with thanks. We will settle HKD 58,200 for invoice HK26-1190 by cheque on 17 "
         "December.", "2026-12-10T10:05:00+08:00", 58200.0, "2026-12-17"),
        # A cheque run is when.
        ("INV-31104 has now been approved. We've sent C$5,000 by EFT today and the remaining "
         "C$3,275.40 will follow in the November 20 cheque run.", "2026-11-06T10:00:00-05:00",
         3275.4, "2026-11-20"),
        # What "went" today is paid; the promise is the rest.
        ("Hi Karen, £2,500 went today as promised. The final £2,100 will be paid on 18 "
         "December.", "2026-11-18T13:15:00+00:00", 2100.0, "2026-12-18"),
        # A cue after a sum reaches it only within its clause: "owe us 200k. I can pay…" is
        # what they are owed, not what they will pay.
        ("Sorry boss, this month really teruk, our main customer went bust and owe us 200k. I "
         "can pay RM 1,000 on the 5th first, the rest I try my best.",
         "2026-05-26T20:40:00+08:00", 1000.0, "2026-06-05"),
        # A bare sum is in the money of the message's other sums.
        ("hey Tanya - wire for $42,118.90 went out this AM. other 18k goes Friday",
         "2026-12-10T09:35:00-06:00", 18000.0, "2026-12-11"),
        # The sentence after names the amount.
        ("Your invoices are cleared for payment in our fortnightly run on 22nd December. "
         "Amount ₹3,42,870 after TDS.", "2026-12-16T16:10:00+05:30", 342870.0, "2026-12-22"),
        # A post-dated cheque still falls due on its date.
        ("I've put a post-dated cheque in the mail today for $7,450.00, dated March 27.",
         "2026-03-12T15:20:00-03:00", 7450.0, "2026-03-27"),
    ],
)
def test_what_is_paid_now_and_what_is_promised(text: str, sent: str, amount: float,
                                               day: str) -> None:
    (result,) = default_tagger().tag([text], sent_ats=[datetime.fromisoformat(sent)])
    assert result.promise is not None
    assert (result.promise["amount"], result.promise["date"]) == (amount, day)


FORM = ("The following payment has been scheduled:\nSupplier: Brightline Parts\n"
        "Invoice: INV-205640\n{fields}\n\nQuestions? Contact ap@keystone.example")


@pytest.mark.parametrize(
    ("fields", "amount"),
    [
        # The sum is a field of the same form as the promise's date.
        ("Amount: USD 7,215.00\nScheduled payment date: 11/24/2026", 7215.0),
        ("Invoice Amount: 4,126.50 USD\nPayment Method: ACH\nScheduled Payment Date: "
         "11/24/2026", 4126.5),
        # The payment's own field before a total, a total before a plain amount.
        ("Invoice total: USD 12,400.00\nDiscount: USD 248.00\nNet payment amount: USD "
         "12,152.00\nPayment date: 11/24/2026", 12152.0),
        ("Amount: USD 300.00\nTotal: USD 900.00\nPayment date: 11/24/2026", 900.0),
        # A tax, discount or fee field is no payment.
        ("Early payment discount: USD 48.00\nPayment date: 11/24/2026", None),
        ("VAT: USD 1,200.00\nScheduled payment date: 11/24/2026", None),
    ],
)
def test_a_form_gives_its_sum_field_to_the_promise(fields: str, amount: float | None) -> None:
    sent = datetime.fromisoformat("2026-11-20T09:00:00-05:00")
    text = FORM.format(fields=fields)
    at = text.index("Payment date") if "Payment date" in text else text.rindex("ayment")
    found = extract_promise(text, sent, [(at, at + 12)])
    assert found is not None
    assert (found.amount, found.date) == (amount, date(2026, 11, 24))


def test_a_sum_in_another_block_or_outside_a_form_is_not_the_forms() -> None:
    sent = datetime.fromisoformat("2026-11-20T09:00:00-05:00")
    text = "Amount: USD 700.00\n\nScheduled payment date: 11/24/2026"
    found = extract_promise(text, sent, [(text.index("Scheduled"), len(text))])
    assert found is not None and found.amount is None
    # The promise's sentence is no field: the form rule does not apply.
    text = "Amount: USD 700.00\nWe will see about paying on 11/24/2026."
    found = extract_promise(text, sent, [(text.index("We will"), len(text))])
    assert found is not None and found.amount is None


def test_a_form_gives_its_date_field_to_the_promise() -> None:
    sent = datetime.fromisoformat("2026-11-20T09:00:00+01:00")
    text = ("Payment scheduled\nAmount to be paid: EUR 12,152.00\nPayment method: SEPA\n"
            "Payment date: 30.11.2026")
    at = text.index("Amount")
    found = extract_promise(text, sent, [(at, at + 18)])
    assert found is not None
    assert (found.amount, found.date) == (12152.0, date(2026, 11, 30))


@pytest.mark.parametrize(
    ("fields", "when"),
    [
        # The payment's own date field before a plain one; the paper's date is none.
        ("Order date: 12/02/2026\nPayment method: SEPA\nPayment date: 30.11.2026",
         date(2026, 11, 30)),
        ("Invoice date: 12/01/2026\nPayment method: SEPA", None),
        ("Delivery date: 12/01/2026\nDue: 15.12.2026\nValue date: 30.11.2026",
         date(2026, 11, 30)),
        # An invoice's due date is not the day it will be paid.
        ("Due date: 15.12.2026\nPayment method: SEPA", None),
    ],
)
def test_a_forms_date_field_is_the_payments_not_the_papers(
        fields: str, when: date | None) -> None:
    sent = datetime.fromisoformat("2026-11-20T09:00:00+01:00")
    text = f"Payment scheduled\nAmount to be paid: EUR 12,152.00\n{fields}"
    at = text.index("Amount")
    found = extract_promise(text, sent, [(at, at + 18)])
    assert found is not None
    assert (found.amount, found.date) == (12152.0, when)


def test_a_single_labelled_line_is_no_form() -> None:
    """A form has two fields or more in a row. "Update: we will pay on 11/24/2026." with a
    plain line after it takes its sum from that line, as any promise does, not from a field
    further down."""
    sent = datetime.fromisoformat("2026-11-20T09:00:00-05:00")
    text = "Update: we will pay on 11/24/2026.\nOrder total is USD 500.00.\nAmount: USD 900.00"
    found = extract_promise(text, sent, [(8, 19)])
    assert found is not None and (found.amount, found.date) == (500.0, date(2026, 11, 24))
