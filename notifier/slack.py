"""Slack alerts through slack-sdk: an incoming webhook, or a bot token with chat.postMessage.

The bot replies in the thread of the first notice on a topic, and tags each post with the
notice key in Slack message metadata so that, after a crash mid-send, `confirm` can look in
the channel's history instead of posting twice. Card and account numbers are masked.
"""

from __future__ import annotations

import logging
import re
import ssl
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from nlp.pii import mask_pii
from notifier.channels import DeliveryResult
from notifier.config import SlackChannelConfig
from notifier.notice import AlertView, Notice

EMOJI = {"info": ":information_source:", "warning": ":warning:", "high": ":red_circle:",
         "critical": ":rotating_light:"}
EVENT = {"reopened": "Back again", "escalated": "Severity raised", "resolved": "Resolved",
         "reminder": "Still open"}
METADATA_EVENT = "commwatch_alert"
MAX_ALERTS_SHOWN = 8  # Slack allows 50 blocks a message
# Errors that concern this one message: retrying it will not help.
MESSAGE_ERRORS = {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long",
                  "invalid_blocks", "invalid_blocks_format", "no_text", "too_many_attachments",
                  "invalid_payload"}
# conversations.history and .replies take a channel ID; a route may name the channel.
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class _Redact(logging.Filter):
    """slack-sdk logs the webhook URL with each request (DEBUG) and a response body it cannot
    parse (ERROR), which may quote the request: both reach the logs with the secrets cut."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cut = text
        for secret in self.secrets:
            cut = cut.replace(secret, "****")
        if cut != text:
            record.msg, record.args = cut, None
        return True


def escape(text: str) -> str:
    """Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, mask: bool) -> str:
    return mask_pii(text) if mask else text


def blocks(notice: Notice, mask: bool = True) -> list[dict[str, Any]]:
    """Block Kit layout: header, then per alert its summary, evidence with the span in bold,
    and links; then the customer's credit snapshot."""
    out: list[dict[str, Any]] = []
    header = notice.subject if len(notice.alerts) > 1 else (
        f"{EMOJI.get(notice.severity, '')} {notice.alerts[0].title}")
    out.append({"type": "header",
                "text": {"type": "plain_text", "text": _plain(header, mask)[:150], "emoji": True}})
    for index, alert in enumerate(notice.alerts[:MAX_ALERTS_SHOWN]):
        if index:
            out.append({"type": "divider"})
        out.extend(_alert_blocks(alert, mask, many=len(notice.alerts) > 1))
    if len(notice.alerts) > MAX_ALERTS_SHOWN:
        rest = len(notice.alerts) - MAX_ALERTS_SHOWN
        out.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"…and {rest} more alert(s) for this customer"}]})
    if notice.customer is not None:
        c = notice.customer
        lines = [f"*<{c.url}|{escape(c.name)}>* ({escape(c.external_id)})"
                 + (f" · tier {escape(c.tier)}" if c.tier else "")
                 + (f" · owner {escape(c.owner)}" if c.owner else "")]
        lines += [escape(line) for line in (notice.credit.lines() if notice.credit else [])]
        out.append({"type": "context",
                    "elements": [{"type": "mrkdwn", "text": "\n".join(lines)[:3000]}]})
    return out


