"""`commwatch rules list|test` and `commwatch customers show`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from commwatch.cli_base import app, err, load_config_or_exit, open_service, out, parse_when

rules_app = typer.Typer(help="The monitor's rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _when(value: str | None) -> datetime:
    """`--at`, or now."""
    return parse_when(value, "--at") or datetime.now(UTC)


def _describe(config: Any) -> str:
    fields = config.model_dump(exclude={"type", "enabled"})
    return ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in fields.items())


@rules_app.command("list")
def rules_list() -> None:
    """Every configured rule: its type, whether it is on, and its settings."""
    config = load_config_or_exit()
    table = Table("name", "type", "enabled", "settings")
    for name, rule in config.rules.items():
        table.add_row(name, rule.type, "yes" if rule.enabled else "no", _describe(rule))
    out.print(table)


@rules_app.command("test")
def rules_test(
    name: Annotated[str, typer.Argument(help="A rule name from [rules.NAME].")],
    at: Annotated[
        str | None, typer.Option("--at", help="Evaluate as of this time (ISO 8601).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Findings as JSON.")] = False,
) -> None:
    """Dry run: what the rule would find at a time and why; nothing is recorded or sent."""
    from monitor import evaluate

    config = load_config_or_exit()
    if name not in config.rules:
        known = ", ".join(config.rules) or "none configured"
        err.print(f"[red]no rule named {name!r} (rules: {known})[/red]")
        raise typer.Exit(2)
    service = open_service(config)
    when = _when(at)
    findings = evaluate(service.engine, name, config.rules[name], when, service.context)
    if as_json:
        typer.echo(json.dumps([f.__dict__ for f in findings], indent=2, default=str))
        return
    out.print(f"{name}: {len(findings)} finding(s) at {when.isoformat()}")
    for finding in findings:
        out.print(f"{finding.severity}: {finding.title}", highlight=False, markup=False)
        out.print(f"  {finding.summary}", highlight=False, markup=False)


customers_app = typer.Typer(help="Customers: credit picture and what is open.",
                            no_args_is_help=True)
app.add_typer(customers_app, name="customers")
proposals_app = typer.Typer(help="Credit proposals: list, approve, override.",
                            no_args_is_help=True)
app.add_typer(proposals_app, name="proposals")


@customers_app.command("show")
def customers_show(
    customer: Annotated[str, typer.Argument(help="Customer id from the master (e.g. C004).")],
    at: Annotated[str | None, typer.Option("--at", help="As of this time (ISO 8601).")] = None,
) -> None:
    """Credit snapshot, open promises, disputes, open clocks and recent signals."""
    from sqlalchemy import select
    from sqlmodel import Session, col

    from commwatch.store import Alert, Customer, Message, PromiseRecord, Proposal, Signal
    from monitor.credit_view import CreditView

    config = load_config_or_exit()
    service = open_service(config)
    now = _when(at)
    with Session(service.engine) as session:
        row = session.scalars(select(Customer).where(col(Customer.external_id) == customer)).first()
        if row is None:
            err.print(f"[red]no customer {customer!r} in the customer master[/red]")
            raise typer.Exit(2)
        metrics = next((m for m in CreditView(session).metrics(now)
                        if m.customer_id == row.id), None)
        out.print(f"[bold]{row.name}[/bold] ({row.external_id}) — owner "
                  f"{row.owner or 'none'}, tier {row.tier or 'none'}", highlight=False)
        if metrics is not None:
            figures = metrics.figures()
            table = Table("figure", "value", title=f"credit as of {now.date()}")
            for key, value in figures.items():
                if key not in ("customer_id", "as_of"):
                    table.add_row(key, json.dumps(value, default=str))
            out.print(table)
        statements = session.execute(
            select(PromiseRecord, col(Message.channel), col(Message.sent_at))
            .join(Message, col(Message.id) == col(PromiseRecord.message_id))
            .where(col(PromiseRecord.customer_id) == row.id)
            .order_by(col(PromiseRecord.due_on), col(Message.sent_at), col(PromiseRecord.id))
        ).all()
        # A restatement is listed with the promise it repeats: where and when each was said.
        said_in: dict[int, list[str]] = {}
        for p, channel, sent_at in sorted(statements, key=lambda s: (s[2], s[0].id)):
            said_in.setdefault(p.restates_id or p.id or 0, []).append(
                f"{channel} {sent_at:%Y-%m-%d} (#{p.id})")
        promises = [(p, said_in.get(p.id or 0, [])) for p, _c, _s in statements
                    if p.status != "restated"]
        if promises:
            table = Table("promise", "amount", "due", "status", "paid", "stated in", "note",
                          title="promises")
            for p, said in promises:
                note = f"superseded by #{p.superseded_by_id}" if p.superseded_by_id else ""
                table.add_row(str(p.id), f"{p.currency or ''} {p.amount or '?'}", str(p.due_on),
                              p.status, str(p.paid_amount or 0), ", ".join(said), note)
            out.print(table)
        proposals = list(session.scalars(
            select(Proposal).where(col(Proposal.customer_id) == row.id)))
        for p in proposals:
            out.print(f"proposal {p.id}: {p.action} [{p.state}] — {'; '.join(p.reasons)}",
                      highlight=False, markup=False)
        alerts = list(session.scalars(
            select(Alert).where(col(Alert.customer_id) == row.id, col(Alert.state) == "open")
            .order_by(col(Alert.created_at))
        ))
        for a in alerts:
            out.print(f"open alert {a.id} [{a.severity}] {a.title}", highlight=False, markup=False)
        signals = session.execute(
            select(col(Signal.tag), col(Signal.evidence_text), col(Message.sent_at))
            .join(Message, col(Message.id) == col(Signal.message_id))
            .where(col(Message.customer_id) == row.id)
            .order_by(col(Message.sent_at).desc()).limit(10)
        ).all()
        for tag, evidence, sent_at in signals:
            out.print(f"{sent_at:%Y-%m-%d} {tag}: {evidence!r}", highlight=False, markup=False)


@proposals_app.command("list")
def proposals_list(
    state: Annotated[str | None, typer.Option(help="proposed, approved or overridden")] = None,
) -> None:
    """Credit proposals with their reasons."""
    from sqlalchemy import select
    from sqlmodel import Session, col

    from commwatch.store import Customer, Proposal

    config = load_config_or_exit()
    service = open_service(config)
    with Session(service.engine) as session:
        query = select(Proposal, Customer).join(
            Customer, col(Customer.id) == col(Proposal.customer_id))
        if state:
            query = query.where(col(Proposal.state) == state)
        table = Table("id", "customer", "action", "state", "reasons", "decided")
        for p, c in session.execute(query.order_by(col(Proposal.id))):
            decided = f"{p.decided_by} {p.decided_at:%Y-%m-%d}" if p.decided_at else ""
            table.add_row(str(p.id), c.name, p.action, p.state, "; ".join(p.reasons), decided)
        out.print(table)


def _decide(proposal_id: int, approve: bool, by: str, note: str) -> None:
    from commwatch.store import session_scope
    from review.decisions import DecisionError, decide_proposal

    config = load_config_or_exit()
    service = open_service(config)
    try:
        # The decision and its audit-log entry commit together.
        with session_scope(service.engine) as session:
            row = decide_proposal(session, by, proposal_id, approve, note, datetime.now(UTC))
            out.print(f"proposal {row.id} {row.state} by {row.decided_by}")
    except DecisionError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@proposals_app.command("approve")
def proposals_approve(
    proposal_id: int,
    by: Annotated[str, typer.Option("--by", help="Who decides (recorded).")],
    note: Annotated[str, typer.Option(help="Why (recorded).")] = "",
) -> None:
    """Approve a proposal: the decision, who and why are recorded."""
    _decide(proposal_id, True, by, note)


@proposals_app.command("override")
def proposals_override(
    proposal_id: int,
    by: Annotated[str, typer.Option("--by", help="Who decides (recorded).")],
    note: Annotated[str, typer.Option(help="Why (recorded).")] = "",
) -> None:
    """Override a proposal (do not act on it): who and why are recorded."""
    _decide(proposal_id, False, by, note)
