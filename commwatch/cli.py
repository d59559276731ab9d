"""The `commwatch` command line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import func, select
from sqlmodel import Session, col

from commwatch import (
    cli_alerts,  # noqa: F401  (registers alerts, silences)
    cli_ingest,  # noqa: F401  (registers ingest, sources, quarantine)
    cli_monitor,  # noqa: F401  (registers rules, customers)
    cli_nlp,  # noqa: F401  (registers tag, eval, train, retag)
    cli_review,  # noqa: F401  (registers serve, users, audit)
)
from commwatch.cli_base import (
    app,
    config_app,
    db_app,
    err,
    load_config_or_exit,
    open_service,
    out,
)
from commwatch.store import (
    Alert,
    Customer,
    Delivery,
    JobRun,
    Message,
    QuarantineItem,
    Signal,
    Thread,
    create_store_engine,
    schema_revision,
    upgrade_schema,
)


@app.command()
def run(
    once: Annotated[
        bool, typer.Option("--once", help="Run each job once, in flow order, then exit.")
    ] = False,
    serve: Annotated[
        bool | None,
        typer.Option("--serve/--no-serve",
                     help="Also serve the review UI (default: [review] serve_with_run)."),
    ] = None,
) -> None:
    """Run the service: every stage's jobs on the scheduler until Ctrl-C or SIGTERM."""
    config = load_config_or_exit()
    service = open_service(config)
    if once:
        runs = service.run_once()
        table = Table(title="commwatch run --once")
        table.add_column("job")
        table.add_column("outcome")
        table.add_column("took", justify="right")
        table.add_column("counts / error")
        for r in runs:
            took = (r.finished_at - r.started_at).total_seconds() if r.finished_at else 0.0
            detail = r.error or ", ".join(f"{k}={v}" for k, v in r.counts.items())
            style = "green" if r.outcome == "ok" else "red"
            table.add_row(r.job, f"[{style}]{r.outcome}[/]", f"{took:.2f}s", detail)
        out.print(table)
        if any(r.outcome != "ok" for r in runs):
            raise typer.Exit(1)
        return
    if serve if serve is not None else config.review.serve_with_run:
        cli_review.serve_in_background(config, service.engine)
    err.print(f"commwatch running with {len(service.jobs())} jobs; Ctrl-C or SIGTERM to stop")
    service.run_forever()
    err.print("commwatch stopped cleanly")


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Counts of messages, signals, alerts and quarantined items, and each job's last run."""
    config = load_config_or_exit()
    engine = create_store_engine(config.database_url())
    try:
        revision = schema_revision(engine)
    except Exception as exc:  # noqa: BLE001 - any driver error is reported the same way
        err.print(f"[red]cannot open the database: {exc}[/red]")
        raise typer.Exit(2) from None
    if revision is None:
        err.print("the database is empty: run `commwatch run --once` or `commwatch db upgrade`")
        raise typer.Exit(1)
    with Session(engine) as session:
        counts = {
            "customers": _count(session, Customer),
            "messages": _count(session, Message),
            "messages_inbound": _count(session, Message, col(Message.direction) == "inbound"),
            "messages_outbound": _count(session, Message, col(Message.direction) == "outbound"),
            "messages_unmatched": _count(
                session, Message, col(Message.customer_match) == "unmatched"),
            "threads": _count(session, Thread),
            "threads_awaiting_us": _count(session, Thread, col(Thread.state) == "awaiting_us"),
            "signals": _count(session, Signal),
            "alerts": _count(session, Alert),
            "alerts_open": _count(session, Alert, col(Alert.state) == "open"),
            "deliveries_pending": _count(session, Delivery, col(Delivery.status) == "pending"),
            "deliveries_failed": _count(session, Delivery, col(Delivery.status) == "failed"),
            "quarantined": _count(session, QuarantineItem, col(QuarantineItem.status) == "held"),
        }
        by_tag = dict(
            session.execute(select(col(Signal.tag), func.count()).group_by(col(Signal.tag))).all()
        )
        latest = (
            select(col(JobRun.job), func.max(col(JobRun.id)).label("id"))
            .group_by(col(JobRun.job)).subquery()
        )
        runs = list(
            session.scalars(select(JobRun).join(latest, col(JobRun.id) == latest.c.id)
                            .order_by(col(JobRun.job)))
        )
    if as_json:
        print(
            json.dumps(
                {
                    "counts": counts,
                    "signals_by_tag": by_tag,
                    "last_runs": {
                        r.job: {
                            "started_at": r.started_at.isoformat(),
                            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                            "outcome": r.outcome,
                            "counts": r.counts,
                            "error": r.error,
                        }
                        for r in runs
                    },
                },
                indent=2,
            )
        )
        return
    table = Table(title=f"commwatch status ({config.path})", show_header=False)
    for key, value in counts.items():
        table.add_row(key.replace("_", " "), str(value))
    out.print(table)
    if by_tag:
        out.print("signals by tag: " + ", ".join(f"{t}={n}" for t, n in sorted(by_tag.items())))
    jobs = Table(title="last run of each job")
    for column in ("job", "finished (UTC)", "outcome", "counts / error"):
        jobs.add_column(column)
    for r in runs:
        detail = r.error or ", ".join(f"{k}={v}" for k, v in r.counts.items())
        when = f"{r.finished_at:%Y-%m-%d %H:%M:%S}" if r.finished_at else "running"
        jobs.add_row(r.job, when, r.outcome, detail)
    out.print(jobs)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the schema migrations to the configured database."""
    config = load_config_or_exit()
    engine = create_store_engine(config.database_url())
    before = schema_revision(engine)
    upgrade_schema(engine, revision)
    after = schema_revision(engine)
    out.print(f"database schema: {before or 'empty'} -> {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the configured database."""
    config = load_config_or_exit()
    out.print(schema_revision(create_store_engine(config.database_url())) or "empty")


@config_app.command("show")
def config_show() -> None:
    """Print the validated configuration, secrets masked."""
    config = load_config_or_exit()
    out.print_json(json.dumps(config.masked(), default=str))


@config_app.command("check")
def config_check() -> None:
    """Validate the configuration and exit 0 if it is usable."""
    config = load_config_or_exit()
    out.print(f"[green]{config.path}: ok[/green]")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
