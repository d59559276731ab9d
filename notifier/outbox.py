"""Delivers the outbox: due deliveries are claimed, grouped, sent, and every attempt recorded.

Exactly-once, as far as a channel allows:

- a delivery is *claimed* (status `sending`, with this worker's id and a group key) and
  committed before anything is sent, so two workers never send the same row;
- the result is committed right after each send;
- a claim left behind by a worker that died is recovered: the channel is asked whether the
  notice went out (`confirm`); if it cannot tell, the notice is resent under the same key and
  the delivery is marked `duplicate_risk`, so the possible duplicate is reported, not hidden.

A channel-wide failure (server down, rate limit) blocks the channel until a back-off passes;
its deliveries keep their order and resume from the oldest.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.store import ChannelState, Delivery, DeliveryAttempt, session_scope
from notifier.channels import Channel, DeliveryResult
from notifier.config import NotifyConfig
from notifier.digest import load_digest
from notifier.notice import Notice, NoticeData, load_notice, preload
from notifier.route import release_silenced
from notifier.timing import backoff

HOST = socket.gethostname()


def worker_id() -> str:
    return f"{HOST}:{os.getpid()}:{secrets.token_hex(3)}"


def _claimer_gone(claimed_by: str | None) -> bool:
    """True when the claim was made on this host by a process that no longer runs."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class _Group:
    key: str
    rows: list[Delivery]

    @property
    def first_id(self) -> int:
        return min(r.id or 0 for r in self.rows)


@dataclass
class _Batch:
    """What the notices of one claim show, read once for the claim; and, per topic, the
    channel's reference of the first notice sent on it, which later notices reply to."""

    data: NoticeData
    threads: dict[tuple[str, str], str]

    @classmethod
    def read(cls, session: Session, channel: str, groups: list[_Group]) -> _Batch:
        rows = [r for g in groups for r in g.rows if r.event != "digest"]
        topics = sorted({r.topic for r in rows if r.topic})
        threads: dict[tuple[str, str], str] = {}
        for i in range(0, len(topics), 500):
            for recipient, topic, ref in session.execute(
                select(col(Delivery.recipient), col(Delivery.topic), col(Delivery.external_ref))
                .where(col(Delivery.channel) == channel, col(Delivery.topic).in_(topics[i:i + 500]),
                       col(Delivery.status) == "sent", col(Delivery.external_ref) != "")
                .order_by(col(Delivery.id))
            ):
                threads.setdefault((recipient, topic), ref)
        return cls(preload(session, [r.alert_id for r in rows]), threads)

    def reply_to(self, first: Delivery) -> str:
        return self.threads.get((first.recipient, first.topic), "") if first.topic else ""

    def sent(self, rows: list[Delivery], ref: str) -> None:
        """A notice went out: later notices of the claim on its topic reply to it."""
        for row in rows:
            if row.topic:
                self.threads.setdefault((row.recipient, row.topic), ref)


