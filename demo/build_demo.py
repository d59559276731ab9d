#!/usr/bin/env python3
"""Build commwatch's bundled demo data: a Maildir of accounts-receivable email for
Halden Industrial Supply Ltd, the customer master, and the ground truth the tests use.

    python demo/build_demo.py

Everything is derived from the records below. The output is the same, byte for byte, on
every run: no randomness and no clock. Only files under demo/ are written; demo/maildir
is deleted and rebuilt. Standard library only.
"""

from __future__ import annotations

import csv
import email
import html
import json
import mailbox
import os
import shutil
import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from email import policy, utils
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from build_chat import write_chat

DEMO = Path(__file__).resolve().parent
MAILDIR = DEMO / "maildir"
COMPANY = "Halden Industrial Supply Ltd"
OWN_DOMAINS = ["halden-supply.example"]
WINDOW = (datetime(2026, 10, 19, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
TAXONOMY = ["dispute", "promise_to_pay", "billing_query", "payment_confirmation", "hardship",
            "cease_contact", "legal_escalation", "auto_reply", "abusive_language", "pii_exposure"]


def t(text: str) -> str:
    """A body written indented in this file, without the indent."""
    return textwrap.dedent(text).strip("\n")


# --- Time zones (autumn 2026 only): standard and summer offset in minutes, and the local
# date summer time ends (EU: 25 October, US: 1 November).
REGIONS = {
    "uk": (0, 60, "2026-10-25"), "cet": (60, 120, "2026-10-25"),
    "us_east": (-300, -240, "2026-11-01"), "us_central": (-360, -300, "2026-11-01"),
    "us_pacific": (-480, -420, "2026-11-01"), "india": (330, 330, "2026-01-01"),
}

# --- Our side --------------------------------------------------------------------------
SIGS = {
    "maria": "Maria Lopez\nCredit Controller\nHalden Industrial Supply Ltd\nT: +44 161 496 0142",
    "tom": "Tom Becker\nSenior Credit Controller\nHalden Industrial Supply Ltd\n"
           "T: +44 161 496 0157 | M: +44 7700 900461",
    "priya": "Priya Nair\nCredit Controller, Export Accounts\nHalden Industrial Supply Ltd\n"
             "T: +44 161 496 0175",
    "ar": "Accounts Receivable\nHalden Industrial Supply Ltd\nUnit 4, Westgate Trading Estate, "
          "Manchester M17 1QT\nT: +44 161 496 0100",
}

# key: (display name, address, region)
PEOPLE = {
    "ar": ("Halden Accounts Receivable", "ar@halden-supply.example", "uk"),
    "maria": ("Maria Lopez", "maria.lopez@halden-supply.example", "uk"),
    "tom": ("Tom Becker", "tom.becker@halden-supply.example", "uk"),
    "priya": ("Priya Nair", "priya.nair@halden-supply.example", "uk"),
    "dana": ("Dana Whitfield", "dana.whitfield@brightline-builders.example", "us_east"),
    "marcus": ("Marcus Bell", "ap@brightline-builders.example", "us_east"),
    "kevin": ("Kevin Osei", "kevin.osei@northgate-elec.example", "us_east"),
    "angela": ("Angela Ruiz", "payables@ngdist.example", "us_east"),
    "hoffmann": ("Hoffmann, Jürgen", "j.hoffmann@kessler-maschinenbau.example", "cet"),
    "kessler_ap": ("Kessler Buchhaltung", "buchhaltung@kessler-maschinenbau.example", "cet"),
    "rick": ("Rick Dalton", "rick@coastal-fab.example", "us_central"),
    "sarah": ("Sarah Hargreaves", "s.hargreaves@pennine-plant.example", "uk"),
    "karen": ("Pennine Plant Hire Accounts", "accounts@pennine-plant.example", "uk"),
    "lucia": ("Lucía Reyes", "lucia.reyes@vr-contractors.example", "us_pacific"),
    "miguel": ("Miguel Vasquez", "m.vasquez@vasquezreyes.example", "us_pacific"),
    "claire": ("Claire Moreau", "c.moreau@atelier-moreau.example", "cet"),
    "elodie": ("Élodie Garnier", "comptabilite@atelier-moreau.example", "cet"),
    "summit_ap": ("Summit Ridge AP", "ap.team@summitridge-mfg.example", "us_east"),
    "summit_noreply": ("Summit Ridge Accounts Payable", "ap_noreply@summitridge-mfg.example",
                       "us_east"),
    "greg": ("Greg Lindqvist", "greg.lindqvist@summitridge-mfg.example", "us_east"),
    "nancy": ("Nancy Cho", "nancy.cho@summitridge-mfg.example", "us_east"),
    "jenny": ("Jenny Tran", "jenny.tran.ap@mail.example", "us_east"),
    "rajesh": ("Rajesh Kumar", "rajesh.k@sharmapumps.example", "india"),
    "sharma_ap": ("Sharma Pumps Accounts", "accounts@sharmapumps.example", "india"),
}

# --- The customer master ----------------------------------------------------------------
CSV_COLUMNS = ["id", "name", "domains", "contacts", "credit_limit", "currency", "terms_days",
               "owner", "owner_email", "tier", "risk_score"]
CUSTOMERS = [
    ("C001", "Brightline Builders Inc", ["brightline-builders.example"], ["dana", "marcus"],
     150000, "USD", 30, "maria", "strategic", 22),
    ("C002", "Northgate Electrical Distributors", ["northgate-elec.example", "ngdist.example"],
     ["kevin", "angela"], 60000, "USD", 45, "tom", "standard", 55),
    ("C003", "Kessler Maschinenbau GmbH", ["kessler-maschinenbau.example"],
     ["hoffmann", "kessler_ap"], 120000, "EUR", 60, "priya", "strategic", 12),
    ("C004", "Coastal Fabrication LLC", ["coastal-fab.example"], ["rick"],
     25000, "USD", 30, "maria", "small", 78),
    ("C005", "Pennine Plant Hire Ltd", ["pennine-plant.example"], ["sarah", "karen"],
     40000, "GBP", 30, "tom", "standard", 33),
    ("C006", "Vasquez & Reyes Contractors", ["vr-contractors.example", "vasquezreyes.example"],
     ["lucia", "miguel"], 15000, "USD", 30, "priya", "small", 64),
    ("C007", "Atelier Moreau SARL", ["atelier-moreau.example"], ["claire", "elodie"],
     30000, "EUR", 45, "priya", "standard", 41),
    ("C008", "Summit Ridge Manufacturing Co", ["summitridge-mfg.example"],
     ["summit_ap", "greg", "nancy"], 200000, "USD", 60, "tom", "strategic", 18),
    ("C009", "Sharma Pumps & Valves Pvt Ltd", ["sharmapumps.example"], ["rajesh", "sharma_ap"],
     50000, "USD", 45, "maria", "standard", 47),
]
# Invoices mentioned in the mail, by customer (the AR ledger the demo assumes).
INVOICES = {
    "C001": ["INV-10023", "INV-10031", "INV-10044"],
    "C002": ["INV-10027", "INV-10035", "INV-10052"],
    "C003": ["INV-10029", "INV-10041", "INV-10057", "INV-10066"],
    "C004": ["INV-10033", "INV-10047"],
    "C005": ["INV-10025", "INV-10038", "INV-10056", "INV-10071"],
    "C006": ["INV-10036", "INV-10049"],
    "C007": ["INV-10039", "INV-10058"], "C008": ["INV-10042", "INV-10048", "INV-10061"],
    "C009": ["INV-10045", "INV-10054"],
}
# The AR ledger as the ERP exports it on 20 November 2026 (invoices.csv, payments.csv).
# Per invoice: amount, issued, due, credit notes against it, disputed (open at export), and
# whether it was cancelled. The open amount is the amount less credit notes and payments,
# and the status follows from it; verify() checks both against what the mail says.
LEDGER_AS_OF = date(2026, 11, 20)
LEDGER = {
    # Brightline: CN-2211 $910.00 on INV-10023; INV-10044 cancelled (CN-2241), a duplicate.
    "INV-10016": (8645.00, "2026-08-28", "2026-09-27", 0, False, False),
    "INV-10023": (13390.00, "2026-09-04", "2026-10-04", 910.00, False, False),
    "INV-10031": (2318.75, "2026-09-30", "2026-10-30", 0, False, False),
    "INV-10044": (2318.75, "2026-09-30", "2026-10-30", 2318.75, False, True),
    # Northgate: 50 pcs short on INV-10035; INV-10052 reissued, amount and due date unchanged.
    "INV-10018": (4310.80, "2026-09-01", "2026-10-16", 0, False, False),
    "INV-10027": (6212.40, "2026-09-13", "2026-10-28", 0, False, False),
    "INV-10035": (4920.00, "2026-10-15", "2026-11-29", 0, True, False),
    "INV-10052": (3847.20, "2026-10-12", "2026-11-26", 0, False, False),
    # Kessler: CN-2230 EUR 1,836.00 on INV-10029; the statement of 19 November lists the rest.
    "INV-10019": (4380.00, "2026-08-21", "2026-10-20", 0, False, False),
    "INV-10029": (9840.00, "2026-09-10", "2026-11-09", 1836.00, False, False),
    "INV-10041": (5412.50, "2026-10-02", "2026-12-01", 0, False, False),
    "INV-10057": (3120.00, "2026-10-30", "2026-12-29", 0, False, False),
    "INV-10066": (7084.00, "2026-11-16", "2027-01-15", 0, False, False),
    # Coastal paid in 28 days over the summer (INV-09871, -09912, -09955), then slowed down:
    # INV-10009 took 67 days, INV-10033 72; that change is what the credit-review rule sees.
    "INV-09871": (4620.00, "2026-05-04", "2026-06-03", 0, False, False),
    "INV-09912": (3980.00, "2026-06-08", "2026-07-08", 0, False, False),
    "INV-09955": (5150.00, "2026-07-06", "2026-08-05", 0, False, False),
    "INV-10009": (4400.00, "2026-08-10", "2026-09-09", 0, False, False),
    # Coastal: over its USD 25,000 limit on 2 November with INV-10051 and INV-10060 not yet due.
    "INV-10033": (5200.00, "2026-09-02", "2026-10-02", 0, False, False),
    "INV-10047": (4100.00, "2026-09-23", "2026-10-23", 0, False, False),
    "INV-10051": (9870.00, "2026-10-08", "2026-11-07", 0, False, False),
    "INV-10060": (7450.00, "2026-10-29", "2026-11-28", 0, False, False),
    # Pennine: the GBP 150 delivery charge on INV-10025 is disputed.
    "INV-10025": (3150.00, "2026-09-06", "2026-10-06", 0, True, False),
    "INV-10038": (2480.00, "2026-10-14", "2026-11-13", 0, False, False),
    "INV-10056": (915.60, "2026-10-27", "2026-11-26", 0, False, False),
    "INV-10071": (1066.80, "2026-11-20", "2026-12-20", 0, False, False),
    "INV-10036": (3200.00, "2026-09-12", "2026-10-12", 0, False, False),
    "INV-10049": (1875.50, "2026-10-21", "2026-11-20", 0, False, False),
    # Moreau: EUR 1,740 of INV-10039 held for two damaged pallets.
    "INV-10021": (2905.00, "2026-09-03", "2026-10-18", 0, False, False),
    "INV-10039": (6240.00, "2026-09-11", "2026-10-26", 0, True, False),
    "INV-10058": (1730.00, "2026-10-20", "2026-12-04", 0, False, False),
    "INV-10042": (19412.00, "2026-08-21", "2026-10-20", 0, False, False),
    "INV-10048": (8528.50, "2026-08-28", "2026-10-27", 0, False, False),
    "INV-10061": (14225.00, "2026-08-29", "2026-10-28", 0, False, False),
    # Sharma: the goods of INV-10054 have not arrived.
    "INV-10045": (11340.00, "2026-09-01", "2026-10-16", 0, False, False),
    "INV-10054": (8760.00, "2026-09-30", "2026-11-14", 0, True, False),
}
# Ledger invoices the mail never mentions (paid before it starts, or not yet due on 2 Nov).
MORE_INVOICES = {"C001": ["INV-10016"], "C002": ["INV-10018"], "C003": ["INV-10019"],
                 "C004": ["INV-09871", "INV-09912", "INV-09955", "INV-10009", "INV-10051",
                          "INV-10060"], "C007": ["INV-10021"]}
# Payments received (reference, customer, amount, received on, invoice). Kept promises:
# Pennine's GBP 3,000 (31 Oct), Coastal's first instalment (13 Nov); kept late: Vasquez &
# Reyes (promised 10 Nov); broken: Atelier Moreau's EUR 4,500 (13 Nov); open: Brightline's
# USD 12,480 (30 Nov) and Coastal's second instalment (11 Dec).
PAYMENTS = [
    ("WIRE-CF-260601", "C004", 4620.00, "2026-06-01", "INV-09871"),
    ("WIRE-CF-260706", "C004", 3980.00, "2026-07-06", "INV-09912"),
    ("WIRE-CF-260803", "C004", 5150.00, "2026-08-03", "INV-09955"),
    ("WIRE-CF-261016", "C004", 4400.00, "2026-10-16", "INV-10009"),
    ("ACH-BBI-26100101", "C001", 8645.00, "2026-10-01", "INV-10016"),
    ("0210-55087", "C002", 4310.80, "2026-10-19", "INV-10018"),
    ("SEPA-AMS-2610-0188", "C007", 2905.00, "2026-10-19", "INV-10021"),
    ("0004418827/1", "C008", 19412.00, "2026-10-20", "INV-10042"),
    ("0004418827/2", "C008", 8528.50, "2026-10-20", "INV-10048"),
    ("SEPA-KMB-2610-0413", "C003", 4380.00, "2026-10-21", "INV-10019"),
    ("SWIFT-SPV-261023", "C009", 11340.00, "2026-10-23", "INV-10045"),
    ("BACS-PPH-301026", "C005", 3000.00, "2026-10-30", "INV-10025"),
    ("SEPA-KMB-2611-0527", "C003", 8004.00, "2026-11-09", "INV-10029"),
    ("0210-55120", "C002", 6212.40, "2026-11-12", "INV-10027"),
    ("ACH-VRC-261112", "C006", 3200.00, "2026-11-12", "INV-10036"),
    ("WIRE-CF-261113", "C004", 5000.00, "2026-11-13", "INV-10033"),
    ("BACS-PPH-131126", "C005", 2480.00, "2026-11-13", "INV-10038"),
    ("ACH-BBI-26111701", "C001", 2318.75, "2026-11-17", "INV-10031"),
]
PAYMENT_COLUMNS = ["reference", "customer_id", "amount", "currency", "received_on",
                   "invoice_number"]
INVOICE_COLUMNS = ["number", "customer_id", "amount", "open_amount", "currency", "issued_on",
                   "due_on", "status", "disputed"]


def pdf(lines: list[str]) -> bytes:
    """A tiny one-page PDF with a few lines of Helvetica; offsets in the xref are exact."""
    text = " ".join("({}) '".format(s.replace("(", "\\(").replace(")", "\\)")) for s in lines)
    content = f"BT /F1 11 Tf 14 TL 56 800 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return out


REMITTANCE_PDF = pdf(["Summit Ridge Manufacturing Co - Remittance Advice",
                      "Payment 0004418827  ACH  19-Oct-2026",
                      "Payee: Halden Industrial Supply Ltd",
                      "INV-10042   2026-08-21   USD 19,412.00",
                      "INV-10048   2026-08-28   USD  8,528.50",
                      "Total paid                USD 27,940.50"])
POD_PDF = pdf(["PROOF OF DELIVERY  HX-448120", "Consignee: Northgate Electrical Distributors",
               "Ref: PO 8120   Delivered: 16-Oct-2026 09:40",
               "Pieces: 3 cartons (manifest 4)   Received by: D. Mercer",
               "Remark: 1 carton short - 150 pcs received"])
STATEMENT_CSV = t("""
    document,our_ref,your_po,date,due_date,currency,amount,open_amount,status
    INV-10041,SO-55120,PO 4500-8813,2026-10-02,2026-12-01,EUR,5412.50,5412.50,not due
    INV-10057,SO-55391,PO 4500-8902,2026-10-30,2026-12-29,EUR,3120.00,3120.00,not due
    INV-10066,SO-55467,PO 4500-8950,2026-11-16,2027-01-15,EUR,7084.00,7084.00,not due
    """) + "\n"

STATEMENT_HTML = t("""
    <html><head><meta charset="utf-8"></head>
    <body style="font-family:Arial,Helvetica,sans-serif;font-size:13px;color:#222">
    <p>Dear Brightline Builders accounts team,</p>
    <p>Please find below your statement of account as at <b>31 October 2026</b>.<br>
    Kindly arrange payment of any overdue items at your earliest convenience.</p>
    <table border="1" cellpadding="5" cellspacing="0"
           style="border-collapse:collapse;font-size:12px">
    <tr style="background:#e8eef4"><th>Invoice</th><th>Your PO</th><th>Date</th><th>Due</th>
      <th align="right">Amount (USD)</th><th>Status</th></tr>
    <tr><td>INV-10023</td><td>PO 7781</td><td>04/09/2026</td><td>04/10/2026</td>
      <td align="right">12,480.00</td><td style="color:#b00000">Overdue</td></tr>
    <tr><td>INV-10031</td><td>PO 7802</td><td>30/09/2026</td><td>30/10/2026</td>
      <td align="right">2,318.75</td><td style="color:#b00000">Overdue</td></tr>
    <tr><td>INV-10044</td><td>PO 7802</td><td>30/09/2026</td><td>30/10/2026</td>
      <td align="right">2,318.75</td><td style="color:#b00000">Overdue</td></tr>
    <tr><td colspan="4"><b>Total</b></td><td align="right"><b>17,117.50</b></td><td></td></tr>
    </table>
    <p>If you have already paid, thank you, and please ignore this message.<br>
    Questions? Reply to this email or call Maria Lopez on +44 161 496 0142.</p>
    <p style="color:#777;font-size:11px">Halden Industrial Supply Ltd &middot;
    Unit 4, Westgate Trading Estate, Manchester M17 1QT</p>
    </body></html>
    """) + "\n"
STATEMENT_TEXT = t("""
    Dear Brightline Builders accounts team,

    Please find below your statement of account as at 31 October 2026.
    Kindly arrange payment of any overdue items at your earliest convenience.

    Invoice    Your PO   Date        Due         Amount (USD)  Status
    INV-10023  PO 7781   04/09/2026  04/10/2026     12,480.00  Overdue
    INV-10031  PO 7802   30/09/2026  30/10/2026      2,318.75  Overdue
    INV-10044  PO 7802   30/09/2026  30/10/2026      2,318.75  Overdue
    Total                                           17,117.50

    If you have already paid, thank you, and please ignore this message.
    Questions? Reply to this email or call Maria Lopez on +44 161 496 0142.
    """)
INVOICE_HTML = t("""
    <html><head><meta charset="utf-8"></head>
    <body style="font-family:Segoe UI,Arial,sans-serif;font-size:13px">
    <p>Dear Customer,</p>
    <p>Please find below the details of invoice <b>INV-10071</b> for your order
    <b>PO 7855</b>.<br>Payment is due on <b>20 December 2026</b> (30 days net).</p>
    <table cellpadding="6" cellspacing="0" style="border:1px solid #999;border-collapse:collapse">
    <tr style="background:#1f3b5a;color:#fff"><th align="left">Item</th><th>Qty</th>
      <th align="right">Unit (GBP)</th><th align="right">Total (GBP)</th></tr>
    <tr><td>Hydraulic hose assembly 1/2in x 2m</td><td align="center">12</td>
      <td align="right">38.50</td><td align="right">462.00</td></tr>
    <tr><td>Quick-release coupling, flat face</td><td align="center">20</td>
      <td align="right">21.35</td><td align="right">427.00</td></tr>
    <tr><td colspan="3" align="right">Net</td><td align="right">889.00</td></tr>
    <tr><td colspan="3" align="right">VAT 20%</td><td align="right">177.80</td></tr>
    <tr><td colspan="3" align="right"><b>Invoice total</b></td>
      <td align="right"><b>1,066.80</b></td></tr>
    </table>
    <p>Bank: Barclays Bank UK PLC &middot; Sort code 20-00-00 &middot; Account 55779911<br>
    Please quote the invoice number with your payment.</p>
    <p>Halden Industrial Supply Ltd &middot; Accounts Receivable &middot;
    ar@halden-supply.example</p>
    </body></html>
    """) + "\n"
INVOICE_TEXT = ("Invoice INV-10071 for PO 7855, GBP 1,066.80 (net 889.00, VAT 177.80), "
                "due 20 December 2026.")


def m(frm: str, to: str, at: str, body: str = "", **kw: object) -> dict:
    """One message. frm/to/cc are PEOPLE keys (to and cc space-separated); `at` is the local
    time of the sender. Options: quote (style of the quoted parent), parent (index, default
    the previous message), subject, sig (our side: False to leave it off), tags, promise,
    instalments, mime ("alt" or "html"), html, attach, headers, charset, cte, note."""
    return {"frm": frm, "to": to.split(), "at": at, "body": t(body), **kw}


def p(amount: float, currency: str, day: str) -> dict:
    return {"amount": amount, "currency": currency, "date": day}


# --- The mail -----------------------------------------------------------------------------
THREADS = [
    {"slug": "brightline-price-dispute", "subject": "INV-10023 - pricing does not match PO 7781",
     "msgs": [
        m("dana", "maria", "2026-10-20 10:42", cc="ar", tags=["dispute"], body="""
            Hi Maria,

            We received INV-10023 ($13,390.00) for the switchgear brackets on PO 7781.
            The unit price on the invoice is $52.75, but the PO and your quote Q-5530
            both say $48.20 per unit. On 200 units that's $910.00 more than we agreed.

            Can you please check and send a corrected invoice or a credit note for the
            difference? I can't approve it for payment at the invoiced price.

            Thanks,
            Dana Whitfield
            Project Controller | Brightline Builders Inc.
            O: (614) 555-0138"""),
        m("maria", "dana", "2026-10-21 09:15", cc="ar", quote="gmail", body="""
            Hi Dana,

            Thanks for flagging this, and sorry for the trouble. You're right: the
            price on Q-5530 was $48.20 and our order desk keyed the list price. I have
            raised credit note CN-2211 for $910.00, which you should receive from our
            billing system today.

            That leaves $12,480.00 outstanding on INV-10023, which was due on 4 October.
            Could you let me know when we can expect payment?

            Kind regards,"""),
        m("dana", "maria", "2026-10-26 14:05", quote="gmail", tags=["promise_to_pay"],
          promise=p(12480.0, "USD", "2026-11-30"), body="""
            Maria,

            Got the credit note, thank you. We will pay the remaining $12,480.00 on
            30 November with our end-of-month run.

            Dana"""),
        m("maria", "dana", "2026-10-27 08:50", quote="gmail", sig=False, body="""
            Thanks Dana, much appreciated. I've noted it on the account.

            Maria"""),
    ]},
    {"slug": "northgate-short-ship", "subject": "Short shipment PO 8120 / INV-10035", "msgs": [
        m("kevin", "tom", "2026-10-22 16:20", tags=["dispute"], body="""
            Tom,

            We got INV-10035 today for PO 8120. PO was for 200 pcs of the 3/4" EMT
            compression couplings (your part HC-3475). Only 150 were delivered on the
            16th -- 3 cartons of 50, not 4. Invoice bills the full 200.

            Please credit the 50 missing or ship them. Until that is sorted we can't
            approve the invoice.

            Kevin Osei
            Branch Operations Manager
            Northgate Electrical Distributors
            (704) 555-0163"""),
        m("tom", "kevin", "2026-10-23 09:05", quote="original", body="""
            Hi Kevin,

            Thanks for letting me know. Our warehouse system shows 4 cartons (200 pcs)
            picked and dispatched on 15 October with carrier ref HX-448120. Could you
            send me a copy of the signed delivery note / POD so I can raise a claim
            with the carrier?

            Best regards,"""),
        m("kevin", "tom", "2026-11-04 11:30", cc="angela", quote="original",
          tags=["dispute", "legal_escalation"],
          attach=[("POD_8120.pdf", "application/pdf", POD_PDF)], body="""
            Tom,

            This is the third time I'm writing about this. Signed POD attached --
            our receiver signed for 3 cartons / 150 pcs and noted the shortage on the
            driver's copy. Since then we have had two more reminders from your system
            for the full amount.

            We dispute INV-10035 for the 50 missing pieces. If we don't have a credit
            note by the end of next week I will pass this to our legal counsel and
            file a formal complaint with your management.

            Kevin"""),
    ]},
    {"slug": "kessler-credit-note", "subject": "Rückfrage zu Rechnung INV-10029 - Gutschrift fehlt",
     "msgs": [
        m("hoffmann", "priya", "2026-10-26 10:12", charset="iso-8859-1", tags=["dispute"],
          headers={"X-Mailer": "Microsoft Outlook 16.0"}, body="""
            Sehr geehrte Frau Nair,

            bezüglich Ihrer Rechnung INV-10029 vom 10.09.2026 über 9.840,00 EUR
            möchten wir Folgendes anmerken:

            Wir haben am 29.09.2026 zwölf Pendelrollenlager (Ihre Art.-Nr. SRB-22216)
            mit der Rücksendenummer RMA-4471 an Sie zurückgeschickt. Die zugesagte
            Gutschrift über 1.836,00 EUR haben wir bis heute nicht erhalten.

            Bitte senden Sie uns die Gutschrift umgehend zu. Bis dahin können wir die
            Rechnung leider nicht zur Zahlung freigeben.

            Mit freundlichen Grüßen

            Jürgen Hoffmann
            Kreditorenbuchhaltung
            Kessler Maschinenbau GmbH
            Industriestraße 14, 73037 Göppingen
            Tel. +49 7161 555 2310"""),
        m("priya", "hoffmann", "2026-10-27 09:40", quote="outlook", body="""
            Dear Mr Hoffmann,

            Thank you for your email, and please accept my apologies for the delay.
            The returned bearings were received and checked by our warehouse; credit
            note CN-2230 for EUR 1,836.00 against INV-10029 has been issued today and
            will reach you separately.

            This leaves EUR 8,004.00 on INV-10029, due on 9 November 2026.

            Kind regards,"""),
        m("hoffmann", "priya", "2026-11-05 08:55", quote="outlook_de",
          headers={"X-Mailer": "Microsoft Outlook 16.0"}, body="""
            Dear Ms Nair,

            thank you, the credit note CN-2230 is received and booked.

            Just for your information: we are not disputing invoice INV-10041, I only
            want to confirm that the delivery for it arrived complete at our Werk 2 on
            3 November.

            Best regards
            Jürgen Hoffmann"""),
    ]},
    {"slug": "coastal-payment-plan", "subject": "Overdue invoices INV-10033 / INV-10047", "msgs": [
        m("maria", "rick", "2026-11-02 10:00", body="""
            Dear Rick,

            Our records show the following invoices as overdue on your account:

              INV-10033   PO 7790   due 2 Oct 2026    $5,200.00
              INV-10047   PO 7812   due 23 Oct 2026   $4,100.00
              Total overdue                           $9,300.00

            Your account is now over its credit limit and new orders may be held.
            Please let me know when payment will be made, or give me a call if there
            is a problem.

            Kind regards,"""),
        m("rick", "maria", "2026-11-04 17:48", quote="gmail", tags=["hardship", "promise_to_pay"],
          promise=p(5000.0, "USD", "2026-11-13"),
          instalments=[p(5000.0, "USD", "2026-11-13"), p(4300.0, "USD", "2026-12-11")], body="""
            Maria,

            Ill be straight with you. We lost the Port Arthur job last month and the GC
            on the Baytown project went under owing us about $60k, so cash flow is
            really tight right now and I'm juggling payroll.

            I dont want to leave you guys hanging. Can we do a payment plan? I can do
            $5,000 on Friday 13 November and the remaining $4,300 on 11 December.
            If thats OK send me something in writing and Ill sign it.

            Rick Dalton
            Owner, Coastal Fabrication LLC
            (713) 555-0119"""),
        m("maria", "rick", "2026-11-05 09:20", cc="ar", quote="gmail", cte="quoted-printable",
          body="""
            Hi Rick,

            Thank you for being upfront with us – I’m sorry to hear about Baytown.

            I can agree the following plan, provided each payment arrives on time:

              • $5,000.00 by Friday 13 November 2026 (applied to INV-10033)
              • $4,300.00 by Friday 11 December 2026 (balance of INV-10033 and INV-10047)

            While the plan is running we’ll keep your account open for orders up to
            $2,500 on pro-forma terms. If anything changes, please tell me before a
            due date rather than after – we can usually work something out.

            A reply to this email confirming the plan is enough – no need to sign anything.

            Kind regards,"""),
    ]},
    {"slug": "pennine-overdue", "subject": "Overdue: INV-10025 - Pennine Plant Hire", "msgs": [
        m("tom", "sarah", "2026-10-27 11:10", body="""
            Hi Sarah,

            Hope you're well. INV-10025 for £3,150.00 (your PO 7768) fell due on
            6 October and is now three weeks overdue. Could you let me know when
            it's scheduled for payment?

            Thanks,"""),
        m("sarah", "tom", "2026-10-28 16:32", quote="apple", tags=["promise_to_pay"],
          promise=p(3000.0, "GBP", "2026-10-31"), headers={"X-Mailer": "iPhone Mail (22B91)"},
          body="""
            Hi Tom, sorry - £3k going out end of month. Will look at the rest when Ian's back.

            Sarah

            Sent from my iPhone"""),
        m("tom", "sarah", "2026-10-29 09:02", quote="outlook", sig=False, body="""
            Thanks Sarah, that's helpful - I've noted £3,000 by 31 October.

            That leaves £150.00 on INV-10025. Can you let me know what the query is,
            if there is one, or when that will follow?

            Tom"""),
        m("sarah", "tom", "2026-11-02 08:47", quote="apple", tags=["dispute"], body="""
            Morning Tom,

            The £150 is the delivery charge. Ian agreed with your rep in August that
            delivery would be free on orders over £2,500 and this one was £3,000 net,
            so we don't accept that part of the invoice. Please send a credit note for
            the £150.

            Thanks
            Sarah Hargreaves
            Finance Manager, Pennine Plant Hire Ltd
            01632 960 417"""),
    ]},
    {"slug": "vr-statement", "subject": "Account statement - Vasquez & Reyes Contractors", "msgs": [
        m("priya", "lucia", "2026-11-02 14:30", body="""
            Dear Lucia,

            Please see below the open items on your account as of today:

              INV-10036   due 12 Oct 2026   USD 3,200.00   overdue
              INV-10049   due 20 Nov 2026   USD 1,875.50   not yet due

            Could you please confirm when INV-10036 will be paid?

            Many thanks,"""),
        m("lucia", "priya", "2026-11-05 16:40", quote="gmail", tags=["promise_to_pay"],
          promise=p(3200.0, "USD", "2026-11-10"), body="""
            Hello Priya,

            Sorry for the late answer, our controler was traveling this week. We will
            make the transfer of USD 3.200 next Tuesday for the invoice INV-10036.

            Saludos,
            Lucía Reyes
            Office Manager
            Vasquez & Reyes Contractors
            (559) 555-0182"""),
        m("priya", "lucia", "2026-11-06 09:12", quote="gmail", sig=False, body="""
            Dear Lucia,

            Thank you - noted for Tuesday 10 November. Have a good weekend.

            Kind regards,
            Priya"""),
    ]},
    {"slug": "moreau-reminder", "subject": "Payment reminder - INV-10039 / INV-10058", "msgs": [
        m("priya", "claire", "2026-11-09 10:00", cc="elodie", body="""
            Dear Ms Moreau,

            I hope you are well. According to our records the following invoices are
            open on your account:

              INV-10039   due 26 Oct 2026   EUR 6,240.00   overdue
              INV-10058   due 4 Dec 2026    EUR 1,730.00   not yet due

            We would be grateful if you could arrange payment of INV-10039, or let us
            know if there is any query holding it up.

            Kind regards,"""),
        m("claire", "priya", "2026-11-09 11:01", tags=["auto_reply"],
          subject="Absence / Out of office: Payment reminder - INV-10039 / INV-10058",
          body="""
            Bonjour,

            Je suis absente du bureau jusqu'au 23 novembre inclus, avec un accès
            limité à mes e-mails.

            I am out of the office until 23 November with limited access to email.
            For invoices and payments please contact comptabilite@atelier-moreau.example.

            Cordialement / Best regards,
            Claire Moreau"""),
        m("elodie", "priya", "2026-11-10 15:22", cc="claire", parent=0, quote="outlook_fr",
          mime="alt", tags=["promise_to_pay", "dispute"], promise=p(4500.0, "EUR", "2026-11-13"),
          body="""
            Bonjour Priya,

            Mme Moreau is in holidays so I answer for her.

            For the INV-10039 we will pay 4 500 EUR this Friday by bank transfer. The
            rest of this invoice (1 740 EUR) we cannot pay for the moment because 2
            pallets arrived damaged on 27/10 - the boxes were crushed and the parts
            inside are bent. I have sent the photos to your transport department on
            28/10 but we have no answer still. We wait the credit note for this part.

            Cordialement,
            Élodie Garnier
            Comptable
            Atelier Moreau SARL
            +33 4 72 55 01 93"""),
    ]},
    {"slug": "summit-remittance",
     "subject": "Remittance Advice - Payment 0004418827 - Halden Industrial Supply", "msgs": [
        m("summit_noreply", "ar", "2026-10-19 13:05", tags=["payment_confirmation"],
          attach=[("remittance_advice.pdf", "application/pdf", REMITTANCE_PDF)], body="""
            Dear Supplier,

            Please find attached remittance advice for payment 0004418827, sent by
            ACH on 19-Oct-2026.

              Invoice      Invoice date   Amount paid
              INV-10042    2026-08-21     USD 19,412.00
              INV-10048    2026-08-28     USD  8,528.50
              Total                       USD 27,940.50

            Please allow 1-2 business days for the funds to reach your account.

            This is an automated message from Summit Ridge Manufacturing Co. Accounts
            Payable. Please do not reply to this address; for questions contact
            ap.team@summitridge-mfg.example."""),
        m("tom", "summit_ap", "2026-10-20 09:30", quote="original", body="""
            Hello,

            Thank you - payment 0004418827 for USD 27,940.50 has been received and
            allocated against INV-10042 and INV-10048.

            Best regards,"""),
    ]},
    {"slug": "summit-invoice-copy", "subject": "Invoice copy request - INV-10061", "msgs": [
        m("jenny", "ar", "2026-11-11 10:14", tags=["billing_query"], customer="C008",
          note="Sender jenny.tran.ap@mail.example is not in the customer master (neither the "
               "address nor the domain); the customer is resolved from invoice INV-10061, "
               "which belongs to C008.", body="""
            Hello,

            I just started in Accounts Payable at Summit Ridge Manufacturing and I'm
            writing from my personal email because my company account is not set up
            yet.

            Could you please send a copy of invoice INV-10061 together with the proof
            of delivery? I can't find it in our system and I need it to get it approved.

            Thank you!
            Jenny Tran
            Accounts Payable, Summit Ridge Manufacturing Co."""),
    ]},
    {"slug": "sharma-bank-details",
     "subject": "Confirmation of Bank Details - Sharma Pumps & Valves", "msgs": [
        m("rajesh", "maria", "2026-11-10 11:40", cc="sharma_ap", tags=["billing_query"], body="""
            Dear Madam,

            Greetings from Sharma Pumps & Valves.

            We have received one email from the address accounts@halden-supplies.example
            informing that your company's bank account is changed to a new bank in
            Dubai. Kindly confirm the correct bank details for remittance of USD
            payments, as we are updating our vendor master before the next payment
            cycle.

            Request you to please reply at the earliest.

            Thanks & Regards,
            Rajesh Kumar
            Sr. Executive - Accounts
            Sharma Pumps & Valves Pvt. Ltd.
            Ph: +91 44 5550 2871"""),
        m("maria", "rajesh", "2026-11-10 09:05", cc="sharma_ap", quote="gmail", body="""
            Dear Rajesh,

            Thank you for checking with us before paying - that email did NOT come
            from us. halden-supplies.example is not our domain and our bank details
            have not changed.

            Please keep paying to the account shown on our invoices (Barclays Bank
            UK PLC, account name Halden Industrial Supply Ltd). If you want to verify,
            please call me on +44 161 496 0142 rather than replying to any email
            that asks for a change.

            Kind regards,"""),
        m("rajesh", "maria", "2026-11-10 16:20", quote="gmail", body="""
            Dear Maria,

            Thanks for the quick revert. Noted, will check with our finance head and
            revert.

            Regards,
            Rajesh"""),
    ]},
    {"slug": "northgate-paid", "subject": "INV-10027 - payment overdue", "msgs": [
        m("tom", "angela", "2026-11-12 10:00", body="""
            Hi Angela,

            INV-10027 for USD 6,212.40 (PO 8064) was due on 28 October and is still
            showing as open on our side. Could you let me know the payment status?

            Thanks,"""),
        m("angela", "tom", "2026-11-12 09:41", quote="gmail", tags=["payment_confirmation"],
          body="""
            Paid yesterday via ACH, trace no. 0210-55120. Should hit your acct today.

            Angela"""),
    ]},
    {"slug": "brightline-duplicate",
     "subject": "Statement of account - Brightline Builders Inc - 31 October 2026", "msgs": [
        m("ar", "marcus", "2026-11-02 09:00", mime="html", html=STATEMENT_HTML,
          body=STATEMENT_TEXT, sig=False),
        m("marcus", "ar", "2026-11-03 11:25", cc="maria", quote="underscore", tags=["dispute"],
          body="""
            Hi,

            INV-10044 looks like a duplicate of INV-10031 - same PO 7802, same
            amount ($2,318.75), same ship date of 9/30. We only received one
            delivery against that PO, so we've been billed twice.

            Please void INV-10044 and send an updated statement.

            Thank you,
            Marcus Bell
            AP Specialist | Brightline Builders Inc.
            (614) 555-0144"""),
        m("maria", "marcus", "2026-11-04 10:10", cc="ar", quote="underscore", body="""
            Hi Marcus,

            You're right - INV-10044 was generated twice from the same dispatch. I have
            cancelled it and credit note CN-2241 for $2,318.75 will follow today. The
            corrected balance on your account is $14,798.75, of which $12,480.00
            (INV-10023) is scheduled by Dana for 30 November.

            Kind regards,"""),
    ]},
    {"slug": "brightline-w9", "subject": "W-9 request - vendor setup in new ERP", "msgs": [
        m("marcus", "maria", "2026-11-09 14:02", mime="alt", tags=["billing_query"], body="""
            Hi Maria,

            We are migrating to a new ERP system on December 1 and need an updated
            W-9 on file for every vendor. Could you please send a completed and signed
            W-9 for Halden Industrial Supply Ltd?

            Please note that invoices from vendors without a current W-9 on file will
            be put on hold after 11/30.

            Thank you,
            Marcus Bell
            AP Specialist | Brightline Builders Inc.
            (614) 555-0144"""),
        m("maria", "marcus", "2026-11-10 09:30", quote="underscore", body="""
            Hi Marcus,

            Thanks for the heads-up. As Halden Industrial Supply Ltd is a UK company
            we can't complete a W-9; the correct form for us is the W-8BEN-E. Our
            finance team will send you a signed copy by the end of this week.

            Kind regards,"""),
    ]},
    {"slug": "sharma-not-received", "subject": "INV-10054 - payment due 14 November", "msgs": [
        m("maria", "rajesh", "2026-11-16 09:00", body="""
            Dear Rajesh,

            A reminder that INV-10054 for USD 8,760.00 (your PO 7829, 40 x centrifugal
            pump seal kits) fell due on 14 November. Could you please confirm the
            payment date?

            Kind regards,"""),
        m("rajesh", "maria", "2026-11-17 12:15", quote="gmail", tags=["dispute"], body="""
            Dear Maria,

            With reference to above, please note that the material against INV-10054
            is not received at our Chennai warehouse till date. As per our tracking
            the consignment (AWB 176-88213045) is showing "in transit" since
            2 November.

            Kindly check with your forwarder and share the delivery proof. We cannot
            process the payment for material which is not received.

            Thanks & Regards,
            Rajesh Kumar
            Sr. Executive - Accounts
            Sharma Pumps & Valves Pvt. Ltd."""),
    ]},
    {"slug": "vr-cease-contact", "subject": "Follow-up on INV-10049", "msgs": [
        m("priya", "miguel", "2026-11-18 16:00", cc="lucia", body="""
            Dear Mr Vasquez,

            Following up on my voicemail this morning: INV-10049 for USD 1,875.50
            falls due on 20 November. Could you confirm it is scheduled for payment?

            Kind regards,"""),
        m("miguel", "priya", "2026-11-19 09:30", quote="gmail", tags=["cease_contact"], body="""
            Ms. Nair,

            Your office has now called my cell phone and our jobsite trailer three
            times this month about invoices that are not even due. This stops now.
            Do not call me, my foremen or my office staff again. Any communication
            about our account must be in writing, to this email address only.

            Miguel Vasquez
            President
            Vasquez & Reyes Contractors"""),
    ]},
    {"slug": "summit-overdue-10061", "subject": "INV-10061 overdue - USD 14,225.00", "msgs": [
        m("tom", "greg", "2026-11-09 10:30", body="""
            Hi Greg,

            INV-10061 for USD 14,225.00 (PO 7796) was due on 28 October and remains
            unpaid. As the account is usually very prompt, I wanted to check whether
            there is anything holding this one up on your side.

            Best regards,"""),
        m("greg", "tom", "2026-11-09 05:31", tags=["auto_reply"],
          subject="Automatic reply: INV-10061 overdue - USD 14,225.00",
          headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}, body="""
            Thank you for your email. I am out of the office until Monday, November 16
            with no access to email. For urgent purchasing matters please contact
            Nancy Cho (nancy.cho@summitridge-mfg.example).

            Greg Lindqvist
            Purchasing Manager, Summit Ridge Manufacturing Co."""),
        m("tom", "nancy", "2026-11-09 10:45", cc="greg", parent=0, quote="original", body="""
            Hi Nancy,

            Greg's out-of-office pointed me to you. Could you help with the below, or
            pass it to whoever handles supplier payments while he's away?

            Thanks,"""),
        m("nancy", "tom", "2026-11-10 08:55", quote="underscore", body="""
            Hi Tom,

            Sure - I've forwarded it to our AP team, they'll pick it up.

            Unrelated, but while I have you: is your Manchester warehouse open on
            Friday 27th (day after Thanksgiving)? We have the bearing housings on
            PO 7841 scheduled for pickup that day and want to make sure it still
            works. Happy to move it to Monday 30th if easier.

            Thanks!
            Nancy Cho
            Buyer | Summit Ridge Manufacturing Co.
            (412) 555-0127"""),
    ]},
    {"slug": "kessler-statement",
     "subject": "Statement of account - Kessler Maschinenbau GmbH - November 2026", "msgs": [
        m("priya", "kessler_ap", "2026-11-19 10:00",
          attach=[("statement_C003_2026-11.csv", "text/csv", STATEMENT_CSV)], body="""
            Dear Sir or Madam,

            Please find attached your statement of account as at 19 November 2026
            (CSV format, as requested by your team for automatic import).

            Open balance: EUR 15,616.50, of which nothing is currently overdue.

            Kind regards,"""),
    ]},
    {"slug": "pennine-invoice-10071",
     "subject": "Invoice INV-10071 from Halden Industrial Supply Ltd (PO 7855)", "msgs": [
        m("ar", "karen", "2026-11-20 08:00", mime="html", html=INVOICE_HTML, body=INVOICE_TEXT,
          sig=False),
    ]},
    {"slug": "northgate-po-change", "subject": "INV-10052 - wrong PO number, please reissue",
     "msgs": [
        m("angela", "tom", "2026-10-19 15:40", mime="alt", tags=["billing_query"], body="""
            Hi Tom,

            INV-10052 was rejected by our AP system because the PO number on it
            (PO 8117) doesn't match any open PO. The correct PO is PO 8177.

            Could you please reissue the invoice with PO 8177 so we can get it into
            the approval workflow?

            Thank you,
            Angela Ruiz
            Accounts Payable
            Northgate Electrical Distributors"""),
        m("tom", "angela", "2026-10-20 10:05", quote="original", body="""
            Hi Angela,

            Apologies for that - a typo on our side. INV-10052 has been reissued with
            PO 8177; you'll receive the corrected PDF from our invoicing system
            shortly. Invoice number, amount and due date are unchanged.

            Best regards,"""),
    ]},
    {"slug": "pennine-open-items", "subject": "Open items?", "msgs": [
        m("karen", "tom", "2026-10-30 10:20", tags=["billing_query"], body="""
            Hi Tom,

            We're doing our month-end reconciliation - can you let me know which
            invoices are still open on our account please?

            Thanks
            Karen Moss
            Purchase Ledger
            Pennine Plant Hire Ltd"""),
        m("tom", "karen", "2026-10-30 14:00", quote="outlook", body="""
            Hi Karen,

            Of course - open items on your account as of today:

              INV-10025   PO 7768   due 06/10/2026   £3,150.00   overdue
              INV-10038   PO 7815   due 13/11/2026   £2,480.00
              INV-10056   PO 7833   due 26/11/2026     £915.60
              Total                                  £6,545.60

            Sarah has confirmed £3,000 of INV-10025 for the end of this month.

            Best regards,"""),
    ]},
]
BROKEN_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the empty file in new/
BROKEN_FILE = f"new/{int(BROKEN_AT.timestamp())}.M99P1099.demo"

# --- Helpers ------------------------------------------------------------------------------
DAYS = {"en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
        "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
        "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split()}
MONTHS = {"en": "January February March April May June July August September October "
                "November December".split(),
          "de": "Januar Februar März April Mai Juni Juli August September Oktober November "
                "Dezember".split(),
          "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
                "décembre".split()}
LABELS = {"en": ("From:", "Sent:", "To:", "Cc:", "Subject:"),
          "de": ("Von:", "Gesendet:", "An:", "Cc:", "Betreff:"),
          "fr": ("De :", "Envoyé :", "À :", "Cc :", "Objet :")}
REPLY_PREFIX = {"gmail": "Re", "apple": "Re", "original": "RE", "underscore": "RE",
                "outlook": "RE", "outlook_de": "AW", "outlook_fr": "RE"}


def offset_minutes(region: str, day: date) -> int:
    standard, summer, ends = REGIONS[region]
    return summer if day < date.fromisoformat(ends) else standard


def local(at: str, region: str) -> datetime:
    naive = datetime.strptime(at, "%Y-%m-%d %H:%M")
    return naive.replace(tzinfo=timezone(timedelta(minutes=offset_minutes(region, naive.date()))))


def seen_in(dt: datetime, region: str) -> datetime:
    """`dt` as a mail client in `region` shows it."""
    utc = dt.astimezone(UTC)
    return utc.astimezone(timezone(timedelta(minutes=offset_minutes(region, utc.date()))))


def named(key: str) -> str:
    name, addr, _ = PEOPLE[key]
    return f"{name} <{addr}>"


def is_ours(key: str) -> bool:
    return PEOPLE[key][1].rsplit("@", 1)[1] in OWN_DOMAINS


def quote_block(style: str, parent: dict, replier: str) -> str:
    """The parent message as the replier's mail client quotes it below the reply."""
    region = PEOPLE[replier][2]
    d = seen_in(parent["dt"], region)
    name, addr, _ = PEOPLE[parent["frm"]]
    short_day, short_mon = DAYS["en"][d.weekday()][:3], MONTHS["en"][d.month - 1][:3]
    if style in ("gmail", "apple"):
        if style == "apple":
            head = f"On {d.day} {short_mon} {d.year}, at {d:%H:%M}, {name} <{addr}> wrote:\n"
        elif region.startswith("us_"):
            hour = d.hour % 12 or 12
            head = (f"On {short_day}, {short_mon} {d.day}, {d.year} at {hour}:{d:%M} "
                    f"{'AM' if d.hour < 12 else 'PM'} {name} <{addr}> wrote:")
        else:
            head = (f"On {short_day}, {d.day} {short_mon} {d.year} at {d:%H:%M}, "
                    f"{name} <{addr}> wrote:")
        quoted = "\n".join(">" + line if line.startswith(">") else ("> " + line).rstrip()
                           for line in parent["text"].rstrip("\n").split("\n"))
        return f"{head}\n{quoted}"
    lang = {"outlook_de": "de", "outlook_fr": "fr"}.get(style, "en")
    day, month = DAYS[lang][d.weekday()], MONTHS[lang][d.month - 1]
    if lang == "en":
        hour = d.hour % 12 or 12
        sent = f"{day}, {month} {d.day}, {d.year} {hour}:{d:%M} {'AM' if d.hour < 12 else 'PM'}"
    elif lang == "de":
        sent = f"{day}, {d.day}. {month} {d.year} {d:%H:%M}"
    else:
        sent = f"{day} {d.day} {month} {d.year} {d:%H:%M}"
    lab = LABELS[lang]
    lines = [f"{lab[0]} {name} <{addr}>", f"{lab[1]} {sent}",
             f"{lab[2]} " + "; ".join(named(k) for k in parent["to"])]
    if parent.get("cc"):
        lines.append(f"{lab[3]} " + "; ".join(named(k) for k in parent["cc"].split()))
    lines.append(f"{lab[4]} {parent['subject']}")
    separator = {"original": "-----Original Message-----\n",
                 "underscore": "________________________________\n"}.get(style, "")
    return separator + "\n".join(lines) + "\n\n" + parent["text"].rstrip("\n")


def html_of(new: str, quote: str) -> str:
    """The HTML alternative an Outlook-style client sends beside the text."""
    def paras(text: str) -> str:
        return "\n".join("<p>" + "<br>\n".join(html.escape(x) for x in block.split("\n")) + "</p>"
                         for block in text.split("\n\n") if block.strip())
    body = paras(new)
    if quote:
        body += ('\n<div style="border-top:solid #E1E1E1 1.0pt;padding:3pt 0 0 0">\n'
                 + paras(quote) + "\n</div>")
    return ('<html><head><meta charset="utf-8"></head><body>\n'
            '<div style="font-family:Calibri,Arial,sans-serif;font-size:11pt">\n'
            f"{body}\n</div>\n</body></html>\n")


def cte_for(text: str) -> str:
    return "7bit" if text.isascii() else "8bit"


def encode_subject_latin1(raw: bytes, subject: str) -> bytes:
    """Re-encode the Subject as an ISO-8859-1 RFC 2047 word (the email package writes UTF-8)."""
    head, sep, body = raw.partition(b"\n\n")
    out, skipping = [], False
    for line in head.split(b"\n"):
        if line.lower().startswith(b"subject:"):
            out.append(b"Subject: " + Header(subject, "iso-8859-1", header_name="Subject")
                       .encode().encode("ascii"))
            skipping = True
        elif not (skipping and line[:1] in (b" ", b"\t")):
            skipping = False
            out.append(line)
    return b"\n".join(out) + sep + body


def build_message(rec: dict, parent: dict | None, seq: int) -> bytes:
    msg = EmailMessage()
    sender = PEOPLE[rec["frm"]]
    msg["From"] = Address(sender[0], addr_spec=sender[1])
    msg["To"] = [Address(PEOPLE[k][0], addr_spec=PEOPLE[k][1]) for k in rec["to"]]
    if rec.get("cc"):
        msg["Cc"] = [Address(PEOPLE[k][0], addr_spec=PEOPLE[k][1]) for k in rec["cc"].split()]
    msg["Subject"] = rec["subject"]
    msg["Date"] = utils.format_datetime(rec["dt"])
    msg["Message-ID"] = rec["message_id"]
    if parent:
        msg["In-Reply-To"] = parent["message_id"]
        msg["References"] = " ".join(parent["references"] + [parent["message_id"]])
    msg["MIME-Version"] = "1.0"
    for name, value in rec.get("headers", {}).items():
        msg[name] = value
    if rec.get("mime") == "html":
        msg.set_content(rec["html"], subtype="html", cte=cte_for(rec["html"]))
    else:
        charset = rec.get("charset", "utf-8")
        msg.set_content(rec["text"], charset=charset, cte=rec.get("cte", cte_for(rec["text"])))
        if rec.get("mime") == "alt":
            alt = html_of(rec["new_text"], rec["quote_text"])
            msg.add_alternative(alt, subtype="html", cte=cte_for(alt))
    for filename, ctype, data in rec.get("attach", []):
        maintype, subtype = ctype.split("/")
        if isinstance(data, str):
            msg.add_attachment(data, subtype=subtype, filename=filename, cte=cte_for(data))
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    for part in msg.iter_parts():
        del part["MIME-Version"]  # EmailMessage adds it to the parts it creates, too
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"----=_Part_{seq:03d}_{n}.cwdemo")  # stable, unlike the default
    raw = msg.as_bytes(policy=policy.default)
    if rec.get("charset") == "iso-8859-1":
        raw = encode_subject_latin1(raw, rec["subject"])
    return raw


def customer_of(key: str) -> str | None:
    addr = PEOPLE[key][1]
    for cid, _, domains, contacts, *_ in CUSTOMERS:
        if key in contacts or addr.rsplit("@", 1)[1] in domains:
            return cid
    return None


# --- Build --------------------------------------------------------------------------------
def build() -> dict:
    shutil.rmtree(MAILDIR, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (MAILDIR / sub).mkdir(parents=True)
    (MAILDIR / "tmp" / ".keep").write_bytes(b"")
    entries: list[dict] = []
    summary: dict[str, list[str]] = {"unanswered_threads": [], "answered_threads": [],
                                     "no_reply_outbound_threads": []}
    seq = 0
    for thread in THREADS:
        msgs = thread["msgs"]
        directions = ["outbound" if is_ours(r["frm"]) else "inbound" for r in msgs]
        if directions[-1] == "inbound":
            state = "unanswered_threads"
        else:
            state = "answered_threads" if "inbound" in directions else "no_reply_outbound_threads"
        summary[state].append(thread["slug"])
        for i, rec in enumerate(msgs):
            seq += 1
            parent = msgs[rec.get("parent", i - 1)] if i else None
            rec["dt"] = local(rec["at"], PEOPLE[rec["frm"]][2])
            utc = rec["dt"].astimezone(UTC)
            host = ("mail." if is_ours(rec["frm"]) else "") + PEOPLE[rec["frm"]][1].split("@")[1]
            rec["message_id"] = f"<{utc:%Y%m%d%H%M%S}.{seq:03d}.{1000 + 37 * seq}@{host}>"
            rec["references"] = parent["references"] + [parent["message_id"]] if parent else []
            if "subject" not in rec:
                prefix = REPLY_PREFIX.get(rec.get("quote"), "Re")
                rec["subject"] = f"{prefix}: {thread['subject']}" if parent else thread["subject"]
            new = rec["body"]
            if is_ours(rec["frm"]) and rec.get("sig", True):
                new += "\n" + SIGS[rec["frm"]]
            rec["new_text"] = new
            quote = rec.get("quote")
            rec["quote_text"] = quote_block(quote, parent, rec["frm"]) if quote else ""
            rec["text"] = new + ("\n\n" + rec["quote_text"] if rec["quote_text"] else "") + "\n"
            raw = build_message(rec, parent, seq)
            last_unanswered = state == "unanswered_threads" and i == len(msgs) - 1
            epoch = int(utc.timestamp())
            name = f"{epoch}.M{seq}P{1000 + seq}.demo"
            rel = f"new/{name}" if last_unanswered else f"cur/{name}:2,S"
            (MAILDIR / rel).write_bytes(raw)
            os.utime(MAILDIR / rel, (epoch, epoch))
            entry = {
                "file": rel, "message_id": rec["message_id"], "direction": directions[i],
                "customer_id": rec.get("customer") or customer_of(
                    rec["frm"] if directions[i] == "inbound" else rec["to"][0]),
                "thread": thread["slug"], "tags": rec.get("tags", []),
                "promise": rec.get("promise"), "broken": False,
                "sender": PEOPLE[rec["frm"]][1], "date": rec["dt"].isoformat(),
                "subject": rec["subject"],
            }
            for extra in ("instalments", "note"):
                if extra in rec:
                    entry[extra] = rec[extra]
            entries.append(entry)
    broken = MAILDIR / BROKEN_FILE
    broken.write_bytes(b"")
    stamp = int(BROKEN_AT.timestamp())
    os.utime(broken, (stamp, stamp))
    entries.append({"file": BROKEN_FILE, "message_id": None, "direction": None,
                    "customer_id": None, "thread": None, "tags": [], "promise": None,
                    "broken": True, "note": "Empty file (0 bytes): must be quarantined."})
    chat = write_chat(DEMO / "chat")
    summary = thread_states(entries, chat)
    tag_counts = {tag: sum(tag in e["tags"] for e in entries) for tag in TAXONOMY}
    expected = {
        "own_domains": OWN_DOMAINS, "messages": entries, "chat_messages": chat, **summary,
        "invoices": {inv: cid for cid, invs in INVOICES.items() for inv in invs},
        "counts": {"files": len(entries), "messages": len(entries) - 1,
                   "threads": len(THREADS), "broken": 1,
                   "inbound": sum(e["direction"] == "inbound" for e in entries),
                   "outbound": sum(e["direction"] == "outbound" for e in entries),
                   "untagged_inbound": sum(e["direction"] == "inbound" and not e["tags"]
                                           for e in entries),
                   "tags": tag_counts,
                   **{k: len(v) for k, v in summary.items()}},
    }
    (DEMO / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    write_customers()
    write_invoices()
    write_payments()
    write_readme(expected)
    return expected


def thread_states(entries: list[dict], chat: list[dict]) -> dict[str, list[str]]:
    """Unanswered / answered / outbound-only threads over email and chat together: the latest
    human message decides, and one of our people speaking on a call answers the whole call."""
    last_in: dict[str, datetime] = {}
    last_out: dict[str, datetime] = {}
    call_end: dict[str, datetime] = {}
    for e in chat:
        if e["channel"] == "call":
            at = datetime.fromisoformat(e["date"])
            call_end[e["file"]] = max(call_end.get(e["file"], at), at)
    order: list[str] = []
    for e in [*entries, *chat]:
        slug = e["thread"]
        if slug is None or e["direction"] not in ("inbound", "outbound"):
            continue
        if slug not in order:
            order.append(slug)
        if "auto_reply" in e["tags"]:
            continue
        at = datetime.fromisoformat(e["date"])
        if e["direction"] == "outbound" and e.get("channel") == "call":
            at = call_end[e["file"]]
        book = last_in if e["direction"] == "inbound" else last_out
        book[slug] = max(book.get(slug, at), at)
    summary: dict[str, list[str]] = {"unanswered_threads": [], "answered_threads": [],
                                     "no_reply_outbound_threads": []}
    for thread in THREADS:
        slug = thread["slug"]
        if slug in last_in and (slug not in last_out or last_in[slug] > last_out[slug]):
            summary["unanswered_threads"].append(slug)
        elif slug in last_in:
            summary["answered_threads"].append(slug)
        else:
            summary["no_reply_outbound_threads"].append(slug)
    return summary


def write_customers() -> None:
    with (DEMO / "customers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for cid, name, domains, contacts, limit, cur, terms, owner, tier, risk in CUSTOMERS:
            writer.writerow([cid, name, ";".join(domains), ";".join(PEOPLE[k][1] for k in contacts),
                             f"{limit:.2f}", cur, terms, PEOPLE[owner][0], PEOPLE[owner][1],
                             tier, risk])


def ledger_rows() -> list[dict[str, str]]:
    """invoices.csv: every invoice of the ledger, by customer and number."""
    currency = {c[0]: c[5] for c in CUSTOMERS}
    paid: dict[str, float] = {}
    for _ref, _cid, amount, _day, invoice in PAYMENTS:
        paid[invoice] = paid.get(invoice, 0) + amount
    rows = []
    for cid, _name, *_rest in CUSTOMERS:
        for number in sorted(MORE_INVOICES.get(cid, []) + INVOICES.get(cid, [])):
            amount, issued, due, credit, disputed, cancelled = LEDGER[number]
            left = round(amount - credit - paid.get(number, 0), 2)
            status = "cancelled" if cancelled else "open" if left else "paid"
            rows.append({"number": number, "customer_id": cid, "amount": f"{amount:.2f}",
                         "open_amount": f"{left:.2f}", "currency": currency[cid],
                         "issued_on": issued, "due_on": due, "status": status,
                         "disputed": "true" if disputed else "false"})
    return rows


def write_invoices() -> None:
    """The AR ledger, so references in mail resolve to customers and amounts are known."""
    with (DEMO / "invoices.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, INVOICE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(ledger_rows())


def write_payments() -> None:
    currency = {c[0]: c[5] for c in CUSTOMERS}
    with (DEMO / "payments.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PAYMENT_COLUMNS)
        for reference, cid, amount, day, invoice in PAYMENTS:
            writer.writerow([reference, cid, f"{amount:.2f}", currency[cid], day, invoice])


def write_readme(expected: dict) -> None:
    counts = expected["counts"]
    rows = "\n".join(f"| {c[0]} | {c[1]} | {c[5]} | {c[8]} | {PEOPLE[c[7]][0]} |"
                     for c in CUSTOMERS)
    tags = "\n".join(f"| {tag} | {n} |" for tag, n in counts["tags"].items())
    (DEMO / "README.md").write_text(f"""# commwatch demo data

Generated by `python demo/build_demo.py` (standard library only, deterministic: running it
again rewrites identical files). Edit the records in the script, not the generated files.

**{COMPANY}** (`halden-supply.example`) chases its customers from the shared mailbox
`ar@halden-supply.example` and three collectors: Maria Lopez, Tom Becker and Priya Nair.

- `maildir/` - a Maildir (`cur/`, `new/`, `tmp/`) with {counts['messages']} emails in
  {counts['threads']} threads, 19 October - 20 November 2026 ({counts['inbound']} inbound,
  {counts['outbound']} outbound), plus one deliberately empty file in `new/` that an
  ingester must quarantine.
- `customers.csv` - the customer master ({len(CUSTOMERS)} customers).
- `invoices.csv` - the AR ledger as exported on {LEDGER_AS_OF:%d %B %Y}: {len(LEDGER)} invoices
  (number, customer, amount, open amount, currency, issued, due, status, disputed), so an
  invoice number in a mail from an unknown address still finds its customer. Amounts, dates,
  credit notes and disputes agree with the mail.
- `payments.csv` - the {len(PAYMENTS)} payments received from June to November 2026
  (reference, customer, amount, currency, received on, invoice). Against the promises in
  the mail: Pennine's GBP 3,000 and Coastal's first instalment arrive on time, Vasquez &
  Reyes' USD 3,200 two days late, Atelier Moreau's EUR 4,500 never; Brightline's USD 12,480
  and Coastal's second instalment are not due by 20 November.
- `chat/` - written by `build_chat.py`: the other channels, each continuing an email
  thread. `chat/slack/` is an unpacked Slack export (users.json, channels.json, per-day
  files) of the shared channel with Northgate, where Tom Becker answers Kevin Osei's chase
  about the INV-10035 credit note in a Slack thread, plus an internal AR channel; `chat/whatsapp/`
  is Maria Lopez's WhatsApp chat with Rick Alvarez of Coastal (he repeats the payment plan
  he promised by email, which stays one promise per instalment on the ledger, sends a
  remittance photo, and asks for a copy of INV-10047 nobody has answered yet); `chat/calls/` \
holds two call
  transcripts: Tom's call to Pennine about the disputed INV-10025 late fee (WebVTT, voice
  tags) and his call to Summit Ridge where Greg Lindqvist promises USD 14,225 for INV-10061
  on 27 November (SRT, "Name:" prefixes). The calls answer Pennine's and Summit Ridge's
  emails, so those threads are not unanswered; Coastal's thread is, because of WhatsApp.
- `expected.json` - ground truth per file: direction, customer, thread, tags (of the
  sender's new text only, never the quoted text), promise to pay; the same for each chat
  message and call turn (`chat_messages`); and the thread summary over every channel.

`config.toml`'s `[customers]` table loads the three CSV files on every run of the
`customers` job (`path`, `invoices`, `payments`), upserting by customer id, invoice number
and payment reference.

| id | customer | currency | tier | owner |
|----|----------|----------|------|-------|
{rows}

Threads, over email, chat and calls: {counts['unanswered_threads']} unanswered \
(last message is inbound),
{counts['answered_threads']} answered (we wrote last), {counts['no_reply_outbound_threads']}
outbound-only (an invoice and a statement nobody replied to).

| tag | messages |
|-----|------------------|
{tags}

{counts['untagged_inbound']} inbound messages carry no tag on purpose (hard negatives such as
"we are not disputing the invoice, just confirming delivery", "will revert", delivery small
talk); several replies quote an earlier promise or dispute that the new text does not repeat.

What else is in there: Gmail, Apple Mail and Outlook quoting (`-----Original Message-----`,
the `____` separator, English/German/French header blocks); multipart/alternative and
HTML-only mail; PDF and CSV attachments; an ISO-8859-1 German message with an RFC 2047
subject; a quoted-printable message; auto-replies with and without `Auto-Submitted`;
a sender from outside the customer master who is matched by invoice number; promises in
several formats (`$12,480.00`, `USD 3.200`, `4 500 EUR`, `£3k`) with relative dates
resolved in the sender's time zone, one with two instalments.
""", encoding="utf-8")


# --- Check --------------------------------------------------------------------------------
def verify(expected: dict) -> None:
    """Parse everything back and compare it with expected.json; raises on any mismatch."""
    on_disk = sorted(f"{sub}/{p.name}" for sub in ("cur", "new") for p in (MAILDIR / sub).iterdir())
    assert on_disk == sorted(e["file"] for e in expected["messages"]), "files != expected.json"
    assert [p.name for p in (MAILDIR / "tmp").iterdir()] == [".keep"]
    assert len(mailbox.Maildir(MAILDIR, create=False)) == len(on_disk)
    thread_of: dict[str, str] = {}
    last: dict[str, tuple[datetime, str]] = {}
    for e in expected["messages"]:
        data = (MAILDIR / e["file"]).read_bytes()
        if e["broken"]:
            assert data == b"", e["file"]
            continue
        msg = email.message_from_bytes(data, policy=policy.default)
        for header in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version"):
            assert msg[header], f"{e['file']}: no {header}"
        assert not msg.defects, (e["file"], msg.defects)
        assert msg["Message-ID"] == e["message_id"] and e["message_id"] not in thread_of
        assert str(msg["Subject"]) == e["subject"], e["file"]
        sender = msg["From"].addresses[0].addr_spec
        assert sender == e["sender"]
        assert (sender.rsplit("@", 1)[1] in OWN_DOMAINS) == (e["direction"] == "outbound")
        when = msg["Date"].datetime
        assert WINDOW[0] <= when < WINDOW[1] and when.isoformat() == e["date"], e["file"]
        if msg["In-Reply-To"]:
            assert thread_of.get(msg["In-Reply-To"]) == e["thread"], e["file"]
            assert msg["References"].split()[-1] == msg["In-Reply-To"]
            assert str(msg["Subject"]).split(":")[0].lower() in ("re", "aw", "automatic reply",
                                                                 "absence / out of office")
        body = msg.get_body(("plain", "html"))
        assert body is not None and body.get_content().strip(), e["file"]
        assert set(e["tags"]) <= set(TAXONOMY)
        if e["thread"] in last:
            assert when > last[e["thread"]][0], f"{e['file']} is older than its predecessor"
        last[e["thread"]] = (when, e["direction"])
        thread_of[e["message_id"]] = e["thread"]
    states = thread_states(expected["messages"], expected["chat_messages"])
    for state, slugs in states.items():
        assert sorted(expected[state]) == sorted(slugs), state
    assert {c["thread"] for c in expected["chat_messages"]} - {None} <= set(last)
    with (DEMO / "customers.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == CSV_COLUMNS and len(rows) == len(CUSTOMERS)
    known = {r["id"] for r in rows}
    for e in expected["messages"]:
        assert e["customer_id"] in known or e["broken"], e["file"]
    for row in rows:
        float(row["credit_limit"]), int(row["terms_days"])
        assert 0 <= int(row["risk_score"]) <= 100
        assert row["tier"] in ("strategic", "standard", "small")
    verify_ledger({r["id"]: int(r["terms_days"]) for r in rows})


def verify_ledger(terms: dict[str, int]) -> None:
    """invoices.csv and payments.csv agree with each other, the terms and the mail."""
    with (DEMO / "invoices.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        invoices = {r["number"]: r for r in reader}
    assert reader.fieldnames == INVOICE_COLUMNS
    mentioned = {n for numbers in INVOICES.values() for n in numbers}
    more = {n for numbers in MORE_INVOICES.values() for n in numbers}
    assert set(invoices) == set(LEDGER) == mentioned | more and not mentioned & more
    for number, row in invoices.items():
        issued, due = date.fromisoformat(row["issued_on"]), date.fromisoformat(row["due_on"])
        assert (due - issued).days == terms[row["customer_id"]], number
        assert issued <= LEDGER_AS_OF and 0 <= float(row["open_amount"]) <= float(row["amount"])
        assert (row["status"] == "paid") == (float(row["open_amount"]) == 0) or (
            row["status"] == "cancelled"), number
    with (DEMO / "payments.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        payments = list(reader)
    assert reader.fieldnames == PAYMENT_COLUMNS
    assert len({p["reference"] for p in payments}) == len(payments)
    for pay in payments:
        invoice = invoices[pay["invoice_number"]]
        assert invoice["customer_id"] == pay["customer_id"], pay
        assert invoice["currency"] == pay["currency"] and float(pay["amount"]) > 0, pay
        day = date.fromisoformat(pay["received_on"])
        assert date(2026, 5, 1) <= day <= LEDGER_AS_OF, pay

    def open_of(*numbers: str) -> float:
        return round(sum(float(invoices[n]["open_amount"]) for n in numbers), 2)

    # What the mail says about the ledger.
    assert open_of("INV-10023") == 12480.00 and open_of("INV-10031", "INV-10023") == 12480.00
    assert invoices["INV-10044"]["status"] == "cancelled"
    assert open_of("INV-10029") == 0 and open_of("INV-10041", "INV-10057", "INV-10066") == 15616.50
    assert open_of("INV-10033", "INV-10047") == 4300.00 and open_of("INV-10025") == 150.00
    assert open_of("INV-10039") == 6240.00 and open_of("INV-10042", "INV-10048") == 0
    coastal = [n for n, r in invoices.items() if r["customer_id"] == "C004"]
    # "over its credit limit" on 2 November: what was not paid by then
    assert sum(LEDGER[n][0] for n in coastal if n >= "INV-10033") > 25000


if __name__ == "__main__":
    result = build()
    verify(result)
    c = result["counts"]
    print(f"wrote {c['files']} files ({c['messages']} messages + 1 broken) in "
          f"{c['threads']} threads to {MAILDIR}; unanswered {c['unanswered_threads']}, "
          f"answered {c['answered_threads']}, "
          f"outbound-only {c['no_reply_outbound_threads']}; verified")
