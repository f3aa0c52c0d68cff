"""The app's lifecycle in a workspace: `app_uninstalled` and `tokens_revoked` (stop posting there),
`app_rate_limited` (acknowledged and logged; Slack drops events for a minute).

What is kept after an uninstall: the records already made (answers, votes, comments, review items and
verified answers, all redacted) stay until the retention purge (`gpbot review purge`); nothing more is
posted, answered or recorded for that workspace.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from slack_bolt import BoltResponse

log = logging.getLogger(__name__)

LIFECYCLE_EVENTS = {"app_uninstalled", "tokens_revoked", "app_rate_limited"}


class Workspaces:
    """Workspaces that uninstalled the app or revoked its tokens: nothing more is posted or recorded for them.

    Kept in this process and in the review store's dedupe table (key "revoked:<team>:<token fingerprint>"),
    which every replica reads (cached a minute) and which forgets the key after its TTL. Reinstalling gives a
    new bot token: with it in SLACK_BOT_TOKEN (and a restart) the workspace is served again at once."""

    def __init__(self, review=None, cache_seconds: float = 60.0, token: str | None = None):
        self.review, self.cache_seconds = review, cache_seconds
        self.fingerprint = hashlib.sha256((token or "").encode()).hexdigest()[:12]
        self._revoked: set[str] = set()
        self._checked: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def _key(self, team: str) -> str:
        return f"revoked:{team}:{self.fingerprint}"

    def revoke(self, team: str | None) -> None:
        if not team:
            return
        with self._lock:
            self._revoked.add(team)
        if self.review is not None:
            try:
                self.review.claim(self._key(team))
            except Exception as exc:
                log.warning("could not record the revoked workspace: %s", type(exc).__name__)

    def is_revoked(self, team: str | None) -> bool:
        if not team:
            return False
        with self._lock:
            if team in self._revoked:
                return True
            cached = self._checked.get(team)
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        revoked = False
        if self.review is not None and hasattr(self.review, "holds_key"):
            try:
                revoked = bool(self.review.holds_key(self._key(team)))
            except Exception as exc:
                log.warning("could not read revoked workspaces: %s", type(exc).__name__)
        with self._lock:
            self._checked[team] = (time.monotonic(), revoked)
        return revoked


def team_of(body: dict) -> str | None:
    """The workspace a request comes from, whatever the payload type."""
    team = body.get("team_id") or body.get("team")
    if isinstance(team, dict):
        team = team.get("id")
    return team if isinstance(team, str) else None


def register(app, services) -> None:
    @app.event("app_uninstalled")
    def on_uninstalled(body: dict) -> None:
        team = team_of(body)
        services.workspaces.revoke(team)
        log.warning("the app was uninstalled from workspace %s: nothing more is posted there", team)

    @app.event("tokens_revoked")
    def on_tokens_revoked(body: dict, event: dict) -> None:
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        team = team_of(body)
        if tokens.get("bot"):
            services.workspaces.revoke(team)
            log.warning("the bot token of workspace %s was revoked: nothing more is posted there", team)
        else:
            log.info("user tokens of workspace %s were revoked (the app uses none)", team)

    # app_rate_limited is an app-level callback (no "event"), which Bolt has no listener type for
    @app.middleware
    def on_rate_limited(body: dict, next):  # noqa: A002 - Bolt injects by name
        if body.get("type") == "app_rate_limited":
            log.warning("Slack rate-limited the app's events for workspace %s (minute %s)",
                        team_of(body), body.get("minute_rate_limited"))
            return BoltResponse(status=200, body="")
        return next()
