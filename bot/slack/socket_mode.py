"""Socket Mode: the same Bolt App over a WebSocket (`SLACK_APP_TOKEN`, scope connections:write).

Uses Bolt's built-in Socket Mode client: it calls `apps.connections.open` through `app.client` (so
SLACK_API_URL applies), acks each envelope at once and hands the request to the App, whose listeners
run on the App's own pool. Redeliveries (`retry_attempt`) become `x-slack-retry-num` and are
deduplicated by the App's middleware like HTTP retries.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)


def socket_mode_handler(app: App, app_token: str, *, concurrency: int = 10) -> SocketModeHandler:
    handler = SocketModeHandler(app, app_token=app_token, logger=app.logger, concurrency=concurrency)
    return handler


def is_connected(handler: SocketModeHandler) -> bool:
    try:
        return bool(handler.client.is_connected())
    except Exception:
        return False


def connect(app: App, app_token: str) -> SocketModeHandler:
    """Connect in the background and return the handler (call `.close()` to stop)."""
    handler = socket_mode_handler(app, app_token)
    handler.connect()
    return handler
