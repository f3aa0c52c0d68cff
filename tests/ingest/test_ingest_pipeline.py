"""Incremental, exact and scoped ingest: change / shrink / delete cycles on a tiny corpus."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from ingest_helpers import doc_text, embeds_for, ingest_settings, para

from bot.index import Index
from ingest.chunking import chunk_document
from ingest.loaders import load_file
from ingest.pipeline import run_ingest

pytestmark = pytest.mark.slow


def expected_ids(*paths: Path) -> set[str]:
    return {c.chunk_id for p in paths for c in chunk_document(load_file(p))}


def state(index: Index) -> tuple[set[str], set[str]]:
    return set(index.chunk_refs()), set(index.keyword_ids())


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    a = root / "a.md"
    a.write_text(doc_text("Alpha guide", {"Redaction": para("redaction", 4), "Proxy": para("proxy", 4)}))
    b = root / "sub" / "b.md"
    b.write_text(doc_text("Beta guide", {"Codes": para("codes", 2)}, reviewed="2020-01-01"))
    c = root / "c.txt"
    c.write_text("# Gamma notes\n\n" + para("gamma", 3) + "\n")
    return root, a, b, c


def test_change_shrink_delete_cycle(tmp_path, corpus, counting):
    root, a, b, c = corpus
    settings = ingest_settings(tmp_path / "data", root)
    index = Index(settings, embedder=counting)

    s = run_ingest(settings, [str(root)], index=index, progress=False, today=dt.date(2025, 6, 1))
    assert sorted(s.added) == sorted(str(p) for p in (a, b, c)) and not s.failed
    want = expected_ids(a, b, c)
    assert state(index) == (want, want)
    assert counting.reset() == embeds_for(index, want) and len(want) == s.chunks
    assert [x.doc_id for x in s.stale] == [str(b)]  # reviewed more than a year before "today"
    out = s.to_json()
    assert list(out) == ["added", "updated", "unchanged", "deleted", "failed", "chunks", "stale", "skipped"]
    assert out["added"] == 3 and out["chunks"] == len(want)
    assert out["stale"] == [{"doc_id": str(b), "title": "Beta guide", "last_reviewed": "2020-01-01"}]
    version = index.current_version()["version"]

    # no change: nothing embedded, nothing written, the version stamp stays
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert sorted(s.unchanged) == sorted(str(p) for p in (a, b, c)) and not (s.added or s.updated or s.deleted)
    assert counting.reset() == 0
    assert index.current_version()["version"] == version and not s.index_marked_changed

    # change one section of a: only the changed passage is embedded; the rest keep their ids
    old_a = expected_ids(a)
    a.write_text(doc_text("Alpha guide", {"Redaction": para("redaction", 4), "Proxy": para("proxy access", 4)}))
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert s.updated == [str(a)] and s.changed_doc_ids == [str(a)]
    new_a = expected_ids(a)
    assert counting.reset() == embeds_for(index, new_a - old_a) < embeds_for(index, new_a)
    want = expected_ids(a, b, c)
    assert state(index) == (want, want)
    hashes = {r["content_hash"] for r in index.chunk_refs().values() if r["doc_id"] == str(a)}
    assert hashes == {chunk_document(load_file(a))[0].content_hash}  # kept chunks got the new metadata
    assert index.current_version()["version"] != version

    # front matter only: no embedding, metadata rewritten
    a.write_text(a.read_text().replace("publisher: [NHS England]", "publisher: [BMA]"))
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert s.updated == [str(a)] and counting.reset() == 0
    assert {c.publisher[0] for c in index.all_chunks() if c.doc_id == str(a)} == {"BMA"}

    # shrink: none of the old chunks left behind
    a.write_text("---\ntitle: Alpha guide\n---\n# Alpha guide\n\n" + para("short", 2) + "\n")
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert s.updated == [str(a)]
    want = expected_ids(a, b, c)
    assert state(index) == (want, want)
    assert s.chunks == len(want)

    # delete b: its chunks go
    b.unlink()
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert s.deleted == [str(b)] and str(b) in s.changed_doc_ids
    want = expected_ids(a, c)
    assert state(index) == (want, want)

    # a fresh Index (as the bot would open it) sees the same ids in Chroma and BM25
    fresh = Index(settings, embedder=counting)
    assert state(fresh) == (want, want)


def test_failed_source_keeps_its_chunks(tmp_path, corpus, counting):
    root, a, b, c = corpus
    settings = ingest_settings(tmp_path / "data", root)
    index = Index(settings, embedder=counting)
    run_ingest(settings, [str(root)], index=index, progress=False)
    before = state(index)
    c.write_text("")  # empty now: a failure, not a deletion
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert [(f.source, f.reason) for f in s.failed] == [(str(c), "empty document")]
    assert not s.deleted and str(c) not in s.unchanged
    assert state(index) == before
    # and an explicit target that does not exist is a failure that deletes nothing
    s = run_ingest(settings, [str(root / "gone")], index=index, progress=False)
    assert s.failed[0].reason == "no such file or directory" and not s.deleted
    assert state(index) == before


def test_scoped_deletion(tmp_path, corpus, counting):
    root, a, b, c = corpus
    other = tmp_path / "other"
    other.mkdir()
    d = other / "d.md"
    d.write_text(doc_text("Delta guide", {"Switching on": para("switching", 2)}))
    settings = ingest_settings(tmp_path / "data", root)
    index = Index(settings, embedder=counting)
    run_ingest(settings, [str(root), str(d)], index=index, progress=False)
    all_ids = expected_ids(a, b, c, d)
    assert state(index) == (all_ids, all_ids)

    # one file: nothing else deleted
    s = run_ingest(settings, [str(a)], index=index, progress=False)
    assert s.unchanged == [str(a)] and not s.deleted
    assert state(index)[0] == all_ids
    # a sub-directory: only what lies under it is in scope
    b.unlink()
    s = run_ingest(settings, [str(root / "sub")], index=index, progress=False)
    assert s.deleted == [str(b)]
    # the corpus dir: d (elsewhere) survives
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert not s.deleted
    want = expected_ids(a, c, d)
    assert state(index) == (want, want)
    # the default run (knowledge dir = root) does not reach d either
    s = run_ingest(settings, None, index=index, progress=False)
    assert not s.deleted and not s.failed
    assert state(index)[0] == want


def test_dry_run_changes_nothing(tmp_path, corpus, counting):
    root, a, b, c = corpus
    settings = ingest_settings(tmp_path / "data", root)
    index = Index(settings, embedder=counting)
    first = run_ingest(settings, [str(root)], dry_run=True, index=index, progress=False)
    assert len(first.added) == 3 and first.chunks == len(expected_ids(a, b, c)) and index.count() == 0
    assert counting.reset() == 0
    run_ingest(settings, [str(root)], index=index, progress=False)
    counting.reset()
    before, version = state(index), index.current_version()
    a.write_text(a.read_text().replace("Proxy", "Proxies"))
    c.unlink()
    s = run_ingest(settings, [str(root)], dry_run=True, index=index, progress=False)
    assert s.updated == [str(a)] and s.deleted == [str(c)] and s.dry_run
    assert s.chunks == len(expected_ids(a, b))
    assert counting.reset() == 0
    assert state(index) == before and index.current_version() == version


def test_interrupted_before_mark_changed_is_repaired(tmp_path, corpus, counting, monkeypatch):
    """A run killed after its Chroma writes but before the version stamp: the next run, with nothing left
    to write, still sees the keyword index out of step and rebuilds it."""
    root, a, b, c = corpus
    settings = ingest_settings(tmp_path / "data", root)
    index = Index(settings, embedder=counting)
    run_ingest(settings, [str(root)], index=index, progress=False)
    # same number of chunks, different ids: the cached keyword index's version and count still match
    a.write_text(doc_text("Alpha guide", {"Redaction": para("redaction changed", 4), "Proxy": para("proxy", 4)}))
    assert len(expected_ids(a, b, c)) == index.count()

    class Killed(BaseException):
        pass

    def die(**_):
        raise Killed

    monkeypatch.setattr(index, "mark_changed", die)
    with pytest.raises(Killed):
        run_ingest(settings, [str(root)], index=index, progress=False)
    monkeypatch.undo()

    again = Index(settings, embedder=counting)
    want = expected_ids(a, b, c)
    assert set(again.chunk_refs()) == want
    s = run_ingest(settings, [str(root)], index=again, progress=False)
    assert sorted(s.unchanged) == sorted(str(p) for p in (a, b, c))
    assert s.index_marked_changed
    assert state(again) == (want, want)
    assert json.loads(again.current_version()["last_summary"])["unchanged"] == 3


def test_index_damaged_behind_our_back_is_repaired(tmp_path, corpus, counting):
    """Unchanged files skip parsing via the chunk memo, but the comparison is always with Chroma: a chunk
    removed from the index (or a stray one added) is put right by the next run."""
    root, a, b, c = corpus
    settings = ingest_settings(tmp_path / "data", root)
    index = Index(settings, embedder=counting)
    run_ingest(settings, [str(root)], index=index, progress=False)
    want = expected_ids(a, b, c)
    a_ids = sorted(r for r, ref in index.chunk_refs().items() if ref["doc_id"] == str(a))
    index.delete_chunks(a_ids[:1])
    stray = chunk_document(load_file(b))[0].model_copy(update={"chunk_id": "stray", "text": "stray text"})
    index.upsert_chunks([stray])
    counting.reset()
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    assert sorted(s.updated) == sorted([str(a), str(b)]) and counting.reset() == embeds_for(index, a_ids[:1])
    assert state(index) == (want, want)
    assert (settings.data_dir / "ingest" / "chunk_memo.json").exists()


def test_an_embedder_change_reads_the_stored_chunks_once(tmp_path, corpus, counting, monkeypatch):
    """Every stored chunk is embedded again with the new embedder, an updated one with its new metadata; the
    stored chunks are read from the index once for that, not once to compare and again to embed."""
    from ingest_helpers import CountingEmbedder

    class Another(CountingEmbedder):
        fingerprint = "another-embedder"

    root, a, b, c = corpus
    settings = ingest_settings(tmp_path / "data", root)
    assert not run_ingest(settings, [str(root)], index=Index(settings, embedder=counting), progress=False).failed
    a.write_text(a.read_text().replace("last_reviewed: 2099-01-01", "last_reviewed: 2098-01-01"))  # metadata only
    index = Index(settings, embedder=Another(counting.inner))
    calls: list[str] = []
    for name in ("chunk_refs", "all_chunks", "upsert_chunks"):
        method = getattr(index, name)
        monkeypatch.setattr(index, name, lambda *a, method=method, name=name: (calls.append(name), method(*a))[1])
    s = run_ingest(settings, [str(root)], index=index, progress=False)
    # one read before writing; the keyword index is rebuilt from the written index at the end, as in every run
    assert calls[: calls.index("upsert_chunks")] == ["all_chunks"] and calls[-1] == "all_chunks"
    assert "chunk_refs" not in calls
    assert s.updated == [str(a)] and s.chunks_reembedded == s.chunks and not s.added
    assert not index.embedder_changed()
    monkeypatch.undo()
    assert {c.last_reviewed for c in index.all_chunks() if c.doc_id == str(a)} == {"2098-01-01"}
    assert len(index.embedder.texts) == embeds_for(index, set(index.chunk_refs()))  # each stored text once
