"""Verified answers (bot.review.verified): stored once, in SQL; the index holds only id, question vector, status
and the passage the answer rests on (what the query adapter learns from), kept in step with SQL by every change."""

from __future__ import annotations

import numpy as np
import pytest

from bot.review.service import ReviewError
from review_helpers import CODE_TEXT, PROXY_TEXT, citation, record, seed_chunks, two_passages

PARENT = "can a parent see the record of a 12 year old"


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
    # indexed at once, searchable by meaning: the index gives the id, SQL the answer
    hits = index.search_verified(embedder.embed_query(PARENT))
    assert hits and hits[0][0] == verified.verified_id and hits[0][1] > 0.5
    assert index.verified_statuses() == {verified.verified_id: "active"}
    assert [v.verified_id for v in review.list_verified(status="active")] == [verified.verified_id]

    unrelated = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV2")

    # ingest changes doc-a: the first becomes needs_review (SQL and index), the unrelated stays active
    flagged = review.flag_stale_verified(["doc-a", "doc-zzz"])
    assert [v.verified_id for v in flagged] == [verified.verified_id]
    assert review.get_verified(verified.verified_id).status == "needs_review"
    assert index.verified_statuses()[verified.verified_id] == "needs_review"
    assert review.get_verified(unrelated.verified_id).status == "active"
    assert index.verified_statuses()[unrelated.verified_id] == "active"
    hits = index.search_verified(embedder.embed_query(PARENT))
    assert verified.verified_id not in [verified_id for verified_id, _ in hits]
    assert review.flag_stale_verified(["doc-a"]) == []  # already flagged
    # its open review item's card is due, and claimed exactly once
    [item] = [i for i in review.list_reviews(status="open", reason="stale_verified")
              if i["verified_id"] == verified.verified_id]
    assert review.due_stale_cards() == [item["id"]]
    assert review.claim_review_card(item["id"]) is True
    assert review.claim_review_card(item["id"]) is False
    assert review.due_stale_cards() == []
    assert review.stale_doc_ids(verified.verified_id) == ["doc-a"]

    # reinstated against the document as it is now: new hash recorded, active again
    seed_chunks(index, {"doc-a": "hash-a2"})
    index._chunk_cache.clear()
    back = review.reinstate_verified(verified.verified_id)
    assert review.stale_doc_ids(verified.verified_id) == []
    assert back.status == "active" and back.cited_doc_hashes["doc-a"] == "hash-a2"
    assert review.get_verified(verified.verified_id).cited_doc_hashes["doc-a"] == "hash-a2"
    assert index.verified_statuses()[verified.verified_id] == "active"
    assert index.search_verified(embedder.embed_query(PARENT))[0][0] == verified.verified_id

    retired = review.retire_verified(verified.verified_id[:8])  # a unique prefix works too
    assert retired.status == "retired" and index.verified_statuses()[verified.verified_id] == "retired"
    assert {v.verified_id for v in review.list_verified(status="retired")} == {verified.verified_id}
    assert verified.verified_id not in [vid for vid, _ in index.search_verified(embedder.embed_query(PARENT))]
    with pytest.raises(ReviewError):
        review.retire_verified("does-not-exist")


def test_the_index_holds_only_id_vector_status_and_the_passage_it_rests_on(review_env):
    review, index = review_env.review, review_env.index
    two_passages(index)
    v = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV1")
    got = index.verified.get(ids=[v.verified_id], include=["metadatas", "documents", "embeddings"])
    assert got["metadatas"] == [{"status": "active"}]  # its answer quotes no passage: no passage named
    quoting = review.create_verified("What does the 104 do?", CODE_TEXT, [citation("doc-code")], "UREV1")
    assert index.verified.get(ids=[quoting.verified_id], include=["metadatas"])["metadatas"] == [
        {"status": "active", "chunk_id": "doc-code#0"}]
    assert got["documents"] == [None]  # neither question nor answer text: they live in SQL only
    np.testing.assert_allclose(got["embeddings"][0], index.embedder.embed_query(v.question), atol=1e-6)
    assert review.get_verified(v.verified_id).answer == "Someone acting for a patient."


