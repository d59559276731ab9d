"""Slack workspace exports: the export ZIP or its unpacked folder.

users.json names people (and gives their profile email, which tells our people from the
customer's); channels.json, groups.json, mpims.json and dms.json name conversations and their
members; each conversation folder holds one JSON file per day. A message's natural key is
its channel and `ts`, which every export of the workspace repeats, so an overlapping export
adds nothing. Replies (`thread_ts`) point at their parent; an edited message carries its edit
time (`edited.ts`), so a later export with a newer edit brings the message's text up to date
and the earlier text is kept as a revision (see `ingest.storing`); deleted messages,
tombstones and channel events are not messages and are left out; bot messages are kept as
automatic; shared files become attachment metadata.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.base import Conversation
from ingest.chat.config import SlackExportSourceConfig
from ingest.chat.folder import ExportConnector, ExportError, ExportFile, rejected
from ingest.chat.records import ChatRecord, Rejected, clean, from_epoch, name_key

CONVERSATION_FILES = ("channels.json", "groups.json", "mpims.json", "dms.json")
# What Slack writes for people talking; every other subtype is an event (join, topic…).
MESSAGE_SUBTYPES = {None, "bot_message", "thread_broadcast", "file_share", "me_message",
                    "reply_broadcast"}
_TS = re.compile(r"^\d{9,11}\.\d{1,6}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


class _Tree:
    """The files of one export, from a ZIP or a folder, by path below the export root."""

    def __init__(self, export: ExportFile) -> None:
        self.export = export
        self.zip: zipfile.ZipFile | None = None
        if export.is_dir:
            names = [p.relative_to(export.path).as_posix() for p in export.members()]
        else:
            try:
                self.zip = zipfile.ZipFile(export.path)
            except zipfile.BadZipFile as exc:
                raise ExportError(f"not a ZIP archive: {exc}") from None
            names = [i.filename for i in self.zip.infolist() if not i.is_dir()]
        # Exports zipped by hand often sit one folder down ("Acme Slack export/users.json").
        prefix = ""
        for name in names:
            if PurePosixPath(name).name in ("users.json", "channels.json"):
                parent = str(PurePosixPath(name).parent)
                prefix = "" if parent == "." else parent + "/"
                break
        self.files = {n[len(prefix):]: n for n in names if n.startswith(prefix)}

    def read(self, name: str) -> bytes:
        real = self.files[name]
        if self.zip is not None:
            return self.zip.read(real)
        return (self.export.path / real).read_bytes()

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


@dataclass
class _Channel:
    id: str
    name: str
    folder: str
    members: list[str]


class SlackExportConnector(ExportConnector):
    suffixes = (".zip",)

    def __init__(self, name: str, config: SlackExportSourceConfig) -> None:
        super().__init__(name, config)
        self.only = {name_key(c.lstrip("#")) for c in config.channels}

    def is_export_dir(self, path: Path) -> bool:
        return (path / "users.json").is_file() or (path / "channels.json").is_file()

    def read(self, export: ExportFile, start: int) -> Iterator[ChatRecord | Rejected]:
        tree = _Tree(export)
        try:
            users = _users(self._json(tree, "users.json", export) or [])
            for channel in self._channels(tree, export):
                if self.only and not ({name_key(channel.name), name_key(channel.id)}
                                      & self.only):
                    continue
                yield from self._channel(tree, export, channel, users)
        finally:
            tree.close()

    def _json(self, tree: _Tree, name: str, export: ExportFile) -> Any:
        if name not in tree.files:
            return None
        try:
            return json.loads(tree.read(name))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ExportError(f"{name} is not valid JSON: {exc}") from None

    def _channels(self, tree: _Tree, export: ExportFile) -> list[_Channel]:
        found: list[_Channel] = []
        for listing in CONVERSATION_FILES:
            for raw in self._json(tree, listing, export) or []:
                if not isinstance(raw, dict) or "id" not in raw:
                    continue
                name = str(raw.get("name") or raw["id"])
                # dms.json conversations are exported in folders named by id.
                folder = raw["id"] if listing == "dms.json" else name
                found.append(_Channel(str(raw["id"]), name, folder,
                                      [str(m) for m in raw.get("members") or []]))
        return found

    def _channel(
        self, tree: _Tree, export: ExportFile, channel: _Channel, users: dict[str, dict[str, str]]
    ) -> Iterator[ChatRecord | Rejected]:
        days = sorted(n for n in tree.files
                      if str(PurePosixPath(n).parent) == channel.folder
                      and _DAY.match(PurePosixPath(n).name))
        members = [users.get(m, {"id": m}) for m in channel.members]
        conversation = Conversation(
            key=f"slack:{channel.id}",
            title=f"Slack #{channel.name}",
            customer_ref=self.people.customer_for(channel.name, "#" + channel.name, channel.id),
            reference_window_days=self.config.reference_window_days,
            recent_window_days=self.config.recent_window_days,
            session_gap_hours=self.config.session_gap_hours,
        )
        all_agents = bool(members) and all(self._is_agent(m) for m in members)
        previous: str | None = None
        for day in days:
            where = f"{export.label}:{day}"
            data = tree.read(day)
            try:
                messages = json.loads(data)
                if not isinstance(messages, list):
                    raise ValueError("expected a list of messages")
            except (ValueError, UnicodeDecodeError) as exc:
                yield rejected(conversation.key, where, f"not a Slack day file: {exc}", data)
                continue
            ordered = sorted(
                (m for m in messages if isinstance(m, dict)),
                key=lambda m: str(m.get("ts", "")),
            )
            for index, msg in enumerate(messages):
                if not isinstance(msg, dict):
                    yield rejected(conversation.key, f"{where} message #{index + 1}",
                                   "not a JSON object", json.dumps(msg).encode())
            for msg in ordered:
                position = f"{where} message ts={msg.get('ts')}"
                entry = self._message(msg, channel, conversation, users, members, all_agents,
                                      previous, position)
                if entry is None:
                    continue
                if isinstance(entry, ChatRecord) and entry.in_reply_to is None:
                    previous = entry.message_id
                yield entry

    def _is_agent(self, user: dict[str, str]) -> bool:
        return self.people.is_agent(user.get("id"), user.get("name"), user.get("real_name"),
                                    user.get("display_name"), user.get("email"))

    def _message(
        self,
        msg: dict[str, Any],
        channel: _Channel,
        conversation: Conversation,
        users: dict[str, dict[str, str]],
        members: list[dict[str, str]],
        all_agents: bool,
        previous: str | None,
        position: str,
    ) -> ChatRecord | Rejected | None:
        subtype = msg.get("subtype")
        if (subtype not in MESSAGE_SUBTYPES or msg.get("hidden")
                or msg.get("type", "message") != "message"):
            return None  # joins, topics, deletions, tombstones: events, not messages
        ts = str(msg.get("ts", ""))
        raw = json.dumps(msg, ensure_ascii=False).encode()
        if not _TS.match(ts):
            return rejected(conversation.key, position, f"no valid `ts` ({ts!r})", raw)
        user_id = str(msg.get("user") or msg.get("bot_id") or "")
        profile = {**(msg.get("user_profile") or {}), **users.get(user_id, {})}
        bot = subtype == "bot_message" or bool(msg.get("bot_id") and not msg.get("user"))
        name = (profile.get("real_name") or profile.get("display_name") or msg.get("username")
                or (msg.get("bot_profile") or {}).get("name") or user_id)
        email = (profile.get("email") or "").lower()
        sender = email or (f"slack:{user_id}" if user_id else "slack:unknown")
        agent = self._is_agent({**profile, "id": user_id, "real_name": name})
        direction = ("internal" if all_agents else "outbound") if agent else None
        text, new_text = _message_text(msg, users)
        attachments = [
            {"filename": str(f.get("name") or f.get("title") or ""),
             "content_type": str(f.get("mimetype") or ""), "size": int(f.get("size") or 0)}
            for f in msg.get("files") or [] if isinstance(f, dict) and f.get("mode") != "tombstone"
        ]
        if not text and not attachments:
            return None  # an empty message (e.g. a file since deleted)
        edited = msg.get("edited")
        edited_ts = str(edited.get("ts", "")) if isinstance(edited, dict) else ""
        message_id = f"slack:{channel.id}:{ts}"
        thread_ts = str(msg.get("thread_ts") or "")
        parent = f"slack:{channel.id}:{thread_ts}" if thread_ts and thread_ts != ts else None
        recipients = [
            (m.get("email") or f"slack:{m['id']}").lower()
            for m in members if m.get("id") != user_id
        ]
        return ChatRecord(
            natural_key=message_id,
            position=position,
            channel="chat",
            sender=sender,
            sender_name=name,
            sent_at=from_epoch(float(ts)),
            text=text,
            new_text=new_text,
            message_id=message_id,
            conversation=conversation,
            recipients=recipients,
            in_reply_to=parent,
            previous=None if parent else previous,
            attachments=attachments,
            automatic="bot" if bot else None,
            direction=direction,
            edited_at=from_epoch(float(edited_ts)) if _TS.match(edited_ts) else None,
        )


def _users(raw: list[Any]) -> dict[str, dict[str, str]]:
    users: dict[str, dict[str, str]] = {}
    for user in raw:
        if not isinstance(user, dict) or "id" not in user:
            continue
        profile = user.get("profile") or {}
        users[str(user["id"])] = {
            "id": str(user["id"]),
            "name": str(user.get("name") or ""),
            "real_name": clean(str(profile.get("real_name") or user.get("real_name") or "")),
            "display_name": clean(str(profile.get("display_name") or "")),
            "email": str(profile.get("email") or ""),
            "phone": str(profile.get("phone") or ""),
        }
    return users


def _mrkdwn(text: str, users: dict[str, dict[str, str]]) -> str:
    """Slack's escaped markup to plain text: mentions by name, links by their label."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            user = users.get(target[1:], {})
            return "@" + (user.get("real_name") or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0]).lstrip("@")
        if target.startswith("mailto:"):
            return label or target[7:]
        return label or target

    return html.unescape(_LINK.sub(link, text))


