"""The decline model reads the cosine to the nearest section question (knowledge/questions.yaml) only for a
question whose best passage's section has such questions: a question about a document ingested from elsewhere is
judged by the regression fitted without that feature, also when that document sits beside annotated ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.decline_model import MODEL_PATH, DeclineModel
from bot.decline_features import (ADAPTER_LIFT, DECLINE_EXAMPLE, DECLINE_VOTE, FEATURES_WITH_SECTION_QUESTION,
                                  SECTION_QUESTION, answerable_reference)
from bot.index import Index
from bot.types import AnswerKind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ASKED = "her husband makes her open the nhs app in front of him, can we turn it off"  # a fixture section question
ABOUT_A_PLAIN_PAGE = "how do I stop a letter being visible to the patient when filing it in Docman?"


@pytest.fixture(scope="module")
def mixed_settings(tmp_path_factory, ingest_embedder):
    """One index: the annotated fixture guide (with section questions) beside the plain fixture documents."""
    from ingest_helpers import ingest_settings

    from ingest.pipeline import run_ingest

    root = tmp_path_factory.mktemp("mixed")
    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "annotated", corpus)
    for page in (FIXTURES / "corpus").glob("*.md"):
        shutil.copy(page, corpus / "guides" / page.name)
    settings = ingest_settings(root / "data", corpus)
    assert not run_ingest(settings, [str(corpus)], index=Index(settings, embedder=ingest_embedder),
                          progress=False).failed
    return settings


def _model(*, plain_threshold: float, questions_threshold: float | None, examples: list[str] | None = None,
           margin: float = 0.0, plain_margin: float | None = None, subject_min: float | None = None) -> DeclineModel:
    """The shipped coefficients with thresholds that tell which regression decided (None: a model file without
    the regression with section questions), and these must-decline examples (None: the shipped ones; []: none,
    so no decline vote either, and the regression with section questions never decides)."""
    data = json.loads(MODEL_PATH.read_text())
    if examples == []:
        del data["decline_examples"]
    elif examples is not None:
        subject = {**data["decline_examples"]["plain_subject"], "min": subject_min}  # the shipped corpus's centroid
        data["decline_examples"] = {"texts": examples, "margin": margin,
                                    **({} if plain_margin is None else {"plain_margin": plain_margin,
                                                                        "plain_subject": subject})}
    data["answerable"]["threshold"] = plain_threshold
    if questions_threshold is None:
        del data["answerable_with_questions"], data["question_features"]
    else:
        data["answerable_with_questions"]["threshold"] = questions_threshold
    return DeclineModel(data)


def _ask(settings, embedder, question: str, model: DeclineModel, mode: str = "hybrid"):
    from bot.pipeline import Assistant

    assistant = Assistant(settings, index=Index(settings, embedder=embedder), decline_model=model)
    trace: dict = {}
    return assistant.answer(question, trace=trace, mode=mode), trace["features"]


def test_the_shipped_model_has_both_regressions_and_weighs_a_close_section_question_up():
    model = DeclineModel.load()
    assert model.data["question_features"] == list(FEATURES_WITH_SECTION_QUESTION)
    coef = dict(zip(FEATURES_WITH_SECTION_QUESTION, model.answerable_with_questions.coef))
    assert coef[SECTION_QUESTION] > 0
    assert coef[DECLINE_VOTE] < 0  # more must-decline examples among the nearest questions: less answerable
    assert coef[ADAPTER_LIFT] > 0  # the adapter moves what the corpus answers towards a passage
    assert len(model.answerable.coef) == len(FEATURES_WITH_SECTION_QUESTION) - 3


def test_a_question_answered_from_an_annotated_section_is_judged_with_its_section_question(mixed_settings,
                                                                                            ingest_embedder):
    declining = _model(plain_threshold=0.0, questions_threshold=1.01)
    answer, features = _ask(mixed_settings, ingest_embedder, ASKED, declining)
    assert features[SECTION_QUESTION] > 0.99  # the very question is indexed
    assert answer.kind is not AnswerKind.answered  # the regression with questions decided (set to decline all)
    answering = _model(plain_threshold=1.01, questions_threshold=0.0)
    assert _ask(mixed_settings, ingest_embedder, ASKED, answering)[0].kind is AnswerKind.answered


def test_a_question_about_a_plain_page_beside_annotated_ones_is_judged_without_it(mixed_settings, ingest_embedder):
    """The index holds section questions, but not for the page that answers: the plain regression decides."""
    answer, features = _ask(mixed_settings, ingest_embedder, ABOUT_A_PLAIN_PAGE,
                            _model(plain_threshold=0.0, questions_threshold=1.01))
    assert SECTION_QUESTION not in features
    assert answer.kind is AnswerKind.answered
    assert any("Docman" in c.title for c in answer.citations)


def test_keyword_mode_never_searches_section_questions(mixed_settings, ingest_embedder):
    answer, features = _ask(mixed_settings, ingest_embedder, ASKED, _model(plain_threshold=0.0, questions_threshold=1.01),
                            mode="bm25")
    assert SECTION_QUESTION not in features and answer.kind is AnswerKind.answered


def test_an_index_without_section_questions_is_judged_without_that_feature(shared_index_settings, shared_embedder):
    """The fixture corpus has no questions.yaml at all."""
    answer, features = _ask(shared_index_settings, shared_embedder,
                            "how do we stop a hospital letter showing in the patient's online record?",
                            _model(plain_threshold=0.0, questions_threshold=1.01))
    assert SECTION_QUESTION not in features
    assert answer.kind is AnswerKind.answered


def test_a_model_file_without_the_second_regression_still_decides_with_the_first(mixed_settings, ingest_embedder):
    model = _model(plain_threshold=1.01, questions_threshold=None)
    answer, features = _ask(mixed_settings, ingest_embedder, ASKED, model)
    assert SECTION_QUESTION in features and model.answerable_with_questions is None
    assert answer.kind is not AnswerKind.answered


def test_a_model_whose_question_features_or_widths_differ_is_refused():
    data = json.loads(MODEL_PATH.read_text())
    with pytest.raises(ValueError, match="fit_decline_model"):
        DeclineModel({**data, "question_features": data["question_features"][:-1]})
    short = {**data["answerable_with_questions"], "coef": data["answerable_with_questions"]["coef"][:-1]}
    with pytest.raises(ValueError, match="coefficients where 13 features"):
        DeclineModel({**data, "answerable_with_questions": short})


# ------------------------------------------------------------------ the must-decline examples
NEAR_MISS = "can a patient block nhs app notifications on her phone herself"


def test_a_question_nearer_a_decline_example_than_every_section_question_is_declined(mixed_settings,
                                                                                       ingest_embedder):
    """Both regressions set to answer everything: only the example can decline it, and it words the decline as
    any other (not covered / out of scope, no answer text from the passages)."""
    model = _model(plain_threshold=0.0, questions_threshold=0.0, examples=[NEAR_MISS, "what is the wifi password"])
    answer, features = _ask(mixed_settings, ingest_embedder, NEAR_MISS, model)
    assert features[DECLINE_EXAMPLE] > 0.99 and SECTION_QUESTION in features
    assert features[DECLINE_EXAMPLE] - answerable_reference(features) > model.example_margin
    assert answer.kind in (AnswerKind.not_covered, AnswerKind.out_of_scope)
    assert "notification" not in answer.text.lower()  # the decline, not an answer from the passages
    # nearer a section question than any example: answered as before
    answer, features = _ask(mixed_settings, ingest_embedder, ASKED, model)
    assert features[SECTION_QUESTION] > features[DECLINE_EXAMPLE]
    assert answer.kind is AnswerKind.answered


def test_the_vote_the_bot_reads_is_the_one_the_fit_computes(mixed_settings, ingest_embedder, monkeypatch):
    """The run-time vote (the index's nearest section questions, the model's examples, the question's answerable
    reference) equals the vote computed from every section question's vector, as eval/fit_decline_model.py does."""
    from bot.decline_features import VOTE_NEIGHBOURS, decline_vote

    asked_for = []
    nearest_questions = Index.nearest_questions
    monkeypatch.setattr(Index, "nearest_questions",
                        lambda self, vector, k: asked_for.append(k) or nearest_questions(self, vector, k))
    examples = [NEAR_MISS, "can patients turn off nhs app notifications themselves", "what is the wifi password"]
    model = _model(plain_threshold=0.0, questions_threshold=0.0, examples=examples)
    _, features = _ask(mixed_settings, ingest_embedder, NEAR_MISS, model)
    assert asked_for == [VOTE_NEIGHBOURS]
    index = Index(mixed_settings, embedder=ingest_embedder)
    questions = np.asarray(index.questions.get(include=["embeddings"])["embeddings"])
    vector = ingest_embedder.embed_query(NEAR_MISS)
    expected = decline_vote(questions @ vector, model.example_vectors(ingest_embedder) @ vector,
                            answerable_reference(features))
    assert features[DECLINE_VOTE] > 0  # the two notification examples are nearer than any section question
    assert abs(features[DECLINE_VOTE] - expected) < 1e-9
    # the index's nearest section questions are the exact ten nearest, best first
    nearest = index.nearest_questions(vector, 10)[0]
    assert np.allclose(nearest, np.sort(questions @ vector)[::-1][:10], atol=1e-4)


