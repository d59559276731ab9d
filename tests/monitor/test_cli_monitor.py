"""`commwatch rules list|test` on the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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
