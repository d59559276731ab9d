"""`commwatch rules list|test` and `commwatch customers show`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from commwatch.cli_base import app, err, load_config_or_exit, open_service, out

rules_app = typer.Typer(help="The monitor's rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _when(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        err.print(f"[red]--at: {value!r} is not an ISO 8601 date-time[/red]")
        raise typer.Exit(2) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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
    findings = evaluate(service.engine, name, config.rules[name], _when(at), service.context)
    if as_json:
        typer.echo(json.dumps([f.__dict__ for f in findings], indent=2, default=str))
        return
    out.print(f"{name}: {len(findings)} finding(s) at {_when(at).isoformat()}")
    for finding in findings:
        out.print(f"[bold]{finding.severity}[/bold] {finding.title}", highlight=False)
        out.print(f"  {finding.summary}", highlight=False)
