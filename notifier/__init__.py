"""Notifier: channels and the outbox. The rest of commwatch calls `deliver`."""

from notifier.channels import (
    Channel,
    ConsoleChannel,
    DeliveryResult,
    JsonlChannel,
    OutgoingAlert,
    build_channel,
)
from notifier.outbox import deliver

__all__ = [
    "Channel",
    "ConsoleChannel",
    "DeliveryResult",
    "JsonlChannel",
    "OutgoingAlert",
    "build_channel",
    "deliver",
]
