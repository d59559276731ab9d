"""`commwatch alerts list|show|retry` and `commwatch silences` against a real SMTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from commwatch.cli import app
from commwatch.config import load_config
from commwatch.service import Service
from tests.notifier.helpers import customer, finding, record
from tests.notifier.smtp_server import SmtpServer, smtp_server  # noqa: F401

runner = CliRunner()


def write_config(tmp_path: Path, server: SmtpServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[database]
url = "sqlite:///{tmp_path / 'store.db'}"

[organisation]
name = "Halden Industrial Supply"
own_domains = ["halden.example"]

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {server.port}
security = "plain"
from_address = "alerts@halden.example"
to = ["ar-team@halden.example"]

[notify]
give_up_after_hours = 1
""")
    return path


def test_a_failed_delivery_is_listed_shown_with_its_attempts_and_retried(
    tmp_path: Path, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    config_path = write_config(tmp_path, smtp_server)
    service = Service(load_config(config_path))
    service.prepare()
    cid = customer(service.engine, "C004", None, name="Coastal Fabrication")
    smtp_server.stop()
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    record(service.engine, service.router, [finding("INV-1042", cid, severity="high")], long_ago)
    service._notify()  # the server is down and the alert is past its give-up time
    base = ["--config", str(config_path)]

    listed = runner.invoke(app, [*base, "alerts", "list", "--delivery", "failed", "--json"])
    assert listed.exit_code == 0, listed.output
    [alert] = json.loads(listed.stdout)
    [delivery] = alert["deliveries"]
    assert (delivery["channel"], delivery["status"]) == ("mail", "failed")
    assert delivery["detail"].startswith("gave up")

    shown = runner.invoke(app, [*base, "alerts", "show", str(alert["id"])])
    assert shown.exit_code == 0, shown.output
    assert "mail → ar-team@halden.example: failed (new, 1 attempt(s))" in shown.output
    assert f"cannot reach 127.0.0.1:{smtp_server.port}" in shown.output
    table = runner.invoke(app, [*base, "alerts", "list"])
    assert "channel mail failing (1×)" in table.output

    smtp_server.start()
    retried = runner.invoke(app, [*base, "alerts", "retry", "--channel", "mail"])
    assert "1 failed delivery queued again" in retried.output
    assert service._notify()["sent"] == 1
    assert [r.recipients for r in smtp_server.received] == [["ar-team@halden.example"]]
    again = runner.invoke(app, [*base, "alerts", "show", str(alert["id"]), "--json"])
    [delivery] = json.loads(again.stdout)["deliveries"]
    assert delivery["status"] == "sent"
    assert [a["ok"] for a in delivery["attempts"]] == [False, True]


def test_silences_add_list_end(tmp_path: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    config_path = write_config(tmp_path, smtp_server)
    service = Service(load_config(config_path))
    service.prepare()
    customer(service.engine, "C004", None)
    base = ["--config", str(config_path), "silences"]
    added = runner.invoke(app, [*base, "add", "--customer", "C004", "--for", "2d",
                                "--reason", "payment plan agreed", "--by", "ana"])
    assert added.exit_code == 0, added.output
    assert added.output.startswith("silence #1 until ")
    [listed] = json.loads(runner.invoke(app, [*base, "list", "--json"]).stdout)
    assert (listed["customer"], listed["reason"], listed["created_by"], listed["state"]) == (
        "C004", "payment plan agreed", "ana", "active")
    assert runner.invoke(app, [*base, "end", "1"]).exit_code == 0
    assert json.loads(runner.invoke(app, [*base, "list", "--json"]).stdout) == []
    [ended] = json.loads(runner.invoke(app, [*base, "list", "--all", "--json"]).stdout)
    assert ended["state"] == "ended"
    bad = runner.invoke(app, [*base, "add", "--customer", "NOPE", "--for", "1h",
                              "--reason", "x"])
    assert bad.exit_code == 2 and "no customer with id 'NOPE'" in bad.output
    bad = runner.invoke(app, [*base, "add", "--rule", "x", "--for", "soon", "--reason", "x"])
    assert bad.exit_code == 2 and "expected a duration like 90m" in bad.output


def test_channels_test_sends_one_notice_and_reports_the_answer(
    tmp_path: Path, smtp_server: SmtpServer,  # noqa: F811
) -> None:
    config_path = write_config(tmp_path, smtp_server)
    base = ["--config", str(config_path), "channels", "test"]
    ok = runner.invoke(app, [*base, "mail"])
    assert ok.exit_code == 0, ok.output
    assert f"ok: accepted by 127.0.0.1:{smtp_server.port} for ar-team@halden.example" in ok.output
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "[INFO] commwatch test notice on channel mail"
    smtp_server.stop()
    down = runner.invoke(app, [*base, "mail", "--to", "ana@halden.example"])
    assert down.exit_code == 1 and "failed: cannot reach 127.0.0.1" in down.output
    assert runner.invoke(app, [*base, "nope"]).exit_code == 2
