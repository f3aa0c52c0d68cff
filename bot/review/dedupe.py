"""Slack event deduplication across processes and replicas: a key is claimed once (a UNIQUE insert).

Keys are event ids or `channel:ts`; a key whose work failed is released so a retry can claim it; keys older
than DEDUPE_TTL_HOURS are purged (every DEDUPE_PURGE_INTERVAL_SECONDS, as a side effect of claiming).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.review.models import DedupeKey, utcnow
from bot.review.store import StoreBase

log = logging.getLogger(__name__)

KEY_LENGTH = 255  # the column's width


class DedupeKeys(StoreBase):
    _last_dedupe_purge = 0.0  # monotonic time of the last purge (per instance once set)

    def dedupe_ttl(self) -> dt.timedelta:
        return dt.timedelta(hours=self.setting("dedupe_ttl_hours"))

    def claim(self, key: str) -> bool:
        """Record `key` (an event_id, or channel:ts); True the first time anywhere, False afterwards."""
        key = key[:KEY_LENGTH]
        dialect = self.engine.dialect.name
        now = utcnow()
        if dialect in ("postgresql", "sqlite"):
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            table = DedupeKey.__table__
            stmt = (
                insert(table)
                .values(key=key, created_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(table.c.key)  # rowcount is -1 for this statement under psycopg 3
            )
            with self.session() as s:
                claimed = s.connection().execute(stmt).scalar() is not None
        else:
            try:
                with self.session() as s:
                    s.add(DedupeKey(key=key, created_at=now))
                claimed = True
            except IntegrityError:
                claimed = False
        if time.monotonic() - self._last_dedupe_purge > self.setting("dedupe_purge_interval_seconds"):
            self._last_dedupe_purge = time.monotonic()
            try:
                self.purge_dedupe_keys()
            except Exception as exc:  # purging is housekeeping; never fail a claim on it
                log.warning("purging old dedupe keys failed: %s", type(exc).__name__)
        return claimed

    def release(self, key: str) -> None:
        """Forget a claim whose work failed, so that a retry can claim it again."""
        with self.session() as s:
            s.execute(delete(DedupeKey).where(DedupeKey.key == key[:KEY_LENGTH]))

    def holds_key(self, key: str) -> bool:
        """True while `key` is claimed (until the dedupe TTL purges it)."""
        with self.session() as s:
            return s.get(DedupeKey, key[:KEY_LENGTH]) is not None

    def purge_dedupe_keys(self, older_than: dt.timedelta | None = None, now: dt.datetime | None = None) -> int:
        """Delete the keys claimed more than `older_than` (default: the dedupe TTL) before `now`."""
        cutoff = (now or utcnow()) - (older_than or self.dedupe_ttl())
        with self.session() as s:
            return s.execute(delete(DedupeKey).where(DedupeKey.created_at < cutoff)).rowcount
