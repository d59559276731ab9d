"""New text of replies: quoted history and signatures cut, one case per rule, and talon's
standard replies and HTML replies as third-party checks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ingest.html import html_to_text
from ingest.quotes import new_text_of, reply_text, signature_start
from tests.conftest import ROOT, SHARED_CORPORA


def _bench() -> ModuleType:
    """bench/quotes_talon.py, whose measurement this test asserts on (bench/ is scripts, not a
    package: loaded from its path)."""
    path = ROOT / "bench" / "quotes_talon.py"
    spec = importlib.util.spec_from_file_location("quotes_talon", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


bench = _bench()

TALON = SHARED_CORPORA / "email" / "talon"
needs_talon = pytest.mark.skipif(
    not TALON.is_dir(), reason=f"talon fixtures not found at {TALON} (CI checks out ../shared)"
)
ASK = "> Could you confirm when INV-10023 will be paid?\n>\n> Maria\n"

# (case id, body, expected new text)
QUOTATIONS = [
    ("library: On … wrote:",
     f"We pay on Friday.\n\nOn Tue, 3 Nov 2026 at 09:12, Maria Lopez <maria@halden.example> "
     f"wrote:\n{ASK}", "We pay on Friday."),
    ("library: Am … schrieb",
     f"Zahlung folgt am Freitag.\n\nAm 03.11.2026 um 09:12 schrieb Maria Lopez "
     f"<maria@halden.example>:\n{ASK}", "Zahlung folgt am Freitag."),
    ("library: Outlook From/Sent block without Original Message line",
     "Paid today.\n\nFrom: Maria Lopez <maria@halden.example>\nSent: Tuesday, November 3, 2026 "
     "9:12 AM\nTo: AP <ap@brightline.example>\nSubject: INV-10023\n\nCould you confirm the date?",
     "Paid today."),
    ("library: -----Original Message-----",
     "Paid today.\n\n-----Original Message-----\nCould you confirm the date?", "Paid today."),
    ("Russian Android header wrapped over two lines",
     "Оплатим в пятницу.\n03.11.2026 14:20 пользователь \"Maria Lopez\" <\nmaria@halden.example> "
     f"написал:\n\n{ASK}", "Оплатим в пятницу."),
    ("English header wrapped over three lines",
     "We pay on Friday.\n\nOn Nov 3, 2026, at 9:12 AM, Maria Lopez <\n"
     "maria.lopez.accounts.receivable@halden-supply.example>\nwrote:\n\nCould you confirm?",
     "We pay on Friday."),
    ("date, time and address ending in a colon (yandex, mail.ru)",
     "We pay on Friday.\n\n03.11.2026, 09:12, \"Maria Lopez\" <maria@halden.example>:\n\n"
     "Could you confirm when INV-10023 will be paid?", "We pay on Friday."),
    ("wrote verb in a language the library lacks (Portuguese)",
     f"Pagamos na sexta.\n\nEm 3 de nov. de 2026, às 09:12, Maria <maria@halden.example> "
     f"escreveu:\n{ASK}", "Pagamos na sexta."),
    ("header between dashes",
     "We pay on Friday.\n\n------On 11/03/2026 09:12 AM, Maria Lopez wrote-----\n\n"
     "Could you confirm?", "We pay on Friday."),
    ("header after text on the same line",
     f"We pay on Friday. On Tue, Nov 3, 2026 at 9:12 AM, maria@halden.example wrote:\n{ASK}",
     "We pay on Friday."),
    ("date and address line right above a > quote",
     f"We pay on Friday.\n2026/11/3 Maria Lopez <maria@halden.example>\n\n{ASK}",
     "We pay on Friday."),
    ("Outlook block whose From value wrapped",
     "Paid today.\n\n  *From:* Maria Lopez [mailto:\n  maria@halden.example]\n  *Sent:* Tuesday, "
     "November 3, 2026 9:12 AM\n  *To:* ap@brightline.example\n  *Subject:* INV-10023\n\nHi",
     "Paid today."),
    ("Russian Outlook block",
     "Оплачено.\n\nОт: Maria Lopez\nОтправлено: 3 ноября 2026 г. 9:12\nКому: AP\nТема: INV-10023"
     "\n\nCould you confirm?", "Оплачено."),
    ("Portuguese Outlook block",
     "Pago hoje.\n\nDe: Maria Lopez <maria@halden.example>\nEnviada em: terça-feira, 3 de "
     "novembro de 2026 09:12\nPara: AP\nAssunto: INV-10023\n\nCould you confirm?", "Pago hoje."),
    ("underscore rule above a header line in any language (Turkish)",
     "Ödeme cuma günü.\n\n________________________________\nKimden: Maria Lopez\n"
     "Gönderildi: 3 Kasım 2026 09:12\n\nCould you confirm?", "Ödeme cuma günü."),
    ("original-message line in another language",
     "Pago hoje.\n\n----- Mensagem original -----\nCould you confirm?", "Pago hoje."),
    ("forwarded message marker",
     "See below, this was paid.\n\n---------- Forwarded message ---------\nFrom: Bank\n"
     "Date: Tue, Nov 3, 2026\n\nPayment advice", "See below, this was paid."),
    ("> quoting without a header", f"We pay on Friday.\n\n{ASK}", "We pay on Friday."),
    ("reply under the quote (bottom-posting)",
     f"On Tue, 3 Nov 2026 at 09:12, Maria Lopez <maria@halden.example> wrote:\n{ASK}\n"
     "We pay on Friday.", "We pay on Friday."),
    ("inline answers between quoted lines",
     "> Will you pay INV-10023?\nYes, on Friday.\n> And INV-10031?\nNext week.",
     "Yes, on Friday.\nNext week."),
    ("one > line amid text is text",
     "Use the portal:\n>>> portal.halden.example <<<\nand log in.",
     "Use the portal:\n>>> portal.halden.example <<<\nand log in."),
    ("a line starting with On is no header",
     "On Friday we pay INV-10023.\nOn Monday INV-10031.",
     "On Friday we pay INV-10023.\nOn Monday INV-10031."),
    ("a forward without comment keeps the forwarded text",
     "From: Bank <noreply@bank.example>\nSent: Tuesday, November 3, 2026 9:12 AM\n"
     "Subject: Payment advice\n\nUSD 12,480.00 paid to Halden.", "USD 12,480.00 paid to Halden."),
]

SIGNATURES = [
    ("tagline: Sent from my iPhone", "We pay on Friday.\n\nSent from my iPhone",
     "We pay on Friday."),
    ("tagline in German", "Zahlung Freitag.\n\nVon meinem iPhone gesendet", "Zahlung Freitag."),
    ("a 'Sent from' line that is news stays",
     "Paid.\n\nSent from our Chennai warehouse on 2 Nov",
     "Paid.\n\nSent from our Chennai warehouse on 2 Nov"),
    ("-- delimiter", "We pay on Friday.\n\n-- \nDana Whitfield\nhttps://brightline.example",
     "We pay on Friday."),
    ("-- without the space above content stays",
     "Open items:\n--\nINV-10023 paid\nINV-10031 disputed because of damage",
     "Open items:\n--\nINV-10023 paid\nINV-10031 disputed because of damage"),
    ("closing, name, title, phone",
     "We pay on Friday.\n\nKind regards,\nDana Whitfield\nProject Controller | Brightline\n"
     "O: (614) 555-0138", "We pay on Friday."),
    ("closing with the name on its line", "We pay on Friday.\n\nThanks, Dana", "We pay on Friday."),
    ("'thank you, …' after the greeting is content",
     "Dear Ms Nair,\n\nthank you, we are not disputing the invoice, only the delivery date.\n\n"
     "Regards,\nX", "Dear Ms Nair,\n\nthank you, we are not disputing the invoice, only the "
     "delivery date."),
    ("a closing with nothing under it stays", "We pay on Friday.\n\nThanks,",
     "We pay on Friday.\n\nThanks,"),
    ("a sentence under a closing is content",
     "Hi Tom,\n\nThanks,\nwill pay tomorrow.", "Hi Tom,\n\nThanks,\nwill pay tomorrow."),
    ("a P.S. after the name keeps the sign-off",
     "Paid.\n\nThanks,\nDana\n\nP.S. INV-10031 follows next week.",
     "Paid.\n\nThanks,\nDana\n\nP.S. INV-10031 follows next week."),
    ("a signature alone is the message", "Thanks,\nDana", "Thanks,\nDana"),
    ("German closing",
     "Bitte senden Sie die Gutschrift.\n\nMit freundlichen Grüßen\n\nJürgen Hoffmann\n"
     "Kreditorenbuchhaltung", "Bitte senden Sie die Gutschrift."),
    ("two closings joined by a slash", "Absente.\n\nCordialement / Best regards,\nClaire Moreau",
     "Absente."),
    ("confidentiality notice as the last paragraph",
     "Paid.\n\nThis email and any attachments are confidential and intended solely for the "
     "addressee.", "Paid."),
    ("a warning paragraph is content",
     "Reminder.\n\nWarning: if INV-10023 is not paid by Friday we hold orders.",
     "Reminder.\n\nWarning: if INV-10023 is not paid by Friday we hold orders."),
    ("the layers of a signature", "Paid.\n\nThanks,\nDana\n-- \nBrightline Builders\n\n"
     "Sent from my iPad", "Paid."),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in QUOTATIONS],
                         ids=[c[0] for c in QUOTATIONS])
def test_quotation_rules(body: str, expected: str) -> None:
    assert new_text_of(body) == expected


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in SIGNATURES],
                         ids=[c[0] for c in SIGNATURES])
def test_signature_rules(body: str, expected: str) -> None:
    assert new_text_of(body) == expected
    # The signature is cut from the reply, never from the middle of it.
    assert body.startswith(expected)


@pytest.mark.parametrize(("body", "expected"), [
    ("Paid today.\n\nKevin Osei\nBranch Operations Manager\n(704) 555-0163", "Paid today."),
    ("Paid today.\n\nAngela", "Paid today."),
    ("Paid today.\n\nKevin will call you.", "Paid today.\n\nKevin will call you."),
], ids=["name, title, phone", "first name alone", "a sentence naming the sender"])
def test_signature_naming_the_sender(body: str, expected: str) -> None:
    """Without a closing, trailing short lines are a signature only if they name the sender."""
    assert new_text_of(body) == body
    name = "Angela Ruiz" if "Angela" in body else "Kevin Osei"
    assert new_text_of(body, sender_name=name, sender="x@northgate.example") == expected


def test_top_posted_new_text_is_a_prefix_of_the_body() -> None:
    """Evidence offsets point into new_text, so it must be the body's own text."""
    for _id, body, expected in QUOTATIONS[:18]:
        assert body.startswith(expected), _id