def test_the_margin_decides_how_much_nearer_the_example_must_be(mixed_settings, ingest_embedder):
    _, features = _ask(mixed_settings, ingest_embedder, NEAR_MISS,
                       _model(plain_threshold=0.0, questions_threshold=0.0, examples=[NEAR_MISS]))
    gap = features[DECLINE_EXAMPLE] - answerable_reference(features)
    narrow = _model(plain_threshold=0.0, questions_threshold=0.0, examples=[NEAR_MISS], margin=gap - 0.01)
    assert _ask(mixed_settings, ingest_embedder, NEAR_MISS, narrow)[0].kind is not AnswerKind.answered
    wide = _model(plain_threshold=0.0, questions_threshold=0.0, examples=[NEAR_MISS], margin=gap + 0.01)
    assert _ask(mixed_settings, ingest_embedder, NEAR_MISS, wide)[0].kind is AnswerKind.answered


@pytest.mark.parametrize("plain_margin, subject_min, declined",
                         [(None, None, False), (0.0, 0.0, True), (0.9, 0.0, False), (0.0, 0.99, False)])
def test_on_a_plain_page_the_example_is_weighed_against_the_closest_passage(mixed_settings, ingest_embedder,
                                                                             plain_margin, subject_min, declined):
    """No section question to weigh the example against (a document ingested from elsewhere): the closest passage
    is, by the plain margin, on a page typical enough of the subject the examples were written against (a model
    file without them: the regression alone decides), even for a question that is itself an example."""
    model = _model(plain_threshold=0.0, questions_threshold=0.0, examples=[ABOUT_A_PLAIN_PAGE],
                   plain_margin=plain_margin, subject_min=subject_min)
    answer, features = _ask(mixed_settings, ingest_embedder, ABOUT_A_PLAIN_PAGE, model)
    assert features[DECLINE_EXAMPLE] > 0.99 and SECTION_QUESTION not in features
    assert 0.0 < features[DECLINE_EXAMPLE] - features["top_dense"] < 0.9
    if plain_margin is not None:  # the Docman page's cosine to the shipped corpus's centroid
        assert 0.0 < features["plain_subject"] < 0.99
    assert (answer.kind is not AnswerKind.answered) is declined


