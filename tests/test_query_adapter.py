"""The query adapter (bot/index/query_adapter.py): learned from labelled (question, passage) pairs, it must
rank held-out questions' passages better than the raw vectors when staff wording sits systematically apart from
the guidance's, stay the identity when told to, and read a real store's section questions."""

import numpy as np
import pytest

from bot.index.query_adapter import (ADAPTER_MIN_QUESTIONS, adapt, adapter_from_store, fit_query_adapter,
                                     training_passages)

DIM, PASSAGES = 24, 30


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def worded_apart(seed: int = 0, per_passage: int = 12):
    """Passages, and questions about them written in "other words": each question is its passage turned by one
    fixed rotation (the same shift for every question) plus noise of its own."""
    rng = np.random.default_rng(seed)
    passages = unit(rng.normal(size=(PASSAGES, DIM)))
    turn, _ = np.linalg.qr(rng.normal(size=(DIM, DIM)))
    rows = np.repeat(np.arange(PASSAGES), per_passage)
    shifted = passages[rows] @ turn.T
    questions = unit(0.6 * shifted + 0.25 * passages[rows] + 0.35 * unit(rng.normal(size=(len(rows), DIM))))
    return passages, questions, rows


def top1(questions: np.ndarray, rows: np.ndarray, passages: np.ndarray, w: np.ndarray | None = None) -> float:
    if w is not None:
        questions = np.stack([adapt(w, q) for q in questions])
    return float(np.mean(np.argmax(questions @ passages.T, axis=1) == rows))


def test_it_ranks_held_out_questions_better_than_the_raw_vectors():
    passages, questions, rows = worded_apart()
    train = np.arange(len(rows)) % 3 != 0  # a third of each passage's questions held out
    w = fit_query_adapter(questions[train], rows[train], passages)
    raw, adapted = top1(questions[~train], rows[~train], passages), top1(questions[~train], rows[~train], passages, w)
    assert adapted >= raw + 0.2, (raw, adapted)
    assert w.dtype == np.float32 and w.shape == (DIM, DIM)


def test_a_strong_pull_to_the_identity_leaves_the_vectors_alone_and_the_fit_is_deterministic():
    passages, questions, rows = worded_apart(seed=1, per_passage=3)
    assert np.abs(fit_query_adapter(questions, rows, passages, regularisation=1e4)).max() < 1e-3
    first, again = (fit_query_adapter(questions, rows, passages, steps=20) for _ in range(2))
    assert np.array_equal(first, again)
    vector = questions[0]
    assert np.allclose(adapt(np.zeros((DIM, DIM), dtype=np.float32), vector), vector, atol=1e-6)
    assert np.isclose(np.linalg.norm(adapt(first, vector)), 1.0, atol=1e-5)


def test_training_passages_keep_every_answer_and_spread_the_rest_up_to_the_limit():
    all_ids = [f"c{n:03d}" for n in range(100)]
    chosen = training_passages(["c050", "c007", "c050"], all_ids, limit=12)
    assert chosen[:2] == ["c050", "c007"] and len(chosen) == 12 and len(set(chosen)) == 12
    others = [int(c[1:]) for c in chosen[2:]]
    assert max(others) - min(others) > 50  # spread over the index, not its first ten
    assert training_passages(["c001"], all_ids[:5], limit=12) == ["c001", "c000", "c002", "c003", "c004"]


class _Store:
    """The part of `ChromaStore` the adapter reads, over arrays (the real store is exercised in the pipeline
    tests, whose annotated index has fewer section questions than an adapter needs)."""

    def __init__(self, passages, questions, rows, verified=None, verified_rows=()):
        self._ids = [f"chunk-{n}" for n in range(len(passages))]
        self._passages = dict(zip(self._ids, passages))
        self._question_ids = [self._ids[r] for r in rows]
        self._questions = questions
        self._verified = verified if verified is not None else np.zeros((0, DIM), dtype=np.float32)
        self._verified_ids = [self._ids[r] for r in verified_rows]
        self.questions = self

    def question_vectors(self):
        return list(self._question_ids), self._questions

    def verified_pairs(self):
        return list(self._verified_ids), self._verified

    def vectors(self, ids):
        return {i: self._passages[i] for i in ids if i in self._passages}


def test_from_a_store_it_fits_on_the_section_questions_and_needs_enough_of_them():
    passages, questions, rows = worded_apart(seed=2)
    store = _Store(passages, questions, rows)
    w = adapter_from_store(store, store._ids)
    assert w is not None and top1(questions, rows, passages, w) > top1(questions, rows, passages)
    few = ADAPTER_MIN_QUESTIONS - 1
    assert adapter_from_store(_Store(passages, questions[:few], rows[:few]), store._ids) is None


