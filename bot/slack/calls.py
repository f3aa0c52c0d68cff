"""Slack Web API calls whose failure must not stop a listener: the one place those failures are logged and counted.

    api_call(services, client, "chat_postMessage", channel=..., text=...)   -> the response, or None
    call(services, "chat.postMessage", say, text=...)                       -> the same for Bolt's helpers
    post_ephemeral(services, client, channel, user, text, thread_ts=None)   -> the response, or None

A failure of Slack or of the network (after the client's retry handlers gave up) is logged with the method and
Slack's error code (never the arguments, which may quote a question), counted in `gpbot_slack_api_errors`, and
returned as None. A programming error (a method that does not exist, a wrong argument) is not a Slack failure:
it raises, so it shows up in the tests and in the listener error log instead of as a silent None.
"""

from __future__ import annotations

import http.client
import json
import logging
from typing import Callable

from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

# What slack_sdk's urllib client raises when Slack or the network fails: Slack's own errors, sockets and URLs
# (timeouts, refused and reset connections are OSErrors), a broken HTTP exchange, an unreadable response body.
SLACK_FAILURES = (SlackClientError, OSError, http.client.HTTPException, json.JSONDecodeError, UnicodeDecodeError)


def api_call(services, client, method: str, **kwargs):
    """Call a Web API method of `client` (`chat_postMessage`); on a Slack or network failure log and count the
    error code and return None. A method the client does not have raises AttributeError."""
    return call(services, api_name(method), getattr(client, method), **kwargs)


def call(services, name: str, function: Callable, **kwargs):
    """`function(**kwargs)` (a WebClient method or one of Bolt's `say`, `set_suggested_prompts`…); `name` is the
    Web API method it calls (`chat.postMessage`), for the log and the metric."""
    try:
        return function(**kwargs)
    except SlackApiError as exc:
        error = (exc.response or {}).get("error", "unknown") if hasattr(exc.response, "get") else "unknown"
        services.metrics.api_error(name, str(error))
        log.warning("Slack %s failed: %s", name, error)
    except SLACK_FAILURES as exc:  # network errors after the retry handlers gave up
        services.metrics.api_error(name, type(exc).__name__)
        log.warning("Slack %s failed: %s", name, type(exc).__name__)
    return None


def api_name(method: str) -> str:
    """`chat_postMessage` → `chat.postMessage` (the first underscore; enough for the metric label)."""
    return method.replace("_", ".", 1) if "_" in method else method


def post_ephemeral(services, client, channel: str | None, user: str | None, text: str,
                   thread_ts: str | None = None):
    """A message only `user` sees (in `thread_ts` when given); nothing without a channel and a user."""
    if not channel or not user:
        return None
    kwargs = dict(channel=channel, user=user, text=text)
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    return api_call(services, client, "chat_postEphemeral", **kwargs)
