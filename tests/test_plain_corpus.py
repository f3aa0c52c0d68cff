"""eval/plain_corpus.py: the corpus as real pages would arrive (issue 10, item 3) — what it removes and keeps.

Run on the annotated test fixture copied to a tmp folder, through the real loader and chunker; no index is
built and the shared eval folder is never read."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ingest.annotations import CorpusAnnotations
from ingest.chunking import chunk_document
from ingest.loaders import load_file

REPO = Path(__file__).resolve().parents[1]
ANNOTATED = REPO / "tests" / "fixtures" / "annotated"
GUIDE = "guides/restricting-access.md"


def _plain_corpus():
    spec = importlib.util.spec_from_file_location("plain_corpus", REPO / "eval" / "plain_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _annotated_chunks(path: Path):
    return chunk_document(CorpusAnnotations.load(ANNOTATED).annotate(load_file(path), path))


def test_the_copy_holds_the_documents_only(tmp_path):
    count = _plain_corpus().write_plain_corpus(tmp_path / "plain", ANNOTATED)
    copied = sorted(p.relative_to(tmp_path / "plain").as_posix() for p in (tmp_path / "plain").rglob("*") if p.is_file())
    assert copied == [GUIDE, "plain-page.md"] and count == 2  # no questions.yaml, no references.yaml


def test_annotations_go_and_page_metadata_stays(tmp_path):
    _plain_corpus().write_plain_corpus(tmp_path / "plain", ANNOTATED)
    original, plain = load_file(ANNOTATED / GUIDE), load_file(tmp_path / "plain" / GUIDE)
    raw = (tmp_path / "plain" / GUIDE).read_text(encoding="utf-8")
    assert "<!--" not in raw and "facts:" not in raw
    for name in ("title", "publisher", "source_urls", "source_dates", "last_reviewed"):
        assert getattr(plain, name) == getattr(original, name), name
    assert original.topics and not plain.topics  # a real page carries no topic tags

    annotated = _annotated_chunks(ANNOTATED / GUIDE)
    chunks = chunk_document(CorpusAnnotations.load(tmp_path / "plain").annotate(plain, tmp_path / "plain" / GUIDE))
    assert any(c.questions for c in annotated) and any(c.line_sources for c in annotated)
    assert not any(c.questions or c.line_sources or c.references for c in chunks)
    # the same passages under the same headings: only the annotations differ
    assert [(c.heading_path, c.text) for c in chunks] == [(c.heading_path, c.text) for c in annotated]


def test_flat_copy_keeps_heading_words_without_their_markup(tmp_path):
    module = _plain_corpus()
    module.write_plain_corpus(tmp_path / "flat", ANNOTATED, flat=True)
    chunks = chunk_document(load_file(tmp_path / "flat" / GUIDE))
    assert all(len(c.heading_path) == 1 for c in chunks)  # the title only
    assert "Steps to restrict access" in "\n".join(c.text for c in chunks)


def test_keeping_every_annotation_gives_the_annotated_chunks(tmp_path):
    module = _plain_corpus()
    module.write_plain_corpus(tmp_path / "kept", ANNOTATED, keep=frozenset(module.ANNOTATIONS))
    path = tmp_path / "kept" / GUIDE
    chunks = chunk_document(CorpusAnnotations.load(tmp_path / "kept").annotate(load_file(path), path))
    annotated = _annotated_chunks(ANNOTATED / GUIDE)
    fields = lambda c: (c.heading_path, c.text, c.questions, c.line_sources, c.references, c.topics)  # noqa: E731
    assert [fields(c) for c in chunks] == [fields(c) for c in annotated]
