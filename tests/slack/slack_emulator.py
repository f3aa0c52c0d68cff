"""A local Slack Web API emulator and helpers that sign requests exactly as Slack does.

Use it through the fixtures in tests/slack/conftest.py (`slack_api`), or directly:

    api = SlackEmulator().start()
    client = WebClient(token="xoxb-test", base_url=api.base_url)
    ...
    api.wait_for("chat.postMessage")            # polls; returns the matching calls
    api.calls_to("chat.postEphemeral")          # every recorded call: Call(method, params, time, headers)
    api.fail("chat.postMessage", status=429, retry_after=1)   # programmable faults, consumed in order
    api.fail("chat.postMessage", error="channel_not_found")   # 200 {"ok": false, "error": …}
    api.fail("chat.postMessage", status=500, times=2); api.fail("views.open", delay=2.0)
    api.stop()

It answers `auth.test`, `chat.postMessage` (stores the message; returns a fresh ts), `chat.postEphemeral`,
`chat.update`, `chat.delete`, `chat.getPermalink`, `conversations.replies` (from the stored messages
and any `add_message`), `views.open|publish|update|push`, `usergroups.users.list`
(`api.usergroup_users`), `apps.connections.open` (`api.socket_mode_url`), `assistant.threads.*`,
and anything else with `{"ok": true}`. `response_url(name)` gives a URL for `respond()`; posts to it are
recorded as method "response_url". Every call is recorded with its parsed form/JSON params, the time
it arrived (time.monotonic) and its headers.

What Slack sends to the bot (signed requests, event envelopes) and readers of posted messages are in
slack_requests.py.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from waiting import wait_until

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-0000-token"
APP_TOKEN = "xapp-1-A0APP-test-token"

_JSON_FORM_KEYS = {"blocks", "attachments", "view", "prompts", "loading_messages", "metadata"}


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage", or "response_url"
    params: dict[str, Any]
    time: float  # time.monotonic() when the request arrived
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""


@dataclass
class Fault:
    method: str
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1


class SlackEmulator:
    def __init__(self, *, team_id: str = TEAM_ID, bot_user_id: str = BOT_USER_ID, bot_id: str = BOT_ID):
        self.team_id, self.bot_user_id, self.bot_id = team_id, bot_user_id, bot_id
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.messages: list[dict] = []  # every message the emulator knows: posted by the bot or added
        self.usergroup_users: list[str] = []
        self.socket_mode_url: str | None = None
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "respond") -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def start(self) -> "SlackEmulator":
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faults.clear()
            self.messages.clear()

    # ------------------------------------------------------------- test API
    def fail(self, method: str, *, status: int | None = None, error: str | None = None,
             retry_after: int | None = None, delay: float = 0.0, times: int = 1) -> None:
        """Make the next `times` calls to `method` fail: HTTP `status` (429 adds Retry-After), a 200 with
        `{"ok": false, "error": error}`, and/or a `delay` in seconds before answering."""
        if status is None:
            status = 429 if retry_after is not None else 200
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self.faults.append(Fault(method, status, error, retry_after, delay, times))

    def add_message(self, channel: str, ts: str, text: str, *, user: str = "U0USER", thread_ts: str | None = None,
                    bot_id: str | None = None) -> dict:
        msg = {"type": "message", "channel": channel, "ts": ts, "text": text, "user": user}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        if bot_id:
            msg["bot_id"] = bot_id
        with self._lock:
            self.messages.append(msg)
        return msg

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._lock:
            calls = [c for c in self.calls if c.method == method]
        return [c for c in calls if where is None or where(c)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0,
                 where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Poll until at least `count` calls to `method` (matching `where`) arrived; AssertionError on timeout."""
        try:
            return wait_until(lambda: (lambda calls: calls if len(calls) >= count else None)(self.calls_to(method, where)),
                              timeout, 0.02, what=f"{count} call(s) to {method}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; all calls: {[c.method for c in self.calls]}") from None

    def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        """Wait until no call has arrived for `quiet` seconds (to check that nothing more is posted)."""

        def quiet_now() -> bool:
            with self._lock:
                last = self.calls[-1].time if self.calls else 0.0
            return time.monotonic() - last >= quiet

        wait_until(quiet_now, timeout, 0.05, what=f"{quiet:g} s without a Slack call")

    # ------------------------------------------------------------- serving
    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == method and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _answer(self, method: str, params: dict, headers: dict) -> dict:
        auth = headers.get("authorization", "")
        if method == "apps.connections.open":
            if not auth.startswith("Bearer xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_mode_url or "ws://127.0.0.1:9/unset"}
        if not auth.startswith("Bearer xoxb-") and not params.get("token", "").startswith("xoxb-"):
            return {"ok": False, "error": "not_authed"}
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "gpbot",
                    "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                    "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = self._next_ts()
            msg = {"type": "message", "channel": params.get("channel"), "ts": ts, "text": params.get("text", ""),
                   "user": self.bot_user_id, "bot_id": self.bot_id}
            if params.get("thread_ts"):
                msg["thread_ts"] = params["thread_ts"]
            with self._lock:
                self.messages.append(msg)
            return {"ok": True, "channel": params.get("channel"), "ts": ts,
                    "message": {k: v for k, v in msg.items() if k != "channel"}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("chat.update", "chat.delete"):
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {"ok": True, "channel": params.get("channel"),
                    "permalink": f"https://test.slack.com/archives/{params.get('channel')}/p{ts}"}
        if method == "conversations.replies":
            channel, root = params.get("channel"), str(params.get("ts"))
            with self._lock:
                thread = [m for m in self.messages if m.get("channel") == channel
                          and (m.get("ts") == root or m.get("thread_ts") == root)]
            thread.sort(key=lambda m: float(m["ts"]))
            return {"ok": True, "messages": [{k: v for k, v in m.items() if k != "channel"} for m in thread],
                    "has_more": False}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = params.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            return {"ok": True, "view": {**view, "id": params.get("view_id") or "V0VIEW", "hash": "h1"}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": list(self.usergroup_users)}
        return {"ok": True}

    def _handler_class(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                arrived = time.monotonic()
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                params = _parse(raw, headers.get("content-type", ""))
                path = urllib.parse.urlparse(self.path).path
                if path.startswith("/hooks/"):
                    method = "response_url"
                else:
                    method = path.rsplit("/", 1)[-1]
                with emulator._lock:
                    emulator.calls.append(Call(method, params, arrived, headers, path))
                fault = emulator._take_fault(method)
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.status != 200:
                    body = json.dumps({"ok": False, "error": "ratelimited" if fault.status == 429 else "internal_error"})
                    extra = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
                    return self._send(fault.status, body, extra)
                if fault and fault.error:
                    return self._send(200, json.dumps({"ok": False, "error": fault.error}))
                if method == "response_url":
                    return self._send(200, "ok", content_type="text/plain")
                return self._send(200, json.dumps(emulator._answer(method, params, headers)))

            do_GET = do_POST

            def _send(self, status: int, body: str, extra: dict | None = None, content_type: str = "application/json"):
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type or raw.lstrip().startswith("{"):
        try:
            data = json.loads(raw)
            return data if isinstance(data, dict) else {"_": data}
        except ValueError:
            return {"_raw": raw}
    params: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
    for key in _JSON_FORM_KEYS & params.keys():
        try:
            params[key] = json.loads(params[key])
        except ValueError:
            pass
    return params
