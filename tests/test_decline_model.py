"""The decline model: its training negatives, its shipped coefficients, and how it words a decline on the
small fixture corpus (answered, not covered: on topic but missing, out of scope: not about records access)."""

import importlib.util
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bot.decline_model import MODEL_PATH, OFF_TOPIC, DeclineModel
from bot.index import Index
from bot.types import AnswerKind

REPO = Path(__file__).resolve().parents[1]
NEGATIVES = REPO / "eval" / "out-of-scope-questions.jsonl"
ANSWERABLE = REPO / "eval" / "answerable-train-questions.jsonl"


QUESTION_FILES = sorted((REPO / "eval").glob("*.jsonl"))


def decline_cv():
    """eval/decline_cv.py (the fit script's threshold rule and nested cross-validation), loaded from its file."""
    spec = importlib.util.spec_from_file_location("decline_cv", REPO / "eval" / "decline_cv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", QUESTION_FILES, ids=lambda p: p.name)
def test_eval_question_files_share_no_five_word_run_with_the_bank(path):
    """Every question written for eval or training (and every thread question before it) is our own wording:
    no normalised five-word run in common with the question bank (by its hashes, as for knowledge/questions.yaml)."""
    from test_corpus_questions import BANK_HASHES, five_gram_hashes

    bank = set(BANK_HASHES.read_text().split())
    items = load_jsonl(path)
    assert items and len({i["id"] for i in items}) == len(items)
    assert [i["id"] for i in items
            if any(five_gram_hashes(text) & bank for text in [i["question"], *i.get("history", [])])] == []


def test_training_negatives_cover_every_kind_and_word_their_decline():
    items = load_jsonl(NEGATIVES)
    assert len(items) >= 170
    assert all(i["expect_refusal"] and i["split"] == "train" for i in items)
    assert {i["expected_kind"] for i in items} == {"out_of_scope", "not_covered"}
    near_misses = [i for i in items if i["kind_of_question"] == "near-miss"]
    assert len(near_misses) >= 80 and all(i["expected_kind"] == "not_covered" for i in near_misses)


def test_answerable_training_questions_point_at_the_section_that_answers_them():
    """Each answerable training question names the corpus section it was written from: every must_contain term
    is in that section's text and every source is one the document lists."""
    from test_corpus_questions import KNOWLEDGE, section_texts

    items = load_jsonl(ANSWERABLE)
    assert len(items) >= 40 and all(not i.get("expect_refusal") and i["split"] == "train" for i in items)
    problems = []
    for item in items:
        doc, _, heading = item["section"].partition("#")
        path = KNOWLEDGE / doc
        text = " ".join(section_texts(path).get(heading, "").lower().split()) if path.is_file() else ""
        missing = [term for term in item["must_contain"] if " ".join(term.lower().split()) not in text]
        unlisted = [url for url in item["sources"] if url not in path.read_text(encoding="utf-8")] if text else []
        if not text or not item["must_contain"] or not item["sources"] or missing or unlisted:
            problems.append((item["id"], missing, unlisted))
    assert problems == []


def test_a_model_fitted_with_other_off_topic_descriptions_is_refused():
    data = json.loads(MODEL_PATH.read_text())
    assert data["off_topic"] == list(OFF_TOPIC)
    data["off_topic"] = data["off_topic"][:-1]
    with pytest.raises(ValueError, match="fit_decline_model"):
        DeclineModel(data)


def test_in_scope_weighs_the_topic_not_the_coverage():
    """Whether a decline says "not covered" or "out of scope" must not depend on how well the passages answer:
    the fitted in-scope model gives coverage features no weight."""
    model = DeclineModel.load()
    coef = dict(zip(model.data["features"], model.in_scope.coef))
    assert all(coef[name] == 0 for name in ("top_score", "coverage", "dense_spread", "unknown_weight",
                                            "known_terms", "top_dense"))
    assert coef["off_topic"] < 0 < coef["centroid"]


@pytest.fixture(scope="module")
def always_declining(shared_index_settings, shared_embedder):
    """The shipped model with a threshold no evidence reaches: every question is declined, so what is tested is
    only how the decline is worded."""
    from bot.pipeline import Assistant

    data = json.loads(MODEL_PATH.read_text())
    data["answerable"]["threshold"] = data["answerable_with_questions"]["threshold"] = 1.01
    return Assistant(shared_index_settings, index=Index(shared_index_settings, embedder=shared_embedder),
                     decline_model=DeclineModel(data))


