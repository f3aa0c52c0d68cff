"""The assistant pane, on Bolt's `Assistant` middleware: a greeting and suggested prompts when a thread starts;
each message in a pane thread answered in that thread; context changes acknowledged and not stored.

Bolt's `Assistant` acknowledges and drops edits in pane threads; ours pass them on, because an edit that adds
patient details must get the same warning as anywhere else (`listeners.edits`).
"""

from __future__ import annotations

import logging

from slack_bolt import Assistant

from bot import prompts
from bot.slack.answering import Where, handle_question
from bot.slack.calls import call
from bot.slack.matchers import asked_by_a_person, in_a_pane_thread
from bot.slack.middleware import ClaimEvent
from bot.slack.payloads import message_text
from bot.slack.shared_content import shared_text

log = logging.getLogger(__name__)


class PaneAssistant(Assistant):
    """Bolt's Assistant, except that message edits go on to the App's listeners."""

    def process(self, *, req, resp, next):  # noqa: A002 - Bolt's argument name
        event = req.body.get("event") or {}
        if event.get("type") == "message" and event.get("subtype") == "message_changed":
            return next()
        return super().process(req=req, resp=resp, next=next)


def register(app, services) -> None:
    assistant = PaneAssistant(logger=app.logger)

    # a thread start carries no message of its own to claim: its event id is claimed (the greeting once)
    @assistant.thread_started(matchers=[in_a_pane_thread], middleware=[ClaimEvent(services)])
    def on_thread_started(say, set_suggested_prompts) -> None:
        call(services, "chat.postMessage", say, text=prompts.GREETING)
        call(services, "assistant.threads.setSuggestedPrompts", set_suggested_prompts,
             prompts=prompts.SUGGESTED_PROMPTS, title=prompts.SUGGESTED_PROMPTS_TITLE)

    @assistant.user_message(matchers=[asked_by_a_person])  # answered once: `answering` claims the message
    def on_user_message(event: dict, body: dict, client, context) -> None:
        where = Where.of_message(event, body, context, surface="assistant", reply_thread_ts=event["thread_ts"])
        handle_question(services, client, where, message_text(event), shared=shared_text(event))

    @assistant.thread_context_changed(matchers=[in_a_pane_thread])
    def on_context_changed() -> None:
        return None  # Bolt's default writes the context into the thread's first reply; we do not use it

    app.use(assistant)
