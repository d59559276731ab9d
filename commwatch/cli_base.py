"""Shared pieces of the command line: the app, consoles, config and service loading."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

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
