"""Slack Web API calls that must not raise: the one place their failures are logged and counted.

    api_call(services, client, "chat_postMessage", channel=..., text=...)   -> the response, or None
    post_ephemeral(services, client, channel, user, text, thread_ts=None)   -> the response, or None

A failure is logged with the method and Slack's error code (never the arguments, which may quote a
question) and counted in `gpbot_slack_api_errors`.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


def api_call(services, client, method: str, **kwargs):
    """Call a Web API method; on failure log the error code (never the arguments), count it, return None."""
    try:
        return getattr(client, method)(**kwargs)
    except SlackApiError as exc:
        error = (exc.response or {}).get("error", "unknown") if hasattr(exc.response, "get") else "unknown"
        services.metrics.api_error(api_name(method), str(error))
        log.warning("Slack %s failed: %s", api_name(method), error)
    except Exception as exc:  # network errors after the retry handlers gave up
        services.metrics.api_error(api_name(method), type(exc).__name__)
        log.warning("Slack %s failed: %s", api_name(method), type(exc).__name__)
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
