"""Review items: an answer (or a verified answer, or a corpus document) the support team should look at.

An item is opened (thumbs_down, not_covered, escalated, stale_verified, source_changed), gets one card in
the review channel (claimed by exactly one caller), and is resolved once (approved, corrected, dismissed):
a second reviewer gets `AlreadyResolved`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update

from bot import prompts
from bot.review.models import AnswerRecord, ReviewItem, VerifiedRecord, new_id, utcnow
from bot.review.store import AlreadyResolved, ReviewError, StoreBase

REVIEW_REASONS = ("thumbs_down", "not_covered", "escalated", "stale_verified", "source_changed")
RESOLVED_STATUSES = ("approved", "corrected", "dismissed")
CARD_BEING_POSTED = "(posting)"  # card_channel while the claimant posts the card


def item_to_dict(item: ReviewItem, answer: AnswerRecord | None = None, verified: VerifiedRecord | None = None) -> dict:
    out = {
        "id": item.id,
        "reason": item.reason,
        "status": item.status,
        "created_at": item.created_at.isoformat(timespec="seconds"),
        "answer_id": item.answer_id,
        "verified_id": item.verified_id,
        "opened_by": item.opened_by,
        "card_channel": item.card_channel,
        "card_ts": item.card_ts,
        "reviewer": item.reviewer,
        "resolved_at": item.resolved_at.isoformat(timespec="seconds") if item.resolved_at else None,
        "note": item.note,
        "question": None,
        "answer": None,
    }
    if answer is not None:
        out["question"], out["answer"] = answer.question, answer.answer_text
    elif verified is not None:
        out["question"], out["answer"] = verified.question, verified.answer
    return out


class ReviewItems(StoreBase):
    def open_review(self, answer_id: str | None, reason: str, card_channel: str | None = None,
                    card_ts: str | None = None, *, opened_by: str | None = None,
                    verified_id: str | None = None) -> ReviewItem:
        """Open a review item, or return the open one this answer already has (one card per answer)."""
        if reason not in REVIEW_REASONS:
            raise ValueError(f"unknown review reason {reason!r}")
        with self.session() as s:
            if answer_id is not None:
                if s.get(AnswerRecord, answer_id) is None:
                    raise ReviewError(prompts.REVIEW_NO_ANSWER.format(answer_id=answer_id))
                existing = s.scalar(
                    select(ReviewItem)
                    .where(ReviewItem.answer_id == answer_id, ReviewItem.status == "open")
                    .order_by(ReviewItem.created_at)
                    .limit(1)
                )
            elif verified_id is not None:
                existing = s.scalar(
                    select(ReviewItem)
                    .where(ReviewItem.verified_id == verified_id, ReviewItem.status == "open",
                           ReviewItem.reason == reason)
                    .limit(1)
                )
            else:
                existing = None
            if existing is not None:
                return existing
            item = ReviewItem(
                id=new_id(),
                answer_id=answer_id,
                verified_id=verified_id,
                reason=reason,
                status="open",
                created_at=utcnow(),
                opened_by=opened_by,
                card_channel=card_channel,
                card_ts=card_ts,
            )
            s.add(item)
            return item

    def open_source_review(self, doc_id: str, change: dict) -> ReviewItem:
        """A review item for a corpus document whose upstream page changed, moved or disappeared; `change`
        (JSON) is kept in the item's note. A document has at most one open item: a new change updates it."""
        note = json.dumps({"doc_id": doc_id, **change}, ensure_ascii=False)
        with self.session() as s:
            for item in s.scalars(select(ReviewItem).where(ReviewItem.reason == "source_changed",
                                                           ReviewItem.status == "open")):
                try:
                    same = json.loads(item.note or "{}").get("doc_id") == doc_id
                except ValueError:
                    same = False
                if same:
                    item.note = note
                    return item
            item = ReviewItem(id=new_id(), reason="source_changed", status="open", created_at=utcnow(), note=note)
            s.add(item)
            return item

    def get_review(self, item_id: str) -> ReviewItem | None:
        with self.session() as s:
            return s.get(ReviewItem, item_id)

    def list_reviews(
        self, status: str | None = None, reason: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        with self.session() as s:
            query = select(ReviewItem).order_by(ReviewItem.created_at.desc())
            if status:
                query = query.where(ReviewItem.status == status)
            if reason:
                query = query.where(ReviewItem.reason == reason)
            if limit:
                query = query.limit(limit)
            items = list(s.scalars(query))
            answer_ids = {i.answer_id for i in items if i.answer_id}
            verified_ids = {i.verified_id for i in items if i.verified_id}
            answers = {a.id: a for a in s.scalars(select(AnswerRecord).where(AnswerRecord.id.in_(answer_ids)))}
            verified = {v.id: v for v in s.scalars(select(VerifiedRecord).where(VerifiedRecord.id.in_(verified_ids)))}
            out = [item_to_dict(i, answers.get(i.answer_id), verified.get(i.verified_id)) for i in items]
        for row in out:  # redacted again on the way out, as the export is (rows written before the detector knew a form)
            row.update({k: self._redact(row[k]) for k in ("note", "question", "answer")})
        return out

    # ---------------------------------------------------------------- the item's card
    def set_review_card(self, item_id: str, card_channel: str, card_ts: str) -> None:
        self._update_item(item_id, card_channel=card_channel, card_ts=card_ts)

    def claim_review_card(self, item_id: str) -> bool:
        """True for the one caller that should post this item's card (it has none yet)."""
        with self.session() as s:
            return (
                s.execute(
                    update(ReviewItem)
                    .where(ReviewItem.id == item_id, ReviewItem.card_ts.is_(None), ReviewItem.card_channel.is_(None))
                    .values(card_channel=CARD_BEING_POSTED)
                ).rowcount
                == 1
            )

    def release_review_card(self, item_id: str) -> None:
        """Forget the item's card (posting it failed), so a later event claims and posts it again."""
        self._update_item(item_id, card_channel=None, card_ts=None)

    # ---------------------------------------------------------------- resolving
    def resolve_review(
        self,
        item_id: str,
        status: str,
        reviewer: str,
        note: str | None = None,
        *,
        corrected_text: str | None = None,
        verified_id: str | None = None,
    ) -> ReviewItem:
        """Close an open item, atomically: exactly one reviewer wins; a second gets AlreadyResolved."""
        if status not in RESOLVED_STATUSES:
            raise ValueError(f"status must be one of {RESOLVED_STATUSES}")
        values: dict[str, Any] = {"status": status, "reviewer": reviewer, "resolved_at": utcnow()}
        if note is not None:  # a source_changed item's note describes the change: resolving keeps it
            values["note"] = self._redact(note)
        if corrected_text is not None:
            values["corrected_text"] = self._redact(corrected_text)
        if verified_id is not None:
            values["verified_id"] = verified_id
        with self.session() as s:
            changed = s.execute(
                update(ReviewItem).where(ReviewItem.id == item_id, ReviewItem.status == "open").values(**values)
            ).rowcount
        item = self.get_review(item_id)
        if item is None:
            raise ReviewError(prompts.REVIEW_NO_ITEM.format(item_id=item_id))
        if not changed:
            raise AlreadyResolved(item)
        return item

    def reopen_review(self, item_id: str) -> None:
        """Undo a resolve whose follow-up failed (e.g. the verified answer could not be written)."""
        self._update_item(item_id, status="open", reviewer=None, resolved_at=None, corrected_text=None)

    def set_review_verified(self, item_id: str, verified_id: str) -> None:
        self._update_item(item_id, verified_id=verified_id)

    def _update_item(self, item_id: str, **values) -> None:
        with self.session() as s:
            s.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(**values))
