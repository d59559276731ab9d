"""Ingest commands: `ingest`, `sources test`, `quarantine list|show|retry`."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from commwatch.cli_base import app, err, load_config_or_exit, open_service, out, parse_when
from commwatch.config import Config
from commwatch.store import QuarantineItem
from ingest import Connector, SourceError, build_connector, run_source
from ingest.runner import retry_quarantined

sources_app = typer.Typer(help="Check the configured sources.", no_args_is_help=True)
quarantine_app = typer.Typer(
    help="Items that could not be parsed, kept with their raw bytes.", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")
app.add_typer(quarantine_app, name="quarantine")


def _source_names(config: Config, only: str | None) -> list[str]:
    if only is None:
        return [name for name, source in config.sources.items() if source.enabled]
    if only not in config.sources:
        known = ", ".join(config.sources) or "none"
        err.print(f"[red]no source named {only!r} in {config.path} (configured: {known})[/red]")
        raise typer.Exit(2)
    return [only]


@app.command()
def ingest(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Skip messages sent before this date (a backfill that starts there)."),
    ] = None,
) -> None:
    """Read every configured source (or one) now and store what is new."""
    config = load_config_or_exit()
    names = _source_names(config, source)
    start = parse_when(since, "--since", config.organisation.timezone)
    service = open_service(config)
    if config.customers is not None:
        service.run_job(next(j for j in service.jobs() if j.name == "customers"))
    failed = False
    summaries: list[str] = []
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} items"),
        TimeElapsedColumn(), console=err, transient=False,
    ) as progress:
        for name in names:
            task = progress.add_task(f"ingest {name}", total=None)
            try:
                report = run_source(
                    service.engine,
                    build_connector(name, config.sources[name]),
                    service.directions,
                    progress=partial(progress.advance, task),
                    since=start,
                )
            except SourceError as exc:
                progress.update(task, description=f"[red]ingest {name}: failed[/red]")
                summaries.append(f"[red]{escape(name)}: {escape(str(exc))}[/red]")
                failed = True
                continue
            progress.update(task, description=f"ingest {name}: done")
            counts = ", ".join(f"{k}={v}" for k, v in report.as_counts().items())
            summaries.append(f"{escape(name)}: {counts}")
    for line in summaries:
        out.print(line, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@sources_app.command("test")
def sources_test(
    name: Annotated[str, typer.Argument(help="The source's name in the config.")],
) -> None:
    """Connect to a source, log in, list its folders, and say exactly what failed."""
    config = load_config_or_exit()
    _source_names(config, name)
    connector: Connector = build_connector(name, config.sources[name])
    try:
        lines = connector.check()
    except SourceError as exc:
        err.print(f"[red]{escape(name)}: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    for line in lines:
        out.print(f"[green]✓[/green] {escape(line)}", soft_wrap=True)


def _engine(config: Config) -> Engine:
    return open_service(config).engine


@quarantine_app.command("list")
def quarantine_list(
    show_all: Annotated[bool, typer.Option("--all", help="Also released items.")] = False,
) -> None:
    """Items held in quarantine, with their reason."""
    config = load_config_or_exit()
    with Session(_engine(config)) as session:
        query = select(QuarantineItem).order_by(col(QuarantineItem.id))
        if not show_all:
            query = query.where(col(QuarantineItem.status) == "held")
        rows = list(session.scalars(query))
    table = Table(title=f"quarantine ({len(rows)})")
    for column in ("id", "source", "item", "status", "tries", "since (UTC)", "reason"):
        table.add_column(column)
    for q in rows:
        table.add_row(str(q.id), q.source, escape(q.item_key), q.status, str(q.attempts),
                      f"{q.created_at:%Y-%m-%d %H:%M}", escape(q.reason))
    out.print(table)


@quarantine_app.command("show")
def quarantine_show(
    item_id: Annotated[int, typer.Argument(help="The quarantine id.")],
    raw: Annotated[Path | None, typer.Option(help="Write the raw bytes to this file.")] = None,
) -> None:
    """One quarantined item: where it came from, why, and its first bytes."""
    config = load_config_or_exit()
    with Session(_engine(config)) as session:
        item = session.get(QuarantineItem, item_id)
    if item is None:
        err.print(f"[red]no quarantined item #{item_id}[/red]")
        raise typer.Exit(1)
    data = bytes(item.raw)
    out.print(f"#{item.id} from source {escape(item.source)}, item {escape(item.item_key)}")
    out.print(f"status {item.status}, {item.attempts} tries, "
              f"held since {item.created_at:%Y-%m-%d %H:%M} UTC")
    out.print(f"reason: {escape(item.reason)}")
    out.print(f"{len(data)} bytes; the first 2 KiB:")
    out.print(escape(data[:2048].decode("utf-8", errors="backslashreplace")), highlight=False)
    if raw is not None:
        raw.write_bytes(data)
        out.print(f"raw bytes written to {raw}")


@quarantine_app.command("retry")
def quarantine_retry(
    item_ids: Annotated[
        list[int] | None, typer.Argument(help="Ids to retry (default: all held).")
    ] = None,
) -> None:
    """Parse held items again (e.g. after an upgrade); those that parse are stored."""
    config = load_config_or_exit()
    service = open_service(config)
    connectors = {name: build_connector(name, cfg) for name, cfg in config.sources.items()}
    report = retry_quarantined(service.engine, connectors, service.directions, item_ids or None)
    out.print(f"released {report.released}, still unparseable {report.still_bad}")
    for line in report.skipped:
        err.print(f"[yellow]{escape(line)}[/yellow]")
