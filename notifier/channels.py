"""Alert channels. `send` never raises on transport errors; it says what happened."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.panel import Panel

from notifier.config import ConsoleChannelConfig, JsonlChannelConfig

SEVERITY_STYLE = {"info": "blue", "warning": "yellow", "high": "red", "critical": "bold red"}


@dataclass(frozen=True)
class OutgoingAlert:
    """An alert as a channel sees it, for one delivery."""

    alert_id: int
    idempotency_key: str
    rule: str
    severity: str
    title: str
    summary: str
    created_at: datetime
    recipient: str = ""
    customer_id: int | None = None
    thread_id: int | None = None
    message_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "idempotency_key": self.idempotency_key,
            "alert_id": self.alert_id,
            "rule": self.rule,
            "severity": self.severity,
            "title": self.title,
            "summary": self.summary,
            "created_at": self.created_at.isoformat(),
            "customer_id": self.customer_id,
            "thread_id": self.thread_id,
            "message_id": self.message_id,
            "details": self.details,
        }


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    detail: str = ""
    retry_after: float | None = None


class Channel(Protocol):
    name: str

    def send(self, alert: OutgoingAlert) -> DeliveryResult: ...


class ConsoleChannel:
    """Prints each alert as a panel; for the embedded default and dry runs."""

    def __init__(self, name: str, config: ConsoleChannelConfig, console: Console | None = None):
        self.name = name
        self.console = console or Console()

    def send(self, alert: OutgoingAlert) -> DeliveryResult:
        style = SEVERITY_STYLE.get(alert.severity, "white")
        excerpt = alert.details.get("excerpt")
        body = alert.summary + (f"\n\n[dim]“{excerpt}”[/dim]" if excerpt else "")
        self.console.print(
            Panel(body, title=f"[{style}]{alert.severity.upper()}[/] {alert.title}",
                  subtitle=f"alert #{alert.alert_id} · {alert.rule}", expand=False)
        )
        return DeliveryResult(True, "printed")


class JsonlChannel:
    """Appends one JSON object a line. A key already in the file is not written again, so a
    crash between writing and recording the delivery cannot duplicate an alert."""

    def __init__(self, name: str, config: JsonlChannelConfig) -> None:
        self.name = name
        self.path: Path = config.path
        self._written: set[str] | None = None

    def _keys(self) -> set[str]:
        if self._written is None:
            self._written = set()
            if self.path.exists():
                with self.path.open(encoding="utf-8") as handle:
                    for line in handle:
                        try:
                            self._written.add(json.loads(line)["idempotency_key"])
                        except (json.JSONDecodeError, KeyError, TypeError):
                            continue
        return self._written

    def send(self, alert: OutgoingAlert) -> DeliveryResult:
        try:
            if alert.idempotency_key in self._keys():
                return DeliveryResult(True, f"already in {self.path}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(alert.as_json(), ensure_ascii=False) + "\n")
                handle.flush()
        except OSError as exc:
            return DeliveryResult(False, f"cannot write {self.path}: {exc.strerror}", 30.0)
        self._keys().add(alert.idempotency_key)
        return DeliveryResult(True, f"appended to {self.path}")


def build_channel(name: str, config: Any) -> Channel:
    if config.type == "console":
        return ConsoleChannel(name, config)
    if config.type == "jsonl":
        return JsonlChannel(name, config)
    raise ValueError(f"channels.{name}.type: unknown channel type {config.type!r}")
