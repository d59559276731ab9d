"""MIME parsing: headers, bodies, charsets, HTML, attachments, automatic mail, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import Message

import pytest

from ingest import BadRecord
from ingest import html as html_module
from ingest.html import _feed_tidy, _TextExtractor, html_to_text
from ingest.mime import _message, parse_email
from tests.factories import email_bytes

SENT = datetime(2026, 11, 3, 9, 12, tzinfo=timezone(timedelta(hours=-5)))


def test_plain_message_fields() -> None:
    parsed = parse_email(
        email_bytes(
            sent=SENT,
            to="AR <ar@halden-supply.example>, Maria <Maria.Lopez@halden-supply.example>",
            in_reply_to="<p@halden-supply.example>",
            references="<root@halden-supply.example> <p@halden-supply.example>",
            body="We will pay on Friday.\n",
        )
    )
    assert parsed.natural_key == "email:<m1@brightline.example>"
    assert parsed.sender == "jan@brightline.example"
    assert parsed.sender_name == "Jan Novak"
    assert parsed.recipients == ["ar@halden-supply.example", "maria.lopez@halden-supply.example"]
    assert parsed.sent_at == SENT and parsed.sent_at.tzinfo == UTC
    assert parsed.in_reply_to == "<p@halden-supply.example>"
    assert parsed.references == ["<root@halden-supply.example>", "<p@halden-supply.example>"]
    assert parsed.new_text == "We will pay on Friday."
    assert parsed.automatic is None


def test_message_without_message_id_gets_a_content_hash_key() -> None:
    data = email_bytes(sent=SENT, message_id=None)
    first, second = parse_email(data), parse_email(data)
    assert first.natural_key.startswith("email-sha256:")
    assert first.natural_key == second.natural_key


def test_quoted_reply_is_not_new_text() -> None:
    body = (
        "Sorry, we cannot pay this week.\n\n"
        "On Tue, 3 Nov 2026 at 09:12, Maria Lopez <maria.lopez@halden-supply.example> wrote:\n"
        "> Will you pay INV-10023 by Friday?\n> Thanks\n"
    )
    parsed = parse_email(email_bytes(sent=SENT, body=body))
    assert parsed.new_text == "Sorry, we cannot pay this week."
    assert "Will you pay" in parsed.body_text


def test_html_only_mail_becomes_readable_text() -> None:
    msg = email_bytes(sent=SENT, body="x")
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Dear AR team,</p>"
        "<p>Please find our <b>open items</b>:<br>see below</p>"
        "<table><tr><td>INV-10023</td><td>$1,200.00</td></tr></table>"
        "<script>alert(1)</script></body></html>"
    )
    raw = msg.replace(b"Content-Type: text/plain; charset=\"utf-8\"",
                      b"Content-Type: text/html; charset=\"utf-8\"")
    raw = raw.split(b"\n\n", 1)[0] + b"\n\n" + html.encode()
    parsed = parse_email(raw)
    assert "Dear AR team," in parsed.body_text
    assert "INV-10023\t$1,200.00" in parsed.body_text
    assert "alert(1)" not in parsed.body_text and "color:red" not in parsed.body_text


def test_html_to_text_blocks_and_entities() -> None:
    text = html_to_text("<div>a&nbsp;b</div><div>c &amp; d</div>")
    assert text.split() == ["a", "b", "c", "&", "d"]
    assert html_to_text("<p>one</p><p>two</p>").splitlines()[0] == "one"


@pytest.mark.parametrize(("html", "tidy"), [
    ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>T</title><style>p{a:b}</style>'
     "</head><body><p class=x>Hello,</p><br/><br />a &gt; b &amp;lt; c&nbsp;d</body></html>",
     True),
    ("<table><tr><td>INV-1</td> <td>\t$5 </td></tr></table><ul><li>one<li>two</ul>", True),
    ("<!--[if mso]><o:p></o:p><![endif]--><p>x</p><STYLE>a</b></style >y", True),
    ("<script>if (a < b) {}</script><p a='1' b=\"2\" c=3 d>z</p>", True),
    ("  a\u3000\x1c b  &copy; &#169; &#xA9;x &amp  &unknown;", True),
    ("text &gt", True),  # html.parser holds a trailing reference back until close()
    ("a < b <p>c", False),  # a stray "<"
    ("<p>unterminated <b", False),
    ("<!-- never closed <p>x", False),
    ("<style>no end", False),
    ('<p class="a"id="b">glued attributes</p>', False),
    ("<![CDATA[x]]><?xml version='1.0'?>", False),
])
def test_tidy_html_is_read_as_html_parser_reads_it(
    html: str, tidy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = _TextExtractor()
    slow.feed(html)
    slow.close()
    fast = _TextExtractor()
    assert _feed_tidy(fast, html) is tidy
    if tidy:
        assert fast.parts == slow.parts
    text = html_to_text(html)
    monkeypatch.setattr(html_module, "_feed_tidy", lambda _parser, _html: False)
    assert html_to_text(html) == text


def test_encoded_headers_and_latin1_body() -> None:
    raw = (
        b"From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <j.mueller@stahlbau.example>\r\n"
        b"To: ar@halden-supply.example\r\n"
        b"Subject: =?ISO-8859-1?Q?Rechnung_R=FCckfrage?=\r\n"
        b"Date: Mon, 02 Nov 2026 10:00:00 +0100\r\n"
        b"Message-ID: <de1@stahlbau.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Gr=FC=DFe, die Rechnung ist falsch.\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.sender_name == "Jürgen Müller"
    assert parsed.subject == "Rechnung Rückfrage"
    assert parsed.body_text.startswith("Grüße, die Rechnung ist falsch.")


def test_unknown_charset_does_not_lose_the_body() -> None:
    raw = (
        b"From: a@b.example\nDate: Mon, 02 Nov 2026 10:00:00 +0000\nSubject: x\n"
        b"Content-Type: text/plain; charset=x-unknown-9\n\nplain words here\n"
    )
    assert "plain words here" in parse_email(raw).body_text


def test_attachments_recorded_not_stored() -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "ap@brightline.example"
    msg["To"] = "ar@halden-supply.example"
    msg["Subject"] = "Remittance"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0000"
    msg.set_content("Please see the remittance advice attached.")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                       filename="remittance_advice.pdf")
    parsed = parse_email(bytes(msg))
    assert parsed.attachments == [
        {"filename": "remittance_advice.pdf", "content_type": "application/pdf", "size": 13}
    ]
    assert "%PDF" not in parsed.body_text


@pytest.mark.parametrize(
    ("headers", "subject", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: invoice", "auto_reply"),
        ({"Auto-Submitted": "no"}, "Re: invoice", None),
        ({"X-Autoreply": "yes"}, "Re: invoice", "auto_reply"),
        ({}, "Automatic reply: Invoice INV-1", "auto_reply"),
        ({}, "Out of Office: back Monday", "auto_reply"),
        ({}, "Re: invoice", None),
    ],
)
def test_automatic_mail_recognised(
    headers: dict[str, str], subject: str, expected: str | None
) -> None:
    parsed = parse_email(email_bytes(sent=SENT, subject=subject, headers=headers))
    assert parsed.automatic == expected


def test_bounce_recognised() -> None:
    parsed = parse_email(
        email_bytes(sent=SENT, sender="MAILER-DAEMON@mx.brightline.example",
                    subject="Undeliverable")
    )
    assert parsed.automatic == "bounce"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty message"),
        (b"   \r\n\r\n", "empty message"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "no RFC 5322 header block"),
        (b"just a line of text with no headers\nand another\n", "no RFC 5322 header block"),
        (b"X-Foo: bar\n\nbody\n", "none of From, Sender, Date, Message-ID or Subject"),
        (b"From: a@b.example\nSubject: s\n\nbody\n", "no usable Date"),
    ],
)
def test_unusable_input_is_a_bad_record(raw: bytes, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse_email(raw)


def test_missing_date_falls_back_to_received_then_arrival() -> None:
    raw = (
        b"Received: from mx by mail; Tue, 03 Nov 2026 14:00:00 +0000\n"
        b"From: a@b.example\nSubject: s\n\nbody\n"
    )
    assert parse_email(raw).sent_at == datetime(2026, 11, 3, 14, tzinfo=UTC)
    arrival = datetime(2026, 11, 4, 8, tzinfo=UTC)
    assert parse_email(b"From: a@b.example\nSubject: s\n\nbody\n", arrival).sent_at == arrival


def _shape(msg: Message) -> list[object]:
    return [
        (part.get_content_type(), part.items(), [type(d).__name__ for d in part.defects],
         None if part.is_multipart() else part.get_payload(), part.get_unixfrom(),
         part.preamble, part.epilogue, sorted(vars(part)))
        for part in msg.walk()
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: a\nFrom: x@y.example\n\nbody\n> quoted\n",
        b"Subject: a\r\nFrom: x@y.example\r\n\r\nbody\r\nmore\r\n",
        b"Subject: a\rFrom: x@y.example\r\rbody\rmore",
        b"Subject: a\n folded\nFrom: x@y.example\n\n",
        b"From x@y.example Mon Nov  2 09:00:00 2026\nSubject: a\n\nbody\n",
        b"Subject: a\nnot a header line\nbody\n",  # no blank line: a defect
        b"Subject: a\nFrom: x@y.example\n",  # ends within the headers
        b"Subject: a\nContent-Type: MULTIPART/mixed; boundary=b\n\n--b\n\none\n--b--\n",
        b"Subject: a\nContent-Type: message/rfc822\n\nSubject: inner\n\nbody\n",
        b"Subject: a\nContent-Type: text/plain; x=multipart\n\nbody\n",
        b"Subject: caf\xc3\xa9\nContent-Type: text/html\n\n<p>\xff</p>\n",
    ],
)
def test_message_parses_as_the_standard_parser(raw: bytes) -> None:
    """The single-part shortcut gives the message `message_from_bytes` gives."""
    expected = message_from_bytes(raw, policy=policy.compat32)
    got = _message(raw)
    assert _shape(got) == _shape(expected)
    assert got.as_string() == expected.as_string()
