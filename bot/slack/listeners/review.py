"""Slack listeners for the review workflow: feedback, escalation, review cards and corrections.

`register(app, services)` wires the Bolt listeners. The functions below take a WebClient, the services
and the request body, so they can be called (and tested) without Bolt:

- `handle_feedback`   action `feedback` (feedback_buttons; value `{"a": answer_id, "v": "up"|"down"}`)
- `handle_escalate`   action `escalate` (value `{"a": answer_id, "c": channel, "t": thread_ts}`)
- `handle_review_action`  actions `review_approve` / `review_correct` / `review_dismiss` (value `{"i": item_id}`)
- `handle_correction_submit`  view `review_correction`
- `handle_comment_submit`     view `review_feedback_comment` ("what was wrong?")
- `post_review_card(client, services, answer_id, reason=...)`  used by the Slack app for not_covered answers
- `post_due_stale_cards(client, services)`  cards for verified answers an ingest marked needs-review
- `post_source_change_cards(client, services, watch, report)`  cards for documents whose upstream page changed

Everything is off while REVIEW_CHANNEL is unset: votes are still recorded and thanked, but no cards.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable

from bot import prompts
from bot.review.service import AlreadyResolved, ReviewError
from bot.slack import review_blocks as rb
from bot.slack.blocks import pii_warning_text, to_dicts
from bot.slack.calls import api_call, post_ephemeral

log = logging.getLogger(__name__)

STALE_CHECK_SECONDS = 60.0
_stale_lock = threading.Lock()
_stale_last_check = 0.0

REFUSAL = "Only the support team's reviewers can act on review cards. Nothing was changed."
THANKS_UP = "Thanks for the feedback 👍"
THANKS_DOWN = "Thanks for telling us. The support team will look at this answer."
THANKS_DOWN_NO_REVIEW = "Thanks for telling us. Your feedback has been recorded."
NO_QUESTION = "There is no question on record to correct; reply in the thread instead."
UNREADABLE_BUTTON = "Sorry, I couldn't read that button (it may be from an older message). Please ask again."
ALREADY_ESCALATED = "You've already asked the support team about this; they'll reply in the thread."


# ------------------------------------------------------------------ small helpers
def _user(body: dict) -> str | None:
    return (body.get("user") or {}).get("id")


def _where(body: dict) -> tuple[str | None, str | None, str | None]:
    """(channel, message ts, thread ts) of the message whose button was clicked."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = message.get("ts") or container.get("message_ts")
    thread_ts = message.get("thread_ts") or container.get("thread_ts") or ts
    return channel, ts, thread_ts


def _action(body: dict, action: dict | None) -> dict:
    if action:
        return action
    actions = body.get("actions") or [{}]
    return actions[0]