@pytest.mark.parametrize("question", [
    "by what date did the GP contract require practices to give patients prospective access?",
    "can patients see their test results in the app before the doctor has reviewed them?",
    "how do we deal with a request for the patient's old records from before access was switched on?",
    "what should we tell patients in a leaflet about seeing their record online?",
])
def test_an_on_topic_question_the_small_corpus_lacks_is_not_covered(always_declining, question):
    """The fixture corpus (six documents) holds none of these; they are still about records access."""
    answer = always_declining.answer(question)
    assert answer.kind is AnswerKind.not_covered, answer.text
    assert answer.closest


@pytest.mark.parametrize("question", [
    "which antibiotic is first line for a chest infection in an adult", "how do I reset my smartcard PIN?",
    "write me a leaving speech for our practice nurse", "what's the weather like in Leeds tomorrow",
])
def test_an_off_topic_question_is_out_of_scope_on_the_small_corpus(always_declining, question):
    answer = always_declining.answer(question)
    assert answer.kind is AnswerKind.out_of_scope, answer.text
    assert not answer.citations


def test_the_threshold_is_the_budget_quantile_of_the_answerable_log_odds():
    threshold_for = decline_cv().threshold_for

    logits = np.random.default_rng(0).normal(1.0, 0.5, 4000)
    p = 1 / (1 + np.exp(-np.r_[logits, logits - 5]))
    y = np.r_[np.ones(4000), np.zeros(4000)]
    t = threshold_for(p, y, budget=0.01)
    assert abs(np.log(t / (1 - t)) - (1.0 - 2.326 * 0.5)) < 0.05
    assert 0.005 < (p[y == 1] < t).mean() < 0.015  # about 1% of answerable questions fall below it


def test_nested_cross_validation_declines_what_the_features_separate_and_only_that():
    nested_cv = decline_cv().nested_cv

    rng = np.random.default_rng(1)
    y = np.r_[np.ones(100, dtype=int), np.zeros(100, dtype=int)]
    kinds = ["bank dev"] * 100 + ["near-miss"] * 50 + ["clinical"] * 50
    # one feature separates the clinical questions from the answerable ones; nothing separates the near-misses
    signal = np.r_[rng.normal(0, 1, 150), rng.normal(-8, 1, 50)]
    result = nested_cv(np.c_[signal, rng.normal(0, 1, 200)], y, kinds)
    declined = {kind: d for kind, (d, _) in result["by_kind"].items()}
    assert result["answerable"][0] <= 2 and result["must_decline"][1] == 100
    assert declined["clinical"] >= 45 and declined["near-miss"] <= 5


def test_the_example_margin_is_the_upper_budget_quantile_of_the_answerable_margins():
    example_margin = decline_cv().example_margin

    margins = np.random.default_rng(1).normal(-0.2, 0.15, 20000)
    margins = margins[margins < 0.175]  # nothing near the tail, so the fitted quantile is what shows
    cut = example_margin(margins, budget=0.001)
    assert abs(cut - (margins.mean() + 3.0902 * margins.std())) < 1e-3
    assert cut > margins.max() + 0.01


def test_the_example_margin_never_declines_an_answerable_question_it_was_fitted_on():
    cv = decline_cv()
    margins = np.r_[np.full(200, -0.2), 0.15]  # one answerable question far above the rest
    assert cv.example_margin(margins, budget=0.01) == 0.15 + cv.EXAMPLE_MARGIN_GAP


def test_the_decline_vote_is_the_share_of_examples_among_the_nearest_labelled_questions():
    from bot.decline_features import decline_vote

    questions, examples = np.array([0.9, 0.5, 0.4]), np.array([0.8, 0.7, 0.1])
    assert decline_vote(questions, examples, 0.9, k=1) == 0.0  # the nearest is a section question
    assert decline_vote(questions, examples, 0.9, k=3, window=1) == 2 / 3  # 0.9 (question), 0.8 and 0.7 (examples)
    assert decline_vote(questions, examples, 0.9, k=6, window=1) == 0.5
    assert decline_vote(questions, np.zeros(0), 0.9, k=3, window=1) == 0.0  # no examples: nothing votes to decline
    assert decline_vote(np.array([0.6]), np.array([0.6]), 0.6, k=1) == 0.0  # a tie goes to the section question
    assert decline_vote(np.zeros(0), np.zeros(0), 0.5) == 0.0


def test_only_neighbours_about_as_close_as_what_answers_the_question_vote():
    """On an index with few section questions every near neighbour is an example, though a passage answers: the
    examples well below that passage's cosine (the reference) do not vote."""
    from bot.decline_features import decline_vote

    questions, examples = np.array([0.40, 0.35]), np.array([0.60, 0.58, 0.55])
    assert decline_vote(questions, examples, reference=0.66, k=5, window=0.05) == 0.0  # no one within 0.05
    assert decline_vote(questions, examples, reference=0.62, k=5, window=0.05) == 1.0  # 0.60 and 0.58 vote
    assert decline_vote(questions, examples, reference=0.62, k=5, window=0.3) == 3 / 5  # everyone votes


