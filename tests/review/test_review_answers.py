"""The answer record and feedback (bot.review.answers), and the redaction of everything the store writes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from bot.review.service import ReviewError, ReviewService
from review_helpers import NHS_NUMBER, citation, make_answer, record


def test_record_answer_stores_the_record(review_env):
    review = review_env.review
    answer_id = record(review)
    rec = review.get_answer(answer_id)
    assert rec.question.startswith("Can a parent")
    assert rec.kind == "answered" and rec.confidence == pytest.approx(0.8)
    assert rec.chunk_ids == ["doc-a#0"] and rec.source_urls == ["https://example.org/doc-a"]
    assert rec.team_id == "T1" and rec.channel_id == "C1" and rec.thread_ts == "100.1" and rec.user_id == "UASK"
    assert rec.latency_ms == 250.0 and rec.answerer == "extractive"
    assert rec.created_at.tzinfo is not None
    review.set_answer_message_ts(answer_id, "100.2")
    assert review.get_answer(answer_id).message_ts == "100.2"
    assert review.get_answer("nope") is None


@pytest.mark.parametrize("pasted", [NHS_NUMBER, "999 186 0916", "999-186-0916"])
def test_no_nhs_number_reaches_the_database(review_env, pasted):
    review = review_env.review
    question = f"Patient {pasted} wants to see her records, can she?"
    answer_id = review.record_answer(
        make_answer(question, text=f"About {pasted}: yes [1]."), team_id="T", channel_id="C", thread_ts="1.1",
        user_id="U", latency_ms=10,
    )
    review.record_feedback(answer_id, "U", "down", comment=f"wrong for {pasted}")
    review.add_feedback_comment(answer_id, "U2", f"also {pasted}")
    item = review.open_review(answer_id, "thumbs_down")
    review.resolve_review(item.id, "corrected", "UREV1", note=f"note {pasted}", corrected_text=f"fixed {pasted}")
    review.create_verified(f"q {pasted}?", f"a {pasted}", [citation("doc-a")], "UREV1", answer_id)

    dump = []
    with review.engine.connect() as conn:
        for table in ("review_answers", "review_feedback", "review_items", "review_verified"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                dump.append(" ".join(str(v) for v in row))
    blob = "\n".join(dump)
    assert "[NHS number" in blob  # bot.guard's placeholder (or the review store's own)
    assert NHS_NUMBER not in blob and "999 186 0916" not in blob and "999-186-0916" not in blob
    if review.engine.dialect.name == "sqlite":
        review.engine.dispose()  # checkpoint the WAL, then read the raw bytes too
        raw = b"".join(p.read_bytes() for p in review_env.settings.data_dir.parent.rglob("review.db*") if p.is_file())
        assert NHS_NUMBER.encode() not in raw and b"999 186 0916" not in raw


HELPLINE = "National Domestic Abuse Helpline 0808 2000 247"


def test_help_lines_the_guidance_quotes_are_stored_intact(review_env):
    """The bot's own answer keeps the help-line number its sources quote (what "Share in channel" posts and
    Approve promotes), while a patient identifier in the question is still removed."""
    from bot.types import Chunk

    review, index = review_env.review, review_env.index
    index.upsert_chunks([Chunk(chunk_id="doc-h#0", doc_id="doc-h", title="Help lines", content_hash="hash-h1",
                               source_urls=["https://example.org/doc-h"],
                               text=f"If a patient is at risk, give them the {HELPLINE} (free, 24 hours).")])
    index.ensure_fresh(force=True)
    assert "08082000247" in index.public_numbers

    answer_id = record(review, question=f"Patient {NHS_NUMBER} is at risk: which help line do I give?",
                       text=f"Give them the {HELPLINE} [1].", docs=("doc-h",))
    stored = review.get_answer(answer_id)
    assert HELPLINE in stored.answer_text
    assert "[phone number]" not in stored.answer_text
    assert NHS_NUMBER not in stored.question and "[NHS number" in stored.question

    verified = review.create_verified(stored.question, stored.answer_text, stored.citations, "UREV1", answer_id)
    assert HELPLINE in verified.answer and NHS_NUMBER not in verified.question

    # a number the guidance does not quote is still removed from the answer
    other = record(review, question="Which number?", text="Ring 0114 349 1666 [1].")
    assert "0114 349 1666" not in review.get_answer(other).answer_text


def test_help_lines_are_redacted_without_an_index(review_env):
    """Without an index there is no allow-list: every landline or mobile number is removed (fail safe). A number in
    the organisations' ranges (03, 08, 09) is never a patient's, so a free-phone help line stays."""
    bare = ReviewService.from_settings(review_env.settings)
    try:
        answer_id = record(bare, question=f"Patient {NHS_NUMBER}?",
                           text=f"Give them the {HELPLINE} [1] or Sheffield's 0114 349 1666 [1].")
        stored = bare.get_answer(answer_id)
        assert "0114 349 1666" not in stored.answer_text and NHS_NUMBER not in stored.question
        assert "0808 2000 247" in stored.answer_text
    finally:
        bare.close()


def test_one_vote_per_user_changeable(review_env):
    review = review_env.review
    answer_id = record(review)
    review.record_feedback(answer_id, "U1", "down")
    review.record_feedback(answer_id, "U1", "down")
    assert review.feedback_counts(answer_id) == {"up": 0, "down": 1}
    review.record_feedback(answer_id, "U1", "up")
    assert review.feedback_counts(answer_id) == {"up": 1, "down": 0}
    review.record_feedback(answer_id, "U2", "down", comment="Out of date")
    assert review.feedback_counts(answer_id) == {"up": 1, "down": 1}
    review.add_feedback_comment(answer_id, "U2", "It missed the proxy rules")
    rows = {f.user_id: f for f in review.get_feedback(answer_id)}
    assert rows["U2"].comment == "Out of date\nIt missed the proxy rules"
    with pytest.raises(ValueError):
        review.record_feedback(answer_id, "U1", "sideways")
    with pytest.raises(ReviewError):
        review.record_feedback("no-such-answer", "U1", "up")


def test_concurrent_votes_by_one_user_leave_one_row(review_env):
    review = review_env.review
    answer_id = record(review)
    barrier = threading.Barrier(4)

    def vote(v):
        barrier.wait()
        review.record_feedback(answer_id, "USAME", v)

    threads = [threading.Thread(target=vote, args=("up" if i % 2 else "down",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(review.get_feedback(answer_id)) == 1


def test_a_declined_story_is_recorded_and_shared_with_its_line_source_and_its_closest_sources(review_env):
    from types import SimpleNamespace

    from bot.slack.listeners.actions import _load_answer
    from bot.types import Answer, AnswerKind

    review = review_env.review
    answer = Answer(question="her partner reads her app", kind=AnswerKind.not_covered, safeguarding=True,
                    text="Not covered; the closest sources are listed below.\n\n*Safeguarding:* Switch it off. [1]",
                    citations=[citation("doc-a", 1)], closest=[citation("doc-b", 2), citation("doc-c", 3)])
    answer_id = review.record_answer(answer, team_id="T", channel_id="C", thread_ts="1.1", user_id="U",
                                     latency_ms=10)
    rec = review.get_answer(answer_id)
    assert [c["doc_id"] for c in rec.citations] == ["doc-a", "doc-b", "doc-c"]
    assert rec.source_urls == [f"https://example.org/{d}" for d in ("doc-a", "doc-b", "doc-c")]
    shared = _load_answer(SimpleNamespace(review=review), answer_id, "q")
    assert [c.doc_id for c in shared.citations] == ["doc-a"] and shared.safeguarding
    assert [(c.number, c.doc_id) for c in shared.closest] == [(2, "doc-b"), (3, "doc-c")]
    plain = make_answer("a question the guidance does not cover", text="Not covered.", kind="not_covered",
                        docs=("doc-b",))
    loaded = _load_answer(SimpleNamespace(review=review), review.record_answer(
        plain, team_id="T", channel_id="C", thread_ts="1.2", user_id="U", latency_ms=10), "q")
    assert not loaded.citations and [c.doc_id for c in loaded.closest] == ["doc-b"] and not loaded.safeguarding
