"""Mentions, thread follow-ups and DMs, and the one place every surface answers a question.

- `app_mention` → the answer in the thread (`thread_ts` = the event's thread_ts or ts).
- `message` (channels/groups) → answered only when it is a reply in a thread the bot has answered
  (thread memory, else `conversations.replies`), or when it mentions the bot (the same message also
  arrives as `app_mention`: `channel:ts` is claimed once, so it is answered once).
- `message` (im) → every user message; in assistant threads the reply goes in the thread.
- Own messages, other bots and subtypes (edits, deletions, joins…) are ignored.

`answer_and_post` is shared with the slash command and the assistant pane.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.slack import blocks
from bot.slack.calls import api_call, post_ephemeral
from bot.slack.payloads import message_text
from bot.slack.review_cards import post_review_card
from bot.types import AnswerKind

log = logging.getLogger(__name__)

STATUS_TEXT = "Searching the guidance…"
LOADING_MESSAGES = ["Searching the guidance…", "Checking the sources…", "Writing the answer…"]
DM_HISTORY_SECONDS = 15 * 60
ANSWERABLE_SUBTYPES = {None, "file_share", "thread_broadcast"}


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


# ------------------------------------------------------------------ status ("is thinking…")
class Status:
    """Best-effort `assistant.threads.setStatus`: sent from a small side pool so it never delays the answer,
    cancelled if the answer is ready first, and cleared explicitly if it could land after the answer."""

    def __init__(self, services, client, channel: str, thread_ts: str | None):
        self.services, self.channel, self.thread_ts = services, channel, thread_ts
        self._client = client
        self._future = None
        self._ok = False
        self._landed_at: float | None = None
        self._posting_at: float | None = None

    def start(self) -> "Status":
        if not self.thread_ts:
            return self
        try:
            self._future = self.services.status_executor.submit(self._set, STATUS_TEXT)
        except RuntimeError:  # executor shut down
            self._future = None
        return self

    def _set(self, text: str) -> None:
        try:
            self.services.status_client(self._client).assistant_threads_setStatus(
                channel_id=self.channel, thread_ts=self.thread_ts, status=text,
                loading_messages=LOADING_MESSAGES if text else None,
            )
            self._ok = True
            self._landed_at = time.monotonic()
        except Exception as exc:  # best effort: e.g. invalid_thread_ts, missing scope
            error = getattr(getattr(exc, "response", None), "get", lambda *_: None)("error") or type(exc).__name__
            self.services.metrics.api_error("assistant.threads.setStatus", str(error))

    def posting(self) -> None:
        self._posting_at = time.monotonic()

    def done(self, posted: bool) -> None:
        future = self._future
        if future is None or future.cancel():
            return  # never sent

        def clear() -> None:
            try:
                future.result(timeout=10)
            except Exception:
                return
            # Slack clears the status when the app replies; clear it ourselves when it may have landed later
            landed_late = self._landed_at is None or self._posting_at is None or self._landed_at >= self._posting_at
            if self._ok and (not posted or landed_late):
                self._set("")

        if future.done() and posted and self._ok and self._landed_at is not None and self._posting_at is not None \
                and self._landed_at < self._posting_at:
            return
        try:
            self.services.status_executor.submit(clear)
        except RuntimeError:
            pass


# ------------------------------------------------------------------ answering

def answer_and_post(services, client, where: Where, text: str, *, history=None, respond=None) -> str | None:
    """Answer `text` and post it where it belongs. Returns the answer id (None if not recorded/failed).

    With `respond` (slash command) the reply is ephemeral through response_url; otherwise one
    chat.postMessage in `where.reply_thread_ts`. Any failure ends in a visible apology."""
    started = time.perf_counter()
    if not services.claim(f"msg:{where.channel}:{where.message_ts}"):
        services.metrics.duplicates.inc()
        return None
    redaction = services.redact(text)  # the raw message never goes further than this line
    text = redaction.text
    status = Status(services, client, where.channel, where.reply_thread_ts if respond is None else None).start()
    posted = False
    try:
        if history is None:
            max_age = DM_HISTORY_SECONDS if where.reply_thread_ts is None else None
            history = services.threads.history(where.channel, where.memory_key, max_age=max_age)
        try:
            answer = services.assistant.answer(text, history=list(history))
        except Exception as exc:
            services.metrics.failures.inc()
            log.error("answering failed (%s) in %s", type(exc).__name__, where.surface)
            services.threads.remember(where.channel, where.memory_key)
            status.posting()
            posted = _post_apology(services, client, where, respond)
            _warn_pii(services, client, where, redaction.kinds, respond)
            return None

        latency_ms = (time.perf_counter() - started) * 1000
        if redaction.has_identifiers:  # the core saw the redacted text: the record says what was removed
            answer.pii_warning = True
            answer.pii_kinds = list(dict.fromkeys([*redaction.kinds, *answer.pii_kinds]))
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
        if message_ts is False:
            posted = _post_apology(services, client, where, respond)
            services.metrics.failures.inc()
            return answer_id
        posted = True
        _warn_pii(services, client, where, answer.pii_kinds if answer.pii_warning else [], respond)
        elapsed = time.perf_counter() - started
        services.metrics.questions.labels(kind=answer.kind.value, surface=where.surface).inc()
        services.metrics.latency.observe(elapsed)
        log.info("answered %s kind=%s answer_id=%s latency_ms=%.0f pii=%s", where.surface, answer.kind.value,
                 answer_id, elapsed * 1000, redaction.has_identifiers or answer.pii_warning)
        if answer_id and isinstance(message_ts, str) and services.review is not None:
            try:
                services.review.set_answer_message_ts(answer_id, message_ts)
            except Exception as exc:
                log.warning("could not store the answer's message ts: %s", type(exc).__name__)
        if answer.kind is AnswerKind.not_covered and answer_id and services.settings.review_channel:
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


def _warn_pii(services, client, where: Where, kinds, respond) -> None:
    """The poster's ephemeral warning: details removed, please delete or edit the message."""
    if not kinds:
        return
    services.metrics.pii_warnings.inc()
    text = blocks.pii_warning_text(kinds)
    if respond is not None:
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:
            pass
        return
    post_ephemeral(services, client, where.channel, where.user, text, where.origin_thread_ts)


