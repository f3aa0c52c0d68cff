"""Identifiers in message edits and in modal inputs (a reviewer's correction, a feedback comment): warned about,
redacted before anything is posted or stored, whatever formatting wraps them."""

from __future__ import annotations

import json

from slack_requests import event_callback, user_ts, view_submission
from sqlalchemy import select

from bot.review.models import VerifiedRecord
from bot.slack import review_blocks as rb

NHS_NUMBER = "9991860916"


def test_an_edit_that_adds_an_nhs_number_is_warned(slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    ts = user_ts()
    edit = {"type": "message", "subtype": "message_changed", "channel": "C0GENERAL", "channel_type": "channel",
            "ts": user_ts(), "hidden": True,
            "message": {"type": "message", "user": "U0USER", "text": f"<@U0BOT> can pt {NHS_NUMBER[:3]}\u202f"
                        f"{NHS_NUMBER[3:6]}\u202f{NHS_NUMBER[6:]} see results?", "ts": ts,
                        "edited": {"user": "U0USER", "ts": user_ts()}},
            "previous_message": {"type": "message", "user": "U0USER", "text": "<@U0BOT> can pt see results?", "ts": ts}}
    assert bot.send(event_callback(edit))[0] == 200
    warning = slack_api.wait_for("chat.postEphemeral")[0]
    assert warning.params["user"] == "U0USER" and "NHS number" in warning.params["text"]
    assert "removed" in warning.params["text"] and "delete or edit" in warning.params["text"]
    slack_api.settle(quiet=0.3)
    assert not slack_api.calls_to("chat.postMessage")  # edits are never answered
    assert NHS_NUMBER[6:] not in json.dumps([c.params for c in slack_api.calls])


def test_an_edit_that_swaps_one_nhs_number_for_another_is_warned_and_an_unchanged_one_is_not(
        slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant)
    other = "9434765870"  # another valid number (Modulus 11)

    def edit(before: str, after: str) -> dict:
        ts = user_ts()
        return {"type": "message", "subtype": "message_changed", "channel": "C0GENERAL", "channel_type": "channel",
                "ts": user_ts(), "hidden": True,
                "message": {"type": "message", "user": "U0USER", "text": f"<@U0BOT> can pt {after} see results?",
                            "ts": ts, "edited": {"user": "U0USER", "ts": user_ts()}},
                "previous_message": {"type": "message", "user": "U0USER", "text": f"<@U0BOT> can pt {before} see it?",
                                     "ts": ts}}

    assert bot.send(event_callback(edit(NHS_NUMBER, NHS_NUMBER)))[0] == 200  # the same number: warned before
    slack_api.settle(quiet=0.3)
    assert not slack_api.calls_to("chat.postEphemeral")
    assert bot.send(event_callback(edit(NHS_NUMBER, other)))[0] == 200
    assert "NHS number" in slack_api.wait_for("chat.postEphemeral")[0].params["text"]
    assert other[6:] not in json.dumps([c.params for c in slack_api.calls])


def test_an_edit_outside_the_allowed_channels_gets_no_warning(slack_api, make_slack_bot, fake_assistant):
    """The bot stays silent in a channel it is not allowed in, even for an edit that adds an NHS number; in an
    allowed channel the same edit is warned."""
    bot = make_slack_bot(fake_assistant, allowed_channel_ids="C0ALLOWED")

    def edit(channel: str) -> dict:
        ts = user_ts()
        return {"type": "message", "subtype": "message_changed", "channel": channel, "channel_type": "channel",
                "ts": user_ts(), "hidden": True,
                "message": {"type": "message", "user": "U0USER", "text": f"can pt {NHS_NUMBER} see results?",
                            "ts": ts, "edited": {"user": "U0USER", "ts": user_ts()}},
                "previous_message": {"type": "message", "user": "U0USER", "text": "can pt see results?", "ts": ts}}

    assert bot.send(event_callback(edit("C0ELSEWHERE")))[0] == 200
    slack_api.settle(quiet=0.5)
    assert [c.method for c in slack_api.calls if c.method != "auth.test"] == [] and fake_assistant.questions == []
    assert bot.send(event_callback(edit("C0ALLOWED")))[0] == 200
    warning = slack_api.wait_for("chat.postEphemeral")[0]
    assert warning.params["channel"] == "C0ALLOWED" and "NHS number" in warning.params["text"]
    assert NHS_NUMBER[6:] not in json.dumps([c.params for c in slack_api.calls])


def test_correction_with_identifiers_is_redacted_before_posting_and_the_reviewer_is_told(
        slack_api, make_slack_bot, fake_assistant):
    bot = make_slack_bot(fake_assistant, review_channel="C0REVIEW", reviewer_user_ids="U0REV")
    bot.mention("uncovered question about proxy access")
    slack_api.wait_for("chat.postMessage", 2)  # the answer and its review card
    item = bot.services.review.list_reviews()[0]
    meta = json.loads(json.dumps(rb.correction_modal(item_id=item["id"], question="q", answer_text="a", citations=[],
                                                     card_channel="C0REVIEW", card_ts="1.1").to_dict()))
    text = f"Mrs Jane Placeholder (NHS {NHS_NUMBER[:3]}-{NHS_NUMBER[3:6]}-{NHS_NUMBER[6:]}) can have proxy access; jane must consent."
    status, _, _ = bot.action(view_submission("review_correction", meta["private_metadata"],
                                               {"answer": {"answer": {"value": text}}}, user="U0REV"))
    assert status == 200
    posted = slack_api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0GENERAL"
                                and "Corrected" in json.dumps(c.params))[0]
    told = slack_api.wait_for("chat.postEphemeral", where=lambda c: c.params.get("user") == "U0REV")[0]
    flat = json.dumps(posted.params).lower()
    assert "placeholder" not in flat and "jane" not in flat and NHS_NUMBER[6:] not in flat and "[name]" in flat
    assert "removed" in told.params["text"] and "NHS number" in told.params["text"]


