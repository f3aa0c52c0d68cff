"""Who clicked what, and where: reading Bolt's `block_actions` and `view_submission` bodies.

    user_of(body)                  -> the clicking (or submitting) user's id, or None
    where_clicked(body)            -> (channel, message ts, thread ts) of the message holding the button
    clicked_action(body, action)   -> the action Bolt passed, else the body's first action
    input_value(view, block, input) -> the text typed into one input of a submitted modal, or None

Pure functions over the payload (no Slack calls); the payload's shape was checked before Bolt parsed it
(`bot.slack.payloads.shape_error`).
"""

from __future__ import annotations


def user_of(body: dict) -> str | None:
    return (body.get("user") or {}).get("id")


def where_clicked(body: dict) -> tuple[str | None, str | None, str | None]:
    """(channel, message ts, thread ts) of the message whose button was clicked."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = message.get("ts") or container.get("message_ts")
    thread_ts = message.get("thread_ts") or container.get("thread_ts") or ts
    return channel, ts, thread_ts


def clicked_action(body: dict, action: dict | None) -> dict:
    if action:
        return action
    actions = body.get("actions") or [{}]
    return actions[0]


def input_value(view: dict, block_id: str, action_id: str) -> str | None:
    values = (view.get("state") or {}).get("values") or {}
    return ((values.get(block_id) or {}).get(action_id) or {}).get("value")