def test_signature_start_is_an_offset_into_the_text() -> None:
    text = "We pay on Friday.\n\nKind regards,\nDana Whitfield"
    assert text[signature_start(text):] == "Kind regards,\nDana Whitfield"
    assert signature_start("We pay on Friday.") == len("We pay on Friday.")


def test_reply_text_keeps_the_signature_new_text_drops_it() -> None:
    body = f"We pay on Friday.\n\nSent from my iPhone\n\nOn Tue, 3 Nov 2026, Maria wrote:\n{ASK}"
    assert reply_text(body) == "We pay on Friday.\n\nSent from my iPhone"
    assert new_text_of(body) == "We pay on Friday."


@pytest.mark.parametrize("body", ["", "  \n\n", "> only\n> quoted\n", "\r\n"])
def test_empty_or_all_quoted_bodies(body: str) -> None:
    assert new_text_of(body) == ""


def test_long_lines_do_not_blow_up() -> None:
    # The library's "On … wrote:" patterns backtrack quadratically on one long line.
    body = "On " + "x " * 100_000
    assert new_text_of(body) == body.strip()


# --- third-party fixtures -----------------------------------------------------------------

@needs_talon
def test_talon_standard_replies() -> None:
    results = bench.measure(TALON / "standard_replies")
    figure = bench.figure
    assert len(results) >= 12, "talon standard_replies went missing"
    share = sum(r.passed for r in results) / len(results)
    print(f"\ntalon standard_replies: new_text {figure(results)}, verbatim "
          f"{figure(results, 'passed_raw')}, quotation stage {figure(results, 'reply_passed')}")
    failed = [r.name for r in results if not r.passed]
    assert share >= 0.9, f"talon standard_replies: {figure(results)} match; failing: {failed}"
    assert all(r.reply_passed for r in results if not r.passed_raw), (
        "where new_text differs from talon verbatim, only the signature may differ"
    )


