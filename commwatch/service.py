"""The service: every stage as a job, run once in flow order or on the scheduler.

Each run of a job is recorded in `job_runs` (start, end, outcome, counts), so `status` and
operators can see what happened without reading logs.
"""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from commwatch.collector import collection_deferred
from commwatch.config import Config
from commwatch.store import JobRun, create_store_engine, ensure_schema, session_scope, utcnow
from ingest import (
    Directions,
    SourceError,
    build_connector,
    load_ar,
    run_source,
)
from monitor import Finding, record_findings, run_rules
from monitor.acknowledge import queue_followups, unacknowledged_invoice
from monitor.calendar import BusinessCalendar
from monitor.contact_pause import ContactPauseRuleConfig, pause_followups
from monitor.credit_proposals import record_proposals
from monitor.credit_rules import CREDIT_RULES, evaluate_credit_rules
from monitor.credit_view import take_snapshots
from monitor.promises import credit_fingerprint, ledger_fingerprint, update_ledger
from monitor.view import MonitorContext, StoreView
from nlp.jobs import tag_pending
from nlp.pipeline import Tagger, default_tagger
from notifier import Channel, Outbox, Router, build_channel, queue_digests, queue_reminders
from notifier.config import EmailChannelConfig

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Job:
    """One stage's work. When a run's `wakes_on` count is non-zero, the `wakes` jobs run next
    at once instead of waiting for their interval, so new mail becomes an alert in seconds."""

    name: str
    stage: str
    interval: float
    run: Callable[[], dict[str, Any]]
    wakes: tuple[str, ...] = ()
    wakes_on: str = ""


SOURCE_HEALTH_RULE = "source_failing"
MAX_PASSES = 20


