"""eval/cv_common.py (what the cross-validating eval scripts share): counting one answer as score.py counts it,
the fold assignment, and the held-out choice of a setting. Made-up questions and answers; the bank is not read."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cv():
    spec = importlib.util.spec_from_file_location("cv_common", REPO / "eval" / "cv_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(cv, item, answer) -> dict:
    return dict(zip(cv.SCORED, cv.score_row(item, answer).tolist()))


def test_an_answer_is_counted_as_score_py_counts_it(cv):
    item = {"id": "q1", "must_contain": ["Proxy  Access", "16"], "sources": ["https://example.org/guide/proxy-access/"]}
    answer = {"kind": "answered", "text": "proxy access\nstarts at 16.",
              "citations": [{"url": "https://mirror.example.net/guide/Proxy-Access?x=1"}]}
    assert _row(cv, item, answer) == {"must": 1, "cite": 1, "declines": 0, "wrong_declines": 0, "cite_n": 1,
                                      "uncited": 0, "too_long": 0}
    other = {**answer, "text": "proxy access " + "x" * 2500, "citations": [{"url": "http://example.org/other"}]}
    assert _row(cv, item, other) == {"must": 0, "cite": 0, "declines": 0, "wrong_declines": 0, "cite_n": 1,
                                     "uncited": 1, "too_long": 1}


def test_declines_are_counted_by_what_the_question_expects(cv):
    declined = {"kind": "not_covered", "text": "Not covered.", "citations": []}
    assert _row(cv, {"id": "a", "must_contain": ["x"]}, declined)["wrong_declines"] == 1
    assert _row(cv, {"id": "b", "expect_pii_warning": True}, declined)["wrong_declines"] == 0
    refused = _row(cv, {"id": "c", "expect_refusal": True}, {**declined, "kind": "out_of_scope"})
    assert refused["declines"] == 1 and refused["wrong_declines"] == 0 and refused["cite_n"] == 0
    assert _row(cv, {"id": "d", "expect_refusal": True}, {"kind": "answered", "text": "y"})["declines"] == 0


def test_folds_deal_every_question_once_and_depend_on_the_seed(cv):
    ids = [f"q{i}" for i in range(23)]
    dealt = cv.folds(ids, seed=7)
    assert len(dealt) == cv.FOLDS and sorted(i for fold in dealt for i in fold) == sorted(ids)
    assert {len(fold) for fold in dealt} == {4, 5}
    assert cv.folds(ids, seed=7) == dealt and cv.folds(ids, seed=1) != dealt


def test_a_setting_is_chosen_on_the_other_folds_only(cv):
    ids = [f"q{i}" for i in range(10)]
    first_fold = cv.folds(ids, seed=7, n_folds=2)[0]
    plain = {i: np.array([1, 1, 0, 0]) for i in ids}
    # the second setting gains must-contain only on the first fold's questions: chosen for the second fold only
    better_there = {i: np.array([2 if i in first_fold else 1, 1, 0, 0]) for i in ids}
    chosen = cv.held_out([plain, better_there], ids, seed=7, n_folds=2)
    assert [(best, test) for best, test in chosen] == [(0, first_fold), (1, cv.folds(ids, 7, 2)[1])]
    # a tie goes to the default setting, the first unless told otherwise
    assert [best for best, _ in cv.held_out([plain, dict(plain)], ids, seed=7, n_folds=2)] == [0, 0]
    assert [best for best, _ in cv.held_out([plain, dict(plain)], ids, 7, 2, defaults=[False, True])] == [1, 1]
    # must-contain first, then citations, declines and fewest wrong declines
    wrong = {i: np.array([1, 1, 0, 1]) for i in ids}
    more_cited = {i: np.array([1, 2, 0, 1]) for i in ids}
    assert {best for best, _ in cv.held_out([wrong, plain, more_cited], ids, 7, 2)} == {2}
    assert {best for best, _ in cv.held_out([wrong, plain], ids, 7, 2)} == {1}
    assert {best for best, _ in cv.held_out([plain, {i: np.array([0, 2, 1, 0]) for i in ids}], ids, 7, 2)} == {0}
