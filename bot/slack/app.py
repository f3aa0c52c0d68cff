"""`build_app`: a Bolt `App` with every gpbot listener registered.

    services = BotServices(settings, assistant, review)   # bot.slack.services
    app = build_app(services)              # real runs: a WebClient on SLACK_API_URL with retries
    app = build_app(services, client=c)    # tests: a WebClient pointed at the local emulator

The same App serves HTTP (bot.slack.server) and Socket Mode (bot.slack.socket_mode).
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot import prompts
from bot.settings import ConfigError
from bot.slack import signed_values, workspaces
from bot.slack.client import make_client
from bot.slack.listeners import actions, assistant, commands, edits, events, home, review
from bot.slack.log_scrubbing import bolt_logger
from bot.slack.middleware import refuse_bad_shapes, skip_revoked_workspaces
from bot.slack.services import BotServices

log = logging.getLogger(__name__)

# every event type some listener routes by matchers: what no route takes is acknowledged here (a 404 would
# make Slack deliver it again)
ROUTED_EVENTS = re.compile(r"^(message|app_mention|assistant_thread_started|assistant_thread_context_changed)$")


def build_app(services: BotServices, *, client: WebClient | None = None, socket_mode: bool = False) -> App:
    """HTTP mode needs SLACK_SIGNING_SECRET and always verifies signatures (5-minute replay window);
    Socket Mode does not use it. `client` defaults to `make_client(settings)`."""
    settings = services.settings
    secret = settings.slack.slack_signing_secret.get_secret_value() if settings.slack.slack_signing_secret else None
    if not socket_mode and not secret:
        raise ConfigError(prompts.CONFIG_SIGNING_SECRET_REQUIRED)
    signed_values.configure(secret or (settings.slack.slack_bot_token.get_secret_value() if settings.slack.slack_bot_token else None))
    app = App(
        client=client or make_client(settings, services.metrics),
        signing_secret=secret or "",
        request_verification_enabled=not socket_mode or bool(secret),
        logger=bolt_logger(settings),
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=settings.slack.slack_listener_workers, thread_name_prefix="gpbot-listener"),
    )
    app.middleware(refuse_bad_shapes)
    app.middleware(skip_revoked_workspaces(services))
    # the assistant pane last: its middleware ends the chain for pane events, after the review workflow's
    for module in (edits, events, commands, home, actions, review, workspaces, assistant):
        module.register(app, services)

    @app.event(ROUTED_EVENTS)
    def acknowledge_unrouted() -> None:
        return None  # chatter, edits, other bots' messages, incomplete assistant events

    @app.error
    def on_error(error, body):
        log.error("unhandled error in a listener: %s", type(error).__name__)

    return app
