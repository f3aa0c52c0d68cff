"""Answering a question asked in Slack, for every surface (mentions, threads, DMs, the assistant pane, the slash
command): dedupe, redaction of the raw text, markup removed, the core's answer, the record, the post, the
"is thinking…" status, the identifier warning, and a visible apology when anything fails.

    where = Where.of_message(event, body, context, surface="mention", reply_thread_ts=ts)
    handle_question(services, client, where, message_text(event))   # the channel allow-list, then answer_and_post
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot import prompts
from bot.slack import blocks
from bot.slack.calls import api_call, post_ephemeral
from bot.slack.review_cards import post_review_card
from bot.slack.status import Status
from bot.types import AnswerKind

log = logging.getLogger(__name__)


@dataclass
class Where:
    """Where a question was asked and where its answer goes."""

    channel: str
    message_ts: str  # the question's own ts (dedupe key)
    reply_thread_ts: str | None  # thread to answer in; None = top level (a plain DM)
    origin_thread_ts: str | None  # the thread the question itself was in (ephemeral warnings go there)
    user: str | None
    team: str | None
    surface: str  # mention | thread | dm | assistant | command
    channel_type: str | None = None

    @classmethod
    def of_message(cls, event: dict, body: dict, context, *, surface: str, reply_thread_ts: str | None) -> "Where":
        """A question asked in a message event (`app_mention` or `message`)."""
        return cls(channel=event["channel"], message_ts=event["ts"], reply_thread_ts=reply_thread_ts,
                   origin_thread_ts=event.get("thread_ts"), user=event.get("user"),
                   team=body.get("team_id") or context.team_id, surface=surface,
                   channel_type=event.get("channel_type"))

    @property
    def claim_key(self) -> str:
        """The one claim a message gets, whichever route reaches it first (answer or refusal): `msg:channel:ts`."""
        return f"msg:{self.channel}:{self.message_ts}"

    @property
    def memory_key(self) -> str:
        """The thread-memory key: the reply thread, or the whole DM for top-level direct messages."""
        return self.reply_thread_ts or f"dm:{self.channel}"

    def reply_kwargs(self, **kwargs) -> dict:
        """chat.postMessage arguments for a reply here: the channel, and the thread when there is one."""
        kwargs["channel"] = self.channel
        if self.reply_thread_ts:
            kwargs["thread_ts"] = self.reply_thread_ts
        return kwargs


def handle_question(services, client, where: Where, text: str, history=None, shared: str = "") -> None:
    """The polite refusal outside ALLOWED_CHANNEL_IDS, else the answer. `shared`: what the message carries besides
    its words (`shared_content.shared_text`), read for the identifier warning only."""
    if not services.channel_allowed(where.channel, where.channel_type):
        refuse(services, client, where, text, shared)
        return
    answer_and_post(services, client, where, text, history=history, shared=shared)


def answer_and_post(services, client, where: Where, text: str, *, history=None, respond=None,
                    shared: str = "") -> str | None:
    """Answer `text` and post it where it belongs. Returns the answer id (None if not recorded/failed).
    `shared` (`shared_content.shared_text`: a file's name, a forwarded message) is never answered or stored: only the
    kinds of identifiers in it count, for the warning and the record.

    With `respond` (slash command) the reply is ephemeral through response_url; otherwise one
    chat.postMessage in `where.reply_thread_ts`. Any failure ends in a visible apology."""
    started = time.perf_counter()
    if not services.claim(where.claim_key):
        services.metrics.duplicates.inc()
        return None
    redaction = services.plain_text(text)  # the raw message never goes further than this line
    text = redaction.text  # identifiers found in the raw text, the markup removed, then looked for again
    shared_kinds = _kinds_in(services, shared)  # what it carries besides: only the kinds of identifiers in it
    status = Status(services, client, where.channel, where.reply_thread_ts if respond is None else None).start()
    posted = False
    try:
        if history is None:
            max_age = services.settings.slack.slack_dm_history_seconds if where.reply_thread_ts is None else None
            history = services.threads.history(where.channel, where.memory_key, max_age=max_age)
        try:
            answer = services.assistant.answer(text, history=list(history))
        except Exception as exc:
            services.metrics.failures.inc()
            log.error("answering failed (%s) in %s", type(exc).__name__, where.surface)
            services.threads.remember(where.channel, where.memory_key)
            status.posting()
            posted = _post_apology(services, client, where, respond)
            _warn_pii(services, client, where, redaction.kinds, respond, shared_kinds)
            return None

        latency_ms = (time.perf_counter() - started) * 1000
        in_words = list(dict.fromkeys([*redaction.kinds, *(answer.pii_kinds if answer.pii_warning else [])]))
        if in_words or shared_kinds:  # the core saw the redacted text: the record says what was removed
            answer.pii_warning = True
            answer.pii_kinds = list(dict.fromkeys([*in_words, *shared_kinds]))
        services.threads.remember(where.channel, where.memory_key, answer.question)
        answer_id = _record(services, answer, where, latency_ms)
        if respond is not None:
            reply_text, reply_blocks = blocks.command_message(answer, answer_id=answer_id, channel=where.channel)
        else:
            reply_text, reply_blocks = blocks.answer_message(
                answer, answer_id=answer_id, channel=where.channel, thread_ts=where.reply_thread_ts
            )

        status.posting()
        message_ts = _post(services, client, where, reply_text, reply_blocks, respond)
        if message_ts is False:  # the answer could not be posted: the apology, and still the warning
            posted = _post_apology(services, client, where, respond)
            _warn_pii(services, client, where, in_words, respond, shared_kinds)
            services.metrics.failures.inc()
            return answer_id
        posted = True
        _warn_pii(services, client, where, in_words, respond, shared_kinds)
        elapsed = time.perf_counter() - started
        services.metrics.questions.labels(kind=answer.kind.value, surface=where.surface).inc()
        services.metrics.latency.observe(elapsed)
        log.info("answered %s kind=%s answer_id=%s latency_ms=%.0f pii=%s", where.surface, answer.kind.value,
                 answer_id, elapsed * 1000, answer.pii_warning)
        if answer_id and isinstance(message_ts, str) and services.review is not None:
            try:
                services.review.set_answer_message_ts(answer_id, message_ts)
            except Exception as exc:
                log.warning("could not store the answer's message ts: %s", type(exc).__name__)
        if answer.kind is AnswerKind.not_covered and answer_id and services.settings.slack.review_channel:
            try:
                post_review_card(client, services, answer_id, reason="not_covered")
            except Exception as exc:
                log.warning("posting the not-covered review card failed: %s", type(exc).__name__)
        return answer_id
    finally:
        status.done(posted)


def _record(services, answer, where: Where, latency_ms: float) -> str | None:
    if services.review is None:
        return None
    try:
        return services.review.record_answer(
            answer, team_id=where.team, channel_id=where.channel, thread_ts=where.reply_thread_ts,
            user_id=where.user, latency_ms=round(latency_ms, 1),
        )
    except Exception as exc:  # the user still gets the answer
        log.error("recording the answer failed: %s", type(exc).__name__)
        return None


def _post(services, client, where: Where, text: str, blocks_: list, respond) -> str | bool | None:
    """Post the reply; the message ts (str), True when posted through respond(), or False on failure."""
    if respond is not None:
        try:
            respond(text=text, blocks=blocks_, response_type="ephemeral", replace_original=False)
            return True
        except Exception as exc:
            services.metrics.api_error("response_url", type(exc).__name__)
            log.warning("responding to the slash command failed: %s", type(exc).__name__)
            return False
    resp = api_call(services, client, "chat_postMessage",
                    **where.reply_kwargs(text=text, blocks=blocks_, unfurl_links=False, unfurl_media=False))
    if resp is None:
        return False
    return resp.get("ts") or True


def _post_apology(services, client, where: Where, respond) -> bool:
    text, blocks_ = blocks.error_message(where.channel, where.reply_thread_ts)
    if respond is not None:
        try:
            respond(text=text, blocks=blocks_, response_type="ephemeral", replace_original=False)
            return True
        except Exception:
            return False
    resp = api_call(services, client, "chat_postMessage", **where.reply_kwargs(text=text, blocks=blocks_))
    if resp is None and where.user:
        # the channel refused a message (e.g. not_in_channel): try telling the asker privately
        resp = post_ephemeral(services, client, where.channel, where.user, text)
    return resp is not None


def _kinds_in(services, text: str) -> list[str]:
    """The kinds of identifiers in `text` (a message's words, or what it carries besides: `shared_content.shared_text`)."""
    return services.plain_text(text).kinds if text else []


def _warn_pii(services, client, where: Where, kinds, respond, shared_kinds=()) -> None:
    """The poster's ephemeral warning: details removed, please delete or edit the message; worded for a file or a
    forwarded message when only what the message carries (`shared_kinds`) held them."""
    if not kinds and not shared_kinds:
        return
    services.metrics.pii_warnings.inc()
    text = (blocks.pii_warning_text(list(dict.fromkeys([*kinds, *shared_kinds]))) if kinds
            else blocks.pii_warning_text(shared_kinds, prompts.PII_SHARED_WARNING))
    if respond is not None:
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:
            pass
        return
    post_ephemeral(services, client, where.channel, where.user, text, where.origin_thread_ts)


def refuse(services, client, where: Where, text: str = "", shared: str = "") -> None:
    """The polite one-line refusal outside ALLOWED_CHANNEL_IDS (once per message), and the private warning when the
    message holds patient details: the question is not answered, but it is still in the channel."""
    if not services.claim(where.claim_key):
        return
    api_call(services, client, "chat_postMessage", **where.reply_kwargs(text=prompts.REFUSAL_TEXT))
    _warn_pii(services, client, where, _kinds_in(services, text), None, _kinds_in(services, shared))
