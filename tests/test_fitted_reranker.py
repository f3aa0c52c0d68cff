"""The fitted reranker: its features, how it orders a pool and what scores it hands on (no index needed)."""

import json

import numpy as np
import pytest

from bot.fitted_reranker import MODEL_PATH, RERANK_FEATURES, FittedReranker, LinearRanking, candidate_features
from bot.query import PreparedQuery
from bot.retrieval import FeatureReranker, Retriever
from bot.settings import RetrievalSettings
from bot.types import Chunk, ScoredChunk

COLUMN = {name: i for i, name in enumerate(RERANK_FEATURES)}


def _query(text, systems=(), expanded=None):
    return PreparedQuery(raw=text, text=text, retrieval_text=text, expanded=expanded or text, systems=list(systems),
                         glossary_terms=[])


def _pool():
    """Three passages: one the keyword search ranked first, one only a section question found, one on EMIS."""
    a = Chunk(chunk_id="a", doc_id="d1", title="Proxy access", text="Check identity before granting proxy access.")
    b = Chunk(chunk_id="b", doc_id="d2", title="Coding", text="The 104 code marks enhanced review.", chunk_index=2)
    c = Chunk(chunk_id="c", doc_id="d3", title="EMIS steps", text="On EMIS Web open the record.",
              clinical_systems=["emis"], chunk_index=1)
    candidates = [ScoredChunk(chunk=a, score=0.0, dense=0.5, keyword=7.0),
                  ScoredChunk(chunk=b, score=0.0, question=0.9),
                  ScoredChunk(chunk=c, score=0.0, dense=0.2, keyword=3.0)]
    vectors = {"a": np.array([0.6, 0.8]), "b": np.array([1.0, 0.0]), "c": np.array([0.0, 1.0])}
    return candidates, vectors, np.array([1.0, 0.0])


def _model(weights: dict, slope=None, hand=0.0):
    coef = np.array([weights.get(name, 0.0) for name in RERANK_FEATURES])
    return LinearRanking(np.zeros(len(coef)), np.ones(len(coef)), coef, slope, hand)


def test_features_are_shares_ranks_and_flags_of_the_pool():
    candidates, vectors, question = _pool()
    x = candidate_features(_query("proxy access on systmone", systems=["systmone"]), question, candidates, vectors)
    assert x.shape == (3, len(RERANK_FEATURES))
    np.testing.assert_allclose(x[:, COLUMN["passage_cosine"]], [0.6, 1.0, 0.0])  # from the stored vectors
    np.testing.assert_allclose(x[:, COLUMN["passage_cosine_gap"]], [-0.4, 0.0, -1.0])
    np.testing.assert_allclose(x[:, COLUMN["question"]], [0.0, 0.9, 0.0])
    np.testing.assert_allclose(x[:, COLUMN["question_absent"]], [1, 0, 1])
    np.testing.assert_allclose(x[:, COLUMN["keyword_rr"]], [1.0, 0.0, 0.5])  # b: the keyword search missed it
    np.testing.assert_allclose(x[:, COLUMN["dense_rr"]], [0.5, 1.0, 1 / 3])  # b by its section question
    np.testing.assert_allclose(x[:, COLUMN["lexical"]], [2 / 3, 0.0, 0.0])  # "proxy", "access" of three terms
    np.testing.assert_allclose(x[:, COLUMN["other_system"]], [0, 0, 1])  # the question names SystmOne
    np.testing.assert_allclose(x[:, COLUMN["lead"]], [1, 0, 0])


def test_without_section_questions_every_passage_is_flagged_and_the_hand_order_stands():
    candidates, vectors, question = _pool()
    candidates = [c.model_copy(update={"question": None, "dense": c.dense or 0.3}) for c in candidates]
    query = _query("enhanced review code")
    x = candidate_features(query, question, candidates, vectors)
    assert (x[:, COLUMN["question_absent"]] == 1).all() and (x[:, COLUMN["question"]] == 0).all()
    # a pool no section question matched (documents ingested from elsewhere) is ordered as the hand reranker does
    hand = FeatureReranker().rerank(query, question, candidates, vectors)
    against = FittedReranker(model=_model({"keyword_rr": -5.0})).rerank(query, question, candidates, vectors)
    assert [c.chunk.chunk_id for c in against] == [c.chunk.chunk_id for c in hand]
    assert [c.score for c in against] == [c.score for c in hand]
    # eval/fit_reranker_sq.py turns the fallback off to judge a model on such pools: the model orders them then
    judged = FittedReranker(model=_model({"keyword_rr": 5.0}), hand_without_questions=False).rerank(
        query, question, candidates, vectors)
    assert [c.chunk.chunk_id for c in judged][:1] == ["a"] != [c.chunk.chunk_id for c in hand][:1]  # keyword's first
    # one matched section question is enough for the model to order the pool
    candidates[2] = candidates[2].model_copy(update={"question": 0.1})
    by_model = FittedReranker(model=_model({"keyword_rr": -5.0})).rerank(query, question, candidates, vectors)
    assert by_model[0].chunk.chunk_id == "b"  # the one the keyword search missed


