"""The decline model reads the cosine to the nearest section question only where the index holds section
questions (knowledge/questions.yaml): an index of documents ingested from elsewhere is judged by the regression
fitted without that feature."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.decline_model import MODEL_PATH, QUESTION_FEATURE, QUESTION_FEATURES, DeclineModel
from bot.index import Index
from bot.types import AnswerKind

ANNOTATED = Path(__file__).resolve().parents[1] / "fixtures" / "annotated"
ASKED = "her husband makes her open the nhs app in front of him, can we turn it off"  # a fixture section question


@pytest.fixture(scope="module")
def annotated_settings(tmp_path_factory, ingest_embedder):
    from ingest_helpers import ingest_settings

    from ingest.pipeline import run_ingest

    root = tmp_path_factory.mktemp("annotated")
    corpus = root / "corpus"
    shutil.copytree(ANNOTATED, corpus)
    settings = ingest_settings(root / "data", corpus)
    assert not run_ingest(settings, [str(corpus)], index=Index(settings, embedder=ingest_embedder),
                          progress=False).failed
    return settings


def _assistant(settings, embedder, *, plain_threshold: float, questions_threshold: float):
    """The shipped coefficients with thresholds that tell which regression decided."""
    from bot.pipeline import Assistant

    data = json.loads(MODEL_PATH.read_text())
    data["answerable"]["threshold"] = plain_threshold
    data["answerable_with_questions"]["threshold"] = questions_threshold
    return Assistant(settings, index=Index(settings, embedder=embedder), decline_model=DeclineModel(data))


def test_the_shipped_model_has_both_regressions_and_weighs_a_close_section_question_up():
    model = DeclineModel.load()
    assert model.data["question_features"] == list(QUESTION_FEATURES)
    coef = dict(zip(QUESTION_FEATURES, model.answerable_with_questions.coef))
    assert coef[QUESTION_FEATURE] > 0
    assert len(model.answerable.coef) == len(QUESTION_FEATURES) - 1


def test_retrieval_reports_the_nearest_section_question_and_the_model_reads_it(annotated_settings, ingest_embedder):
    assistant = _assistant(annotated_settings, ingest_embedder, plain_threshold=0.0, questions_threshold=1.01)
    trace: dict = {}
    answer = assistant.answer(ASKED, trace=trace)
    assert trace["features"][QUESTION_FEATURE] > 0.99  # the very question is indexed
    assert answer.kind is not AnswerKind.answered  # judged by the regression with questions, set to decline all

    answering = _assistant(annotated_settings, ingest_embedder, plain_threshold=1.01, questions_threshold=0.0)
    assert answering.answer(ASKED).kind is AnswerKind.answered


def test_an_index_without_section_questions_is_judged_without_that_feature(shared_index_settings, shared_embedder):
    """The fixture corpus has no questions.yaml: no section_question feature, so the plain regression decides."""
    assistant = _assistant(shared_index_settings, shared_embedder, plain_threshold=0.0, questions_threshold=1.01)
    trace: dict = {}
    answer = assistant.answer("how do we stop a hospital letter showing in the patient's online record?", trace=trace)
    assert QUESTION_FEATURE not in trace["features"]
    assert answer.kind is AnswerKind.answered


def test_a_model_whose_question_features_differ_is_refused():
    data = json.loads(MODEL_PATH.read_text())
    data["question_features"] = data["question_features"][:-1]
    with pytest.raises(ValueError, match="fit_decline_model"):
        DeclineModel(data)
