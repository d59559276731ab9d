"""`commwatch serve`, `commwatch users add|list` and `commwatch audit verify|export`."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from commwatch.cli_base import app, err, load_config_or_exit, out
from commwatch.config import Config
from commwatch.store import SchemaError, User, create_store_engine, ensure_schema, session_scope

users_app = typer.Typer(help="Users of the review UI.", no_args_is_help=True)
app.add_typer(users_app, name="users")
audit_app = typer.Typer(help="The audit log: verify the hash chain, export it.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _engine(config: Config) -> Engine:
    """The store, migrated if empty; without loading the NLP pipeline."""
    engine = create_store_engine(config.database_url())
    try:
        if ensure_schema(engine) == "created":
            err.print("[green]created the database schema[/green]")
    except SchemaError as exc:
        err.print(f"[red]database: {exc}[/red]")
        raise typer.Exit(2) from None
    return engine


def _cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def review_app(config: Config, engine: Engine) -> Any:
    from review.web import create_app

    return create_app(engine, config.review, config.review_base_url())


def serve_forever(config: Config, engine: Engine, host: str, port: int) -> None:
    from urllib.parse import urlsplit

    import uvicorn

    root = urlsplit(config.review_base_url()).path.rstrip("/")
    uvicorn.run(review_app(config, engine), host=host, port=port, root_path=root,
                proxy_headers=True, log_level="warning", server_header=False)


def serve_in_background(config: Config, engine: Engine) -> None:
    """The UI in a daemon thread next to `commwatch run`: it ends with the service."""
    import threading

    host, port = config.review.host, config.review.port
    thread = threading.Thread(target=serve_forever, args=(config, engine, host, port),
                              name="review-ui", daemon=True)
    thread.start()
    err.print(f"review UI on http://{host}:{port}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on ([review] host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port ([review] port).")] = None,
) -> None:
    """Run the review web UI on the store until Ctrl-C."""
    config = load_config_or_exit()
    engine = _engine(config)
    host, port = host or config.review.host, port or config.review.port
    err.print(f"review UI on http://{host}:{port} (reached as {config.review_base_url()}); "
              "Ctrl-C to stop")
    serve_forever(config, engine, host, port)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Sign-in e-mail; collectors see the customers "
                                              "whose owner_email it is.")],
    role: Annotated[str, typer.Option(help="reviewer, collector or admin.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (for scripts).")] = False,
) -> None:
    """Add a user; the password is asked for (never an argument) and stored hashed."""
    from review import audit
    from review.auth import AuthError, add_user

    config = load_config_or_exit()
    password = _read_password(password_stdin)
    engine = _engine(config)
    try:
        with session_scope(engine) as session:
            user = add_user(session, email, name, role, password)
            audit.append(session, _cli_actor(), "user.added", "user", user.id or 0,
                         {"email": user.email, "role": user.role})
    except AuthError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    out.print(f"user {user.email} added as {user.role}")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _change_user(email: str, action: str, change: Any) -> None:
    """Apply `change(session, user)` to the user with `email` and audit it as `action`."""
    from review import audit
    from review.auth import AuthError, find_user, login_target

    config = load_config_or_exit()
    engine = _engine(config)
    try:
        with session_scope(engine) as session:
            user = find_user(session, email)
            change(session, user)
            # Recorded against the address, as failed sign-ins are, so it resets their count.
            audit.append(session, _cli_actor(), action, "user", login_target(user.email),
                         {"email": user.email})
    except AuthError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


@users_app.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Argument(help="The user's sign-in e-mail.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (for scripts).")] = False,
) -> None:
    """Reset a password: ends the user's sessions and lifts a sign-in lockout."""
    from review.auth import set_password

    password = _read_password(password_stdin)
    _change_user(email, "user.password_set", lambda s, u: set_password(s, u, password))
    out.print(f"password of {email.strip().lower()} changed; their sessions ended")


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="The user's sign-in e-mail.")]) -> None:
    """Stop a user signing in; their open sessions end at once. Decisions they made stay."""
    from review.auth import set_active

    _change_user(email, "user.disabled", lambda s, u: set_active(s, u, False))
    out.print(f"user {email.strip().lower()} disabled; their sessions ended")


@users_app.command("enable")
def users_enable(email: Annotated[str, typer.Argument(help="The user's sign-in e-mail.")]) -> None:
    """Let a disabled user sign in again."""
    from review.auth import set_active

    _change_user(email, "user.enabled", lambda s, u: set_active(s, u, True))
    out.print(f"user {email.strip().lower()} enabled")


@users_app.command("unlock")
def users_unlock(email: Annotated[str, typer.Argument(help="The locked sign-in e-mail.")]) -> None:
    """Lift the lockout after too many failed sign-ins (`[review] login_max_failures`)."""
    _change_user(email, "login.unlocked", lambda s, u: None)
    out.print(f"sign-in for {email.strip().lower()} unlocked")


@users_app.command("list")
def users_list() -> None:
    """Users, their roles and last sign-in."""
    config = load_config_or_exit()
    engine = _engine(config)
    table = Table("email", "name", "role", "active", "last sign-in (UTC)")
    with Session(engine) as session:
        for u in session.scalars(select(User).order_by(col(User.email))):
            last = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else ""
            table.add_row(u.email, u.name, u.role, "yes" if u.active else "no", last)
    out.print(table)


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[str | None, typer.Option(
        help="ID:HASH of an entry noted earlier (e.g. from a previous verify): also catches "
             "entries cut from the end of the log.")] = None,
) -> None:
    """Check the hash chain; exit 1 naming the first entry that was edited or deleted."""
    from review import audit

    config = load_config_or_exit()
    parsed: tuple[int, str] | None = None
    if anchor is not None:
        entry, _, digest = anchor.partition(":")
        if not entry.isdigit() or len(digest) != 64:
            raise typer.BadParameter("expected ID:SHA256HEX", param_hint="--anchor")
        parsed = (int(entry), digest.lower())
    with Session(_engine(config)) as session:
        verdict = audit.verify(session, parsed)
    if not verdict.ok:
        err.print(f"[red]audit log is NOT intact: {verdict.problem}[/red]", highlight=False)
        raise typer.Exit(1)
    # Plain echo: the head is one unbroken line to copy into a later `--anchor`.
    typer.echo(f"audit log intact: {verdict.entries} entries; head {verdict.entries}:"
               f"{verdict.head}")


@audit_app.command("export")
def audit_export(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
) -> None:
    """Every audit entry with its hashes, so the chain can be checked elsewhere."""
    from review import audit

    if fmt not in ("csv", "json"):
        raise typer.BadParameter("csv or json", param_hint="--format")
    config = load_config_or_exit()
    with Session(_engine(config)) as session:
        rows = list(audit.export_rows(session))
    chunks = audit.to_csv(rows) if fmt == "csv" else audit.to_json(rows)
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)
    err.print(f"{len(rows)} entries written to {output}")
