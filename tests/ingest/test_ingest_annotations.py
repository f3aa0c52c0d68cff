"""Corpus annotations at ingest: sources comments stripped and recorded per line, references and section
questions attached; documents without annotations are chunked as before."""

from __future__ import annotations

from pathlib import Path

from bot.units import split_units
from ingest.annotations import CorpusAnnotations, source_segments
from ingest.chunking import chunk_document
from ingest.loaders import load_file

ANNOTATED = Path(__file__).resolve().parents[1] / "fixtures" / "annotated"
GUIDANCE = "https://example.org/guidance/safeguarding-and-inappropriate-use"
TOOLKIT = "https://example.org/toolkit/chapter-7"


def _chunks(name: str):
    path = ANNOTATED / name
    return chunk_document(CorpusAnnotations.load(ANNOTATED).annotate(load_file(path), path))


def test_sources_comments_are_never_passage_text():
    text, segments = source_segments(load_file(ANNOTATED / "guides" / "restricting-access.md").text)
    assert "<!--" not in text and "facts:" not in text
    assert [s.urls for s in segments][:3] == [[GUIDANCE], [TOOLKIT], [GUIDANCE]]
    chunks = _chunks("guides/restricting-access.md")
    assert chunks and all("<!--" not in c.text and "sources:" not in c.text for c in chunks)


def test_each_line_knows_the_page_that_supports_it():
    chunks = _chunks("guides/restricting-access.md")
    lead = next(c for c in chunks if c.chunk_index == 0)
    assert lead.sources_of("A practice can switch off or restrict one patient's online record access") == [GUIDANCE]
    steps = next(c for c in chunks if "Discuss the patient" in c.text)
    # a comment before one list item changes the source from that item on, up to the next comment or heading
    assert steps.sources_of("1. Discuss the patient with the practice safeguarding lead") == [TOOLKIT]
    assert steps.sources_of("2. Open the patient's online account settings") == [GUIDANCE]
    assert steps.sources_of("3. Record why access was changed") == [GUIDANCE]
    assert steps.references[GUIDANCE] == {"title": "Safeguarding and managing inappropriate use",
                                          "publisher": "NHS England", "date": "2023-11-02"}


def test_section_questions_point_at_their_sections():
    chunks = _chunks("guides/restricting-access.md")
    by_question = {q: c for c in chunks for q in c.questions}
    assert "switch off or restrict" in by_question[
        "her husband makes her open the nhs app in front of him, can we turn it off"].text
    assert "Discuss the patient" in by_question["how do i actually block one person's app access"].text


def test_internal_notes_never_become_answer_units():
    units = [u.text for c in _chunks("guides/restricting-access.md") for u in split_units(c, 0)]
    assert units and not any("UNCONFIRMED" in u or "corpus" in u for u in units)


def test_a_document_without_annotations_is_chunked_as_before():
    chunks = _chunks("plain-page.md")
    assert chunks and all(not c.line_sources and not c.questions and not c.references for c in chunks)
    assert chunks[0].sources_of("A clinician can hide a single test result") == []
    assert chunks[0].url == "https://example.org/icb/hiding-results"
    # the same text without the annotation files at all: identical chunk ids (ids hash the text only)
    plain = chunk_document(load_file(ANNOTATED / "plain-page.md"))
    assert [c.chunk_id for c in plain] == [c.chunk_id for c in chunks]


def test_missing_or_broken_annotation_files_are_tolerated(tmp_path):
    (tmp_path / "questions.yaml").write_text("guides/x.md: [unclosed\n")
    loaded = CorpusAnnotations.load(tmp_path)
    assert loaded.questions == {} and loaded.references == {}
    doc = load_file(ANNOTATED / "guides" / "restricting-access.md")
    annotated = loaded.annotate(doc, ANNOTATED / "guides" / "restricting-access.md")  # outside its root
    assert annotated.questions == {}


def test_ingest_stores_sentence_and_question_vectors_and_backfills_sentence_vectors(tmp_path, counting):
    import shutil

    from ingest_helpers import embeds_for, ingest_settings

    from bot.index import Index
    from ingest.pipeline import run_ingest

    corpus = tmp_path / "corpus"
    shutil.copytree(ANNOTATED, corpus)
    settings = ingest_settings(tmp_path / "data", corpus)
    index = Index(settings, embedder=counting)
    assert not run_ingest(settings, [str(corpus)], index=index, progress=False).failed
    ids = list(index.chunk_refs())
    assert counting.reset() == embeds_for(index, ids)
    assert set(index.unit_vectors(ids)) == set(ids)
    assert index.questions.count() == 2  # one per annotated section in the fixture
    # an index whose sentence vectors are missing (built before they existed) gets them on the next update
    index.sentences.delete(ids)
    page = corpus / "plain-page.md"
    page.write_text(page.read_text().replace("[Example ICB]", "[Another ICB]"))
    run_ingest(settings, [str(corpus)], index=index, progress=False)
    plain_ids = [i for i, ref in index.chunk_refs().items() if ref["doc_id"].endswith("plain-page.md")]
    assert set(index.unit_vectors(plain_ids)) == set(plain_ids)


def test_new_splitting_rules_give_unchanged_documents_their_missing_unit_vectors(tmp_path, counting, monkeypatch):
    """Code that splits answer units differently (a new list or sentence rule) leaves an existing index with
    texts it has no vectors for; the next ingest embeds exactly those, though no document changed, and only once."""
    import shutil

    import numpy as np
    from ingest_helpers import ingest_settings

    import bot.index.index as index_module
    from bot.index import Index
    from bot.units import stored_texts, unit_key
    from ingest.pipeline import run_ingest

    corpus = tmp_path / "corpus"
    shutil.copytree(ANNOTATED, corpus)
    settings = ingest_settings(tmp_path / "data", corpus)
    index = Index(settings, embedder=counting)
    run_ingest(settings, [str(corpus)], index=index, progress=False)
    assert not index.splitting_changed()
    # as the older rules left it: one chunk's row lacks the vectors of two of its texts
    chunk = max(index.all_chunks(), key=lambda c: len(stored_texts(c)))
    texts = stored_texts(chunk)
    kept = texts[2:]
    index.sentences.put([(chunk.chunk_id, [unit_key(t) for t in kept], np.asarray(counting.embed(kept)))])
    counting.reset()
    run_ingest(settings, [str(corpus)], index=index, progress=False)
    assert counting.reset() == 0  # same rules as recorded: nothing is read or embedded
    monkeypatch.setattr(index_module, "SPLITTING_FINGERPRINT", "newer-rules")
    summary = run_ingest(settings, [str(corpus)], index=index, progress=False)
    assert summary.added == summary.updated == [] and not summary.failed
    assert counting.reset() == 2  # the two missing texts, nothing else
    assert set(index.unit_vectors([chunk.chunk_id])[chunk.chunk_id]) == {unit_key(t) for t in texts}
    run_ingest(settings, [str(corpus)], index=index, progress=False)
    assert counting.reset() == 0 and not index.splitting_changed()
