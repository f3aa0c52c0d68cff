"""Cards for verified answers an ingest marked needs-review: posted once (one replica), throttled per process
(`StaleCardSchedule`, STALE_CHECK_SECONDS), triggered by Slack requests through the Bolt middleware, and
resolved by reinstating, retiring or correcting the verified answer. Slack is the local Web API emulator."""

from __future__ import annotations

import json

from bot.review.service import ReviewService
from bot.slack.services import BotServices
from bot.slack.listeners.review.resolution import handle_correction_submit
from bot.slack.listeners.review.stale import StaleCardSchedule
from bot.slack.review_cards import post_due_stale_cards
from review_helpers import Ack, card_text, citation, click_card, sent, stale_item_id, submit_view
from slack_requests import event_callback
from waiting import wait_until


def _review_cards(env) -> list[dict]:
    return [p for p in sent(env, "chat.postMessage") if p["channel"] == "CREVIEW"]


def test_stale_cards(slack_env):
    env = slack_env
    verified = env.review.create_verified("What is a proxy?", "Someone acting for a patient [1].", [citation("doc-a")],
                                          "UREV1")
    assert post_due_stale_cards(env.client, env.services) == 0
    env.review.flag_stale_verified(["doc-a"])
    assert post_due_stale_cards(env.client, env.services) == 1
    [card] = sent(env, "chat.postMessage")
    assert card["channel"] == "CREVIEW" and "needs review" in card_text(card) and "doc-a" in card_text(card)
    assert post_due_stale_cards(env.client, env.services) == 0  # once
    assert len(sent(env, "chat.postMessage")) == 1

    item = env.review.get_review(stale_item_id(env.review, verified.verified_id))
    click_card(env, "review_correct", item.id)
    modal = sent(env, "views.open")[-1]["view"]
    assert modal["blocks"][2]["element"]["initial_value"] == "Someone acting for a patient [1]."
    body, view = submit_view("review_correction", modal["private_metadata"],
                             {"answer": {"answer": {"value": "A proxy acts for a patient with their consent [1]."}}})
    handle_correction_submit(Ack(), env.client, env.services, body, view)
    assert env.review.get_verified(verified.verified_id).status == "retired"
    [active] = env.review.list_verified(status="active")
    assert active.answer.startswith("A proxy acts") and active.cited_doc_hashes == {"doc-a": "hash-a1"}
    assert [p["channel"] for p in sent(env, "chat.postMessage")] == ["CREVIEW"]  # no asker thread to post in
    assert "A proxy acts" in card_text(sent(env, "chat.update")[-1])


def test_stale_reinstate_and_retire(slack_env):
    env = slack_env
    v1 = env.review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV1")
    v2 = env.review.create_verified("Who can see coded data?", "The patient.", [citation("doc-b")], "UREV1")
    env.review.flag_stale_verified(["doc-a", "doc-b"])
    assert post_due_stale_cards(env.client, env.services) == 2
    click_card(env, "review_approve", stale_item_id(env.review, v1.verified_id))
    click_card(env, "review_dismiss", stale_item_id(env.review, v2.verified_id))
    assert env.review.get_verified(v1.verified_id).status == "active"
    assert env.review.get_verified(v2.verified_id).status == "retired"
    assert env.index.verified_statuses() == {v1.verified_id: "active", v2.verified_id: "retired"}
    texts = [card_text(p) for p in sent(env, "chat.update")]
    assert any("Reinstated" in t for t in texts) and any("Retired" in t for t in texts)


def test_two_replicas_post_each_stale_card_once(slack_env):
    env = slack_env
    other_store = ReviewService.from_settings(env.services.settings, index=env.index)
    other = BotServices(settings=env.services.settings, assistant=None, review=other_store)
    try:
        env.review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV1")
        env.review.flag_stale_verified(["doc-a"])
        assert post_due_stale_cards(env.client, other) + post_due_stale_cards(env.client, env.services) == 1
        assert len(_review_cards(env)) == 1
    finally:
        other.close()
        other_store.close()


def test_a_stale_card_that_could_not_be_posted_is_due_again(slack_env):
    env = slack_env
    env.review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV1")
    env.review.flag_stale_verified(["doc-a"])
    env.api.fail("chat.postMessage", status=500, times=10)
    assert post_due_stale_cards(env.client, env.services) == 0
    assert len(env.review.due_stale_cards()) == 1  # not lost: the next check tries again
    env.api.reset()
    assert post_due_stale_cards(env.client, env.services) == 1
    assert len(_review_cards(env)) == 1 and env.review.due_stale_cards() == []


def test_the_schedule_allows_one_check_per_interval():
    now = [100.0]
    schedule = StaleCardSchedule(60.0, clock=lambda: now[0])
    assert schedule.take()  # the first request checks
    now[0] += 59.9
    assert not schedule.take()
    now[0] += 0.1
    assert schedule.take() and not schedule.take()
    every_time = StaleCardSchedule(0.0, clock=lambda: now[0])
    assert every_time.take() and every_time.take()


def test_a_slack_request_triggers_the_check_and_the_card_is_posted_once(slack_env):
    """The middleware (the only trigger besides `gpbot serve`'s refresh loop): any request starts a check when
    one is due; a later request within STALE_CHECK_SECONDS does not check again."""
    from slack_bolt import App, BoltRequest

    from bot.slack.listeners.review import stale

    env = slack_env
    app = App(client=env.client, signing_secret="unused", request_verification_enabled=False)
    schedule = stale.register(app, env.services)

    @app.event("message")
    def on_message(ack):
        ack()

    env.review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV1")
    env.review.flag_stale_verified(["doc-a"])
    event = {"type": "message", "user": "U0USER", "text": "hi", "ts": "1.1", "channel": "C0GENERAL"}
    assert app.dispatch(BoltRequest(body=json.dumps(event_callback(event)))).status == 200
    assert schedule.started == 1  # the middleware ran before the response
    env.api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "CREVIEW")
    assert wait_until(lambda: env.review.due_stale_cards() == [], what="the card claimed and posted")
    # within the interval: no second check; a newly flagged answer waits for the next one (or the refresh loop)
    env.review.create_verified("Who can see coded data?", "The patient.", [citation("doc-b")], "UREV1")
    env.review.flag_stale_verified(["doc-b"])
    assert app.dispatch(BoltRequest(body=json.dumps(event_callback(event)))).status == 200
    assert schedule.started == 1 and len(env.review.due_stale_cards()) == 1 and len(_review_cards(env)) == 1
