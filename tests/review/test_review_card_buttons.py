"""A reviewer's buttons on a review card and the correction modal: the listeners called directly (no Bolt),
with a real slack_sdk WebClient on the local Slack Web API emulator; assertions read what it received."""

from __future__ import annotations

import json
import threading

import pytest

from bot import prompts
from bot.slack import review_blocks as rb
from bot.slack.listeners.review.resolution import handle_correction_submit
from bot.slack.listeners.review.feedback import handle_feedback
from bot.slack.review_cards import post_due_stale_cards
from review_helpers import (
    Ack,
    action_body,
    asked,
    card_text,
    citation,
    click_card,
    sent,
    stale_item_id,
    submit_view,
)


def _thumbs_down(env, **kw):
    answer_id = asked(env, **kw)
    body, action = action_body("feedback", rb.feedback_value(answer_id, "down"), action_type="feedback_buttons")
    handle_feedback(env.client, env.services, body, action)
    return answer_id, env.review.list_reviews(status="open")[0]["id"]


def test_non_reviewer_changes_nothing(slack_env):
    env = slack_env
    _answer_id, item_id = _thumbs_down(env)
    before = len(env.api.calls)
    for action_id in ("review_approve", "review_correct", "review_dismiss"):
        click_card(env, action_id, item_id, user="UNOBODY")
    new = env.api.calls[before:]
    assert [c.method for c in new] == ["chat.postEphemeral"] * 3
    assert all(c.params["user"] == "UNOBODY" and c.params["text"] == prompts.REVIEW_REFUSAL for c in new)
    assert env.review.get_review(item_id).status == "open"
    assert env.review.list_verified() == []
    # a forged modal submission is refused too
    ack = Ack()
    body, view = submit_view(rb.CORRECTION_CALLBACK, rb.item_value(item_id), {"answer": {"answer": {"value": "forged"}}},
                             user="UNOBODY")
    handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls == [{"response_action": "errors", "errors": {"answer": prompts.REVIEW_REFUSAL}}]
    assert env.review.get_review(item_id).status == "open" and len(env.api.calls) == before + 3


def test_usergroup_member_can_review(slack_env):
    env = slack_env
    env.services.settings = env.services.settings.replace(reviewer_usergroup="SREV")
    env.review.settings = env.services.settings
    env.api.usergroup_users = ["UGROUPIE"]
    _answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_dismiss", item_id, user="UGROUPIE")
    assert env.review.get_review(item_id).status == "dismissed"
    assert sent(env, "usergroups.users.list")[0]["usergroup"] == "SREV"
    assert "Dismissed" in card_text(sent(env, "chat.update")[-1])


def test_correct_flow(slack_env):
    env = slack_env
    answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_correct", item_id)
    modal = sent(env, "views.open")[-1]["view"]
    assert modal["callback_id"] == "review_correction"
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert len(inputs) == 1 and inputs[0]["block_id"] == "answer" and inputs[0]["element"]["multiline"] is True
    assert inputs[0].get("optional") is False
    assert inputs[0]["element"]["initial_value"] == "You can give access [1]."
    assert "Can a parent see a 12 year old" in json.dumps(modal["blocks"][0])
    assert "https://example.org/doc-a" in json.dumps(modal["blocks"])

    # empty submission: error shown on the input, nothing changes
    ack = Ack()
    body, view = submit_view("review_correction", modal["private_metadata"], {"answer": {"answer": {"value": "  "}}})
    handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls == [{"response_action": "errors", "errors": {"answer": "Write the corrected answer."}}]

    corrected = "Not by default: a parent needs the child's consent or a competence assessment [1]."
    ack = Ack()
    body, view = submit_view("review_correction", modal["private_metadata"], {"answer": {"answer": {"value": corrected}}})
    handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls == [{}]
    reply = [p for p in sent(env, "chat.postMessage") if p["channel"] == "CASK"][-1]
    assert reply["thread_ts"] == "100.1" and "Corrected by the support team" in reply["text"]
    assert "competence assessment" in card_text(reply)
    final = sent(env, "chat.update")[-1]
    assert final["channel"] == "CREVIEW" and "Corrected" in card_text(final) and "<@UREV1>" in card_text(final)
    assert "<!date^" in card_text(final)
    assert not [b for b in final["blocks"] if b["type"] == "actions"]  # no buttons in the final state

    item = env.review.get_review(item_id)
    assert item.status == "corrected" and item.reviewer == "UREV1" and item.verified_id
    assert final["ts"] == item.card_ts
    verified = env.review.get_verified(item.verified_id)
    assert verified.answer == corrected and verified.status == "active" and verified.cited_doc_ids == ["doc-a"]
    hits = env.index.search_verified(env.index.embedder.embed_query("can a parent see a 12 year old's record"))
    assert hits[0][0] == verified.verified_id

    # a second submit (double click, another reviewer) changes nothing
    posts = len(sent(env, "chat.postMessage"))
    ack = Ack()
    handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls == [{"response_action": "errors", "errors": {"answer": "Already corrected by another reviewer."}}]
    assert len(env.review.list_verified()) == 1 and len(sent(env, "chat.postMessage")) == posts


