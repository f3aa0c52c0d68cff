"""Bolt listener matchers: which route a Slack event takes (Bolt injects `event`, `context` by name). Pure
functions of the payload, cheap (they run before the acknowledgement)."""

from __future__ import annotations

from bot.slack.payloads import message_text

ANSWERABLE_SUBTYPES = {None, "file_share", "thread_broadcast"}


def asked_by_a_person(event: dict, context) -> bool:
    """A new message (or file or broadcast) from a person, with a channel and a ts."""
    if event.get("subtype") not in ANSWERABLE_SUBTYPES or not event.get("channel") or not event.get("ts"):
        return False
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return False
    user = event.get("user")
    return not (user and user == getattr(context, "bot_user_id", None))


def in_a_dm(event: dict) -> bool:
    return event.get("channel_type") == "im"


def in_a_channel(event: dict) -> bool:
    """Public and private channels (group DMs are answered only through app_mention)."""
    return event.get("channel_type") in ("channel", "group")


def mentions_the_bot(event: dict, context) -> bool:
    bot_user_id = getattr(context, "bot_user_id", None)
    return bool(bot_user_id and f"<@{bot_user_id}>" in message_text(event))


def replies_in_a_thread(event: dict) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def in_a_pane_thread(event: dict) -> bool:
    """`assistant_thread_*` events that name their channel and thread (others are acknowledged, not used)."""
    thread = event.get("assistant_thread") or {}
    return isinstance(thread.get("channel_id"), str) and isinstance(thread.get("thread_ts"), str)
