"""`commwatch rules list|test` on the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from commwatch.cli import app
from tests.conftest import ROOT

runner = CliRunner()


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        (ROOT / "config.toml").read_text().replace("var/commwatch.db", str(tmp_path / "c.db"))
        .replace('"demo/', f'"{ROOT}/demo/')
    )
    assert runner.invoke(app, ["--config", str(config), "ingest"]).exit_code == 0
    assert runner.invoke(app, ["--config", str(config), "retag"]).exit_code == 0
    return config


def test_rules_list_shows_each_rule(demo_config: Path) -> None:
    result = runner.invoke(app, ["--config", str(demo_config), "rules", "list"])
    assert result.exit_code == 0, result.output
    for name in ("unanswered", "response-sla", "broken-promises"):
        assert name in result.output


def test_rules_test_is_a_dry_run_at_a_time(demo_config: Path) -> None:
    args = ["--config", str(demo_config), "rules", "test", "response-sla", "--json"]
    early = runner.invoke(app, [*args, "--at", "2026-10-01T09:00:00+01:00"])
    late = runner.invoke(app, [*args, "--at", "2026-12-01T09:00:00+00:00"])
    assert early.exit_code == 0 and late.exit_code == 0, late.output
    assert json.loads(early.stdout) == []  # before any of the demo mail was sent
    found = json.loads(late.stdout)
    assert found and {f["details"]["level"] for f in found} == {"escalated"}
    status = runner.invoke(app, ["--config", str(demo_config), "status", "--json"])
    assert json.loads(status.stdout)["counts"]["alerts"] == 0  # nothing recorded


def test_unknown_rule_is_named(demo_config: Path) -> None:
    result = runner.invoke(app, ["--config", str(demo_config), "rules", "test", "nope"])
    assert result.exit_code == 2
    assert "no rule named 'nope'" in result.output


def test_demo_credit_review_customer_show_and_decision(demo_config: Path) -> None:
    at = "2026-11-23T12:00:00+00:00"
    base = ["--config", str(demo_config)]
    found = runner.invoke(app, [*base, "rules", "test", "credit-review", "--at", at, "--json"])
    assert found.exit_code == 0, found.output
    [review] = json.loads(found.stdout)
    assert review["details"]["customer"] == "Coastal Fabrication LLC"
    assert "Average days to pay rose from 28 to 69.5 over 90 days" in review["details"]["reasons"]
    shown = runner.invoke(app, [*base, "customers", "show", "C004", "--at", at])
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.output.split())
    assert "avg_days_to_pay_before │ 28.0" in said and "kept" in said
    assert runner.invoke(app, [*base, "customers", "show", "C999"]).exit_code == 2


def test_proposal_decisions_are_recorded(demo_config: Path) -> None:
    base = ["--config", str(demo_config)]
    assert runner.invoke(app, [*base, "run", "--once"]).exit_code == 0
    listed = runner.invoke(app, [*base, "proposals", "list", "--state", "proposed"])
    assert "Coastal" in listed.output and "credit_review" in listed.output
    nobody = runner.invoke(app, [*base, "proposals", "approve", "1", "--by", " "])
    assert nobody.exit_code == 2 and "needs the name" in nobody.output
    done = runner.invoke(app, [*base, "proposals", "override", "1", "--by", "Maria Lopez",
                               "--note", "paid up on the phone"])
    assert done.exit_code == 0 and "overridden by Maria Lopez" in done.output
    again = runner.invoke(app, [*base, "proposals", "approve", "1", "--by", "Tom"])
    assert again.exit_code == 2 and "already overridden by Maria Lopez" in again.output


def test_a_bad_time_is_named(demo_config: Path) -> None:
    result = runner.invoke(app, ["--config", str(demo_config), "rules", "test", "unanswered",
                                 "--at", "next tuesday"])
    assert result.exit_code == 2
    assert "'next tuesday' is not a date" in result.output and "--at" in result.output


def test_customer_show_lists_where_each_promise_was_said_and_its_successor(
    demo_config: Path,
) -> None:
    """Coastal's plan was emailed and repeated on WhatsApp; here Rick then moves the second
    instalment by a week on a call: one row per promise, with where it was said."""
    from datetime import UTC, datetime

    from commwatch.store import Customer, Message, Signal, create_store_engine, session_scope
    from monitor.promises import update_ledger

    engine = create_store_engine(f"sqlite:///{demo_config.parent / 'c.db'}")
    with session_scope(engine) as session:
        coastal = session.scalars(select(Customer.id).where(Customer.external_id == "C004")).one()
        call = Message(natural_key="call:revision", source="test", channel="call",
                       direction="inbound", sent_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
                       new_text="Can't do the 11th, we'll pay the $4,300 on the 18th.",
                       body_text="", customer_id=coastal)
        session.add(call)
        session.flush()
        session.add(Signal(message_id=call.id or 0, tag="promise_to_pay", start=0, end=5,
                           confidence=0.9, pipeline_version="test",
                           values={"amount": 4300.0, "currency": "USD", "date": "2026-12-18"}))
    with session_scope(engine) as session:
        update_ledger(session, datetime(2026, 11, 23, 12, tzinfo=UTC))
    engine.dispose()
    shown = runner.invoke(app, ["--config", str(demo_config), "customers", "show", "C004",
                                "--at", "2026-11-23T12:00:00+00:00"], env={"COLUMNS": "220"})
    assert shown.exit_code == 0, shown.output
    table = shown.output[shown.output.index(" promises "):]
    rows = [" ".join(line.split()) for line in table.splitlines() if "USD" in line]
    kept, moved, revision = rows
    assert "2026-11-13 │ kept" in kept and "email 2026-11-04" in kept and "chat 2026-11-12" in kept
    assert "2026-12-11 │ superseded" in moved and "chat 2026-11-12" in moved
    assert moved.endswith(f"superseded by #{revision.split()[1]} │")
    assert "2026-12-18 │ open" in revision and "call 2026-11-20" in revision
