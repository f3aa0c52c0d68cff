"""The answer units' features (bot/unit_scorer.py): what each column measures, that they come from the passages
handed over alone (no corpus-wide count), and that a fitted scorer is read and scored as scikit-learn fits it."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bot.query import Glossary, prepare_query
from bot.types import Chunk, ScoredChunk
from bot.unit_scorer import UNIT_FEATURES, unit_features
from bot.units import unit_key

ROOT = Path(__file__).resolve().parents[1]

CHUNK = Chunk(
    chunk_id="r-1", doc_id="r.md", title="Redaction", heading_path=["Redaction", "Third-party information"],
    source_urls=["https://example.org/r"],
    text=("Practices review the record before switching on access.\n\n"
          "Third-party information is redacted before the patient sees it.\n\n"
          "The steps are:\n- open the entry\n- mark it confidential"),
)
OTHER = Chunk(
    chunk_id="o-1", doc_id="o.md", title="Timeline", heading_path=["Timeline"], source_urls=["https://example.org/o"],
    text="Access was switched on in November 2023 for most practices.",
)


def _idf(term):
    return 1.0


def _column(x, name):
    return x[:, UNIT_FEATURES.index(name)]


def test_one_row_per_unit_and_the_columns_measure_what_they_say():
    query = prepare_query("how is third-party information redacted", Glossary({}))
    results = [ScoredChunk(chunk=CHUNK, score=0.9, dense=0.6, question=0.7), ScoredChunk(chunk=OTHER, score=0.5)]
    units, x = unit_features(query, results, _idf)
    assert x.shape == (len(units), len(UNIT_FEATURES)) == (4, len(UNIT_FEATURES))
    best = [u.text for u in units].index("Third-party information is redacted before the patient sees it.")
    assert np.argmax(_column(x, "cover")) == best and _column(x, "cover_gap")[best] == 0.0
    assert (_column(x, "cover_gap") <= 0).all() and (_column(x, "semantic_gap") <= 0).all()
    assert list(_column(x, "rank_prior")) == [1.0, 1.0, 1.0, 0.5]
    assert list(_column(x, "doc_prior")) == [1.0, 1.0, 1.0, 0.5]
    assert _column(x, "score_gap")[3] == pytest.approx(-0.4)
    assert _column(x, "section_question")[0] == pytest.approx(0.2) and _column(x, "section_question")[3] == 0.0
    assert list(_column(x, "is_list")) == [0, 0, 1, 0]  # the lead-in sentence travels with its bullets
    assert units[best].covers and sum(units[best].covers.values()) == pytest.approx(_column(x, "cover")[best])


def test_stored_unit_vectors_give_the_semantic_column_and_without_them_half_the_cover():
    query = prepare_query("who removes hidden entries", Glossary({}))
    query.vector = np.eye(4, dtype=np.float32)[0]
    sentence = "Access was switched on in November 2023 for most practices."
    stored = {"o-1": {unit_key(sentence): np.array([0.8, 0.6, 0, 0], dtype=np.float32)}}
    _, with_vectors = unit_features(query, [ScoredChunk(chunk=OTHER, score=1.0)], _idf, stored)
    assert _column(with_vectors, "semantic")[0] == pytest.approx(0.8)
    _, without = unit_features(query, [ScoredChunk(chunk=OTHER, score=1.0)], _idf)
    assert _column(without, "semantic")[0] == pytest.approx(0.5 * _column(without, "cover")[0])


def test_term_weights_enter_only_as_shares_of_the_question():
    """A larger index raises every term's idf: the columns are shares of the question's own weight, so weights
    scaled alike give the same rows (no column grows with the corpus)."""
    query = prepare_query("how is third-party information redacted before switching on", Glossary({}))
    results = [ScoredChunk(chunk=CHUNK, score=0.9), ScoredChunk(chunk=OTHER, score=0.5)]
    weights = {"third": 3.0, "redact": 2.0}
    _, small = unit_features(query, results, lambda t: weights.get(t, 1.0))
    _, large = unit_features(query, results, lambda t: 7 * weights.get(t, 1.0))
    assert np.allclose(small, large)
    _, flat = unit_features(query, results, _idf)
    assert not np.allclose(small, flat)  # the weights do count


def test_the_fitted_scorer_of_the_eval_script_scores_as_scikit_learn_does():
    sklearn = pytest.importorskip("sklearn.linear_model")
    spec = importlib.util.spec_from_file_location("fit_unit_scorer", ROOT / "eval" / "fit_unit_scorer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    UnitScorer = module.UnitScorer
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, len(UNIT_FEATURES))) * 3 + 1
    y = (x[:, 0] - x[:, 4] + rng.normal(size=200)) > 0
    mean, scale = x.mean(axis=0), x.std(axis=0)
    model = sklearn.LogisticRegression().fit((x - mean) / scale, y)
    scorer = UnitScorer({"features": list(UNIT_FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
                         "coef": model.coef_[0].tolist(), "intercept": float(model.intercept_[0])})
    assert np.allclose(scorer.probabilities(x), model.predict_proba((x - mean) / scale)[:, 1])
    with pytest.raises(ValueError, match="fit_unit_scorer"):
        UnitScorer({**scorer.data, "features": list(UNIT_FEATURES[:-1])})