class Outbox:
    """One delivery worker over one store."""

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        notify: NotifyConfig | None = None,
        worker: str | None = None,
    ) -> None:
        self.engine = engine
        self.channels = channels
        self.notify = notify or NotifyConfig()
        self.worker = worker or worker_id()
        self.give_up = timedelta(hours=self.notify.give_up_after_hours)
        # Channels known to have recorded failures; a success elsewhere writes nothing.
        self._failing: dict[str, bool] = {}

    def deliver(self, now: datetime) -> dict[str, int]:
        counts = {"sent": 0, "retrying": 0, "failed": 0, "grouped": 0, "recovered": 0,
                  "possible_duplicates": 0, "released": 0}
        with session_scope(self.engine) as session:
            released = release_silenced(session, now)
            counts["released"] = released["released"]
        with session_scope(self.engine) as session:
            counts["failed"] += self._unconfigured(session)
        self._recover(now, counts)
        for name, channel in self.channels.items():
            self._drain(name, channel, now, counts)
        return counts

    def _unconfigured(self, session: Session) -> int:
        """A delivery for a channel no longer in the config can never go: say so."""
        names = sorted(self.channels)
        gone = session.scalars(
            select(col(Delivery.channel)).where(col(Delivery.status) == "pending",
                                           col(Delivery.channel).not_in(names)).distinct()
        ).all()
        failed = 0
        for channel in gone:
            result = cast(CursorResult[Any], session.execute(
                update(Delivery)
                .where(col(Delivery.status) == "pending", col(Delivery.channel) == channel)
                .values(status="failed", detail=f"channel {channel!r} is not configured")
            ))
            failed += result.rowcount or 0
        return failed

    # -- recovery ---------------------------------------------------------------------------

    def _recover(self, now: datetime, counts: dict[str, int]) -> None:
        stale_before = now - timedelta(seconds=self.notify.claim_timeout_seconds)
        with session_scope(self.engine) as session:
            rows = list(session.scalars(
                select(Delivery).where(col(Delivery.status) == "sending").order_by(col(Delivery.id))
            ))
            groups: dict[str, list[Delivery]] = {}
            for row in rows:
                stale = (row.claimed_at or now) <= stale_before or _claimer_gone(row.claimed_by)
                if stale and row.claimed_by != self.worker and row.channel in self.channels:
                    groups.setdefault(row.group_key or f"d{row.id}", []).append(row)
            # A worker sends its claimed groups one at a time, oldest first, and records each
            # before the next: of one worker's unrecorded groups on one channel, only the
            # oldest can have been in flight. The others were never tried.
            in_flight: dict[tuple[str | None, str], str] = {}
            oldest_first = sorted(groups.items(), key=lambda kv: min(r.id or 0 for r in kv[1]))
            for key, members in oldest_first:
                in_flight.setdefault((members[0].claimed_by, members[0].channel), key)
            for key, members in groups.items():
                if in_flight.get((members[0].claimed_by, members[0].channel)) != key:
                    for row in members:
                        row.status, row.claimed_by, row.claimed_at = "pending", None, None
                        session.add(row)
                    counts["recovered"] += len(members)
                    continue
                channel = self.channels[members[0].channel]
                notice = self._notice(session, key, members)
                sent = channel.confirm(notice)
                for row in members:
                    row.claimed_by = None
                    row.claimed_at = None
                    if sent is True:
                        row.status, row.sent_at = "sent", now
                        row.detail = "confirmed sent after an interrupted attempt"
                    elif sent is False:
                        row.status = "pending"
                        row.detail = "interrupted before it was sent; sending again"
                    else:
                        row.status = "pending"
                        row.duplicate_risk = True
                        row.detail = ("interrupted mid-send and the channel cannot tell whether "
                                      "it arrived: resent under the same key (a duplicate is "
                                      "possible)")
                        counts["possible_duplicates"] += 1
                    session.add(row)
                counts["recovered"] += len(members)

    # -- sending ----------------------------------------------------------------------------

    def _drain(self, name: str, channel: Channel, now: datetime, counts: dict[str, int]) -> None:
        while True:
            groups = self._claim(name, now)
            if not groups:
                return
            with Session(self.engine) as session:
                batch = _Batch.read(session, name, groups)
            for index, group in enumerate(groups):
                with Session(self.engine) as session:
                    notice = self._notice(session, group.key, group.rows, batch)
                result = _safe_send(channel, notice)
                if result.ok and result.external_ref:
                    batch.sent(group.rows, result.external_ref)
                with session_scope(self.engine) as session:
                    self._record(session, name, group, result, now, counts)
                if not result.ok and result.scope == "channel":
                    with session_scope(self.engine) as session:
                        self._release([r for g in groups[index + 1:] for r in g.rows], session)
                        self._expire(session, name, now, result.detail, counts)
                    return

    def _claim(self, name: str, now: datetime) -> list[_Group]:
        with session_scope(self.engine) as session:
            state = session.scalars(
                select(ChannelState).where(col(ChannelState.channel) == name)
            ).first()
            self._failing[name] = state is not None and state.failures > 0
            if state is not None and state.blocked_until is not None and state.blocked_until > now:
                return []
            rows = list(session.scalars(
                select(Delivery)
                .where(col(Delivery.channel) == name, col(Delivery.status) == "pending",
                       col(Delivery.next_attempt_at) <= now)
                .order_by(col(Delivery.id))
                .limit(self.notify.batch_size)
                .with_for_update(skip_locked=True)
            ))
            if not rows:
                return []
            ids = [r.id for r in rows]
            session.execute(
                update(Delivery)
                .where(col(Delivery.id).in_(ids), col(Delivery.status) == "pending")
                .values(status="sending", claimed_by=self.worker, claimed_at=now)
            )
            session.flush()
            # Only what this worker claimed: on SQLite another process may have been first.
            session.expire_all()
            mine = list(session.scalars(
                select(Delivery).where(col(Delivery.id).in_(ids),
                                       col(Delivery.claimed_by) == self.worker,
                                       col(Delivery.status) == "sending")
                .order_by(col(Delivery.id))
            ))
            groups = _group(mine)
            for group in groups:
                for row in group.rows:
                    if row.group_key != group.key:
                        row.group_key = group.key
                        session.add(row)
            session.flush()
            for row in mine:
                session.expunge(row)
            return groups

    def _notice(self, session: Session, key: str, rows: list[Delivery],
                batch: _Batch | None = None) -> Notice:
        first = min(rows, key=lambda r: r.id or 0)
        if first.event == "digest":
            return load_digest(session, key, first, self.notify.review_url)
        if batch is None:
            batch = _Batch.read(session, first.channel, [_Group(key, rows)])
        kind = "group" if len(rows) > 1 else ("update" if first.event != "new" else "alert")
        return load_notice(
            session, key=key, channel=first.channel, recipient=first.recipient, kind=kind,
            members=[(r.idempotency_key, r.alert_id, r.event) for r in rows],
            review_url=self.notify.review_url, reply_to=batch.reply_to(first),
            data=batch.data,
        )

    def _record(
        self, session: Session, name: str, group: _Group, result: DeliveryResult,
        now: datetime, counts: dict[str, int],
    ) -> None:
        for row in group.rows:
            row.attempts += 1
            row.last_attempt_at = now
            row.claimed_by = None
            row.claimed_at = None
            row.detail = result.detail
            session.add(DeliveryAttempt(
                delivery_id=row.id or 0, number=row.attempts, started_at=now, finished_at=now,
                ok=result.ok, detail=result.detail, retry_after=result.retry_after,
            ))
            if result.ok:
                row.status, row.sent_at = "sent", now
                row.external_ref = result.external_ref
                counts["sent"] += 1
            elif result.scope == "channel":
                row.status = "pending"  # the channel waits; this row keeps its place
            elif result.permanent or row.created_at <= now - self.give_up:
                row.status = "failed"
                row.detail = f"gave up after {row.attempts} attempt(s): {result.detail}"
                counts["failed"] += 1
            else:
                row.status = "pending"
                wait = (timedelta(seconds=result.retry_after) if result.retry_after
                        else backoff(row.attempts))
                row.next_attempt_at = now + wait
                counts["retrying"] += 1
            session.add(row)
        if len(group.rows) > 1 and result.ok:
            counts["grouped"] += len(group.rows)
        self._channel_outcome(session, name, result, now, counts, len(group.rows))

    def _channel_outcome(
        self, session: Session, name: str, result: DeliveryResult, now: datetime,
        counts: dict[str, int], size: int,
    ) -> None:
        if (result.ok or result.scope != "channel") and not self._failing.get(name, True):
            return
        state = session.scalars(
            select(ChannelState).where(col(ChannelState.channel) == name)).first()
        if result.ok or result.scope != "channel":
            self._failing[name] = False
            if state is not None and state.failures:
                state.failures, state.blocked_until, state.updated_at = 0, None, now
                session.add(state)
            return
        self._failing[name] = True
        if state is None:
            state = ChannelState(channel=name, failures=0, last_error="", updated_at=now)
        state.failures += 1
        wait = (timedelta(seconds=result.retry_after) if result.retry_after
                else backoff(state.failures))
        state.blocked_until = now + wait
        state.last_error = result.detail
        state.updated_at = now
        session.add(state)
        counts["retrying"] += size

    def _release(self, rows: list[Delivery], session: Session) -> None:
        ids = [r.id for r in rows]
        if ids:
            session.execute(
                update(Delivery)
                .where(col(Delivery.id).in_(ids), col(Delivery.claimed_by) == self.worker)
                .values(status="pending", claimed_by=None, claimed_at=None)
            )

    def _expire(
        self, session: Session, name: str, now: datetime, reason: str, counts: dict[str, int]
    ) -> None:
        """Deliveries whose give-up time passed while their channel was down fail, visibly."""
        result = cast(CursorResult[Any], session.execute(
            update(Delivery)
            .where(col(Delivery.channel) == name, col(Delivery.status) == "pending",
                   col(Delivery.created_at) <= now - self.give_up)
            .values(status="failed",
                    detail=f"gave up: channel {name} failed until the give-up time; last error: "
                           f"{reason}")
        ))
        counts["failed"] += result.rowcount or 0