def test_verified_answers_are_labelled_questions_too():
    """The review loop teaches the adapter: an index with too few section questions (documents from elsewhere)
    gets one once enough verified answers name their passage, fitted as if they were section questions."""
    passages, questions, rows = worded_apart(seed=6)
    few = ADAPTER_MIN_QUESTIONS // 2
    alone = _Store(passages, questions[:few], rows[:few])
    assert adapter_from_store(alone, alone._ids) is None
    taught = _Store(passages, questions[:few], rows[:few], verified=questions[few:], verified_rows=rows[few:])
    w = adapter_from_store(taught, taught._ids)
    assert w is not None and np.allclose(w, fit_query_adapter(questions, rows, passages), atol=1e-4)
    only_verified = _Store(passages, np.zeros((0, 0), dtype=np.float32), [], verified=questions, verified_rows=rows)
    assert adapter_from_store(only_verified, only_verified._ids) is not None


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_the_reranker_reads_the_adapted_cosine_only_through_its_weight(weight):
    from bot.query import PreparedQuery
    from bot.retrieval import FeatureReranker
    from bot.settings import RetrievalSettings
    from bot.types import Chunk, ScoredChunk

    raw_near, adapted_near = unit(np.array([[1.0, 0.2, 0.0], [0.7, 0.0, 0.7]]))
    question = unit(np.array([1.0, 0.0, 0.0]))
    query = PreparedQuery(raw="q", text="q", retrieval_text="q", expanded="q", systems=[], glossary_terms=[],
                          vector=question, adapted_vector=unit(np.array([0.0, 0.0, 1.0])))
    candidates = [ScoredChunk(chunk=Chunk(chunk_id=i, doc_id=i, title="t", text="words"), score=0.0)
                  for i in ("raw-near", "adapted-near")]
    vectors = {"raw-near": raw_near, "adapted-near": adapted_near}
    tuning = RetrievalSettings.model_construct(rerank_adapter_weight=weight, rerank_fusion_weight=0.0)
    order = [c.chunk.chunk_id for c in FeatureReranker(tuning).rerank(query, question, candidates, vectors)]
    assert order == (["adapted-near", "raw-near"] if weight else ["raw-near", "adapted-near"])
    query.adapted_vector = None  # an index without an adapter: the raw order whatever the weight
    order = [c.chunk.chunk_id for c in FeatureReranker(tuning).rerank(query, question, candidates, vectors)]
    assert order == ["raw-near", "adapted-near"]


def test_a_real_store_gives_the_same_adapter_as_its_arrays(tmp_path):
    """ChromaStore.question_vectors pages through the questions with their chunk ids, so the adapter fitted from
    the store is the one fitted from the arrays written into it."""
    from bot.index.schema import question_records
    from bot.index.store import ChromaStore
    from bot.types import Chunk
    from tests.conftest import make_settings

    passages, questions, rows = worded_apart(seed=3, per_passage=2)
    chunks = [Chunk(chunk_id=f"chunk-{n:02d}", doc_id="d", title="t", text=f"passage {n}",
                    questions=[f"question {n} a", f"question {n} b"]) for n in range(PASSAGES)]
    store = ChromaStore(make_settings(tmp_path))
    store.upsert_chunks(chunks, passages)
    records = question_records(chunks)  # ids chunk:n, in chunk order: the rows of `questions`
    store.put_questions(records, questions)
    chunk_ids, vectors = store.question_vectors()
    assert sorted(chunk_ids) == sorted(f"chunk-{r:02d}" for r in rows) and vectors.shape == (len(rows), DIM)
    from_store = adapter_from_store(store, [c.chunk_id for c in chunks])
    from_arrays = fit_query_adapter(questions, rows, passages)
    assert from_store is not None and np.allclose(from_store, from_arrays, atol=1e-4)


def test_a_large_store_is_fitted_on_an_even_spread_of_at_most_the_caps(monkeypatch):
    import bot.index.query_adapter as qa

    passages, questions, rows = worded_apart(seed=4, per_passage=4)
    extra = unit(np.random.default_rng(5).normal(size=(70, DIM)))  # passages no question points at
    store = _Store(np.concatenate([passages, extra]), questions, rows)
    seen = {}
    real_fit = qa.fit_query_adapter

    def fit(question_vectors, answer_rows, passage_vectors, **kw):
        seen["questions"], seen["passages"], seen["rows"] = len(question_vectors), len(passage_vectors), answer_rows
        return real_fit(question_vectors, answer_rows, passage_vectors, steps=2)

    monkeypatch.setattr(qa, "fit_query_adapter", fit)
    monkeypatch.setattr(qa, "ADAPTER_MAX_QUESTIONS", 60)
    monkeypatch.setattr(qa, "ADAPTER_MAX_PASSAGES", 40)
    assert qa.adapter_from_store(store, store._ids) is not None
    assert 50 <= seen["questions"] <= 60  # 120 questions, every second one
    assert seen["passages"] == 40 and max(seen["rows"]) < 40  # 30 answers and 10 of the 70 others
    monkeypatch.setattr(qa, "ADAPTER_MAX_PASSAGES", 20)  # fewer than the answers: questions beyond it left out
    monkeypatch.setattr(qa, "ADAPTER_MIN_QUESTIONS", 10)
    assert qa.adapter_from_store(store, store._ids) is not None
    assert seen["passages"] == 20 and 30 <= seen["questions"] <= 40 and max(seen["rows"]) < 20


