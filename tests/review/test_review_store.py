"""The review store against SQLite and a real PostgreSQL server (parametrised `db_url`)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import inspect, text

from bot.review.models import Base
from bot.review.service import AlreadyResolved, ReviewError, ReviewService, make_engine, migrate
from review_helpers import NHS_NUMBER, citation, make_answer


def record(review, question="Can a parent see a 12 year old's record?", **kw):
    answer = make_answer(question, **kw)
    return review.record_answer(answer, team_id="T1", channel_id="C1", thread_ts="100.1", user_id="UASK",
                                latency_ms=250.0)


# ------------------------------------------------------------------ schema
def test_migration_creates_exactly_the_models(review_env):
    """The Alembic head and the ORM models agree (no pending autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = review_env.review.engine
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": "review_alembic_version", "compare_type": False})
        diff = [d for d in compare_metadata(ctx, Base.metadata) if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "review_alembic_version")]
        assert diff == []
        assert conn.execute(text("SELECT version_num FROM review_alembic_version")).scalars().all() == ["0001_initial"]
    assert set(inspect(engine).get_table_names()) >= {
        "review_answers", "review_feedback", "review_items", "review_verified", "review_dedupe_keys"
    }


def test_migrate_is_idempotent(db_url):
    engine = make_engine(db_url)
    migrate(engine, force=True)
    migrate(engine, force=True)  # at head: a no-op, no error
    assert migrate(engine) is False  # once per process and URL
    engine.dispose()


# ------------------------------------------------------------------ dedupe
def test_claim_once(review_env):
    review = review_env.review
    assert review.claim("Ev123") is True
    assert review.claim("Ev123") is False
    assert review.claim("C1:100.1") is True


