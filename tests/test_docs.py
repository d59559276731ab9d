"""Docs that cannot drift: the README's commands exist and the CLI help lists the commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commwatch.cli import app
from commwatch.config import parse_config
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_fresh_machine_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands[:2] == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_commwatch_command_in_the_readme_exists() -> None:
    runner = CliRunner()
    mentioned = set(re.findall(r"`commwatch ([a-z]+(?: [a-z]+)?)", README))
    assert mentioned, "the README shows no commwatch commands"
    for command in mentioned:
        words = command.split()
        result = runner.invoke(app, [*words, "--help"])
        if result.exit_code != 0 and len(words) > 1:
            result = runner.invoke(app, [words[0], "--help"])
        assert result.exit_code == 0, f"`commwatch {command}` from the README: {result.output}"


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "status", "db", "config"):
        assert re.search(rf"│ {command}\b", result.output), command
    assert "COMMWATCH_CONFIG" in result.output


def test_the_readme_alert_channel_example_is_a_valid_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    section = README.split("### Alerts by e-mail and Slack", 1)[1]
    example = re.search(r"```toml\n(.*?)```", section, re.S)
    assert example is not None
    monkeypatch.setenv("COMMWATCH_SMTP_PASSWORD", "x")
    monkeypatch.setenv("COMMWATCH_SLACK_TOKEN", "xoxb-x")
    text = '[organisation]\nname = "H"\nown_domains = ["halden-supply.com"]\n' + example.group(1)
    config = parse_config(tomllib.loads(text), tmp_path / "config.toml")
    assert set(config.channels) == {"ar-email", "collections-slack"}
    assert config.notify.digest.enabled and config.notify.group_window_seconds == 60
