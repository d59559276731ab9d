"""Microsoft Teams chat and channel messages as Microsoft Graph returns them.

A file holds chatMessage objects: a Graph page (`{"value": [...]}`), a plain list, one
message, or `{"chat": {...}, "members": [...], "messages": [...]}` as export tools write
it. Replies come as their own messages with `replyToId` or nested under `replies`. HTML
bodies are read as text, the quoted message of a reply is kept out of the new text, deleted
messages and system events are left out. The natural key is the chat (or channel) and the
message id Graph gives it; an edited message carries `lastEditedDateTime`, so a later export
with a newer edit brings the text up to date and keeps the earlier one as a revision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ingest.base import Conversation
from ingest.chat.config import TeamsExportSourceConfig
from ingest.chat.folder import ExportConnector, ExportError, ExportFile, rejected
from ingest.chat.records import ChatRecord, Rejected, clean, parse_iso
from ingest.html import html_to_text

_QUOTE = re.compile(r"<blockquote\b[^>]*>.*?</blockquote>", re.S | re.I)
_ATTACHMENT_TAG = re.compile(r"<attachment\b[^>]*>\s*(?:</attachment>)?", re.I)


class TeamsExportConnector(ExportConnector):
    suffixes = (".json",)

    def __init__(self, name: str, config: TeamsExportSourceConfig) -> None:
        super().__init__(name, config)
        self.tenants = {t.lower() for t in config.own_tenant_ids}

    def read(self, export: ExportFile, start: int) -> Iterator[ChatRecord | Rejected]:
        try:
            doc = json.loads(export.path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ExportError(f"not valid JSON: {exc}") from None
        chat: dict[str, Any] = {}
        members: list[dict[str, Any]] = []
        if isinstance(doc, dict) and isinstance(doc.get("value"), list):
            raw_messages = doc["value"]
        elif isinstance(doc, dict) and isinstance(doc.get("messages"), list):
            raw_messages = doc["messages"]
            chat = doc["chat"] if isinstance(doc.get("chat"), dict) else {}
            members = [m for m in doc.get("members") or chat.get("members") or []
                       if isinstance(m, dict)]
        elif isinstance(doc, list):
            raw_messages = doc
        elif isinstance(doc, dict) and "body" in doc:
            raw_messages = [doc]
        else:
            raise ExportError("expected Graph chatMessage JSON: {\"value\": [...]}, a list "
                              "of messages or one message")
        flat: list[tuple[str, Any]] = []
        for i, msg in enumerate(raw_messages):
            flat.append((f"value[{i}]", msg))
            if isinstance(msg, dict):
                for j, reply in enumerate(msg.get("replies") or []):
                    if isinstance(reply, dict) and not reply.get("replyToId"):
                        reply = {**reply, "replyToId": msg.get("id")}
                    flat.append((f"value[{i}].replies[{j}]", reply))
        first = next((m for _, m in flat if isinstance(m, dict)), {})
        conv_id = str(chat.get("id") or first.get("chatId")
                      or (first.get("channelIdentity") or {}).get("channelId")
                      or export.path.stem)
        title = str(chat.get("topic") or export.path.stem)
        by_user = {str(m.get("userId") or m.get("id")): m for m in members}
        conversation = Conversation(
            key=f"teams:{conv_id}",
            title=f"Teams: {title}",
            customer_ref=self.people.customer_for(title, conv_id, export.path.stem),
            reference_window_days=self.config.reference_window_days,
            recent_window_days=self.config.recent_window_days,
            session_gap_hours=self.config.session_gap_hours,
        )
        records: list[ChatRecord] = []
        for where, msg in flat:
            position = f"{export.label} {where}"
            entry = self._message(msg, conv_id, conversation, by_user, members, position)
            if isinstance(entry, Rejected):
                yield entry
            elif entry is not None:
                records.append(entry)
        records.sort(key=lambda r: r.sent_at)
        previous: str | None = None
        for record in records:
            if record.in_reply_to is None:
                record.previous = previous
                previous = record.message_id
            yield record

    def _message(
        self,
        msg: Any,
        conv_id: str,
        conversation: Conversation,
        by_user: dict[str, dict[str, Any]],
        members: list[dict[str, Any]],
        position: str,
    ) -> ChatRecord | Rejected | None:
        raw = json.dumps(msg, ensure_ascii=False).encode()
        if not isinstance(msg, dict):
            return rejected(conversation.key, position, "not a JSON object", raw)
        if msg.get("messageType", "message") != "message" or msg.get("deletedDateTime"):
            return None  # system events and deleted messages are not messages
        if not msg.get("id"):
            return rejected(conversation.key, position, "message without an `id`", raw)
        try:
            sent_at: datetime = parse_iso(str(msg["createdDateTime"]), self.zone)
        except (KeyError, ValueError) as exc:
            return rejected(conversation.key, position,
                            f"no readable `createdDateTime` ({exc})", raw)
        sender_info = msg.get("from") or {}
        user = sender_info.get("user") or {}
        app = sender_info.get("application") or {}
        user_id = str(user.get("id") or app.get("id") or "")
        name = clean(str(user.get("displayName") or app.get("displayName") or user_id))
        member = by_user.get(user_id, {})
        email = str(member.get("email") or user.get("email") or "").lower()
        body = msg.get("body") or {}
        content = str(body.get("content") or "")
        if str(body.get("contentType", "text")).lower() == "html":
            cleaned = _ATTACHMENT_TAG.sub("", content)
            text = html_to_text(cleaned)
            new_text = html_to_text(_QUOTE.sub("", cleaned))
        else:
            text = new_text = content.strip()
        attachments = [
            {"filename": str(a.get("name") or ""), "content_type": str(a.get("contentType") or ""),
             "size": 0}
            for a in msg.get("attachments") or []
            if isinstance(a, dict) and a.get("contentType") != "messageReference"
        ]
        if not text and not attachments:
            return None
        tenant = str(user.get("tenantId") or "").lower()
        if self.people.is_agent(user_id, name, email) or (tenant and tenant in self.tenants):
            direction: str | None = "outbound"
        else:
            direction = None if email else "inbound"
        try:
            edited_at = parse_iso(str(msg["lastEditedDateTime"]), self.zone) if msg.get(
                "lastEditedDateTime") else None
        except ValueError as exc:
            return rejected(conversation.key, position,
                            f"no readable `lastEditedDateTime` ({exc})", raw)
        message_id = f"teams:{conv_id}:{msg['id']}"
        reply_to = msg.get("replyToId")
        recipients = sorted({
            str(m.get("email") or f"teams:{m.get('userId') or m.get('id')}").lower()
            for m in members if str(m.get("userId") or m.get("id")) != user_id
        })
        return ChatRecord(
            natural_key=message_id,
            position=position,
            channel="chat",
            sender=email or f"teams:{user_id}",
            sender_name=name,
            sent_at=sent_at,
            text=clean(text),
            new_text=clean(new_text),
            message_id=message_id,
            conversation=conversation,
            recipients=recipients,
            in_reply_to=f"teams:{conv_id}:{reply_to}" if reply_to else None,
            attachments=attachments,
            automatic="bot" if app and not user else None,
            direction=direction,
            edited_at=edited_at,
        )