def test_measurement_normalisation() -> None:
    normalise, without_signature = bench.normalise, bench.without_signature
    assert normalise("Hello \r\n\r\n\r\n-- \r\nxxx\r\n") == "Hello\n\n--\nxxx"
    assert without_signature("Hello \n\n-- \nxxx\nSent with Sparrow") == "Hello"
    assert without_signature("Hello\n\nSent from my iPhone") == "Hello"
    assert without_signature("Hello\nSent the money yesterday") == "Hello\nSent the money yesterday"


# What each HTML reply says, and words only its quoted original has.
HTML_REPLIES = {
    name: ("Hi. I am fine.", ["Hello! How are you?"])
    for name in ("gmail", "hotmail", "mail_ru", "ms_outlook_2003", "ms_outlook_2007",
                 "ms_outlook_2010", "thunderbird", "windows_mail", "yandex_ru")
}


@needs_talon
@pytest.mark.parametrize("path", sorted((TALON / "html_replies").glob("*.html")),
                         ids=lambda p: p.stem)
def test_talon_html_replies(path: Path) -> None:
    assert path.stem in HTML_REPLIES, f"no expectation for new fixture {path.name}"
    reply, quoted = HTML_REPLIES[path.stem]
    text = html_to_text(path.read_text(encoding="utf-8", errors="replace"))
    assert all(word in text for word in quoted)  # the quote is in the body …
    new = new_text_of(text)
    assert new == reply  # … and neither it nor the "Thanks, Alex" sign-off is new text
    assert not any(word in new for word in quoted)


