"""Alert e-mail over SMTP: multipart text + HTML from templates, TLS verified, one connection
reused across a run's sends.

The Message-ID is derived from the notice key, so a notice resent after an interrupted
attempt carries the same Message-ID and mail systems that deduplicate by it show it once.
"""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from commwatch.store import utcnow
from notifier.channels import DeliveryResult
from notifier.config import EmailChannelConfig
from notifier.notice import Notice

COLOURS = {"info": "#3b6fb6", "warning": "#b7791f", "high": "#c53030", "critical": "#822727"}
EVENT_WORDS = {"new": "new", "reopened": "back again", "escalated": "severity raised",
               "resolved": "resolved", "reminder": "still open"}


@cache
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("notifier", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render(notice: Notice) -> tuple[str, str]:
    """(text, html) bodies of a notice."""
    env = templates()
    context = {
        "notice": notice,
        "digest": notice.digest,
        "colours": COLOURS,
        "event_words": EVENT_WORDS,
        "credit_lines": notice.credit.lines() if notice.credit else [],
    }
    name = "digest" if notice.kind == "digest" else "alert"
    return (env.get_template(f"{name}.txt.j2").render(context),
            env.get_template(f"{name}.html.j2").render(context))


def message_id(key: str, from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "commwatch.invalid"
    return f"<{key}@{domain}>"


def build_message(notice: Notice, config: EmailChannelConfig) -> EmailMessage:
    text, html = render(notice)
    msg = EmailMessage()
    msg["From"] = Address(config.from_name, addr_spec=str(config.from_address))
    msg["To"] = notice.recipient
    msg["Subject"] = notice.subject if not notice.reply_to else f"Re: {notice.subject}"
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id(notice.key, str(config.from_address))
    if notice.reply_to:
        msg["In-Reply-To"] = notice.reply_to
        msg["References"] = notice.reply_to
    # Tells mail servers and our own ingest that no person wrote this: no auto-replies.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Commwatch-Key"] = notice.key
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


class EmailChannel:
    def __init__(self, name: str, config: EmailChannelConfig) -> None:
        self.name = name
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    # -- connection ------------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.config.ca_file:
            context.load_verify_locations(cafile=str(self.config.ca_file))
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        return context

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        smtp: smtplib.SMTP
        if c.security == "tls":
            smtp = smtplib.SMTP_SSL(c.host, c.effective_port, timeout=c.timeout_seconds,
                                    context=self._context())
        else:
            smtp = smtplib.SMTP(c.host, c.effective_port, timeout=c.timeout_seconds)
            if c.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS; refusing to send in clear")
                smtp.starttls(context=self._context())
        smtp.ehlo()
        if c.username and c.password:
            smtp.login(c.username, c.password.reveal())
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    # -- sending ---------------------------------------------------------------------------

    def send(self, notice: Notice) -> DeliveryResult:
        msg = build_message(notice, self.config)
        where = f"{self.config.host}:{self.config.effective_port}"
        try:
            return self._send(msg, notice, where)
        except smtplib.SMTPServerDisconnected:
            # A reused connection the server closed while idle: one fresh try.
            self._smtp = None
        try:
            return self._send(msg, notice, where)
        except smtplib.SMTPServerDisconnected as exc:
            self._smtp = None
            return DeliveryResult(False, f"{where} disconnected: {exc}", scope="channel")

    def _send(self, msg: EmailMessage, notice: Notice, where: str) -> DeliveryResult:
        """One try; a dropped connection is raised for `send` to decide about."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(msg)
            return DeliveryResult(True, f"accepted by {where} for {notice.recipient}",
                                  external_ref=str(msg["Message-ID"]))
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return DeliveryResult(False, f"{where} refused {notice.recipient}: {code} "
                                  f"{_text(text)}", permanent=code >= 500)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            return DeliveryResult(False, f"{where} refused the login of "
                                  f"{self.config.username}: {exc.smtp_code}", scope="channel")
        except smtplib.SMTPResponseException as exc:
            permanent = exc.smtp_code >= 500
            self.close()
            return DeliveryResult(False, f"{where} answered {exc.smtp_code} "
                                  f"{_text(exc.smtp_error)}", permanent=permanent,
                                  scope="delivery" if permanent else "channel")
        except ssl.SSLCertVerificationError as exc:
            self._smtp = None
            return DeliveryResult(False, f"TLS certificate of {where} not trusted: "
                                  f"{exc.verify_message or exc.reason}", scope="channel")
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None
            return DeliveryResult(False, f"cannot reach {where}: "
                                  f"{type(exc).__name__}: {exc}", scope="channel")

    def confirm(self, notice: Notice) -> bool | None:
        return None  # SMTP cannot be asked whether a message was accepted before


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


__all__ = ["EmailChannel", "build_message", "message_id", "render"]
