"""What every part of the review store shares: the database sessions, redaction on write, the errors.

Each part (`dedupe`, `answers`, `reviews`, `verified`, `reports`) is a class over `StoreBase`;
`bot.review.service.ReviewService` puts them together.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import prompts
from bot.review.db import migrate
from bot.review.redaction import redact
from bot.settings import ReviewSettings, Settings

log = logging.getLogger(__name__)


class ReviewError(Exception):
    """A review action that cannot be done (unknown id, wrong state)."""


class AlreadyResolved(ReviewError):
    def __init__(self, item):
        super().__init__(prompts.REVIEW_STORE_ALREADY_RESOLVED.format(item_id=item.id, status=item.status))
        self.item = item


class StoreBase:
    """One database, a short session per call (thread-safe), and the guidance index (or None): its help-line
    numbers are kept by redaction, and verified answers are searched through it."""

    def __init__(self, engine: Engine, settings: Settings | None = None, index=None, *, run_migrations: bool = True):
        self.engine = engine
        self.settings = settings
        self.index = index  # bot.index.Index, or None (then verified answers are stored but not searchable)
        if run_migrations:
            migrate(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            with session.begin():
                yield session

    def setting(self, name: str) -> Any:
        """A review-store setting (`Settings.review`), or its default when the store was opened without settings."""
        if self.settings is not None:
            return getattr(self.settings.review, name)
        return ReviewSettings.model_fields[name].default

    def _public_numbers(self) -> frozenset[str]:
        """The help-line numbers the guidance quotes (the index's allow-list); none without an index."""
        if self.index is None:
            return frozenset()
        try:
            return frozenset(self.index.public_numbers)
        except Exception as exc:  # fail safe: redact every number rather than fail the write
            log.warning("help-line numbers unavailable (%s); redacting every phone number", type(exc).__name__)
            return frozenset()

    def _redact(self, text: str | None) -> str | None:
        """`redact` with the guidance's help-line numbers kept (the bot's answers quote them)."""
        return redact(text, self._public_numbers())
