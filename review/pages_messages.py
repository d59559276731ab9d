"""The queue, a flagged message with its evidence and thread, dispositions, and alerts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.datastructures import FormData

from commwatch.store import (
    Alert,
    AlertAck,
    Contact,
    CreditSnapshot,
    Customer,
    Message,
    MessageRevision,
    Review,
    ReviewCase,
    Signal,
    WebSession,
    session_scope,
)
from review import audit
from review.decisions import (
    MESSAGE_ACTIONS,
    MISSED,
    DecisionError,
    acknowledge,
    add_missed_tag,
    addable_tags,
    decide_message,
    decide_tag,
    missed_tags,
    tag_decisions,
    withdraw_missed_tag,
)
from review.privacy import customer_scope
from review.queue import STATES, TAG_SEVERITY, Filters, load_queue
from review.web import Ctx, Forbidden, back, current, field, posted, render

router = APIRouter()


@dataclass(frozen=True)
class Segment:
    text: str
    tags: tuple[str, ...] = ()


def highlight(text: str, spans: list[tuple[int, int, str]]) -> list[Segment]:
    """Cut `text` at every evidence boundary; each piece knows which tags cover it."""
    n = len(text)
    spans = [(max(0, a), min(n, b), t) for a, b, t in spans if 0 <= a < b and a < n]
    cuts = sorted({0, n, *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        tags = tuple(sorted({t for s, e, t in spans if s <= a and b <= e}))
        out.append(Segment(text[a:b], tags))
    return out


def _scope_of(message: Message) -> str:
    return customer_scope(message.customer_id, message.id)


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request) -> Response:
    ctx = current(request)
    filters = Filters.parse(request.query_params)
    owner_only = ctx.email if ctx.role == "collector" else None
    with Session(ctx.settings.engine) as session:
        items, total = load_queue(session, filters, owner_only)
        customers = [c for c in session.scalars(select(Customer).order_by(col(Customer.name)))
                     if ctx.may_see(c)]
        tags = sorted({t for (t,) in session.execute(select(col(Signal.tag)).distinct())})
        channels = sorted({c for (c,) in session.execute(select(col(Message.channel)).distinct())})
    owners = sorted({c.owner_email for c in customers if c.owner_email})
    return render(ctx, request, "queue.html", items=items, total=total, filters=filters,
                  customers=customers, tags=tags, channels=channels, owners=owners,
                  states=STATES, pages=max(1, -(-total // 50)))


@router.post("/queue/bulk")
async def bulk(request: Request) -> Response:
    ctx, form = await posted(request)
    action, note = field(form, "action", 32), field(form, "note")
    keys = [k for v in form.getlist("item") if isinstance(v, str) for k in v.split(",")]
    with session_scope(ctx.settings.engine) as session:
        for key in keys[:500]:
            kind, _, raw = key.partition(":")
            if not raw.isdigit():
                continue
            if kind == "m" and action in ("confirm_all", "false_positive_all", "assign_me"):
                ctx.require("reviewer", "admin")
                message = session.get(Message, int(raw))
                if message is None:
                    continue
                try:
                    decide_message(session, ctx.email, int(raw),
                                   "assign" if action == "assign_me" else action, note,
                                   ctx.now, person=ctx.email)
                except DecisionError:
                    continue  # e.g. already decided by someone else a moment ago
            elif kind == "a" and action == "acknowledge":
                alert = session.get(Alert, int(raw))
                if alert is None or not ctx.may_see(
                        session.get(Customer, alert.customer_id) if alert.customer_id else None):
                    continue
                try:
                    acknowledge(session, ctx.email, int(raw), ctx.email, note, ctx.now)
                except DecisionError:
                    continue
    query = field(form, "return", 2000)
    return back(request, "/queue" + (f"?{query}" if query and "\n" not in query else ""))


def _load_message(session: Session, ctx: Ctx, message_id: int) -> tuple[Message, Customer | None]:
    message = session.get(Message, message_id)
    if message is None:
        raise Forbidden(404)
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    ctx.check_customer(customer)
    return message, customer


def latest_snapshot(session: Session, customer_id: int) -> CreditSnapshot | None:
    return session.scalars(
        select(CreditSnapshot).where(col(CreditSnapshot.customer_id) == customer_id)
        .order_by(col(CreditSnapshot.taken_on).desc()).limit(1)
    ).first()


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_page(request: Request, message_id: int) -> Response:
    ctx = current(request)
    with Session(ctx.settings.engine) as session:
        message, customer = _load_message(session, ctx, message_id)
        signals = list(session.scalars(select(Signal).where(col(Signal.message_id) == message_id)
                                       .order_by(col(Signal.start))))
        spans = [(int(e.get("start", s.start)), int(e.get("end", s.end)), s.tag)
                 for s in signals for e in (s.evidence or [{"start": s.start, "end": s.end}])]
        thread = list(session.scalars(
            select(Message).where(col(Message.thread_id) == message.thread_id)
            .order_by(col(Message.sent_at)))) if message.thread_id else [message]
        decisions = tag_decisions(session, [message_id]).get(message_id, {})
        tagged = [sig.tag for sig in signals]
        missed = [(r.tag, r.details.get("evidence", {}), r.actor) for r in session.scalars(
            select(Review).where(col(Review.target_type) == "message",
                                 col(Review.target_id) == message_id,
                                 col(Review.disposition) == MISSED)
            .order_by(col(Review.id))) if r.tag in missed_tags(decisions, tagged)]
        missed = list({tag: (tag, ev, who) for tag, ev, who in missed}.values())
        spans += [(int(ev["start"]), int(ev["end"]), tag) for tag, ev, _ in missed
                  if "start" in ev and "end" in ev]
        case = session.scalars(
            select(ReviewCase).where(col(ReviewCase.message_id) == message_id)).first()
        history = list(session.scalars(
            select(Review).where(col(Review.target_type) == "message",
                                 col(Review.target_id) == message_id)
            .order_by(col(Review.id))))
        alerts = list(session.scalars(select(Alert).where(col(Alert.message_id) == message_id)))
        revisions = sorted(
            session.scalars(select(MessageRevision).where(
                col(MessageRevision.message_id) == message_id)),
            key=lambda r: (r.edited or r.edited_at is not None, r.edited_at or r.recorded_at))
        snapshot = latest_snapshot(session, customer.id) if customer and customer.id else None
        names = [customer.name] if customer else []
        names += [c.name or "" for c in session.scalars(
            select(Contact).where(col(Contact.customer_id) == message.customer_id)
        )] if customer else []
    names += [m.sender_name for m in thread]
    scope, masker = _scope_of(message), ctx.masker
    quoted = message.body_text.replace(message.new_text, "", 1).strip() \
        if message.new_text and message.new_text in message.body_text else ""
    return render(
        ctx, request, "message.html", message=message, customer=customer, signals=signals,
        segments=[Segment(masker.text(s.text, scope, names), s.tags)
                  for s in highlight(message.new_text, spans)],
        quoted=masker.text(quoted, scope, names), thread=thread, decisions=decisions,
        case=case, history=history, alerts=alerts, snapshot=snapshot, scope=scope,
        masked=masker.masks(scope), names=names, actions=MESSAGE_ACTIONS,
        missed=missed, addable=addable_tags(message, tagged), revisions=revisions,
        severity=TAG_SEVERITY, attachments=[str(a.get("filename") or a.get("name") or "")
                                            for a in message.attachments or []],
    )


async def _on_message(
    request: Request, message_id: int, decide: Callable[[Session, Ctx, FormData], object]
) -> Response:
    """A reviewer's form post about one message: `decide` runs in one transaction with the
    message loaded (and the caller allowed to see it); a refused decision says why."""
    ctx, form = await posted(request)
    ctx.require("reviewer", "admin")
    with session_scope(ctx.settings.engine) as session:
        _load_message(session, ctx, message_id)
        try:
            decide(session, ctx, form)
        except DecisionError as exc:
            return _refused(ctx, request, str(exc))
    return back(request, f"/messages/{message_id}")


@router.post("/messages/{message_id}/tags/{tag}")
async def message_tag(request: Request, message_id: int, tag: str) -> Response:
    return await _on_message(request, message_id, lambda session, ctx, form: decide_tag(
        session, ctx.email, message_id, tag, field(form, "disposition", 32),
        field(form, "note"), ctx.now))


@router.post("/messages/{message_id}/missed")
async def message_missed(request: Request, message_id: int) -> Response:
    return await _on_message(request, message_id, lambda session, ctx, form: add_missed_tag(
        session, ctx.email, message_id, field(form, "tag", 32), field(form, "evidence"),
        field(form, "note"), ctx.now))


@router.post("/messages/{message_id}/missed/{tag}/withdraw")
async def message_missed_withdraw(request: Request, message_id: int, tag: str) -> Response:
    return await _on_message(request, message_id, lambda session, ctx, form: withdraw_missed_tag(
        session, ctx.email, message_id, tag, field(form, "note"), ctx.now))


@router.post("/messages/{message_id}/action")
async def message_action(request: Request, message_id: int) -> Response:
    return await _on_message(request, message_id, lambda session, ctx, form: decide_message(
        session, ctx.email, message_id, field(form, "action", 32), field(form, "note"),
        ctx.now, person=field(form, "person", 320)))


def _refused(ctx: Ctx, request: Request, reason: str) -> Response:
    return render(ctx, request, "error.html", 400, message=reason)


def reidentify(ctx: Ctx, session: Session, scope: str, reason: str) -> None:
    """Unmask one customer (or message) for this session, with the reason on record."""
    if not reason:
        raise DecisionError("re-identification needs a reason")
    web = session.get(WebSession, ctx.me.session_id, with_for_update=True)
    assert web is not None
    web.reidentified = sorted({*web.reidentified, scope})
    session.add(web)
    target_type, _, target_id = scope.partition(":")
    audit.append(session, ctx.email, "reidentify", target_type, target_id, {"reason": reason},
                 ctx.now)


@router.post("/messages/{message_id}/reidentify")
async def message_reidentify(request: Request, message_id: int) -> Response:
    ctx, form = await posted(request)
    with session_scope(ctx.settings.engine) as session:
        message, _ = _load_message(session, ctx, message_id)
        try:
            reidentify(ctx, session, _scope_of(message), field(form, "reason"))
        except DecisionError as exc:
            return _refused(ctx, request, str(exc))
    return back(request, f"/messages/{message_id}")


def _load_alert(session: Session, ctx: Ctx, alert_id: int) -> tuple[Alert, Customer | None]:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise Forbidden(404)
    customer = session.get(Customer, alert.customer_id) if alert.customer_id else None
    ctx.check_customer(customer)
    return alert, customer


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: int) -> Response:
    ctx = current(request)
    with Session(ctx.settings.engine) as session:
        alert, customer = _load_alert(session, ctx, alert_id)
        ack = session.scalars(select(AlertAck).where(col(AlertAck.alert_id) == alert_id)).first()
        message = session.get(Message, alert.message_id) if alert.message_id else None
    scope = customer_scope(alert.customer_id, alert.message_id)
    names = [customer.name] if customer else []
    details: dict[str, Any] = {k: v for k, v in (alert.details or {}).items()
                               if isinstance(v, str | int | float | bool)}
    return render(ctx, request, "alert.html", alert=alert, customer=customer, ack=ack,
                  message=message, scope=scope, names=names, details=details)


@router.post("/alerts/{alert_id}/ack")
async def alert_ack(request: Request, alert_id: int) -> Response:
    ctx, form = await posted(request)
    with session_scope(ctx.settings.engine) as session:
        _load_alert(session, ctx, alert_id)
        try:
            acknowledge(session, ctx.email, alert_id, field(form, "owner", 320) or ctx.email,
                        field(form, "note"), ctx.now)
        except DecisionError as exc:
            return _refused(ctx, request, str(exc))
    return back(request, f"/alerts/{alert_id}")
