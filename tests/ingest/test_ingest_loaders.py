"""Loaders and chunking on files the tests create (no model, no index)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from ingest.chunking import CHUNK_SIZE, chunk_document, chunk_id
from ingest.fetch import load_targets_file
from ingest.loaders import discover, discover_with_skips, doc_id_for_path, load_file
from ingest.readers import LoadError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _pdf_bytes(lines: list[str], title: str | None = "Proxy access leaflet") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setTitle(title)
    y = 800
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 18
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


FRONT = """---
title: "Redaction guide"
publisher: NHS England
source_urls: https://example.org/redaction
source_dates: ["2024-01-02", "undated", "2024-03"]
last_reviewed: 2025-02-03
topics: redaction
clinical_systems: [emis, systmone]
audience: [practice managers]
---
# Redaction guide

Redaction hides an entry from the patient's online view.

## Third-party information
Information about another person is reviewed before release.
"""


def test_markdown_front_matter_scalars_become_lists(tmp_path):
    doc = load_file(_write(tmp_path / "redaction.md", FRONT))
    assert doc.title == "Redaction guide"
    assert doc.publisher == ["NHS England"]
    assert doc.source_urls == ["https://example.org/redaction"]
    assert doc.topics == ["redaction"]
    assert doc.clinical_systems == ["emis", "systmone"]
    assert doc.last_reviewed == "2025-02-03"
    assert doc.published == "2024-03"
    assert doc.doc_id == doc.source == str(tmp_path / "redaction.md")  # outside the cwd: absolute
    assert not doc.text.startswith("---")


def test_doc_id_is_relative_inside_cwd(tmp_path, monkeypatch):
    path = _write(tmp_path / "sub" / "a.md", "# A\n\nText here.\n")
    monkeypatch.chdir(tmp_path)
    assert doc_id_for_path(path) == "sub/a.md"
    assert load_file(Path("sub/a.md")).doc_id == "sub/a.md"


def test_markdown_without_front_matter(tmp_path):
    doc = load_file(_write(tmp_path / "notes.md", "Intro line.\n\n## Handy heading\n\nBody text.\n"))
    assert doc.title == "Handy heading"
    assert doc.source_urls == [doc.doc_id]
    assert doc.clinical_systems == ["any"]
    plain = load_file(_write(tmp_path / "no-headings_here.txt", "Just some words about access.\n"))
    assert plain.title == "No headings here"


def test_source_line(tmp_path):
    doc = load_file(_write(tmp_path / "saved.txt", "SOURCE: https://example.org/page\n# Saved page\n\nSaved text.\n"))
    assert doc.source_urls == ["https://example.org/page"]
    assert doc.title == "Saved page"
    assert "SOURCE:" not in doc.text
    assert doc.doc_id == str(tmp_path / "saved.txt")


@pytest.mark.parametrize("content", ["", "   \n\n", "---\ntitle: Only front matter\n---\n\n"])
def test_empty_document(tmp_path, content):
    with pytest.raises(LoadError, match="empty document"):
        load_file(_write(tmp_path / "empty.md", content))


def test_bad_front_matter(tmp_path):
    with pytest.raises(LoadError, match="front matter"):
        load_file(_write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\n# X\n\ntext\n"))


HTML = """<!DOCTYPE html><html><head><title>Hiding test results | Example NHS</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li><a href="/c">Contact</a></li></ul></nav></header>
<main><article><h1>Hiding test results</h1>
<p>Practices can hide a test result from the online record until a clinician has discussed it with the patient.</p>
<h2>In EMIS Web</h2>
<p>In EMIS Web, a result is hidden by setting its online visibility before it is filed, so the patient does not see it.</p>
</article></main>
<footer><p>Cookie settings</p><p>Privacy policy</p></footer></body></html>"""


def test_html_main_text(tmp_path):
    doc = load_file(_write(tmp_path / "page.html", HTML))
    assert "Hiding test results" in doc.title
    assert "online visibility" in doc.text
    assert "## In EMIS Web" in doc.text
    assert "About us" not in doc.text and "Cookie settings" not in doc.text
    chunks = chunk_document(doc)
    assert any(c.heading_path[-1] == "In EMIS Web" for c in chunks) or "In EMIS Web" in chunks[0].text


def test_html_source_comment(tmp_path):
    doc = load_file(_write(tmp_path / "saved.htm", "<!-- SOURCE: https://example.org/x -->\n" + HTML))
    assert doc.source_urls == ["https://example.org/x"]


def test_html_without_main_text(tmp_path):
    nav_only = "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav></body></html>"
    with pytest.raises(LoadError, match="no main text"):
        load_file(_write(tmp_path / "nav.html", nav_only))


def test_pdf(tmp_path):
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(_pdf_bytes(["Proxy access lets a carer see a record.", "Ask the practice for a form."]))
    doc = load_file(path)
    assert doc.title == "Proxy access leaflet"
    assert "Proxy access lets a carer see a record." in doc.text
    untitled = tmp_path / "carer-form.pdf"
    untitled.write_bytes(_pdf_bytes(["Some text."], title=None))
    assert load_file(untitled).title  # falls back to the file name when the PDF has no title


def test_corrupt_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n this is not really a pdf \x00\x01\x02")
    with pytest.raises(LoadError, match="corrupt PDF"):
        load_file(path)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(_pdf_bytes(["Some text here."])[:200])
    with pytest.raises(LoadError, match="corrupt PDF|no text"):
        load_file(truncated)


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf_bytes(["Secret text."]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_file(path)


def test_discover_skips_readme_yaml_hidden_and_says_why(tmp_path):
    for name in ["a.md", "README.md", "glossary.yaml", "x.yml", "sub/b.html", "sub/c.pdf", "sub/d.txt", ".hidden/e.md",
                 "f.docx", "old.doc", "sheet.xlsx", ".DS_Store"]:
        _write(tmp_path / name, "x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["a.md", "f.docx", "sub/b.html", "sub/c.pdf", "sub/d.txt"]
    _, skipped = discover_with_skips(tmp_path)
    reasons = {s.path.relative_to(tmp_path).as_posix(): s.reason for s in skipped}
    assert set(reasons) == {".hidden", ".DS_Store", "README.md", "glossary.yaml", "x.yml", "old.doc", "sheet.xlsx"}
    assert "YAML" in reasons["glossary.yaml"] and ".docx" in reasons["old.doc"] and "README" in reasons["README.md"]
    assert reasons[".hidden"] == "hidden folder" and "spreadsheet" in reasons["sheet.xlsx"]


def test_sources_yaml_formats(tmp_path):
    assert load_targets_file(tmp_path / "missing.yaml") == []
    a = _write(tmp_path / "a.yaml", "sources:\n  - url: https://a.example/x\n    title: X\n  - url: https://a.example/y\n")
    assert load_targets_file(a) == ["https://a.example/x", "https://a.example/y"]
    b = _write(tmp_path / "b.yaml", "- https://b.example/1\n- https://b.example/2\n")
    assert load_targets_file(b) == ["https://b.example/1", "https://b.example/2"]
    with pytest.raises(LoadError):
        load_targets_file(_write(tmp_path / "c.yaml", "sources: [unclosed\n"))


# ------------------------------------------------------------------------------------------ chunking
def test_chunks_keep_heading_path_and_metadata(tmp_path):
    doc = load_file(_write(tmp_path / "redaction.md", FRONT))
    chunks = chunk_document(doc)
    assert chunks[0].heading_path[0] == "Redaction guide"
    assert all(c.title == "Redaction guide" and c.publisher == ["NHS England"] for c in chunks)
    assert all(c.published == "2024-03" and c.last_reviewed == "2025-02-03" for c in chunks)
    assert len({c.content_hash for c in chunks}) == 1
    text = " ".join(c.text for c in chunks)
    assert "Redaction hides" in text and "another person" in text  # tiny sections merged, nothing lost
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))


def _long_doc(extra: str = "") -> str:
    paragraphs = "\n\n".join(
        f"Paragraph {i} explains one rule about online record access in enough words to matter. " * 3 for i in range(6)
    )
    items = "\n".join(
        f"{i}. Step {i}: open the record, check every entry for third-party details, then save it with care and record the decision." * 1
        for i in range(1, 16)
    )
    return (
        "---\ntitle: Long guide\n---\n# Long guide\n\nIntro paragraph that answers the question directly and is long enough "
        "to stand alone as a chunk of its own, with several words.\n\n"
        f"## Rules\n\n{paragraphs}\n\n## Steps\n\n{items}\n\n### Detail\n\n{extra}Detail text about the steps, long enough to be kept "
        "as its own passage in the index, with a few more words to pass the minimum size for a chunk. "
        "A second sentence makes sure that this detail section is clearly longer than the smallest chunk.\n"
    )


def test_long_sections_split_but_list_items_whole(tmp_path):
    doc = load_file(_write(tmp_path / "long.md", _long_doc()))
    chunks = chunk_document(doc)
    assert all(len(c.text) <= 1200 for c in chunks)
    steps = [c for c in chunks if c.heading_path[-1] == "Steps"]
    assert len(steps) >= 2
    for c in steps:
        for line in c.text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            assert re.match(r"^\d+\. Step \d+: open the record.*decision\.$", line), line
    assert any(c.heading_path == ["Long guide", "Steps", "Detail"] for c in chunks)
    assert max(len(c.text) for c in chunks) <= CHUNK_SIZE + 300


def test_chunk_ids_deterministic_and_local(tmp_path):
    path = _write(tmp_path / "long.md", _long_doc())
    first = chunk_document(load_file(path))
    again = chunk_document(load_file(path))
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    _write(path, _long_doc(extra="A changed sentence. "))
    changed = chunk_document(load_file(path))
    before, after = {c.chunk_id for c in first}, {c.chunk_id for c in changed}
    assert before != after
    assert len(before & after) >= len(before) - 1  # only the changed passage gets a new id
    assert chunk_id("d", ["T"], "x", 0) != chunk_id("d", ["T"], "x", 1)


def test_duplicate_passages_get_distinct_ids(tmp_path):
    body = "Repeated passage about access that is long enough not to be merged into a neighbour, " * 3
    doc = load_file(_write(tmp_path / "dup.md", f"# Dup\n\n## A\n\n{body}\n\n## A\n\n{body}\n"))
    chunks = chunk_document(doc)
    assert len(chunks) == len({c.chunk_id for c in chunks})