def test_a_name_in_chat_emphasis_is_redacted_in_a_correction_and_a_feedback_comment(
        slack_api, make_slack_bot, fake_assistant):
    """Modal inputs are redacted once, on the raw text: bold or italic marks around a name must not hide it (a
    reviewer showed "Mrs *Smith*" reaching the asker's thread, the verified answer and the review card)."""
    bot = make_slack_bot(fake_assistant, review_channel="C0REVIEW", reviewer_user_ids="U0REV")
    bot.mention("uncovered question about proxy access")
    slack_api.wait_for("chat.postMessage", 2)
    item = bot.services.review.list_reviews()[0]
    comment = rb.comment_modal(answer_id=item["answer_id"], item_id=item["id"], channel="C0GENERAL",
                               thread_ts="1.1").private_metadata
    assert bot.action(view_submission("review_feedback_comment", comment,
                                       {"comment": {"comment": {"value": "Mrs *Smith* was confused by this"}}}))[0] == 200
    slack_api.wait_for("chat.update")
    correction = rb.correction_modal(item_id=item["id"], question="q", answer_text="a", citations=[],
                                     card_channel="C0REVIEW", card_ts="1.1").private_metadata
    assert bot.action(view_submission("review_correction", correction,
                                       {"answer": {"answer": {"value": "Tell Mrs _Smith_ she can have proxy access."}}},
                                       user="U0REV"))[0] == 200
    slack_api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0GENERAL"
                       and "Corrected" in json.dumps(c.params))
    review = bot.services.review
    with review.session() as s:  # the stored rows, not a read that redacts again on the way out
        stored = [v.answer for v in s.scalars(select(VerifiedRecord))]
    kept = ([f.comment for f in review.get_feedback(item["answer_id"])] + stored
            + [json.dumps(c.params) for c in slack_api.calls])
    assert not any("Smith" in text for text in kept if text)
    assert any("[name]" in (f.comment or "") for f in review.get_feedback(item["answer_id"]))
