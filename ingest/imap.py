"""IMAP mailboxes: incremental by (UIDVALIDITY, last UID) per folder, read-only by default,
and a watcher that wakes the caller on new mail (IDLE, or NOOP polling) across reconnects.
"""

from __future__ import annotations

import base64
import logging
import random
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any
from urllib.parse import quote

import imaplib2

from ingest.base import BadRecord, Batch, ParsedMessage, RawItem, SourceError
from ingest.imap_config import ImapSourceConfig
from ingest.imap_transport import ImapClient, ImapsClient
from ingest.mime import parse_email

log = logging.getLogger(__name__)

FETCH_ITEMS = "(UID INTERNALDATE RFC822.SIZE BODY.PEEK[])"
_HOSTNAME_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)"'
)
_UID = re.compile(rb"\bUID (\d+)")
_NEW_RESPONSE = re.compile(rb"^\d+ \(")
_LIST = re.compile(rb'^\((?P<flags>[^)]*)\) (?:NIL|"(?:[^"\\]|\\.)*") (?P<name>.*)$')


@dataclass(frozen=True)
class WatchTiming:
    """How the watcher paces itself; tests shrink these."""

    reidle_seconds: float = 25 * 60  # RFC 2177: re-issue IDLE well before 30 minutes
    poll_seconds: float = 60.0  # NOOP interval when IDLE is off or unsupported
    backoff_first: float = 1.0
    backoff_max: float = 60.0
    stop_check_seconds: float = 0.2  # how soon `stop` is noticed while idling


def backoff_delays(
    timing: WatchTiming, rand: Callable[[], float] = random.random
) -> Iterator[float]:
    """1, 2, 4 … capped delays, each drawn between half and all of it so clients spread out."""
    delay = timing.backoff_first
    while True:
        yield delay * (0.5 + rand() / 2)
        delay = min(delay * 2, timing.backoff_max)


