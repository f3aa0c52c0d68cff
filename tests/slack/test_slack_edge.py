"""The Slack edge under abuse (issue 12): signature first, payload shapes, the streamed body limit,
idempotent escalate and share, rich_text blocks, workspace lifecycle events, signed values. (Edits and identifiers in
modal inputs: test_identifiers_in_edits_and_modals.py.)"""

from __future__ import annotations

import http.client
import json
import resource

import pytest

from slack_emulator import BOT_TOKEN, TEAM_ID
from slack_requests import event_callback, post, sign, user_ts, view_submission
from waiting import wait_until

from bot.slack import review_blocks as rb
from bot.slack.blocks import share_value

NHS_NUMBER = "9991860916"



def _button(action_id: str, value, *, user: str = "U0USER", channel: str = "C0GENERAL", ts: str = "1700000000.5",
            response_url: str | None = None) -> dict:
    payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": user}, "api_app_id": "A0APP",
               "trigger_id": "t.2", "channel": {"id": channel}, "message": {"ts": ts},
               "container": {"type": "message", "channel_id": channel, "message_ts": ts},
               "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                            "action_ts": "1700000000.9"}]}
    if response_url:
        payload["response_url"] = response_url
    return payload


def test_a_bad_timestamp_is_401_before_anything_parses_the_body(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    body = json.dumps(event_callback({"type": "app_mention", "text": "hi", "ts": "1.1", "channel": "C0X"}))
    for timestamp in ("abc", "", "-5", "1e9", " 17", "0x10"):
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": sign(body)["X-Slack-Signature"]}
        assert post(bot.url + "/slack/events", body, headers)[0] == 401, timestamp
    assert post(bot.url + "/slack/events", "{not json", {"Content-Type": "application/json"})[0] == 401


@pytest.mark.parametrize("payload, form", [
    ({"type": "event_callback", "team_id": TEAM_ID, "event": "app_mention", "event_id": "EvS1"}, False),
    ({"type": "event_callback", "team_id": TEAM_ID, "event": ["x"], "event_id": "EvS2"}, False),
    ({"type": "event_callback", "team_id": TEAM_ID, "event": {"type": 5}, "event_id": "EvS3"}, False),
    ({"type": "event_callback", "team_id": TEAM_ID, "event_id": "EvS4",
      "event": {"type": "app_mention", "text": "hi", "ts": ["1"], "channel": "C0X"}}, False),
    ({"type": "event_callback", "team_id": TEAM_ID, "event_id": "EvS5",
      "event": {"type": "message", "subtype": "message_changed", "channel": "C0X", "message": "edited"}}, False),
    ({"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": "U0USER"}, "actions": ["escalate"]}, True),
    ({"type": "block_actions", "team": {"id": TEAM_ID}, "user": "U0USER", "actions": [{"action_id": "escalate"}]}, True),
    ({"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": "U0USER"},
      "actions": [{"action_id": "feedback", "value": {"a": 1}}]}, True),
    (view_submission("review_correction", rb.item_value("I1"), {"answer": {"answer": {"value": ["a", "b"]}}}), True),
    (view_submission("review_correction", rb.item_value("I1"), {"answer": ["x"]}), True),
    (view_submission("review_feedback_comment", ["meta"], {}), True),
    ({"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": "U0USER"}, "view": "modal"}, True),
])
def test_signed_payloads_of_any_shape_get_a_4xx_never_a_5xx(slack_api, make_slack_bot, fake_assistant, payload, form):
    bot = make_slack_bot(fake_assistant, review_channel="C0REVIEW", reviewer_user_ids="U0USER")
    if form:
        status, body, _ = bot.action(payload)
    else:
        status, body, _ = bot.send(payload)
    assert 200 <= status < 500, (status, body)
    assert status >= 400, "a payload of the wrong shape was accepted"
    slack_api.settle(quiet=0.3)
    assert not slack_api.calls_to("chat.postMessage")
    assert bot.services.metrics.failures._value.get() == 0


