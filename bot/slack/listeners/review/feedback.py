"""What askers do under an answer: 👍/👎 (`feedback`), the "what was wrong?" modal, *Ask the support team*.

- `handle_feedback`        action `feedback` (feedback_buttons; value `{"a": answer_id, "v": "up"|"down"}`)
- `handle_comment_submit`  view `review_feedback_comment`
- `handle_escalate`        action `escalate` (value `{"a": answer_id, "c": channel, "t": thread_ts}`)

Votes are recorded and thanked even while REVIEW_CHANNEL is unset; a 👎 or an escalation then opens no card.
"""

from __future__ import annotations

import logging

from bot import prompts
from bot.review.service import ReviewError
from bot.slack import review_blocks as rb
from bot.slack.blocks import pii_warning_text
from bot.slack.calls import api_call, post_ephemeral
from bot.slack.clicks import clicked_action, input_value, user_of, where_clicked
from bot.slack.review_cards import post_card, post_review_card, refresh_card

log = logging.getLogger(__name__)


def handle_feedback(client, services, body: dict, action: dict | None = None) -> None:
    review = services.review
    user = user_of(body)
    channel, _ts, thread_ts = where_clicked(body)
    value = rb.parse_value(clicked_action(body, action).get("value"))
    answer_id, vote = value.get("a"), value.get("v")
    if review is None or not answer_id or vote not in ("up", "down") or not user:
        log.warning("feedback click without a usable value")
        if not value:
            post_ephemeral(services, client, channel, user, prompts.BUTTON_UNREADABLE, thread_ts)
        return
    try:
        review.record_feedback(answer_id, user, vote)
    except ReviewError:
        post_ephemeral(services, client, channel, user, prompts.FEEDBACK_ANSWER_GONE, thread_ts)
        return
    services.metrics.feedback.labels(vote=vote).inc()
    if vote == "up":
        post_ephemeral(services, client, channel, user, prompts.FEEDBACK_THANKS_UP, thread_ts)
        return
    if not services.settings.slack.review_channel:
        post_ephemeral(services, client, channel, user, prompts.FEEDBACK_THANKS_DOWN_NO_REVIEW, thread_ts)
        return
    item = review.open_review(answer_id, "thumbs_down", opened_by=user)
    trigger_id = body.get("trigger_id")
    if trigger_id:  # the optional "what was wrong?" modal (trigger ids expire in 3 s: open it first)
        try:
            view = rb.comment_modal(answer_id=answer_id, item_id=item.id, channel=channel, thread_ts=thread_ts)
            client.views_open(trigger_id=trigger_id, view=view.to_dict())
        except Exception as exc:
            log.info("views.open for the feedback comment failed: %s", exc)
    post_ephemeral(services, client, channel, user, prompts.FEEDBACK_THANKS_DOWN, thread_ts)
    post_card(client, services, item.id)


def handle_comment_submit(client, services, body: dict, view: dict) -> None:
    review = services.review
    user = user_of(body)
    meta = rb.parse_value(view.get("private_metadata"))
    comment = input_value(view, rb.COMMENT_BLOCK, rb.COMMENT_INPUT)
    answer_id = meta.get("a")
    if review is None or not answer_id or not user or not comment or not comment.strip():
        return
    redaction = services.redact(comment)
    review.add_feedback_comment(answer_id, user, redaction.text)
    if redaction.has_identifiers:
        services.metrics.pii_warnings.inc()
        post_ephemeral(services, client, meta.get("c"), user,
                       pii_warning_text(redaction.kinds, prompts.PII_COMMENT_WARNING), meta.get("t"))
    item_id = meta.get("i")
    if item_id:
        refresh_card(client, services, item_id)


def handle_escalate(client, services, body: dict, action: dict | None = None) -> None:
    review = services.review
    user = user_of(body)
    channel, _ts, thread_ts = where_clicked(body)
    value = rb.parse_value(clicked_action(body, action).get("value"))
    if not value:
        post_ephemeral(services, client, channel, user, prompts.BUTTON_UNREADABLE, thread_ts)
        return
    answer_id = value.get("a")
    channel = value.get("c") or channel
    thread_ts = value.get("t") or thread_ts
    if review is None or not services.settings.slack.review_channel:
        post_ephemeral(services, client, channel, user, prompts.ESCALATE_NO_REVIEW_CHANNEL, thread_ts)
        return
    # once per answer (or thread) and user: a double click or a replayed request escalates once
    claim = f"escalate:{answer_id or f'{channel}:{thread_ts}'}:{user}"
    if not services.claim(claim):
        post_ephemeral(services, client, channel, user, prompts.ESCALATE_ALREADY, thread_ts)
        return
    if answer_id and review.get_answer(answer_id) is not None:
        item_id = post_review_card(client, services, answer_id, reason="escalated", opened_by=user)
    else:  # no answer on record (e.g. answering failed): still put a card up, with the thread link
        item = review.open_review(None, "escalated", opened_by=user)
        item_id = item.id
        post_card(client, services, item.id)
    if item_id is None:
        services.release(claim)  # nothing was escalated: the user may try again
        post_ephemeral(services, client, channel, user, prompts.ESCALATE_FAILED, thread_ts)
        return
    if channel and thread_ts:
        if api_call(services, client, "chat_postMessage", channel=channel, thread_ts=thread_ts,
                    text=rb.escalated_reply(user)) is not None:
            return
    post_ephemeral(services, client, channel, user, rb.escalated_reply(None), thread_ts)


def register(app, services) -> None:
    @app.action(rb.FEEDBACK_ACTION)
    def on_feedback(ack, body, client, action):
        ack()
        handle_feedback(client, services, body, action)

    @app.action(rb.ESCALATE_ACTION)
    def on_escalate(ack, body, client, action):
        ack()
        handle_escalate(client, services, body, action)

    @app.view(rb.COMMENT_CALLBACK)
    def on_comment(ack, body, client, view):
        ack()
        handle_comment_submit(client, services, body, view)
