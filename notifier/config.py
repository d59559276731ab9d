"""Config models for the alert channels, one per `type`."""

from __future__ import annotations

from typing import Literal

from commwatch.configbase import ConfigPath, StrictModel


class ConsoleChannelConfig(StrictModel):
    """Print alerts to the terminal that runs commwatch."""

    type: Literal["console"]
    enabled: bool = True


class JsonlChannelConfig(StrictModel):
    """Append each alert as one JSON object a line to a file."""

    type: Literal["jsonl"]
    path: ConfigPath
    enabled: bool = True


ChannelConfig = ConsoleChannelConfig | JsonlChannelConfig
