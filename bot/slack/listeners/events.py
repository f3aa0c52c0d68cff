"""Questions in messages, one listener per route (Bolt matchers pick the route). A message is answered once:
`bot.slack.answering` claims `msg:channel:ts`, which covers Slack's redeliveries of an event and the two
events (`app_mention` and `message`) Slack sends for one mention; no event id is claimed besides.

- `app_mention` → the answer in the thread (`thread_ts` = the event's thread_ts or ts).
- `message` in a DM → every message from a person; in a thread (the assistant pane's threads are taken by
  `listeners.assistant` first) the reply goes in the thread.
- `message` in a channel or private channel that mentions the bot → answered like `app_mention` (Slack
  delivers both: whichever arrives first answers).
- `message` replying in a thread the bot has answered (thread memory, else `conversations.replies`) → the
  answer in the thread, with the thread's earlier questions.
- Anything else (own messages, other bots, edits and other subtypes, group DMs without a mention, chatter)
  matches no route here; `build_app` acknowledges it.
"""

from __future__ import annotations

import logging

from bot.slack.answering import Where, handle_question
from bot.slack.calls import api_call
from bot.slack.matchers import asked_by_a_person, in_a_channel, in_a_dm, mentions_the_bot, replies_in_a_thread
from bot.slack.payloads import message_text
from bot.slack.shared_content import shared_text

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ routes
def register(app, services) -> None:
    def on_mention(event: dict, body: dict, client, context) -> None:
        where = Where.of_message(event, body, context, surface="mention",
                                 reply_thread_ts=event.get("thread_ts") or event["ts"])
        handle_question(services, client, where, message_text(event), shared=shared_text(event))

    app.event("app_mention", matchers=[asked_by_a_person])(on_mention)

    @app.event("message", matchers=[asked_by_a_person, in_a_dm])
    def on_direct_message(event: dict, body: dict, client, context) -> None:
        thread_ts = event.get("thread_ts")
        where = Where.of_message(event, body, context, surface="assistant" if thread_ts else "dm",
                                 reply_thread_ts=thread_ts)
        handle_question(services, client, where, message_text(event), shared=shared_text(event))

    # also delivered as app_mention: whichever arrives first answers (`msg:channel:ts` is claimed once)
    app.event("message", matchers=[asked_by_a_person, in_a_channel, mentions_the_bot])(on_mention)

    @app.event("message", matchers=[asked_by_a_person, in_a_channel, replies_in_a_thread])
    def on_thread_reply(event: dict, body: dict, client, context) -> None:
        history = thread_history(services, client, context, event["channel"], event["thread_ts"], event["ts"])
        if history is None:
            return
        where = Where.of_message(event, body, context, surface="thread", reply_thread_ts=event["thread_ts"])
        handle_question(services, client, where, message_text(event), history=history,
                        shared=shared_text(event))


def thread_history(services, client, context, channel: str, thread_ts: str, current_ts: str) -> list[str] | None:
    """Earlier questions in a thread the bot has answered (redacted, plain text), or None if the bot is not in it."""
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
    earlier = [m for m in messages if isinstance(m, dict) and not m.get("bot_id") and m.get("subtype") is None
               and _ts(m.get("ts")) < _ts(current_ts)][-memory.per_thread:]  # only what is kept is redacted
    questions = [services.plain_text(message_text(m)).text for m in earlier]  # raw, plain text, then again
    memory.remember(channel, thread_ts)
    for question in questions:
        memory.remember(channel, thread_ts, question)
    return questions


def _ts(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
