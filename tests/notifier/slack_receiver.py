"""A Slack-compatible HTTP server on loopback for tests and benchmarks.

It speaks the part of Slack that commwatch uses: an incoming webhook, and the Web API methods
chat.postMessage, conversations.history, conversations.replies and conversations.list with a
bot token. It behaves as Slack does where that matters to delivery: history holds only
top-level messages (and broadcast replies), newest first, with metadata only when asked
for; history needs a channel ID, not a name; a bad token is `invalid_auth`.

Faults a real Slack cannot be made to produce on demand are scripted: `fail(...)` queues
responses (429 with Retry-After, 500, an error body, a response slower than the client's
timeout), and `delay` slows every request down.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WEBHOOK_PATH = "/services/T0COMMWATCH/B0ALERTS/s3cr3tW3bh00kP4th"
BOT_TOKEN = "xoxb-0000-commwatch-test-s3cr3t-t0ken"  # noqa: S105 - a test value


@dataclass(frozen=True)
class Fault:
    """One scripted response. `status`/`body` replace the normal answer (status 0 keeps it);
    `delay` holds the response back; `process` says whether the request takes effect first
    (Slack posted, then answered too late) or is dropped."""

    status: int = 500
    body: Any = "internal error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    process: bool = False

    @classmethod
    def rate_limited(cls, retry_after: int, webhook: bool = False) -> Fault:
        body: Any = "rate_limited" if webhook else {"ok": False, "error": "ratelimited"}
        return cls(429, body, {"Retry-After": str(retry_after)})

    @classmethod
    def error(cls, error: str, webhook: bool = False) -> Fault:
        """An API error as Slack sends it: 200 + ok=false for the Web API, 404 + the error
        word for a webhook."""
        return cls(404, error) if webhook else cls(200, {"ok": False, "error": error})

    @classmethod
    def slow(cls, seconds: float, process: bool = True) -> Fault:
        return cls(0, None, delay=seconds, process=process)


@dataclass
class Posted:
    channel: str  # the channel ID
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    reply_broadcast: bool
    metadata: dict[str, Any] | None
    received_at: float  # time.monotonic()

    @property
    def key(self) -> str | None:
        return ((self.metadata or {}).get("event_payload") or {}).get("key")

    def as_api(self, with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text,
                               "blocks": self.blocks}
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata:
            out["metadata"] = self.metadata
        return out


class SlackReceiver:
    """The server and everything it received; thread-safe."""

    def __init__(self, token: str = BOT_TOKEN, webhook_path: str = WEBHOOK_PATH) -> None:
        self.token = token
        self.webhook_path = webhook_path
        self.delay = 0.0
        self.lock = threading.Condition()
        self.webhook_posts: list[dict[str, Any]] = []
        self.webhook_times: list[float] = []
        self.posted: list[Posted] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.channels: dict[str, str] = {}  # name -> ID
        self.on_request: Callable[[str], None] | None = None
        self._faults: dict[str, list[Fault]] = {}
        self._clock = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    # -- addresses -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.base}{self.webhook_path}"

    # -- life ------------------------------------------------------------------------------

    def start(self) -> SlackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering; connections are refused afterwards. Safe to call twice."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()

    # -- scripting -------------------------------------------------------------------------

    def fail(self, endpoint: str, *faults: Fault) -> None:
        """Queue responses for the next requests to `endpoint`: "webhook" or an API method
        such as "chat.postMessage"."""
        with self.lock:
            self._faults.setdefault(endpoint, []).extend(faults)

    def channel_id(self, name: str) -> str:
        """The ID of a channel, created on first use (as if the bot were invited to it)."""
        name = name.lstrip("#")
        with self.lock:
            if name not in self.channels:
                self.channels[name] = f"C{len(self.channels) + 1:08d}"
            return self.channels[name]

    # -- what arrived ----------------------------------------------------------------------

    def count(self, endpoint: str) -> int:
        with self.lock:
            return sum(1 for _, path in self.requests if _endpoint(path, self) == endpoint)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
            return True

    def top_level(self, channel_id: str) -> list[Posted]:
        return [p for p in self.posted if p.channel == channel_id
                and (not p.thread_ts or p.reply_broadcast)]

    # -- the HTTP side ---------------------------------------------------------------------

    def _next_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            queue = self._faults.get(endpoint)
            return queue.pop(0) if queue else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet: tests read what arrived from the receiver

            def do_GET(self) -> None:  # noqa: N802
                self._serve()

            def do_POST(self) -> None:  # noqa: N802
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                endpoint = _endpoint(self.path, receiver)
                with receiver.lock:
                    receiver.requests.append((self.command, self.path))
                    receiver.lock.notify_all()
                if receiver.on_request is not None:
                    receiver.on_request(endpoint)
                if receiver.delay:
                    time.sleep(receiver.delay)
                fault = receiver._next_fault(endpoint)
                if fault is not None and not fault.process:
                    time.sleep(fault.delay)
                    self._reply(fault.status or 500, fault.body, fault.headers)
                    return
                # The request takes effect before a slow answer, as when Slack posted and
                # the response was lost or late.
                status, body, headers = receiver._answer(endpoint, self, raw)
                if fault is not None:
                    time.sleep(fault.delay)
                    if fault.status:
                        status, body, headers = fault.status, fault.body, fault.headers
                self._reply(status, body, headers)

            def _reply(self, status: int, body: Any, headers: dict[str, str]) -> None:
                data = (json.dumps(body) if isinstance(body, dict) else str(body)).encode()
                try:
                    self.send_response(status)
                    kind = "application/json" if isinstance(body, dict) else "text/html"
                    self.send_header("Content-Type", f"{kind}; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

        return Handler

    def _answer(self, endpoint: str, request: BaseHTTPRequestHandler,
                raw: bytes) -> tuple[int, Any, dict[str, str]]:
        if endpoint == "webhook":
            body = json.loads(raw or b"{}")
            with self.lock:
                self.webhook_posts.append(body)
                self.webhook_times.append(time.monotonic())
                self.lock.notify_all()
            return 200, "ok", {}
        if not endpoint.startswith(("chat.", "conversations.")):
            return 404, "no_service", {}
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        params = _params(request, raw)
        if endpoint == "chat.postMessage":
            return 200, self._post(params), {}
        if endpoint == "conversations.history":
            return 200, self._history(params, replies=False), {}
        if endpoint == "conversations.replies":
            return 200, self._history(params, replies=True), {}
        if endpoint == "conversations.list":
            with self.lock:
                found = [{"id": cid, "name": name, "is_channel": True}
                         for name, cid in self.channels.items()]
            return 200, {"ok": True, "channels": found,
                         "response_metadata": {"next_cursor": ""}}, {}
        return 200, {"ok": False, "error": "unknown_method"}, {}

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        cid = channel if channel in self.channels.values() else self.channel_id(channel)
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        with self.lock:
            self._clock += 1
            ts = f"{1_790_000_000 + self._clock}.{self._clock:06d}"
            self.posted.append(Posted(
                channel=cid, ts=ts, text=str(params.get("text") or ""),
                blocks=_json_field(params.get("blocks")) or [],
                thread_ts=params.get("thread_ts") or None,
                reply_broadcast=_truthy(params.get("reply_broadcast")),
                metadata=metadata, received_at=time.monotonic(),
            ))
            self.lock.notify_all()
        return {"ok": True, "channel": cid, "ts": ts}

    def _history(self, params: dict[str, Any], replies: bool) -> dict[str, Any]:
        cid = str(params.get("channel") or "")
        with self.lock:
            if cid not in self.channels.values():
                # As Slack: these methods take a channel ID; a name is not found.
                return {"ok": False, "error": "channel_not_found"}
            with_metadata = _truthy(params.get("include_all_metadata"))
            limit = int(params.get("limit") or 100)
            if replies:
                ts = str(params.get("ts") or "")
                found = [p for p in self.posted if p.channel == cid
                         and (p.ts == ts or p.thread_ts == ts)]
                found.sort(key=lambda p: float(p.ts))  # a thread reads oldest first
            else:
                found = sorted(self.top_level(cid), key=lambda p: -float(p.ts))
            return {"ok": True, "messages": [p.as_api(with_metadata) for p in found[:limit]],
                    "has_more": len(found) > limit}


def _endpoint(path: str, receiver: SlackReceiver) -> str:
    route = urlsplit(path).path
    if route == receiver.webhook_path:
        return "webhook"
    return route.removeprefix("/api/") if route.startswith("/api/") else route


def _params(request: BaseHTTPRequestHandler, raw: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(urlsplit(request.path).query).items()}
    kind = request.headers.get("Content-Type") or ""
    if raw and "json" in kind:
        params.update(json.loads(raw))
    elif raw:
        params.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
    return params


def _json_field(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


@contextmanager
def running_receiver() -> Iterator[SlackReceiver]:
    receiver = SlackReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


def main() -> None:
    """Run a receiver in the foreground: `python -m tests.notifier.slack_receiver`."""
    with running_receiver() as receiver:
        print(f"api_url={receiver.api_url} webhook_url={receiver.webhook_url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
