"""Config validation: every bad key is named by its dotted path; secrets resolved and masked."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commwatch.cli import app
from commwatch.config import ConfigError, load_config, parse_config
from tests.conftest import ROOT

BASE = """
[organisation]
name = "Halden"
own_domains = ["halden-supply.example"]
"""


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("[databse]\nurl = 'sqlite:///x.db'\n", "databse: unknown key"),
        ("[scheduler]\ntag_seconds = 'fast'\n",
         "scheduler.tag_seconds: Input should be a valid number"),
        ("[scheduler]\ntag_seconds = -5\n",
         "scheduler.tag_seconds: Input should be greater than 0"),
        ("[sources.mail]\ntype = 'maildir'\n", "sources.mail.path: required key is missing"),
        ("[sources.mail]\ntype = 'maildir'\npath = 'x'\nfolder = 'y'\n",
         "sources.mail.folder: unknown key"),
        ("[sources.mail]\ntype = 'pop3'\n", "sources.mail.type: unknown type 'pop3'"),
        ("[sources.mail]\npath = 'x'\n", "sources.mail: missing key `type`"),
        ("[rules.slow]\ntype = 'unanswered_inbound'\nhours = 'a day'\n", "rules.slow.hours"),
        ("[channels.file]\ntype = 'jsonl'\n", "channels.file.path: required key is missing"),
        ("[database]\nurl = 'mysql://db'\n", "database.url: expected sqlite:///PATH"),
        ("[database]\nurl = { env = 'COMMWATCH_TEST_UNSET_SECRET' }\n",
         "database.url: environment variable COMMWATCH_TEST_UNSET_SECRET is not set"),
        ("[database]\nurl = { file = 'missing-secret.txt' }\n",
         "database.url: cannot read secret file"),
        ("[database]\nurl = { env = 'A', file = 'b' }\n", "database.url: a secret is written"),
        ("[organisation.extra]\nx = 1\n", "organisation.extra: unknown key"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, extra: str, expected: str) -> None:
    path = write(tmp_path, extra)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert str(path) in caught.value.render()


def test_missing_organisation_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[database]\nurl = 'sqlite:///x.db'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == ["organisation: required key is missing"]


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[sources\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_secret_from_env_and_file_resolved_and_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CW_TEST_DB_URL", "postgresql+psycopg://app:hunter2@db.internal/cw")
    path = write(tmp_path, "[database]\nurl = { env = 'CW_TEST_DB_URL' }\n")
    config = load_config(path)
    assert config.database_url() == "postgresql+psycopg://app:hunter2@db.internal/cw"
    assert "hunter2" not in repr(config)
    assert "hunter2" not in str(config.masked())

    (tmp_path / "db.secret").write_text("postgresql+psycopg://app:s3cret@db/cw\n")
    path = write(tmp_path, "[database]\nurl = { file = 'db.secret' }\n")
    assert load_config(path).database_url() == "postgresql+psycopg://app:s3cret@db/cw"


def test_cli_config_error_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[rules.r]\ntype = 'unanswered_inbound'\nhours = 'soon'\n")
    result = CliRunner().invoke(app, ["--config", str(path), "config", "check"])
    assert result.exit_code == 2
    assert "rules.r.hours" in result.output


def test_cli_config_show_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CW_TEST_DB_URL", "postgresql+psycopg://app:hunter2@db/cw")
    path = write(tmp_path, "[database]\nurl = { env = 'CW_TEST_DB_URL' }\n")
    result = CliRunner().invoke(app, ["--config", str(path), "config", "show"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert "env CW_TEST_DB_URL" in result.output


def test_config_from_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "")
    monkeypatch.setenv("COMMWATCH_CONFIG", str(path))
    result = CliRunner().invoke(app, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert str(path) in result.output.replace("\n", "")


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[sources.m]\ntype = 'maildir'\npath = 'mail'\n")
    config = load_config(path)
    assert config.sources["m"].path == (tmp_path / "mail").resolve()
    assert config.database_url() == f"sqlite:///{(tmp_path / 'var/commwatch.db').resolve()}"


def test_shipped_config_is_the_embedded_default() -> None:
    config = load_config(ROOT / "config.toml")
    assert config.database_url().startswith("sqlite:///")
    assert config.database_url().endswith("/var/commwatch.db")
    assert all(str(s.path).startswith(str(ROOT / "demo")) for s in config.sources.values())
    assert {c.type for c in config.channels.values()} == {"console", "jsonl"}
    raw = tomllib.loads((ROOT / "config.toml").read_text())
    assert "env" not in str(raw.get("database", {}))  # no secret needed to run the demo
    parse_config(raw, ROOT / "config.toml")
