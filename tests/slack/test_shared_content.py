"""What a message carries besides its words — a file named after a patient, a forwarded message that names one —
is in the channel too: the poster is warned about it, and it is never answered, stored, posted or logged.
A web page's link preview is public text the poster did not write, and raises no warning."""

from __future__ import annotations

import json
import logging

import pytest

from e2e_helpers import QUESTION
from slack_requests import blocks_of, event_callback, user_ts
from bot.slack.payloads import shared_text

FILE_NAME = "Okafor_Margaret_DOB_14-03-1957_discharge.pdf"
FORWARDED = "pt Margaret Okafor 485 777 3456 rang about her results"


def _rich(text: str) -> list[dict]:
    return [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


# ------------------------------------------------------------------ reading what a message carries
def test_file_names_are_read_as_words_without_the_extension_or_a_screenshots_time():
    event = {"files": [{"name": FILE_NAME, "title": FILE_NAME},
                       {"name": "Screenshot 2026-12-07 at 10.15.32.png", "title": "Screenshot 2026-12-07 at 10.15.32.png"}]}
    assert shared_text(event).splitlines() == ["Okafor Margaret DOB 14-03-1957 discharge", "Screenshot 2026-12-07"]


def test_forwarded_messages_are_read_but_not_their_authors_or_web_previews():
    event = {"attachments": [
        {"is_share": True, "author_name": "Sarah Thompson", "text": FORWARDED, "fallback": FORWARDED,
         "from_url": "https://example.slack.com/archives/C1/p1"},
        {"message_blocks": [{"message": {"blocks": _rich("DOB 02/03/1971")}}]},
        {"from_url": "https://www.england.nhs.uk/page", "title": "Proxy access", "text": "Dr Jane Smith writes"},
    ]}
    lines = shared_text(event).splitlines()
    assert lines == [FORWARDED, "DOB 02/03/1971"]
    assert "Sarah Thompson" not in shared_text(event) and "Jane Smith" not in shared_text(event)


@pytest.mark.parametrize("event", [None, "text", {"files": "x"}, {"files": [None, {"name": 3}]},
                                   {"attachments": [{"message_blocks": [None, {"message": "x"}]}]}])
def test_odd_shapes_carry_nothing(event):
    assert shared_text(event) == ""


# ------------------------------------------------------------------ the running bot
def _outbound(slack_api) -> str:
    return json.dumps([c.params for c in slack_api.calls if c.method != "conversations.replies"])


@pytest.mark.slow
def test_a_file_named_after_a_patient_is_warned_about_and_goes_nowhere(slack_api, make_slack_bot, spy, caplog):
    caplog.set_level(logging.DEBUG)
    bot = make_slack_bot(spy)
    bot.message(QUESTION, channel="D0DM", channel_type="im", subtype="file_share",
                files=[{"id": "F1", "name": FILE_NAME, "title": FILE_NAME}])
    reply = slack_api.wait_for("chat.postMessage")[0]
    warning = slack_api.wait_for("chat.postEphemeral")[0]
    assert warning.params["user"] == "U0USER" and "date of birth" in warning.params["text"]
    slack_api.settle()
    assert spy.calls == [(QUESTION, [])]  # the core saw the question, not the file's name
    for secret in ("Okafor", "1957"):
        assert secret not in _outbound(slack_api) and secret not in caplog.text
    answer_id = json.loads(next(b for b in blocks_of(reply) if b["type"] == "actions")["elements"][0]["value"])["a"]
    stored = bot.services.review.get_answer(answer_id)
    assert stored.pii_warning and "Okafor" not in stored.question


@pytest.mark.slow
def test_a_forwarded_message_naming_a_patient_is_warned_about(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    bot.mention(QUESTION, attachments=[{"is_share": True, "author_name": "Sarah Thompson", "text": FORWARDED,
                                        "fallback": FORWARDED}])
    slack_api.wait_for("chat.postMessage")
    warning = slack_api.wait_for("chat.postEphemeral")[0]
    assert "NHS number" in warning.params["text"]
    slack_api.settle()
    assert "3456" not in _outbound(slack_api) and "Okafor" not in _outbound(slack_api)
    assert all("Okafor" not in question for question, _ in spy.calls)


@pytest.mark.slow
def test_outside_the_allowed_channels_a_file_named_after_a_patient_is_still_warned_about(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy, allowed_channel_ids="C0ALLOWED")
    bot.mention(QUESTION, channel="C0ELSEWHERE", files=[{"id": "F1", "name": FILE_NAME}])
    assert "date of birth" in slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    assert spy.calls == [] and "Okafor" not in _outbound(slack_api)


@pytest.mark.slow
def test_a_web_pages_preview_and_a_plain_file_raise_no_warning(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    bot.mention(QUESTION, files=[{"id": "F2", "name": "Screenshot 2026-12-07 at 10.15.32.png"}],
                attachments=[{"from_url": "https://www.england.nhs.uk/long-read/proxy-access/",
                              "title": "Proxy access", "text": "Written by Dr Jane Smith, 12 March 2023"}])
    slack_api.wait_for("chat.postMessage")
    slack_api.settle()
    assert slack_api.calls_to("chat.postEphemeral") == []


@pytest.mark.slow
def test_an_edit_that_forwards_a_message_naming_a_patient_is_warned_about(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    ts = user_ts()
    before = {"type": "message", "user": "U0USER", "text": "<@U0BOT> " + QUESTION, "ts": ts}
    after = {**before, "edited": {"user": "U0USER", "ts": user_ts()}, "attachments": [{"is_share": True, "text": FORWARDED}]}
    edit = {"type": "message", "subtype": "message_changed", "channel": "C0GENERAL", "channel_type": "channel",
            "ts": user_ts(), "hidden": True, "message": after, "previous_message": before}
    assert bot.send(event_callback(edit))[0] == 200
    assert "NHS number" in slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    slack_api.settle(quiet=0.3)
    assert not slack_api.calls_to("chat.postMessage") and "3456" not in _outbound(slack_api)