class Service:
    """Wires the stages of one config to one store."""

    def __init__(self, config: Config, clock: Clock = utcnow, engine: Engine | None = None):
        self.config = config
        self.clock = clock
        self.engine = engine or create_store_engine(
            config.database_url(), echo=config.database.echo
        )
        self.channels: dict[str, Channel] = {
            name: build_channel(name, cfg) for name, cfg in config.channels.items() if cfg.enabled
        }
        self.router = Router(config.channels, config.notify, config.calendar.timezone)
        self.outbox = Outbox(self.engine, self.channels, config.notify)
        self.directions = Directions(
            list(config.organisation.own_domains), list(config.organisation.team_addresses)
        )
        self.context = MonitorContext(
            BusinessCalendar(config.calendar), dict(config.team.managers)
        )
        self._ledger_fingerprint: tuple[Any, ...] | None = None
        self._credit_fingerprint: tuple[Any, ...] | None = None
        self._tagger: Tagger | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._pending: dict[str, threading.Event] = {}

    @property
    def tagger(self) -> Tagger:
        if self._tagger is None:
            self._tagger = default_tagger(tuple(self.config.nlp.extra_lexicons))
        return self._tagger

    def prepare(self) -> str:
        """Create the schema on an empty database; refuse one at another revision."""
        return ensure_schema(self.engine)

    # The jobs, in flow order.

    def _load_customers(self) -> dict[str, Any]:
        master = self.config.customers
        assert master is not None
        with session_scope(self.engine) as session:
            return load_ar(session, master)

    def _ingest(self, name: str) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            connector = build_connector(name, self.config.sources[name])
            try:
                counts = run_source(self.engine, connector, self.directions).as_counts()
            except SourceError as exc:
                self._source_health(name, str(exc))
                raise
            self._source_health(name, None)
            return counts

        return run

    def _source_health(self, name: str, problem: str | None) -> None:
        """An ops alert while a source cannot be read; resolved by its next good run."""
        findings = []
        if problem is not None:
            findings.append(
                Finding(
                    rule=f"{SOURCE_HEALTH_RULE}:{name}",
                    subject=f"source:{name}",
                    severity="high",
                    title=f"Source {name} cannot be read",
                    summary=f"{problem}. Messages from it are not being ingested; "
                    f"`commwatch sources test {name}` shows what fails.",
                    details={"source": name, "problem": problem},
                )
            )
        with session_scope(self.engine) as session:
            record_findings(
                session, f"{SOURCE_HEALTH_RULE}:{name}", findings, self.router, self.clock()
            )

    def _tag(self) -> dict[str, Any]:
        return tag_pending(self.engine, self.tagger, self.config.nlp.batch_size)

    @collection_deferred()
    def _monitor(self) -> dict[str, Any]:
        now = self.clock()
        ledger: dict[str, Any] = {}
        with session_scope(self.engine) as session:
            # The ledger changes only with new signals, promises or payments, or a new day.
            fingerprint = ledger_fingerprint(session, now.date())
            if fingerprint != self._ledger_fingerprint:
                ledger = update_ledger(session, now, self.config.promises.grace_days)
                session.flush()
                self._ledger_fingerprint = ledger_fingerprint(session, now.date())
        plain = {n: c for n, c in self.config.rules.items() if c.type not in CREDIT_RULES}
        found: dict[str, list[Finding]] = {}
        results = run_rules(self.engine, plain, self.router, now, self.context, found)
        results.update(self._credit(now))
        followups = self._followups(now, found)
        totals: dict[str, Any] = {f"promises_{k}": v for k, v in ledger.items()}
        totals.update({f"followups_{k}": v for k, v in followups.items()})
        for counts in results.values():
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
        return totals

    def _credit(self, now: datetime) -> dict[str, dict[str, int]]:
        """Credit snapshots and the credit rules (proposals), computed together once per
        change of what they read: payments, invoices, signals, promises, or the day."""
        credit = {n: c for n, c in self.config.rules.items()
                  if c.type in CREDIT_RULES and c.enabled}
        with session_scope(self.engine) as session:
            fingerprint = (credit_fingerprint(session, now.date()), tuple(credit))
            if fingerprint == self._credit_fingerprint:
                return {}
            take_snapshots(session, now.date(), now=now)
        results: dict[str, dict[str, int]] = {}
        with session_scope(self.engine) as session:
            view = StoreView(session, self.context)
            for name, findings in evaluate_credit_rules(view, credit, now).items():
                results[name] = record_findings(session, name, findings, self.router, now)
                record_proposals(session, name, findings, now)
        with session_scope(self.engine) as session:  # proposals recorded just now included
            self._credit_fingerprint = (credit_fingerprint(session, now.date()), tuple(credit))
        return results

    def _followups(
        self, now: datetime, found: dict[str, list[Finding]] | None = None
    ) -> dict[str, int]:
        """Queue follow-ups for unacknowledged invoices, then pause those to customers who
        asked not to be contacted, in one transaction so none is committed unpaused."""
        rules = {n: c for n, c in self.config.rules.items() if c.enabled}
        chasers = {n: c for n, c in rules.items() if c.type == "unacknowledged_invoice"}
        pauses = [c for c in rules.values() if c.type == "contact_pause"]
        totals: dict[str, int] = {}
        with session_scope(self.engine) as session:
            view = StoreView(session, self.context)
            counts: list[dict[str, int]] = []
            for name, rule in chasers.items():
                # The rule ran a moment ago in this sweep: reuse what it found.
                findings = (found or {}).get(name)
                if findings is None:
                    findings = unacknowledged_invoice(name, rule, view, now)
                counts.append(queue_followups(session, findings, rule, now))
            # Pausing also runs without a contact_pause rule: a drafted chase must never go
            # to someone who asked us to stop.
            for pause in pauses or [ContactPauseRuleConfig(type="contact_pause")]:
                counts.append(pause_followups(session, now, pause))
            for c in counts:
                for key, value in c.items():
                    totals[key] = totals.get(key, 0) + value
        return totals

    def _notify(self) -> dict[str, Any]:
        now = self.clock()
        digest = self.config.notify.digest
        queued = 0
        if digest.enabled:
            digest_via = self.config.channels[digest.channel]
            fallback = [str(a) for a in digest_via.fallback] if isinstance(
                digest_via, EmailChannelConfig) else []
            with session_scope(self.engine) as session:
                queued = queue_digests(session, now, self.config.notify, fallback,
                                       self.config.calendar.timezone)
        reminded = 0
        if self.config.notify.reminders.after_hours:
            with session_scope(self.engine) as session:
                reminded = queue_reminders(session, self.router, now)
        try:
            counts = self.outbox.deliver(now)
        finally:
            for channel in self.channels.values():
                close = getattr(channel, "close", None)
                if close is not None:
                    close()
        return {**counts, "digests_queued": queued, "reminders_queued": reminded}

    def jobs(self) -> list[Job]:
        sched = self.config.scheduler
        jobs: list[Job] = []
        if self.config.customers is not None:
            jobs.append(Job("customers", "ingest", sched.ingest_seconds, self._load_customers))
        for name, source in self.config.sources.items():
            if source.enabled:
                jobs.append(Job(f"ingest:{name}", "ingest", sched.ingest_seconds,
                                self._ingest(name), ("tag",), "stored"))
        jobs.append(Job("tag", "nlp", sched.tag_seconds, self._tag, ("monitor",), "tagged"))
        jobs.append(Job("monitor", "monitor", sched.monitor_seconds, self._monitor,
                        ("notify",), "queued"))
        jobs.append(Job("notify", "notifier", sched.notify_seconds, self._notify))
        return jobs

    def wake(self, name: str) -> None:
        """Run a job as soon as possible; a wake-up while it runs gives it one more pass."""
        self._pending.setdefault(name, threading.Event()).set()
        scheduler = self._scheduler
        if scheduler is not None and scheduler.running:
            try:
                scheduler.modify_job(name, next_run_time=utcnow())
            except JobLookupError:
                log.debug("wake-up for unknown job %s ignored", name)

    def _run_scheduled(self, job: Job) -> None:
        pending = self._pending.setdefault(job.name, threading.Event())
        for _ in range(MAX_PASSES):
            pending.clear()
            run = self.run_job(job)
            if run.outcome == "ok" and job.wakes and run.counts.get(job.wakes_on):
                for name in job.wakes:
                    self.wake(name)
            if not pending.is_set():
                return

    def run_job(self, job: Job) -> JobRun:
        """Run one job and record the run; a failing job is recorded, never re-raised."""
        run = JobRun(job=job.name, started_at=utcnow(), outcome="running")
        with session_scope(self.engine) as session:
            session.add(run)
        try:
            counts = job.run()
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            run.outcome = "error"
            run.error = f"{type(exc).__name__}: {exc}"
            log.error("job %s failed: %s\n%s", job.name, run.error, traceback.format_exc())
        else:
            run.outcome = "ok"
            run.counts = counts
        run.finished_at = utcnow()
        with session_scope(self.engine) as session:
            session.add(run)
        return run

    def run_once(self) -> list[JobRun]:
        return [self.run_job(job) for job in self.jobs()]

    def _start_watchers(self, stop: threading.Event) -> list[threading.Thread]:
        """Push sources (IMAP IDLE) wake their ingest job when mail arrives."""
        threads = []
        for name, source in self.config.sources.items():
            if not (source.enabled and getattr(source, "idle", False)):
                continue
            connector = build_connector(name, source)
            watch = getattr(connector, "watch", None)
            if watch is None:
                continue
            thread = threading.Thread(
                target=watch,
                args=(lambda name=name: self.wake(f"ingest:{name}"), stop),
                name=f"watch:{name}",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        return threads

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Run every job on its interval until SIGINT/SIGTERM (or `stop` is set)."""
        stop = stop or threading.Event()
        sched = self.config.scheduler
        scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": sched.misfire_grace_seconds,
            },
        )
        self._scheduler = scheduler
        start = utcnow()
        for job in self.jobs():
            scheduler.add_job(
                self._run_scheduled,
                "interval",
                seconds=job.interval,
                args=[job],
                id=job.name,
                name=job.name,
                next_run_time=start,
            )

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.warning("received %s, stopping after running jobs finish",
                        signal.Signals(signum).name)
            stop.set()

        previous = {
            sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)
        } if threading.current_thread() is threading.main_thread() else {}
        scheduler.start()
        watchers = self._start_watchers(stop)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            for watcher in watchers:
                watcher.join(timeout=10)
            scheduler.shutdown(wait=True)
            self._scheduler = None
            self.engine.dispose()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
