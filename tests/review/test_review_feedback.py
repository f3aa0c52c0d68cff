"""Feedback, escalation and the cards they open: the review listeners called directly (no Bolt), with a real
slack_sdk WebClient on the local Slack Web API emulator; assertions read what the emulator received.

The end-to-end loop through Bolt and signed payloads lives in test_review_loop.py.
"""

from __future__ import annotations

import json

from bot.slack import review_blocks as rb
from bot.slack.listeners.review.feedback import handle_comment_submit, handle_escalate, handle_feedback
from bot.slack.review_cards import post_review_card
from review_helpers import NHS_NUMBER, action_body, asked, card_text, click_card, posted_ts, sent, submit_view


def _vote(env, answer_id, vote, user="UASK"):
    body, action = action_body("feedback", rb.feedback_value(answer_id, vote), user=user,
                               action_type="feedback_buttons")
    handle_feedback(env.client, env.services, body, action)


def test_thumbs_up_records_and_thanks(slack_env):
    env = slack_env
    answer_id = asked(env)
    _vote(env, answer_id, "up")
    assert env.review.feedback_counts(answer_id) == {"up": 1, "down": 0}
    [eph] = sent(env, "chat.postEphemeral")
    assert eph["user"] == "UASK" and eph["channel"] == "CASK" and eph["thread_ts"] == "100.1"
    assert "Thanks" in eph["text"]
    assert sent(env, "chat.postMessage") == []  # no card for 👍


