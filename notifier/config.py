"""Config models for notification: the channels (one per `type`) and `[notify]` policy."""

from __future__ import annotations

import re
from datetime import time
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import EmailStr, Field, field_validator, model_validator

from commwatch.configbase import ConfigPath, Secret, StrictModel, is_loopback

Severity = Literal["info", "warning", "high", "critical"]
SEVERITY_RANK = {"info": 0, "warning": 1, "high": 2, "critical": 3}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> time:
    match = _HHMM.match(value.strip())
    if not match:
        raise ValueError(f"expected a time as HH:MM (24 h), got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; expected an IANA name") from None
    return value


class AlertFilter(StrictModel):
    """Which alerts a channel or route takes: rule name globs, least severity, tiers."""

    rules: list[str] = Field(default_factory=lambda: ["*"])
    exclude_rules: list[str] = Field(default_factory=list)
    min_severity: Severity = "info"
    tiers: list[str] = Field(default_factory=list, description="customer tiers; empty = all")

    def takes(self, rule: str, severity: str, tier: str | None) -> bool:
        if SEVERITY_RANK.get(severity, 0) < SEVERITY_RANK[self.min_severity]:
            return False
        if not any(fnmatchcase(rule, p) for p in self.rules):
            return False
        if any(fnmatchcase(rule, p) for p in self.exclude_rules):
            return False
        return not self.tiers or (tier or "") in self.tiers


class _ChannelBase(AlertFilter):
    enabled: bool = True
    send_resolved: bool = Field(
        default=False, description="also tell this channel when an alert it carried resolves"
    )


class ConsoleChannelConfig(_ChannelBase):
    """Print alerts to the terminal that runs commwatch."""

    type: Literal["console"]


class JsonlChannelConfig(_ChannelBase):
    """Append each alert as one JSON object a line to a file."""

    type: Literal["jsonl"]
    path: ConfigPath


class _Transport(StrictModel):
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    ca_file: ConfigPath | None = Field(
        default=None, description="a private CA added to the system's trust store"
    )

    @field_validator("ca_file")
    @classmethod
    def _ca_file_exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path


class EmailChannelConfig(_ChannelBase, _Transport):
    """Alert emails over SMTP. `to = "owner"` sends each alert to its customer's owner (an
    escalation also to the owner's manager), falling back to `fallback`; a list of
    addresses sends every alert there."""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["tls", "starttls", "plain"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    from_address: EmailStr
    from_name: str = "commwatch"
    to: Literal["owner"] | list[EmailStr] = "owner"
    fallback: list[EmailStr] = Field(default_factory=list)

    @property
    def effective_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587, "plain": 25}[self.security]

    @model_validator(mode="after")
    def _transport(self) -> EmailChannelConfig:
        if self.security == "plain" and not is_loopback(self.host):
            raise ValueError(
                f'security = "plain" sends mail unencrypted: it is allowed only for a loopback '
                f'host, not {self.host!r}; use "tls" or "starttls"'
            )
        if (self.username is None) != (self.password is None):
            raise ValueError("set both `username` and `password`, or neither")
        if self.to == "owner" and not self.fallback:
            raise ValueError(
                'to = "owner" needs `fallback` addresses for customers without an owner'
            )
        return self


class SlackRoute(AlertFilter):
    """Alerts this route takes go to `channel`; the first matching route wins."""

    channel: str = Field(min_length=1)
    customers: list[str] = Field(
        default_factory=list, description="customer external ids; empty = all"
    )


class SlackChannelConfig(_ChannelBase, _Transport):
    """Slack through an incoming webhook, or a bot token and chat.postMessage. Only the bot
    can reply in a thread, route to several channels and confirm a send after a crash."""

    type: Literal["slack"]
    webhook_url: Secret | None = None
    bot_token: Secret | None = None
    channel: str | None = Field(default=None, description="the bot's default channel")
    routes: list[SlackRoute] = Field(default_factory=list)
    api_url: str = Field(default="https://slack.com/api/", description="for a Slack-compatible "
                         "server; http:// only on a loopback host")
    mask_pii: bool = True

    @model_validator(mode="after")
    def _credentials(self) -> SlackChannelConfig:
        if (self.webhook_url is None) == (self.bot_token is None):
            raise ValueError("set exactly one of `webhook_url` or `bot_token`")
        if self.bot_token is not None and not (self.channel or self.routes):
            raise ValueError("a bot needs `channel` (or `routes`) to know where to post")
        if self.webhook_url is not None and self.routes:
            raise ValueError("an incoming webhook posts to one channel: `routes` needs `bot_token`")
        for url in [self.api_url] + ([self.webhook_url.reveal()] if self.webhook_url else []):
            _check_url(url)
        return self


