"""Checks on knowledge/questions.yaml: the staff-worded questions each corpus section answers.

Reads only the repository. The file maps a document path (relative to knowledge/) to a mapping of heading
text ("" for the lead paragraph before the first "##") to 2-4 questions. Checked here:
- it parses, every document path exists, every heading key is a "##"/"###" heading of that document;
- every section and every lead paragraph of every corpus document has 2-4 distinct, non-empty questions;
- no two questions in the file are the same (after normalisation);
- every SNOMED-length number (9-18 digits) a question names is a code in knowledge/codes.yaml and appears in
  the text of the section the question points at (a question never brings a code its section lacks);
- no question shares a normalised five-word run with the question bank, by the sha1 hashes in
  tests/fixtures/bank-5gram-hashes.txt (written by eval/bank_shingles.py; the bank's wording is not in the repo).
The normalisation (lower-case, runs of letters and digits) is the one in eval/bank_shingles.py; a test below
checks that the two agree on a sample. Self-tests prove the five-word check and the structure checks fail
when they should.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"
QUESTIONS = KNOWLEDGE / "questions.yaml"
BANK_HASHES = REPO / "tests" / "fixtures" / "bank-5gram-hashes.txt"
NOT_DOCUMENTS = {"README.md"}
HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
WORD = re.compile(r"[a-z0-9]+")
N = 5
MIN_QUESTIONS, MAX_QUESTIONS = 2, 4


def normalised_words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def five_gram_hashes(text: str) -> set[str]:
    words = normalised_words(text)
    return {hashlib.sha1(" ".join(words[i : i + N]).encode()).hexdigest() for i in range(len(words) - N + 1)}


def body_of(text: str) -> str:
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return "\n".join(lines[i + 1 :])
    return text


def body_sections(path: Path) -> list[tuple[str, list[str]]]:
    """The body as (heading key, lines) in order: "" for the lead (the text before the first "##"), then each
    "##"/"###" heading; comment lines and "#" headings left out, headings inside a fenced block ignored."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in body_of(path.read_text(encoding="utf-8")).splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match and len(match.group(1)) >= 2:
            sections.append((match.group(2).strip(), []))
        elif not match and not line.strip().startswith("<!--"):
            sections[-1][1].append(line)
    return sections


def section_keys(path: Path) -> list[str]:
    """"" for the lead paragraph (when the document has text before its first "##"), then each heading."""
    (_, lead), *headed = body_sections(path)
    return ([""] if any(line.strip() for line in lead) else []) + [key for key, _ in headed]


LONG_NUMBER = re.compile(r"(?<!\d)\d{9,18}(?!\d)")


def section_texts(path: Path) -> dict[str, str]:
    """Heading key ("" for the lead) -> that section's text, comment lines left out."""
    texts: dict[str, list[str]] = {}
    for key, lines in body_sections(path):
        texts.setdefault(key, []).extend(lines)
    return {k: "\n".join(v) for k, v in texts.items()}


def code_problems(data: dict, root: Path) -> list[str]:
    codes = yaml.safe_load((root / "codes.yaml").read_text(encoding="utf-8"))["codes"]
    known = {str(entry["id"]) for entry in codes}
    documents = corpus_documents(root)
    problems: list[str] = []
    for doc, heading, q in all_questions(data):
        numbers = LONG_NUMBER.findall(q)
        if not numbers or doc not in documents:
            continue
        text = section_texts(documents[doc]).get(heading, "")
        for number in numbers:
            if number not in known:
                problems.append(f"{doc} / {heading!r}: {number} is not a code in knowledge/codes.yaml: {q!r}")
            elif number not in text:
                problems.append(f"{doc} / {heading!r}: {number} is not in the section's text: {q!r}")
    return problems


