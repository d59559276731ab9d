#!/usr/bin/env python3
"""Build the commwatch labelled corpus: nlp/data/corpus/{train,dev}.jsonl.

Deterministic (fixed seeds, no clock), stdlib only. Run:  python nlp/data/corpus/build_corpus.py
Layout: template tables and slot fillers first, generation functions below, validation last.
Every pool is split into a "train" and a "dev" half so that dev holds out whole phrasing
families, entity names and writing styles. See README.md in this folder for the policy.
"""
import json
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent
SEEDS = {"train": 20260302, "dev": 4417}
IN_TAGS = ["dispute", "promise_to_pay", "billing_query", "payment_confirmation", "hardship",
           "cease_contact", "legal_escalation", "auto_reply"]
OUT_TAGS = ["abusive_language", "pii_exposure"]
REASONS = {"price", "quantity", "damaged", "not_received", "duplicate", "not_ordered", "service",
           "credit_note", "other"}
CURRENCIES = {"USD", "EUR", "GBP", "CAD", "AUD", "INR", "CHF", "JPY"}

# Inbound plan: (labels, train count, dev count). Outbound plan likewise.
IN_PLAN = [
    (("dispute",), 170, 34), (("promise_to_pay",), 210, 42), (("billing_query",), 170, 34),
    (("payment_confirmation",), 140, 28), (("hardship",), 90, 18), (("cease_contact",), 85, 17),
    (("legal_escalation",), 85, 17), (("auto_reply",), 150, 30), ((), 500, 100),
    (("dispute", "promise_to_pay"), 90, 18), (("payment_confirmation", "billing_query"), 80, 16),
    (("hardship", "promise_to_pay"), 80, 16), (("dispute", "legal_escalation"), 60, 12),
    (("cease_contact", "legal_escalation"), 50, 10), (("dispute", "billing_query"), 20, 4),
    (("payment_confirmation", "promise_to_pay"), 20, 4),
]
OUT_PLAN = [("clean", 190, 38), ("near", 80, 14), ("abusive", 110, 23), ("pii", 110, 23),
            ("abusive+pii", 10, 2)]
QUOTE_RATE = 0.14   # share of (non-auto) emails that carry a quoted earlier message

# ----------------------------------------------------------------------------- slot fillers
def S(train, dev):
    """A pool split between train and dev; '|' separates entries."""
    return {"train": [x.strip() for x in train.split("|")], "dev": [x.strip() for x in dev.split("|")]}

FIRST = S("Maria|Tom|Priya|Jonas|Aisha|Kenji|Lucas|Fatima|Grace|Oliver|Sanjay|Ingrid|Diego|Hannah|Wei|"
          "Chloe|Rahul|Sofia|Marek|Nadia|Ben|Yuki|Carlos|Emma|Kwame|Lena",
          "Beatriz|Tobias|Anjali|Henrik|Zainab|Haruto|Mateo|Leila|Ruth|Felix|Deepak|Astrid|Pablo|Miriam|Jun|Elodie")
LAST = S("Keller|Osei|Brennan|Lindqvist|Moreau|Tanaka|Patel|Haddad|Novak|Fletcher|Iyer|Castillo|"
         "Whitmore|Kowalski|Ng|Adeyemi|Larsen|Pereira|Sato|Quinn",
         "Okafor|Varga|Delacroix|Nakamura|Rinaldi|Sorensen|Mbeki|Abernathy|Kapoor|Vos|Huerta|Lindahl")
AGENTS = S("Sam|Olivia|Raj|Megan|Daniel|Claire|Marcus|Ines", "Noah|Freya|Arjun|Bianca|Callum|Rosa")
CUSTOMERS = S("Harbor Lane Foods|Pinecrest Logistics|Bluewater Dental Group|Kestrel Print Works|"
              "Orchard Row Bakery|Summit Ridge Builders|Larkspur Hotels|Copperfield Retail|"
              "Meridian Auto Parts|Tidewell Marine|Greystone Clinics|Juniper Event Hire|Aldermoor Farms|"
              "Brightforge Engineering|Saffron Spice Traders|Northgate Pharmacy|Redwood Office Interiors|"
              "Quayside Brewing Co",
              "Ferncliff Catering|Stonebridge Fabrication|Windmere Care Homes|Halcyon Media Labs|"
              "Marlowe Textiles|Silverbirch Dental|Ravenwood Outdoor|Oakhaven Hospitality|"
              "Beaconfield Plastics|Crescent Moon Imports")
VENDORS = S("Fernhill Supplies|Apex Linen Services|Corvid Software|Hollis Freight",
            "Lumen Facility Services|Tallis Packaging|Wrenfield Chemicals")
TITLES = S("Accounts Payable Manager|Finance Director|Office Manager|AP Specialist|Owner|"
           "Financial Controller|Purchasing Lead",
           "Head of Finance|Bookkeeper|Managing Partner|Payables Clerk|Chief Financial Officer")
ITEMS = S("printer paper|bottled water|hydraulic fittings|table linen|office chairs|cleaning supplies|"
          "steel brackets|frozen pastries|lab gloves|cable trays",
          "LED panels|safety boots|catering trays|pallet wrap|fire extinguishers|solvent drums")
WORDS = S("Maple|Harbor|Copper|Falcon|Juniper|Summit", "Willow|Granite|Comet|Lagoon")

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_T = [["mon"], ["tue", "tues"], ["wed", "weds"], ["thu", "thurs"], ["fri"], ["sat"], ["sun"]]
ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ORD_W = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
         "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
EMOJI = ["🙏", "👍", "🙂", "😊", "👌", "😅", "🤞"]
TYPO_MAP = {"received": "recieved", "payment": "paymnet", "invoice": "invocie", "tomorrow": "tommorow",
            "until": "untill", "separate": "seperate", "definitely": "definately", "because": "becuase",
            "account": "acount", "transfer": "tranfer", "the": "teh", "please": "pls", "with": "wiht"}

# ----------------------------------------------------------------------------- templates
# One template a line: "STYLES [meta] | text". Styles: F formal email, N neutral (email/chat),
# E non-native English email, T terse chat/SMS, S spoken (call transcript turn).
# Slots: {inv} {inv2} invoice refs; {po}; {amt} {date} promised amount/date (extracted);
# {xamt} other amounts (not extracted); {pdate} past date; {fdate} future date (not extracted);
# {qty} {qty2}; {item}; {first} {name} {cust} sender; {agent} {co} our collector/company.
DISPUTE = {"train": """
F price | We have reviewed {inv} and the unit price charged does not match the rate agreed in our framework contract. We are not in a position to approve it until a corrected invoice is issued.
N price | The price on {inv} is wrong, we were quoted {xamt} for this, not what you billed.
N price | {inv} still has last year's rate on it. The new pricing started in January, so please correct it.
T price | {inv} price wrong pls fix
T price | wrong rate on {inv}, not paying that
S price | yeah so the thing is, {inv}, the price on that is not what we agreed, I mean we had a quote for {xamt}
E price | The price in {inv} is not correct as per our agreement, kindly check and send revised invoice.
F quantity | {inv} charges for {qty} units; however, our goods-received note shows only {qty2} were delivered. We dispute the difference.
N quantity | We only received {qty2} of the {qty} cases billed on {inv}. Please credit the shortfall.
T quantity | only got {qty2} not {qty}. {inv} needs fixing
S quantity | uh we got charged for {qty} but only, like, {qty2} actually showed up
E quantity | Quantity invoiced is {qty} but we receive only {qty2} pcs, so {inv} is wrong.
F damaged | Several items shipped under {inv} arrived damaged and unusable; photographs are attached. We will not be paying for the damaged goods.
N damaged | Half the {item} on {inv} came in broken. We're not paying for those.
T damaged | stuff from {inv} arrived smashed. not paying for it
S damaged | the delivery was, honestly, it was damaged, the boxes were crushed, so we're not paying {inv} as it stands
E damaged | The goods of {inv} was received in damaged condition, we are rejecting the damaged quantity.
F not_received | We have no record of receiving the goods listed on {inv}. Until proof of delivery is provided we consider this invoice invalid.
N not_received | We never received anything for {inv}. Can't pay for something that didn't arrive.
T not_received | never got the delivery for {inv}
S not_received | we never got it. like, nothing arrived, so I don't know why we're being billed for {inv}
E not_received | Till today we have not received the material against {inv}, so payment is not possible.
F duplicate | {inv} appears to be a duplicate of {inv2}, which we settled previously. Please cancel it.
N duplicate | You've billed us twice for the same order: {inv} and {inv2} are identical.
T duplicate | {inv} and {inv2} are the same thing?? charged twice
S duplicate | so you've charged us twice, I mean {inv} and {inv2} are the exact same order
E duplicate | Same amount is invoiced two times ({inv} and {inv2}), please cancel one of them.
F not_ordered | We did not place an order for the items on {inv} and hold no purchase order covering them. We reject this invoice.
N not_ordered | Nobody here ordered what's on {inv}. Please cancel it.
T not_ordered | we never ordered this?? {inv}
S not_ordered | we never ordered that. nobody here ordered that, so {inv}, no.
E not_ordered | This order was not placed from our side, please cancel {inv}.
F service | The maintenance visit billed on {inv} did not take place; your engineer never attended the site. We dispute the charge in full.
N service | Your team didn't finish the work billed on {inv}. We won't pay for a job half done.
T service | tech never showed up, not paying {inv}
S service | the guy never came out, your technician, so I'm not paying for a call-out that didn't happen
E service | The service mentioned in {inv} is not completed by your team till now.
F credit_note | We were promised a credit note of {xamt} against {inv} following the return, but it has not been issued. Your balance is therefore overstated.
N credit_note | Still waiting on the credit note for the returned stock, so the balance on {inv} is wrong.
T credit_note | where is the credit note?? {inv} should be less
S credit_note | you guys promised us a credit, right, for the returns, and it's not on there
E credit_note | Credit note for return goods is still not received, so {inv} amount is not correct.
N other | There's a charge of {xamt} on my account that I never authorised. I want it removed.
F other | Please note we have deducted {xamt} from our payment of {inv} for late-delivery penalties under clause 9 of the supply agreement.
T other | didnt authorise this charge. take it off
S other | there's this, um, {xamt} charge, I never agreed to that
E other | We have deducted {xamt} against late delivery penalty as per PO terms.
N other | We are disputing {inv}. Please put it on hold until we've spoken.
""", "dev": """
F price | On checking {inv} against the purchase order, we note the rate applied exceeds the contracted price. Please reissue at the correct rate, as we cannot process it in its current form.
N price | Quick one: {inv} is billed at list price, but we have a negotiated discount. That's not right.
T price | overcharged on {inv}, check ur rates
S price | okay so, um, the rate you put on {inv}, that's not our rate, that's way off
E price | Rate applied on {inv} is more than agreed one. We do not accept this amount.
N quantity | {inv} shows {qty} boxes. Our warehouse counted {qty2}. Please adjust.
T quantity | short shipped on {inv}, {qty2} came not {qty}
E quantity | We are received less quantity than invoiced in {inv}, kindly adjust the bill.
F damaged | A significant portion of the consignment relating to {inv} was received in a damaged state, and our receiving team has logged the issue. We will not accept the charge for those items.
S damaged | they were broken, half of them, when they came off the truck, so no, I'm not paying {inv}
T damaged | items on {inv} broken on arrival 😡 not paying
N not_received | The order on {inv} never turned up. Please check with your courier before chasing us for money.
S not_received | yeah no, that shipment, it never arrived, so we haven't paid {inv} and we won't
E not_received | Material for {inv} is not reached to us yet, so how we can pay?
F duplicate | It appears we have been invoiced twice for the same delivery, as {inv} duplicates {inv2}. Kindly void the duplicate.
T duplicate | double billed: {inv} + {inv2}
E duplicate | You have sent two bills for one delivery, {inv} and {inv2}. One is extra.
N not_ordered | We didn't order anything on {inv}. No one on my team recognises it.
S not_ordered | I've no idea what this is, we never ordered it, {inv}, we never asked for that
F service | The consultancy hours itemised on {inv} were not delivered. We formally contest the charge.
E service | Work is not done properly by your staff, so we are not agree to pay {inv}.
T service | install never got finished, {inv} not payable
N credit_note | {inv} should have been reduced by the credit you agreed last month. It hasn't been.
E credit_note | Agreed credit note is missing, please adjust {inv} before we process.
N other | I don't recognise the {xamt} fee on my statement and never agreed to it. Take it off please.
F other | We have short-paid {inv} by {xamt} to reflect the service-level penalty set out in our contract.
""".strip()}

