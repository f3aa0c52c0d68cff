"""The requests tests/reliability/test_bad_input.py sends: a `Case` (what it sends, what must follow) and one
builder per kind of request (a mention, a raw event or body, unsigned, oversized, invalid UTF-8, a button, a
modal submission, a slash command, a GET). Each builder returns `send(replica_url, api, channel, ts)`."""

from __future__ import annotations

import itertools
import random
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

from reliability_helpers import (
    SIGNING_SECRET,
    http_get,
    mention_event,
    post_oversized,
    send_event,
    use_nhs_numbers,
)
from slack_emulator import BOT_USER_ID, TEAM_ID, event_callback, form_body, post, sign

TEN_NHS = use_nhs_numbers(10, start=999_100_000)


def signed_value(fields: dict) -> str:
    """A button value signed as the replica signs them (key derived from its signing secret)."""
    from bot.slack.signed_values import signed_json

    return signed_json(fields, secret=SIGNING_SECRET)


MORE_NHS = use_nhs_numbers(3, start=999_200_000)
seq = itertools.count(1)


@dataclass
class Case:
    id: str
    expect: str  # reply | private | visible | 4xx | challenge
    send: Callable  # (replica_url, api, channel, ts) -> (status, body)
    status: int | None = None  # an exact status, when it matters
    numbers: list[str] = field(default_factory=list)  # NHS numbers this case sent


def mention(text):
    def send(url, api, channel, ts):
        event = mention_event(text, channel=channel, ts=ts) if isinstance(text, str) else {
            **mention_event("", channel=channel, ts=ts), "text": text}
        status, body, _ = send_event(url, event_callback(event))
        return status, body
    return send


def raw_event(event_fn):
    def send(url, api, channel, ts):
        status, body, _ = send_event(url, event_callback(event_fn(channel, ts)))
        return status, body
    return send


def raw_body(body: str, content_type: str = "application/json", **kw):
    def send(url, api, channel, ts):
        status, text, _ = send_event(url, body, content_type=content_type, **kw)
        return status, text
    return send


def unsigned(body: str, headers: dict):
    def send(url, api, channel, ts):
        status, text, _ = post(url + "/slack/events", body, {"Content-Type": "application/json", **headers})
        return status, text
    return send


def oversized(body: str, content_type: str = "application/json"):
    def send(url, api, channel, ts):
        return post_oversized(url + "/slack/events", body.encode(), {"Content-Type": content_type, **sign(body)})
    return send


def raw_bytes(data: bytes, content_type: str = "application/json"):
    """Invalid UTF-8, signed over the exact bytes as Slack would."""
    def send(url, api, channel, ts):
        import hashlib
        import hmac

        stamp = str(int(time.time()))
        digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + data, hashlib.sha256).hexdigest()
        req = urllib.request.Request(url + "/slack/events", data=data, method="POST", headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
    return send


def action_payload(channel, ts, action_id, value, api, *, blocks=None, action_type="button"):
    return {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": "test"}, "api_app_id": "A0APP",
        "user": {"id": "U0USER", "username": "someone", "team_id": TEAM_ID}, "token": "unused",
        "trigger_id": f"trigger.{next(seq)}", "response_url": api.response_url("action"),
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "general"},
        "message": {"type": "message", "ts": ts, "thread_ts": ts, "text": "an answer", "user": BOT_USER_ID,
                    "blocks": blocks or []},
        "actions": [{"action_id": action_id, "block_id": "b1", "type": action_type, "value": value,
                     "action_ts": str(time.time())}],
    }


def action(action_id, value, **kw):
    def send(url, api, channel, ts):
        payload = action_payload(channel, ts, action_id, value, api, **kw)
        status, text, _ = send_event(url, form_body({"payload": payload}),
                                     content_type="application/x-www-form-urlencoded")
        return status, text
    return send


def view_submission(callback_id):
    def send(url, api, channel, ts):
        payload = {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": "U0USER", "team_id": TEAM_ID},
                   "api_app_id": "A0APP", "trigger_id": "t.1",
                   "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": "{not json",
                            "state": {"values": {}}}}
        status, text, _ = send_event(url, form_body({"payload": payload}),
                                     content_type="application/x-www-form-urlencoded")
        return status, text
    return send


def slash_command(text, command="/recordsaccess"):
    def send(url, api, channel, ts):
        fields = {"token": "unused", "team_id": TEAM_ID, "team_domain": "test", "channel_id": channel,
                  "channel_name": "general", "user_id": "U0USER", "user_name": "someone", "command": command,
                  "text": text, "api_app_id": "A0APP", "response_url": api.response_url("command"),
                  "trigger_id": f"trigger.{next(seq)}"}
        status, body, _ = send_event(url, form_body(fields), content_type="application/x-www-form-urlencoded")
        return status, body
    return send


def get_request(url, api, channel, ts):
    return http_get(url + "/slack/events")


def junk(seed: int, n: int) -> str:
    rnd = random.Random(seed)
    return "".join(chr(rnd.choice([rnd.randrange(0, 32), rnd.randrange(32, 0x2FF), rnd.randrange(0xE000, 0xFFFD)]))
                   for _ in range(n))


def deep_json(depth: int) -> str:
    return '{"type": "event_callback", "event": ' + "[" * depth + "]" * depth + "}"


HUGE_BLOCKS = [{"type": "section", "block_id": f"s{i}", "text": {"type": "mrkdwn", "text": "x" * 180}}
               for i in range(1600)]  # ~0.6 MB form-encoded: under the 1 MB cap, far over anything Slack sends
