"""Watching an IMAP folder for new mail (IDLE, or NOOP polling) across reconnects, with
capped, jittered back-off: the watch half of ImapConnector.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import imaplib2

from ingest.base import SourceError
from ingest.imap_config import ImapSourceConfig
from ingest.imap_protocol import _Session, _text

log = logging.getLogger("ingest.imap")  # the connector's logger, as in imap_transport


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


class ImapWatch:
    """ImapConnector's `watch` and its loops, mixed into ImapConnector."""

    name: str
    config: ImapSourceConfig
    timing: WatchTiming
    where: str
    _open: Callable[[], _Session]

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
            nudged = False
            while not ended.wait(self.timing.stop_check_seconds):
                if stop.is_set():
                    return  # logging out ends the IDLE
                if not nudged and session.has_new():
                    # News the server sent right behind its "+ idling", before imaplib2 took
                    # the IDLE as started, does not end the IDLE: a NOOP does.
                    nudged = True
                    session.run("NOOP", session.conn.noop)
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