def test_the_adapter_lift_is_how_far_the_adapter_moves_the_nearest_passage():
    from bot.retrieval import Retrieval

    def lift(raw, adapted):
        return Retrieval(query=None, query_vector=None, results=[], candidates=0, nearest_passage_cosine=raw,
                         nearest_adapted_cosine=adapted).adapter_lift

    assert lift(0.6, 0.45) == pytest.approx(-0.15) and lift(0.4, 0.5) == pytest.approx(0.1)
    assert lift(0.6, None) == 0.0 and lift(None, 0.5) == 0.0  # no adapter, or no dense search: nothing moved


def test_an_ingested_index_fits_the_adapter_and_the_retriever_reads_it(tmp_path, shared_embedder, monkeypatch):
    """End to end on the annotated fixture (two section questions, so the minimum is lowered): ingest fits and caches
    the adapter, a fresh Index loads it, and retrieval moves the question by it without touching the caller's
    query; with the section questions switched off it is not used."""
    from pathlib import Path

    import bot.index.query_adapter as qa
    from bot.index import Index
    from bot.query import Glossary, prepare_query
    from bot.retrieval import Retriever
    from ingest.pipeline import run_ingest
    from tests.conftest import make_settings

    monkeypatch.setattr(qa, "ADAPTER_MIN_QUESTIONS", 1)
    corpus = Path(__file__).parent / "fixtures" / "annotated"
    settings = make_settings(tmp_path, corpus)
    assert not run_ingest(settings, [str(corpus)], index=Index(settings, embedder=shared_embedder),
                          progress=False).failed
    index = Index(settings, embedder=shared_embedder)  # a new process: loads what ingest cached
    assert index.derived().adapter is not None and qa.usable(index.derived().adapter)
    query = prepare_query("can we stop her partner seeing her record in the app?", Glossary())
    vector = shared_embedder.embed_query(query.retrieval_text)
    got = Retriever(index).retrieve(query, k=3, query_vector=vector)
    assert query.adapted_vector is None  # the caller's query is left as it was
    assert got.query.adapted_vector is not None and not np.allclose(got.query.adapted_vector, vector)
    assert got.nearest_adapted_cosine is not None and got.adapter_lift != 0.0
    off = Retriever(index, use_questions=False).retrieve(query, k=3, query_vector=vector)
    assert off.query.adapted_vector is None and off.adapter_lift == 0.0
    # a refit without an ingest (verified answers changed) moves the version only: which embedder made the vectors
    # and when the last ingest ran stay, so an embedder change is still noticed and index-age alerts still fire
    before = index.current_version()
    version = index.refit()
    after = index.current_version()
    assert version == after["version"] != before["version"] and index.derived().version == version
    assert {k: v for k, v in after.items() if k not in ("version", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("version", "updated_at")}
    assert after["embedder"] == index.embedder_fingerprint and not index.embedder_changed()


def test_a_refit_that_an_ingest_overtakes_fits_again_on_top_of_it(tmp_path, shared_embedder, monkeypatch):
    """An ingest publishing while a refit fits: the refit does not write its older stamp over the ingest's (which
    would lose its summary and embedder); it fits again after it and publishes that, once."""
    from bot.index import Index, schema
    from bot.types import Chunk
    from tests.conftest import make_settings

    index = Index(make_settings(tmp_path), embedder=shared_embedder)
    index.upsert_chunks([Chunk(chunk_id="c#0", doc_id="c", title="T", text="Some guidance about the record.")])
    index.mark_changed(ingest_summary={"n": 1})
    ingest = schema.new_version_stamp(index.embedder_fingerprint, {"n": 2})
    build, builds = index._build, []

    def overtaken(version):
        if not builds:  # the ingest lands while the first fit runs
            index.store.write_stamp(ingest)
        builds.append(version)
        return build(version)

    monkeypatch.setattr(index, "_build", overtaken)
    version = index.refit()
    stamp = index.current_version()
    assert len(builds) == 2 and version == stamp["version"] == builds[1] != ingest["version"]
    assert stamp["last_summary"] == ingest["last_summary"] and stamp["embedder"] == ingest["embedder"]
    assert index.derived().version == version
