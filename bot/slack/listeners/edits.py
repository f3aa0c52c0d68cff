"""Message edits (`message` events with subtype `message_changed`): an edit that adds patient identifiers
gets the same ephemeral warning as a new message. Outside ALLOWED_CHANNEL_IDS the bot stays silent (it is not
meant to be there). Edits are never answered, stored or logged, and the identifiers are never echoed."""

from __future__ import annotations

import logging
from collections import Counter

from bot import prompts
from bot.slack.blocks import pii_warning_text
from bot.slack.calls import post_ephemeral
from bot.slack.payloads import message_text

log = logging.getLogger(__name__)


def _is_editable_by_a_person(message: dict) -> bool:
    return bool(message.get("user")) and not message.get("bot_id") and message.get("subtype") in (None, "thread_broadcast")


def _written(services, text: str) -> Counter:
    """The identifiers of the raw text as written (kind, letters and digits only), of every kind: an edit that swaps
    one NHS number (or name, or date) for another is warned like one that adds it, an unchanged one is not. Held in
    memory for the comparison only: never logged or stored."""
    raw = text or ""
    return Counter((f.kind, "".join(c for c in f.text_in(raw).lower() if c.isalnum()))
                   for f in services.redact(raw).findings)


def handle_edit(services, client, event: dict) -> None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    channel = event.get("channel")
    if not channel or not _is_editable_by_a_person(message):
        return
    if not services.channel_allowed(channel, event.get("channel_type")):
        return
    now = services.plain_text(message_text(message))
    if not now.has_identifiers:
        return
    before = services.plain_text(message_text(previous)) if previous else None
    if before is not None and not Counter(f.kind for f in now.findings) - Counter(f.kind for f in before.findings) \
            and not _written(services, message_text(message)) - _written(services, message_text(previous)):
        return  # nothing new: the poster was warned when the details first went in
    if not services.claim(f"edit:{channel}:{message.get('ts')}:{(message.get('edited') or {}).get('ts') or event.get('ts')}"):
        return
    services.metrics.pii_warnings.inc()
    post_ephemeral(services, client, channel, message.get("user"),
                   pii_warning_text(now.kinds, prompts.PII_EDIT_WARNING), message.get("thread_ts"))
    log.info("warned about identifiers added by an edit (kinds=%s)", ",".join(now.kinds))


def register(app, services) -> None:
    @app.event({"type": "message", "subtype": "message_changed"})
    def on_edit(event: dict, client) -> None:
        handle_edit(services, client, event)
