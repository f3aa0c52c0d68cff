"""The assistant pane on Bolt's `Assistant`: the greeting and suggested prompts once per thread (a redelivery
does nothing more), questions answered in the pane thread, and edits that add patient details still warned
(Bolt's Assistant would drop them)."""

from __future__ import annotations

import json

import pytest

from slack_requests import event_callback, user_ts
from waiting import wait_until
from bot import prompts

pytestmark = pytest.mark.slow

NHS_NUMBER = "9991860916"


def test_a_thread_start_is_greeted_once_and_a_question_answered_in_the_thread(slack_api, make_slack_bot,
                                                                               fake_assistant):
    bot = make_slack_bot(fake_assistant)
    thread_ts = user_ts()
    started = event_callback({"type": "assistant_thread_started", "event_ts": thread_ts, "assistant_thread": {
        "user_id": "U0USER", "channel_id": "D0PANE", "thread_ts": thread_ts, "context": {}}})
    assert bot.send(started)[0] == 200
    assert bot.send(started, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})[0] == 200
    greeting = slack_api.wait_for("chat.postMessage")[0]
    suggested = slack_api.wait_for("assistant.threads.setSuggestedPrompts")[0]
    assert greeting.params["channel"] == "D0PANE" and greeting.params["thread_ts"] == thread_ts
    assert greeting.params["text"] == prompts.GREETING
    assert suggested.params["title"] == prompts.SUGGESTED_PROMPTS_TITLE
    assert suggested.params["prompts"] == prompts.SUGGESTED_PROMPTS
    slack_api.settle(quiet=0.5)
    assert len(slack_api.calls_to("chat.postMessage")) == 1  # the redelivery was claimed by the route

    bot.message("how do I switch on access?", channel="D0PANE", channel_type="im", thread_ts=thread_ts)
    reply = slack_api.wait_for("chat.postMessage", 2)[1]
    assert reply.params["thread_ts"] == thread_ts and "feedback" in json.dumps(reply.params["blocks"])
    # the count is taken after the reply is posted: on a busy machine the test can read it first
    assert wait_until(lambda: bot.services.metrics.registry.get_sample_value(
        "gpbot_questions_total", {"kind": "answered", "surface": "assistant"}), timeout=5,
        what="the answered question to be counted") == 1


def test_an_edit_in_a_pane_thread_that_adds_an_nhs_number_is_warned(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    thread_ts, ts = user_ts(), user_ts()
    edit = {"type": "message", "subtype": "message_changed", "channel": "D0PANE", "channel_type": "im",
            "ts": user_ts(), "hidden": True,
            "message": {"type": "message", "user": "U0USER", "text": f"can pt {NHS_NUMBER} see results?", "ts": ts,
                        "thread_ts": thread_ts, "edited": {"user": "U0USER", "ts": user_ts()}},
            "previous_message": {"type": "message", "user": "U0USER", "text": "can pt see results?", "ts": ts,
                                 "thread_ts": thread_ts}}
    assert bot.send(event_callback(edit))[0] == 200
    warning = slack_api.wait_for("chat.postEphemeral")[0]
    assert warning.params["user"] == "U0USER" and warning.params["thread_ts"] == thread_ts
    assert "NHS number" in warning.params["text"] and NHS_NUMBER not in warning.params["text"]
    slack_api.settle(quiet=0.3)
    assert not slack_api.calls_to("chat.postMessage") and fake_assistant.questions == []
