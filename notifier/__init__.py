"""Notifier: routing, the outbox and its channels. The monitor queues alert events through a
`Router`; the service runs an `Outbox` to deliver them."""

from notifier.channels import Channel, ConsoleChannel, DeliveryResult, JsonlChannel, build_channel
from notifier.digest import queue_digests
from notifier.notice import Notice
from notifier.outbox import Outbox, deliver
from notifier.reminders import queue_reminders
from notifier.route import Router

__all__ = [
    "Channel",
    "ConsoleChannel",
    "DeliveryResult",
    "JsonlChannel",
    "Notice",
    "Outbox",
    "Router",
    "build_channel",
    "deliver",
    "queue_digests",
    "queue_reminders",
]
