"""`ReviewService`: the review store in one object, put together from its parts.

`ReviewService.from_settings(settings, index=None)` opens the database at `settings.sqlalchemy_url` (SQLite
in the data dir by default, PostgreSQL through DATABASE_URL) and brings its schema to the newest migration
(`bot.review.db`). What it offers, by part:

- `bot.review.dedupe`: `claim`, `release`, `holds_key`, `purge_dedupe_keys` (Slack event deduplication);
- `bot.review.answers`: the answer record and its feedback;
- `bot.review.reviews`: review items and their cards;
- `bot.review.verified`: verified answers (SQL; the index holds only id, question vector, status and the
  passage it rests on),
  `reindex_verified`;
- `bot.review.stale`: verified answers whose cited guidance changed (needs-review flags) and their stale cards;
- `bot.review.reports`: export, gap questions, statistics, purge.

Everything written is redacted again (`bot.review.redaction.redact`), whatever the caller did.
"""

from __future__ import annotations

import logging

from bot.review.answers import AnswerLog
from bot.review.db import alembic_config, make_engine, migrate
from bot.review.dedupe import DedupeKeys
from bot.review.reports import Reports
from bot.review.reviews import ReviewItems
from bot.review.stale import StaleVerified
from bot.review.store import AlreadyResolved, ReviewError
from bot.review.verified import VerifiedAnswers
from bot.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["AlreadyResolved", "ReviewError", "ReviewService", "alembic_config", "make_engine", "migrate"]


class ReviewService(DedupeKeys, AnswerLog, ReviewItems, VerifiedAnswers, StaleVerified, Reports):
    """The review store. Thread-safe: every method uses its own short session."""

    @classmethod
    def from_settings(cls, settings: Settings, index=None, *, refit_in_background: bool = False) -> "ReviewService":
        """`refit_in_background` (the Slack server): every change to which verified answers are active refits the
        query adapter on a background thread (`bot.index.background_refit`); without it (the CLI) the caller
        refits."""
        service = cls(make_engine(settings.sqlalchemy_url), settings, index)
        if refit_in_background and index is not None:
            from bot.index.background_refit import BackgroundRefit

            service.adapter_refits = BackgroundRefit(index.refit_if_out_of_date)
            if index.adapter_missed_a_change():  # a refit lost to a kill or crash is done now, in the background
                log.info("the query adapter was fitted before the last change to the verified answers: refitting")
                service.adapter_refits.request()
        return service