def test_a_model_file_without_examples_declines_by_the_regressions_alone(mixed_settings, ingest_embedder):
    """No examples, no vote: the plain regression decides (set here to answer everything, the other to decline)."""
    model = _model(plain_threshold=0.0, questions_threshold=1.01, examples=[])
    assert model.example_vectors(ingest_embedder) is None
    answer, features = _ask(mixed_settings, ingest_embedder, NEAR_MISS, model)
    assert SECTION_QUESTION in features and DECLINE_EXAMPLE not in features and DECLINE_VOTE not in features
    assert answer.kind is AnswerKind.answered


def test_the_shipped_examples_are_the_written_must_decline_questions():
    """Every must-decline training question (never a bank question) is an example, as the bot prepares it: those
    the regressions were fitted on vote, then those of the fit script's MARGIN_ONLY_FILES; and the margin is
    positive: a question must be nearer an example than every section question to be declined."""
    import importlib.util

    from test_corpus_questions import BANK_HASHES, five_gram_hashes

    repo = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("fit_decline_model", repo / "eval" / "fit_decline_model.py")
    fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit)
    margin_only = {path.name for path in fit.MARGIN_ONLY_FILES}

    def must_decline(path):
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [item for item in items if item.get("expect_refusal")]

    voting = [item for path in sorted((repo / "eval").glob("*.jsonl")) if path.name not in margin_only
              for item in must_decline(path) if item.get("split") == "train"]
    model = DeclineModel.load()
    assert model.voting_examples == len(voting) >= 170
    margin_only_items = [item for path in fit.MARGIN_ONLY_FILES for item in must_decline(path)]
    assert len(model.example_texts) - model.voting_examples == len(margin_only_items) > 0
    # the margin-only examples follow the voting ones, in file order (prepared: shorthand spelt out)
    for text, item in zip(model.example_texts[model.voting_examples:], margin_only_items):
        said, asked = set(text.lower().split()), set(item["question"].lower().split())
        assert len(said & asked) >= 0.6 * len(asked), (text, item["question"])
    assert 0 < model.example_margin < 0.5
    bank = set(BANK_HASHES.read_text().split())
    assert [text for text in model.example_texts if five_gram_hashes(text) & bank] == []


