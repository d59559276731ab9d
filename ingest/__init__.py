"""Ingest: connectors that read sources, and the runner that stores what they hand over.

The rest of commwatch uses `build_connector`, `run_source`, `Directions` and `load_ar`
(customers, invoices and payments from AR/ERP exports); connector internals stay here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest.ar import load_ar, load_payments
from ingest.ar_files import CsvFormat
from ingest.base import (
    BadRecord,
    Batch,
    Connector,
    Conversation,
    ParsedMessage,
    RawItem,
    SourceError,
)
from ingest.chat.generic import ChatImportConnector
from ingest.chat.slack_export import SlackExportConnector
from ingest.chat.teams import TeamsExportConnector
from ingest.chat.transcripts import TranscriptConnector
from ingest.chat.whatsapp import WhatsAppConnector
from ingest.customers import CustomerFileError, CustomerResolver, load_customers, load_invoices
from ingest.files import EmlFolderConnector, MaildirConnector, MboxConnector
from ingest.imap import ImapConnector
from ingest.runner import IngestReport, run_source
from ingest.storing import Directions

CONNECTORS: dict[str, Callable[[str, Any], Connector]] = {
    "maildir": MaildirConnector,
    "eml_dir": EmlFolderConnector,
    "mbox": MboxConnector,
    "imap": ImapConnector,
    "slack_export": SlackExportConnector,
    "teams_export": TeamsExportConnector,
    "whatsapp_export": WhatsAppConnector,
    "call_transcripts": TranscriptConnector,
    "chat_import": ChatImportConnector,
}


def build_connector(name: str, config: Any) -> Connector:
    """The connector for a `[sources.NAME]` table, chosen by its `type`."""
    return CONNECTORS[config.type](name, config)


__all__ = [
    "CONNECTORS",
    "BadRecord",
    "Batch",
    "Connector",
    "Conversation",
    "CsvFormat",
    "CustomerFileError",
    "CustomerResolver",
    "Directions",
    "ImapConnector",
    "IngestReport",
    "ParsedMessage",
    "RawItem",
    "SourceError",
    "build_connector",
    "load_ar",
    "load_customers",
    "load_invoices",
    "load_payments",
    "run_source",
]
