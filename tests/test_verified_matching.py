"""Calibrates when a verified answer may stand in for a new question (the VERIFIED_MIN_SIMILARITY setting).

A verified answer is reused only for a question that means the same, never for a merely related one.
The pairs are in tests/fixtures/verified_pairs.yaml; the threshold must separate them."""

from pathlib import Path

import pytest
import yaml

from bot.pipeline import same_specifics
from bot.settings import default_of

VERIFIED_MIN_SIMILARITY = default_of("verified_min_similarity")
PAIRS = yaml.safe_load((Path(__file__).parent / "fixtures" / "verified_pairs.yaml").read_text())


@pytest.fixture(scope="module")
def similarities(shared_embedder):
    out = []
    for pair in PAIRS:
        vectors = shared_embedder.embed([pair["verified"], pair["asked"]])
        out.append((pair, float(vectors[0] @ vectors[1])))
    return out


def reused(pair, similarity):
    return similarity >= VERIFIED_MIN_SIMILARITY and same_specifics(pair["asked"], pair["verified"])


def test_pairs_cover_both_sides():
    assert sum(p["same"] for p in PAIRS) >= 5 and sum(not p["same"] for p in PAIRS) >= 5


def test_threshold_reuses_every_paraphrase_and_no_related_question(similarities):
    wrong = [(p["asked"], round(s, 3)) for p, s in similarities if reused(p, s) != p["same"]]
    assert not wrong, f"threshold {VERIFIED_MIN_SIMILARITY} misjudges: {wrong}"


def test_threshold_sits_inside_the_gap_by_similarity_alone(similarities):
    """Ignoring the numbers/systems check, the threshold still lies between the related questions
    (that share no specifics with the verified one) and the paraphrases."""
    positives = [s for p, s in similarities if p["same"]]
    plain_negatives = [s for p, s in similarities if not p["same"] and same_specifics(p["asked"], p["verified"])]
    assert max(plain_negatives) < VERIFIED_MIN_SIMILARITY <= min(positives)


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("the 104 code", "the 106 code", False),
        ("in SystmOne", "in EMIS Web", False),
        ("the 104 code in EMIS", "104 code on EMIS Web", True),
        ("turns 11", "turns 16", False),
        ("how do I hide a letter", "how can I stop a letter showing", True),
    ],
)
def test_same_specifics(a, b, same):
    assert same_specifics(a, b) is same