def test_a_verified_answer_teaches_the_query_adapter_the_cited_passage_it_quotes(review_env):
    """The labelled pair is (question, a cited passage the answer quotes), whichever place it is cited in; of two
    it quotes, the one nearer the answer; a reviewer's own words quote none and teach nothing. Only active answers
    teach, and one made active again is read afresh."""
    review, index = review_env.review, review_env.index
    two_passages(index)
    both = [citation("doc-code"), citation("doc-proxy", 2)]
    proxy = review.create_verified("Can mum see her daughter's notes?", f"{PROXY_TEXT} [2]", both, "UREV1")
    code = review.create_verified("What does the 104 do?", f"{CODE_TEXT} [1]", both, "UREV1")
    mostly_proxy = review.create_verified("Parents and proxy?", f"{CODE_TEXT} {PROXY_TEXT} Proxy parent child.",
                                          both, "UREV1")
    own_words = review.create_verified("Parent see notes?", "No, not without asking the child first [2].", both,
                                       "UREV1")
    chunk_ids, vectors = index.store.verified_pairs()
    taught = {tuple(np.round(v, 5)): c for c, v in zip(chunk_ids, vectors)}
    assert len(chunk_ids) == 3
    for verified, chunk_id in ((proxy, "doc-proxy#0"), (code, "doc-code#0"), (mostly_proxy, "doc-proxy#0")):
        assert taught[tuple(np.round(index.embedder.embed_query(verified.question), 5))] == chunk_id
    assert index.verified.get(ids=[own_words.verified_id], include=["metadatas"])["metadatas"] == [{"status": "active"}]
    review.retire_verified(proxy.verified_id)
    assert sorted(index.store.verified_pairs()[0]) == ["doc-code#0", "doc-proxy#0"]
    index.verified.update(ids=[proxy.verified_id], metadatas=[{"status": "retired"}])  # as written before passages
    review.reinstate_verified(proxy.verified_id)
    assert sorted(index.store.verified_pairs()[0]) == ["doc-code#0", "doc-proxy#0", "doc-proxy#0"]


def test_the_passage_is_kept_through_status_changes_and_written_by_reindex(review_env):
    review, index = review_env.review, review_env.index
    two_passages(index)
    v = review.create_verified("What does the 104 do?", CODE_TEXT, [citation("doc-code")], "UREV1")
    review.flag_stale_verified(["doc-code"])
    assert index.verified.get(ids=[v.verified_id], include=["metadatas"])["metadatas"] == [
        {"status": "needs_review", "chunk_id": "doc-code#0"}]
    assert index.store.verified_pairs()[0] == []  # only active answers teach
    index.delete_verified(v.verified_id)
    assert review.reindex_verified() == 1
    assert index.verified.get(ids=[v.verified_id], include=["metadatas"])["metadatas"] == [
        {"status": "needs_review", "chunk_id": "doc-code#0"}]


def test_a_failure_finding_the_passage_never_stops_a_reviewer(review_env, monkeypatch):
    review, index = review_env.review, review_env.index
    two_passages(index)
    monkeypatch.setattr(index, "get_chunks", lambda ids: (_ for _ in ()).throw(OSError("down")))
    v = review.create_verified("What does the 104 do?", CODE_TEXT, [citation("doc-code")], "UREV1")
    assert review.get_verified(v.verified_id).status == "active"
    assert index.verified_statuses() == {v.verified_id: "active"} and index.store.verified_pairs()[0] == []


def test_correction_replaces_an_older_verified_answer(review_env):
    review, index = review_env.review, review_env.index
    first = review.create_verified("What is a proxy?", "Old text.", [citation("doc-b")], "UREV1")
    second = review.create_verified("What is a proxy?", "New text.", [citation("doc-b")], "UREV2", replaces=first.verified_id)
    assert review.get_verified(first.verified_id).status == "retired"
    assert review.get_verified(second.verified_id).status == "active"
    assert index.verified_statuses() == {first.verified_id: "retired", second.verified_id: "active"}
    assert [vid for vid, _ in index.search_verified(index.embedder.embed_query("what is a proxy"))] == [second.verified_id]


