"""App Home: what the bot covers and what it does not, how it treats pasted patient details, and how fresh
the guidance is (from `assistant.index.info()`)."""

from __future__ import annotations

import logging

from bot.slack import blocks
from bot.slack.calls import api_call

log = logging.getLogger(__name__)


def register(app, services) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, client) -> None:
        if event.get("tab") not in (None, "home"):
            return  # the Messages tab (agent view) needs nothing here
        user = event.get("user")
        if not user:
            return
        info = services.metrics.index_info(max_age=60.0)
        view = blocks.home_view(info, review_enabled=bool(services.settings.slack.review_channel))
        api_call(services, client, "views_publish", user_id=user, view=view.to_dict())
