"""Must-decline examples written after the regressions were fitted (the fit script's MARGIN_ONLY_FILES): they
decline a question much nearer them than to anything the index answers it from, but never vote (DECLINE_VOTE),
which the regressions were fitted without them."""

import json

import numpy as np
import pytest

from bot.decline_model import MODEL_PATH, DeclineModel, decode_vectors, encode_vectors
from bot.decline_features import DECLINE_EXAMPLE, DECLINE_VOTE, SECTION_QUESTION
from bot.types import AnswerKind
from test_decline_model import decline_cv

# on the annotated fixture (a page on restricting access), a question its section questions sit near
QUESTION = "can we switch off one patient's app access because her husband watches her use it"


def model_with_examples(embedder, texts: list[str], voting: int) -> DeclineModel:
    """The shipped model with these examples, the first `voting` of them voting."""
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["decline_examples"] = {**data["decline_examples"], "texts": texts, "voting": voting,
                                "vectors": encode_vectors(np.asarray(embedder.embed(texts))),
                                "fingerprint": embedder.fingerprint}
    return DeclineModel(data)


def test_a_margin_only_example_declines_but_does_not_vote(annotated_assistant, shared_embedder, monkeypatch):
    prepared = annotated_assistant.prepare(QUESTION)[1].retrieval_text
    far = "what dose of amoxicillin for a child with otitis media"
    control = model_with_examples(shared_embedder, [far], 1)  # without its twin the question is answered
    monkeypatch.setattr(annotated_assistant, "decline_model", control)
    assert annotated_assistant.answer(QUESTION).kind is AnswerKind.answered
    answers = {}
    for voting in (1, 2):  # the twin of the question as a margin-only example, then as a voting one
        model = model_with_examples(shared_embedder, [far, prepared], voting)
        assert model.voting_examples == voting
        monkeypatch.setattr(annotated_assistant, "decline_model", model)
        trace: dict = {}
        answers[voting] = (annotated_assistant.answer(QUESTION, trace=trace), trace["features"])
    (margin_only, features), (_, voted) = answers[1], answers[2]
    assert SECTION_QUESTION in features and features[DECLINE_EXAMPLE] > 0.99
    assert features[DECLINE_VOTE] == 0.0 < voted[DECLINE_VOTE]  # only as a voting example does it vote
    assert margin_only.kind is not AnswerKind.answered  # nearer an example than anything it is answered from


def test_a_model_file_without_voting_lets_every_example_vote_and_a_wrong_count_is_refused():
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["decline_examples"] = {key: value for key, value in data["decline_examples"].items() if key != "voting"}
    assert DeclineModel(data).voting_examples == len(data["decline_examples"]["texts"])
    for wrong in (-1, len(data["decline_examples"]["texts"]) + 1):
        data["decline_examples"]["voting"] = wrong
        with pytest.raises(ValueError, match="re-run"):
            DeclineModel(data)


def fit_rows(n: int = 10) -> tuple[list[dict], object]:
    """`n` written must-decline rows, then `n` answerable dev rows, as the fit collects them; and a named embedder."""
    rows = [{"item": {"id": f"w{i}", "split": "train", "expect_refusal": True}, "retrieval_text": f"w{i}"}
            for i in range(n)] + [{"item": {"id": f"a{i}", "split": "dev"}, "retrieval_text": f"a{i}"}
                                  for i in range(n)]
    return rows, type("Embedder", (), {"fingerprint": "fake:1"})()


def test_the_fit_stores_margin_only_examples_after_the_voting_ones_and_widens_the_margin_for_them():
    cv = decline_cv()
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(20, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows, embedder = fit_rows()
    reference, answered = np.full(20, 0.5), np.ones(20, dtype=bool)
    without, _ = cv.decline_examples(rows, embedder, answered, reference, vectors=vectors, budget=0.1)
    extra = vectors[10:11]  # an answerable row's twin as a margin-only example: that row's margin becomes 0.5
    data, report = cv.decline_examples(rows, embedder, answered, reference, vectors=vectors, budget=0.1,
                                       margin_only=(["twin"], extra))
    assert data["texts"] == [f"w{i}" for i in range(10)] + ["twin"] and data["voting"] == 10
    stored = decode_vectors(data["vectors"], 11)  # the vectors in the same order as the texts
    assert np.allclose(stored[:10], vectors[:10], atol=2e-3) and np.allclose(stored[10], extra[0], atol=2e-3)
    assert data["margin"] > without["margin"] and data["margin"] >= 0.5  # no answerable row declined by it
    assert "1 margin-only" in report
