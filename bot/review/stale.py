"""Verified answers whose cited guidance changed: flagged needs-review by ingest (the documents it changed,
and any whose content no longer matches what was verified), each with an open `stale_verified` review item;
the running bot posts that item's card (claimed like any card: `ReviewItems.claim_review_card`) while the
answer still needs review."""

from __future__ import annotations

import logging
from typing import Iterable

from sqlalchemy import select

from bot.review.models import ReviewItem, VerifiedRecord, utcnow
from bot.review.store import StoreBase
from bot.review.verified import verified_from_record
from bot.types import VerifiedAnswer

log = logging.getLogger(__name__)


class StaleVerified(StoreBase):
    """Needs-review flags and the stale cards due (a part of `ReviewService`; uses `VerifiedAnswers._index_status`
    and `ReviewItems.open_review`)."""

    def flag_stale_verified(self, changed_doc_ids: Iterable[str]) -> list[VerifiedAnswer]:
        """Ingest calls this with the doc ids it changed or removed. Active verified answers citing any of
        them become needs_review (SQL and index: no longer given) and a review item is opened for each, whose
        card is then due (posted by the running bot: `bot.slack.review_cards.post_due_stale_cards`)."""
        changed = set(changed_doc_ids)
        if not changed:
            return []
        flagged: list[VerifiedAnswer] = []
        with self.session() as s:
            for rec in s.scalars(select(VerifiedRecord).where(VerifiedRecord.status == "active")):
                hit = sorted(changed.intersection(rec.cited_doc_ids or []))
                if not hit:
                    continue
                rec.status, rec.stale_doc_ids = "needs_review", hit
                rec.stale_since = rec.updated_at = utcnow()
                flagged.append(verified_from_record(rec))
        for verified in flagged:
            try:
                self._index_status(verified)
            except Exception as exc:  # the pipeline checks the SQL status too; `verified reindex` repairs
                log.error("could not mark verified answer %s needs_review in the index: %s", verified.verified_id, type(exc).__name__)
            self.open_review(None, "stale_verified", verified_id=verified.verified_id)
        if flagged:
            log.info("%d verified answer(s) now need review: their sources changed", len(flagged))
        return flagged

    def drifted_doc_ids(self, current_hashes: dict[str, str]) -> set[str]:
        """Documents cited by an active verified answer whose content hash (recorded when it was verified)
        differs from `current_hashes` (doc id -> hash, the index now), or that the index no longer holds.
        Ingest flags these too, so a change it missed (store down, a crash before flagging) is caught later."""
        drifted: set[str] = set()
        with self.session() as s:
            for rec in s.scalars(select(VerifiedRecord).where(VerifiedRecord.status == "active")):
                drifted |= {doc for doc, recorded in (rec.cited_doc_hashes or {}).items()
                            if current_hashes.get(doc) != recorded}
        return drifted

    def due_stale_cards(self) -> list[str]:
        """The open `stale_verified` review items with no card yet, whose verified answer still needs review
        (oldest first): their cards are due."""
        with self.session() as s:
            return list(s.scalars(
                select(ReviewItem.id)
                .join(VerifiedRecord, VerifiedRecord.id == ReviewItem.verified_id)
                .where(ReviewItem.reason == "stale_verified", ReviewItem.status == "open",
                       ReviewItem.card_channel.is_(None), ReviewItem.card_ts.is_(None),
                       VerifiedRecord.status == "needs_review")
                .order_by(ReviewItem.created_at)
            ))

    def stale_doc_ids(self, verified_id: str) -> list[str]:
        """The cited documents whose change made this verified answer need review ([] when none, or unknown)."""
        with self.session() as s:
            rec = s.get(VerifiedRecord, verified_id)
            return list(rec.stale_doc_ids or []) if rec is not None else []
