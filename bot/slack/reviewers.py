"""Who may act on review cards: the users in REVIEWER_USER_IDS, and the members of REVIEWER_USERGROUP.

The group's members come from Slack (`usergroups.users.list`), cached for REVIEWER_GROUP_CACHE_SECONDS; when
Slack cannot be asked, the last known members stand (none before the first answer).
"""

from __future__ import annotations

import logging
import threading
import time

from bot.settings import Settings

log = logging.getLogger(__name__)


class Reviewers:
    """Thread-safe; one per running bot (`BotServices.reviewers`)."""

    def __init__(self) -> None:
        self._members: dict[str, tuple[float, frozenset[str]]] = {}  # group id -> (when fetched, its members)
        self._lock = threading.Lock()

    def is_reviewer(self, settings: Settings, user_id: str | None, client=None) -> bool:
        """True for a listed reviewer, or a member of the reviewer group (looked up only with a `client`)."""
        if not user_id:
            return False
        if user_id in settings.slack.reviewer_ids:
            return True
        group = settings.slack.reviewer_usergroup
        if not group or client is None:
            return False
        return user_id in self.group_members(group, client, settings.slack.reviewer_group_cache_seconds)

    def group_members(self, group: str, client, max_age: float) -> frozenset[str]:
        with self._lock:
            cached = self._members.get(group)
            if cached is not None and time.monotonic() - cached[0] < max_age:
                return cached[1]
            try:
                resp = client.usergroups_users_list(usergroup=group)
                members = frozenset(resp.get("users") or [])
            except Exception as exc:
                log.warning("usergroups.users.list failed for the reviewer group: %s", exc)
                return cached[1] if cached is not None else frozenset()
            self._members[group] = (time.monotonic(), members)
            return members
