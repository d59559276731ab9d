"""`commwatch alerts list|show|retry` and `commwatch silences add|list|end`."""

from __future__ import annotations

import getpass
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, cast

import typer
from rich.table import Table
from sqlalchemy import CursorResult, select, update
from sqlmodel import Session, col

from commwatch.cli_base import app, err, load_config_or_exit, open_service, out, parse_when
from commwatch.store import (
    Alert,
    ChannelState,
    Customer,
    Delivery,
    DeliveryAttempt,
    Silence,
    session_scope,
)

alerts_app = typer.Typer(help="Alerts and their deliveries: list, show, retry.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
silences_app = typer.Typer(help="Silences: hold notices by rule, customer or invoice.",
                           no_args_is_help=True)
app.add_typer(silences_app, name="silences")

DELIVERY_STATES = ("pending", "sending", "sent", "failed", "silenced", "digest", "dropped")


def _now() -> datetime:
    return datetime.now(UTC)


def _summary(deliveries: list[Delivery]) -> str:
    counts = Counter(f"{d.channel}:{d.status}" + ("!" if d.duplicate_risk else "")
                     for d in deliveries)
    return ", ".join(f"{k}" + (f"×{n}" if n > 1 else "") for k, n in sorted(counts.items()))


@alerts_app.command("list")
def alerts_list(
    state: Annotated[str, typer.Option(help="open, resolved or all.")] = "open",
    delivery: Annotated[
        str | None, typer.Option(help=f"Only alerts with a delivery in this state "
                                      f"({', '.join(DELIVERY_STATES)}).")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """Alerts, newest first, with how each of their deliveries stands."""
    if state not in ("open", "resolved", "all"):
        err.print(f"[red]--state: expected open, resolved or all, not {state!r}[/red]")
        raise typer.Exit(2)
    if delivery is not None and delivery not in DELIVERY_STATES:
        err.print(f"[red]--delivery: expected one of {', '.join(DELIVERY_STATES)}[/red]")
        raise typer.Exit(2)
    service = open_service(load_config_or_exit())
    with Session(service.engine) as session:
        query = select(Alert).order_by(col(Alert.id).desc()).limit(limit)
        if state != "all":
            query = query.where(col(Alert.state) == state)
        if rule:
            query = query.where(col(Alert.rule) == rule)
        if delivery:
            query = query.where(col(Alert.id).in_(
                select(col(Delivery.alert_id)).where(col(Delivery.status) == delivery)))
        alerts = list(session.scalars(query))
        deliveries: dict[int, list[Delivery]] = {}
        for d in session.scalars(select(Delivery).where(
                col(Delivery.alert_id).in_([a.id for a in alerts]))):
            deliveries.setdefault(d.alert_id, []).append(d)
        blocked = list(session.scalars(select(ChannelState).where(col(ChannelState.failures) > 0)))
    if as_json:
        typer.echo(json.dumps([{
            "id": a.id, "rule": a.rule, "severity": a.severity, "state": a.state,
            "title": a.title, "created_at": a.created_at.isoformat(),
            "deliveries": [_delivery_json(d) for d in deliveries.get(a.id or 0, [])],
        } for a in alerts], indent=2))
        return
    table = Table("id", "severity", "state", "rule", "title", "deliveries")
    for a in alerts:
        table.add_row(str(a.id), a.severity, a.state, a.rule, a.title[:70],
                      _summary(deliveries.get(a.id or 0, [])))
    out.print(table)
    if any(d.duplicate_risk for ds in deliveries.values() for d in ds):
        out.print("! = resent after an interrupted send: the recipient may have it twice")
    for state_row in blocked:
        until = (f" until {state_row.blocked_until:%Y-%m-%d %H:%M:%S} UTC"
                 if state_row.blocked_until else "")
        out.print(f"channel {state_row.channel} failing ({state_row.failures}×){until}: "
                  f"{state_row.last_error}", markup=False, highlight=False)


def _delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id, "channel": d.channel, "recipient": d.recipient, "event": d.event,
        "status": d.status, "attempts": d.attempts, "detail": d.detail,
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        "next_attempt_at": d.next_attempt_at.isoformat(),
        "external_ref": d.external_ref, "duplicate_risk": d.duplicate_risk,
    }


@alerts_app.command("show")
def alerts_show(
    alert_id: Annotated[int, typer.Argument(help="Alert id from `alerts list`.")],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """One alert: what it says, and every delivery with each attempt and its result."""
    service = open_service(load_config_or_exit())
    with Session(service.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            err.print(f"[red]no alert #{alert_id}[/red]")
            raise typer.Exit(1)
        customer = session.get(Customer, alert.customer_id) if alert.customer_id else None
        deliveries = list(session.scalars(
            select(Delivery).where(col(Delivery.alert_id) == alert_id).order_by(col(Delivery.id))))
        attempts: dict[int, list[DeliveryAttempt]] = {}
        for a in session.scalars(select(DeliveryAttempt).where(
                col(DeliveryAttempt.delivery_id).in_([d.id for d in deliveries]))
                .order_by(col(DeliveryAttempt.id))):
            attempts.setdefault(a.delivery_id, []).append(a)
    if as_json:
        typer.echo(json.dumps({
            "id": alert.id, "rule": alert.rule, "severity": alert.severity,
            "state": alert.state, "title": alert.title, "summary": alert.summary,
            "customer": customer.external_id if customer else None,
            "details": alert.details,
            "deliveries": [{**_delivery_json(d), "attempts": [
                {"number": a.number, "at": a.started_at.isoformat(), "ok": a.ok,
                 "detail": a.detail, "retry_after": a.retry_after}
                for a in attempts.get(d.id or 0, [])]} for d in deliveries],
        }, indent=2, default=str))
        return
    out.print(f"[bold]#{alert.id} {alert.severity.upper()}[/bold] {alert.state} · {alert.rule}",
              highlight=False)
    out.print(alert.title, markup=False, highlight=False)
    out.print(alert.summary, markup=False, highlight=False)
    if customer:
        out.print(f"customer: {customer.name} ({customer.external_id})", markup=False)
    for d in deliveries:
        flag = "  [yellow]possible duplicate[/yellow]" if d.duplicate_risk else ""
        out.print(f"\n[bold]{d.channel}[/bold] → {d.recipient or '(channel)'}: {d.status} "
                  f"({d.event}, {d.attempts} attempt(s)){flag}", highlight=False)
        if d.detail:
            out.print(f"  {d.detail}", markup=False, highlight=False)
        for a in attempts.get(d.id or 0, []):
            mark = "ok " if a.ok else "err"
            wait = f" (retry after {a.retry_after:g} s)" if a.retry_after else ""
            out.print(f"  {mark} #{a.number} {a.started_at:%Y-%m-%d %H:%M:%S} {a.detail}{wait}",
                      markup=False, highlight=False)


@alerts_app.command("retry")
def alerts_retry(
    alert_ids: Annotated[list[int] | None, typer.Argument(help="Alert ids; none = all.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only deliveries on this channel.")] = None,
) -> None:
    """Queue failed deliveries again (after fixing what made them fail). The give-up clock
    starts again from now; the attempts so far stay on record."""
    service = open_service(load_config_or_exit())
    now = _now()
    with session_scope(service.engine) as session:
        query = update(Delivery).where(col(Delivery.status) == "failed")
        if alert_ids:
            query = query.where(col(Delivery.alert_id).in_(alert_ids))
        if channel:
            query = query.where(col(Delivery.channel) == channel)
        result = cast(CursorResult[Any], session.execute(query.values(
            status="pending", next_attempt_at=now, created_at=now,
            detail=f"queued again by {getpass.getuser()} at {now:%Y-%m-%d %H:%M} UTC")))
        if channel:
            session.execute(update(ChannelState).where(col(ChannelState.channel) == channel)
                            .values(blocked_until=None))
    count = result.rowcount or 0
    out.print(f"{count} failed deliver{'y' if count == 1 else 'ies'} queued again; "
              "the notify job sends them on its next run")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")


def parse_duration(value: str, option: str) -> timedelta:
    match = _DURATION.match(value)
    if not match:
        err.print(f"[red]{option}: expected a duration like 90m, 4h, 2d or 1w, "
                  f"not {value!r}[/red]")
        raise typer.Exit(2)
    amount, unit = float(match.group(1)), match.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: amount})


@silences_app.command("add")
def silences_add(
    reason: Annotated[str, typer.Option(help="Why: shown on every held notice.")],
    rule: Annotated[str | None, typer.Option(help="Rule name, as in [rules.NAME].")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer id (e.g. C004).")] = None,
    invoice: Annotated[str | None, typer.Option(help="Invoice number.")] = None,
    for_: Annotated[str | None, typer.Option("--for", help="How long: 90m, 4h, 2d, 1w.")] = None,
    until: Annotated[str | None, typer.Option(help="Until this time (ISO 8601).")] = None,
    by: Annotated[str | None, typer.Option(help="Who sets it (default: your user).")] = None,
) -> None:
    """Hold notices for matching alerts until the silence expires; alerts are still
    recorded, and those still open when it ends are sent then."""
    from notifier.silences import SilenceError, add_silence

    if (for_ is None) == (until is None):
        err.print("[red]give exactly one of --for or --until[/red]")
        raise typer.Exit(2)
    now = _now()
    expires = now + parse_duration(for_, "--for") if for_ else parse_when(until, "--until")
    assert expires is not None
    service = open_service(load_config_or_exit())
    try:
        with session_scope(service.engine) as session:
            silence = add_silence(session, reason=reason, created_by=by or getpass.getuser(),
                                  expires_at=expires, now=now, rule=rule, customer=customer,
                                  invoice=invoice)
            silence_id = silence.id
    except SilenceError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    out.print(f"silence #{silence_id} until {expires:%Y-%m-%d %H:%M} UTC", highlight=False)


@silences_app.command("list")
def silences_list(
    show_all: Annotated[bool, typer.Option("--all", help="Also expired and ended ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """Silences in force (or all, with --all)."""
    service = open_service(load_config_or_exit())
    now = _now()
    with Session(service.engine) as session:
        query = select(Silence, col(Customer.external_id)).outerjoin(
            Customer, col(Customer.id) == col(Silence.customer_id)).order_by(col(Silence.id))
        if not show_all:
            query = query.where(col(Silence.expires_at) > now, col(Silence.ended_at).is_(None))
        rows = session.execute(query).all()

    def state(silence: Silence) -> str:
        return ("ended" if silence.ended_at else "expired" if silence.expires_at <= now
                else "active")

    if as_json:
        typer.echo(json.dumps([{
            "id": s.id, "rule": s.rule, "customer": external, "invoice": s.invoice,
            "expires_at": s.expires_at.isoformat(), "created_by": s.created_by,
            "reason": s.reason, "state": state(s),
        } for s, external in rows], indent=2))
        return
    table = Table("id", "rule", "customer", "invoice", "until", "by", "reason", "state")
    for silence, external in rows:
        table.add_row(str(silence.id), silence.rule or "*", external or "*",
                      silence.invoice or "*", f"{silence.expires_at:%Y-%m-%d %H:%M}",
                      silence.created_by, silence.reason, state(silence))
    out.print(table)


@silences_app.command("end")
def silences_end(silence_id: Annotated[int, typer.Argument()]) -> None:
    """End a silence now; it stays on record with the time it ended."""
    from notifier.silences import SilenceError, end_silence

    service = open_service(load_config_or_exit())
    now = _now()
    try:
        with session_scope(service.engine) as session:
            end_silence(session, silence_id, now)
    except SilenceError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    out.print(f"silence #{silence_id} ended")


channels_app = typer.Typer(help="Alert channels: check one end to end.", no_args_is_help=True)
app.add_typer(channels_app, name="channels")


@channels_app.command("test")
def channels_test(
    name: Annotated[str, typer.Argument(help="A channel name from [channels.NAME].")],
    to: Annotated[str | None, typer.Option(help="Recipient: an address, or a Slack channel.")]
    = None,
) -> None:
    """Send one test notice through a channel now (TLS, login, routing) and say what the
    server answered. Nothing is written to the store."""
    from notifier import build_channel
    from notifier.config import EmailChannelConfig, SlackChannelConfig
    from notifier.notice import AlertView, Notice

    config = load_config_or_exit()
    channel_config = config.channels.get(name)
    if channel_config is None:
        known = ", ".join(config.channels) or "none configured"
        err.print(f"[red]no channel named {name!r} (channels: {known})[/red]")
        raise typer.Exit(2)
    recipient = to or ""
    if not recipient and isinstance(channel_config, EmailChannelConfig):
        listed = channel_config.fallback if channel_config.to == "owner" else channel_config.to
        recipient = str(listed[0])
    if not recipient and isinstance(channel_config, SlackChannelConfig):
        recipient = channel_config.channel or ""
    now = _now()
    review = config.notify.review_url
    alert = AlertView(
        alert_id=0, delivery_key=f"channel-test:{name}:{now.timestamp():.0f}",
        rule="channel_test", severity="info", state="open",
        title=f"commwatch test notice on channel {name}",
        summary="If you can read this, commwatch can deliver alerts here.", event="new",
        created_at=now, customer_id=None, thread_id=None, message_id=None,
        alert_url=f"{review}/alerts", message_url=None,
    )
    notice = Notice(key=alert.delivery_key, channel=name, recipient=recipient, kind="alert",
                    alerts=(alert,))
    channel = build_channel(name, channel_config)
    result = channel.send(notice)
    close = getattr(channel, "close", None)
    if close is not None:
        close()
    if result.ok:
        out.print(f"ok: {result.detail}", markup=False, highlight=False)
        return
    err.print(f"failed: {result.detail}", markup=False, highlight=False)
    raise typer.Exit(1)
