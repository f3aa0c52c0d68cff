"""The correction modal's submission (view `review_correction`): a reviewer's text becomes a verified answer.

Validated (reviewer, not empty), resolved atomically (a second submit is refused), acknowledged, then the
verified answer is saved (replacing the one it corrects), posted in the asker's thread and the card updated.
The text is redacted first: what is stored, indexed and posted never holds a patient identifier.
"""

from __future__ import annotations

import logging
from typing import Callable

from bot import prompts
from bot.review.service import AlreadyResolved, ReviewError
from bot.slack import review_blocks as rb
from bot.slack.blocks import pii_warning_text, to_dicts
from bot.slack.calls import api_call, post_ephemeral
from bot.slack.clicks import input_value, user_of
from bot.slack.review_cards import refresh_card

log = logging.getLogger(__name__)


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
    if not review.is_reviewer(user, client):
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
    try:
        if item.answer_id:
            answer = review.get_answer(item.answer_id)
            citations = answer.citations or []
            verified = review.create_verified(
                answer.question, text, citations, user, answer.id, replaces=answer.verified_id
            )
        else:
            old = review.get_verified(item.verified_id)
            answer, citations = None, [c.model_dump() for c in old.citations]
            verified = review.create_verified(old.question, text, old.citations, user, replaces=old.verified_id)
    except Exception as exc:
        log.error("saving the correction failed: %s", exc)
        review.reopen_review(item.id)
        post_ephemeral(services, client, card_channel, user, prompts.CORRECTION_SAVE_FAILED)
        return
    review.set_review_verified(item.id, verified.verified_id)

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
    @app.view(rb.CORRECTION_CALLBACK)
    def on_correction(ack, body, client, view):
        handle_correction_submit(ack, client, services, body, view)
