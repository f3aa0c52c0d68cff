"""A reviewer resolving a review item: the card's buttons and the correction modal.

- `handle_review_action`: actions `review_approve` / `review_correct` / `review_dismiss` (value `{"i": item_id}`).
  Approve: the bot's answer becomes a verified answer; a stale verified answer is reinstated; a changed source
  page is marked checked. Correct: opens the correction modal. Dismiss: closes the item; a stale verified
  answer is retired.
- `handle_correction_submit`: view `review_correction`. Validated (reviewer, not empty), resolved atomically (a
  second submit is refused), acknowledged; then the verified answer is saved (replacing the one it corrects),
  posted in the asker's thread and the card updated. The text is redacted first: what is stored, indexed and
  posted never holds a patient identifier.
Only reviewers (REVIEWER_USER_IDS, REVIEWER_USERGROUP) change anything; anyone else is told so privately.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Callable

from bot import prompts
from bot.review.service import AlreadyResolved, ReviewError
from bot.slack import review_blocks as rb
from bot.slack.blocks import pii_warning_text, to_dicts
from bot.slack.calls import api_call, post_ephemeral
from bot.slack.clicks import clicked_action, input_value, user_of, where_clicked
from bot.slack.review_cards import refresh_card

log = logging.getLogger(__name__)


def _tell_already_resolved(client, services, channel: str | None, user: str, item) -> None:
    """Tell `user` privately that `item` was already resolved, and by whom."""
    text = prompts.REVIEW_ALREADY_RESOLVED.format(status=item.status, reviewer=item.reviewer)
    post_ephemeral(services, client, channel, user, text)


def _resolve(client, services, item, status: str, user: str, channel: str | None) -> bool:
    """Resolve `item` as `status` by `user`. The store lets exactly one reviewer win; a reviewer who lost the
    race (two clicks at once on the same card) is told privately who resolved it, and False is returned."""
    try:
        services.review.resolve_review(item.id, status, user)
    except AlreadyResolved as exc:
        _tell_already_resolved(client, services, channel, user, exc.item)
        return False
    return True


def _save_verified(client, services, item, user: str, channel: str | None, failed: str, create: Callable):
    """`create()` a verified answer and link the item to it; on failure reopen the item, tell the reviewer
    `failed` privately and return None."""
    try:
        verified = create()
    except Exception as exc:
        log.error("saving a verified answer failed: %s", type(exc).__name__)
        services.review.reopen_review(item.id)
        post_ephemeral(services, client, channel, user, failed)
        return None
    services.review.set_review_verified(item.id, verified.verified_id)
    return verified


def handle_review_action(client, services, body: dict, action: dict | None = None) -> None:
    review = services.review
    act = clicked_action(body, action)
    action_id = act.get("action_id")
    user = user_of(body)
    channel, card_ts, _thread = where_clicked(body)
    item_id = rb.parse_value(act.get("value")).get("i")
    if review is None or not item_id or not user:
        return
    if not services.reviewers.is_reviewer(services.settings, user, client):
        post_ephemeral(services, client, channel, user, prompts.REVIEW_REFUSAL)
        return
    item = review.get_review(item_id)
    if item is None:
        post_ephemeral(services, client, channel, user, prompts.REVIEW_ITEM_GONE)
        return
    if item.status != "open":
        _tell_already_resolved(client, services, channel, user, item)
        refresh_card(client, services, item_id)
        return

    if action_id == rb.CORRECT_ACTION:
        _open_correction(client, services, body, item, channel, card_ts)
    elif action_id == rb.APPROVE_ACTION:
        _approve(client, services, item, user, channel)
    elif action_id == rb.DISMISS_ACTION:
        if not _resolve(client, services, item, "dismissed", user, channel):
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
        if not _resolve(client, services, item, "approved", user, channel):
            return
        if stale:
            review.reinstate_verified(item.verified_id)
        refresh_card(client, services, item.id)
        return
    answer = review.get_answer(item.answer_id) if item.answer_id else None
    if answer is None or answer.kind not in ("answered", "verified"):
        post_ephemeral(services, client, channel, user, prompts.REVIEW_NOTHING_TO_APPROVE)
        return
    if not _resolve(client, services, item, "approved", user, channel):
        return
    if answer.kind == "answered":  # promote the bot's answer to a verified answer
        promote = partial(review.create_verified, answer.question, answer.answer_text, answer.citations or [], user,
                          answer.id)
        if _save_verified(client, services, item, user, channel, prompts.REVIEW_PROMOTE_FAILED, promote) is None:
            return
    refresh_card(client, services, item.id)


def _refuse(ack: Callable, message: str) -> None:
    ack(response_action="errors", errors={rb.ANSWER_BLOCK: message})


def handle_correction_submit(ack: Callable, client, services, body: dict, view: dict) -> None:
    """View `review_correction`: validate, resolve (atomically), ack, then post, index and update."""
    review = services.review
    user = user_of(body)
    meta = rb.parse_value(view.get("private_metadata"))
    redaction = services.redact((input_value(view, rb.ANSWER_BLOCK, rb.ANSWER_INPUT) or "").strip())
    text = redaction.text  # what is stored, indexed and posted in the asker's thread
    item_id = meta.get("i")
    if review is None or not item_id:
        ack()
        return
    if not services.reviewers.is_reviewer(services.settings, user, client):
        return _refuse(ack, prompts.REVIEW_REFUSAL)
    if not text:
        return _refuse(ack, prompts.CORRECTION_EMPTY)
    try:
        item = review.resolve_review(item_id, "corrected", user, corrected_text=text)
    except AlreadyResolved as exc:
        return _refuse(ack, prompts.CORRECTION_ALREADY_RESOLVED.format(status=exc.item.status))
    except ReviewError:
        return _refuse(ack, prompts.REVIEW_ITEM_GONE)
    ack()

    card_channel = item.card_channel or meta.get("cc")
    answer, citations = None, []

    def create():  # the record it corrects is read here too: a failure reopens the item
        nonlocal answer, citations
        if item.answer_id:
            answer = review.get_answer(item.answer_id)
            citations = answer.citations or []
            return review.create_verified(answer.question, text, citations, user, answer.id, replaces=answer.verified_id)
        old = review.get_verified(item.verified_id)
        citations = [c.model_dump() for c in old.citations]
        return review.create_verified(old.question, text, old.citations, user, replaces=old.verified_id)

    if _save_verified(client, services, item, user, card_channel, prompts.CORRECTION_SAVE_FAILED, create) is None:
        return

    if answer is not None and answer.channel_id and answer.thread_ts:
        reply_text, blocks = rb.corrected_reply(text, citations, reviewer=user)
        posted = api_call(services, client, "chat_postMessage", channel=answer.channel_id, thread_ts=answer.thread_ts,
                          text=reply_text, blocks=to_dicts(blocks), unfurl_links=False)
        if posted is None:
            log.error("posting the correction in the asker's thread failed")
            post_ephemeral(services, client, card_channel, user, prompts.CORRECTION_POST_FAILED)
    if redaction.has_identifiers:  # the reviewer is told what happened to their text
        services.metrics.pii_warnings.inc()
        post_ephemeral(services, client, card_channel, user,
                       pii_warning_text(redaction.kinds, prompts.PII_CORRECTION_NOTICE))
    refresh_card(client, services, item.id)


def register(app, services) -> None:
    for action_id in (rb.APPROVE_ACTION, rb.CORRECT_ACTION, rb.DISMISS_ACTION):

        @app.action(action_id)
        def on_card_button(ack, body, client, action):
            ack()
            handle_review_action(client, services, body, action)

    @app.view(rb.CORRECTION_CALLBACK)
    def on_correction(ack, body, client, view):
        handle_correction_submit(ack, client, services, body, view)