def corpus_documents(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in sorted(root.rglob("*.md"))
        if p.name not in NOT_DOCUMENTS and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def load_questions(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level must be a mapping of document path -> sections"
    return data


def structure_problems(data: dict, root: Path) -> list[str]:
    problems: list[str] = []
    documents = corpus_documents(root)
    for doc, sections in data.items():
        if doc not in documents:
            problems.append(f"{doc}: no such document under knowledge/")
            continue
        if not isinstance(sections, dict):
            problems.append(f"{doc}: must map heading text to a list of questions")
            continue
        headings = set(section_keys(documents[doc]))
        for heading, questions in sections.items():
            if heading not in headings:
                problems.append(f"{doc}: {heading!r} is not a heading of the document")
            if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
                problems.append(f"{doc} / {heading!r}: questions must be a list of non-empty strings")
                continue
            if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
                problems.append(f"{doc} / {heading!r}: {len(questions)} questions, want {MIN_QUESTIONS}-{MAX_QUESTIONS}")
    for doc, path in documents.items():
        given = data.get(doc) if isinstance(data.get(doc), dict) else {}
        for heading in section_keys(path):
            if heading not in given:
                problems.append(f"{doc} / {heading!r}: section has no questions")
    return problems


def all_questions(data: dict) -> list[tuple[str, str, str]]:
    return [
        (doc, heading, q)
        for doc, sections in data.items()
        if isinstance(sections, dict)
        for heading, questions in sections.items()
        if isinstance(questions, list)
        for q in questions
        if isinstance(q, str)
    ]


def duplicate_problems(data: dict) -> list[str]:
    seen: dict[str, str] = {}
    problems: list[str] = []
    for doc, heading, q in all_questions(data):
        key = " ".join(normalised_words(q))
        where = f"{doc} / {heading!r}"
        if key in seen:
            problems.append(f"{where}: question repeats one under {seen[key]}: {q!r}")
        else:
            seen[key] = where
    return problems


def bank_overlap_problems(data: dict, bank_hashes: set[str]) -> list[str]:
    """Questions sharing a five-word run with the bank (the run itself is not shown: it is bank wording)."""
    return [
        f"{doc} / {heading!r}: shares a five-word run with a question-bank question: {q!r}"
        for doc, heading, q in all_questions(data)
        if five_gram_hashes(q) & bank_hashes
    ]


@pytest.fixture(scope="module")
def questions() -> dict:
    return load_questions(QUESTIONS)


@pytest.fixture(scope="module")
def bank_hashes() -> set[str]:
    hashes = {line.strip() for line in BANK_HASHES.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert hashes and all(re.fullmatch(r"[0-9a-f]{40}", h) for h in hashes), "hash file must hold sha1 hex lines"
    return hashes


def test_questions_cover_every_section_with_two_to_four(questions):
    assert structure_problems(questions, KNOWLEDGE) == []


def test_no_two_questions_are_the_same(questions):
    assert duplicate_problems(questions) == []


def test_no_question_shares_five_words_with_the_bank(questions, bank_hashes):
    assert bank_overlap_problems(questions, bank_hashes) == []


def test_codes_named_in_questions_are_real_and_in_their_section(questions):
    assert code_problems(questions, KNOWLEDGE) == []


def test_code_check_catches_an_unknown_code_and_a_code_its_section_lacks():
    doc = "codes/106-code-reversing-104.md"
    planted = {doc: {"": ["is 1364731000000999 a code?"], "What the 106 code does": ["what is 1290331000000103?"]}}
    problems = "\n".join(code_problems(planted, KNOWLEDGE))
    assert "1364731000000999 is not a code in knowledge/codes.yaml" in problems
    assert "1290331000000103 is not in the section's text" in problems


def test_the_five_word_check_catches_an_overlap(questions):
    doc, heading, question = all_questions(questions)[0]
    planted = {doc: {heading: [f"so {question} and more"]}}
    words = normalised_words(question)
    assert len(words) >= N, "the first question is too short to plant"
    only_one_run = {five_gram_hashes(" ".join(words[1 : 1 + N])).pop()}
    assert bank_overlap_problems(planted, only_one_run) != []
    assert bank_overlap_problems({doc: {heading: ["four words only here"]}}, only_one_run) == []
    # punctuation and case do not hide a shared run
    shouted = " ".join(w.upper() + "," for w in words[1 : 1 + N])
    assert bank_overlap_problems({doc: {heading: [shouted]}}, only_one_run) != []


def test_structure_checks_catch_a_missing_section_a_wrong_heading_and_a_bad_count(questions, tmp_path):
    broken = {doc: dict(sections) for doc, sections in questions.items()}
    doc = next(iter(broken))
    heading = next(h for h in broken[doc] if h)
    del broken[doc][heading]
    broken[doc]["A heading the document lacks"] = ["one?", "two?"]
    broken[doc][""] = ["only one?"]
    broken["no-such-folder/nothing.md"] = {"": ["a?", "b?"]}
    problems = "\n".join(structure_problems(broken, KNOWLEDGE))
    assert f"{heading!r}: section has no questions" in problems
    assert "'A heading the document lacks' is not a heading" in problems
    assert "1 questions, want 2-4" in problems
    assert "no-such-folder/nothing.md: no such document" in problems


def test_duplicate_check_catches_a_repeat_in_other_case_and_punctuation():
    data = {"a.md": {"": ["Can we hide it?", "can we HIDE it"]}}
    assert len(duplicate_problems(data)) == 1


def test_normalisation_matches_the_script_that_writes_the_hashes():
    spec = importlib.util.spec_from_file_location("bank_shingles", REPO / "eval" / "bank_shingles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sample = "Can we switch OFF the pt's NHS App access - today, 104 code?"
    assert module.five_gram_hashes(sample) == five_gram_hashes(sample)