def encode_mailbox(name: str) -> str:
    """A folder name as IMAP's modified UTF-7 (RFC 3501 5.1.3), quoted for a command."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + raw.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def decode_mailbox(name: str) -> str:
    def one(match: re.Match[str]) -> str:
        chunk = match.group(1).replace(",", "/")
        if not chunk:
            return "&"
        try:
            return base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):  # not modified UTF-7 after all: keep as sent
            return match.group(0)

    return re.sub(r"&([^-]*)-", one, name)


def _text(value: Any) -> str:
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else type(value).__name__
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _internaldate(meta: bytes) -> datetime | None:
    m = _INTERNALDATE.search(meta)
    if m is None or m.group(2).decode().title() not in _MONTHS:
        return None
    day, mon, year, hh, mm, ss, sign, zh, zm = (g.decode() for g in m.groups())
    offset = timedelta(hours=int(zh), minutes=int(zm)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(int(year), _MONTHS[mon.title()], int(day), int(hh), int(mm), int(ss),
                         tzinfo=timezone(offset))
    except ValueError:  # e.g. 31-Feb: fall back to the Date header
        return None
    return local.astimezone(UTC)


def _fetch_records(data: list[Any]) -> dict[int, tuple[datetime | None, bytes]]:
    """UID -> (INTERNALDATE, body) from imaplib2's FETCH data: a (head, literal) tuple per
    message, possibly followed by the rest of its line (items after the literal)."""
    found: dict[int, tuple[datetime | None, bytes]] = {}
    records: list[list[bytes]] = []
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            records.append([part[0], part[1]])
        elif isinstance(part, bytes) and records and not _NEW_RESPONSE.match(part):
            records[-1][0] += part
    for meta, body in records:
        uid = _UID.search(meta)
        if uid is not None:
            found[int(uid.group(1))] = (_internaldate(meta), body)
    return found


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _uid_set(uids: list[int]) -> str:
    """Sorted UIDs as a compact IMAP set: 1:5,7,9:10."""
    ranges: list[list[int]] = []
    for uid in sorted(uids):
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return ",".join(f"{a}:{b}" if a != b else str(a) for a, b in ranges)


class _Session:
    """One connected IMAP client; every server refusal becomes a SourceError naming `where`."""

    def __init__(self, conn: Any, where: str) -> None:
        self.conn = conn
        self.where = where
        self.capabilities: set[str] = set(getattr(conn, "capabilities", ()))

    def run(self, what: str, call: Callable[..., tuple[str, list[Any]]], *args: Any,
            allow_no: bool = False) -> tuple[str, list[Any]]:
        try:
            typ, data = call(*args)
        except imaplib2.IMAP4.abort as exc:
            raise SourceError(f"{self.where}: connection lost during {what}: {_text(exc)}") from exc
        except imaplib2.IMAP4.error as exc:
            raise SourceError(f"{self.where}: {what} failed: {_text(exc)}") from exc
        except OSError as exc:
            raise SourceError(f"{self.where}: connection lost during {what}: {exc}") from exc
        if typ != "OK" and not (allow_no and typ == "NO"):
            raise SourceError(f"{self.where}: {what} refused: {_text(data[-1] if data else typ)}")
        return typ, data

    def refresh_capabilities(self) -> None:
        _typ, data = self.run("CAPABILITY", self.conn.capability)
        self.capabilities = set(_text(data[-1]).upper().split()) if data and data[-1] else set()

    def select(self, folder: str, readonly: bool) -> tuple[int, int]:
        """Open a folder (EXAMINE when read-only); returns (UIDVALIDITY, message count)."""
        verb = "EXAMINE" if readonly else "SELECT"
        try:
            typ, data = self.conn.select(encode_mailbox(folder), readonly=readonly)
        except imaplib2.IMAP4.readonly:
            raise SourceError(f"{self.where}: folder {folder!r} is read-only on the server; "
                              "after_ingest needs write access") from None
        except (imaplib2.IMAP4.error, OSError) as exc:
            raise SourceError(f"{self.where}: {verb} {folder!r} failed: {_text(exc)}") from exc
        if typ != "OK":
            raise SourceError(f"{self.where}: folder {folder!r} not found or not accessible: "
                              f"{_text(data[-1])}")
        _code, validity = self.conn.response("UIDVALIDITY")
        if not validity or validity[-1] is None:
            raise SourceError(f"{self.where}: the server sent no UIDVALIDITY for {folder!r}")
        self.pop_new()  # the EXISTS/RECENT of the SELECT itself are not news
        return int(validity[-1]), int(data[-1] or 0)

    def uids_after(self, last_uid: int) -> list[int]:
        _typ, data = self.run("UID SEARCH", self.conn.uid, "SEARCH", f"UID {last_uid + 1}:*")
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        # `n:*` with n past the highest UID still matches the highest: filter it out.
        return sorted(u for u in (int(x) for x in found) if u > last_uid)

    def folders(self) -> list[str]:
        _typ, data = self.run("LIST", self.conn.list, '""', "*")
        names = []
        for entry in data:
            if isinstance(entry, tuple):  # a name sent as a literal
                names.append(_text(entry[1]))
                continue
            m = _LIST.match(entry or b"")
            if m:
                name = _text(m.group("name"))
                if name.startswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                names.append(decode_mailbox(name))
        return names

    def pop_new(self) -> bool:
        """Whether the server announced new mail (EXISTS / non-zero RECENT) since last asked."""
        _c, exists = self.conn.response("EXISTS")
        _c, recent = self.conn.response("RECENT")
        return any(e is not None for e in exists) or any(r not in (None, b"0") for r in recent)

    def close(self) -> None:
        try:
            self.conn.logout()
        except (imaplib2.IMAP4.error, OSError) as exc:
            log.debug("%s: logout: %s", self.where, exc)


class ImapConnector:
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

    # -- watching for new mail -------------------------------------------------------------

    def watch(self, on_new: Callable[[], None], stop: threading.Event) -> None:
        """Call `on_new()` whenever a configured folder gets mail; returns soon after `stop`
        is set. One connection per folder; drops are retried with back-off, and `on_new()` is
        also called after a reconnect, since mail may have come in the meantime."""
        folders = self.config.folders
        if len(folders) == 1:
            self._watch_folder(folders[0], on_new, stop)
            return
        threads = [
            threading.Thread(target=self._watch_folder, args=(folder, on_new, stop),
                             name=f"imap-watch {self.name} {folder}", daemon=True)
            for folder in folders
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _notify(self, on_new: Callable[[], None]) -> None:
        try:
            on_new()
        except Exception:  # noqa: BLE001 - the caller's failure must not stop the watcher
            log.exception("%s: new-mail callback failed", self.name)

    def _watch_folder(self, folder: str, on_new: Callable[[], None],
                      stop: threading.Event) -> None:
        delays: Iterator[float] | None = None
        connected_before = False
        while not stop.is_set():
            session = None
            try:
                session = self._open()
                session.select(folder, readonly=True)
                delays = None
                if connected_before:
                    self._notify(on_new)
                connected_before = True
                if self.config.idle and "IDLE" in session.capabilities:
                    log.info("%s: watching %s on %s (IDLE)", self.name, folder, self.where)
                    self._idle(session, on_new, stop)
                else:
                    log.info("%s: watching %s on %s (polling every %g s)", self.name, folder,
                             self.where, self.timing.poll_seconds)
                    self._poll(session, on_new, stop)
            except SourceError as exc:
                log.warning("%s: watching %s: %s", self.name, folder, exc)
            finally:
                if session is not None:
                    session.close()
            if stop.is_set():
                break
            delays = delays or backoff_delays(self.timing)
            wait = next(delays)
            log.info("%s: reconnecting to %s in %.1f s", self.name, self.where, wait)
            stop.wait(wait)

    def _idle(self, session: _Session, on_new: Callable[[], None],
              stop: threading.Event) -> None:
        while not stop.is_set():
            ended = threading.Event()
            outcome: list[Any] = []

            def done(result: Any, outcome: list[Any] = outcome,
                     ended: threading.Event = ended) -> None:
                outcome.append(result)
                ended.set()

            try:  # returns once the server says it is idling; `done` is called when it ends
                session.conn.idle(timeout=self.timing.reidle_seconds, callback=done)
            except (imaplib2.IMAP4.error, OSError) as exc:
                raise SourceError(f"{self.where}: IDLE failed: {_text(exc)}") from exc
            while not ended.wait(self.timing.stop_check_seconds):
                if stop.is_set():
                    return  # logging out ends the IDLE
            response, _arg, error = outcome[0]
            if error is not None:
                raise SourceError(f"{self.where}: connection lost while idling: "
                                  f"{_text(error[1])}")
            if not response or response[0] != "OK":
                raise SourceError(f"{self.where}: IDLE refused: {response!r}")
            if session.pop_new():
                self._notify(on_new)

    def _poll(self, session: _Session, on_new: Callable[[], None],
              stop: threading.Event) -> None:
        while not stop.wait(self.timing.poll_seconds):
            session.run("NOOP", session.conn.noop)
            if session.pop_new():
                self._notify(on_new)