PROMISE = {"train": """
F | We confirm that {inv} will be settled in full {date}.
F | Please be advised that a payment of {amt} has been scheduled {date}.
F | {inv} has been approved and is included in our payment run {date}.
F | We expect to remit {amt} in respect of {inv} {date}.
N | We'll pay {amt} {date}.
N | Payment for {inv} will go out {date}.
N | I can pay {amt} {date}, is that ok?
N | Can we pay {inv} {date} instead?
N | We need a bit more time on this one. Could we have until {bdate} to pay {inv}?
N | The invoice will be paid {date}.
N | {amt} is going out to you {date}.
T | will pay {date}
T | pay {date}
T | {amt} {date} ok?
T | paying {inv} {date} 👍
T | will send {amt} {date}
T | {amt} going out {date} for {inv}
N | We'll transfer {amt} for {inv} {date}.
F | We intend to pay {amt} {date}, which clears the overdue part of the account.
S | yeah so I can, uh, I can do {amt} {date}
S | I mean we'll get it paid {date}, that's not a problem
S | okay, so, {inv}, that'll be paid {date}, I've put it through already for that date
E | We will do the payment {date}.
E | Payment of {amt} will be released {date}, kindly note.
E | We are arranging the fund and {inv} will be cleared {date}.
""", "dev": """
F | Our treasury team has approved {inv}; funds will be transferred {date}.
F | Kindly note that {amt} is scheduled for release {date}.
N | Should have {amt} over to you {date}.
N | Would it work if we paid {date}?
N | {inv} is booked in for payment {date}.
T | can do {amt} {date}
T | sending it {date}
T | {amt} coming ur way {date}
N | Let's say {amt} {date} and I'll confirm once it's sent.
S | okay look, I'll, I'll put {amt} through {date}, alright?
E | We are going to make payment {date} for {inv}.
E | Kindly note the amount {amt} will be transfer {date}.
""".strip()}

# promise clauses used next to a dispute / confirmation ("the rest ...")
PROMISE_REST = {"train": """
FN | The other invoices on the statement will be paid {date}.
FN | We'll pay the undisputed balance of {amt} {date}.
N | Everything else is fine and will be paid {date}.
F | The remaining balance of {amt} will follow {date}.
T | rest will be paid {date}
T | balance {amt} {date}
S | the rest of it, we'll pay that {date}, no problem
E | Remaining invoices we will pay {date}.
""", "dev": """
N | Happy to pay {amt} for the rest {date}.
F | {inv} is not affected and will be paid {date}.
T | the rest goes out {date}
S | the other ones are fine, those'll be paid {date}
E | Balance amount {amt} we will transfer {date}.
""".strip()}

# two instalments ({amt1} {date1} {amt2} {date2}) or monthly ({n} x {amt} from {date}; meta "monthly")
INSTAL = {"train": """
N | We can pay {amt1} {date1} and the remaining {amt2} {date2}.
T | {amt1} {date1}, rest ({amt2}) {date2}
F | We propose to settle the balance in two instalments: {amt1} {date1} and {amt2} {date2}.
S | so what I can do is {amt1} {date1} and then {amt2} {date2}
E | We will pay {amt1} {date1} and balance {amt2} {date2}.
N monthly | We can pay {amt} a month for {n} months starting {date}.
F monthly | We would like to propose {n} monthly instalments of {amt}, the first {date}.
""", "dev": """
N | How about {amt1} {date1} with the balance of {amt2} following {date2}?
E | We will pay in two parts: first {amt1} {date1}, second {amt2} {date2}.
S | I can do {amt1} {date1}, and, uh, {amt2} {date2}, would that work
N monthly | {n} monthly payments of {amt}, first one {date}?
""".strip()}

HARDSHIP = {"train": """
F | Due to severe cash-flow difficulties following the loss of our largest customer, we are unable to meet our obligations on the current schedule.
F | We regret to inform you that the company entered administration {pdate} and the administrators will contact all creditors in due course.
F | We have filed for Chapter 11 bankruptcy protection and all pre-petition invoices are frozen.
N | Things are really tight at the moment. We've had a terrible quarter and can't cover the full balance right now.
N | We're going through a restructuring and all supplier payments are on hold for the time being.
N | Could we set up a payment plan? Cash flow has been a real problem since the flood.
N | I've been made redundant and I'm behind on all my bills.
N | We had to lay off half our staff, there's just no money coming in.
T | money super tight rn, cant pay it all
T | lost my job last month. really struggling
S | honestly we're struggling, like, the business is struggling, we've just not got the cash
S | I'm, uh, I'm on medical leave and I'm not getting paid, so it's really hard right now
E | Due to financial crisis in our company we are not able to pay the full amount now.
E | Our business is facing very difficult situation, kindly give us some relief.
N | We went into administration this week and the administrators will be writing to all creditors.
T | had a baby and im off work, cant pay full amount
E | Due to slow market our cash position is very weak, we request for instalment facility.
""", "dev": """
F | Our firm is currently undergoing a formal restructuring process and is experiencing acute liquidity constraints.
N | Business has dried up since the contract ended and we're barely covering wages.
N | The company is insolvent and has appointed an insolvency practitioner.
T | cant afford it this month, my hours got cut
S | look, the truth is, we're, we're in a bad way financially
E | Because of heavy losses this year our company is in financial problem.
""".strip()}

BILLING = {"train": """
F | Could you please send us a copy of {inv}? We cannot locate it in our system.
F | Please provide a breakdown of the charges on {inv}, in particular the line described as service fee.
F | Kindly amend the purchase order reference on {inv} to {po} so that it can be matched.
F | Please confirm the correct remittance address for cheque payments.
N | What is the admin fee on {inv} for?
N | Can you send me a statement of all open invoices?
N | Which invoices are still open on our account?
N | Who should we contact about {inv}?
N | Can you resend your bank details on letterhead? We need them for our vendor set-up.
N | We need a W-9 from you before we can set you up for payment.
N | What are your payment terms, 30 or 60 days?
N | Can we have 30 more days on {inv}?
N | Can we pay by credit card, and is there a fee?
T | can u resend {inv}
T | whats this charge on {inv}?
T | need copy of {inv} pls
S | I just, I wanted to ask what this, um, this fuel surcharge is on the bill
S | could you email me the invoice again, I can't find it anywhere
E | Please to send invoice copy of {inv} for our records.
E | Kindly share the statement of account at the earliest.
E | Kindly let us know the bank details for remittance.
""", "dev": """
F | We would be grateful if you could reissue {inv} addressed to our new registered entity.
F | Could you provide a completed W-8BEN? Our compliance team requires it before we remit.
N | What does the line env. levy on {inv} refer to?
N | Is {inv} still outstanding or did it get cleared?
N | Who do I talk to about getting a different billing address on our invoices?
N | Can our terms be moved to net 45 going forward?
T | what do we owe atm?
S | yeah hi, I'm just calling to find out what the balance is on the account
E | Request you to provide the soft copy of {inv}.
E | Please advise us your IBAN and SWIFT for the transfer.
""".strip()}

CONFIRM = {"train": """
F | Please find attached remittance advice for {xamt} in settlement of {inv}.
F | We confirm that payment for {inv} was made {pdate} by bank transfer.
F | Cheque number {chq} for {xamt} was posted {pdate}.
N | Paid {inv} {pdate}, should be with you soon.
N | We sent the money {pdate}. Reference is {inv}.
N | Proof of payment attached.
N | Please confirm you've received our transfer of {xamt}.
T | paid {pdate}
T | sent ystrday
T | done, paid ✅
T | just paid {inv}
S | yeah we paid that, we paid it {pdate}
S | I mean the money already went out, I did it online {pdate}
E | We have done the payment {pdate}, kindly check and confirm.
E | Payment is already transferred to your account, please find the UTR no. {utr}.
N | Remittance attached for {inv}, paid in full {pdate}.
F | Payment of {xamt} was remitted {pdate} via ACH; the trace number is {chq}.
T | paid via card {pdate}, have receipt
""", "dev": """
F | Settlement of {inv} was released from our account {pdate}; the bank confirmation is enclosed.
N | Transfer went through {pdate}, you should see it shortly.
N | Attached is the wire confirmation for {xamt}.
T | money sent 👍
T | paid it {pdate}, check ur account
S | no, no, that's been paid, we paid it {pdate}
E | Amount is credited to your account {pdate}, please check your bank statement.
""".strip()}

