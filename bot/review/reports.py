"""Reports over the record for `gpbot review`: the export, the gap questions, the statistics, and the
retention purge."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any, Iterator

from sqlalchemy import delete, func, select, update

from bot.review.answers import answer_to_dict
from bot.review.models import AnswerRecord, Feedback, ReviewItem, VerifiedRecord, utcnow
from bot.review.store import StoreBase

Since = dt.date | dt.datetime | str | None
EXPORT_BATCH = 500  # answer ids per IN (...) query while exporting


def parse_since(since: Since) -> dt.datetime | None:
    if since is None or since == "":
        return None
    if isinstance(since, str):
        since = dt.datetime.fromisoformat(since)
    if isinstance(since, dt.datetime):
        return since if since.tzinfo else since.replace(tzinfo=dt.timezone.utc)
    return dt.datetime(since.year, since.month, since.day, tzinfo=dt.timezone.utc)


def iso_week(when: dt.datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def summarise(rows, votes: list[str]) -> dict[str, Any]:
    """The figures of one period: answer rows (kind, latency_ms) and their votes."""
    latencies = [r.latency_ms for r in rows if r.latency_ms is not None]
    up = sum(1 for v in votes if v == "up")
    down = sum(1 for v in votes if v == "down")
    kinds: dict[str, int] = defaultdict(int)
    for r in rows:
        kinds[r.kind] += 1
    return {
        "questions": len(rows),
        "answered": kinds["answered"] + kinds["verified"],
        "verified": kinds["verified"],
        "not_covered": kinds["not_covered"],
        "out_of_scope": kinds["out_of_scope"],
        "up": up,
        "down": down,
        "up_rate": round(up / (up + down), 3) if up + down else None,
        "median_latency_ms": round(statistics.median(latencies), 1) if latencies else None,
    }


class Reports(StoreBase):
    """Needs `purge_dedupe_keys` (bot.review.dedupe.DedupeKeys) beside it: `ReviewService` has both."""

    def export_answers(self, since: Since = None) -> Iterator[dict[str, Any]]:
        """Every recorded answer (oldest first) with its votes, comments and review outcome."""
        start = parse_since(since)
        with self.session() as s:
            query = select(AnswerRecord).order_by(AnswerRecord.created_at)
            if start is not None:
                query = query.where(AnswerRecord.created_at >= start)
            answers = list(s.scalars(query))
            ids = [a.id for a in answers]
            votes: dict[str, dict[str, int]] = defaultdict(lambda: {"up": 0, "down": 0})
            comments: dict[str, list[str]] = defaultdict(list)
            reviews: dict[str, list[str]] = defaultdict(list)
            for chunk_start in range(0, len(ids), EXPORT_BATCH):
                part = ids[chunk_start : chunk_start + EXPORT_BATCH]
                for fb in s.scalars(select(Feedback).where(Feedback.answer_id.in_(part))):
                    votes[fb.answer_id][fb.vote] += 1
                    if fb.comment:
                        comments[fb.answer_id].append(fb.comment)
                for item in s.scalars(select(ReviewItem).where(ReviewItem.answer_id.in_(part))):
                    reviews[item.answer_id].append(f"{item.reason}:{item.status}")
        for rec in answers:
            row = answer_to_dict(rec)
            # redacted again on the way out: rows written before the detector learnt a form stay clean too
            row.update(
                question=self._redact(row["question"]),
                answer=self._redact(row["answer"]),
                up=votes[rec.id]["up"] if rec.id in votes else 0,
                down=votes[rec.id]["down"] if rec.id in votes else 0,
                comments=[self._redact(c) for c in comments.get(rec.id, [])],
                reviews=reviews.get(rec.id, []),
            )
            yield row

    def gap_questions(self, since: Since = None) -> list[dict[str, Any]]:
        """Questions the guidance did not serve: not_covered answers and answers with a 👎."""
        start = parse_since(since)
        with self.session() as s:
            downvoted = select(Feedback.answer_id).where(Feedback.vote == "down")
            query = select(AnswerRecord).where(
                (AnswerRecord.kind == "not_covered") | AnswerRecord.id.in_(downvoted)
            ).order_by(AnswerRecord.created_at)
            if start is not None:
                query = query.where(AnswerRecord.created_at >= start)
            return [
                {
                    "answer_id": a.id,
                    "question": self._redact(a.question),  # again on the way out, as the export is
                    "reason": "not_covered" if a.kind == "not_covered" else "thumbs_down",
                    "created_at": a.created_at.isoformat(timespec="seconds"),
                }
                for a in s.scalars(query)
            ]

    def stats(self, since: Since = None) -> dict[str, Any]:
        start = parse_since(since)
        with self.session() as s:
            query = select(AnswerRecord.id, AnswerRecord.created_at, AnswerRecord.kind, AnswerRecord.latency_ms)
            votes = select(Feedback.answer_id, Feedback.vote)
            if start is not None:
                query = query.where(AnswerRecord.created_at >= start)
                votes = votes.join(AnswerRecord, AnswerRecord.id == Feedback.answer_id).where(
                    AnswerRecord.created_at >= start)
            rows = s.execute(query).all()
            vote_rows = s.execute(votes).all()
            open_items = s.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "open"))
            verified_active = s.scalar(
                select(func.count()).select_from(VerifiedRecord).where(VerifiedRecord.status == "active")
            )
        week_of = {r.id: iso_week(r.created_at) for r in rows}
        by_week_rows: dict[str, list] = defaultdict(list)
        for r in rows:
            by_week_rows[week_of[r.id]].append(r)
        by_week_votes: dict[str, list[str]] = defaultdict(list)
        for answer_id, vote in vote_rows:
            if answer_id in week_of:
                by_week_votes[week_of[answer_id]].append(vote)
        total = summarise(rows, [v for a, v in vote_rows if a in week_of])
        total.update(open_reviews=open_items or 0, verified_active=verified_active or 0)
        return {
            "total": total,
            "by_week": [{"week": w, **summarise(by_week_rows[w], by_week_votes[w])} for w in sorted(by_week_rows)],
        }

    def purge(self, retention_days: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
        """Delete answers (with their feedback and review items) older than RETENTION_DAYS, and dedupe keys
        older than DEDUPE_TTL_HOURS. Verified answers are kept: they are the support team's work, not a record."""
        days = retention_days or self.setting("retention_days")
        now = now or utcnow()
        cutoff = now - dt.timedelta(days=days)
        with self.session() as s:
            old = select(AnswerRecord.id).where(AnswerRecord.created_at < cutoff)
            feedback = s.execute(delete(Feedback).where(Feedback.answer_id.in_(old))).rowcount
            items = s.execute(delete(ReviewItem).where(ReviewItem.answer_id.in_(old))).rowcount
            items += s.execute(
                delete(ReviewItem).where(
                    ReviewItem.answer_id.is_(None), ReviewItem.status != "open", ReviewItem.created_at < cutoff
                )
            ).rowcount
            s.execute(
                update(VerifiedRecord).where(VerifiedRecord.source_answer_id.in_(old)).values(source_answer_id=None)
            )
            answers = s.execute(delete(AnswerRecord).where(AnswerRecord.created_at < cutoff)).rowcount
        keys = self.purge_dedupe_keys(now=now)
        return {"answers": answers, "feedback": feedback, "review_items": items, "dedupe_keys": keys}