def _group(rows: list[Delivery]) -> list[_Group]:
    """First notices to one recipient about one customer go out as one message; updates go
    alone, as replies. A row that already has a group key (a recovered send) keeps it."""
    groups: dict[Any, list[Delivery]] = {}
    keys: dict[Any, str] = {}
    for row in rows:
        if row.group_key:
            bucket: Any = ("kept", row.group_key)
            keys[bucket] = row.group_key
        elif row.event == "new" and row.customer_id is not None:
            bucket = ("customer", row.recipient, row.customer_id)
        else:
            bucket = ("alone", row.id)
        groups.setdefault(bucket, []).append(row)
    out = []
    for bucket, members in groups.items():
        key = keys.get(bucket) or _group_key(members)
        out.append(_Group(key, members))
    return sorted(out, key=lambda g: g.first_id)


def _group_key(rows: list[Delivery]) -> str:
    digest = hashlib.sha256("\n".join(sorted(r.idempotency_key for r in rows)).encode())
    return "n" + digest.hexdigest()[:40]


def _safe_send(channel: Channel, notice: Notice) -> DeliveryResult:
    """Channels must not raise; one that does is treated as a failed send, not a crash."""
    try:
        return channel.send(notice)
    except Exception as exc:  # noqa: BLE001 - a channel bug must not lose the outbox run
        return DeliveryResult(False, f"channel error: {type(exc).__name__}: {exc}")


def deliver(
    engine: Engine, channels: Mapping[str, Channel], now: datetime,
    notify: NotifyConfig | None = None,
) -> dict[str, int]:
    """Send every due delivery once; returns counts."""
    return Outbox(engine, channels, notify).deliver(now)
