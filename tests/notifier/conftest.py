"""Fixtures for notifier tests: a loopback Slack receiver and Slack channel configs for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from notifier.config import SlackChannelConfig
from tests.notifier.slack_receiver import SlackReceiver, running_receiver

TOKEN_ENV = "CW_TEST_SLACK_BOT_TOKEN"  # noqa: S105 - a test value
WEBHOOK_ENV = "CW_TEST_SLACK_WEBHOOK_URL"


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    """A Slack receiver on a free loopback port, stopped after the test."""
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def slack_config(
    slack: SlackReceiver, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., SlackChannelConfig]:
    """Builds a Slack channel config pointing at the receiver, the secrets coming from the
    environment as in a real config: `slack_config("bot", channel="#ar")`."""
    monkeypatch.setenv(TOKEN_ENV, slack.token)
    monkeypatch.setenv(WEBHOOK_ENV, slack.webhook_url)

    def build(kind: str = "bot", **overrides: Any) -> SlackChannelConfig:
        raw: dict[str, Any] = {"type": "slack", "timeout_seconds": 5}
        if kind == "bot":
            raw.update(bot_token={"env": TOKEN_ENV}, api_url=slack.api_url, channel="#ar-alerts")
        else:
            raw.update(webhook_url={"env": WEBHOOK_ENV})
        raw.update(overrides)
        return SlackChannelConfig.model_validate(raw)

    return build