def _permalink(client, services, channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    resp = api_call(services, client, "chat_getPermalink", channel=channel, message_ts=ts)
    return resp.get("permalink") if resp is not None else None


# ------------------------------------------------------------------ review cards
def render_card(client, services, item_id: str) -> tuple[str, list] | None:
    review = services.review
    item = review.get_review(item_id)
    if item is None:
        return None
    item_dict = {
        "id": item.id,
        "reason": item.reason,
        "status": item.status,
        "reviewer": item.reviewer,
        "resolved_at": item.resolved_at,
        "verified_id": item.verified_id,
    }
    if item.reason == "source_changed":
        try:
            change = json.loads(item.note or "{}")
        except ValueError:
            change = {}
        return rb.source_change_card(item=item_dict, change=change)
    if item.answer_id:
        answer = review.get_answer(item.answer_id)
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
    return rb.review_card(item=item_dict, question="(no question on record)", answer_text="", citations=[])


def refresh_card(client, services, item_id: str) -> None:
    """Re-render a posted card from the database (chat.update)."""
    item = services.review.get_review(item_id)
    if item is None or not item.card_ts or not item.card_channel or item.card_channel == "(posting)":
        return
    rendered = render_card(client, services, item_id)
    if rendered is None:
        return
    text, blocks = rendered
    api_call(services, client, "chat_update", channel=item.card_channel, ts=item.card_ts, text=text,
             blocks=to_dicts(blocks))


def _post_card(client, services, item_id: str) -> str | None:
    """Post the item's card unless it has one (then refresh it). Returns the card ts."""
    review = services.review
    channel = services.settings.review_channel
    if not channel:
        return None
    if not review.claim_review_card(item_id):
        refresh_card(client, services, item_id)
        item = review.get_review(item_id)
        return item.card_ts if item else None
    try:
        rendered = render_card(client, services, item_id)
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
        log.error("posting the review card failed: %s", exc)
        review.release_review_card(item_id)  # let a later event try again
        return None


def post_review_card(client, services, answer_id: str, reason: str = "not_covered", *, opened_by: str | None = None) -> str | None:
    """Open a review item for an answer and put its card in REVIEW_CHANNEL. Returns the item id
    (None while review is off). One open item (and card) per answer: later reasons refresh it."""
    review = services.review
    if review is None or not services.settings.review_channel:
        return None
    try:
        item = review.open_review(answer_id, reason, opened_by=opened_by)
    except ReviewError as exc:
        log.warning("cannot open a review item: %s", exc)
        return None
    _post_card(client, services, item.id)
    return item.id


def post_due_stale_cards(client, services, *, force: bool = False) -> int:
    """Post a card for each verified answer an ingest marked needs-review. Cheap: at most one indexed
    query a minute per process; `claim_stale_card` makes sure one replica posts each card once."""
    global _stale_last_check
    review = services.review
    if review is None or not services.settings.review_channel:
        return 0
    with _stale_lock:
        if not force and time.monotonic() - _stale_last_check < STALE_CHECK_SECONDS:
            return 0
        _stale_last_check = time.monotonic()
    posted = 0
    for verified, _docs in review.due_stale_cards():
        if not review.claim_stale_card(verified.verified_id):
            continue
        item = review.open_review(None, "stale_verified", verified_id=verified.verified_id)
        if _post_card(client, services, item.id):
            posted += 1
    return posted


def post_source_change_cards(client, services, watch, report) -> int:
    """One review card per corpus document whose upstream page changed, moved or disappeared (once per
    change: `watch` remembers what was carded). Returns how many were posted or refreshed."""
    review = services.review
    if review is None or not services.settings.review_channel:
        return 0
    posted = 0
    for check in report.needing_review:
        if not watch.needs_card(check):
            continue
        item = review.open_source_review(check.doc_id, check.to_json())
        if _post_card(client, services, item.id) is None and item.card_ts is None:
            continue  # posting failed: try again at the next check
        if item.card_ts:
            refresh_card(client, services, item.id)
        watch.mark_carded(check)
        posted += 1
    return posted


# ------------------------------------------------------------------ feedback and escalation
def handle_feedback(client, services, body: dict, action: dict | None = None) -> None:
    review = services.review
    user = _user(body)
    channel, _ts, thread_ts = _where(body)
    value = rb.parse_value(_action(body, action).get("value"))
    answer_id, vote = value.get("a"), value.get("v")
    if review is None or not answer_id or vote not in ("up", "down") or not user:
        log.warning("feedback click without a usable value")
        if not value:
            post_ephemeral(services, client, channel, user, UNREADABLE_BUTTON, thread_ts)
        return
    try:
        review.record_feedback(answer_id, user, vote)
    except ReviewError:
        post_ephemeral(services, client, channel, user, "Sorry, I couldn't find that answer any more, so the vote wasn't recorded.", thread_ts)
        return
    services.metrics.feedback.labels(vote=vote).inc()
    if vote == "up":
        post_ephemeral(services, client, channel, user, THANKS_UP, thread_ts)
        return
    if not services.settings.review_channel:
        post_ephemeral(services, client, channel, user, THANKS_DOWN_NO_REVIEW, thread_ts)
        return
    item = review.open_review(answer_id, "thumbs_down", opened_by=user)
    trigger_id = body.get("trigger_id")
    if trigger_id:  # the optional "what was wrong?" modal (trigger ids expire in 3 s: open it first)
        try:
            view = rb.comment_modal(answer_id=answer_id, item_id=item.id, channel=channel, thread_ts=thread_ts)
            client.views_open(trigger_id=trigger_id, view=view.to_dict())
        except Exception as exc:
            log.info("views.open for the feedback comment failed: %s", exc)
    post_ephemeral(services, client, channel, user, THANKS_DOWN, thread_ts)
    _post_card(client, services, item.id)


def handle_comment_submit(client, services, body: dict, view: dict) -> None:
    review = services.review
    user = _user(body)
    meta = rb.parse_value(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    comment = ((values.get(rb.COMMENT_BLOCK) or {}).get(rb.COMMENT_INPUT) or {}).get("value")
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
    user = _user(body)
    channel, _ts, thread_ts = _where(body)
    value = rb.parse_value(_action(body, action).get("value"))
    if not value:
        post_ephemeral(services, client, channel, user, UNREADABLE_BUTTON, thread_ts)
        return
    answer_id = value.get("a")
    channel = value.get("c") or channel
    thread_ts = value.get("t") or thread_ts
    if review is None or not services.settings.review_channel:
        post_ephemeral(services, client, channel, user, "The support team can't be reached from here yet (no review channel is set up). "
                   "Please contact them directly.", thread_ts)
        return
    # once per answer (or thread) and user: a double click or a replayed request escalates once
    if not services.claim(f"escalate:{answer_id or f'{channel}:{thread_ts}'}:{user}"):
        post_ephemeral(services, client, channel, user, ALREADY_ESCALATED, thread_ts)
        return
    item_id = None
    if answer_id and review.get_answer(answer_id) is not None:
        item_id = post_review_card(client, services, answer_id, reason="escalated", opened_by=user)
    else:  # no answer on record (e.g. answering failed): still put a card up, with the thread link
        item = review.open_review(None, "escalated", opened_by=user)
        item_id = item.id
        _post_card(client, services, item.id)
    if item_id is None:
        post_ephemeral(services, client, channel, user, "Sorry, I couldn't reach the support team. Please contact them directly.", thread_ts)
        return
    if channel and thread_ts:
        if api_call(services, client, "chat_postMessage", channel=channel, thread_ts=thread_ts,
                    text=rb.escalated_reply(user)) is not None:
            return
    post_ephemeral(services, client, channel, user, rb.escalated_reply(None), thread_ts)


# ------------------------------------------------------------------ reviewer actions
def handle_review_action(client, services, body: dict, action: dict | None = None) -> None:
    review = services.review
    act = _action(body, action)
    action_id = act.get("action_id")
    user = _user(body)
    channel, card_ts, _thread = _where(body)
    item_id = rb.parse_value(act.get("value")).get("i")
    if review is None or not item_id or not user:
        return
    if not services.reviewers.is_reviewer(services.settings, user, client):
        post_ephemeral(services, client, channel, user, REFUSAL)
        return
    item = review.get_review(item_id)
    if item is None:
        post_ephemeral(services, client, channel, user, "That review item no longer exists.")
        return
    if item.status != "open":
        post_ephemeral(services, client, channel, user, f"This item was already {item.status} by <@{item.reviewer}>.")
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
            post_ephemeral(services, client, channel, user, f"This item was already {exc.item.status} by <@{exc.item.reviewer}>.")
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
        post_ephemeral(services, client, channel, _user(body), NO_QUESTION)
        return
    view = rb.correction_modal(
        item_id=item.id, question=question, answer_text=text, citations=citations,
        card_channel=item.card_channel or channel, card_ts=item.card_ts or card_ts,
    )
    client.views_open(trigger_id=body.get("trigger_id"), view=view.to_dict())


def _approve(client, services, item, user: str, channel: str | None) -> None:
    review = services.review
    if item.reason == "source_changed":  # the corpus document was checked against the new page
        try:
            review.resolve_review(item.id, "approved", user)
        except AlreadyResolved:
            return
        refresh_card(client, services, item.id)
        return
    if item.reason == "stale_verified" and item.verified_id:
        try:
            review.resolve_review(item.id, "approved", user)
        except AlreadyResolved:
            return
        review.reinstate_verified(item.verified_id)
        refresh_card(client, services, item.id)
        return
    answer = review.get_answer(item.answer_id) if item.answer_id else None
    if answer is None or answer.kind not in ("answered", "verified"):
        post_ephemeral(services, client, channel, user, "There is no answer to approve here. Use *Correct* to write one, or *Dismiss*.")
        return
    try:
        review.resolve_review(item.id, "approved", user)
    except AlreadyResolved as exc:
        post_ephemeral(services, client, channel, user, f"This item was already {exc.item.status} by <@{exc.item.reviewer}>.")
        return
    if answer.kind == "answered":  # promote the bot's answer to a verified answer
        try:
            verified = review.create_verified(answer.question, answer.answer_text, answer.citations or [], user, answer.id)
        except Exception as exc:
            log.error("promoting an approved answer failed: %s", exc)
            review.reopen_review(item.id)
            post_ephemeral(services, client, channel, user, "Sorry, saving the verified answer failed. The item is still open.")
            return
        review.set_review_verified(item.id, verified.verified_id)
    refresh_card(client, services, item.id)


def handle_correction_submit(ack: Callable, client, services, body: dict, view: dict) -> None:
    """View `review_correction`: validate, resolve (atomically), ack, then post, index and update."""
    review = services.review
    user = _user(body)
    meta = rb.parse_value(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    redaction = services.redact((((values.get(rb.ANSWER_BLOCK) or {}).get(rb.ANSWER_INPUT) or {}).get("value") or "").strip())
    text = redaction.text  # what is stored, indexed and posted in the asker's thread
    item_id = meta.get("i")
    if review is None or not item_id:
        ack()
        return
    if not services.reviewers.is_reviewer(services.settings, user, client):
        ack(response_action="errors", errors={rb.ANSWER_BLOCK: REFUSAL})
        return
    if not text:
        ack(response_action="errors", errors={rb.ANSWER_BLOCK: "Write the corrected answer."})
        return
    try:
        item = review.resolve_review(item_id, "corrected", user, corrected_text=text)
    except AlreadyResolved as exc:
        ack(response_action="errors", errors={rb.ANSWER_BLOCK: f"Already {exc.item.status} by another reviewer."})
        return
    except ReviewError:
        ack(response_action="errors", errors={rb.ANSWER_BLOCK: "That review item no longer exists."})
        return
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
        post_ephemeral(services, client, card_channel, user, "Sorry, saving the correction failed; the item is still open. Please try again.")
        return
    review.set_review_verified(item.id, verified.verified_id)

    if answer is not None and answer.channel_id and answer.thread_ts:
        reply_text, blocks = rb.corrected_reply(text, citations, reviewer=user)
        posted = api_call(services, client, "chat_postMessage", channel=answer.channel_id, thread_ts=answer.thread_ts,
                          text=reply_text, blocks=to_dicts(blocks), unfurl_links=False)
        if posted is None:
            log.error("posting the correction in the asker's thread failed")
            post_ephemeral(services, client, card_channel, user, "The correction is saved and verified, but posting it in the thread failed.")
    if redaction.has_identifiers:  # the reviewer is told what happened to their text
        services.metrics.pii_warnings.inc()
        post_ephemeral(services, client, card_channel, user,
                       pii_warning_text(redaction.kinds, prompts.PII_CORRECTION_NOTICE))
    refresh_card(client, services, item.id)


# ------------------------------------------------------------------ wiring
def register(app, services, *, stale_poll_seconds: float | None = None) -> None:
    """Add the review listeners to a Bolt App. `stale_poll_seconds` also starts a background poller for
    stale-verified cards (otherwise a middleware checks at most once a minute as events arrive)."""

    @app.action(rb.FEEDBACK_ACTION)
    def _feedback(ack, body, client, action):
        ack()
        handle_feedback(client, services, body, action)

    @app.action(rb.ESCALATE_ACTION)
    def _escalate(ack, body, client, action):
        ack()
        handle_escalate(client, services, body, action)

    for action_id in (rb.APPROVE_ACTION, rb.CORRECT_ACTION, rb.DISMISS_ACTION):

        @app.action(action_id)
        def _review_action(ack, body, client, action):
            ack()
            handle_review_action(client, services, body, action)

    @app.view(rb.CORRECTION_CALLBACK)
    def _correction(ack, body, client, view):
        handle_correction_submit(ack, client, services, body, view)

    @app.view(rb.COMMENT_CALLBACK)
    def _comment(ack, body, client, view):
        ack()
        handle_comment_submit(client, services, body, view)

    @app.middleware
    def _stale_cards(client, next):  # noqa: A002 (Bolt's argument name)
        try:
            if services.settings.review_channel and time.monotonic() - _stale_last_check >= STALE_CHECK_SECONDS:
                threading.Thread(target=_safe_post_stale, args=(client, services), daemon=True).start()
        except Exception as exc:  # never let housekeeping stop a request
            log.warning("stale-card check failed: %s", exc)
        return next()

    if stale_poll_seconds and services.settings.review_channel:
        def _poll():
            while True:
                _safe_post_stale(app.client, services, force=True)
                time.sleep(stale_poll_seconds)

        threading.Thread(target=_poll, name="gpbot-stale-cards", daemon=True).start()


def _safe_post_stale(client, services, force: bool = False) -> None:
    try:
        post_due_stale_cards(client, services, force=force)
    except Exception as exc:
        log.warning("posting stale verified-answer cards failed: %s", exc)
