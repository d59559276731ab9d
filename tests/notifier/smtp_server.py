"""A real SMTP server (aiosmtpd) on loopback that keeps what it accepted; it can be stopped
and started again on the same port to play an outage, and can offer STARTTLS."""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.dovecot import _free_port, _write_ca, _write_server_cert


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK queued"


class SmtpServer:
    def __init__(self, tls: ssl.SSLContext | None = None, auth: tuple[str, str] | None = None):
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.handler = _Handler()
        self.tls = tls
        self.auth = auth
        self._controller: Controller | None = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:
        ok = (isinstance(data, LoginPassword) and self.auth is not None
              and (data.login.decode(), data.password.decode()) == self.auth)
        return AuthResult(success=ok)

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.tls is not None:
            kwargs.update(tls_context=self.tls, require_starttls=True)
        if self.auth is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=self.tls is not None)
        self._controller = Controller(self.handler, hostname=self.host, port=self.port,
                                      server_hostname="localhost", **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def tls_server(tmp_path: Path, auth: tuple[str, str] | None = None) -> tuple[SmtpServer, Path]:
    """A STARTTLS server with a certificate from a private CA; returns it and the CA file."""
    ca_file = tmp_path / "ca.pem"
    ca_key, ca_cert = _write_ca(ca_file, "commwatch test CA")
    cert, key = _write_server_cert(tmp_path, ca_key, ca_cert)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return SmtpServer(tls=context, auth=auth), ca_file
