"""The typed configuration of commwatch, read from one TOML file and validated at start-up.

Every error names the key's dotted path and what was expected; secrets are resolved here
and masked wherever the config is shown.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from commwatch.configbase import ConfigPath, MaybeSecret, Secret, StrictModel
from ingest.config import CustomerMasterConfig, SourceConfig
from monitor.calendar import CalendarConfig
from monitor.config import PromiseLedgerConfig, TeamConfig
from monitor.rules import RuleConfig
from notifier.config import ChannelConfig, EmailChannelConfig, NotifyConfig
from review.config import ReviewConfig

DEFAULT_CONFIG_ENV = "COMMWATCH_CONFIG"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))

    def render(self) -> str:
        lines = [f"invalid configuration in {self.path}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class DatabaseConfig(StrictModel):
    """Where the store lives: `sqlite:///relative/or/absolute.db` or a PostgreSQL URL."""

    url: MaybeSecret = "sqlite:///var/commwatch.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str | Secret) -> str | Secret:
        raw = value.reveal() if isinstance(value, Secret) else value
        if not raw.startswith(("sqlite:///", "postgresql+psycopg://", "postgresql://")):
            raise ValueError(
                "expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
            )
        return value


class OrganisationConfig(StrictModel):
    """Who "we" are: mail from these domains or addresses is outbound."""

    name: str = Field(min_length=1)
    own_domains: list[Annotated[str, Field(min_length=3)]] = Field(min_length=1)
    team_addresses: list[str] = Field(default_factory=list)
    timezone: str = "UTC"

    @field_validator("own_domains", "team_addresses")
    @classmethod
    def _lowercase(cls, values: list[str]) -> list[str]:
        return [v.strip().lower() for v in values]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; expected an IANA name") from None
        return value


class NlpConfig(StrictModel):
    """The tagging stage: extra lexicon folders extend the shipped ones."""

    extra_lexicons: list[ConfigPath] = Field(default_factory=list)
    batch_size: int = Field(default=256, ge=1, le=10_000)


class SchedulerConfig(StrictModel):
    """How often each stage runs under `commwatch run` (seconds)."""

    ingest_seconds: float = Field(default=60, gt=0)
    tag_seconds: float = Field(default=30, gt=0)
    monitor_seconds: float = Field(default=60, gt=0)
    notify_seconds: float = Field(default=10, gt=0)
    misfire_grace_seconds: int = Field(default=30, ge=1)


class Config(StrictModel):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    organisation: OrganisationConfig
    customers: CustomerMasterConfig | None = None
    sources: dict[str, Annotated[SourceConfig, Field(discriminator="type")]] = Field(
        default_factory=dict
    )
    nlp: NlpConfig = Field(default_factory=NlpConfig)
    promises: PromiseLedgerConfig = Field(default_factory=PromiseLedgerConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    team: TeamConfig = Field(default_factory=TeamConfig)
    rules: dict[str, Annotated[RuleConfig, Field(discriminator="type")]] = Field(
        default_factory=dict
    )
    channels: dict[str, Annotated[ChannelConfig, Field(discriminator="type")]] = Field(
        default_factory=dict
    )
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    path: Path = Field(default=Path("config.toml"), exclude=True)

    @model_validator(mode="after")
    def _digest_channel(self) -> Config:
        digest = self.notify.digest
        if digest.enabled and not isinstance(self.channels.get(digest.channel), EmailChannelConfig):
            raise ValueError(
                f"notify.digest.channel: {digest.channel!r} is not an email channel in [channels]"
            )
        return self

    @model_validator(mode="after")
    def _review_url(self) -> Config:
        base = self.review.base_url
        if base is not None and base != self.notify.review_url:
            raise ValueError(
                f"review.base_url: {base!r} differs from notify.review_url "
                f"{self.notify.review_url!r}; alert links would point elsewhere"
            )
        return self

    def review_base_url(self) -> str:
        """Where the review UI is reached: [review] base_url, else [notify] review_url."""
        return self.review.base_url or self.notify.review_url

    @model_validator(mode="after")
    def _source_zones(self) -> Config:
        # Chat and transcript exports that write local times read them in the source's
        # `timezone`, by default the business calendar's.
        for name, source in self.sources.items():
            if "timezone" in type(source).model_fields and source.timezone is None:  # type: ignore[union-attr]
                self.sources[name] = source.model_copy(update={"timezone": self.calendar.timezone})
        return self

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def database_url(self) -> str:
        """The SQLAlchemy URL, with a relative SQLite path made relative to the config file."""
        url = self.database.url
        raw = url.reveal() if isinstance(url, Secret) else url
        if raw.startswith("sqlite:///") and raw != "sqlite:///:memory:":
            file = Path(raw.removeprefix("sqlite:///"))
            if not file.is_absolute():
                file = (self.base_dir / file).resolve()
            return f"sqlite:///{file}"
        return raw

    def masked(self) -> dict[str, Any]:
        """The config as plain data for display; secrets appear as `****`."""
        return self.model_dump(mode="json")


_UNION_TAGS = {"plain", "secret"}


def _describe(error: ErrorDetails, raw: Any) -> str:
    """One line for one pydantic error: dotted key path, then what was wrong."""
    parts: list[str] = []
    node = raw
    for item in error["loc"]:
        # Discriminated unions insert the tag value into the path; it is not a key.
        if isinstance(node, dict) and item not in node and item == node.get("type"):
            continue
        if item in _UNION_TAGS and not (isinstance(node, dict) and item in node):
            continue
        parts.append(str(item))
        node = node.get(item) if isinstance(node, dict) else None
    key = ".".join(parts) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: required key is missing"
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        return (f"{key}.type: unknown type {error['input'].get('type')!r}; "
                f"expected one of {expected}")
    if kind == "union_tag_not_found":
        return f"{key}: missing key `type`"
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message} (got {error['input']!r})" if _is_scalar(error.get("input")) else (
        f"{key}: {message}"
    )


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not isinstance(value, dict)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate already-loaded TOML data; raises ConfigError naming every bad key."""
    try:
        config = Config.model_validate(
            {**data, "path": path}, context={"base_dir": path.parent.resolve()}
        )
    except ValidationError as exc:
        problems = [_describe(e, data) for e in exc.errors()]
        raise ConfigError(path, problems) from None
    return config


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the config file (argument, then $COMMWATCH_CONFIG, then ./config.toml)."""
    chosen = Path(path or os.environ.get(DEFAULT_CONFIG_ENV) or "config.toml")
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            chosen, ["file not found (use --config PATH or $COMMWATCH_CONFIG)"]) from None
    except OSError as exc:
        raise ConfigError(chosen, [f"cannot read: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(chosen, [f"not valid TOML: {exc}"]) from None
    return parse_config(data, chosen.resolve())