def test_the_centred_rule_the_bot_reads_is_the_one_the_fit_computes(mixed_settings, ingest_embedder):
    """With a `center` in the model file the examples' rule reads centred cosines: CENTRED_EXAMPLE is the centred
    cosine to the nearest example, EXAMPLE_REFERENCE the nearer of the centred nearest section question (of every
    one, as eval/fit_decline_model.py reads it) and the best passage; a question that is itself an example is
    declined by the rule alone, one worded as a section question is answered."""
    from bot.decline_features import CENTRED_EXAMPLE, EXAMPLE_REFERENCE, centred

    examples = [NEAR_MISS, "what is the wifi password"]
    index = Index(mixed_settings, embedder=ingest_embedder)
    questions = np.asarray(index.questions.get(include=["embeddings"])["embeddings"], dtype=np.float32)
    center = np.vstack([questions, ingest_embedder.embed(examples)]).mean(axis=0)
    model = _model(plain_threshold=0.0, questions_threshold=0.0, examples=examples, margin=0.1)
    model = DeclineModel({**model.data, "decline_examples": {**model.data["decline_examples"], "center": center.tolist(),
                                                             "fingerprint": ingest_embedder.fingerprint}})
    answer, features = _ask(mixed_settings, ingest_embedder, NEAR_MISS, model)
    own = centred(ingest_embedder.embed_query(NEAR_MISS), center)
    assert abs(features[CENTRED_EXAMPLE] - 1.0) < 1e-4  # the question is the first example
    assert features[EXAMPLE_REFERENCE] >= float((centred(questions, center) @ own).max()) - 1e-4
    assert features[CENTRED_EXAMPLE] - features[EXAMPLE_REFERENCE] > model.example_margin
    assert answer.kind in (AnswerKind.not_covered, AnswerKind.out_of_scope)
    answer, features = _ask(mixed_settings, ingest_embedder, ASKED, model)
    assert abs(features[EXAMPLE_REFERENCE] - 1.0) < 1e-4  # the very section question
    assert answer.kind is AnswerKind.answered