def _chunked_post(port: int, total: int, chunk: int = 64 * 1024, headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("POST", "/slack/events")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    block = b"x" * chunk
    sent = 0
    try:
        while sent < total:
            conn.send(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            sent += len(block)
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading once the limit was passed
    try:
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_chunked_body_without_content_length_is_refused_while_it_streams(slack_api, make_slack_bot, fake_assistant):
    """The server runs in this process: its peak memory must not grow with the bodies sent (3 x 100 MB)."""
    bot = make_slack_bot(fake_assistant)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    for _ in range(3):
        assert _chunked_post(bot.server.port, 100 * 1024 * 1024) == 413
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 50, f"peak memory grew {grown_mib:.0f} MiB while refusing 300 MB"
    # a declared length that is not a number is refused too
    conn = http.client.HTTPConnection("127.0.0.1", bot.server.port, timeout=10)
    conn.request("POST", "/slack/events", body=b"{}", headers={"Content-Length": "abc"})
    assert 400 <= conn.getresponse().status < 500
    conn.close()
    assert bot.send(event_callback({"type": "app_mention", "text": "<@U0BOT> hi", "ts": user_ts(),
                                    "channel": "C0GENERAL"}))[0] == 200  # still serving


def test_escalate_is_idempotent_per_answer_and_user(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant, review_channel="C0REVIEW")
    bot.mention("How do I switch on prospective access?")
    reply = slack_api.wait_for("chat.postMessage")[0]
    escalate = next(e for b in json.loads(json.dumps(reply.params["blocks"])) if b["type"] == "actions"
                    for e in b["elements"] if e["action_id"] == "escalate")
    for _ in range(3):  # a double click and a replay
        assert bot.action(_button("escalate", escalate["value"]))[0] == 200
    slack_api.settle(quiet=0.5)
    cards = slack_api.calls_to("chat.postMessage", lambda c: c.params.get("channel") == "C0REVIEW")
    told = slack_api.calls_to("chat.postMessage", lambda c: c.params.get("channel") == "C0GENERAL"
                              and "support team" in (c.params.get("text") or ""))
    assert len(cards) == 1 and len(told) == 1
    again = slack_api.calls_to("chat.postEphemeral", lambda c: "already asked" in c.params.get("text", ""))
    assert len(again) == 2
    # another user may still escalate the same answer
    bot.action(_button("escalate", escalate["value"], user="U0OTHER"))
    slack_api.wait_for("chat.postMessage", 2, where=lambda c: c.params.get("channel") == "C0GENERAL"
                       and "support team" in (c.params.get("text") or ""))


def _share_button_of_a_slash_answer(slack_api, bot) -> dict:
    """Ask with the slash command and return the "Share in channel" button of its ephemeral answer."""
    bot.command("How do I switch on prospective access?")
    reply = slack_api.wait_for("response_url")[0]
    return next(e for b in reply.params["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "share_answer")


def test_share_in_channel_is_idempotent_per_answer_and_user(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    share = _share_button_of_a_slash_answer(slack_api, bot)
    for _ in range(3):
        assert bot.action(_button("share_answer", share["value"], response_url=slack_api.response_url("s")))[0] == 200
    slack_api.settle(quiet=0.5)
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert any("Already shared" in (c.params.get("text") or "") for c in slack_api.calls_to("response_url"))


def test_forged_and_unsigned_button_values_and_metadata_are_refused(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant, review_channel="C0REVIEW", reviewer_user_ids="U0USER")
    forged_share = json.dumps({"a": None, "c": "C0ELSEWHERE", "q": "anything"})
    bot.action(_button("share_answer", forged_share, response_url=slack_api.response_url("f")))
    bot.action(_button("escalate", json.dumps({"a": None, "c": "C0ELSEWHERE", "t": "1.1"})))
    wrong_key = json.dumps({"i": "I1", "s": json.loads(share_value("a", "C1", "q"))["s"]})
    status, body, _ = bot.action(view_submission("review_correction", wrong_key,
                                                  {"answer": {"answer": {"value": "forged answer"}}}))
    assert status == 200
    slack_api.settle(quiet=0.5)
    assert not slack_api.calls_to("chat.postMessage")
    assert bot.services.review.list_verified() == []
    assert slack_api.calls_to("response_url") and slack_api.calls_to("chat.postEphemeral")


def test_a_question_only_in_rich_text_blocks_is_answered(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    ts = user_ts()
    event = {"type": "app_mention", "user": "U0USER", "text": "", "ts": ts, "channel": "C0GENERAL", "blocks": [
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "user", "user_id": "U0BOT"}, {"type": "text", "text": " how do I switch on "},
            {"type": "text", "text": "prospective access", "style": {"bold": True}},
            {"type": "text", "text": f" for NHS {NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}?"}]}]}]}
    assert bot.send(event_callback(event))[0] == 200
    slack_api.wait_for("chat.postMessage")
    question, _history = fake_assistant.questions[0]
    assert "prospective access" in question and "[NHS number]" in question and NHS_NUMBER[6:] not in question
    assert slack_api.wait_for("chat.postEphemeral")[0].params["user"] == "U0USER"


def test_uninstall_and_revoked_tokens_stop_posting_for_that_workspace(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    limited = {"token": "x", "team_id": TEAM_ID, "minute_rate_limited": 1518467820, "api_app_id": "A0APP",
               "type": "app_rate_limited"}
    assert bot.send(limited)[0] == 200
    revoked = event_callback({"type": "tokens_revoked", "tokens": {"oauth": ["U0USER"], "bot": ["U0BOT"]}})
    assert bot.send(revoked)[0] == 200
    key = bot.services.workspaces._key(TEAM_ID)
    # the listener runs after the ack; every replica reads the key from the store
    wait_until(lambda: bot.services.review.holds_key(key), 10, what="the revoked token on record")
    # another replica with the same (revoked) token reads it from the store; a reinstall's new token does not
    from bot.slack.workspaces import Workspaces

    assert Workspaces(bot.services.review, token=BOT_TOKEN).is_revoked(TEAM_ID)
    assert not Workspaces(bot.services.review, token="xoxb-reinstalled").is_revoked(TEAM_ID)
    assert bot.mention("How do I switch on prospective access?")[0] == 200
    other = event_callback({"type": "app_mention", "user": "U0USER", "text": "<@U0BOT> how do I switch on access?",
                            "ts": user_ts(), "channel": "C0GENERAL"}, team_id="T0OTHER")
    assert bot.send(other)[0] == 200
    reply = slack_api.wait_for("chat.postMessage")[0]
    slack_api.settle(quiet=0.5)
    assert len(slack_api.calls_to("chat.postMessage")) == 1 and reply.params["channel"] == "C0GENERAL"
    assert len(fake_assistant.questions) == 1  # only the other workspace's question was answered
    assert bot.send(event_callback({"type": "app_uninstalled"}, team_id="T0OTHER"))[0] == 200
    wait_until(lambda: bot.services.workspaces.is_revoked("T0OTHER"), 10, what="the uninstalled workspace on record")


def _mutations(payload, rng, path=()):
    """Every (path, replacement) that swaps one part of `payload` for a value of another type."""
    out = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            out += _mutations(value, rng, (*path, key))
    elif isinstance(payload, list):
        for i, value in enumerate(payload):
            out += _mutations(value, rng, (*path, i))
    for replacement in ("x", 7, None, ["x"], {"k": "v"}, True):
        if type(replacement) is not type(payload):
            out.append((path, replacement))
    return out


def _replace(payload, path, value):
    if not path:
        return value
    copy = json.loads(json.dumps(payload))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def test_any_part_of_a_signed_payload_of_another_type_never_gets_a_5xx(slack_api, make_slack_bot, fake_assistant):
    import random

    bot = make_slack_bot(fake_assistant, review_channel="C0REVIEW", reviewer_user_ids="U0USER")
    mention = event_callback({"type": "app_mention", "user": "U0USER", "text": "<@U0BOT> hi", "ts": "1700000001.1",
                              "channel": "C0GENERAL", "thread_ts": "1700000001.0"})
    button = _button("feedback", rb.feedback_value("A1", "down"))
    modal = view_submission("review_correction", rb.item_value("I1"), {"answer": {"answer": {"value": "text"}}})
    rng = random.Random(12)
    statuses = []
    for base, form in ((mention, False), (button, True), (modal, True)):
        cases = _mutations(base, rng)
        for path, value in rng.sample(cases, min(25, len(cases))):
            payload = _replace(base, path, value)
            if not form and isinstance(payload, dict):
                payload["event_id"] = f"EvM{rng.randrange(10**9)}"
            status = (bot.action(payload) if form and isinstance(payload, dict) else bot.send(payload))[0]
            statuses.append(status)
            assert status < 500, (path, value, status)
    assert len(statuses) >= 60
    assert bot.send(event_callback({"type": "app_mention", "user": "U0USER", "text": "<@U0BOT> still there?",
                                    "ts": user_ts(), "channel": "C0GENERAL"}))[0] == 200


def test_a_share_that_could_not_be_posted_can_be_retried(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    share = _share_button_of_a_slash_answer(slack_api, bot)
    slack_api.fail("chat.postMessage", error="not_in_channel")  # the bot is not in the channel yet
    bot.action(_button("share_answer", share["value"], response_url=slack_api.response_url("s1")))
    slack_api.wait_for("response_url", where=lambda c: "Invite me" in (c.params.get("text") or ""))
    bot.action(_button("share_answer", share["value"], response_url=slack_api.response_url("s2")))  # after /invite
    slack_api.wait_for("response_url", where=lambda c: "Shared in" in (c.params.get("text") or ""))
    assert not any("Already shared" in (c.params.get("text") or "") for c in slack_api.calls_to("response_url"))
