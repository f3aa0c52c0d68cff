"""What a message carries besides its words — a file named after a patient, a pasted snippet, a forwarded message that
names one — is in the channel too: the poster is warned about it, and it is never answered, stored, posted or logged.
A forwarded message's author and Slack's date line, and previews of web pages and apps, raise no warning."""

from __future__ import annotations

import json
import logging

import pytest

from e2e_helpers import QUESTION
from slack_requests import blocks_of, event_callback, user_ts
from bot.slack.shared_content import shared_text

FILE_NAME = "Okafor_Margaret_DOB_14-03-1957_discharge.pdf"
FORWARDED = "pt Margaret Okafor 485 777 3456 rang about her results"


def _rich(text: str) -> list[dict]:
    return [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


def _forward(text: str, author: str = "Sarah Thompson") -> dict:
    """A forwarded message as Slack sends it: its text, its blocks, and a fallback led by the date and the author."""
    return {"is_share": True, "is_msg_unfurl": True, "author_name": author, "text": text,
            "fallback": f"[December 7th, 2026 10:15 AM] {author.lower().replace(' ', '.')}: {text}",
            "from_url": "https://example.slack.com/archives/C1/p1700000000000100",
            "message_blocks": [{"team": "T0TEAM", "channel": "C1", "ts": "1700000000.000100",
                                "message": {"blocks": _rich(text)}}]}


# ------------------------------------------------------------------ reading what a message carries
def test_file_names_are_read_as_words_without_the_extension_or_a_screenshots_time():
    event = {"files": [{"name": FILE_NAME, "title": FILE_NAME},
                       {"name": "Screenshot 2026-12-07 at 10.15.32.png", "title": "Screenshot 2026-12-07 at 10.15.32.png"},
                       {"name": "note DOB 14.03.1957", "title": "Capture d’écran 2026-12-07 à 10.15.32"}]}
    lines = shared_text(event).splitlines()
    assert lines[:2] == ["Okafor Margaret DOB 14-03-1957 discharge", FILE_NAME]
    assert "note DOB 14.03.1957" in lines  # a date's digits are no extension
    assert not any("10.15.32" in line for line in lines)


def test_snippets_emails_and_files_inside_a_forwarded_message_are_read():
    event = {"files": [{"name": "untitled", "mode": "snippet", "preview": "Mrs Ada Lumb, 12 Back Lane, TS9 6NB"},
                       {"name": "fwd.eml", "filetype": "email", "subject": "re: Ada Lumb", "plain_text": "dob 2/2/50"}],
             "attachments": [{**_forward("see attached"), "files": [{"name": "Lumb_Ada_letter.pdf"}]}]}
    text = shared_text(event)
    for piece in ("TS9 6NB", "re: Ada Lumb", "dob 2/2/50", "Lumb Ada letter", "see attached"):
        assert piece in text


def test_a_forwarded_message_is_read_without_its_author_or_slacks_date_line():
    text = shared_text({"attachments": [_forward(FORWARDED)]})
    assert text == FORWARDED
    assert "sarah" not in text.lower() and "December" not in text
    # a fallback alone (no text, no blocks) loses its date and author
    alone = {"is_share": True, "fallback": "[May 2nd, 2026 9:01 AM] jo.bloggs: DOB 02/03/1971"}
    assert shared_text({"attachments": [alone]}) == "DOB 02/03/1971"


def test_previews_of_web_pages_and_apps_are_not_read():
    event = {"attachments": [
        {"from_url": "https://www.england.nhs.uk/page", "title": "Proxy access", "text": "Written by Dr Jane Smith"},
        {"is_app_unfurl": True, "app_unfurl_url": "https://docs.example.com/d/1", "text": "Owner: Dr Anna Patel"},
    ]}
    assert shared_text(event) == ""


@pytest.mark.parametrize("event", [None, "text", {"files": "x"}, {"files": [None, {"name": 3}]},
                                   {"attachments": [{"is_share": True, "message_blocks": "x"}]},
                                   {"attachments": [{"is_share": True, "message_blocks": [None, {"message": "x"}]}]},
                                   {"attachments": [{"is_share": True, "files": {"name": "x"}}]}])
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
    warning = slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    assert "date of birth" in warning and "file or a message you shared" in warning  # worded for the file
    slack_api.settle()
    assert spy.calls == [(QUESTION, [])]  # the core saw the question, not the file's name
    for secret in ("Okafor", "14-03-1957"):  # (never a bare "1957": button values carry random hex ids)
        assert secret not in _outbound(slack_api) and secret not in caplog.text
    answer_id = json.loads(next(b for b in blocks_of(reply) if b["type"] == "actions")["elements"][0]["value"])["a"]
    stored = bot.services.review.get_answer(answer_id)
    assert stored.pii_warning and "Okafor" not in stored.question


@pytest.mark.slow
def test_a_forwarded_message_naming_a_patient_is_warned_about(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    bot.mention(QUESTION, attachments=[_forward(FORWARDED)])
    slack_api.wait_for("chat.postMessage")
    assert "NHS number" in slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    slack_api.settle()
    for secret in ("485 777 3456", "4857773456", "Okafor"):  # whole numbers: a random hex id may hold "3456"
        assert secret not in _outbound(slack_api)
    assert all("Okafor" not in question for question, _ in spy.calls)


@pytest.mark.slow
def test_a_thread_reply_and_the_assistant_pane_read_what_they_carry(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    _, _, _, envelope = bot.mention(QUESTION)
    root = envelope["event"]["ts"]
    slack_api.wait_for("chat.postMessage")
    bot.message("and for EMIS Web?", thread_ts=root, subtype="file_share", files=[{"id": "F3", "name": FILE_NAME}])
    assert "date of birth" in slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    pane = user_ts()
    bot.message(QUESTION, channel="D0DM", channel_type="im", thread_ts=pane, attachments=[_forward(FORWARDED)])
    warnings = slack_api.wait_for("chat.postEphemeral", 2)
    assert warnings[1].params["channel"] == "D0DM" and "NHS number" in warnings[1].params["text"]
    assert "Okafor" not in _outbound(slack_api)


@pytest.mark.slow
def test_when_answering_fails_the_file_is_still_warned_about(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    spy.fail_on = "SystmOne"
    bot.mention(QUESTION, files=[{"id": "F4", "name": FILE_NAME}])
    slack_api.wait_for("chat.postMessage")  # the apology
    assert "date of birth" in slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    assert "Okafor" not in _outbound(slack_api)


@pytest.mark.slow
def test_outside_the_allowed_channels_a_file_named_after_a_patient_is_still_warned_about(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy, allowed_channel_ids="C0ALLOWED")
    bot.mention(QUESTION, channel="C0ELSEWHERE", files=[{"id": "F1", "name": FILE_NAME}])
    assert "date of birth" in slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    assert spy.calls == [] and "Okafor" not in _outbound(slack_api)


@pytest.mark.slow
def test_previews_a_colleagues_forward_and_a_plain_file_raise_no_warning(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    bot.mention(QUESTION, files=[{"id": "F2", "name": "Screenshot 2026-12-07 at 10.15.32.png"}],
                attachments=[{"from_url": "https://www.england.nhs.uk/long-read/proxy-access/",
                              "title": "Proxy access", "text": "Written by Dr Jane Smith, 12 March 2023"},
                             _forward("is the DPIA template on the shared drive?", author="Anna Patel")])
    slack_api.wait_for("chat.postMessage")
    slack_api.settle()
    assert slack_api.calls_to("chat.postEphemeral") == []


@pytest.mark.slow
def test_slack_unfurling_a_linked_message_is_no_edit_to_warn_about(slack_api, make_slack_bot, fake_assistant):
    """Slack adds a linked message's preview with a message_changed event that has no `edited`: the poster edited
    nothing, and edits are read for their words only."""
    bot = make_slack_bot(fake_assistant)
    ts = user_ts()
    before = {"type": "message", "user": "U0USER", "text": "see https://example.slack.com/archives/C1/p1", "ts": ts}
    unfurl = {"type": "message", "subtype": "message_changed", "channel": "C0GENERAL", "channel_type": "channel",
              "ts": user_ts(), "hidden": True, "message": {**before, "attachments": [_forward(FORWARDED)]},
              "previous_message": before}
    assert bot.send(event_callback(unfurl))[0] == 200
    slack_api.settle(quiet=0.3)
    assert slack_api.calls_to("chat.postEphemeral") == [] and slack_api.calls_to("chat.postMessage") == []