def test_a_tiny_annotated_index_is_not_voted_down_by_the_decline_examples(annotated_assistant):
    """A few section questions beside hundreds of must-decline examples: every labelled question near this one is
    an example, but none is about as close as the passage that answers it, so none votes (`DECLINE_VOTE`)."""
    from bot.decline_features import ADAPTER_LIFT, DECLINE_EXAMPLE, DECLINE_VOTE, SECTION_QUESTION

    trace: dict = {}
    answer = annotated_assistant.answer("a patient living with domestic abuse: how do we restrict her online access "
                                        "to her record?", trace=trace)
    features = trace["features"]
    assert features[DECLINE_EXAMPLE] > features[SECTION_QUESTION]  # the examples are nearer than its questions
    assert features[DECLINE_VOTE] == 0.0
    assert features[ADAPTER_LIFT] == 0.0  # too few section questions for a query adapter: nothing moved
    assert answer.kind is AnswerKind.answered


def test_a_written_question_is_voted_on_without_its_own_batch_of_examples():
    """The fit script's votes leave out the examples written in the same file as the question (its twins, whatever
    their ids), and judge a bank question by every example, as the bot does."""
    cv = decline_cv()
    rows = [{"item": {"id": "oos-clinical-01", "split": "train", "expect_refusal": True, "source_file": "a.jsonl"}},
            {"item": {"id": "oos-clinical-s2-01", "split": "train", "expect_refusal": True, "source_file": "a.jsonl"}},
            {"item": {"id": "oos-near-miss5-001", "split": "train", "expect_refusal": True, "source_file": "b.jsonl"}},
            {"item": {"id": "b1-01", "split": "dev"}}]
    near, far = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    vectors = np.array([near, near, far, near])  # the two batch-mates and the bank question ask the same
    questions = np.array([[0.6, 0.8]])  # one section question, between the two topics
    votes = cv.decline_votes(rows, vectors, questions, references=[0.6] * 4)
    # its twin left out, a written question meets only the section question (0.6) within the window
    assert votes[0] == votes[1] == 0.0
    # the bank question meets both twins (1.0) and the section question
    assert votes[3] == 2 / 3
    assert cv.batch_of(rows[1]["item"]) == "a.jsonl" and cv.batch_of(rows[3]["item"]) == "bank dev"


class _NamedEmbedder:
    """A fingerprint, and an embed that records what it was asked (every text gets the same vector), so a test
    sees whether the stored vectors were used."""

    def __init__(self, fingerprint: str):
        self.fingerprint = fingerprint
        self.embedded: list[str] = []

    def embed(self, texts):
        self.embedded.extend(texts)
        return np.tile(np.eye(1, 4), (len(texts), 1))


