"""Every alert the demo raises renders as e-mail and as Slack Block Kit: no template gap for
any rule's details, PII masked, Slack's limits kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from commwatch.store import Alert, create_store_engine
from notifier.email import render
from notifier.notice import load_notice
from notifier.slack import blocks
from tests.test_demo import commwatch


def test_every_demo_alert_renders_on_every_channel(demo_copy: Path) -> None:
    commwatch(demo_copy, "run", "--once")
    engine = create_store_engine(f"sqlite:///{demo_copy / 'var' / 'commwatch.db'}")
    with Session(engine) as session:
        alerts = list(session.scalars(select(Alert)))
        rules = {a.rule for a in alerts}
        assert {"unanswered", "response-sla", "broken-promises", "credit-review"} <= rules
        for alert in alerts:
            notice = load_notice(session, key=f"k{alert.id}", channel="c",
                                 recipient="ana@halden.example", kind="alert",
                                 members=[(f"k{alert.id}", alert.id or 0, "new")],
                                 review_url="https://cw.example")
            text, html = render(notice)
            assert alert.title in text and f"https://cw.example/alerts/{alert.id}" in text
            assert "<html>" in html
            layout = blocks(notice)
            assert len(layout) <= 50 and len(layout[0]["text"]["text"]) <= 150
            for block in layout:
                body = block.get("text", {}).get("text", "")
                assert len(body) <= 3000
    engine.dispose()