def _message_text(msg: dict[str, Any], users: dict[str, dict[str, str]]) -> tuple[str, str]:
    """(whole text, text without quoted parts): from rich-text blocks when the message has
    them (they keep quotes apart), else from its mrkdwn text; a bot's empty text from its
    attachments' fallback."""
    blocks = [b for b in msg.get("blocks") or [] if isinstance(b, dict)]
    rich = [b for b in blocks if b.get("type") == "rich_text"]
    if rich:
        whole: list[str] = []
        own: list[str] = []
        for block in rich:
            for element in block.get("elements") or []:
                part = _rich(element, users).strip("\n")
                if not part:
                    continue
                if element.get("type") == "rich_text_quote":
                    whole.append("\n".join("> " + line for line in part.split("\n")))
                else:
                    whole.append(part)
                    own.append(part)
        return "\n".join(whole).strip(), "\n".join(own).strip()
    text = _mrkdwn(str(msg.get("text") or ""), users)
    if not text.strip():
        text = "\n".join(
            str(a.get("fallback") or a.get("text") or "")
            for a in msg.get("attachments") or [] if isinstance(a, dict)
        )
    text = clean(text).strip()
    own_lines = [line for line in text.split("\n") if not line.startswith(">")]
    return text, "\n".join(own_lines).strip()