@needs_talon
@pytest.mark.parametrize(("name", "reply", "quoted"), [
    ("reply-separated-by-hr.html", "Hi\nthere\n\nBob", "bob@example.com"),
    ("OLK_SRC_BODY_SECTION.html", "Reply", "Test"),
])
def test_talon_html_reply_separators(name: str, reply: str, quoted: str) -> None:
    new = new_text_of(html_to_text((TALON / name).read_text(encoding="utf-8")))
    assert new == reply and quoted not in new


@needs_talon
def test_talon_signatures_never_cut_content() -> None:
    """talon's signature fixtures: what we cut is never more than the known signature, and
    the ones with a closing or naming the sender are found."""
    found = []
    for body_file in sorted((TALON / "signature" / "emails" / "stripped").glob("*_body")):
        text = body_file.read_text(encoding="utf-8").replace("#sig#", "").strip()
        sender = body_file.with_name(body_file.name.replace("_body", "_sender"))
        signature = body_file.with_name(body_file.name.replace("_body", "_signature"))
        expected = signature.read_text(encoding="utf-8").replace("#sig#", "").strip()
        who = sender.read_text(encoding="utf-8").strip()
        name, address = ("", who) if "@" in who else (who, "")
        cut = text[signature_start(text, sender_name=name, sender=address):].strip()
        assert expected.endswith(cut), f"{body_file.name}: cut {cut!r}, signature {expected!r}"
        if cut and cut == expected:
            found.append(body_file.name.removesuffix("_body"))
    assert {"short_url", "long", "johndoeexamplecom"} <= set(found), found
