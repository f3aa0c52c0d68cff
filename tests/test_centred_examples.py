"""The must-decline examples' rule on centred cosines (`bot.decline_features` CENTRED_EXAMPLE): every vector less the
mean of the section questions' and the examples' vectors, so that the direction every records-access question shares
does not make a near-miss look as close to a section question as to the example naming what it asks about."""

import json
from types import SimpleNamespace

import numpy as np

from bot.decline_features import centred
from bot.decline_model import MODEL_PATH, DeclineModel, decode_vectors
from test_decline_model import decline_cv
from test_margin_only_examples import fit_rows


def test_centred_vectors_have_length_one_and_lose_the_shared_direction():
    shared = np.array([3.0, 0.0, 0.0])
    a, b = shared + [0, 1, 0], shared + [0, -1, 0]
    assert float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))) > 0.75  # raw: the shared part dominates
    ca, cb = centred(np.stack([a, b]), shared)
    assert np.allclose(np.linalg.norm(np.stack([ca, cb]), axis=1), 1.0) and float(ca @ cb) < -0.99


def test_the_shipped_model_declines_on_centred_cosines_only():
    """The example against the nearer of the section questions and the passage (EXAMPLE_REFERENCE, measured in
    decision_features), by the fitted margin; a question without the centred features is not declined by it."""
    model = DeclineModel.load()
    assert model.example_center is not None and model.example_center.shape == (384,)
    near = {"decline_example": 0.8, "section_question": 0.3, "top_dense": 0.3,
            "centred_example": 0.8, "example_reference": 0.3}
    assert model.nearer_a_decline_example(near) and model.nearer_a_decline_example(near, story=True)
    assert not model.nearer_a_decline_example({**near, "example_reference": 0.8 - model.example_margin + 0.01})
    assert model.nearer_a_decline_example({**near, "example_reference": 0.8 - model.example_margin - 0.01})
    assert not model.nearer_a_decline_example({**near, "centred_example": 0.3})  # raw cosines do not count
    assert not model.nearer_a_decline_example({"decline_example": 0.9, "section_question": 0.1, "top_dense": 0.1})


def test_the_center_is_read_only_under_the_embedder_that_made_it(caplog):
    """Another embedder (the torch fallback, another model) has another space, perhaps of another size: the centred
    rule is off there, said once, and nothing is embedded to centre."""
    model = DeclineModel.load()
    fingerprint = model.data["decline_examples"]["fingerprint"]
    assert model.center_for(SimpleNamespace(fingerprint=fingerprint)) is model.example_center
    other = SimpleNamespace(fingerprint="another:768")
    assert model.center_for(other) is None and model.centred_examples(other) is None
    assert model.center_for(other) is None
    assert sum("example center was made by another embedder" in r.getMessage() for r in caplog.records) == 1


def test_a_model_file_without_a_center_reads_raw_cosines_and_embeds_nothing_to_centre():
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    del data["decline_examples"]["center"]
    raw = DeclineModel(data)
    # no embedder is asked: the other fingerprint would otherwise embed every example
    assert raw.example_center is None and raw.centred_examples(SimpleNamespace(fingerprint="another")) is None
def test_with_a_center_the_fit_measures_centred_cosines_stores_the_center_and_raw_vectors():
    """eval/decline_cv.decline_examples with `center` (the mean of the section questions' and examples' vectors):
    margins from centred cosines, the center stored for the bot (bot.decline_model CENTRED_EXAMPLE), the examples'
    own vectors stored as they are (the bot centres them itself)."""
    cv = decline_cv()
    rng = np.random.default_rng(5)
    shared = rng.normal(size=8)  # a direction every row shares, as records-access questions do
    vectors = rng.normal(size=(20, 8)) * 0.3 + shared
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows, embedder = fit_rows()
    reference, answered = np.full(20, 0.2), np.ones(20, dtype=bool)
    center = vectors.mean(axis=0)
    raw, _ = cv.decline_examples(rows, embedder, answered, reference, vectors=vectors, budget=0.1)
    data, report = cv.decline_examples(rows, embedder, answered, reference, vectors=vectors, budget=0.1, center=center)
    assert "center" not in raw and np.allclose(data["center"], center, atol=1e-5)
    assert "centred cosines" in report
    assert np.allclose(decode_vectors(data["vectors"], 10), vectors[:10], atol=2e-3)
    own = centred(vectors, center)
    margins = (own @ own[:10].T).max(axis=1) - reference
    assert abs(data["margin"] - cv.example_margin(margins[10:], 0.1)) < 1e-5
    assert data["margin"] != raw["margin"]
