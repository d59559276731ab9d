"""Parsing in worker processes, so a large backlog uses every core while the main process
fetches and stores.

A job is a picklable call, a module-level function with its arguments, that a connector
builds with `parse_job`; outcomes come back in job order. A job that crashes its worker or
runs past the time limit becomes a ParseFailure with that reason, so its item is
quarantined with its raw bytes like any other unparseable item; it never takes another item
with it. The workers start with the first batch that needs them and stop with `close()`.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from multiprocessing.connection import Connection, wait
from operator import attrgetter
from pathlib import Path
from typing import Any

from ingest.base import BadRecord, Connector, ParsedMessage, RawItem

log = logging.getLogger(__name__)

ParseJob = Callable[[], ParsedMessage]
_WORKER = Path(__file__).resolve().parent / "parse_worker.py"
_READY = b"ready"
# Below this many items a batch is parsed in the calling process: the IDLE path (one new
# message) must not wait for processes to start, and a small batch gains nothing from them.
PARALLEL_MIN_ITEMS = 16
# Longer than any real message takes (tens of milliseconds for a large one); a parse past it
# is a parser stuck on that input.
PARSE_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class ParseFailure:
    """Why a job gave no message (the quarantine reason), and a traceback for the log."""

    reason: str
    detail: str = ""


Outcome = ParsedMessage | ParseFailure


def run_job(job: ParseJob) -> Outcome:
    """One job, with its failure as a value rather than an exception."""
    try:
        return job()
    except BadRecord as exc:
        return ParseFailure(str(exc))
    except Exception as exc:  # noqa: BLE001 - a parser bug must cost one item, not the batch
        return ParseFailure(f"parser failed: {type(exc).__name__}: {exc}",
                            traceback.format_exc(limit=3))


# A message goes back as the tuple of its fields: pickling a dataclass instance costs about
# six times as much as pickling the same values in a tuple.
_MESSAGE_FIELDS = attrgetter(*(f.name for f in fields(ParsedMessage)))


def _compact(outcome: Outcome) -> Outcome | tuple[Any, ...]:
    if type(outcome) is not ParsedMessage:
        return outcome
    return _MESSAGE_FIELDS(outcome)


def _expand(sent: Outcome | tuple[Any, ...]) -> Outcome:
    if isinstance(sent, tuple):
        values: tuple[Any, ...] = sent
        return ParsedMessage(*values)
    return sent


def serve(jobs: Connection, results: Connection) -> None:
    """The worker's loop: a pickled list of jobs in, the pickled list of outcomes out."""
    results.send_bytes(_READY)
    while True:
        try:
            frame = jobs.recv_bytes()
        except EOFError:  # the pool closed its end: done
            return
        outcomes = [run_job(job) for job in pickle.loads(frame)]  # noqa: S301 - our own pipe
        try:
            reply = pickle.dumps([_compact(o) for o in outcomes],
                                 protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result fails alone
            reply = pickle.dumps([_sendable(o, exc) for o in outcomes])
        results.send_bytes(reply)


def _sendable(outcome: Outcome, error: Exception) -> Outcome:
    try:
        pickle.dumps(outcome)
    except Exception:  # noqa: BLE001
        return ParseFailure(f"parser result cannot be sent back: {type(error).__name__}: "
                            f"{error}")
    return outcome


class PoolUnavailable(Exception):
    """Worker processes cannot be started here; the caller parses in its own process."""


@dataclass
class _Task:
    indexes: list[int]
    deadline: float = 0.0


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    jobs: Connection
    results: Connection
    started: float
    ready: bool = False
    task: _Task | None = None
    extra: list[int] = field(default_factory=list)


class ParsePool:
    """Up to `workers` processes parsing jobs in chunks of up to `chunk`."""

    def __init__(self, workers: int, timeout_seconds: float | None = None, chunk: int = 32,
                 start_timeout_seconds: float = 30.0) -> None:
        self.size = workers
        self.timeout = PARSE_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
        self.chunk = chunk
        self.start_timeout = start_timeout_seconds
        self._workers: list[_Worker] = []
        self._failed_starts = 0

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- workers ---------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        try:
            # -P: the script's folder (ingest/) must not shadow the standard library (html).
            process = subprocess.Popen(
                [sys.executable, "-P", str(_WORKER), str(jobs_read), str(results_write)],
                pass_fds=(jobs_read, results_write), stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            for fd in (jobs_read, jobs_write, results_read, results_write):
                os.close(fd)
            raise PoolUnavailable(f"cannot start a parse worker: {exc}") from exc
        os.close(jobs_read)
        os.close(results_write)
        return _Worker(process, Connection(jobs_write, readable=False),
                       Connection(results_read, writable=False), time.monotonic())

    def _retire(self, worker: _Worker, kill: bool) -> int | None:
        self._workers.remove(worker)
        worker.jobs.close()
        if kill:
            worker.process.kill()
        try:
            code = worker.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            code = worker.process.wait()
        worker.results.close()
        return code

    def close(self) -> None:
        """Stop every worker: closing its job pipe ends its loop."""
        for worker in list(self._workers):
            self._retire(worker, kill=worker.task is not None)

    # -- running jobs ----------------------------------------------------------------------

    def run(self, jobs: Sequence[ParseJob]) -> list[Outcome]:
        """Every job's outcome, in order. Raises PoolUnavailable when workers cannot start."""
        outcomes: list[Outcome | None] = [None] * len(jobs)
        chunk = max(1, min(self.chunk, -(-len(jobs) // (self.size * 4))))
        queue = deque(_Task(list(range(i, min(i + chunk, len(jobs)))))
                      for i in range(0, len(jobs), chunk))
        while queue or any(w.task for w in self._workers):
            while len(self._workers) < min(self.size, len(queue) + self._busy()):
                self._workers.append(self._spawn())
            for worker in list(self._workers):
                if worker.ready and worker.task is None and queue:
                    self._send(worker, queue.popleft(), jobs, outcomes, queue)
            self._collect(jobs, outcomes, queue)
        return [o if o is not None else ParseFailure("no outcome") for o in outcomes]

    def _busy(self) -> int:
        return sum(1 for w in self._workers if w.task is not None)

    def _send(self, worker: _Worker, task: _Task, jobs: Sequence[ParseJob],
              outcomes: list[Outcome | None], queue: deque[_Task]) -> None:
        try:
            frame = pickle.dumps([jobs[i] for i in task.indexes],
                                 protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a job that cannot travel is parsed here
            for i in task.indexes:
                outcomes[i] = run_job(jobs[i])
            return
        try:
            worker.jobs.send_bytes(frame)
        except OSError:  # it died while idle: nothing of this task is to blame
            self._retire(worker, kill=True)
            queue.appendleft(task)
            return
        task.deadline = time.monotonic() + self.timeout
        worker.task = task

    def _collect(self, jobs: Sequence[ParseJob], outcomes: list[Outcome | None],
                 queue: deque[_Task]) -> None:
        deadlines = [w.task.deadline if w.ready and w.task else w.started + self.start_timeout
                     for w in self._workers if w.task is not None or not w.ready]
        if not deadlines:
            return
        ready = wait([w.results for w in self._workers],
                     max(0.0, min(deadlines) - time.monotonic()))
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.results in ready:
                try:
                    frame = worker.results.recv_bytes()
                except (EOFError, OSError):
                    self._lost(worker, queue, outcomes, timed_out=False)
                    continue
                if frame == _READY:
                    worker.ready = True
                    continue
                task, worker.task = worker.task, None
                assert task is not None
                for i, sent in zip(task.indexes, pickle.loads(frame), strict=True):  # noqa: S301
                    outcomes[i] = _expand(sent)
            elif (worker.task and worker.ready and now >= worker.task.deadline) or (
                not worker.ready and now >= worker.started + self.start_timeout
            ):
                self._lost(worker, queue, outcomes, timed_out=True)

    def _lost(self, worker: _Worker, queue: deque[_Task], outcomes: list[Outcome | None],
              timed_out: bool) -> None:
        """A worker died or overran: its chunk is retried one job at a time, so only a job
        that fails alone is blamed."""
        task, ready = worker.task, worker.ready
        code = self._retire(worker, kill=True)
        if not ready:
            self._failed_starts += 1
            if task is not None:
                queue.appendleft(task)
            if self._failed_starts >= 3:
                raise PoolUnavailable(f"parse workers do not start (last exit code {code})")
            return
        if task is None:
            return
        if len(task.indexes) > 1:
            queue.extendleft(_Task([i]) for i in reversed(task.indexes))
            return
        if timed_out:
            reason = (f"parsing took longer than {self.timeout:g} s; the parser's worker "
                      "process was stopped")
        else:
            reason = f"the parser's worker process died ({_exit_text(code)})"
        log.error("parse worker lost while parsing one item: %s", reason)
        outcomes[task.indexes[0]] = ParseFailure(reason)


def _exit_text(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


def parse_or_reason(connector: Connector, item: RawItem, data: bytes) -> ParsedMessage | str:
    """The parsed message, or why it cannot be one (the quarantine reason)."""
    outcome = run_job(lambda: connector.parse(item, data))
    return _logged(connector, item, outcome)


def _logged(connector: Connector, item: RawItem, outcome: Outcome) -> ParsedMessage | str:
    if not isinstance(outcome, ParseFailure):
        return outcome
    if outcome.detail:
        log.error("quarantined %s item %s: %s\n%s", connector.name, item.ref, outcome.reason,
                  outcome.detail)
    else:
        log.warning("quarantined %s item %s: %s", connector.name, item.ref, outcome.reason)
    return outcome.reason


# Parsing and storing a batch allocate many short-lived objects, some in reference cycles
# (each email parser and its generator). With the collector's default first-generation
# threshold (700 allocations) it runs thousands of times a batch, each time scanning the
# young objects that are still alive; 10,000 lets most of them die first. Parsing a bench
# message took 10-20% less CPU; memory stays within a few MB, as the cycles are still
# collected, only less often.
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """For a parse worker: the larger young-generation threshold, and the objects made by
    the imports moved out of the collector's sight for good (`gc.freeze`)."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


class _ReadAheadTuning:
    """Two settings of the process, changed while any ingest reads ahead and restored when
    the last one finishes.

    The thread switch interval, shortened: the thread storing a batch (busy in Python)
    shares the GIL with the connector's fetch threads and the thread feeding the parse
    workers, which each need it only briefly but often (every read from the server, every
    chunk of jobs). A thread that wants the GIL waits up to the interval (5 ms by default)
    for a busy one to let go, so the fetch and the workers starved: ingesting 10,000
    messages took ~12 s with 5 ms and ~8 s with 0.5 ms on the IMAP bench.

    The collector's young-generation threshold, raised to GC_YOUNG_THRESHOLD (storing a
    batch: ~5-10% less CPU)."""

    SECONDS = 0.0005

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = 0.0
        self._saved_gc = (0, 0, 0)

    @contextmanager
    def applied(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, self.SECONDS))
                self._saved_gc = gc.get_threshold()
                young, *older = self._saved_gc
                gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    sys.setswitchinterval(self._saved)
                    gc.set_threshold(*self._saved_gc)


read_ahead_tuning = _ReadAheadTuning()


def default_workers() -> int:
    """One worker per core the process may use; none on a single core, where they would
    only add the cost of sending messages back and forth."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


class BatchParser:
    """Parses a batch's items: in worker processes when the batch is large and the connector
    offers `parse_job(item, data)` (a picklable call), otherwise here with `parse`."""

    def __init__(self, connector: Connector, workers: int | None = None) -> None:
        self.connector = connector
        self._offload: Callable[[RawItem, bytes], ParseJob] | None = getattr(
            connector, "parse_job", None)
        self.workers = default_workers() if workers is None else workers
        self._pool: ParsePool | None = None

    def __enter__(self) -> BatchParser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def offloads(self, count: int) -> bool:
        """Whether a batch of `count` items would be parsed in worker processes."""
        return self._offload is not None and self.workers > 0 and count >= PARALLEL_MIN_ITEMS

    def parse(self, items: Sequence[tuple[RawItem, bytes]]) -> list[ParsedMessage | str]:
        """Each item's message or quarantine reason, in order."""
        offload = self._offload
        if offload is not None and self.offloads(len(items)):
            try:
                return self._in_workers(offload, items)
            except PoolUnavailable as exc:
                log.warning("%s: parsing in this process from now on: %s", self.connector.name,
                            exc)
                self.close()
                self.workers = 0
        return [parse_or_reason(self.connector, item, data) for item, data in items]

    def _in_workers(self, offload: Callable[[RawItem, bytes], ParseJob],
                    items: Sequence[tuple[RawItem, bytes]]) -> list[ParsedMessage | str]:
        # Checks the connector makes before parsing (e.g. an IMAP FETCH the server refused)
        # run here; a job is only the parse itself.
        prepared: list[ParseJob | ParseFailure] = []
        for item, data in items:
            try:
                prepared.append(offload(item, data))
            except BadRecord as exc:
                prepared.append(ParseFailure(str(exc)))
            except Exception as exc:  # noqa: BLE001 - as in run_job
                prepared.append(ParseFailure(f"parser failed: {type(exc).__name__}: {exc}",
                                             traceback.format_exc(limit=3)))
        jobs = [p for p in prepared if not isinstance(p, ParseFailure)]
        if self._pool is None:
            self._pool = ParsePool(self.workers)
        outcomes = iter(self._pool.run(jobs))
        return [
            _logged(self.connector, item, p if isinstance(p, ParseFailure) else next(outcomes))
            for (item, _data), p in zip(items, prepared, strict=True)
        ]
