"""One page per customer: every conversation and signal across channels, open clocks,
promises, disputes, the credit picture over time and proposals awaiting a decision."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.store import (
    Alert,
    CreditSnapshot,
    Customer,
    DisputeRecord,
    Message,
    PromiseRecord,
    Proposal,
    Signal,
    Thread,
    session_scope,
)
from review.decisions import DecisionError, decide_proposal
from review.pages_messages import reidentify
from review.privacy import customer_scope
from review.web import Ctx, Forbidden, back, current, field, posted, render

router = APIRouter()
TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class Chart:
    """A small line chart drawn as SVG on the server: no script, nothing to inject."""

    label: str
    points: str
    dots: tuple[tuple[float, float, str], ...]
    low: str
    high: str
    width: int = 320
    height: int = 80


def chart(label: str, series: list[tuple[str, float | None]], fmt: str = "{:.0f}") -> Chart | None:
    values = [(day, v) for day, v in series if v is not None]
    if not values:
        return None
    lo, hi = min(v for _, v in values), max(v for _, v in values)
    span = (hi - lo) or 1.0
    w, h, pad = 320, 80, 6
    step = (w - 2 * pad) / max(1, len(values) - 1)
    dots = tuple((round(pad + i * step, 1), round(h - pad - (v - lo) / span * (h - 2 * pad), 1),
                  f"{day}: {fmt.format(v)}") for i, (day, v) in enumerate(values))
    return Chart(label, " ".join(f"{x},{y}" for x, y, _ in dots), dots, fmt.format(lo),
                 fmt.format(hi))


def _customer(session: Session, ctx: Ctx, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise Forbidden(404)
    ctx.check_customer(customer)
    return customer


@router.get("/customers", response_class=HTMLResponse)
def customers(request: Request) -> Response:
    ctx = current(request)
    with Session(ctx.settings.engine) as session:
        rows = [c for c in session.scalars(select(Customer).order_by(col(Customer.name)))
                if ctx.may_see(c)]
    return render(ctx, request, "customers.html", customers=rows)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: int) -> Response:
    ctx = current(request)
    with Session(ctx.settings.engine) as session:
        customer = _customer(session, ctx, customer_id)
        messages = list(session.scalars(
            select(Message).where(col(Message.customer_id) == customer_id)
            .order_by(col(Message.sent_at).desc()).limit(TIMELINE_LIMIT)))
        tags: dict[int, list[str]] = {}
        for message_id, tag in session.execute(
                select(col(Signal.message_id), col(Signal.tag))
                .where(col(Signal.message_id).in_([m.id for m in messages]))):
            tags.setdefault(message_id, []).append(tag)
        clocks = list(session.scalars(
            select(Thread).where(col(Thread.customer_id) == customer_id,
                                 col(Thread.state) == "awaiting_us")
            .order_by(col(Thread.last_inbound_at))))
        promises = list(session.scalars(select(PromiseRecord).where(
            col(PromiseRecord.customer_id) == customer_id).order_by(col(PromiseRecord.due_on))))
        disputes = list(session.scalars(select(DisputeRecord).where(
            col(DisputeRecord.customer_id) == customer_id).order_by(col(DisputeRecord.created_at))))
        snapshots = list(session.scalars(select(CreditSnapshot).where(
            col(CreditSnapshot.customer_id) == customer_id).order_by(col(CreditSnapshot.taken_on))))
        proposals = list(session.scalars(select(Proposal).where(
            col(Proposal.customer_id) == customer_id).order_by(col(Proposal.created_at).desc())))
        alerts = list(session.scalars(select(Alert).where(
            col(Alert.customer_id) == customer_id, col(Alert.state) == "open")
            .order_by(col(Alert.created_at))))
    days = [s.taken_on.isoformat() for s in snapshots]
    charts = [c for c in (
        chart("Risk score", list(zip(days, [s.risk_score for s in snapshots], strict=True))),
        chart("Days to pay", list(zip(days, [s.avg_days_to_pay for s in snapshots], strict=True))),
        chart("Credit used", list(zip(days, [s.utilisation for s in snapshots], strict=True)),
              "{:.0%}"),
    ) if c is not None]
    scope = customer_scope(customer_id)
    return render(ctx, request, "customer.html", customer=customer, messages=messages,
                  tags=tags, clocks=clocks, promises=promises, disputes=disputes,
                  snapshot=snapshots[-1] if snapshots else None, charts=charts,
                  proposals=proposals, alerts=alerts, scope=scope,
                  masked=ctx.masker.masks(scope), names=[customer.name],
                  may_decide=ctx.role == "admin" or (ctx.role == "collector"))


@router.post("/customers/{customer_id}/reidentify")
async def customer_reidentify(request: Request, customer_id: int) -> Response:
    ctx, form = await posted(request)
    with session_scope(ctx.settings.engine) as session:
        _customer(session, ctx, customer_id)
        try:
            reidentify(ctx, session, customer_scope(customer_id), field(form, "reason"))
        except DecisionError as exc:
            return render(ctx, request, "error.html", 400, message=str(exc))
    return back(request, f"/customers/{customer_id}")


@router.post("/proposals/{proposal_id}/decide")
async def proposal_decide(request: Request, proposal_id: int) -> Response:
    """Approve or override a credit proposal: admins, and the customer's own collector."""
    ctx, form = await posted(request)
    ctx.require("admin", "collector")
    with session_scope(ctx.settings.engine) as session:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None:
            raise Forbidden(404)
        _customer(session, ctx, proposal.customer_id)
        decision = field(form, "decision", 16)
        if decision not in ("approve", "override"):
            return render(ctx, request, "error.html", 400, message="approve or override?")
        try:
            decide_proposal(session, ctx.email, proposal_id, decision == "approve",
                            field(form, "note"), ctx.now)
        except DecisionError as exc:
            return render(ctx, request, "error.html", 400, message=str(exc))
    return back(request, f"/customers/{proposal.customer_id}")
