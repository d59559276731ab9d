"""Config models of the chat and transcript sources, one per `type`."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from commwatch.configbase import ConfigPath, StrictModel

Name = Annotated[str, Field(min_length=1)]


class ChatSourceBase(StrictModel):
    """What every export folder shares.

    `path` is a folder that export files are dropped into (or one export file). A file is
    read once its size and modification time have not changed for `settle_seconds`, so a
    file still being copied is left for the next run. `timezone` is the zone of exports that
    write local times without an offset (WhatsApp, plain-text transcripts, naive CSV times);
    left out, it is `[calendar] timezone`. `agents` are our people as the export names them:
    display names, user ids, phone numbers, speaker or channel labels; their messages are
    outbound, everyone else's inbound (a Slack profile email in our own domains is ours too).
    `customers` maps a chat, channel, file name, participant name or phone number to a
    customer id of the master. The three windows decide which email thread a message joins
    (see "Threads across channels" in the README)."""

    path: ConfigPath
    enabled: bool = True
    settle_seconds: float = Field(default=5.0, ge=0)
    timezone: str | None = None
    agents: list[Name] = Field(default_factory=list)
    customers: dict[str, Name] = Field(default_factory=dict)
    reference_window_days: float = Field(default=60, gt=0)
    recent_window_days: float = Field(default=7, ge=0)
    session_gap_hours: float = Field(default=12, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}; expected an IANA name") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or "UTC")


class SlackExportSourceConfig(ChatSourceBase):
    """Slack workspace exports: the export ZIP, or its unpacked folder (users.json,
    channels.json, one folder per channel of per-day files). `channels` limits the channels
    read (names or ids); empty reads all."""

    type: Literal["slack_export"]
    channels: list[Name] = Field(default_factory=list)


class TeamsExportSourceConfig(ChatSourceBase):
    """Microsoft Teams chat and channel messages as Microsoft Graph returns them
    (chatMessage JSON: a `{"value": [...]}` page, a list, or one message; replies inline).
    `own_tenant_ids`: messages from users of these Entra tenants are ours."""

    type: Literal["teams_export"]
    own_tenant_ids: list[Name] = Field(default_factory=list)


class WhatsAppSourceConfig(ChatSourceBase):
    """WhatsApp "Export chat" files (.txt, or the .zip with media), Android or iOS, any
    locale. Day and month order is read from the file when a day above 12 shows it;
    otherwise `date_order` (`auto` falls back to `ambiguous_date_order`)."""

    type: Literal["whatsapp_export"]
    date_order: Literal["auto", "dmy", "mdy", "ymd"] = "auto"
    ambiguous_date_order: Literal["dmy", "mdy"] = "dmy"


class TranscriptSourceConfig(ChatSourceBase):
    """Call transcripts: WebVTT, SRT, speech-to-text JSON (AWS Transcribe, Whisper-style
    segments, a plain list of {speaker, start, end, text}) and plain text with speaker
    labels. The call's start time comes from the file (a `started_at` key, a `NOTE started`
    or `Date:` line) or from its name (`2026-11-03 14-15 Pennine.vtt`), read in `timezone`
    unless it carries an offset."""

    type: Literal["call_transcripts"]


class ChatImportColumns(StrictModel):
    """Our field = their column (CSV header or JSON key). Fields left out are read from the
    column of their own name; `sent_at`, `sender` and `text` are required in every row."""

    id: str | None = None
    conversation: str | None = None
    sent_at: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    text: str | None = None
    direction: str | None = None
    reply_to: str | None = None
    customer: str | None = None
    channel: str | None = None
    edited_at: str | None = None

    def header(self, field: str) -> str:
        return getattr(self, field) or field


class ChatImportSourceConfig(ChatSourceBase):
    """Anything else, as JSON Lines (`*.jsonl`, `*.ndjson`) or CSV (`*.csv`) with one
    message a row and the columns mapped in `[sources.NAME.columns]`. Times are ISO 8601
    (local ones read in `timezone`), epoch seconds, or `date_format` (strptime)."""

    type: Literal["chat_import"]
    channel: Literal["chat", "call", "sms"] = "chat"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    date_format: str | None = None
    columns: ChatImportColumns = Field(default_factory=ChatImportColumns)


ChatSourceConfig = (
    SlackExportSourceConfig
    | TeamsExportSourceConfig
    | WhatsAppSourceConfig
    | TranscriptSourceConfig
    | ChatImportSourceConfig
)
