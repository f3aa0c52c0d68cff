"""The sources-annotation checks (tests/corpus_source_checks.py) catch a planted mistake in a copy of the
corpus, and eval/fact_sources.py reads the dossier's shorthand. Run on a tmp copy, never on the real files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from corpus_checks import KNOWLEDGE, copy_corpus, document_paths, split_front_matter
from corpus_source_checks import SOURCES_LINE, load_fact_sources, page_key, references_problems, sources_problems


def _sources_line(doc: Path) -> tuple[str, str]:
    """The first section sources comment of a copied document that cites exactly one URL, and that URL."""
    for line in doc.read_text(encoding="utf-8").splitlines():
        match = SOURCES_LINE.match(line.strip())
        if match and len(match["urls"].split()) == 1:
            return line, match["urls"].split()[0]
    pytest.skip(f"{doc.name} has no single-URL sources comment")


def test_checker_catches_a_url_the_dossier_does_not_give_for_the_facts(tmp_path):
    root = copy_corpus(tmp_path)
    doc = document_paths(root)[0]
    line, url = _sources_line(doc)
    text = doc.read_text(encoding="utf-8")
    fm = yaml.safe_load(split_front_matter(text)[0])
    match = SOURCES_LINE.match(line.strip())
    facts = match["facts"].split()
    supported = {page_key(u) for f in facts for u in load_fact_sources(root)[f]}
    # a page that is listed in the document and in references.yaml, but is not one the dossier gives for these facts
    wrong = next(u for u in fm["source_urls"] if page_key(u) not in supported)
    doc.write_text(text.replace(line, line.replace(url, wrong), 1), encoding="utf-8")
    problems = sources_problems(doc, root)
    assert any(wrong in p and "not a page the dossier gives" in p for p in problems), problems


def test_checker_catches_a_missing_or_unknown_source(tmp_path):
    root = copy_corpus(tmp_path)
    doc = document_paths(root)[0]
    line, url = _sources_line(doc)
    text = doc.read_text(encoding="utf-8")
    unknown = "https://example.org/not-a-source"
    doc.write_text(text.replace(line, line.replace(url, unknown), 1), encoding="utf-8")
    problems = sources_problems(doc, root)
    assert any(unknown in p and "references.yaml" in p for p in problems), problems
    assert any(unknown in p and "source_urls" in p for p in problems), problems
    headings = [l for l in text.splitlines() if l.startswith("## ")]
    stripped = re.sub(r"(?m)^(" + re.escape(headings[0]) + r")\n<!-- sources:.*-->$", r"\1", text, count=1)
    doc.write_text(stripped, encoding="utf-8")
    assert any(headings[0] in p and "not directly followed" in p for p in sources_problems(doc, root))


def test_checker_catches_a_mirror_host_as_the_same_page():
    assert page_key("https://nhsd-proxy.dokku3.ebmdatalab.net/services/x/y") == page_key("https://digital.nhs.uk/services/x/y/")
    assert page_key("https://digital.nhs.uk//services/a") == page_key("https://digital.nhs.uk/services/a")
    assert page_key("https://a.example/p?id=1") != page_key("https://a.example/p?id=2")


def test_checker_catches_a_canonical_address_that_is_not_the_same_page(tmp_path):
    root = copy_corpus(tmp_path)
    path = root / "references.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  canonical: https://digital.nhs.uk/" in text
    path.write_text(text.replace("  canonical: https://digital.nhs.uk/", "  canonical: https://digital.nhs.uk/x", 1),
                    encoding="utf-8")
    assert any("canonical" in p for p in references_problems(root))


def test_checker_catches_a_bad_reference_entry(tmp_path):
    root = copy_corpus(tmp_path)
    refs = root / "references.yaml"
    refs.write_text(
        refs.read_text(encoding="utf-8")
        + '- url: https://example.org/page\n  title: ""\n  publisher: X\n  date: "7 Dec 2022"\n  title_source: guess\n',
        encoding="utf-8",
    )
    entries = yaml.safe_load(refs.read_text(encoding="utf-8"))
    entries[0]["date"] = "1999-01-01"  # no document gives this date for that page
    refs.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    joined = "\n".join(references_problems(root))
    for expected in ("'title'", "7 Dec 2022", "title_source", "not a source_urls entry", "'1999-01-01'"):
        assert expected in joined, f"expected a problem mentioning {expected!r}, got:\n{joined}"


def test_fact_sources_script_reads_the_dossier_shorthand():
    """eval/fact_sources.py on a made-up dossier (the real one is outside the repo and never read here)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fact_sources", KNOWLEDGE.parent / "eval" / "fact_sources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dossier = "\n".join([
        "- **F01** Redaction hides. Source: https://a.example/redact/ (v1.1, 12 May 2023)",
        "- **F02** Same principles. Source: same as F01.",
        "- **N01** Two pages. Source: https://b.example/guide/bulk ; .../opt-in",
        "- **A03** Early adopters. Source: a page stored via a redirect, date not shown.",
        "- **M05** Long-reads. Source: URLs in F01, N01 and https://c.example/register/",
        "- **T03 Bulk coding.** NHSE advises against (F02); a blogger disagreed (https://d.example/blog/).",
        "- **K06** Mirror. Source: https://nhsd-proxy.dokku3.ebmdatalab.net/services/x ; https://digital.nhs.uk//services/y",
    ])
    facts = module.resolve(module.parse_facts(dossier))
    assert facts["F01"] == ["https://a.example/redact/"]
    assert facts["F02"] == ["https://a.example/redact/"]
    assert facts["N01"] == ["https://b.example/guide/bulk", "https://b.example/guide/opt-in"]
    assert facts["A03"] == []
    assert facts["M05"] == ["https://c.example/register/", "https://a.example/redact/",
                            "https://b.example/guide/bulk", "https://b.example/guide/opt-in"]
    assert facts["T03"] == ["https://d.example/blog/", "https://a.example/redact/"]
    assert facts["K06"] == ["https://nhsd-proxy.dokku3.ebmdatalab.net/services/x", "https://digital.nhs.uk//services/y"]
