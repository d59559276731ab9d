"""Docs that cannot drift: the README's commands exist and the CLI help lists the commands."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from commwatch.cli import app
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
