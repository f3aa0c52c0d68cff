"""The answer record and its feedback: what the bot answered (redacted), and the staff's votes and comments.

One vote per user per answer, changeable; a "what was wrong?" comment is appended to the user's vote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot import prompts
from bot.review.models import AnswerRecord, Feedback, new_id, utcnow
from bot.review.store import ReviewError, StoreBase
from bot.types import Answer

VOTES = ("up", "down")
VOTE_ATTEMPTS = 3  # two clicks racing: the loser's insert fails once, then it updates the winner's row


def answer_to_dict(rec: AnswerRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "created_at": rec.created_at.isoformat(timespec="seconds"),
        "team_id": rec.team_id,
        "channel_id": rec.channel_id,
        "thread_ts": rec.thread_ts,
        "message_ts": rec.message_ts,
        "user_id": rec.user_id,
        "question": rec.question,
        "answer": rec.answer_text,
        "kind": rec.kind,
        "confidence": rec.confidence,
        "chunk_ids": list(rec.chunk_ids or []),
        "source_urls": list(rec.source_urls or []),
        "answerer": rec.answerer,
        "latency_ms": rec.latency_ms,
        "pii_warning": rec.pii_warning,
        "verified_id": rec.verified_id,
    }


class AnswerLog(StoreBase):
    # ---------------------------------------------------------------- answers
    def record_answer(
        self,
        answer: Answer,
        *,
        team_id: str | None,
        channel_id: str | None,
        thread_ts: str | None,
        user_id: str | None,
        latency_ms: float | None,
        message_ts: str | None = None,
    ) -> str:
        kind = answer.kind.value if hasattr(answer.kind, "value") else str(answer.kind)
        # both lists (a declined story's line cites one source, its closest sources are numbered after it); what the
        # text cites is told apart again on loading by its [n] markers
        citations = [c.model_dump() for c in [*answer.citations, *answer.closest]]
        rec = AnswerRecord(
            id=new_id(),
            created_at=utcnow(),
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            message_ts=message_ts,
            user_id=user_id,
            question=self._redact(answer.question) or "",
            answer_text=self._redact(answer.text) or "",
            kind=kind,
            confidence=float(answer.confidence or 0.0),
            chunk_ids=list(answer.chunk_ids),
            source_urls=list(dict.fromkeys([*answer.source_urls, *(c.url for c in answer.closest if c.url)])),
            citations=citations,
            answerer=answer.answerer,
            latency_ms=latency_ms,
            pii_warning=bool(answer.pii_warning),
            verified_id=answer.verified.verified_id if answer.verified else None,
        )
        with self.session() as s:
            s.add(rec)
        return rec.id

    def get_answer(self, answer_id: str) -> AnswerRecord | None:
        """The record, detached, with its question and answer redacted again on the way out: what the share button
        posts and the correction modal shows is what today's detector would store, even for a row an older
        release wrote (as `gpbot review list` reads it)."""
        with self.session() as s:
            rec = s.get(AnswerRecord, answer_id)
            if rec is None:
                return None
            s.expunge(rec)
        rec.question = self._redact(rec.question) or ""
        rec.answer_text = self._redact(rec.answer_text) or ""
        return rec

    def set_answer_message_ts(self, answer_id: str, ts: str) -> None:
        with self.session() as s:
            s.execute(update(AnswerRecord).where(AnswerRecord.id == answer_id).values(message_ts=ts))

    # ---------------------------------------------------------------- feedback
    def record_feedback(self, answer_id: str, user_id: str, vote: str, comment: str | None = None) -> Feedback:
        """One vote per user per answer; a second click changes it. Returns the stored row."""
        if vote not in VOTES:
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        comment = self._redact(comment.strip()) if comment and comment.strip() else None
        for attempt in range(VOTE_ATTEMPTS):
            try:
                with self.session() as s:
                    if s.get(AnswerRecord, answer_id) is None:
                        raise ReviewError(prompts.REVIEW_NO_ANSWER.format(answer_id=answer_id))
                    row = s.scalar(select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id))
                    if row is None:
                        row = Feedback(answer_id=answer_id, user_id=user_id, vote=vote, comment=comment)
                        s.add(row)
                    else:
                        row.vote = vote
                        row.updated_at = utcnow()
                        if comment is not None:
                            row.comment = comment
                    s.flush()
                return row
            except IntegrityError:  # two clicks racing: the other insert won; update it
                if attempt == VOTE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def add_feedback_comment(self, answer_id: str, user_id: str, comment: str) -> Feedback | None:
        """Add the "what was wrong?" text to the user's vote (appended when there is one already)."""
        comment = self._redact((comment or "").strip())
        if not comment:
            return None
        with self.session() as s:
            row = s.scalar(select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id))
            if row is None:
                if s.get(AnswerRecord, answer_id) is None:
                    return None
                row = Feedback(answer_id=answer_id, user_id=user_id, vote="down", comment=comment)
                s.add(row)
            else:
                row.comment = f"{row.comment}\n{comment}" if row.comment else comment
                row.updated_at = utcnow()
            s.flush()
            return row

    def get_feedback(self, answer_id: str) -> list[Feedback]:
        with self.session() as s:
            return list(s.scalars(select(Feedback).where(Feedback.answer_id == answer_id).order_by(Feedback.id)))

    def feedback_counts(self, answer_id: str) -> dict[str, int]:
        counts = {"up": 0, "down": 0}
        for row in self.get_feedback(answer_id):
            counts[row.vote] = counts.get(row.vote, 0) + 1
        return counts
