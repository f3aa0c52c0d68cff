"""Cards for verified answers an ingest marked needs-review, posted by the running bot.

The ingest (another process, or `gpbot serve --refresh-every`) only marks a verified answer stale and opens
its review item; a bot posts the item's card. Every Slack request passes a middleware that, at most once per
STALE_CHECK_SECONDS in this process (`StaleCardSchedule`), checks for due cards in a background thread: one
query, and the review store's card claim (`claim_review_card`) makes sure one replica posts each card, once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from bot.slack.review_cards import post_due_stale_cards

log = logging.getLogger(__name__)


class StaleCardSchedule:
    """When this process may next check for due stale-answer cards: at most once per `interval` seconds."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self.started = 0

    def take(self) -> bool:
        """True (and the next check is `interval` away) when a check is due; False otherwise."""
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.interval:
                return False
            self._last = now
            return True

    def start_if_due(self, client, services) -> threading.Thread | None:
        """When a check is due, run it in a background thread (returned; `started` counts them)."""
        if services.review is None or not services.settings.slack.review_channel or not self.take():
            return None
        thread = threading.Thread(target=post_stale_cards_quietly, args=(client, services),
                                  name="gpbot-stale-cards", daemon=True)
        thread.start()
        self.started += 1
        return thread


def post_stale_cards_quietly(client, services) -> None:
    """`post_due_stale_cards` for a background thread: a failure is logged, never raised."""
    try:
        post_due_stale_cards(client, services)
    except Exception as exc:
        log.warning("posting stale verified-answer cards failed: %s", exc)


def register(app, services) -> StaleCardSchedule:
    """The middleware that starts a check when one is due (nothing while REVIEW_CHANNEL is unset)."""
    schedule = StaleCardSchedule(services.settings.slack.stale_check_seconds)

    @app.middleware
    def check_stale_cards(client, next):  # noqa: A002 (Bolt's argument name)
        try:
            schedule.start_if_due(client, services)
        except Exception as exc:  # never let housekeeping stop a request
            log.warning("stale-card check failed: %s", exc)
        return next()

    return schedule