CEASE = {"train": """
F | We request that all future communication regarding this account be made in writing only.
F | Please do not contact our staff directly; all correspondence must go to our accounts payable mailbox.
F | From now on, please speak to our lawyer only.
N | Please stop calling me.
N | Stop calling my mobile. Anything else needs to be in writing.
N | Do not call me at work again.
N | Remove this number from your list.
N | Please do not contact my family about this debt.
T | STOP
T | stop texting me
T | dont call me again
S | look, I've told you, don't call this number again
S | please, just stop ringing me, put it in a letter
E | Please don't call to my personal number, contact only by email.
N | I've asked you before: do not message me on WhatsApp about this account.
F | Please cease all telephone contact with our office; we will deal with this matter by post only.
T | do not contact me again
""", "dev": """
F | Kindly direct any further communication on this matter to our solicitors and do not contact me directly.
N | I don't want any more calls about this. Email only.
N | Take me off your call list.
T | quit calling me
S | yeah, don't ring me anymore, okay? write to me
E | Please not call me again, send email only.
""".strip()}

LEGAL = {"train": """
F | If this matter is not resolved within 7 days, we will refer it to our solicitors.
F | We have instructed our attorneys, who will be in touch regarding your breach of contract.
F | Please treat this email as a formal complaint.
N | I'm filing a complaint with the Consumer Financial Protection Bureau.
N | Keep this up and I'll see you in small claims court.
N | I've reported your company to the Financial Conduct Authority.
N | This is harassment and I'm reporting it to the state attorney general.
T | ill be contacting a lawyer
T | reporting u to the ombudsman
S | I'm going to, I'm gonna get my lawyer involved, that's what's going to happen
S | yeah you'll be hearing from my attorney
E | If you not correct this we will take legal action against your company.
E | We will file case in consumer court.
N | I've spoken to a solicitor and we'll be issuing a claim against you.
F | We reserve the right to refer this matter to the Financial Ombudsman Service.
T | lawyer will be in touch
""", "dev": """
F | Absent a satisfactory response, we shall commence legal proceedings without further notice.
N | My lawyer is drafting a letter to you as we speak.
N | I'm lodging a complaint with Trading Standards.
T | see u in court
S | I'll sue, honestly, I will take you to court over this
E | We are going to file suit against you in the court.
""".strip()}

AUTO = {"train": """
N | Thank you for your message. I am out of the office until {fdate} with limited access to email. For urgent matters please contact {email2}.
N | I'm currently on annual leave and will return on {fdate}. Your email will not be forwarded.
N | Automatic reply: I am away from my desk until {fdate}. For accounts payable queries, please write to {email2}.
N | This is an automated response. Your message has been received and assigned ticket number {ticket}. Please do not reply to this email.
N | Thank you for contacting {cust} Accounts Payable. We have logged your request under reference {ticket} and aim to respond within 3 business days.
N | Your invoice submission has been received. Reference: {ticket}. This mailbox is not monitored.
N | Delivery has failed to these recipients or groups:\\n{email}\\nThe recipient's mailbox is full and can't accept messages now. Please try resending this message later.
N | Mail delivery failed: returning message to sender.\\nThis message was created automatically by mail delivery software. A message that you sent could not be delivered to one or more of its recipients:\\n{email}\\nuser unknown
N | Undeliverable: {subject}\\nYour message couldn't be delivered because the address wasn't found. Check the address and try again.
T | Thanks for your message. This number does not accept replies.
T | Auto-reply: I'm driving right now and will get back to you later.
""", "dev": """
N | I am on parental leave until {fdate}. Messages about supplier payments should go to {email2}, who is covering for me.
N | Out of office: back {fdate}.
N | Ticket {ticket} created. We have received your email and a member of our team will pick it up shortly. Replies to this address are not read.
N | The following message to <{email}> was undeliverable.\\n550 5.1.1 Recipient address rejected: user does not exist.
T | This is an automated text. Replies to this number are not monitored.
""".strip()}

NEG = {"train": """
N | We are not disputing {inv}, we just wanted to flag the new delivery address.
N | If we had been charged twice we would have noticed, so all good on our side.
N | We'll look into it and get back to you.
N | I've passed this to our finance team.
N | Please confirm receipt of our order {po}.
N | Thanks for the quick delivery, the team is very happy with the quality.
N | Can your driver come Tuesday morning instead of Monday?
N | We'd like to order another 20 cases of the same.
N | Thanks, that's all clear now.
N | Happy new year to you and the whole team!
N | Our lawyer is on holiday this week, so the contract signature will be delayed.
N | We'll pay once the dispute is resolved.
N | Let me check with my manager.
N | Our offices will be closed on Friday for the holiday.
N | The invoice looks fine to us.
N | Sorry for the late reply, been swamped.
N | Can you send the product catalogue for next season?
F | We will process payment once the approval workflow has been completed.
F | I was charged twice by another supplier last year, which is why we check every statement so carefully.
F | We are not contesting the charges; this note is simply to introduce our new purchasing lead.
T | ok thx
T | will check
T | 👍 got it
T | who is this?
T | at the dentist, call u later
S | yeah, no, I hear you, I'll have to talk to my business partner about it
S | uh can you hold on a sec, someone's at the door
S | sure, yeah, I'll pass that on to our accounts lady
E | Noted with thanks.
E | We will check internally and kindly revert.
E | Kindly confirm receipt of our purchase order {po}.
E | Will revert on this shortly.
""", "dev": """
N | We're not contesting anything, we just need the next order delivered by Thursday.
N | Had there been an overcharge we'd have raised it already.
N | Let me get back to you on this.
N | I'll chase it internally.
N | Could the courier drop off at the rear entrance?
N | Our legal team is reviewing the new supply agreement and it should be signed soon.
N | Cheers, much appreciated.
N | We'll settle it once everything's sorted out on our end.
F | Kindly acknowledge {po} at your convenience.
T | np
T | ok will see
T | on it
S | right, okay, let me, uh, let me look at that and call you back
E | We will check and revert back.
E | Received with thanks.
""".strip()}

# quoted earlier messages: contain promise / dispute phrases that must NOT be labelled
QUOTED = {"train": """
N | We will pay {inv} {date}.
N | We dispute {inv}, the price is not what we agreed.
N | The goods on {inv} arrived damaged so we won't pay for those.
N | Payment of {amt} is scheduled {date}.
F | As agreed on the phone, you will pay {amt} {date}.
F | Thanks for raising the dispute on {inv}, I have passed it to our sales team.
N | We never received the delivery on {inv}.
""", "dev": """
N | I can confirm {amt} will reach you {date}.
N | {inv} is wrong, we were overcharged.
F | Per our call, {inv} will be cleared {date}.
N | We are rejecting {inv} as the items were never ordered.
""".strip()}

# ---- outbound (written by our collectors)
OUT_CLEAN = {"train": """
F | This is a friendly reminder that {inv} for {xamt} falls due on {fdate}.
F | Please find attached your statement of account. Three items are currently past due.
F | Thank you for your payment of {xamt}, which has been applied to {inv}.
F | We have logged your dispute on {inv} and passed it to the sales team, who will respond within five working days.
F | Under our terms of business, balances more than 60 days overdue may be referred to a collection agency.
F | Late-payment interest will be applied in line with clause 7 of our agreement.
N | Just checking in on {inv}, which is now two weeks overdue. Could you let me know when we can expect payment?
N | Thanks for the update, I've noted the payment date on our side.
N | As discussed, I've attached a copy of {inv}.
N | No problem at all, I've put the account on hold while the dispute is reviewed.
T | Hi {first}, reminder that {inv} is due {fdate}. Thanks, {agent}
T | Hi {first}, {agent} from {co} here. Can you give me a quick call about {inv}?
S | hi, it's {agent} from {co}, just calling about {inv}, if you could give me a call back that'd be great
S | okay, perfect, so I've got you down for the payment, thanks for sorting that
F | Thank you for agreeing the payment plan. For the record, the first instalment is due on {fdate}.
N | Following up on our call, I've attached an updated statement showing the credit note applied to {inv}.
T | thanks {first}, payment received 👍
S | no worries at all, I'll make a note that you're paying on {fdate}, okay, thanks, bye
""", "dev": """
F | Our records indicate that {inv} remains unpaid. We would appreciate settlement or an update at your earliest convenience.
F | Please note that a revised statement reflecting the recent credit is attached.
N | Thanks for getting back to me so quickly, that all makes sense.
N | I've asked our sales team to review the pricing on {inv} and will come back to you.
T | Hi {first}, quick nudge on {inv}, any news? {agent}
S | hiya, it's {agent} at {co}, I'm ringing about the overdue balance, speak soon
N | Appreciate the quick payment, everything on the account is now clear.
T | got it, thx {first}, will update our records
""".strip()}

OUT_NEAR = {"train": """
F | We attempted to charge the card ending {last4} on {fdate}, but the payment was declined.
F | For security reasons we will never ask you to send your full card number by email.
F | Our records show the mandate is linked to account {miban}.
N | We received a payment from the account ending {last4}, thank you.
N | You can reach me directly on {phone}.
N | Your order {order} has been dispatched and the tracking number is {track}.
N | Please reset your portal password using the link on the login page.
N | To verify your identity on the call, I'll only need the last four digits of your SSN.
N | The payment reference on our side is {ref16}, please quote it on your transfer.
T | Hi {first}, card ending {last4} declined, can you update it in the portal?
S | so I can see a card on file ending in {last4}, shall I use that one?
F | Please pay by bank transfer quoting {inv}; our bank details are printed at the foot of the invoice.
N | We've refunded the charge to the card ending {last4}; please allow 3-5 working days.
T | Hi {first}, ur order {order} ships today. tracking: {track}
""", "dev": """
F | The direct debit from {miban} was returned unpaid by your bank.
N | Call us on {phone} if you'd like to update the card ending {last4}.
N | Please quote {inv} and order {order} on any remittance.
T | Hi {first}, pls update card ending {last4}, thx {agent}
N | The refund went back to the account ending {last4} today.
F | Please call {phone} and quote reference {ref16} to arrange a payment.
""".strip()}

