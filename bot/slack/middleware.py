"""Bolt middleware of the Slack app.

Global (every request, before any listener): `refuse_bad_shapes` (Socket Mode's copy of the shape check the
HTTP server makes before Bolt) and `skip_revoked_workspaces`.

Per route: `ClaimEvent(services)` on a listener that posts without a message to claim (the assistant pane's
thread start). Slack redelivers events (X-Slack-Retry-Num, Socket Mode's retry_attempt): the listener claims
the event id once, and a duplicate gets a 200 so Slack stops retrying. Questions are claimed by their message
instead (`msg:channel:ts`, in `bot.slack.answering`: one claim a message, which also covers a redelivery and
the mention Slack sends as two events). Events no route takes (channel chatter, edits, other bots) are never
claimed, so they cost no database write.
"""

from __future__ import annotations

import logging

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.slack import workspaces
from bot.slack.payloads import shape_error

log = logging.getLogger(__name__)


def refuse_bad_shapes(body: dict, next):  # noqa: A002 - Bolt injects by name
    """HTTP checks shapes before Bolt (bot.slack.server); this covers Socket Mode the same way."""
    problem = shape_error(body)
    if problem:
        log.warning("a request was refused: %s", problem)
        return BoltResponse(status=400, body="")
    return next()


def skip_revoked_workspaces(services):
    def skip_revoked_workspaces(body: dict, next):  # noqa: A002 - Bolt injects by name
        """After app_uninstalled / tokens_revoked: acknowledge, post nothing, record nothing."""
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        if event.get("type") not in workspaces.LIFECYCLE_EVENTS and services.workspaces.is_revoked(workspaces.team_of(body)):
            return BoltResponse(status=200, body="")
        return next()

    return skip_revoked_workspaces


class ClaimEvent(Middleware):
    """Listener middleware for a route that posts without a message of its own: the event is handled once
    across redeliveries. A `Middleware` object rather than a function, because Bolt's `Assistant` takes only
    those."""

    def __init__(self, services):
        self.services = services

    def process(self, *, req: BoltRequest, resp: BoltResponse, next):  # noqa: A002 - Bolt's argument name
        event_id = req.body.get("event_id")
        if event_id and not self.services.claim(f"event:{event_id}"):
            self.services.metrics.duplicates.inc()
            log.info("duplicate event %s dropped", event_id)
            return BoltResponse(status=200, body="")
        return next()
