"""Shared pieces of the command line: the app, consoles, config and service loading."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.logging import RichHandler

from commwatch.config import DEFAULT_CONFIG_ENV, Config, ConfigError, load_config
from commwatch.store import SchemaError

app = typer.Typer(
    help="commwatch: watches customer communications for receivables and compliance teams.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")

out = Console()
err = Console(stderr=True, soft_wrap=True)  # paths in messages stay whole for copy-paste


class State:
    config_path: Path | None = None


state = State()


def load_config_or_exit() -> Config:
    try:
        return load_config(state.config_path)
    except ConfigError as exc:
        err.print(f"[red]{exc.render()}[/red]", highlight=False)
        raise typer.Exit(2) from None


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar=DEFAULT_CONFIG_ENV,
            help="Config file (default ./config.toml).",
            show_envvar=True,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    state.config_path = config
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )


def open_service(config: Config) -> Any:
    from commwatch.service import Service  # loads spaCy; only the commands that run need it

    service = Service(config)
    try:
        created = service.prepare()
    except SchemaError as exc:
        err.print(f"[red]database: {exc}[/red]")
        raise typer.Exit(2) from None
    if created == "created":
        err.print("[green]created the database schema[/green]")
    return service


def parse_when(value: str | None, option: str, timezone: str = "UTC") -> datetime | None:
    """A date (2026-11-01, its midnight) or ISO 8601 date-time given on the command line;
    without a zone it is read in `timezone` (the organisation's, where one applies)."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (2026-11-01) or date-time (2026-11-01T08:00)",
            param_hint=option,
        ) from None
    if len(value) <= 10:
        when = datetime.combine(when.date(), time())
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(timezone))
    return when.astimezone(UTC)