OUT_ABUSE = {"train": """
N | Pay what you owe or we'll make sure everyone in your street knows you're a deadbeat.
N | You people are pathetic. Stop lying and pay the invoice.
N | If I don't see the money by Friday I will come to your office personally and it will not be pleasant.
N | We'll call your employer and tell them you're a thief.
N | Are you stupid or just dishonest? Pay up.
N | Keep ignoring us and you will end up in jail, I promise you that.
N | We know where you live.
N | Your excuses are garbage and nobody here believes a word you say.
N | We will ruin your credit and your reputation, guaranteed.
F | I will be informing your family exactly what kind of person you are.
T | pay now loser
T | answer your phone you coward
S | listen, you idiot, I'm going to keep calling you every hour until you pay
S | don't give me that, you're a liar, you've always been a liar
N | This is the third time I've asked. What is wrong with you people?
N | You clearly can't run a business. Pay the invoice like an adult.
N | We will keep calling your home, your mobile and your office until this is paid.
F | Should payment not be received, we will inform your clients that you do not pay your debts.
N | Your credit will be destroyed and you'll never get a loan again, I'll see to that.
T | ur a joke. pay up
T | we're coming to collect in person tmrw, be there
S | I don't care about your sick kid, I need the money today
S | you think you can just ignore me? I'll make your life very difficult, believe me
""", "dev": """
N | Honestly, you're a joke of a business owner. Pay the money.
N | Don't make me come down there.
N | Shame on you. We'll post your name online as a debtor for all to see.
T | last warning, scumbag
S | you're useless, you know that? completely useless, and you'll pay or else
N | Grow up and pay what you owe, you freeloader.
F | We will be contacting your landlord and your bank to let them know what sort of customer you are.
T | pay or we show up at ur house
""".strip()}

OUT_PII = {"train": """
F | We tried to charge your card {card} but the transaction was declined.
F | Your direct debit from IBAN {iban} failed, please ensure funds are available.
F | Refunds will be sent to account number {ukacct}, sort code {sort}. Please confirm this is correct.
N | To verify your identity, we have your SSN as {ssn}.
N | Your temporary portal password is {pw}.
N | We will debit routing number {routing}, account {usacct} on {fdate}.
T | card {card} declined pls update
T | ur new login pw: {pw}
S | so I've got the card here, {card}, and that's the one we'll charge, okay
N | I've updated your card to {card} as requested, and the balance will be charged tonight.
F | Please verify the social security number we hold for you, {ssn}, before we set up the plan.
N | Our system shows your bank account as {iban}. Is that still the right one for the refund?
N | Just confirming the card we charged today: {card}.
T | pw for the payment portal is {pw} - change it after login
S | okay so for the direct debit I've got account {ukacct}, sort code {sort}, yeah?
""", "dev": """
F | We have the following card on file: {card}, expiry {exp}.
N | The refund will go to {iban}.
N | Login: {email} / password: {pw}
N | Social security number on file: {ssn}.
F | For the payment plan, instalments will be taken from IBAN {iban} on the first of each month.
T | new password {pw} for the portal
S | right, and the social is {ssn}, is that correct?
""".strip()}

# ---- wrappers
GREET = {"F": S("Dear {agent},|Dear Sir or Madam,|Dear {co} Credit Control Team,|Good morning {agent},",
                "To whom it may concern,|Dear Credit Control,|Good afternoon,"),
         "N": S("Hi {agent},|Hello,|Hi there,|Hi {agent}!", "Hey {agent},|Morning {agent},|Hiya,|Hi all,"),
         "E": S("Dear Sir,|Greetings of the day!|Respected Sir/Madam,|Hello Dear,", "Dear Team,|Good day Sir,|Dear Concern,|Hello Sir,")}
SIGN = {"F": {"train": ["Kind regards,\n{name}\n{title}\n{cust}", "Yours sincerely,\n{name}\n{title}",
                        "Best regards,\n\n{name} | {title} | {cust}\nT: {phone}", "Many thanks and kind regards,\n{name}"],
              "dev": ["Sincerely,\n{name}\n{title}, {cust}", "Regards,\n{name}", "With kind regards,\n{name}\n{cust}"]},
        "N": {"train": ["Thanks,\n{first}", "Cheers,\n{first}", "Thanks\n{first}", "Thanks!\n{first} ({cust})"],
              "dev": ["Best,\n{first}", "Ta,\n{first}", "- {first}", "Thx\n{first}"]},
        "E": {"train": ["Thanks & Regards,\n{name}\n{title}\n{cust}", "Warm regards,\n{name}", "Thanks and regards,\n{name}"],
              "dev": ["With best regards,\n{name}", "Thanking you,\n{name}\n{cust}", "Regards and thanks,\n{name}"]}}
OPEN = {"F": S("I hope this email finds you well.|Thank you for your recent statement.|"
               "Further to our telephone conversation earlier today, I am writing to set out our position.|"
               "I write with reference to your recent reminder.",
               "Trust this message finds you well.|I refer to the statement of account received last week.|"
               "Further to your letter, please note the following."),
        "N": S("Hope you're well.|Sorry for the slow reply.|Just picking this up now.",
               "Hope the week's going okay.|Apologies, been buried in month-end close."),
        "E": S("Hope you are doing well.|This is with reference to your mail.|Good morning and hope all is fine at your end.",
               "Trust you are in good health.|With reference to below subject matter, please note.")}
CLOSE = {"F": S("Should you require any further information, please do not hesitate to contact me.|"
                "Thank you for your understanding.|We value our relationship with {co} and trust this can be settled promptly.",
                "We look forward to your prompt response.|Please feel free to reach out should anything be unclear."),
         "N": S("Let me know if you need anything else.|Thanks for your help.", "Shout if you need more info.|Appreciate it."),
         "E": S("Awaiting your reply.|Thanks in advance for your support.", "Waiting for your positive response.|Request your cooperation.")}
LONG = S("By way of background, our group completed the migration of its finance systems to a new ERP platform last quarter, "
         "and a number of supplier records had to be re-created by hand. Our accounts payable team has been working through "
         "the backlog in date order, and we have given priority to long-standing suppliers, which of course includes {co}.|"
         "For context, I recently took over this supplier relationship from a colleague who has moved to a different role "
         "within the business. I am still getting up to speed with the history of the account, so I would be grateful for "
         "your patience while I review the correspondence and the statements exchanged over the past few months.|"
         "I should also mention that our head office has changed address, and all post should now go to the new site. "
         "Our main switchboard number is unchanged, and the accounts team can still be reached on the shared mailbox.",
         "As some context, the business has recently consolidated three regional offices into a single shared-services "
         "centre, and responsibility for supplier accounts has moved to a new team. Some of the handover notes were "
         "incomplete, and we are reconstructing several vendor histories from scratch.|"
         "I would add that our annual audit starts shortly, so the finance team is under considerable time pressure. "
         "Please bear with us if our responses are slower than you would normally expect.|"
         "You may also have noticed that invoices are now being approved by our regional managers rather than by head office. "
         "This change was introduced at the start of the financial year and, while it has made approvals more accountable, "
         "it has added a step to the process that some of our suppliers have found frustrating.")
HP_LEAD = S("What we can manage is this:|Here is what we can offer.", "Our proposal would be as follows.|This is what we could do:")
CONNECT = S("|Also,|Separately,|On another note,|Apart from that,", "|Besides that,|Otherwise,|In addition,")
CHAT_PRE = S("hi {agent} |@{agent} |hey, |morning! ", "yo {agent} |hello {agent}, |hi again, ")
SMS_PRE = S("Hi, it's {first} from {cust}. |This is {first} at {cust}. ", "{first} here ({cust}). |Hello, {first} from {cust}. ")
SPOKEN_PRE = S("uh, |yeah so |okay, |right, |I mean, |um, yeah, ", "so, uh, |well, |look, |mm, okay, ")
OUT_GREET = S("Hi {first},|Dear {first} {last},|Hello {first},", "Good morning {first},|Dear Customer,")
OUT_SIGN = S("Kind regards,\n{agent} {agent_last}\nCredit Control, {co}|Thanks,\n{agent}\n{co} Accounts Receivable",
             "Best wishes,\n{agent}\nCollections Team, {co}|Regards,\n{agent} ({co} Credit Control)")

# ----------------------------------------------------------------------------- parsing
def parse(block):
    rows = []
    for line in block.strip().splitlines():
        if not line.strip():
            continue
        head, text = line.split("|", 1)
        parts = head.split()
        rows.append((parts[0], parts[1] if len(parts) > 1 else None, text.strip().replace("\\n", "\n")))
    return rows

TPL = {name: {sp: parse(block[sp]) for sp in ("train", "dev")} for name, block in {
    "dispute": DISPUTE, "promise": PROMISE, "rest": PROMISE_REST, "instal": INSTAL, "hardship": HARDSHIP,
    "billing": BILLING, "confirm": CONFIRM, "cease": CEASE, "legal": LEGAL, "auto": AUTO, "neg": NEG,
    "quoted": QUOTED, "out_clean": OUT_CLEAN, "out_near": OUT_NEAR, "out_abuse": OUT_ABUSE, "out_pii": OUT_PII}.items()}

