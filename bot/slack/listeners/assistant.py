"""The assistant / agent pane: suggested prompts when a thread starts (its messages arrive as `message.im`,
answered in `events`), and a quiet acknowledgement of context changes."""

from __future__ import annotations

import logging

from bot.slack.calls import api_call

log = logging.getLogger(__name__)

GREETING = (
    "Hi! Ask me about patients' online access to their GP records. I answer from published guidance and "
    "cite my sources. Please don't include patient details."
)
SUGGESTED_PROMPTS = [
    {"title": "Switch on prospective access", "message": "How do I switch on prospective record access in EMIS Web?"},
    {"title": "Hold back a patient for review", "message": "Which SNOMED code stops a patient's online access switching on until it's reviewed?"},
    {"title": "Coerced access", "message": "What should we do if we think a patient is being coerced into sharing their online record?"},
    {"title": "Proxy access for children", "message": "How does proxy access work for parents of children under 16?"},
]


def register(app, services) -> None:
    @app.event("assistant_thread_started")
    def on_thread_started(event: dict, client) -> None:
        thread = event.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if not channel or not thread_ts:
            return
        api_call(services, client, "chat_postMessage", channel=channel, thread_ts=thread_ts, text=GREETING)
        api_call(services, client, "assistant_threads_setSuggestedPrompts", channel_id=channel,
                 thread_ts=thread_ts, title="Try asking", prompts=SUGGESTED_PROMPTS)

    @app.event("assistant_thread_context_changed")
    def on_context_changed() -> None:
        return None  # we do not use the channel context: nothing to store
