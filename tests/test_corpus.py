"""The knowledge corpus passes its structural and safety checks (tests/corpus_checks.py and
tests/corpus_source_checks.py say what each checks), and the checks catch a planted mistake in a copy.

The sources annotations' own planted-mistake tests are in tests/test_corpus_sources.py.
"""

from __future__ import annotations

import re

import pytest
from corpus_checks import (
    DOCS,
    KNOWLEDGE,
    code_problems,
    codes_yaml_problems,
    copy_corpus,
    document_problems,
    duplicate_title_problems,
    fail_if,
    first_doc_with,
    glossary_problems,
    rel,
)
from corpus_source_checks import FACT_ID, load_fact_sources, references_problems, sources_problems

# ---------------------------------------------------------------------------------------------------
# tests on the real corpus


def test_knowledge_folder_has_documents():
    assert KNOWLEDGE.is_dir(), f"{KNOWLEDGE} does not exist"
    assert DOCS, "knowledge/ contains no *.md documents"
    for required in ("codes.yaml", "glossary.yaml", "README.md"):
        assert (KNOWLEDGE / required).is_file(), f"knowledge/{required} is missing"


# front matter and structure; every section cites pages the dossier gives for its facts
DOCUMENT_CHECKS = {"structure": document_problems, "sources": sources_problems}
# titles unique; codes.yaml entries; glossary shape; references.yaml entries
CORPUS_CHECKS = {"unique_titles": duplicate_title_problems, "codes_yaml": codes_yaml_problems,
                 "glossary": glossary_problems, "references_yaml": references_problems}


@pytest.mark.parametrize("check", DOCUMENT_CHECKS.values(), ids=DOCUMENT_CHECKS.keys())
@pytest.mark.parametrize("path", DOCS, ids=lambda p: rel(p, KNOWLEDGE))
def test_document(path, check):
    fail_if(check(path, KNOWLEDGE))


@pytest.mark.parametrize("check", CORPUS_CHECKS.values(), ids=CORPUS_CHECKS.keys())
def test_corpus(check):
    fail_if(check(KNOWLEDGE))


def test_every_code_is_known_and_described():
    fail_if(code_problems(KNOWLEDGE))


def test_fact_sources_yaml_shape():
    facts = load_fact_sources(KNOWLEDGE)
    assert facts, "knowledge/fact-sources.yaml is empty"
    bad = [k for k, urls in facts.items() if not FACT_ID.match(k) or not all(re.fullmatch(r"https?://\S+", u) for u in urls)]
    assert not bad, f"knowledge/fact-sources.yaml: bad ids or URLs for {bad}"


# ---------------------------------------------------------------------------------------------------
# the checks themselves catch mistakes (run on a tmp copy, never on the real files)

def test_checker_catches_a_wrong_code(tmp_path):
    root = copy_corpus(tmp_path)
    doc = first_doc_with(root, "1364731000000104")
    text = doc.read_text(encoding="utf-8")
    doc.write_text(text.replace("1364731000000104", "1364731000000105", 1), encoding="utf-8")
    problems = code_problems(root)
    assert any("1364731000000105" in p and doc.name in p for p in problems), problems


def test_checker_catches_a_code_without_its_description(tmp_path):
    root = copy_corpus(tmp_path)
    doc = first_doc_with(root, "1364731000000104")
    text = doc.read_text(encoding="utf-8")
    text = text.replace("Enhanced review indicated before granting access to own health record (situation)", "enhanced review")
    doc.write_text(text, encoding="utf-8")
    problems = code_problems(root)
    assert any("without its exact description" in p and doc.name in p for p in problems), problems


def test_checker_catches_bad_front_matter(tmp_path):
    root = copy_corpus(tmp_path)
    bad = root / "bad.md"
    bad.write_text(
        '---\ntitle: "x"\npublisher: [NHS England]\nsource_urls:\n  - http://example.org\n'
        'source_dates: ["2023-13-01", "undated"]\nlast_reviewed: 23/11/2026\ntopics: [a]\n'
        "clinical_systems: [vision]\naudience: [GPs]\n---\nno headings\n",
        encoding="utf-8",
    )
    joined = "\n".join(document_problems(bad, root))
    for expected in ("no https://", "parallel", "2023-13-01", "last_reviewed", "vision", "'# '", "'## '"):
        assert expected in joined, f"expected a problem mentioning {expected!r}, got:\n{joined}"
    assert "bad.md" in joined


def test_checker_catches_unknown_number_in_glossary(tmp_path):
    root = copy_corpus(tmp_path)
    glossary = root / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + '\n"999 code": ["123456789012"]\n', encoding="utf-8")
    assert any("123456789012" in p and "glossary.yaml" in p for p in code_problems(root))