def _rich(element: dict[str, Any], users: dict[str, dict[str, str]]) -> str:
    kind = element.get("type")
    if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
        return "".join(_inline(e, users) for e in element.get("elements") or [])
    if kind == "rich_text_list":
        ordered = element.get("style") == "ordered"
        items = [_rich(e, users) for e in element.get("elements") or []]
        return "\n".join(f"{i}. {t}" if ordered else f"- {t}" for i, t in enumerate(items, 1))
    return _inline(element, users)


def _inline(element: dict[str, Any], users: dict[str, dict[str, str]]) -> str:
    kind = element.get("type")
    if kind == "text":
        return clean(str(element.get("text") or ""))
    if kind == "user":
        uid = str(element.get("user_id") or "")
        return "@" + (users.get(uid, {}).get("real_name") or uid)
    if kind == "channel":
        return "#" + str(element.get("channel_id") or "")
    if kind == "link":
        return str(element.get("text") or element.get("url") or "")
    if kind == "emoji":
        code = element.get("unicode")
        try:
            return "".join(chr(int(c, 16)) for c in str(code).split("-")) if code else (
                f":{element.get('name')}:")
        except ValueError:
            return f":{element.get('name')}:"
    if kind == "broadcast":
        return "@" + str(element.get("range") or "")
    if kind == "usergroup":
        return "@" + str(element.get("usergroup_id") or "")
    if kind == "date":
        return str(element.get("fallback") or "")
    if "elements" in element:
        return _rich(element, users)
    return ""
