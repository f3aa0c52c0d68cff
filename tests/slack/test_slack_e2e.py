"""The real Bolt app over real HTTP (uvicorn on 127.0.0.1:0), the real answering core on the shared fixture
index, and the local Slack Web API emulator: mentions, threads, DMs, the assistant pane, the slash command,
pasted identifiers, review cards and App Home. Every request is signed as Slack signs it.

Signatures, redelivery, concurrency and Slack failing: test_slack_delivery.py.
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from e2e_helpers import NHS_NUMBER, NHS_SPACED, QUESTION, Spy, action_ids
from slack_emulator import BOT_ID, BOT_USER_ID
from slack_requests import all_text, blocks_of, event_callback, user_ts
from bot.slack.review_blocks import parse_value

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ mentions, threads, DMs
def test_mention_gets_one_threaded_reply_with_sources_and_both_kinds_of_buttons(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    status, body, _, envelope = bot.mention(QUESTION)
    assert (status, body) == (200, "")
    ts = envelope["event"]["ts"]
    reply = slack_api.wait_for("chat.postMessage")[0]
    slack_api.settle()
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert reply.params["channel"] == "C0GENERAL" and reply.params["thread_ts"] == ts
    assert reply.params["text"].strip()  # the plain-text fallback
    blocks = blocks_of(reply)
    types = [b["type"] for b in blocks]
    assert "section" in types and "context_actions" in types and "actions" in types
    sources = next(b for b in blocks if b.get("block_id") == "sources")
    assert "<https://" in sources["elements"][0]["text"] and "[1]" in sources["elements"][0]["text"]
    assert {"feedback", "escalate"} <= action_ids(blocks)
    feedback = next(b for b in blocks if b["type"] == "context_actions")["elements"][0]
    assert feedback["type"] == "feedback_buttons"
    answer_id = json.loads(feedback["positive_button"]["value"])["a"]
    escalate = parse_value(next(b for b in blocks if b["type"] == "actions")["elements"][0]["value"])
    assert escalate == {"a": answer_id, "c": "C0GENERAL", "t": ts}
    # recorded, with the message ts of the reply
    record = bot.services.review.get_answer(answer_id)
    assert record.question and record.kind == "answered" and record.message_ts and record.thread_ts == ts
    # the status was best-effort and never outlived the answer
    statuses = slack_api.calls_to("assistant.threads.setStatus")
    assert all(c.params.get("thread_ts") == ts for c in statuses)
    if statuses and statuses[-1].time > reply.time:
        assert statuses[-1].params.get("status") == ""


def test_follow_up_in_the_thread_without_a_mention_uses_the_earlier_question(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    _, _, _, envelope = bot.mention(QUESTION)
    root = envelope["event"]["ts"]
    slack_api.wait_for("chat.postMessage")
    bot.message("and what about for EMIS Web?", thread_ts=root)
    replies = slack_api.wait_for("chat.postMessage", 2)
    assert replies[1].params["thread_ts"] == root
    question, history = spy.calls[-1]
    assert question == "and what about for EMIS Web?"
    assert history and "SystmOne" in history[-1]
    # chatter in someone else's thread is ignored, once the listener has looked the thread up
    other = user_ts()
    bot.message("unrelated chat", thread_ts=other)
    slack_api.wait_for("conversations.replies", where=lambda c: c.params.get("ts") == other)
    slack_api.settle()
    assert len(slack_api.calls_to("chat.postMessage")) == 2


def test_follow_up_after_a_restart_is_recognised_through_conversations_replies(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    root = user_ts()
    slack_api.add_message("C0GENERAL", root, f"<@{BOT_USER_ID}> {QUESTION}")
    slack_api.add_message("C0GENERAL", "1700000001.000001", "Earlier answer", user=BOT_USER_ID,
                          thread_ts=root, bot_id=BOT_ID)
    bot.message("and for under-16s?", thread_ts=root)
    reply = slack_api.wait_for("chat.postMessage")[0]
    assert reply.params["thread_ts"] == root
    assert slack_api.calls_to("conversations.replies")
    assert spy.calls[-1][1] and "SystmOne" in spy.calls[-1][1][-1]


def test_a_mention_delivered_as_app_mention_and_message_is_answered_once(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    ts = user_ts()
    text = f"<@{BOT_USER_ID}> {QUESTION}"
    message = event_callback({"type": "message", "user": "U0USER", "text": text, "ts": ts, "channel": "C0GENERAL",
                              "channel_type": "channel", "event_ts": ts})
    mention = event_callback({"type": "app_mention", "user": "U0USER", "text": text, "ts": ts,
                              "channel": "C0GENERAL", "event_ts": ts})
    assert bot.send(message)[0] == 200 and bot.send(mention)[0] == 200
    slack_api.wait_for("chat.postMessage")
    slack_api.settle(quiet=1.0)
    assert len(slack_api.calls_to("chat.postMessage")) == 1


def test_direct_message_and_the_assistant_pane(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    status, _, _, _ = bot.message(QUESTION, channel="D0DM", channel_type="im")
    assert status == 200
    reply = slack_api.wait_for("chat.postMessage")[0]
    assert reply.params["channel"] == "D0DM" and "thread_ts" not in reply.params
    assert {"feedback", "escalate"} <= action_ids(blocks_of(reply))

    # assistant pane: a thread starts (suggested prompts), then a message in that thread
    thread_ts = user_ts()
    started = event_callback({"type": "assistant_thread_started", "event_ts": thread_ts, "assistant_thread": {
        "user_id": "U0USER", "channel_id": "D0DM", "thread_ts": thread_ts, "context": {}}})
    assert bot.send(started)[0] == 200
    prompts = slack_api.wait_for("assistant.threads.setSuggestedPrompts")[0]
    assert prompts.params["thread_ts"] == thread_ts and len(prompts.params["prompts"]) >= 2
    bot.message(QUESTION, channel="D0DM", channel_type="im", thread_ts=thread_ts)
    slack_api.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == thread_ts
                       and "blocks" in c.params and "feedback" in json.dumps(c.params["blocks"]))


def test_own_messages_other_bots_and_edits_are_ignored(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    bot.message(QUESTION, channel="D0DM", channel_type="im", user=BOT_USER_ID, bot_id=BOT_ID)
    bot.message(QUESTION, channel="D0DM", channel_type="im", user="U0OTHERBOT", bot_id="B0OTHER",
                subtype="bot_message")
    bot.message(QUESTION, channel="D0DM", channel_type="im", subtype="message_changed")
    slack_api.settle(quiet=1.0)
    assert not slack_api.calls_to("chat.postMessage") and spy.calls == []


def test_slash_command_is_answered_ephemerally_and_can_be_shared(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    started = time.monotonic()
    status, body, _ = bot.command(QUESTION)
    assert status == 200 and time.monotonic() - started < 3
    reply = slack_api.wait_for("response_url")[0]
    assert reply.params["response_type"] == "ephemeral"
    blocks = reply.params["blocks"]
    assert "You asked" in blocks[0]["text"]["text"] and "SystmOne" in blocks[0]["text"]["text"]
    assert {"share_answer", "feedback", "escalate"} <= action_ids(blocks)
    share = next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "share_answer")
    payload = {
        "type": "block_actions", "team": {"id": "T0TEAM"}, "user": {"id": "U0USER"},
        "api_app_id": "A0APP", "trigger_id": "t.1", "channel": {"id": "C0GENERAL"},
        "container": {"type": "message", "is_ephemeral": True}, "response_url": slack_api.response_url("share"),
        "actions": [{"type": "button", "action_id": "share_answer", "block_id": "escalate",
                     "value": share["value"], "action_ts": "1700000000.1"}],
    }
    assert bot.action(payload)[0] == 200
    shared = slack_api.wait_for("chat.postMessage")[0]
    assert shared.params["channel"] == "C0GENERAL" and "thread_ts" not in shared.params
    assert "<@U0USER> asked" in json.dumps(shared.params["blocks"])
    done = slack_api.wait_for("response_url", 2)[1]
    assert done.path == "/hooks/share" and done.params.get("replace_original") is True


def test_empty_slash_command_explains_itself(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    assert bot.command("   ")[0] == 200
    assert "/recordsaccess" in slack_api.wait_for("response_url")[0].params["text"]


# ------------------------------------------------------------------ patient identifiers
@pytest.mark.parametrize("pasted", [NHS_NUMBER, NHS_SPACED])
def test_pasted_nhs_number_warns_privately_and_appears_nowhere(slack_api, make_slack_bot, spy, caplog, pasted):
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.INFO)
    bot = make_slack_bot(spy)
    _, _, _, envelope = bot.mention(f"patient {pasted} — {QUESTION}")
    reply = slack_api.wait_for("chat.postMessage")[0]
    warning = slack_api.wait_for("chat.postEphemeral")[0]
    assert warning.params["user"] == "U0USER" and "NHS number" in warning.params["text"]
    assert "delete" in warning.params["text"].lower()
    slack_api.settle()
    outbound = [c for c in slack_api.calls if c.method != "conversations.replies"]
    for call in outbound:
        flat = all_text(call).replace(" ", "")
        assert NHS_NUMBER not in flat, call.method
    assert "[NHS number]" in all_text(reply) or "SystmOne" in all_text(reply)
    for record in caplog.records:
        message = record.getMessage() + (record.exc_text or "")
        assert NHS_NUMBER not in message.replace(" ", ""), record.name
    answer_id = json.loads(next(b for b in blocks_of(reply) if b["type"] == "actions")["elements"][0]["value"])["a"]
    stored = bot.services.review.get_answer(answer_id)
    assert NHS_NUMBER not in (stored.question or "").replace(" ", "") and stored.pii_warning


# ------------------------------------------------------------------ review cards, channels, App Home
def test_not_covered_posts_a_review_card(slack_api, make_slack_bot, real_assistant):
    # the Slack path of a not-covered answer, whatever the fitted model decides for a given question: the real
    # assistant over the same index, with a decline model that declines everything as "not covered"
    import json as _json

    from bot.decline_model import MODEL_PATH, DeclineModel
    from bot.pipeline import Assistant

    data = _json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["answerable"]["threshold"], data["in_scope"]["threshold"] = 1.0, 0.0
    data["answerable_with_questions"]["threshold"] = 1.0  # whichever regression the index calls for
    declining = Assistant(real_assistant.settings, index=real_assistant.index, decline_model=DeclineModel(data))
    bot = make_slack_bot(Spy(declining), review_channel="C0REVIEW")
    bot.mention("Is there a fee for a patient to see their records online?")
    reply = slack_api.wait_for("chat.postMessage")[0]
    assert "Closest sources" in json.dumps(blocks_of(reply))
    slack_api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0REVIEW")


def test_outside_the_allowed_channels_the_bot_politely_refuses(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy, allowed_channel_ids="C0ALLOWED, C0OTHER")
    _, _, _, envelope = bot.mention(QUESTION, channel="C0ELSEWHERE")
    reply = slack_api.wait_for("chat.postMessage")[0]
    assert reply.params["thread_ts"] == envelope["event"]["ts"] and "only answer" in reply.params["text"]
    assert spy.calls == []
    bot.mention(QUESTION, channel="C0ALLOWED")
    slack_api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0ALLOWED")


def test_outside_the_allowed_channels_pasted_details_are_still_warned_about(slack_api, make_slack_bot, spy):
    """The refusal, then the private warning: the message is not answered, but it is still in the channel."""
    bot = make_slack_bot(spy, allowed_channel_ids="C0ALLOWED")
    bot.mention("can pt 943 476 5919 see her results?", channel="C0ELSEWHERE")
    warning = slack_api.wait_for("chat.postEphemeral")[0]
    assert warning.params["channel"] == "C0ELSEWHERE" and "NHS number" in warning.params["text"]
    assert "only answer" in slack_api.wait_for("chat.postMessage")[0].params["text"] and spy.calls == []
    outbound = json.dumps([c.params for c in slack_api.calls])
    assert "943 476 5919" not in outbound and "9434765919" not in outbound  # whole numbers, never a fragment


def test_app_home_shows_scope_privacy_and_freshness(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    event = event_callback({"type": "app_home_opened", "user": "U0USER", "channel": "D0DM", "tab": "home",
                            "event_ts": user_ts()})
    assert bot.send(event)[0] == 200
    view = slack_api.wait_for("views.publish")[0].params["view"]
    text = json.dumps(view)
    info = spy.index.info()
    assert view["type"] == "home" and "Patient details" in text and "What I don't do" in text
    assert info.newest_reviewed in text and info.oldest_reviewed in text