def _check_url(url: str) -> None:
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit(":", 1)[0] if rest else ""
    if scheme == "https" and host:
        return
    if scheme == "http" and host and is_loopback(host):
        return
    # The URL may be a secret: say what is wrong without repeating it.
    raise ValueError("a Slack URL must be https:// (http:// only for a loopback host)")


ChannelConfig = (
    ConsoleChannelConfig | JsonlChannelConfig | EmailChannelConfig | SlackChannelConfig
)


def _critical_only() -> list[Severity]:
    return ["critical"]


class RecipientConfig(StrictModel):
    """One person's (or Slack channel's) delivery preferences."""

    timezone: str | None = Field(default=None, description="default: [calendar] timezone")
    quiet_hours: str | None = Field(default=None, description='e.g. "19:00-07:00" local time')
    quiet_except: list[Severity] = Field(
        default_factory=_critical_only, description="severities delivered even when quiet"
    )
    digest: bool = True

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return value if value is None else _zone(value)

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is None:
            return value
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f'expected "HH:MM-HH:MM", got {value!r}')
        parse_hhmm(start)
        parse_hhmm(end)
        return value

    def quiet_window(self) -> tuple[time, time] | None:
        if self.quiet_hours is None:
            return None
        start, _, end = self.quiet_hours.partition("-")
        return parse_hhmm(start), parse_hhmm(end)


class DigestConfig(StrictModel):
    """A daily summary per owner of their customers' open alerts, sent at `at` local time."""

    enabled: bool = False
    at: str = "08:00"
    channel: str = Field(default="email", description="an email channel's name")
    only_severities: list[Severity] = Field(
        default_factory=list,
        description="alerts of these severities go only into the digest, not one by one",
    )

    @field_validator("at")
    @classmethod
    def _at(cls, value: str) -> str:
        parse_hhmm(value)
        return value


class ReminderConfig(StrictModel):
    """Reminders of alerts still open and unacknowledged: after `after_hours` (per severity)
    since the last notice, the same recipients hear again, up to `max_reminders` times.
    Acknowledging the alert in the review UI, resolving it or silencing it stops them."""

    after_hours: dict[Severity, float] = Field(
        default_factory=dict,
        description="hours since the last notice before a reminder, per severity; "
        "a severity not listed is never reminded of",
    )
    max_reminders: int = Field(default=3, ge=1, le=100)

    @field_validator("after_hours")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for severity, hours in value.items():
            if hours <= 0:
                raise ValueError(f"{severity}: hours must be above 0, not {hours}")
        return value


class NotifyConfig(StrictModel):
    """Delivery policy shared by every channel."""

    review_url: str = Field(
        default="http://127.0.0.1:8000", description="base URL of the review UI, for links"
    )
    group_window_seconds: float = Field(
        default=0, ge=0, le=3600,
        description="hold an alert this long so others for the same customer join its message",
    )
    realert_minutes: float = Field(
        default=60, ge=0, description="least time before an alert that came back notifies again"
    )
    realert_max_hours: float = Field(default=24, gt=0, description="cap of the re-alert back-off")
    give_up_after_hours: float = Field(default=24, gt=0)
    claim_timeout_seconds: float = Field(
        default=300, gt=0, description="a send claimed longer ago than this by a process that "
        "is gone is recovered"
    )
    batch_size: int = Field(default=200, ge=1, le=10_000)
    recipients: dict[str, RecipientConfig] = Field(default_factory=dict)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    reminders: ReminderConfig = Field(default_factory=ReminderConfig)

    @field_validator("recipients")
    @classmethod
    def _lower(cls, value: dict[str, RecipientConfig]) -> dict[str, RecipientConfig]:
        return {k.strip().lower(): v for k, v in value.items()}

    @field_validator("review_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")
