"""Checks on the question files written for evaluation and fitting (`eval/*.jsonl`): the held-out sets
(fresh, fresh2, fresh3, fresh4) and the training questions of the decline and safeguarding fits.

They are our own wording, so none may share a normalised five-word run with the question bank (a question or a
thread's earlier question), by the bank's hashes in tests/fixtures/bank-5gram-hashes.txt, the same check
knowledge/questions.yaml gets; and each line is a question record the eval and fit scripts can read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_corpus_questions import BANK_HASHES, five_gram_hashes

EVAL = Path(__file__).resolve().parent.parent / "eval"
QUESTION_FILES = sorted(EVAL.glob("*.jsonl"))


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def bank_overlaps(rows: list[dict], bank: set[str]) -> list[str]:
    """The ids of the rows whose question or history shares a five-word run with the bank."""
    return [row["id"] for row in rows
            if any(five_gram_hashes(text) & bank for text in [row["question"], *(row.get("history") or [])])]


@pytest.fixture(scope="module")
def bank_hashes() -> set[str]:
    return set(BANK_HASHES.read_text(encoding="utf-8").split())


def test_the_held_out_sets_are_all_there():
    names = {path.name for path in QUESTION_FILES}
    assert {f"fresh{n}-questions.jsonl" for n in ("", "2", "3", "4")} <= names


@pytest.mark.parametrize("path", QUESTION_FILES, ids=lambda p: p.name)
def test_no_question_shares_five_words_with_the_bank(path, bank_hashes):
    assert bank_overlaps(records(path), bank_hashes) == []


@pytest.mark.parametrize("path", QUESTION_FILES, ids=lambda p: p.name)
def test_every_line_is_a_question_record(path):
    rows = records(path)
    assert rows
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "ids repeat"
    for row in rows:
        assert isinstance(row["question"], str) and row["question"].strip(), row["id"]
        assert isinstance(row.get("history", []), list), row["id"]
        if row.get("expect_refusal"):
            assert not row.get("must_contain"), f"{row['id']}: a question to decline has must_contain"


def test_the_overlap_check_catches_a_run_in_a_thread_history():
    words = "when does the new contract start"
    bank = {five_gram_hashes(words).pop()}
    assert bank_overlaps([{"id": "x", "question": "unrelated words here", "history": [words.upper() + "?"]}],
                         bank) == ["x"]
    assert bank_overlaps([{"id": "y", "question": "four words only here"}], bank) == []