def test_claim_is_exclusive_across_threads_and_engines(review_env):
    """Two services (two engines, as two replicas would have) race for the same keys: each key is won once."""
    other = ReviewService.from_settings(review_env.settings)
    services = [review_env.review, other]
    keys = [f"Ev{n}" for n in range(150)]
    barrier = threading.Barrier(4)

    def worker(service: ReviewService, out: list[str]):
        barrier.wait()
        for key in keys:
            if service.claim(key):
                out.append(key)

    outs = [[] for _ in range(4)]
    threads = [threading.Thread(target=worker, args=(services[i % 2], outs[i])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [k for out in outs for k in out]
    assert sorted(won) == sorted(keys), "every key claimed exactly once"
    other.close()


def test_old_dedupe_keys_are_purged(review_env):
    review = review_env.review
    review.claim("old-key")
    with review.session() as s:
        s.execute(text("UPDATE review_dedupe_keys SET created_at = :t"), {"t": dt.datetime(2000, 1, 1)})
    assert review.purge_dedupe_keys() == 1
    assert review.claim("old-key") is True


# ------------------------------------------------------------------ answers and redaction
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
    """Without an index there is no allow-list: every phone number is removed (fail safe)."""
    bare = ReviewService.from_settings(review_env.settings)
    try:
        answer_id = record(bare, question=f"Patient {NHS_NUMBER}?", text=f"Give them the {HELPLINE} [1].")
        stored = bare.get_answer(answer_id)
        assert "0808 2000 247" not in stored.answer_text and NHS_NUMBER not in stored.question
    finally:
        bare.close()


# ------------------------------------------------------------------ feedback
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


# ------------------------------------------------------------------ review items
def test_review_items(review_env):
    review = review_env.review
    a1, a2 = record(review), record(review, question="How do I redact third-party info?", kind="not_covered")
    item = review.open_review(a1, "thumbs_down", opened_by="UASK")
    assert item.status == "open" and item.reason == "thumbs_down"
    assert review.open_review(a1, "escalated").id == item.id  # one open item (and card) per answer
    other = review.open_review(a2, "not_covered", card_channel="CREVIEW", card_ts="5.5")
    assert other.card_ts == "5.5"
    assert {i["id"] for i in review.list_reviews(status="open")} == {item.id, other.id}

    assert review.claim_review_card(item.id) is True
    assert review.claim_review_card(item.id) is False
    review.set_review_card(item.id, "CREVIEW", "9.9")
    assert review.get_review(item.id).card_ts == "9.9"

    done = review.resolve_review(item.id, "dismissed", "UREV1", note="fine as is")
    assert done.status == "dismissed" and done.reviewer == "UREV1" and done.resolved_at is not None
    with pytest.raises(AlreadyResolved):
        review.resolve_review(item.id, "corrected", "UREV2")
    with pytest.raises(ValueError):
        review.resolve_review(other.id, "maybe", "UREV1")
    with pytest.raises(ValueError):
        review.open_review(a1, "because")
    listed = review.list_reviews(status="dismissed")
    assert [i["id"] for i in listed] == [item.id] and listed[0]["question"].startswith("Can a parent")
    assert review.open_review(a1, "thumbs_down").id != item.id  # a closed item does not swallow new ones


def test_only_one_reviewer_wins_a_race(review_env):
    review = review_env.review
    item = review.open_review(record(review), "thumbs_down")
    barrier = threading.Barrier(3)
    results = []

    def resolve(user):
        barrier.wait()
        try:
            review.resolve_review(item.id, "corrected", user)
            results.append(user)
        except AlreadyResolved:
            pass

    threads = [threading.Thread(target=resolve, args=(f"UREV{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 1
    assert review.get_review(item.id).reviewer == results[0]


# ------------------------------------------------------------------ verified answers
def test_verified_lifecycle(review_env):
    review, index, embedder = review_env.review, review_env.index, review_env.index.embedder
    answer_id = record(review)
    verified = review.create_verified(
        "Can a parent see a 12 year old's record?", "Usually not without the child's consent [1].",
        [citation("doc-a"), citation("doc-b", 2)], "UREV1", source_answer_id=answer_id,
    )
    assert verified.status == "active"
    assert verified.cited_doc_ids == ["doc-a", "doc-b"]
    assert verified.cited_doc_hashes == {"doc-a": "hash-a1", "doc-b": "hash-b1"}
    # indexed at once, searchable by meaning
    hits = index.search_verified(embedder.embed_query("can a parent see the record of a 12 year old"))
    assert hits and hits[0][0].verified_id == verified.verified_id
    assert index.get_verified(verified.verified_id).status == "active"
    assert [v.verified_id for v in review.list_verified(status="active")] == [verified.verified_id]

    unrelated = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV2")

    # ingest changes doc-a: the first becomes needs_review (SQL and index), the unrelated stays active
    flagged = review.flag_stale_verified(["doc-a", "doc-zzz"])
    assert [v.verified_id for v in flagged] == [verified.verified_id]
    assert review.get_verified(verified.verified_id).status == "needs_review"
    assert index.get_verified(verified.verified_id).status == "needs_review"
    assert review.get_verified(unrelated.verified_id).status == "active"
    hits = index.search_verified(embedder.embed_query("can a parent see the record of a 12 year old"))
    assert verified.verified_id not in [v.verified_id for v, _ in hits]
    assert review.flag_stale_verified(["doc-a"]) == []  # already flagged
    # a stale card is due exactly once, with an open review item
    due = review.due_stale_cards()
    assert [(v.verified_id, docs) for v, docs in due] == [(verified.verified_id, ["doc-a"])]
    assert review.claim_stale_card(verified.verified_id) is True
    assert review.claim_stale_card(verified.verified_id) is False
    assert review.due_stale_cards() == []
    [item] = [i for i in review.list_reviews(status="open", reason="stale_verified")
              if i["verified_id"] == verified.verified_id]
    assert item["reason"] == "stale_verified"
    assert review.stale_doc_ids(verified.verified_id) == ["doc-a"]

    # reinstated against the document as it is now: new hash recorded, active again
    from review_helpers import seed_chunks

    seed_chunks(index, {"doc-a": "hash-a2"})
    index._chunk_cache.clear()
    back = review.reinstate_verified(verified.verified_id)
    assert review.stale_doc_ids(verified.verified_id) == []
    assert back.status == "active" and back.cited_doc_hashes["doc-a"] == "hash-a2"
    assert index.get_verified(verified.verified_id).status == "active"
    assert index.get_verified(verified.verified_id).cited_doc_hashes["doc-a"] == "hash-a2"

    retired = review.retire_verified(verified.verified_id[:8])  # a unique prefix works too
    assert retired.status == "retired" and index.get_verified(verified.verified_id).status == "retired"
    assert {v.verified_id for v in review.list_verified(status="retired")} == {verified.verified_id}
    with pytest.raises(ReviewError):
        review.retire_verified("does-not-exist")


def test_correction_replaces_an_older_verified_answer(review_env):
    review = review_env.review
    first = review.create_verified("What is a proxy?", "Old text.", [citation("doc-b")], "UREV1")
    second = review.create_verified("What is a proxy?", "New text.", [citation("doc-b")], "UREV2", replaces=first.verified_id)
    assert review.get_verified(first.verified_id).status == "retired"
    assert review.get_verified(second.verified_id).status == "active"


def test_reindex_restores_a_lost_index(review_env, tmp_path, fake_embedder):
    from bot.index import Index

    review = review_env.review
    v = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV1")
    fresh_settings = review_env.settings.model_copy(update={"gpbot_data_dir": tmp_path / "fresh"})
    fresh = Index(fresh_settings, embedder=fake_embedder)
    review.index = fresh
    assert fresh.get_verified(v.verified_id) is None
    assert review.reindex_verified() == 1
    assert fresh.get_verified(v.verified_id).answer == "Someone acting for a patient."


# ------------------------------------------------------------------ reviewers
class _GroupClient:
    def __init__(self, users):
        self.users, self.calls = users, 0

    def usergroups_users_list(self, usergroup):
        self.calls += 1
        assert usergroup == "SGROUP"
        return {"ok": True, "users": self.users}


def test_is_reviewer(review_env):
    review = review_env.review
    assert review.is_reviewer("UREV1") and review.is_reviewer("UREV2")
    assert not review.is_reviewer("UOTHER")
    review.settings = review.settings.model_copy(update={"reviewer_usergroup": "SGROUP"})
    client = _GroupClient(["UGRP"])
    assert review.is_reviewer("UGRP", client) and not review.is_reviewer("UOTHER", client)
    assert client.calls == 1  # cached
    assert not review.is_reviewer("UGRP")  # no client, no group lookup


# ------------------------------------------------------------------ reporting
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


def test_export_redacts_rows_written_before_the_detector_knew_their_form(review_env):
    """A row written by an older release (its identifiers missed then) leaves the store redacted anyway."""
    from bot.review.models import AnswerRecord

    with review_env.review.session() as s:
        s.add(AnswerRecord(id="old1", question="can mrs jane placeholder (943\u202f476\u202f5919) see it",
                           answer_text="Yes.", kind="answered"))
    row = next(r for r in review_env.review.export_answers() if r["id"] == "old1")
    assert "placeholder" not in row["question"] and "5919" not in row["question"]
    assert "[name]" in row["question"] and "[NHS number" in row["question"]
