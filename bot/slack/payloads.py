"""What a Slack payload must look like before any listener reads it, and a message's text.

`shape_error(body)` names the first part of a (signed) payload that is not the shape Slack sends: the
server answers 400 instead of letting a listener trip over it (an `event` that is a string, `actions`
items that are strings, modal input values that are lists...). `message_text(event)` is the message's
`text`, or, when that is empty, the text of its rich_text `blocks`.
"""

from __future__ import annotations

from typing import Any

_DICT_FIELDS = ("event", "user", "channel", "team", "container", "message", "view", "enterprise", "authorizations")
# `text` is not among them: `message_text` reads any value (a number, an object) as no text
_EVENT_STR_FIELDS = ("type", "subtype", "ts", "thread_ts", "channel", "user", "channel_type", "bot_id")
_ACTION_STR_FIELDS = ("action_id", "block_id", "value", "type", "action_ts")
_VIEW_STR_FIELDS = ("callback_id", "private_metadata", "id", "type")


def _bad_strs(d: dict, fields) -> str | None:
    return next((f for f in fields if d.get(f) is not None and not isinstance(d.get(f), str)), None)


def shape_error(body: Any) -> str | None:
    """None when every part a listener reads has Slack's shape; otherwise what is wrong (no content)."""
    if not isinstance(body, dict):
        return "body is not an object"
    for name in _DICT_FIELDS:
        if name in body and body[name] is not None and not isinstance(body[name], (dict, list) if name == "authorizations" else dict):
            return f"{name} is not an object"
    event = body.get("event") or {}
    if not isinstance(event.get("type", ""), str):
        return "event.type is not a string"
    bad = _bad_strs(event, _EVENT_STR_FIELDS) if event.get("type") in ("message", "app_mention") else None
    if bad:
        return f"event.{bad} is not a string"
    for name in ("blocks", "attachments", "files"):
        if event.get(name) is not None and not isinstance(event.get(name), list):
            return f"event.{name} is not a list"
    for name in ("message", "previous_message", "assistant_thread", "tokens", "item"):
        if event.get(name) is not None and not isinstance(event.get(name), dict):
            return f"event.{name} is not an object"
    for name in ("message", "previous_message"):
        bad = _bad_strs(event.get(name) or {}, _EVENT_STR_FIELDS)
        if bad:
            return f"event.{name}.{bad} is not a string"
    actions = body.get("actions")
    if actions is not None:
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            return "actions is not a list of objects"
        for a in actions:
            if _bad_strs(a, _ACTION_STR_FIELDS):
                return "an action field is not a string"
    view = body.get("view") or {}
    if _bad_strs(view, _VIEW_STR_FIELDS):
        return "a view field is not a string"
    state = view.get("state")
    if state is not None:
        values = state.get("values") if isinstance(state, dict) else None
        if not isinstance(values, dict) or not all(isinstance(b, dict) for b in values.values()):
            return "view.state.values is not an object of objects"
        for block in values.values():
            for element in block.values():
                if not isinstance(element, dict) or (element.get("value") is not None
                                                     and not isinstance(element.get("value"), str)):
                    return "a view input value is not a string"
    for name in ("user", "channel", "team", "container", "message"):
        bad = _bad_strs(body.get(name) or {}, ("id", "ts", "thread_ts", "channel_id", "message_ts"))
        if bad:
            return f"{name}.{bad} is not a string"
    return None


def _rich_text(element: Any, out: list[str]) -> None:
    if isinstance(element, list):
        for item in element:
            _rich_text(item, out)
        return
    if not isinstance(element, dict):
        return
    kind = element.get("type")
    if kind in ("text",) and isinstance(element.get("text"), str):
        out.append(element["text"])
    elif kind == "link":
        out.append(element.get("text") if isinstance(element.get("text"), str) else str(element.get("url") or ""))
    elif kind == "user" and isinstance(element.get("user_id"), str):
        out.append(f"<@{element['user_id']}>")
    elif kind == "emoji" and isinstance(element.get("name"), str):
        out.append(f":{element['name']}:")
    if isinstance(element.get("elements"), list):
        _rich_text(element["elements"], out)
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote", "rich_text_list"):
            out.append("\n")


def message_text(event: Any) -> str:
    """The message's text; from its rich_text blocks when `text` is empty."""
    if not isinstance(event, dict):
        return ""
    text = event.get("text")
    if isinstance(text, str) and text.strip():
        return text
    parts: list[str] = []
    for block in event.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "rich_text":
            _rich_text(block.get("elements"), parts)
    return "".join(parts).strip()