def _unfused() -> FeatureReranker:
    return FeatureReranker(RetrievalSettings.model_construct(rerank_fusion_weight=0.0))


def test_orders_by_the_model_and_hands_on_the_hand_reranker_scores():
    candidates, vectors, question = _pool()
    query = _query("proxy access")
    # the hand scores without the fusion bonus: what the model was fitted on, and the scale it hands on
    hand = {c.chunk.chunk_id: c for c in _unfused().rerank(query, question, candidates, vectors)}
    by_keyword = FittedReranker(model=_model({"keyword_rr": 1.0})).rerank(query, question, candidates, vectors)
    assert [c.chunk.chunk_id for c in by_keyword] == ["a", "c", "b"]
    by_question = FittedReranker(model=_model({"question": 1.0})).rerank(query, question, candidates, vectors)
    assert by_question[0].chunk.chunk_id == "b"
    for c in by_keyword:  # the scale the decline model and the answerer were fitted on
        expected = hand[c.chunk.chunk_id]
        assert (c.score, c.dense, c.passage_score, c.passage_dense) == (
            expected.score, expected.dense, expected.passage_score, expected.passage_dense)


def test_a_model_can_weigh_the_hand_reranker_score_beside_its_features():
    candidates, vectors, question = _pool()
    query = _query("proxy access")
    hand = [c.chunk.chunk_id for c in _unfused().rerank(query, question, candidates, vectors)]
    against = FittedReranker(model=_model({}, hand=-1.0)).rerank(query, question, candidates, vectors)
    assert [c.chunk.chunk_id for c in against] == hand[::-1]
    # a large enough feature weight outvotes the hand score
    by_keyword = FittedReranker(model=_model({"keyword_rr": 100.0}, hand=1.0)).rerank(query, question, candidates, vectors)
    assert [c.chunk.chunk_id for c in by_keyword] == ["a", "c", "b"]
    saved = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert LinearRanking.from_dict(dict(saved, hand=0.25)).hand == 0.25
    assert LinearRanking.from_dict({k: v for k, v in saved.items() if k != "hand"}).hand == 0.0


def test_with_a_slope_the_score_follows_the_fitted_order_from_the_best_hand_score():
    candidates, vectors, question = _pool()
    query = _query("proxy access")
    best_hand = max(c.score for c in _unfused().rerank(query, question, candidates, vectors))
    ranked = FittedReranker(model=_model({"keyword_rr": 1.0}, slope=0.5)).rerank(query, question, candidates, vectors)
    scores = [c.score for c in ranked]
    assert scores[0] == pytest.approx(best_hand)
    assert scores[1] == pytest.approx(best_hand - 0.5 * (1.0 - 0.5))  # keyword_rr 1 -> 1/2
    assert scores[2] == pytest.approx(best_hand - 0.5 * 1.0)  # keyword_rr 1 -> 0
    assert FittedReranker(model=_model({})).rerank(query, question, [], {}) == []


def test_the_shipped_model_loads_and_a_model_of_other_features_is_refused(tmp_path):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert data["features"] == list(RERANK_FEATURES)
    model = LinearRanking.from_dict(data)
    assert model.coef.shape == (len(RERANK_FEATURES),) and np.isfinite(model.coef).all() and (model.scale > 0).all()
    with pytest.raises(ValueError, match="fit_reranker"):
        LinearRanking.from_dict(dict(data, features=list(RERANK_FEATURES[:-1])))


def test_the_setting_chooses_the_reranker():
    class NoIndex:
        idf = staticmethod(lambda term: 1.0)

    fitted = Retriever(NoIndex(), tuning=RetrievalSettings.model_construct(reranker="fitted"))
    assert isinstance(fitted.reranker, FittedReranker)
    hand = Retriever(NoIndex(), tuning=RetrievalSettings.model_construct(reranker="features"))
    assert type(hand.reranker) is FeatureReranker