def test_thumbs_down_card_modal_and_comment(slack_env):
    env = slack_env
    answer_id = asked(env)
    _vote(env, answer_id, "down")

    [modal] = sent(env, "views.open")
    assert modal["trigger_id"] == "trig-1" and modal["view"]["callback_id"] == rb.COMMENT_CALLBACK
    [eph] = sent(env, "chat.postEphemeral")
    assert eph["user"] == "UASK" and eph["thread_ts"] == "100.1"
    [card] = sent(env, "chat.postMessage")
    assert card["channel"] == "CREVIEW"
    text = card_text(card)
    assert "Can a parent see a 12 year old" in text and "https://example.org/doc-a" in text
    assert "Confidence" in text and "https://test.slack.com/archives/CASK/p1002" in text  # chat.getPermalink
    assert sent(env, "chat.getPermalink") == [{"channel": "CASK", "message_ts": "100.2"}]
    actions = [b for b in card["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == ["review_approve", "review_correct", "review_dismiss"]
    item_id = json.loads(actions[0]["value"])["i"]
    [card_ts] = posted_ts(env, "CREVIEW")
    assert env.review.get_review(item_id).card_ts == card_ts

    # a second 👎 by someone else: no second card, the card is refreshed
    _vote(env, answer_id, "down", user="UOTHER")
    assert len(sent(env, "chat.postMessage")) == 1
    assert "👎 2" in card_text(sent(env, "chat.update")[-1])

    # the "what was wrong?" answer is added to the card (redacted)
    meta = json.loads(modal["view"]["private_metadata"])
    body, view = submit_view(rb.COMMENT_CALLBACK, modal["view"]["private_metadata"],
                             {"comment": {"comment": {"type": "plain_text_input",
                                                      "value": f"It ignores proxies; patient {NHS_NUMBER}"}}},
                             user="UASK")
    handle_comment_submit(env.client, env.services, body, view)
    assert meta["a"] == answer_id and meta["i"] == item_id
    update = sent(env, "chat.update")[-1]
    assert update["channel"] == "CREVIEW" and update["ts"] == card_ts and "It ignores proxies" in card_text(update)
    assert NHS_NUMBER not in json.dumps([c.params for c in env.api.calls])
    warning = sent(env, "chat.postEphemeral")[-1]  # the commenter is told the number was removed
    assert warning["user"] == "UASK" and "NHS number" in warning["text"]


def test_review_off_without_review_channel(slack_env):
    env = slack_env
    env.services.settings = env.services.settings.replace(review_channel=None)
    answer_id = asked(env)
    _vote(env, answer_id, "down")
    assert env.review.feedback_counts(answer_id)["down"] == 1  # still on record
    [thanks] = sent(env, "chat.postEphemeral")
    assert "recorded" in thanks["text"]
    assert sent(env, "chat.postMessage") == [] and sent(env, "views.open") == []
    assert post_review_card(env.client, env.services, answer_id) is None
    body, action = action_body("escalate", rb.escalate_value(answer_id, "CASK", "100.1"))
    handle_escalate(env.client, env.services, body, action)
    assert sent(env, "chat.postMessage") == [] and env.review.list_reviews() == []
    assert "contact them directly" in sent(env, "chat.postEphemeral")[-1]["text"]


def test_escalate(slack_env):
    env = slack_env
    answer_id = asked(env)
    body, action = action_body("escalate", rb.escalate_value(answer_id, "CASK", "100.1"))
    handle_escalate(env.client, env.services, body, action)
    card, told = sent(env, "chat.postMessage")
    assert card["channel"] == "CREVIEW" and "asked for the support team" in card_text(card)
    assert told["channel"] == "CASK" and told["thread_ts"] == "100.1" and "support team" in told["text"]
    [item] = env.review.list_reviews(status="open")
    assert item["reason"] == "escalated" and item["opened_by"] == "UASK"


def test_escalate_without_a_recorded_answer(slack_env):
    env = slack_env
    body, action = action_body("escalate", rb.escalate_value(None, "CASK", "100.1"))
    handle_escalate(env.client, env.services, body, action)
    card, told = sent(env, "chat.postMessage")
    assert card["channel"] == "CREVIEW" and "(no question on record)" in card_text(card)
    assert told["channel"] == "CASK" and told["thread_ts"] == "100.1"


def test_an_escalation_that_failed_can_be_tried_again(slack_env, monkeypatch):
    from bot.review.service import ReviewError

    env = slack_env
    answer_id = asked(env)
    body, action = action_body("escalate", rb.escalate_value(answer_id, "CASK", "100.1"))
    real_open = env.review.open_review

    def store_down(*args, **kwargs):
        raise ReviewError("the store is down")

    monkeypatch.setattr(env.review, "open_review", store_down)
    handle_escalate(env.client, env.services, body, action)
    from bot import prompts

    assert sent(env, "chat.postEphemeral")[-1]["text"] == prompts.ESCALATE_FAILED
    monkeypatch.setattr(env.review, "open_review", real_open)
    handle_escalate(env.client, env.services, body, action)  # not "already escalated": the first one failed
    [item] = env.review.list_reviews(status="open")
    assert item["reason"] == "escalated"


def test_not_covered_card(slack_env):
    env = slack_env
    answer_id = asked(env, question="Can I see my cat's vaccination record?", kind="not_covered")
    item_id = post_review_card(env.client, env.services, answer_id, reason="not_covered")
    [card] = sent(env, "chat.postMessage")
    assert "did not cover" in card_text(card) and env.review.get_review(item_id).reason == "not_covered"
    # Approve makes no sense for a not-covered answer: refused, item stays open
    click_card(env, "review_approve", item_id)
    assert env.review.get_review(item_id).status == "open"
    told = sent(env, "chat.postEphemeral")[-1]
    assert told["user"] == "UREV1" and "Correct" in told["text"]


def test_a_card_that_failed_to_post_is_released_and_counted(slack_env):
    env = slack_env
    answer_id = asked(env, kind="not_covered")
    env.api.fail("chat.postMessage", status=500)
    item_id = post_review_card(env.client, env.services, answer_id, reason="not_covered")
    item = env.review.get_review(item_id)
    assert item.card_channel is None and item.card_ts is None  # a later event may post it
    assert len(sent(env, "chat.postMessage")) == 1  # tried once, refused by Slack
    errors = env.services.metrics.slack_api_errors.labels(method="chat.postMessage", error="internal_error")
    assert errors._value.get() == 1
    # the next attempt claims and posts it
    assert post_review_card(env.client, env.services, answer_id, reason="escalated") == item_id
    card = sent(env, "chat.postMessage")[-1]
    item = env.review.get_review(item_id)
    assert card["channel"] == item.card_channel == "CREVIEW" and item.card_ts == posted_ts(env, "CREVIEW")[-1]