# ----------------------------------------------------------------------------- numbers & money
def words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("-" + ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return ONES[n // 100] + " hundred" + (" and " + words(n % 100) if n % 100 else "")
    return words(n // 1000) + " thousand" + ((" " if n % 1000 >= 100 else " and ") + words(n % 1000) if n % 1000 else "")

def spoken_amount(v):
    n = int(v)
    if 1100 <= n < 10000 and n % 100 == 0 and n % 1000:
        return words(n // 100) + " hundred"          # "twelve hundred"
    if n % 1000 == 500 and 1500 <= n < 10000:
        return words(n // 1000) + " and a half thousand"
    return words(n)

us = lambda v, dec=2: f"{v:,.{dec}f}"                                   # 27,800.00
eu = lambda v, dec=2: us(v, dec).translate(str.maketrans(",.", ".,"))    # 1.250,50
kfmt = lambda v: f"{v / 1000:g}k"                                        # 5k, 2.5k

def indian(v):                                                           # 1,20,000
    head, tail, groups = str(int(v))[:-3], str(int(v))[-3:], []
    while len(head) > 2:
        head, groups = head[:-2], [head[-2:]] + groups
    return ",".join(([head] if head else []) + groups + [tail])

# value generators
g_cents = lambda r: round(r.uniform(180, 46000), 2) if r.random() < 0.6 else float(r.randrange(300, 40000, 50))
g_int = lambda r: float(r.choice([r.randrange(200, 5000, 10), r.randrange(1000, 60000, 100)]))
g_k = lambda r: float(r.choice([1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 12000, 15000, 20000]))
g_big = lambda r: float(r.randrange(1000, 48000, 100))
g_spoken = lambda r: float(r.choice([r.randrange(300, 1000, 50), r.randrange(1100, 9900, 100), r.randrange(1000, 20000, 500)]))

# (currency, styles, splits, value generator, renderer)
FORMATS = [
    ("USD", "FNE", "both", g_cents, lambda v, r: "$" + us(v)),
    ("USD", "NTSE", "both", g_int, lambda v, r: "$" + us(v, 0)),
    ("USD", "FE", "both", g_int, lambda v, r: "USD " + us(v, r.choice([0, 2]))),
    ("USD", "EF", "both", g_big, lambda v, r: "USD " + eu(v, 0)),               # USD 1.200
    ("USD", "NTE", "both", g_int, lambda v, r: us(v, 0) + " dollars"),
    ("USD", "S", "both", g_spoken, lambda v, r: spoken_amount(v) + " dollars"),
    ("USD", "T", "both", g_k, lambda v, r: r.choice(["$", ""]) + kfmt(v) + ("" if r.random() < .5 else " usd")),
    (None, "T", "both", g_k, lambda v, r: kfmt(v)),                             # bare "5k": currency unknown
    ("EUR", "FNE", "both", g_cents, lambda v, r: "€" + eu(v)),
    ("EUR", "FNE", "both", g_big, lambda v, r: us(v, 0).replace(",", " ") + " EUR"),
    ("EUR", "FN", "both", g_cents, lambda v, r: "EUR " + us(v)),
    ("EUR", "FE", "dev", g_cents, lambda v, r: eu(v) + " €"),
    ("EUR", "NTS", "both", g_spoken, lambda v, r: (us(v, 0) if r.random() < .5 else spoken_amount(v)) + " euros"),
    ("GBP", "FN", "both", g_cents, lambda v, r: "£" + us(v)),
    ("GBP", "NT", "both", g_k, lambda v, r: "£" + kfmt(v)),
    ("GBP", "S", "both", g_spoken, lambda v, r: spoken_amount(v) + " pounds"),
    ("GBP", "T", "train", g_int, lambda v, r: us(v, 0).replace(",", "") + " quid"),
    ("CAD", "FNT", "both", g_int, lambda v, r: r.choice(["CAD ", "C$"]) + us(v, 0)),
    ("CAD", "N", "dev", g_int, lambda v, r: us(v, 0) + " CAD"),
    ("AUD", "FNT", "both", g_int, lambda v, r: r.choice(["AUD " + us(v, 0), "A$" + us(v, 0), "$" + us(v, 0) + " AUD"])),
    ("INR", "E", "both", lambda r: float(r.randrange(15000, 900000, 500)),
     lambda v, r: r.choice(["INR ", "Rs. ", "₹"]) + indian(v)),
    ("INR", "E", "dev", lambda r: float(r.choice([150000, 250000, 350000, 120000])),
     lambda v, r: f"Rs {v / 100000:g} lakh"),
    ("CHF", "FN", "train", g_cents, lambda v, r: "CHF " + us(v)),
    ("CHF", "FN", "dev", g_big, lambda v, r: "CHF " + us(v, 0).replace(",", "'")),
    ("JPY", "FN", "both", lambda r: float(r.randrange(20000, 3000000, 1000)),
     lambda v, r: r.choice(["JPY " + us(v, 0), "¥" + us(v, 0), us(v, 0) + " yen"])),
]

def pick_format(m, style):
    ok = [f for f in FORMATS if style in f[1] and f[2] in ("both", m.split)]
    weights = [4 if f[0] in ("USD", "EUR", "GBP") else 1 for f in ok]
    return m.rng.choices(ok, weights)[0]

# ----------------------------------------------------------------------------- dates
def next_wd(d, wd):
    """First date strictly after d that falls on weekday wd (Mon=0)."""
    return d + timedelta(days=(wd - d.weekday() - 1) % 7 + 1)

def month_end(d):
    nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)

def add_months(d, k):
    y, mo = divmod(d.month - 1 + k, 12)
    first = date(d.year + y, mo + 1, 1)
    return first.replace(day=min(d.day, month_end(first).day))

def ordinal(n):
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"

def ord_word(n):
    if n <= 20:
        return ORD_W[n - 1]
    return {30: "thirtieth"}.get(n) or (("twenty-" if n < 30 else "thirty-") + ORD_W[n % 10 - 1])

def date_phrase(m, style, mode="promise"):
    """Return (phrase, resolved date or None). mode: promise | first (instalment 1) | start (monthly)."""
    r, d, dev = m.rng, m.d, m.split == "dev"
    kinds = {"wd": 30, "tomorrow": 8, "eom": 10, "plus": 8, "dom": 10, "abs": 14, "num": 6, "eonw": 4,
             "eonm": 2, "vague": 5, "today": 2}
    if mode == "first":
        kinds.update(vague=0, today=14, eonm=0)
    if mode == "start":
        kinds.update(vague=0, today=0, eom=0, eonw=0, eonm=0)
    if mode == "bare":                      # "until {bdate}": no preposition, no "in two weeks"
        phrase, dt = date_phrase(m, style, mode="start")
        while phrase.startswith(("in ", "within ", "a fortnight")):
            phrase, dt = date_phrase(m, style, mode="start")
        return re.sub(r"^(by|on|until|till|no later than|before) ", "", phrase), dt
    kind = r.choices(list(kinds), list(kinds.values()))[0]
    if kind == "wd":
        wd = r.choice([0, 1, 2, 3, 4, 4, 4])
        dt, day = next_wd(d, wd), DAYS[wd]
        opts = {"T": [r.choice(DAY_T[wd]), "by " + DAY_T[wd][0], "on " + DAY_T[wd][-1]],
                "S": [f"by {day}", f"on {day}", f"{day}", f"next {day}"],
                "E": [f"on coming {day}", f"until {day}", f"by {day}"],
                "F": [f"by {day}", f"on {day}", f"next {day}"] + (["by close of business on " + day] if dev else []),
                "N": [f"by {day}", f"on {day}", f"next {day}"] + (["no later than " + day] if dev else [])}[style]
        if d.weekday() != wd and style != "T":
            opts.append(f"this {day}")
        return r.choice(opts), dt
    if kind == "tomorrow":
        return r.choice({"T": ["tmrw", "2moro", "tomorrow"], "S": ["tomorrow", "first thing tomorrow"]}.get(
            style, ["tomorrow", "first thing tomorrow"] + (["by tomorrow afternoon"] if dev else []))), d + timedelta(1)
    if kind == "today":
        opts = {"T": ["today", "2day", "now"], "S": ["today", "right now"]}.get(style, ["today", "later today"])
        if mode == "first":
            opts += ["now", "straight away"]
        return r.choice(opts), d
    if kind == "eom":
        opts = {"T": ["eom", "end of month", "by eom"], "S": ["end of the month", "by the end of the month"],
                "E": ["until end of month", "till month end", "by end of this month"],
                "F": ["by the end of the month", "by month-end", f"before the end of {MONTHS[d.month - 1]}"],
                "N": ["end of month", "by end of the month", "at month end"]}[style]
        return r.choice(opts + (["before the month is out"] if dev and style in "FN" else [])), month_end(d)
    if kind == "plus":
        opts = [("in two weeks", 14), ("in 2 weeks", 14), ("within 10 days", 10), ("in a week", 7),
                ("within 7 days", 7), ("in 10 days", 10)]
        if dev:
            opts += [("a fortnight from today", 14), ("in 3 days", 3), ("within the next 5 days", 5)]
        if style == "T":
            opts = [("in 2 wks", 14), ("in a week", 7), ("within 10 days", 10)]
        p, n = r.choice(opts)
        return p, d + timedelta(n)
    if kind == "dom":
        day = r.choice([x for x in range(1, 29) if x != d.day])
        dt = d.replace(day=day) if day > d.day else add_months(d.replace(day=1), 1).replace(day=day)
        opts = {"T": [ordinal(day), "on " + ordinal(day)], "S": ["on the " + ord_word(day)],
                "E": ["on " + ordinal(day), "till " + ordinal(day)]}.get(style, [f"on the {ordinal(day)}", f"by the {ordinal(day)}"])
        return r.choice(opts), dt
    if kind == "abs" or (kind == "num" and style == "S"):
        dt = d + timedelta(r.randint(2, 75))
        M, Mo, o = MONTHS[dt.month - 1], MONTHS[dt.month - 1][:3], ordinal(dt.day)
        opts = {"F": [f"on {dt.day} {M}", f"by {dt.day} {M}", f"by {M} {dt.day}", f"on {M} {o}"],
                "N": [f"on {Mo} {dt.day}", f"by {dt.day} {Mo}", f"on the {o} of {M}"],
                "T": [f"{dt.day} {Mo.lower()}", f"{Mo.lower()} {dt.day}"],
                "S": [f"on the {ord_word(dt.day)} of {M}", f"{M} {ord_word(dt.day)}"],
                "E": [f"on {o} {M}", f"by {o} {Mo}", f"till {o} {M}"]}[style]
        if dev and style in "FN":
            opts.append(f"no later than {dt.day} {M}")
            if (dt - d).days < 28:           # "Friday the 4th" only when it is the next 4th
                opts.append(f"on {DAYS[dt.weekday()]} the {o}")
        return r.choice(opts), dt
    if kind == "num":
        dt = d + timedelta(r.randint(2, 60))
        while dt.day <= 12:                       # keep DD/MM vs MM/DD unambiguous
            dt += timedelta(1)
        opts = [f"on {dt.day}/{dt.month}", f"by {dt.day:02d}/{dt.month:02d}"]
        if style in "FN":
            opts += [f"by {dt.month}/{dt.day}/{dt.year}", f"on {dt.isoformat()}"]
        if dev and style in "FE":
            opts += [f"by {dt.day:02d}.{dt.month:02d}.{dt.year}"]
        return r.choice(opts), dt
    if kind == "eonw":
        dt = d - timedelta(d.weekday()) + timedelta(11)   # Friday of next week
        return r.choice({"T": ["end of nxt week", "end of next wk"]}.get(style, ["by the end of next week", "end of next week"])), dt
    if kind == "eonm":
        return r.choice(["by the end of next month", "end of next month"]), month_end(add_months(d.replace(day=1), 1))
    return r.choice({"T": ["nxt week", "next wk"], "E": ["in next week", "early next month"]}.get(
        style, ["next week", "sometime next week", "early next month"] + (["later this month"] if dev else []))), None

def past_phrase(m, style):
    r, d = m.rng, m.d
    back = d - timedelta(r.randint(2, 12))
    if style == "T":
        return r.choice(["ystrday", "yday", "this am", "earlier", "on " + DAY_T[back.weekday()][0]])
    return r.choice(["yesterday", "this morning", "earlier today", f"on {DAYS[back.weekday()]}", "last week",
                     f"on {back.day} {MONTHS[back.month - 1]}", f"last {DAYS[back.weekday()]}"])

def future_plain(m):
    dt = m.d + timedelta(m.rng.randint(1, 20))
    return m.rng.choice([f"{DAYS[dt.weekday()]} {dt.day} {MONTHS[dt.month - 1]}", f"{dt.day} {MONTHS[dt.month - 1][:3]}",
                         f"{MONTHS[dt.month - 1]} {dt.day}"])

# ----------------------------------------------------------------------------- references & PII
INV_SHAPES = {"train": ["INV-{n5}", "#{n5}", "Invoice {y}/{n4}", "PO {n4}", "inv no. {n5}", "factura F-{n4}",
                        "invoice {n5}", "INV{n6}", "invoice #{n5}", "Inv. {n5}"],
              "dev": ["INV-{n5}", "#{n5}", "Invoice {y}/{n4}", "PO {n4}", "inv no. {n5}", "factura F-{n4}",
                      "bill no. {n4}", "SI-{y}-{n4}", "invoice number {n6}", "Rechnung RE-{n4}", "ref INV/{yy}/{n3}"]}

def inv_ref(m, style):
    r = m.rng
    shapes = ["inv {n5}", "#{n5}", "INV-{n5}"] if style == "T" else INV_SHAPES[m.split]
    y = m.d.year - r.choice([0, 0, 1])
    return r.choice(shapes).format(n3=r.randint(100, 999), n4=r.randint(1000, 9999), n5=r.randint(10000, 99999),
                                   n6=r.randint(100000, 999999), y=y, yy=y % 100)

def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0

def card(r):
    prefix, length = r.choice([("4", 16), ("4", 16), ("5" + str(r.randint(1, 5)), 16), ("37", 15), ("34", 15)])
    body = prefix + "".join(str(r.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    num = body + next(c for c in "0123456789" if luhn_ok(body + c))
    sep = r.choice([" ", "-", ""])
    groups = [num[:4], num[4:10], num[10:]] if length == 15 else [num[i:i + 4] for i in range(0, 16, 4)]
    return sep.join(groups), num

def iban_ok(iban):
    s = iban.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1

def iban(r):
    dg = lambda n: "".join(str(r.randint(0, 9)) for _ in range(n))
    up = lambda n: "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))
    cc, bban = r.choice([("DE", dg(18)), ("GB", up(4) + dg(14)), ("FR", dg(23)), ("NL", up(4) + dg(10)),
                         ("ES", dg(20)), ("IT", up(1) + dg(22))])
    check = 98 - int("".join(str(int(c, 36)) for c in bban + cc + "00")) % 97
    raw = f"{cc}{check:02d}{bban}"
    assert iban_ok(raw)
    return (" ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if r.random() < .6 else raw), raw

def ssn(r):
    area = r.choice([x for x in range(1, 900) if x != 666])
    return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

def non_luhn16(r):
    while True:
        s = "".join(str(r.randint(0, 9)) for _ in range(16))
        if not luhn_ok(s) and s[0] not in "3456":
            return " ".join(s[i:i + 4] for i in range(0, 16, 4))

def phone(r):
    return r.choice([f"+1 (555) 01{r.randint(0, 9)}-{r.randint(1000, 9999)}",
                     f"+44 20 7946 0{r.randint(100, 999)}", f"555-01{r.randint(10, 99)}"])

# ----------------------------------------------------------------------------- messages
OFFSETS = ["-08:00", "-07:00", "-05:00", "+00:00", "+01:00", "+02:00", "+05:30", "+09:00", "+10:00"]

def tz(off):
    sign = -1 if off[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))

def rand_sent(r):
    y, x = r.choice([2025, 2026]), r.random()
    if x < .07:
        d = date(y, 12, r.randint(26, 31))                       # year-end
    elif x < .25:
        d = month_end(date(y, r.randint(1, 12), 1)) - timedelta(r.randint(0, 3))   # month-end
    else:
        d = date(y, 1, 1) + timedelta(r.randint(0, 364))
    x = r.random()
    if x < .15:      # late evening local time: for negative offsets UTC is already the next day
        h, off = r.randint(19, 23), r.choice(["-08:00", "-07:00", "-05:00"] if r.random() < .75 else OFFSETS)
    elif x < .2:     # small hours: for positive offsets UTC is still the previous day
        h, off = r.randint(0, 5), r.choice(["+05:30", "+09:00", "+10:00"])
    else:
        h, off = r.randint(7, 18), r.choice(OFFSETS)
    return datetime(d.year, d.month, d.day, h, r.randint(0, 59), r.choice([0, r.randint(0, 59)]), tzinfo=tz(off))

def slug(name):
    return re.sub(r"[^a-z]+", "", name.lower())

class Msg:
    def __init__(self, split, rng, direction):
        self.split, self.rng, self.direction = split, rng, direction
        pick = lambda pool: rng.choice(pool[split])
        self.sent = rand_sent(rng)
        self.d = self.sent.date()                 # the sender's local date
        self.first, self.last, self.title = pick(FIRST), pick(LAST), pick(TITLES)
        self.agent, self.agent_last = pick(AGENTS), pick(LAST)
        self.cust, self.co = pick(CUSTOMERS), pick(VENDORS)
        self.invoices, self.promise, self.reason, self.pii = [], None, None, []
        self.typo = rng.random() < 0.10
        self.lower = rng.random() < 0.5

SLOT = re.compile(r"\{(\w+)\}")

def slot_value(m, key, style, cache, promise):
    r, sp = m.rng, m.split
    if key in ("inv", "inv2"):
        while True:
            v = inv_ref(m, style)
            if v != cache.get("inv"):
                return v
    if key == "po":
        return r.choice(["PO {}", "PO-{}", "PO#{}", "P.O. {}"]).format(r.randint(1000, 99999))
    if key in ("amt", "xamt"):
        fmt = cache.setdefault("_fmt", pick_format(m, style)) if key == "amt" else pick_format(m, style)
        v = fmt[3](r)
        if promise and key == "amt":
            m.promise.update(amount=v, currency=fmt[0])
        return fmt[4](v, r)
    if key in ("date", "bdate"):
        phrase, dt = date_phrase(m, style, mode="bare" if key == "bdate" else "promise")
        if promise:
            m.promise["date"] = dt.isoformat() if dt else None
        return phrase
    if key in ("qty", "qty2"):
        cache["qty"] = q = r.randint(12, 240)
        cache["qty2"] = r.randint(q // 3, q - 2)
        return cache[key]
    if key == "pdate":
        return past_phrase(m, style)
    if key == "fdate":
        return future_plain(m)
    simple = {"first": m.first, "last": m.last, "name": f"{m.first} {m.last}", "cust": m.cust, "co": m.co,
              "agent": m.agent, "agent_last": m.agent_last, "title": m.title}
    if key in simple:
        return simple[key]
    if key == "email":
        return f"{m.first.lower()}.{m.last.lower()}@{slug(m.cust)}.example"
    if key == "email2":
        return r.choice(["ap", "payables", "finance", "accounts"]) + f"@{slug(m.cust)}.example"
    if key == "pw":
        v = r.choice([r.choice(WORDS[sp]) + r.choice("!#$%") + str(r.randint(100, 9999)),
                      "".join(r.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#!") for _ in range(10))])
        m.pii.append(("password", v))
        return v
    if key == "card":
        shown, raw = card(r)
        m.pii.append(("card", raw))
        return shown
    if key == "iban":
        shown, raw = iban(r)
        m.pii.append(("iban", raw))
        return shown
    if key == "ssn":
        v = ssn(r)
        m.pii.append(("ssn", v))
        return v
    if key in ("ukacct", "usacct", "routing", "sort"):
        v = {"ukacct": lambda: f"{r.randint(10000000, 99999999)}", "usacct": lambda: str(r.randint(10 ** 9, 10 ** 12 - 1)),
             "routing": lambda: f"{r.randint(10000000, 99999999):08d}{r.randint(0, 9)}",
             "sort": lambda: f"{r.randint(10, 99)}-{r.randint(10, 99)}-{r.randint(10, 99)}"}[key]()
        m.pii.append(("account", v))
        return v
    other = {"phone": lambda: phone(r), "last4": lambda: f"{r.randint(0, 9999):04d}",
             "miban": lambda: r.choice(["DE", "GB", "NL", "FR"]) + f"{r.randint(10, 99)} **** **** **** {r.randint(0, 9999):04d}",
             "order": lambda: f"SO-{r.randint(100000, 999999)}", "ref16": lambda: non_luhn16(r),
             "track": lambda: "1Z" + "".join(r.choice("0123456789ABCDEFGHJKLMNPRSTVWXY") for _ in range(16)),
             "ticket": lambda: r.choice(["#AP-{}", "CASE-{:07d}", "REQ{}", "TKT-{}"]).format(r.randint(10000, 999999)),
             "chq": lambda: str(r.randint(100000, 999999)), "utr": lambda: f"UTR{r.randint(10 ** 11, 10 ** 12 - 1)}",
             "exp": lambda: f"{r.randint(1, 12):02d}/{r.randint(27, 31)}",
             "subject": lambda: r.choice(["Overdue balance", "Statement", "Account update", "Payment reminder"]) + f" - {m.co}",
             "item": lambda: r.choice(ITEMS[sp])}
    return other[key]()

def plan_two(m, style, cache):
    r = m.rng
    fmt = pick_format(m, style)
    a1, a2 = fmt[3](r), fmt[3](r)
    while not .25 <= a2 / a1 <= 4:                   # keep the two parts of comparable size
        a2 = fmt[3](r)
    p1, d1 = date_phrase(m, style, mode="first")
    d2 = d1 + timedelta(r.randint(7, 45))
    M, o = MONTHS[d2.month - 1], ordinal(d2.day)
    p2 = r.choice({"T": [f"{d2.day} {M[:3].lower()}", f"{M[:3].lower()} {d2.day}"], "S": [f"on the {ord_word(d2.day)} of {M}"],
                   "E": [f"on {o} {M}", f"till {o} {M}"]}.get(style, [f"on {d2.day} {M}", f"by {M} {d2.day}", f"on the {o} of {M}"]))
    cache.update(amt1=fmt[4](a1, r), amt2=fmt[4](a2, r), date1=p1, date2=p2)
    inst = [{"amount": a, "currency": fmt[0], "date": dd.isoformat()} for a, dd in ((a1, d1), (a2, d2))]
    m.promise = dict(inst[0], instalments=inst)

def plan_monthly(m, style, cache):
    r = m.rng
    fmt, n = pick_format(m, style), r.randint(2, 6)
    a = float(max(50, round(fmt[3](r) / n / 50) * 50)) if fmt[0] != "JPY" else float(round(fmt[3](r) / n, -3))
    p, start = date_phrase(m, style, mode="start")
    cache.update(amt=fmt[4](a, r), date=p, n=r.choice([str(n), ONES[n]]))
    inst = [{"amount": a, "currency": fmt[0], "date": add_months(start, k).isoformat()} for k in range(n)]
    m.promise = dict(inst[0], instalments=inst)

def fill(m, tpl, style, collect=True, promise=False):
    cache, refs = {}, []
    if promise and "{amt1}" in tpl:
        plan_two(m, style, cache)
    elif promise and "{n}" in tpl:
        plan_monthly(m, style, cache)
    elif promise:
        m.promise = {"amount": None, "currency": None, "date": None}

    def rep(mo):
        key = mo.group(1)
        if key not in cache:
            cache[key] = slot_value(m, key, style, cache, promise)
        val = str(cache[key])
        before = tpl[:mo.start()].rstrip()
        if key in ("inv", "inv2", "po", "amt", "xamt", "date") and (not before or before[-1] in ".!?\n"):
            val = val[0].upper() + val[1:]                        # sentence-initial
        if key in ("inv", "inv2", "po"):
            refs.append(val)
        return val
    out = SLOT.sub(rep, tpl)
    if collect:
        m.invoices += [x for x in refs if x not in m.invoices]
    return out

def outside_slots(tpl, fn):
    return "".join(p if SLOT.fullmatch(p) else fn(p) for p in re.split(r"(\{\w+\})", tpl))

def add_typos(r, tpl):
    def mutate(seg):
        words_ = [w for w in re.finditer(r"[A-Za-z]{4,}", seg)]
        if not words_:
            return seg
        w = r.choice(words_)
        t = w.group()
        if t.lower() in TYPO_MAP:
            new = TYPO_MAP[t.lower()]
            new = new[0].upper() + new[1:] if t[0].isupper() else new
        else:
            i = r.randint(1, len(t) - 2)
            new = r.choice([t[:i] + t[i + 1] + t[i] + t[i + 2:], t[:i] + t[i + 1:], t[:i] + t[i] + t[i:]])
        return seg[:w.start()] + new + seg[w.end():]
    short = len(re.findall(r"[A-Za-z]+", SLOT.sub("", tpl))) < 6
    for _ in range(1 if short else r.choice([1, 1, 2])):       # one or two typos per message
        parts = re.split(r"(\{\w+\})", tpl)
        idx = [i for i, p in enumerate(parts) if not SLOT.fullmatch(p) and re.search(r"[A-Za-z]{4,}", p)]
        if idx:
            i = r.choice(idx)
            parts[i] = mutate(parts[i])
        tpl = "".join(parts)
    return tpl

def pick_tpl(m, cat, style):
    rows = TPL[cat][m.split]
    return m.rng.choice([t for t in rows if style in t[0]] or [t for t in rows if "N" in t[0]] or rows)

def clause(m, cat, style):
    styles, meta, tpl = pick_tpl(m, cat, style)
    if m.typo:
        tpl, m.typo = add_typos(m.rng, tpl), False
    if style == "T" and m.lower:
        tpl = outside_slots(tpl, str.lower)
    if cat == "dispute":
        m.reason = meta
    return fill(m, tpl, style, promise=cat in ("promise", "rest", "instal"))

def lcfirst(s, m=None):
    keep = m.invoices + [m.first, m.cust, m.co, m.agent] if m else []
    if any(s.startswith(k) for k in keep) or s.startswith("I ") or not re.match(r"[A-Z][a-z]+\b", s):
        return s
    return s[0].lower() + s[1:]

def join(m, style, first, second, connector=None):
    r = m.rng
    if connector:
        second = connector + " " + lcfirst(second, m)
    if style != "T" and first[-1] not in ".!?":
        first += "."
    if style == "T":
        return first + r.choice([" ", ", ", "\n", ". "]) + second
    return first + ("\n\n" if style == "F" and r.random() < .5 else " ") + second

CAT = {"dispute": "dispute", "promise_to_pay": "promise", "billing_query": "billing", "payment_confirmation": "confirm",
       "hardship": "hardship", "cease_contact": "cease", "legal_escalation": "legal", "auto_reply": "auto"}

def inbound_body(m, labels, style):
    r, L, sp = m.rng, set(labels), m.split
    conn = lambda: r.choice(CONNECT[sp]) or None
    if not L:
        return clause(m, "neg", style)
    if L == {"promise_to_pay"}:
        return clause(m, "instal" if r.random() < .2 else "promise", style)
    if len(L) == 1:
        return clause(m, CAT[labels[0]], style)
    if L == {"dispute", "promise_to_pay"}:
        return join(m, style, clause(m, "dispute", style), clause(m, "rest", style), conn())
    if L == {"payment_confirmation", "promise_to_pay"}:
        return join(m, style, clause(m, "confirm", style), clause(m, "rest", style))
    if L == {"hardship", "promise_to_pay"}:
        first = clause(m, "hardship", style)
        if style in "FNE" and r.random() < .4:
            first += " " + r.choice(HP_LEAD[sp])
        return join(m, style, first, clause(m, "instal" if r.random() < .7 else "promise", style))
    if L == {"payment_confirmation", "billing_query"}:
        a, b = clause(m, "confirm", style), clause(m, "billing", style)
        return join(m, style, a, b, conn()) if r.random() < .75 else join(m, style, b, a)
    if L in ({"dispute", "legal_escalation"}, {"dispute", "billing_query"}):
        other = "legal" if "legal_escalation" in L else "billing"
        a, b = clause(m, "dispute", style), clause(m, other, style)
        return join(m, style, a, b) if r.random() < .85 else join(m, style, b, a)
    if L == {"cease_contact", "legal_escalation"}:
        a, b = clause(m, "cease", style), clause(m, "legal", style)
        return join(m, style, a, b) if r.random() < .5 else join(m, style, b, a)
    raise ValueError(labels)

def choose_channel_style(r, labels, direction):
    if "auto_reply" in labels:
        ch = r.choices(["email", "sms"], [88, 12])[0]
        return ch, "N" if ch == "email" else "T"
    if direction == "outbound":
        ch = r.choices(["email", "sms", "chat", "call"], [55, 15, 15, 15])[0]
        return ch, {"email": r.choice("FN"), "sms": "T", "chat": r.choice("NT"), "call": "S"}[ch]
    ch = r.choices(["email", "chat", "sms", "call"], [52, 16, 12, 20])[0]
    style = {"email": r.choices("FNE", [35, 40, 25])[0], "chat": r.choices("NT", [45, 55])[0],
             "sms": r.choices("TN", [75, 25])[0], "call": "S"}[ch]
    return ch, style

def wrap_inbound(m, channel, style, body):
    r, sp = m.rng, m.split
    f = lambda t: fill(m, t, style)
    if channel == "email":
        if style == "N" and r.random() < .2:
            return body
        parts = [f(r.choice(GREET[style][sp]))]
        if r.random() < {"F": .6, "N": .3, "E": .7}[style]:
            parts.append(f(r.choice(OPEN[style][sp])))
        if style == "F" and r.random() < .25:
            parts += [f(x) for x in r.sample(LONG[sp], r.choices([1, 2, 3], [60, 28, 12])[0])]
        parts.append(body)
        if r.random() < {"F": .5, "N": .3, "E": .5}[style]:
            parts.append(f(r.choice(CLOSE[style][sp])))
        return "\n\n".join(parts) + "\n\n" + f(r.choice(SIGN[style][sp]))
    if channel == "chat":
        if r.random() < .3:
            body = f(r.choice(CHAT_PRE[sp])) + " " + lcfirst(body, m)
        if r.random() < .15 and not any(e in body for e in EMOJI + ["✅", "😡"]):
            body += " " + r.choice(EMOJI)
        return body
    if channel == "sms":
        return f(r.choice(SMS_PRE[sp])) + " " + body if r.random() < .25 else body
    pre = r.choice(SPOKEN_PRE[sp])
    if r.random() < .35 and not body.lower().startswith(pre.strip(" ,")):
        return pre + " " + lcfirst(body, m)
    return body

def quote_block(m):
    r, sp = m.rng, m.split
    styles, _, line = pick_tpl(m, "quoted", r.choice("NF"))
    agent_voice = styles == "F"
    lines = [fill(m, line, "N", collect=False)]
    if r.random() < .4:
        lines.append(fill(m, r.choice(CLOSE["N"][sp]), "N", collect=False))
    if agent_voice:
        who, mail = f"{m.agent} {m.agent_last}", f"{m.agent.lower()}@{slug(m.co)}.example"
    else:
        who, mail = f"{m.first} {m.last}", f"{m.first.lower()}.{m.last.lower()}@{slug(m.cust)}.example"
    q = m.sent - timedelta(days=r.randint(1, 9), hours=r.randint(0, 8), minutes=r.randint(0, 59))
    dw, mon, hm = DAYS[q.weekday()], MONTHS[q.month - 1], f"{q.hour:02d}:{q.minute:02d}"
    h12 = f"{(q.hour % 12) or 12}:{q.minute:02d} {'AM' if q.hour < 12 else 'PM'}"
    subj = r.choice(["Account", "Statement", "Open items"]) + f" {m.cust}"
    gt = "\n".join("> " + x for x in lines)
    plain = "\n\n".join(lines)
    styles_ = {"train": [f"On {dw[:3]}, {q.day} {mon[:3]} {q.year} at {hm}, {who} <{mail}> wrote:\n{gt}",
                         f"-----Original Message-----\nFrom: {who} <{mail}>\nSent: {dw}, {q.day} {mon} {q.year} {hm}\n"
                         f"To: accounts\nSubject: RE: {subj}\n\n{plain}"],
               "dev": [f"On {mon[:3]} {q.day}, {q.year}, at {h12}, {who} <{mail}> wrote:\n\n{gt}",
                       f"On {dw[:3]}, {mon[:3]} {q.day}, {q.year} at {h12} {who} <{mail}> wrote:\n{gt}",
                       f"________________________________\nFrom: {who} <{mail}>\nSent: {dw}, {mon} {q.day}, {q.year} {h12}\n"
                       f"To: Accounts\nSubject: RE: {subj}\n\n{plain}",
                       f"-----Original Message-----\nFrom: {who} <{mail}>\nDate: {q.day} {mon} {q.year} {hm}\n"
                       f"Subject: {subj}\n\n{plain}"]}[sp]
    return r.choice(styles_)

def make_inbound(split, r, labels):
    m = Msg(split, r, "inbound")
    channel, style = choose_channel_style(r, labels, "inbound")
    if labels == ("auto_reply",):
        text = clause(m, "auto", style)
    else:
        text = wrap_inbound(m, channel, style, inbound_body(m, labels, style))
    quoted = channel == "email" and labels != ("auto_reply",) and r.random() < QUOTE_RATE
    if quoted:
        text += "\n\n" + quote_block(m)
    return record(m, text, channel, labels, quoted)

def make_outbound(split, r, kind):
    m = Msg(split, r, "outbound")
    channel, style = choose_channel_style(r, (), "outbound")
    cats = {"clean": ["out_clean"], "near": ["out_near"], "abusive": ["out_abuse"], "pii": ["out_pii"],
            "abusive+pii": ["out_abuse", "out_pii"]}[kind]
    if kind != "clean" and r.random() < .35:
        cats = ["out_clean"] + cats                      # e.g. a reminder, then the flagged line
    body = clause(m, cats[0], style)
    for c in cats[1:]:
        body = join(m, style, body, clause(m, c, style))
    if channel == "email":
        greet = fill(m, r.choice(OUT_GREET[split]), style) + "\n\n" if r.random() < (.4 if "abusive" in kind else .9) else ""
        body = greet + body + "\n\n" + fill(m, r.choice(OUT_SIGN[split]), style)
    elif channel == "call" and r.random() < .3:
        body = r.choice(SPOKEN_PRE[split]) + " " + lcfirst(body, m)
    quoted = channel == "email" and r.random() < QUOTE_RATE
    if quoted:
        body += "\n\n" + quote_block(m)
    labels = [t for t in OUT_TAGS if (t == "abusive_language" and "abusive" in kind) or (t == "pii_exposure" and "pii" in kind)]
    return record(m, body, channel, labels, quoted)

def local_dollars(promise, text, sent):
    """A "$" or "dollars" written at +10:00 is an Australian's: AUD, unless USD is named."""
    if not promise or sent.utcoffset() != timedelta(hours=10) or re.search(r"USD|usd|US\$", text):
        return promise
    def aud(p):
        return dict(p, currency="AUD") if p.get("currency") == "USD" else p
    out = aud(promise)
    if "instalments" in promise:
        out["instalments"] = [aud(i) for i in promise["instalments"]]
    return out

def record(m, text, channel, labels, quoted):
    labels = [t for t in IN_TAGS + OUT_TAGS if t in labels]
    ex = {"id": None, "text": text, "sent_at": m.sent.isoformat(), "channel": channel, "direction": m.direction,
          "labels": labels, "promise": local_dollars(m.promise, text, m.sent) if "promise_to_pay" in labels else None}
    if m.invoices:
        ex["invoices"] = m.invoices
    if "dispute" in labels:
        ex["dispute_reason"] = m.reason
    return ex, {"quoted": quoted, "pii": m.pii}

# ----------------------------------------------------------------------------- build & validate
HEADER = re.compile(r"^(from|sent|to|cc|date|subject):|original message|wrote:$|^_{5,}$", re.I)

def sentences(text):
    """Normalised sentences with >= 2 alphabetic words (quoted-mail header lines excluded)."""
    out = set()
    for line in text.split("\n"):
        line = line.strip().lstrip(">").strip()
        if not line or HEADER.search(line):
            continue
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", line):
            norm = " ".join(re.findall(r"[a-z0-9']+", s.lower()))
            if len(re.findall(r"\b[a-z]{2,}\b", norm)) >= 2:
                out.add(norm)
    return out

def build(split):
    r = random.Random(SEEDS[split])
    jobs = [("in", labels) for labels, tr, dv in IN_PLAN for _ in range(tr if split == "train" else dv)]
    jobs += [("out", kind) for kind, tr, dv in OUT_PLAN for _ in range(tr if split == "train" else dv)]
    rows, seen = [], set()
    for direction, spec in jobs:
        for _ in range(50):
            ex, meta = make_inbound(split, r, spec) if direction == "in" else make_outbound(split, r, spec)
            if ex["text"] not in seen:
                break
        else:
            raise SystemExit(f"could not make a unique {split} example for {spec}")
        seen.add(ex["text"])
        rows.append((ex, meta))
    r.shuffle(rows)
    for i, (ex, _) in enumerate(rows, 1):
        ex["id"] = f"{split}-{i:04d}"
    return rows

def fail(msg):
    raise SystemExit("VALIDATION FAILED: " + msg)

CARD_RUN = re.compile(r"(?<![\dA-Z])\d(?:[ -]?\d){12,18}(?!\d)")
IBAN_RUN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")

def validate(split, rows):
    for ex, meta in rows:
        tag = f"{split} {ex['id']}"
        d = datetime.fromisoformat(ex["sent_at"]).date()   # local date of the sender
        allowed = IN_TAGS if ex["direction"] == "inbound" else OUT_TAGS
        if not set(ex["labels"]) <= set(allowed) or ex["channel"] not in ("email", "chat", "sms", "call"):
            fail(f"{tag}: bad labels/channel {ex['labels']} {ex['channel']}")
        p = ex["promise"]
        if ("promise_to_pay" in ex["labels"]) != (p is not None):
            fail(f"{tag}: promise object does not match labels")
        if p:
            if p["currency"] not in CURRENCIES | {None} or (p["amount"] is None and p["currency"]):
                fail(f"{tag}: bad promise amount/currency {p}")
            for x in [p] + p.get("instalments", []):
                if x["date"] and date.fromisoformat(x["date"]) < d:
                    fail(f"{tag}: promise date {x['date']} before sent date {d}")
            if "instalments" in p and {k: p["instalments"][0][k] for k in ("amount", "currency", "date")} != \
                    {k: p[k] for k in ("amount", "currency", "date")}:
                fail(f"{tag}: top-level promise is not the first instalment")
        if ("dispute" in ex["labels"]) != ("dispute_reason" in ex) or ex.get("dispute_reason", "price") not in REASONS:
            fail(f"{tag}: dispute_reason mismatch")
        new_text = re.split(r"\n\n(?:On .+wrote:|-----Original Message-----|_{10,})", ex["text"])[0]
        for ref in ex.get("invoices", []):
            if ref not in new_text:
                fail(f"{tag}: invoice ref {ref!r} not in new text")
        if ex["direction"] == "outbound":
            for kind, val in meta["pii"]:
                if (kind == "card" and not luhn_ok(val)) or (kind == "iban" and not iban_ok(val)):
                    fail(f"{tag}: invalid {kind} {val}")
            cards = [c for c in CARD_RUN.findall(ex["text"]) if luhn_ok(re.sub(r"\D", "", c))]
            ibans = [b for b in IBAN_RUN.findall(ex["text"]) if iban_ok(b)]
            ssns = re.findall(r"\b\d{3}-\d{2}-\d{4}\b", ex["text"])
            if (cards or ibans or ssns) and "pii_exposure" not in ex["labels"]:
                fail(f"{tag}: unlabelled PII {cards} {ibans} {ssns}")
            if "pii_exposure" in ex["labels"] and not meta["pii"]:
                fail(f"{tag}: pii_exposure without PII")

def stats(split, rows):
    c = Counter(t for ex, _ in rows for t in ex["labels"])
    inbound = [ex for ex, _ in rows if ex["direction"] == "inbound"]
    prom = [ex for ex in inbound if ex["promise"]]
    s = {"examples": len(rows), "inbound": len(inbound), "outbound": len(rows) - len(inbound),
         "inbound_no_label": sum(not ex["labels"] for ex in inbound),
         "inbound_multi_label": sum(len(ex["labels"]) >= 2 for ex in inbound),
         "quoted_earlier_message": sum(meta["quoted"] for _, meta in rows),
         "outbound_no_label": sum(not ex["labels"] for ex, _ in rows if ex["direction"] == "outbound"),
         "promise_with_date": sum(bool(ex["promise"]["date"]) for ex in prom),
         "promise_without_amount": sum(ex["promise"]["amount"] is None for ex in prom),
         "promise_with_instalments": sum("instalments" in ex["promise"] for ex in prom),
         "promise_date_next_year": sum(bool(ex["promise"]["date"]) and ex["promise"]["date"][:4] > ex["sent_at"][:4] for ex in prom),
         "promise_date_next_month": sum(bool(ex["promise"]["date"]) and ex["promise"]["date"][:7] > ex["sent_at"][:7] for ex in prom),
         "sent_local_date_differs_from_utc": sum(datetime.fromisoformat(ex["sent_at"]).date() !=
                                                 datetime.fromisoformat(ex["sent_at"]).astimezone(UTC).date()
                                                 for ex, _ in rows)}
    s.update({f"channel_{k}": v for k, v in sorted(Counter(ex["channel"] for ex, _ in rows).items())})
    return c, s

MINIMUM = {"train": (120, 60), "dev": (25, 20)}

def main():
    built = {sp: build(sp) for sp in ("train", "dev")}
    for sp, rows in built.items():
        validate(sp, rows)
        lo, lo_out = MINIMUM[sp]
        counts, _ = stats(sp, rows)
        for t in IN_TAGS + OUT_TAGS:
            if counts[t] < (lo_out if t in OUT_TAGS else lo):
                fail(f"{sp}: only {counts[t]} examples of {t}")
    train_sents = set().union(*(sentences(ex["text"]) for ex, _ in built["train"]))
    train_texts = {ex["text"] for ex, _ in built["train"]}
    shared = sorted({s for ex, _ in built["dev"] for s in sentences(ex["text"]) if s in train_sents})
    if shared or any(ex["text"] in train_texts for ex, _ in built["dev"]):
        fail(f"dev shares {len(shared)} sentence(s) with train, e.g. {shared[:10]}")
    for sp, rows in built.items():
        path = OUT_DIR / f"{sp}.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for ex, _ in rows:
                fh.write(json.dumps(ex, ensure_ascii=False) + "\n")
        for n, line in enumerate(open(path, encoding="utf-8"), 1):     # re-read: every line parses
            obj = json.loads(line)
            missing = {"id", "text", "sent_at", "channel", "direction", "labels", "promise"} - set(obj)
            if missing:
                fail(f"{path.name}:{n} missing {missing}")
        counts, s = stats(sp, rows)
        print(f"== {sp}: {path.relative_to(OUT_DIR.parent.parent.parent)}")
        for t in IN_TAGS + OUT_TAGS:
            print(f"  {t:22s} {counts[t]}")
        for k, v in s.items():
            print(f"  {k:34s} {v}")
    print("dev/train sentence overlap: none")

if __name__ == "__main__":
    main()
