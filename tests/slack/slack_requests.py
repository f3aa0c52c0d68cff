"""What Slack sends to a bot, signed exactly as Slack signs it, and readers of what the bot posted.

    sign(body, secret)                -> the X-Slack-Request-Timestamp / X-Slack-Signature headers
    event_callback(event)             -> an Events API envelope around `event`
    form_body(fields)                 -> form-encoded like Slack (interactivity: `payload=<json>`)
    post(url, body, headers) / post_signed(url, body, secret) / get(url)   (never through a proxy)
    user_ts()                         -> a fresh ts for a user's message
    blocks_of(call) / all_text(call)  -> what a recorded emulator call showed

The Web API emulator the bot talks to is slack_emulator.py.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from slack_emulator import APP_ID, BOT_USER_ID, SIGNING_SECRET, TEAM_ID

def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds: v0 HMAC-SHA256 over `v0:{timestamp}:{raw body}`."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{timestamp}:{body}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


_event_ids = itertools.count(1)


def event_callback(event: dict, *, event_id: str | None = None, team_id: str = TEAM_ID) -> dict:
    """An Events API `event_callback` envelope around `event`, as Slack sends it."""
    return {
        "token": "legacy-verification-token-unused",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}{int(time.time() * 1000) % 100000:05d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": BOT_USER_ID, "is_bot": True, "is_enterprise_install": False}],
    }


def form_body(fields: dict[str, Any]) -> str:
    """Form-encode like Slack: interactivity sends `payload=<json>`, slash commands send plain fields."""
    return urllib.parse.urlencode({k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in fields.items()})


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy for 127.0.0.1


def post(url: str, body: str, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, str, dict]:
    req = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8"), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8"), dict(exc.headers)


def get(url: str, timeout: float = 30.0) -> tuple[int, str]:
    try:
        with _opener.open(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def post_signed(url: str, body: str, secret: str = SIGNING_SECRET, *, content_type: str = "application/json",
                timestamp: int | None = None, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
    all_headers = {"Content-Type": content_type, **sign(body, secret, timestamp), **(headers or {})}
    return post(url, body, all_headers)


# --- helpers for tests that read what was posted ---
_ts_counter = itertools.count(1)


def user_ts() -> str:
    """A fresh message ts for a user's message (distinct from the emulator's own)."""
    return f"1700000000.{next(_ts_counter):06d}"


def blocks_of(call) -> list[dict]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def all_text(call) -> str:
    """Everything a posted message shows: text and blocks, as one string."""
    return json.dumps(call.params, ensure_ascii=False)


def view_submission(callback_id: str, metadata: str, values: dict, user: str = "U0USER") -> dict:
    """A modal's `view_submission` payload with these input values."""
    return {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": user}, "api_app_id": "A0APP",
            "trigger_id": "t.1", "view": {"id": "V1", "type": "modal", "callback_id": callback_id,
                                           "private_metadata": metadata, "state": {"values": values}}}
