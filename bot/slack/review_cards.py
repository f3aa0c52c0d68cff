"""Review cards in REVIEW_CHANNEL: render one from the review store, post it once, refresh it in place.

    post_review_card(client, services, answer_id, reason=...)   an answer's card (not_covered, escalated, …)
    post_due_stale_cards(client, services)                       verified answers an ingest marked needs-review
    post_source_change_cards(client, services, watch, report)    corpus documents whose upstream page changed
    post_card(client, services, item_id) / refresh_card(...)     one item's card: post (claimed) or chat.update

Used by the review listeners, the event listener (not-covered answers), `gpbot serve`'s refresh loop and
`gpbot sources check`. Everything is off while REVIEW_CHANNEL is unset. Owns no listener and imports none
(`bot.slack.listeners` imports this, never the other way); Slack calls go through `bot.slack.calls`.
"""

from __future__ import annotations

import json
import logging

from bot import prompts
from bot.review.reviews import CARD_BEING_POSTED, item_to_dict
from bot.review.service import ReviewError
from bot.slack import review_blocks as rb
from bot.slack.blocks import to_dicts
from bot.slack.calls import api_call

log = logging.getLogger(__name__)

def _permalink(client, services, channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    resp = api_call(services, client, "chat_getPermalink", channel=channel, message_ts=ts)
    return resp.get("permalink") if resp is not None else None


def _answer_card(client, services, item_dict: dict, answer_id: str) -> tuple[str, list] | None:
    review = services.review
    answer = review.get_answer(answer_id)
    if answer is None:
        return None
    feedback = review.get_feedback(answer.id)
    votes = {"up": sum(f.vote == "up" for f in feedback), "down": sum(f.vote == "down" for f in feedback)}
    # redacted again on the way out (records older than the detector's latest forms stay clean)
    comments = [(f.user_id, services.redact(f.comment).text) for f in feedback if f.comment]
    return rb.review_card(
        item=item_dict,
        question=services.redact(answer.question).text,
        answer_text=services.redact(answer.answer_text).text,
        citations=answer.citations or [],
        kind=answer.kind,
        confidence=answer.confidence,
        answerer=answer.answerer,
        asker=answer.user_id,
        channel=answer.channel_id,
        permalink=_permalink(client, services, answer.channel_id, answer.message_ts or answer.thread_ts),
        votes=votes,
        comments=comments,
    )


def render_card(client, services, item) -> tuple[str, list] | None:
    """(fallback text, blocks) of a review item's card in its current state; None when its record is gone."""
    review = services.review
    item_dict = item_to_dict(item)
    if item.reason == "source_changed":
        try:
            change = json.loads(item.note or "{}")
        except ValueError:
            change = {}
        return rb.source_change_card(item=item_dict, change=change)
    if item.answer_id:
        return _answer_card(client, services, item_dict, item.answer_id)
    if item.verified_id:
        verified = review.get_verified(item.verified_id)
        if verified is None:
            return None
        return rb.review_card(
            item=item_dict,
            question=services.redact(verified.question).text,
            answer_text=services.redact(verified.answer).text,
            citations=verified.citations,
            stale_doc_ids=review.stale_doc_ids(verified.verified_id),
            verified_author=verified.author,
        )
    return rb.review_card(item=item_dict, question=prompts.REVIEW_CARD["no_question"], answer_text="", citations=[])


def refresh_card(client, services, item_id: str):
    """Re-render a posted card from the database (chat.update). Returns the item as read (None if gone)."""
    item = services.review.get_review(item_id)
    if item is None or not item.card_ts or not item.card_channel or item.card_channel == CARD_BEING_POSTED:
        return item
    rendered = render_card(client, services, item)
    if rendered is not None:
        text, blocks = rendered
        api_call(services, client, "chat_update", channel=item.card_channel, ts=item.card_ts, text=text,
                 blocks=to_dicts(blocks))
    return item


def post_card(client, services, item_id: str) -> str | None:
    """Post the item's card unless it has one (then refresh it). Returns the card ts."""
    if not services.settings.slack.review_channel:
        return None
    if not services.review.claim_review_card(item_id):
        item = refresh_card(client, services, item_id)
        return item.card_ts if item else None
    return _post_claimed_card(client, services, item_id)


def _post_claimed_card(client, services, item_id: str) -> str | None:
    """Post the card this caller claimed (`claim_review_card`); on failure the claim is released, so a later
    event or check posts it. Returns the card ts."""
    review = services.review
    channel = services.settings.slack.review_channel
    try:
        item = review.get_review(item_id)
        rendered = render_card(client, services, item) if item is not None else None
        if rendered is None:
            raise ReviewError(f"nothing to show for review item {item_id}")
        text, blocks = rendered
        resp = api_call(services, client, "chat_postMessage", channel=channel, text=text, blocks=to_dicts(blocks),
                        unfurl_links=False)
        if resp is None:
            raise ReviewError("chat.postMessage of the review card failed")
        ts = resp.get("ts")
        review.set_review_card(item_id, resp.get("channel") or channel, ts)
        return ts
    except Exception as exc:
        log.error("posting the review card failed: %s", type(exc).__name__)
        review.release_review_card(item_id)  # let a later event try again
        return None


def post_review_card(client, services, answer_id: str, reason: str = "not_covered", *,
                     opened_by: str | None = None) -> str | None:
    """Open a review item for an answer and put its card in REVIEW_CHANNEL. Returns the item id
    (None while review is off). One open item (and card) per answer: later reasons refresh it."""
    review = services.review
    if review is None or not services.settings.slack.review_channel:
        return None
    try:
        item = review.open_review(answer_id, reason, opened_by=opened_by)
    except ReviewError as exc:
        log.warning("cannot open a review item: %s", type(exc).__name__)
        return None
    post_card(client, services, item.id)
    return item.id


def post_due_stale_cards(client, services) -> int:
    """Post the card of each verified answer an ingest marked needs-review (its open review item has none
    yet); returns how many this caller posted. The card claim makes sure one replica posts each card once,
    and a card that could not be posted is due again at the next check. How often this runs is the caller's
    choice (`listeners.review.stale.StaleCardSchedule`, `gpbot serve`'s refresh loop after an ingest)."""
    review = services.review
    if review is None or not services.settings.slack.review_channel:
        return 0
    return sum(1 for item_id in review.due_stale_cards()
               if review.claim_review_card(item_id) and _post_claimed_card(client, services, item_id))


def post_source_change_cards(client, services, watch, report) -> int:
    """One review card per corpus document whose upstream page changed, moved or disappeared (once per
    change: `watch` remembers what was carded). Returns how many were posted or refreshed."""
    review = services.review
    if review is None or not services.settings.slack.review_channel:
        return 0
    posted = 0
    for check in report.needing_review:
        if not watch.needs_card(check):
            continue
        item = review.open_source_review(check.doc_id, check.to_json())
        if post_card(client, services, item.id) is None:  # posted, or (a card already there) refreshed
            continue  # posting failed: try again at the next check
        watch.mark_carded(check)
        posted += 1
    return posted
