"""Alert channels. `send` never raises on transport errors; it says what happened.

A channel that can tell whether a notice already went out (`confirm`) lets the outbox recover
from a crash between sending and recording without sending twice; one that cannot is resent
under the same key and the delivery is marked as a possible duplicate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from notifier.config import ConsoleChannelConfig, JsonlChannelConfig
from notifier.notice import AlertView, Notice

SEVERITY_STYLE = {"info": "blue", "warning": "yellow", "high": "red", "critical": "bold red"}


@dataclass(frozen=True)
class DeliveryResult:
    """What a send did. `scope="channel"` means the channel as a whole failed (server down,
    rate limit): every delivery on it waits, so they resume in order."""

    ok: bool
    detail: str = ""
    retry_after: float | None = None
    scope: Literal["delivery", "channel"] = "delivery"
    external_ref: str = ""
    permanent: bool = False


class Channel(Protocol):
    name: str

    def send(self, notice: Notice) -> DeliveryResult: ...

    def confirm(self, notice: Notice) -> bool | None:
        """True if the notice is known to have gone out, False if known not, None if the
        channel cannot tell."""
        ...


def alert_json(notice: Notice, alert: AlertView) -> dict[str, Any]:
    return {
        "idempotency_key": alert.delivery_key,
        "alert_id": alert.alert_id,
        "event": alert.event,
        "rule": alert.rule,
        "severity": alert.severity,
        "title": alert.title,
        "summary": alert.summary,
        "created_at": alert.created_at.isoformat(),
        "customer_id": alert.customer_id,
        "customer": notice.customer.name if notice.customer else None,
        "thread_id": alert.thread_id,
        "message_id": alert.message_id,
        "link": alert.message_url or alert.alert_url,
        "evidence": [
            {"tag": e.tag, "confidence": round(e.confidence, 3), "span": e.span,
             "excerpt": e.excerpt} for e in alert.evidence
        ],
        "credit": notice.credit.lines() if notice.credit else [],
        "details": alert.details,
    }


class ConsoleChannel:
    """Prints each alert as a panel; for the embedded default and dry runs."""

    def __init__(self, name: str, config: ConsoleChannelConfig, console: Console | None = None):
        self.name = name
        self.console = console or Console()

    def send(self, notice: Notice) -> DeliveryResult:
        for alert in notice.alerts:
            style = SEVERITY_STYLE.get(alert.severity, "white")
            excerpt = alert.excerpt()
            body = escape(alert.summary) + (
                f"\n\n[dim]“{escape(excerpt)}”[/dim]" if excerpt else "")
            if notice.credit:
                body += "\n[dim]" + escape(" · ".join(notice.credit.lines())) + "[/dim]"
            self.console.print(Panel(
                body, title=f"[{style}]{alert.severity.upper()}[/] {escape(alert.title)}",
                subtitle=f"alert #{alert.alert_id} · {alert.rule}", expand=False,
            ))
        return DeliveryResult(True, "printed")

    def confirm(self, notice: Notice) -> bool | None:
        return None  # a terminal cannot be asked what it printed; printing twice is harmless


class JsonlChannel:
    """Appends one JSON object per alert a line. A key already in the file is not written
    again, so a crash between writing and recording cannot duplicate an alert."""

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

    def send(self, notice: Notice) -> DeliveryResult:
        try:
            fresh = [a for a in notice.alerts if a.delivery_key not in self._keys()]
            if not fresh:
                return DeliveryResult(True, f"already in {self.path}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                for alert in fresh:
                    handle.write(json.dumps(alert_json(notice, alert), ensure_ascii=False) + "\n")
                handle.flush()
        except OSError as exc:
            return DeliveryResult(False, f"cannot write {self.path}: {exc.strerror}", 30.0,
                                  scope="channel")
        self._keys().update(a.delivery_key for a in fresh)
        return DeliveryResult(True, f"appended to {self.path}")

    def confirm(self, notice: Notice) -> bool | None:
        self._written = None  # re-read: another process may have written meanwhile
        return all(a.delivery_key in self._keys() for a in notice.alerts)


def build_channel(name: str, config: Any) -> Channel:
    if config.type == "console":
        return ConsoleChannel(name, config)
    if config.type == "jsonl":
        return JsonlChannel(name, config)
    if config.type == "email":
        from notifier.email import EmailChannel

        return EmailChannel(name, config)
    if config.type == "slack":
        from notifier.slack import SlackChannel

        return SlackChannel(name, config)
    raise ValueError(f"channels.{name}.type: unknown channel type {config.type!r}")