def refuse(services, client, where: Where) -> None:
    """The polite one-line refusal outside ALLOWED_CHANNEL_IDS (once per message)."""
    if not services.claim(f"msg:{where.channel}:{where.message_ts}"):
        return
    api_call(services, client, "chat_postMessage", **where.reply_kwargs(text=blocks.REFUSAL_TEXT))


# ------------------------------------------------------------------ listeners
def _is_from_a_bot(event: dict, context) -> bool:
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return True
    user = event.get("user")
    return bool(user and user == getattr(context, "bot_user_id", None))


def mentions_bot(text: str, context) -> bool:
    bot_user_id = getattr(context, "bot_user_id", None)
    return bool(bot_user_id and f"<@{bot_user_id}>" in (text or ""))


def handle_question(services, client, where: Where, text: str, history=None) -> None:
    if not services.channel_allowed(where.channel, where.channel_type):
        refuse(services, client, where)
        return
    answer_and_post(services, client, where, text, history=history)


def register(app, services) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, body: dict, client, context) -> None:
        if _is_from_a_bot(event, context) or event.get("subtype") not in ANSWERABLE_SUBTYPES:
            return
        ts = event.get("ts")
        channel = event.get("channel")
        if not ts or not channel:
            return
        where = Where(
            channel=channel, message_ts=ts, reply_thread_ts=event.get("thread_ts") or ts,
            origin_thread_ts=event.get("thread_ts"), user=event.get("user"),
            team=body.get("team_id") or context.team_id, surface="mention", channel_type=event.get("channel_type"),
        )
        handle_question(services, client, where, message_text(event))

    @app.event("message")
    def on_message(event: dict, body: dict, client, context) -> None:
        if event.get("subtype") not in ANSWERABLE_SUBTYPES or _is_from_a_bot(event, context):
            return
        channel, ts = event.get("channel"), event.get("ts")
        if not channel or not ts:
            return
        text = message_text(event)
        thread_ts = event.get("thread_ts")
        channel_type = event.get("channel_type")
        team = body.get("team_id") or context.team_id
        if channel_type == "im":
            where = Where(channel=channel, message_ts=ts, reply_thread_ts=thread_ts, origin_thread_ts=thread_ts,
                          user=event.get("user"), team=team, surface="assistant" if thread_ts else "dm",
                          channel_type="im")
            handle_question(services, client, where, text)
            return
        if channel_type not in ("channel", "group"):
            return  # group DMs: only mentions (app_mention) are answered
        if mentions_bot(text, context):
            # also delivered as app_mention; whichever arrives first answers (channel:ts claimed once)
            where = Where(channel=channel, message_ts=ts, reply_thread_ts=thread_ts or ts, origin_thread_ts=thread_ts,
                          user=event.get("user"), team=team, surface="mention", channel_type=channel_type)
            handle_question(services, client, where, text)
            return
        if not thread_ts or thread_ts == ts:
            return
        history = thread_history(services, client, context, channel, thread_ts, ts)
        if history is None:
            return
        where = Where(channel=channel, message_ts=ts, reply_thread_ts=thread_ts, origin_thread_ts=thread_ts,
                      user=event.get("user"), team=team, surface="thread", channel_type=channel_type)
        handle_question(services, client, where, text, history=history)


def thread_history(services, client, context, channel: str, thread_ts: str, current_ts: str) -> list[str] | None:
    """Earlier questions in a thread the bot has answered (redacted), or None if the bot is not in it."""
    memory = services.threads
    if memory.knows(channel, thread_ts):
        return memory.history(channel, thread_ts)
    if memory.known_not_ours(channel, thread_ts):
        return None
    resp = api_call(services, client, "conversations_replies", channel=channel, ts=thread_ts, limit=50)
    if resp is None:
        return None
    messages = resp.get("messages") or []
    bot_user_id, bot_id = getattr(context, "bot_user_id", None), getattr(context, "bot_id", None)
    ours = any((bot_id and m.get("bot_id") == bot_id) or (bot_user_id and m.get("user") == bot_user_id)
               for m in messages)
    if not ours:
        memory.mark_not_ours(channel, thread_ts)
        return None
    questions = [
        services.redact(message_text(m)).text
        for m in messages
        if isinstance(m, dict) and not m.get("bot_id") and m.get("subtype") is None and _ts(m.get("ts")) < _ts(current_ts)
    ][-memory.per_thread:]
    memory.remember(channel, thread_ts)
    for question in questions:
        memory.remember(channel, thread_ts, question)
    return questions


def _ts(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