def test_approve_promotes_to_verified(slack_env):
    env = slack_env
    answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_approve", item_id, user="UREV2")
    item = env.review.get_review(item_id)
    assert item.status == "approved" and item.verified_id
    verified = env.review.get_verified(item.verified_id)
    assert verified.answer == "You can give access [1]." and verified.author == "UREV2"
    assert "Approved" in card_text(sent(env, "chat.update")[-1])
    # clicking again: refused politely, nothing new
    click_card(env, "review_dismiss", item_id, user="UREV1")
    assert env.review.get_review(item_id).status == "approved"
    told = sent(env, "chat.postEphemeral")[-1]
    assert told["user"] == "UREV1" and told["text"] == "This item was already approved by <@UREV2>."


def test_dismiss(slack_env):
    env = slack_env
    _answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_dismiss", item_id)
    assert env.review.get_review(item_id).status == "dismissed" and env.review.list_verified() == []
    update = sent(env, "chat.update")[-1]
    assert update["channel"] == "CREVIEW" and "Dismissed" in card_text(update)


@pytest.mark.parametrize("record", ["answer", "verified"])
def test_correct_on_a_purged_record_says_so(slack_env, monkeypatch, record):
    """The item's answer (or verified answer) was purged after the card went up: a polite ephemeral, no modal."""
    env = slack_env
    if record == "answer":
        _answer_id, item_id = _thumbs_down(env)
        monkeypatch.setattr(env.review, "get_answer", lambda answer_id: None)
    else:
        verified = env.review.create_verified("What is a proxy?", "Someone acting for a patient [1].",
                                              [citation("doc-a")], "UREV1")
        env.review.flag_stale_verified(["doc-a"])
        assert post_due_stale_cards(env.client, env.services) == 1
        item_id = stale_item_id(env.review, verified.verified_id)
        monkeypatch.setattr(env.review, "get_verified", lambda verified_id: None)
    click_card(env, "review_correct", item_id)
    assert [v for v in sent(env, "views.open") if v["view"]["callback_id"] == rb.CORRECTION_CALLBACK] == []
    told = sent(env, "chat.postEphemeral")[-1]
    assert told["user"] == "UREV1" and told["text"] == prompts.CORRECTION_NO_QUESTION
    assert env.review.get_review(item_id).status == "open"


def _open_item(env, kind: str) -> str:
    """An open review item of `kind`: a thumbs-down answer, a stale verified answer, or a changed source page."""
    if kind == "thumbs_down":
        return _thumbs_down(env)[1]
    if kind == "stale_verified":
        verified = env.review.create_verified("What is a proxy?", "Someone acting for a patient [1].",
                                              [citation("doc-a")], "UREV1")
        env.review.flag_stale_verified(["doc-a"])
        assert post_due_stale_cards(env.client, env.services) == 1
        return stale_item_id(env.review, verified.verified_id)
    return env.review.open_source_review("doc-a", {"change": "changed"}).id


@pytest.mark.parametrize("kind, first, second", [
    ("thumbs_down", "review_approve", "review_dismiss"),
    ("thumbs_down", "review_dismiss", "review_approve"),
    ("stale_verified", "review_approve", "review_approve"),
    ("source_changed", "review_approve", "review_approve"),
])
def test_two_reviewers_at_once_the_loser_is_told(slack_env, monkeypatch, kind, first, second):
    """Both reviewers see the item open and resolve it at the same moment: the store lets one win, and the
    other is told privately who resolved it (whichever button either pressed)."""
    env = slack_env
    item_id = _open_item(env, kind)
    both_checked = threading.Barrier(2, timeout=10)
    resolve = env.review.resolve_review

    def resolve_together(*args, **kwargs):  # neither resolves before both have read the item as open
        both_checked.wait()
        return resolve(*args, **kwargs)

    monkeypatch.setattr(env.review, "resolve_review", resolve_together)
    before = len(sent(env, "chat.postEphemeral"))
    clicks = [threading.Thread(target=click_card, args=(env, action_id, item_id), kwargs={"user": user})
              for action_id, user in ((first, "UREV1"), (second, "UREV2"))]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join(timeout=30)
    item = env.review.get_review(item_id)
    assert item.status in ("approved", "dismissed") and item.reviewer in ("UREV1", "UREV2")
    loser = "UREV2" if item.reviewer == "UREV1" else "UREV1"
    told = sent(env, "chat.postEphemeral")[before:]
    assert told == [{"channel": "CREVIEW", "user": loser,
                     "text": prompts.REVIEW_ALREADY_RESOLVED.format(status=item.status, reviewer=item.reviewer)}]
