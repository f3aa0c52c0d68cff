"""A reviewer's buttons on a review card: `review_approve`, `review_correct`, `review_dismiss` (value `{"i": item_id}`).

- Approve: the bot's answer becomes a verified answer; a stale verified answer is reinstated; a changed
  source page is marked checked.
- Correct: opens the correction modal (submitted to `corrections.handle_correction_submit`).
- Dismiss: closes the item; a stale verified answer is retired.
Only reviewers (REVIEWER_USER_IDS, REVIEWER_USERGROUP) change anything; anyone else is told so privately.
"""

from __future__ import annotations

import logging

from bot import prompts
from bot.review.service import AlreadyResolved
from bot.slack import review_blocks as rb
from bot.slack.calls import post_ephemeral
from bot.slack.clicks import clicked_action, user_of, where_clicked
from bot.slack.review_cards import refresh_card

log = logging.getLogger(__name__)


def _already(item) -> str:
    return prompts.REVIEW_ALREADY_RESOLVED.format(status=item.status, reviewer=item.reviewer)


def handle_review_action(client, services, body: dict, action: dict | None = None) -> None:
    review = services.review
    act = clicked_action(body, action)
    action_id = act.get("action_id")
    user = user_of(body)
    channel, card_ts, _thread = where_clicked(body)
    item_id = rb.parse_value(act.get("value")).get("i")
    if review is None or not item_id or not user:
        return
    if not review.is_reviewer(user, client):
        post_ephemeral(services, client, channel, user, prompts.REVIEW_REFUSAL)
        return
    item = review.get_review(item_id)
    if item is None:
        post_ephemeral(services, client, channel, user, prompts.REVIEW_ITEM_GONE)
        return
    if item.status != "open":
        post_ephemeral(services, client, channel, user, _already(item))
        refresh_card(client, services, item_id)
        return

    if action_id == rb.CORRECT_ACTION:
        _open_correction(client, services, body, item, channel, card_ts)
    elif action_id == rb.APPROVE_ACTION:
        _approve(client, services, item, user, channel)
    elif action_id == rb.DISMISS_ACTION:
        try:
            review.resolve_review(item.id, "dismissed", user)
        except AlreadyResolved as exc:
            post_ephemeral(services, client, channel, user, _already(exc.item))
            return
        if item.reason == "stale_verified" and item.verified_id:
            review.retire_verified(item.verified_id)
        refresh_card(client, services, item.id)


def _open_correction(client, services, body, item, channel, card_ts) -> None:
    review = services.review
    question = text = None
    citations: list = []
    if item.answer_id:
        answer = review.get_answer(item.answer_id)
        if answer is not None:
            question, text, citations = answer.question, answer.answer_text, answer.citations or []
    elif item.verified_id:
        verified = review.get_verified(item.verified_id)
        if verified is not None:
            question, text, citations = verified.question, verified.answer, verified.citations
    if question is None:  # nothing on record, or the record was purged
        post_ephemeral(services, client, channel, user_of(body), prompts.CORRECTION_NO_QUESTION)
        return
    view = rb.correction_modal(
        item_id=item.id, question=question, answer_text=text, citations=citations,
        card_channel=item.card_channel or channel, card_ts=item.card_ts or card_ts,
    )
    client.views_open(trigger_id=body.get("trigger_id"), view=view.to_dict())


def _approve(client, services, item, user: str, channel: str | None) -> None:
    review = services.review
    stale = item.reason == "stale_verified" and item.verified_id
    if item.reason == "source_changed" or stale:
        # a changed source: the corpus document was checked against the new page;
        # a stale verified answer: still correct, so it is given again
        try:
            review.resolve_review(item.id, "approved", user)
        except AlreadyResolved:
            return
        if stale:
            review.reinstate_verified(item.verified_id)
        refresh_card(client, services, item.id)
        return
    answer = review.get_answer(item.answer_id) if item.answer_id else None
    if answer is None or answer.kind not in ("answered", "verified"):
        post_ephemeral(services, client, channel, user, prompts.REVIEW_NOTHING_TO_APPROVE)
        return
    try:
        review.resolve_review(item.id, "approved", user)
    except AlreadyResolved as exc:
        post_ephemeral(services, client, channel, user, _already(exc.item))
        return
    if answer.kind == "answered":  # promote the bot's answer to a verified answer
        try:
            verified = review.create_verified(answer.question, answer.answer_text, answer.citations or [], user, answer.id)
        except Exception as exc:
            log.error("promoting an approved answer failed: %s", exc)
            review.reopen_review(item.id)
            post_ephemeral(services, client, channel, user, prompts.REVIEW_PROMOTE_FAILED)
            return
        review.set_review_verified(item.id, verified.verified_id)
    refresh_card(client, services, item.id)


def register(app, services) -> None:
    for action_id in (rb.APPROVE_ACTION, rb.CORRECT_ACTION, rb.DISMISS_ACTION):

        @app.action(action_id)
        def on_card_button(ack, body, client, action):
            ack()
            handle_review_action(client, services, body, action)
