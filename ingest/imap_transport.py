"""imaplib2 with our transport: verified TLS, one lock per SSL object, and literals handed
from the reader thread to the handler thread whole rather than line by line.
"""

from __future__ import annotations

import logging
import re
import select
import socket
import ssl
import threading
import time
from typing import Any

import imaplib2

log = logging.getLogger("ingest.imap")



class _Transport:
    """Overrides of imaplib2's transport, for IMAPS (`open`) and STARTTLS (`starttls`) alike.

    - imaplib2 wraps sockets with its own SSLContext, which checks no certificate unless
      given `ca_certs` and never the host name, and connects without a timeout: we put our
      context and timeout in.
    - imaplib2 reads in one thread and writes in another on the same SSL object. OpenSSL
      does not allow that, and with TLS 1.3 it shows: a read that meets only the session
      tickets sent after the handshake can swallow the reply to the command written
      meanwhile (about one STARTTLS in ten hung on CAPABILITY). So once TLS is up, the
      socket is non-blocking and every SSL read or write holds one lock; waiting for the
      socket happens outside it.
    """

    host: str
    port: int
    sock: Any
    read_fd: int
    read_poll_timeout: float
    commands_lock: threading.Lock
    untagged_responses: list[list[Any]]
    # imaplib2's own, used by the reader below.
    identifier: str
    inq: Any
    state: str
    read_size: int
    Terminate: bool
    TerminateReader: bool
    abort: type[Exception]
    untagged_response_cre: re.Pattern[bytes]
    untagged_status_cre: re.Pattern[bytes]
    literal_cre: re.Pattern[bytes]

    def __init__(self, host: str, port: int, *, context: ssl.SSLContext | None,
                 timeout: float) -> None:
        self._context = context
        self._connect_timeout = timeout
        self._tls_lock: threading.Lock | None = None
        super().__init__(host=host, port=port, timeout=timeout)  # type: ignore[call-arg]

    def _mesg(self, text: str, thread: str | None = None, secs: float | None = None) -> None:
        # imaplib2 prints diagnostics to stderr (a header line on every socket error, even
        # with debugging off); they belong in our debug log.
        log.debug("imaplib2 %s: %s", thread or "", text)

    def open_socket(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=self._connect_timeout)

    def ssl_wrap_socket(self) -> None:
        if self._context is None:
            raise ssl.SSLError("TLS was not configured for this connection")
        try:
            self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)
        except BaseException:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self._tls_lock = threading.Lock()
        self.read_fd = self.sock.fileno()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def read(self, size: int) -> bytes:
        if self._tls_lock is None:
            return super().read(size)  # type: ignore[misc,no-any-return]
        while True:
            with self._tls_lock:
                try:
                    data: bytes = self.sock.recv(size)
                    while self.sock.pending():  # decrypted bytes poll() cannot see
                        data += self.sock.recv(self.sock.pending())
                    return data
                except ssl.SSLWantReadError:
                    pass  # only TLS records that carry no data (e.g. session tickets)
            select.select([self.sock], [], [], self.read_poll_timeout)

    def send(self, data: bytes) -> None:
        if self._tls_lock is None:
            super().send(data)  # type: ignore[misc]
            return
        view = memoryview(data)
        while view:
            with self._tls_lock:
                try:
                    view = view[self.sock.send(view):]
                    continue
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    pass
            select.select([], [self.sock], [], self.read_poll_timeout)

    # -- reading ---------------------------------------------------------------------------

    def _reader(self) -> None:
        """imaplib2's reader loop, except that a literal (a message in a FETCH response) goes
        to the handler thread in the pieces it arrives in. imaplib2 cuts everything into
        lines and queues each: a 10 KB message is ~150 hand-offs between threads, which made
        fetching cost as much CPU as parsing. The handler accepts a literal in any pieces;
        which lines announce one is decided here exactly as the handler decides it."""
        if not hasattr(select, "poll"):
            super()._reader()  # type: ignore[misc]
            return
        threading.current_thread().name = self.identifier + "reader"
        poller = select.poll()
        poller.register(self.read_fd, select.POLLIN)
        put = self.inq.put
        partial = b""  # the start of a line whose end has not arrived
        literal = 0  # bytes of the current literal still to come
        continues = False  # the next line is the rest of a response that held a literal
        empty_reads = 0
        try:
            while not self.Terminate:
                wait = 10.0 if self.state == "LOGOUT" else self.read_poll_timeout
                ready = poller.poll(wait * 1000)
                if not ready:
                    continue
                state = ready[0][1]
                if state & select.POLLIN:
                    data = self.read(self.read_size)
                    if not data:
                        empty_reads += 1
                        if empty_reads > 5:
                            raise OSError("Too many read 0")
                        time.sleep(0.1)
                        continue
                    empty_reads = 0
                    start, end = 0, len(data)
                    while start < end:
                        if literal:
                            piece = data[start:start + literal]
                            put(piece)
                            literal -= len(piece)
                            start += len(piece)
                            continue
                        stop = data.find(b"\n", start) + 1
                        if not stop:
                            partial += data[start:]
                            break
                        line, partial, start = partial + data[start:stop], b"", stop
                        put(line)
                        size = self._literal_size(line, continues)
                        continues = size is not None
                        literal = size or 0
                        if self.TerminateReader:  # STARTTLS: the rest is the TLS handshake
                            return
                if state & ~select.POLLIN:
                    raise OSError(f"poll: {state:#x}")
        except Exception as exc:  # noqa: BLE001 - any failure ends the connection, as upstream
            put((self.abort, f"socket error: {type(exc).__name__} - {exc}"))
        finally:
            poller.unregister(self.read_fd)

    def _append_untagged(self, typ: str, dat: Any) -> None:
        """imaplib2's, without its debug line: that formats the repr of every message body
        (`%.80r` truncates only after the whole repr is built), ~40 µs a message."""
        if dat is None:
            dat = b""
        with self.commands_lock:
            last = self.untagged_responses[-1] if self.untagged_responses else None
            if last is not None and last[0] == typ:
                last[1].append(dat)
            else:
                self.untagged_responses.append([typ, [dat]])

    def _get_untagged_response(self, name: str, leave: bool = False) -> Any:
        """imaplib2's, without its debug line: after a FETCH that formatted the repr of all
        the batch's responses, bodies included (megabytes), to keep 80 characters of it."""
        with self.commands_lock:
            for i, (typ, dat) in enumerate(self.untagged_responses):
                if typ == name:
                    if not leave:
                        del self.untagged_responses[i]
                    return dat
        return None

    def _untagged_response(self, typ: str, dat: Any, name: str) -> tuple[str, Any]:
        """imaplib2's, without its debug line (the same repr of the whole batch)."""
        if typ == "NO":
            return typ, dat
        data = self._get_untagged_response(name)
        if not data:
            return typ, [None]
        while True:
            dat = self._get_untagged_response(name)
            if not dat:
                break
            data += dat
        return typ, data

    def _literal_size(self, line: bytes, continues: bool) -> int | None:
        """N if `line` announces an N-byte literal ({N} at its end), as imaplib2's handler
        reads it: on an untagged response, or on the rest of one after a literal."""
        if not line.endswith(b"}\r\n"):
            return None
        resp = line[:-2]
        if not continues and not (
            self.untagged_response_cre.match(resp) or self.untagged_status_cre.match(resp)
        ):
            return None
        found = self.literal_cre.match(resp)
        return int(found.group("size")) if found else None


class ImapClient(_Transport, imaplib2.IMAP4):  # type: ignore[misc]
    """IMAP on a plain socket (loopback), or upgraded with STARTTLS."""


class ImapsClient(_Transport, imaplib2.IMAP4_SSL):  # type: ignore[misc]
    """IMAP over TLS from the first byte (IMAPS)."""
