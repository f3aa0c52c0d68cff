"""Slack markup is the Slack layer's: identifiers are found in the raw text, then the markup is removed, and the
answering core (and the thread history it gets) sees plain text."""

from __future__ import annotations

import pytest

from slack_emulator import BOT_ID, BOT_USER_ID
from slack_requests import user_ts
from bot.slack.mrkdwn import strip_slack_markup


def test_strip_slack_markup():
    raw = "<@U0BOT123> hi <!here> see <#C0123|records-access> and <https://www.england.nhs.uk/x|the guidance> :thinking_face: &amp; *bold* &lt;tag&gt;"
    assert strip_slack_markup(raw) == "hi see #records-access and the guidance & bold <tag>"


def test_strip_keeps_bare_links_and_mailto():
    assert strip_slack_markup("read <https://a.b/c> or <mailto:x@y.z|mail us>") == "read https://a.b/c or mail us"


def test_strip_handles_user_mentions_with_labels_and_skin_tones():
    assert strip_slack_markup("<@U12|sam> :+1::skin-tone-3: thanks") == "thanks"


def _asked_in_a_thread(slack_api, bot, fake_assistant, earlier: str, question: str):
    """(question, history) the core got for `question` posted in a thread that began with `earlier` and that
    the bot has answered."""
    root = user_ts()
    slack_api.add_message("C0GENERAL", root, earlier)
    slack_api.add_message("C0GENERAL", "1700000001.000001", "Earlier answer", user=BOT_USER_ID, thread_ts=root,
                          bot_id=BOT_ID)
    bot.message(question, thread_ts=root)
    slack_api.wait_for("chat.postMessage")
    return fake_assistant.questions[-1]


@pytest.mark.slow
def test_the_core_gets_plain_redacted_text_and_plain_history(slack_api, make_slack_bot, fake_assistant):
    question, history = _asked_in_a_thread(
        slack_api, make_slack_bot(fake_assistant), fake_assistant,
        "*How* do I switch on access &amp; proxy? <mailto:jo@example.com|jo@example.com>",
        "and for <#C0123|records-access> under-16s :thinking_face:")
    assert question == "and for #records-access under-16s"
    assert len(history) == 1 and "<" not in history[0] and "&amp;" not in history[0] and "*" not in history[0]
    assert "jo@example.com" not in history[0] and "How do I switch on access & proxy?" in history[0]


def test_a_name_split_by_formatting_is_redacted_in_the_question_and_the_history(
        slack_api, make_slack_bot, fake_assistant):
    question, history = _asked_in_a_thread(
        slack_api, make_slack_bot(fake_assistant), fake_assistant,
        "can Mrs *Okonkwo* see her letters online?", "and is *Jane* *Okonkwo* able to see test results?")
    assert "Okonkwo" not in question and "Jane" not in question
    assert len(history) == 1 and "Okonkwo" not in history[0]
    assert all("Okonkwo" not in str(call.params) for call in slack_api.calls)  # nor anything posted back


def test_services_plain_text_redacts_before_and_after_the_markup_goes(make_slack_bot, fake_assistant):
    services = make_slack_bot(fake_assistant).services
    plain = services.plain_text("<@U0BOT123> postcode SW1A *1AA* for Mrs. *Jones*")
    assert "1AA" not in plain.text and "Jones" not in plain.text and "*" not in plain.text and "<@" not in plain.text
    assert plain.has_identifiers and "postcode" in plain.kinds