def _alert_blocks(alert: AlertView, mask: bool, many: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    label = f"*{alert.severity.upper()}*" + (f" · {EVENT[alert.event]}" if alert.event in EVENT
                                            else "") + f" · `{escape(alert.rule)}`"
    title = (f"{EMOJI.get(alert.severity, '')} *{escape(_plain(alert.title, mask))}*\n"
             if many else "")
    out.append({"type": "section", "text": {
        "type": "mrkdwn",
        "text": (title + label + "\n" + escape(_plain(alert.summary, mask)))[:3000]}})
    for ev in alert.evidence[:3]:
        shown = ev.masked(mask_pii) if mask else ev
        span = shown.span.replace("*", "")
        quote = f"{escape(shown.before)}*{escape(span)}*{escape(shown.after)}"
        out.append({"type": "section", "text": {
            "type": "mrkdwn",
            "text": (f"_{escape(ev.tag.replace('_', ' '))} · {ev.confidence:.0%}_\n> "
                     + quote.replace("\n", "\n> "))[:3000]}})
    if not alert.evidence and alert.details.get("excerpt"):
        excerpt = escape(_plain(str(alert.details["excerpt"]), mask))
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": f"> {excerpt}"[:3000]}})
    links = [f"<{alert.message_url}|Open the message>"] if alert.message_url else []
    links.append(f"<{alert.alert_url}|Alert #{alert.alert_id}>")
    out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
    return out


class SlackChannel:
    def __init__(self, name: str, config: SlackChannelConfig) -> None:
        self.name = name
        self.config = config
        context = ssl.create_default_context()
        if config.ca_file:
            context.load_verify_locations(cafile=str(config.ca_file))
        timeout = int(max(1, round(config.timeout_seconds)))
        self._secrets = [s.reveal() for s in (config.webhook_url, config.bot_token) if s]
        if config.webhook_url:
            path = config.webhook_url.reveal().partition("://")[2].partition("/")[2]
            if path:
                self._secrets.append("/" + path)
        logger = logging.getLogger(f"notifier.slack.{name}")
        logger.filters = [f for f in logger.filters if not isinstance(f, _Redact)]
        logger.addFilter(_Redact(self._secrets))
        # slack-sdk's own retries are off: the outbox retries, records and backs off.
        self._webhook = WebhookClient(
            config.webhook_url.reveal(), timeout=timeout, ssl=context, retry_handlers=[],
            logger=logger,
        ) if config.webhook_url else None
        self._bot = WebClient(
            token=config.bot_token.reveal(), base_url=_with_slash(config.api_url),
            timeout=timeout, ssl=context, retry_handlers=[], logger=logger,
        ) if config.bot_token else None
        self._channel_ids: dict[str, str] = {}
        # Notices whose post timed out: Slack may have posted them all the same.
        self._unsure: set[str] = set()

    def send(self, notice: Notice) -> DeliveryResult:
        layout = blocks(notice, self.config.mask_pii)
        text = _plain(notice.subject, self.config.mask_pii)
        try:
            if self._webhook is not None:
                result = self._via_webhook(text, layout)
            else:
                result = self._via_bot(notice, text, layout)
        except (SlackClientError, OSError, TimeoutError) as exc:
            if isinstance(exc, SlackApiError):
                result = _api_error(exc)
            else:
                if self._bot is not None:
                    self._unsure.add(notice.key)
                result = DeliveryResult(False, f"cannot reach Slack: {type(exc).__name__}: "
                                        f"{_scrub(str(exc))}", scope="channel")
        return self._redacted(result)

    def _redacted(self, result: DeliveryResult) -> DeliveryResult:
        """Error bodies (a proxy's error page, say) can quote the request URL; the webhook
        URL and the token are secrets and never reach a delivery's detail."""
        detail = result.detail
        for secret in self._secrets:
            detail = detail.replace(secret, "****")
        if detail == result.detail:
            return result
        return DeliveryResult(result.ok, detail, result.retry_after, result.scope,
                              result.external_ref, result.permanent)

    def _via_webhook(self, text: str, layout: list[dict[str, Any]]) -> DeliveryResult:
        assert self._webhook is not None
        response = self._webhook.send(text=text, blocks=layout)
        status, body = response.status_code, (response.body or "").strip()
        if status == 200:
            return DeliveryResult(True, "posted by webhook")
        retry = _retry_after(response.headers)
        if status == 429:
            return DeliveryResult(False, "Slack rate limit (429)", retry_after=retry or 30.0,
                                  scope="channel")
        if status >= 500:
            return DeliveryResult(False, f"Slack answered {status} {body[:200]}", retry, "channel")
        if body in MESSAGE_ERRORS:
            return DeliveryResult(False, f"Slack refused the message: {status} {body}",
                                  permanent=True)
        # 403/404/410: the webhook itself is revoked or its channel gone; nothing can go out.
        return DeliveryResult(False, f"Slack refused the webhook: {status} {body[:200]}",
                              scope="channel")

    def _via_bot(self, notice: Notice, text: str, layout: list[dict[str, Any]]) -> DeliveryResult:
        assert self._bot is not None
        if notice.key in self._unsure:
            # The last try timed out after Slack may have posted: look before posting again.
            found = self._find(notice)
            if found is not None:
                self._unsure.discard(notice.key)
                return DeliveryResult(True, f"found already posted to {notice.recipient} "
                                      "after a timed-out attempt", external_ref=found)
        thread_ts = notice.reply_to.partition(":")[2] if notice.reply_to else None
        response = self._bot.chat_postMessage(
            channel=notice.recipient, text=text, blocks=layout, thread_ts=thread_ts or None,
            reply_broadcast=bool(thread_ts) and notice.severity in ("high", "critical"),
            unfurl_links=False, unfurl_media=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"key": notice.key}},
        )
        channel_id = str(response.get("channel") or notice.recipient)
        self._channel_ids[notice.recipient] = channel_id
        ts = str(response.get("ts") or "")
        self._unsure.discard(notice.key)
        where = f"{notice.recipient}" + (" (thread reply)" if thread_ts else "")
        return DeliveryResult(True, f"posted to {where}", external_ref=f"{channel_id}:{ts}")

    def confirm(self, notice: Notice) -> bool | None:
        if self._bot is None:
            return None  # a webhook cannot be asked what it posted
        try:
            return self._lookup(notice) is not None
        except (SlackClientError, OSError, TimeoutError):
            return None

    def _find(self, notice: Notice) -> str | None:
        """"CHANNELID:ts" of the post carrying this notice's key, or None if not found or
        Slack cannot be asked."""
        try:
            return self._lookup(notice)
        except (SlackClientError, OSError, TimeoutError):
            return None

    def _lookup(self, notice: Notice) -> str | None:
        assert self._bot is not None
        thread_channel, _, thread_ts = notice.reply_to.partition(":")
        channel = thread_channel or self._channel_id(notice.recipient)
        if channel is None:
            return None
        if thread_ts:
            # A thread reply is not in the channel's history (unless broadcast); its thread is.
            response = self._bot.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200)
        else:
            response = self._bot.conversations_history(
                channel=channel, include_all_metadata=True, limit=200)
        for message in response.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == notice.key:
                return f"{channel}:{message.get('ts', '')}"
        return None

    def _channel_id(self, recipient: str) -> str | None:
        """The ID behind a channel name, which the history methods need; a new process
        (after a crash) has not posted yet, so it asks Slack (conversations.list)."""
        if recipient in self._channel_ids:
            return self._channel_ids[recipient]
        if CHANNEL_ID.match(recipient):
            return recipient
        assert self._bot is not None
        name, cursor = recipient.lstrip("#"), None
        for _ in range(50):  # 50 pages of 1,000 channels
            response = self._bot.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=1000,
                cursor=cursor)
            for channel in response.get("channels") or []:
                if channel.get("name") == name:
                    self._channel_ids[recipient] = str(channel["id"])
                    return self._channel_ids[recipient]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None


def _api_error(exc: SlackApiError) -> DeliveryResult:
    response = exc.response
    status = response.status_code
    error = str(response.get("error") or "") if hasattr(response, "get") else ""
    retry = _retry_after(response.headers)
    if status == 429 or error == "ratelimited":
        return DeliveryResult(False, "Slack rate limit (429)", retry_after=retry or 30.0,
                              scope="channel")
    if status >= 500:
        return DeliveryResult(False, f"Slack answered {status}", retry, scope="channel")
    if error in MESSAGE_ERRORS:
        return DeliveryResult(False, f"Slack refused the message: {error}", permanent=True)
    if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
        return DeliveryResult(False, f"Slack refused the bot token: {error}", scope="channel")
    return DeliveryResult(False, f"Slack error: {error or status}")


def _retry_after(headers: Any) -> float | None:
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _scrub(text: str) -> str:
    """Transport errors can quote the webhook URL, which is a secret: drop any URL."""
    return " ".join("<url>" if "://" in word else word for word in text.split())