def test_stored_example_vectors_are_used_only_with_the_embedder_that_made_them():
    from bot.decline_model import encode_vectors

    vectors = np.array([[0.6, 0.8, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    data = json.loads(MODEL_PATH.read_text())
    data["decline_examples"] = {"texts": ["a", "b"], "margin": 0.1, "vectors": encode_vectors(vectors),
                                "fingerprint": "fake:1"}
    same = _NamedEmbedder("fake:1")
    assert np.allclose(DeclineModel(data).example_vectors(same), vectors, atol=1e-3) and same.embedded == []
    other = _NamedEmbedder("fake:2")
    assert DeclineModel(data).example_vectors(other).tolist() == [[1, 0, 0, 0], [1, 0, 0, 0]]
    assert other.embedded == ["a", "b"]
    # one model, two embedders without a fingerprint: each gets its own vectors, never the other's
    model, first, second = DeclineModel(data), _NamedEmbedder(""), _NamedEmbedder("")
    model.example_vectors(first)
    model.example_vectors(second)
    assert first.embedded == second.embedded == ["a", "b"]


def test_the_shipped_example_vectors_are_the_examples_as_the_bot_embeds_them(shared_embedder):
    """The stored vectors are the examples embedded by the default embedder (whose fingerprint they carry, so the
    bot uses them instead of embedding several hundred questions at start-up), in the order of the texts."""
    from bot.decline_model import decode_vectors

    model = DeclineModel.load()
    stored = model.data["decline_examples"]
    assert stored["fingerprint"] == shared_embedder.fingerprint, (
        "the stored vectors were made by another embedder, so every start-up embeds the examples again: re-run "
        "eval/fit_decline_model.py")
    vectors = decode_vectors(stored["vectors"], len(model.example_texts))
    assert vectors.shape == (len(model.example_texts), 384)
    sample = list(range(0, len(model.example_texts), 23))
    fresh = shared_embedder.embed([model.example_texts[i] for i in sample])
    assert np.min(np.sum(vectors[sample] * fresh, axis=1)) > 0.995
    assert np.allclose(model.example_vectors(shared_embedder), vectors)


def test_the_closest_passage_counts_as_much_as_a_section_question_against_an_example():
    """A question whose own passage is closer than the example (a sparsely annotated page) is not declined by it."""
    model = DeclineModel.load()
    uncentred = json.loads(MODEL_PATH.read_text(encoding="utf-8"))  # raw cosines (centred: tests/test_centred_examples)
    del uncentred["decline_examples"]["center"]
    raw = DeclineModel(uncentred)
    near = {"decline_example": 0.8, "section_question": 0.3, "top_dense": 0.3}
    assert raw.nearer_a_decline_example(near)
    assert not raw.nearer_a_decline_example({**near, "top_dense": 0.8 - raw.example_margin + 0.01})
    assert not raw.nearer_a_decline_example({**near, "section_question": 0.8 - raw.example_margin + 0.01})
    # no section question (documents from elsewhere): the closest passage alone, against the wider plain margin
    # on a page typical of the subject the examples were written against (PLAIN_SUBJECT at least the fit's minimum)
    assert model.example_margin < model.plain_example_margin < math.inf and 0.0 < model.plain_subject_min < 1.0
    plain = {"decline_example": 0.8, "top_dense": 0.3, "plain_subject": model.plain_subject_min}
    assert model.nearer_a_decline_example(plain)
    assert not model.nearer_a_decline_example({**plain, "top_dense": 0.8 - model.plain_example_margin + 0.01})
    assert model.nearer_a_decline_example({**plain, "top_dense": 0.8 - model.plain_example_margin - 0.01})
    # a page about another subject, or one the subject could not be measured for: the regression alone decides
    assert not model.nearer_a_decline_example({**plain, "plain_subject": model.plain_subject_min - 0.01})
    assert not model.nearer_a_decline_example({"decline_example": 0.8, "top_dense": 0.3})
    # a story of a patient at risk is spared on that path only (its cosine to plain pages runs low); against a
    # section question the rule holds for stories too
    assert not model.nearer_a_decline_example(plain, story=True)
    assert raw.nearer_a_decline_example(near, story=True)
    fitted_before = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    del fitted_before["decline_examples"]["plain_margin"]  # a model file from before session 11: the rule is off
    assert not DeclineModel(fitted_before).nearer_a_decline_example(plain)
    # the centroid is read only under the embedder that made it
    stored = model.data["decline_examples"]["plain_subject"]
    centroid = model.subject_centroid(SimpleNamespace(fingerprint=stored["fingerprint"]))
    assert centroid is not None and centroid.shape == (384,) and abs(float(np.linalg.norm(centroid)) - 1) < 1e-3
    assert model.subject_centroid(SimpleNamespace(fingerprint="another")) is None


@pytest.mark.parametrize("damage", ["absent", "no centroid", "short centroid", "no minimum", "no fingerprint"])
def test_an_incomplete_plain_subject_turns_the_plain_page_rule_off_without_breaking_the_model(damage):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    subject = data["decline_examples"]["plain_subject"]
    if damage == "absent":
        del data["decline_examples"]["plain_subject"]
    elif damage == "no centroid":
        del subject["centroid"]
    elif damage == "short centroid":
        subject["centroid"] = subject["centroid"][:10]
    elif damage == "no minimum":
        del subject["min"]
    else:
        subject["fingerprint"] = ""
    model = DeclineModel(data)
    assert model.plain_example_margin == math.inf and model.subject_centroid(SimpleNamespace(fingerprint="")) is None
    assert not model.nearer_a_decline_example({"decline_example": 0.9, "top_dense": 0.1, "plain_subject": 0.9})


def test_the_fit_scripts_stand_in_model_answers_through_the_real_pipeline(shared_index_settings, shared_embedder):
    """eval/fit_decline_model.py collects features through the Assistant with a stand-in that answers everything:
    it must offer every method the pipeline asks a decline model for, or the fit stops at its first question."""
    import sys

    from bot.index import Index
    from bot.pipeline import Assistant

    sys.path.insert(0, str(REPO))
    spec = importlib.util.spec_from_file_location("fit_decline_model", REPO / "eval" / "fit_decline_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stand_in = module._AnswerEverything()
    assistant = Assistant(shared_index_settings, index=Index(shared_index_settings, embedder=shared_embedder),
                          decline_model=stand_in)
    trace: dict = {}
    answer = assistant.answer("what is the wifi password for the staff room", trace=trace)
    assert answer.kind is AnswerKind.answered and "top_dense" in trace["features"]
