"""Reports over the record (bot.review.reports): export, gap questions, statistics, the retention purge."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from review_helpers import citation, record


def test_export_gaps_stats_purge(review_env):
    review = review_env.review
    a1 = record(review)
    a2 = record(review, question="Can I see my dog's record?", kind="not_covered")
    a3 = record(review, question="What about proxies?")
    review.record_feedback(a1, "U1", "up")
    review.record_feedback(a3, "U1", "down", comment="missing detail")
    rows = list(review.export_answers())
    assert [r["id"] for r in rows] == [a1, a2, a3]
    assert rows[2]["down"] == 1 and rows[2]["comments"] == ["missing detail"]
    assert list(review.export_answers(since="2999-01-01")) == []

    gaps = review.gap_questions()
    assert {(g["answer_id"], g["reason"]) for g in gaps} == {(a2, "not_covered"), (a3, "thumbs_down")}

    stats = review.stats()
    total = stats["total"]
    assert total["questions"] == 3 and total["answered"] == 2 and total["not_covered"] == 1
    assert total["up"] == 1 and total["down"] == 1 and total["up_rate"] == 0.5
    assert total["median_latency_ms"] == 250.0
    assert len(stats["by_week"]) == 1 and stats["by_week"][0]["questions"] == 3

    # age a1 past retention: it goes with its feedback; verified answers stay
    v = review.create_verified("q?", "a.", [citation("doc-a")], "UREV1", source_answer_id=a1)
    review.open_review(a1, "thumbs_down")
    with review.session() as s:
        s.execute(text("UPDATE review_answers SET created_at = :t WHERE id = :i"), {"t": dt.datetime(2001, 1, 1), "i": a1})
    result = review.purge(retention_days=30)
    assert result["answers"] == 1 and result["feedback"] == 1 and result["review_items"] == 1
    assert review.get_answer(a1) is None and review.get_answer(a2) is not None
    assert review.get_verified(v.verified_id) is not None


def test_stats_since_counts_only_later_answers_and_their_votes(review_env):
    review = review_env.review
    old, new = record(review), record(review, question="What about proxies?")
    review.record_feedback(old, "U1", "down")
    review.record_feedback(new, "U1", "up")
    with review.session() as s:
        s.execute(text("UPDATE review_answers SET created_at = :t WHERE id = :i"), {"t": dt.datetime(2020, 1, 6), "i": old})
    total = review.stats(since="2021-01-01")["total"]
    assert total["questions"] == 1 and total["up"] == 1 and total["down"] == 0
    assert review.stats()["total"]["questions"] == 2


def test_purge_removes_dedupe_keys_older_than_the_ttl(review_env):
    review = review_env.review
    review.claim("Ev-old")
    review.claim("Ev-new")
    with review.session() as s:
        s.execute(text("UPDATE review_dedupe_keys SET created_at = :t WHERE key = 'Ev-old'"), {"t": dt.datetime(2000, 1, 1)})
    assert review.purge()["dedupe_keys"] == 1
    assert not review.holds_key("Ev-old") and review.holds_key("Ev-new")


def test_export_redacts_rows_written_before_the_detector_knew_their_form(review_env):
    """A row written by an older release (its identifiers missed then) leaves the store redacted anyway."""
    from bot.review.models import AnswerRecord

    with review_env.review.session() as s:
        s.add(AnswerRecord(id="old1", question="can mrs jane placeholder (943\u202f476\u202f5919) see it",
                           answer_text="Yes.", kind="answered"))
    row = next(r for r in review_env.review.export_answers() if r["id"] == "old1")
    assert "placeholder" not in row["question"] and "5919" not in row["question"]
    assert "[name]" in row["question"] and "[NHS number" in row["question"]


def test_every_read_redacts_rows_written_before_the_detector_knew_their_form(review_env):
    """The review list, the verified list and the gap report (what `gpbot review list|verified|gaps` print), and the
    single answer and verified answer read for Slack, redact an older release's rows on the way out, as the export
    does."""
    from bot.review.models import AnswerRecord, VerifiedRecord

    review = review_env.review
    old = "can Mrs *Smith* at 14 Acacia Avenue see it"
    with review.session() as s:
        s.add(AnswerRecord(id="old2", question=old, answer_text="Yes.", kind="not_covered"))
    review.open_review("old2", "not_covered")
    verified = review.create_verified("q?", "a.", [citation("doc-a")], "UREV1")
    with review.session() as s:
        s.get(VerifiedRecord, verified.verified_id).question = old
    shown = [next(r["question"] for r in review.list_reviews() if r["answer_id"] == "old2"),
             next(g["question"] for g in review.gap_questions() if g["answer_id"] == "old2"),
             next(v.question for v in review.list_verified() if v.verified_id == verified.verified_id),
             # what the share button posts, the correction modal shows, and a later asker is given (session 18)
             review.get_answer("old2").question, review.get_verified(verified.verified_id).question]
    for question in shown:
        assert "Smith" not in question and "Acacia" not in question
        assert "[name]" in question and "[address]" in question