def test_an_index_failure_leaves_no_verified_answer_behind(review_env, monkeypatch):
    """The reviewer's action fails whole (and can be retried): no SQL row without its index entry."""
    review, index = review_env.review, review_env.index

    def broken(*_args, **_kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(index, "upsert_verified", broken)
    with pytest.raises(RuntimeError):
        review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV1")
    assert review.list_verified() == []


def test_a_status_change_restores_an_entry_the_index_lost(review_env):
    review, index = review_env.review, review_env.index
    v = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV1")
    index.delete_verified(v.verified_id)
    with pytest.raises(KeyError):
        index.set_verified_status(v.verified_id, "retired")
    review.retire_verified(v.verified_id)
    assert index.verified_statuses() == {v.verified_id: "retired"}


def test_reindex_restores_a_lost_index(review_env, tmp_path, fake_embedder):
    from bot.index import Index

    review = review_env.review
    v = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV1")
    old = review.create_verified("Can a parent see a 12 year old's record?", "Not by default.", [citation("doc-a")],
                                 "UREV1")
    review.retire_verified(old.verified_id)
    fresh_settings = review_env.settings.replace(gpbot_data_dir=tmp_path / "fresh")
    fresh = Index(fresh_settings, embedder=fake_embedder)
    fresh.upsert_verified("orphan", fake_embedder.embed_query("an answer SQL no longer has"), "active")
    review.index = fresh
    assert fresh.verified_statuses() == {"orphan": "active"}
    assert review.reindex_verified() == 2
    assert fresh.verified_statuses() == {v.verified_id: "active", old.verified_id: "retired"}
    [(found, similarity)] = fresh.search_verified(fake_embedder.embed_query("what is a proxy"))
    assert found == v.verified_id and similarity > 0.9


def test_reindex_needs_an_index(review_env):
    from bot.review.service import ReviewService

    bare = ReviewService.from_settings(review_env.settings)
    try:
        with pytest.raises(ReviewError):
            bare.reindex_verified()
    finally:
        bare.close()


def test_a_new_embedder_re_embeds_the_questions_from_the_store_or_drops_them(review_env):
    """Ingest after a change of embedder: the questions come from SQL; when the store fails, the old embedder's
    vectors go rather than mix with the new ones (`gpbot review verified reindex` brings them back)."""
    from ingest.writing import _reembed_verified

    review, index = review_env.review, review_env.index
    v = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-b")], "UREV1")
    index.upsert_verified(v.verified_id, index.embedder.embed_query("a vector from another embedder"), "active")
    _reembed_verified(index, review.reindex_verified)
    got = index.verified.get(ids=[v.verified_id], include=["embeddings"])
    np.testing.assert_allclose(got["embeddings"][0], index.embedder.embed_query(v.question), atol=1e-6)

    def store_down() -> int:
        raise RuntimeError("database unavailable")

    _reembed_verified(index, store_down)
    assert index.verified_statuses() == {}
    assert review.reindex_verified() == 1 and index.verified_statuses() == {v.verified_id: "active"}


def test_a_cited_document_that_changed_unflagged_is_caught_by_its_hash(review_env):
    """A change an earlier ingest could not flag (store down, a crash before flagging) is found by comparing
    the content hashes recorded when the answer was verified with the index's."""
    review = review_env.review
    verified = review.create_verified("Can a parent see a 12 year old's record?", "Usually not [1].",
                                      [citation("doc-a")], "UREV1")
    assert review.drifted_doc_ids({"doc-a": "hash-a1", "doc-b": "hash-b1"}) == set()
    assert review.drifted_doc_ids({"doc-a": "hash-a2"}) == {"doc-a"}
    assert review.drifted_doc_ids({}) == {"doc-a"}  # gone from the index

    from ingest.cli import flag_verified_answers

    seed_chunks(review_env.index, {"doc-a": "hash-a2"})  # the index moved on; this run changed nothing
    assert flag_verified_answers(review_env.settings, review_env.index, []) == 1
    assert review.get_verified(verified.verified_id).status == "needs_review"
    assert flag_verified_answers(review_env.settings, review_env.index, []) == 0  # flagged once


def test_a_correction_is_one_step_whatever_the_index_does(review_env, monkeypatch):
    review, index = review_env.review, review_env.index
    old = review.create_verified("What is a proxy?", "Someone else.", [citation("doc-a")], "UREV1")
    # the new answer cannot be indexed: nothing changes, the old one stays active
    monkeypatch.setattr(index, "upsert_verified", lambda *a, **k: (_ for _ in ()).throw(OSError("down")))
    with pytest.raises(OSError):
        review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV2",
                               replaces=old.verified_id)
    assert [v.verified_id for v in review.list_verified(status="active")] == [old.verified_id]
    monkeypatch.undo()
    # the new answer is indexed but the old one's status cannot be: the correction still stands, once
    monkeypatch.setattr(index, "set_verified_status", lambda *a, **k: (_ for _ in ()).throw(OSError("down")))
    monkeypatch.setattr(index, "upsert_verified", lambda *a, **k: None if a[0] != old.verified_id else
                        (_ for _ in ()).throw(OSError("down")))
    new = review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV2",
                                 replaces=old.verified_id)
    assert [v.verified_id for v in review.list_verified(status="active")] == [new.verified_id]
    assert review.get_verified(old.verified_id).status == "retired"
