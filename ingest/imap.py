"""IMAP mailboxes: incremental by (UIDVALIDITY, last UID) per folder, read-only by default,
and a watcher that wakes the caller on new mail (IDLE, or NOOP polling) across reconnects.
The protocol details are in ingest.imap_protocol, the watcher in ingest.imap_watch.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial
from typing import Any
from urllib.parse import quote

import imaplib2

from ingest.base import BadRecord, Batch, ParsedMessage, RawItem, SourceError
from ingest.imap_config import ImapSourceConfig
from ingest.imap_protocol import (
    FETCH_ITEMS,
    _constant,
    _fetch_records,
    _Session,
    _text,
    _uid_set,
    encode_mailbox,
)
from ingest.imap_transport import ImapClient, ImapsClient
from ingest.imap_watch import ImapWatch, WatchTiming
from ingest.mime import parse_email

log = logging.getLogger(__name__)

_HOSTNAME_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


class ImapConnector(ImapWatch):
    """Reads configured folders of one IMAP account; see ImapSourceConfig for the options."""

    channel = "email"

    def __init__(self, name: str, config: ImapSourceConfig,
                 timing: WatchTiming | None = None) -> None:
        self.name = name
        self.config = config
        self.timing = timing or WatchTiming()
        self.where = f"imap://{config.username}@{config.host}:{config.port}"
        self._unreadable: dict[str, str] = {}

    @property
    def read_ahead(self) -> bool:
        """Read-only: the runner may take the next batch before this one is committed. With
        `after_ingest`, a batch is flagged or moved when the runner asks for the next one,
        which it must then do only once the batch is committed."""
        return self.config.after_action[0] == "none"

    # -- connecting ------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        context = ssl.create_default_context()  # the system's trust store …
        if cafile:
            context.load_verify_locations(cafile=cafile)  # … plus the private CA
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        return context

    def _tls_error(self, exc: ssl.SSLError) -> SourceError:
        if isinstance(exc, ssl.SSLCertVerificationError):
            detail = exc.verify_message or exc.reason or str(exc)
            if exc.verify_code in _HOSTNAME_MISMATCH:
                return SourceError(f"{self.where}: TLS failed: host name mismatch: {detail}")
            hint = "" if self.config.ca_file else "; if the server uses a private CA, set ca_file"
            return SourceError(
                f"{self.where}: TLS failed: certificate verify failed: {detail}{hint}"
            )
        hint = ""
        if exc.reason == "WRONG_VERSION_NUMBER" and self.config.security == "tls":
            hint = ' (the server did not answer in TLS: if this port expects STARTTLS, use ' \
                   'security = "starttls")'
        return SourceError(f"{self.where}: TLS handshake failed: {exc.reason or exc}{hint}")

    def _redact(self, text: str) -> str:
        for secret in (self.config.password, self.config.oauth2_token):
            if secret is not None:
                text = text.replace(secret.reveal(), "****")
        return text

    def _connect(self) -> _Session:
        cfg = self.config
        context = None if cfg.security == "plain" else self._tls_context()
        client = ImapsClient if cfg.security == "tls" else ImapClient
        try:
            conn = client(cfg.host, cfg.port, context=context, timeout=cfg.timeout_seconds)
        except socket.gaierror as exc:
            raise SourceError(f"{self.where}: cannot resolve host {cfg.host!r} (DNS): "
                              f"{exc.strerror}") from exc
        except ssl.SSLError as exc:
            raise self._tls_error(exc) from exc
        except TimeoutError as exc:
            raise SourceError(f"{self.where}: cannot connect: no answer within "
                              f"{cfg.timeout_seconds:g} s") from exc
        except OSError as exc:
            raise SourceError(f"{self.where}: cannot connect: {exc.strerror or exc}") from exc
        except imaplib2.IMAP4.error as exc:
            hint = "" if cfg.security == "tls" else (
                ' (if this port expects TLS from the start, use security = "tls")')
            raise SourceError(f"{self.where}: no IMAP greeting: {_text(exc)}{hint}") from exc
        session = _Session(conn, self.where)
        if cfg.security != "starttls":
            return session
        try:
            conn.starttls()
        except ssl.SSLError as exc:
            session.close()
            raise self._tls_error(exc) from exc
        except (imaplib2.IMAP4.error, OSError) as exc:
            session.close()
            raise SourceError(f"{self.where}: STARTTLS failed: {_text(exc)}") from exc
        return session

    def _login(self, session: _Session) -> None:
        cfg = self.config
        try:
            if cfg.password is not None:
                session.conn.login(cfg.username, cfg.password.reveal())
            else:
                if "AUTH=XOAUTH2" not in session.capabilities:
                    raise SourceError(f"{self.where}: login refused: the server does not offer "
                                      "AUTH=XOAUTH2")
                assert cfg.oauth2_token is not None
                sasl = f"user={cfg.username}\x01auth=Bearer {cfg.oauth2_token.reveal()}\x01\x01"
                answers = iter([sasl.encode()])
                # The first challenge is empty; a failure comes as a JSON challenge that must
                # be answered with an empty line before the server says NO.
                session.conn.authenticate("XOAUTH2", lambda _challenge: next(answers, b""))
        except imaplib2.IMAP4.abort as exc:
            raise SourceError(f"{self.where}: connection lost during login: "
                              f"{self._redact(_text(exc))}") from None
        except imaplib2.IMAP4.error as exc:
            raise SourceError(f"{self.where}: login refused: {self._redact(_text(exc))}") from None
        except OSError as exc:
            raise SourceError(f"{self.where}: connection lost during login: {exc}") from None
        session.refresh_capabilities()

    def _open(self) -> _Session:
        """Connect, secure and log in: each step's failure is a SourceError saying which."""
        session = self._connect()
        try:
            self._login(session)
        except BaseException:
            session.close()
            raise
        return session

    # -- the connector contract ------------------------------------------------------------

    def fetch(self, cursors: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        session = self._open()
        try:
            action, target = self.config.after_action
            if action == "move" and target not in session.folders():
                raise SourceError(f"{self.where}: after_ingest target folder {target!r} does "
                                  "not exist; create it or change after_ingest")
            for folder in self.config.folders:
                yield from self._fetch_folder(session, folder, cursors.get(folder) or {})
        finally:
            session.close()

    def _fetch_folder(self, session: _Session, folder: str,
                      cursor: dict[str, Any]) -> Iterator[Batch]:
        readonly = self.config.after_action[0] == "none"
        uidvalidity, count = session.select(folder, readonly=readonly)
        last_uid = 0
        if cursor.get("uidvalidity") == uidvalidity:
            last_uid = int(cursor.get("last_uid", 0))
        elif cursor:
            log.warning("%s: %s folder %s: UIDVALIDITY changed from %s to %s; rescanning it "
                        "from UID 1 (known messages are recognised by Message-ID)", self.name,
                        self.where, folder, cursor.get("uidvalidity"), uidvalidity)
        uids = session.uids_after(last_uid) if count else []
        if not uids:
            fresh = {"uidvalidity": uidvalidity, "last_uid": last_uid}
            if cursor != fresh:
                yield Batch(folder, [], fresh)
            return
        size = self.config.batch_size
        chunks = [uids[start:start + size] for start in range(0, len(uids), size)]
        # The next chunk is fetched while the runner parses and stores this one; one FETCH
        # is in flight at a time, and nothing else is sent while it is.
        ahead = ThreadPoolExecutor(1, thread_name_prefix=f"imap-fetch {self.name}")
        try:
            pending = ahead.submit(self._fetch_chunk, session, folder, uidvalidity, chunks[0])
            for n, chunk in enumerate(chunks):
                items = pending.result()
                if n + 1 < len(chunks):
                    pending = ahead.submit(self._fetch_chunk, session, folder, uidvalidity,
                                           chunks[n + 1])
                yield Batch(folder, items, {"uidvalidity": uidvalidity, "last_uid": chunk[-1]})
                # The runner has committed the batch when it asks for the next one.
                if self.config.after_action[0] != "none":
                    wait([pending])  # flag or move only once the FETCH has finished
                    self._after_ingest(session, chunk)
        finally:
            ahead.shutdown(wait=False, cancel_futures=True)

    def _fetch_chunk(self, session: _Session, folder: str, uidvalidity: int,
                     chunk: list[int]) -> list[RawItem]:
        typ, data = session.run("UID FETCH", session.conn.uid, "FETCH",
                                f"{chunk[0]}:{chunk[-1]}", FETCH_ITEMS, allow_no=True)
        records = _fetch_records(data)
        wanted = set(chunk)
        items = []
        for uid in chunk:
            key = f"{folder}/{uidvalidity}/{uid}"
            if uid in records:
                received_at, body = records[uid]
            elif typ == "NO":  # the server could not read this one: quarantine it, go on
                self._unreadable[key] = _text(data[-1]) if data else "FETCH refused"
                received_at, body = None, b""
            else:
                continue  # expunged since the search
            items.append(RawItem(
                key=key,
                ref=(f"imap://{quote(self.config.username, safe='')}@{self.config.host}/"
                     f"{quote(folder)};UIDVALIDITY={uidvalidity}/;UID={uid}"),
                read=_constant(body),
                received_at=received_at,
            ))
        extra = set(records) - wanted
        if extra:
            log.debug("%s: ignored FETCH data for UIDs outside the range: %s", self.name, extra)
        return items

    def _after_ingest(self, session: _Session, uids: list[int]) -> None:
        action, argument = self.config.after_action
        if action == "none":
            return
        uid_set = _uid_set(uids)
        uid = session.conn.uid
        if action == "flag":
            session.run(f"flagging {argument}", uid, "STORE", uid_set, "+FLAGS.SILENT",
                        f"({argument})")
            return
        target = encode_mailbox(argument)
        if "MOVE" in session.capabilities:
            session.run(f"MOVE to {argument!r}", uid, "MOVE", uid_set, target)
            return
        session.run(f"COPY to {argument!r}", uid, "COPY", uid_set, target)
        session.run("marking moved messages deleted", uid, "STORE", uid_set, "+FLAGS.SILENT",
                    r"(\Deleted)")
        if "UIDPLUS" in session.capabilities:
            session.run("UID EXPUNGE", uid, "EXPUNGE", uid_set)
        else:  # a plain EXPUNGE would also remove what others marked deleted
            log.warning("%s: server lacks MOVE and UIDPLUS: copied messages are left marked "
                        "\\Deleted in the source folder", self.name)

    def parse(self, item: RawItem, data: bytes) -> ParsedMessage:
        return self.parse_job(item, data)()

    def parse_job(self, item: RawItem, data: bytes) -> Callable[[], ParsedMessage]:
        """The parse as a picklable call, for a worker process; what the server refused is
        known only here, so that check is made now."""
        reason = self._unreadable.pop(item.key, None)
        if reason is not None and not data:
            raise BadRecord(f"the IMAP server could not return this message: {reason}")
        return partial(parse_email, data, received_at=item.received_at)

    # -- `commwatch sources test` ----------------------------------------------------------

    def check(self) -> list[str]:
        """Connect, log in, list folders and open each configured one; lines for a person."""
        session = self._open()
        try:
            cfg = self.config
            if cfg.security == "plain":
                transport = "no TLS (loopback only)"
            else:
                sock = session.conn.sock
                transport = f"{sock.version()}, certificate verified for {cfg.host}"
            lines = [f"connected to {cfg.host}:{cfg.port} ({cfg.security}: {transport})"]
            how = "password (LOGIN)" if cfg.password is not None else "OAuth2 token (XOAUTH2)"
            lines.append(f"logged in as {cfg.username} with {how}")
            names = session.folders()
            shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
            lines.append(f"{len(names)} folder(s) on the server: {shown}")
            for folder in cfg.folders:
                uidvalidity, count = session.select(folder, readonly=True)
                lines.append(f"folder {folder}: {count} message(s), UIDVALIDITY {uidvalidity}")
            action, target = cfg.after_action
            if action == "move":
                if target not in names:
                    raise SourceError(f"{self.where}: after_ingest target folder {target!r} "
                                      "does not exist")
                lines.append(f"after ingest: messages are moved to {target}")
            elif action == "flag":
                lines.append(f"after ingest: messages get the keyword {target}")
            else:
                lines.append("read-only: nothing is marked, moved or deleted")
            if cfg.idle and "IDLE" in session.capabilities:
                lines.append("new mail is pushed (IDLE)")
            else:
                lines.append(f"new mail is polled every {self.timing.poll_seconds:g} s (no IDLE)")
        finally:
            session.close()
        return lines
