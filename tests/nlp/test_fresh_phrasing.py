"""Messages written apart from the labelled corpus, in phrasings it does not use: a check
that the tagger generalises beyond the templates it was trained and measured on."""

from __future__ import annotations

import pytest

from nlp import Tagger

FRESH = [
("Hi, we've received invoice 4471 but the rate charged is $45/hr and our contract says $40. "
 "Please correct.", ["dispute"]),
("These boxes came crushed, half the glassware is broken. Not paying for the broken ones.",
 ["dispute"]),
("We have no record of ordering SKU 7731 - please credit.", ["dispute"]),
("The technician never showed up on Tuesday, so we won't be paying the call-out fee.", ["dispute"]),
("You've billed us for March twice, see INV-2201 and INV-2240.", ["dispute"]),
("We're still waiting on the credit note you promised for the returned stock.", ["dispute"]),
# A short payment is a payment made, less a deduction: both tags, as TAXONOMY reads and as
# three independent writers of nlp/data/written labelled it (B-081, H-146, J-194).
("We've short-paid INV-889 by $120 for the late delivery penalty.",
 ["dispute", "payment_confirmation"]),
("Payment will go out next Tuesday.", ["promise_to_pay"]),
("I can do $500 on the 1st and $500 on the 15th.", ["promise_to_pay"]),
("Invoice approved, it'll be in the 30th payment run.", ["promise_to_pay"]),
("We aim to clear the balance by end of next week.", ["promise_to_pay"]),
("Cheque is in the post today.", ["payment_confirmation"]),
("We wired the full amount this morning, ref TT-88812.", ["payment_confirmation"]),
("Attached is the remittance for last week's payment.", ["payment_confirmation"]),
("Did you get our payment from Monday?", ["payment_confirmation"]),
("Can you tell me what this 'fuel surcharge' line is?", ["billing_query"]),
("Please update the PO on invoice 5521 to PO-77812, AP won't process it otherwise.",
 ["billing_query"]),
("What are your bank details for a SWIFT payment?", ["billing_query"]),
("Could you send me an up-to-date statement?", ["billing_query"]),
("Business has been really slow and we can't cover all our bills right now.", ["hardship"]),
("We've gone into liquidation; the liquidator will contact you.", ["hardship"]),
("Please deal with our attorney from now on, do not contact me directly.", ["cease_contact"]),
("Take me off your call list.", ["cease_contact"]),
("Do not call me again. Letters only.", ["cease_contact"]),
("If this isn't sorted by Friday I'm taking it to small claims court.", ["legal_escalation"]),
("I've reported this to the Better Business Bureau.", ["legal_escalation"]),
("Our solicitor has written to you separately regarding this claim.", ["legal_escalation"]),
("Out of office: back 3 January. For urgent matters contact accounts@x.example.", ["auto_reply"]),
("This is an automated message, please do not reply.", ["auto_reply"]),
("Thanks for getting back to me, have a great weekend!", []),
("Could you confirm the delivery date for order 5512?", []),
("We received the goods today, all good.", []),
("Noted, thanks.", []),
("We won't be disputing this, just need the invoice copy.", ["billing_query"]),
("If the goods had arrived damaged we would have told you.", []),
]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


@pytest.mark.parametrize(("text", "labels"), FRESH)
def test_fresh_phrasing(tagger: Tagger, text: str, labels: list[str]) -> None:
    result = tagger.tag_one(text)
    assert result.labels == labels, result.scores


def test_a_person_on_a_call_is_never_an_automatic_reply(tagger: Tagger) -> None:
    text = "I'm on medical leave until March and not getting paid, so it's really hard."
    on_call = tagger.tag([text], channels=["call"])[0]
    assert "auto_reply" not in on_call.labels
    assert "hardship" in on_call.labels
    text = "You've reached your credit limit? Then I'll pay the $900 on Friday."
    assert "auto_reply" not in tagger.tag([text], channels=["call"])[0].labels


@pytest.mark.parametrize("text", [
    "Hi you've reached Tomasz at Vistula Freight, I'm on annual leave until the twentieth of "
    "July, for accounts please email accounts at vistulafreight dot example",
    "Hi, you've reached the accounts payable line for Prairie Grain Co op. Leave your invoice "
    "number and we'll call you back",
    "Please hold while we try to connect you. The person you are calling is unavailable. At "
    "the tone please record your message.",
    "Thank you for calling Maple Ridge Construction. For accounts payable press two.",
    "The mailbox is full and cannot accept any messages at this time goodbye",
])
def test_a_voicemail_greeting_is_the_automatic_reply_of_a_call(tagger: Tagger, text: str) -> None:
    assert tagger.tag([text], channels=["call"])[0].labels == ["auto_reply"]
