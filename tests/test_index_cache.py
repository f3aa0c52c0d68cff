"""The derived-data cache (bot/index/derived.py): what it reloads must search and allow-list exactly as what
was built, and anything it cannot trust (another version, another chunk count, a torn folder) is refused."""

import json

from bot.index import analyze
from bot.index.derived import ADAPTER_FILE, DERIVED_FILE, DerivedCache, DerivedData
from bot.types import Chunk

CHUNKS = [
    Chunk(chunk_id="c1", doc_id="d1", title="Proxy access", text="A carer can be given proxy access to the record.",
          last_reviewed="2026-01-02"),
    Chunk(chunk_id="c2", doc_id="d1", title="Help", text="Call the service desk on 0300 311 22 33 for help.",
          last_reviewed="2026-03-04"),
    Chunk(chunk_id="c3", doc_id="d2", title="Coding", text="Add the enhanced review code before access starts."),
]


def test_saved_data_reloads_identical_and_searches_the_same(tmp_path):
    built = DerivedData.build("v1", CHUNKS)
    cache = DerivedCache(tmp_path / "keyword_index")
    cache.save(built)
    loaded = cache.load("v1", len(CHUNKS))
    assert loaded is not None
    assert loaded.public_numbers == built.public_numbers and "03003112233" in loaded.public_numbers
    assert (loaded.reviewed, loaded.documents, loaded.count) == (("2026-01-02", "2026-03-04"), 2, 3)
    for query in ("proxy access for a carer", "enhanced review code", "service desk"):
        assert loaded.keyword.search(query, 3) == built.keyword.search(query, 3) != []
    [proxy], [access] = analyze("proxy"), analyze("access")
    assert loaded.keyword.idf(proxy) == built.keyword.idf(proxy) > loaded.keyword.idf(access)
    assert (loaded.keyword.document_frequency(proxy), loaded.keyword.document_frequency(access)) == (1, 2)
    assert not list(tmp_path.rglob("*.pkl"))


def test_another_version_or_count_or_a_torn_folder_is_refused(tmp_path):
    cache = DerivedCache(tmp_path / "keyword_index")
    cache.save(DerivedData.build("v1", CHUNKS))
    assert cache.load("v2", len(CHUNKS)) is None
    assert cache.load("v1", len(CHUNKS) + 1) is None
    [folder] = (tmp_path / "keyword_index").iterdir()
    (folder / DERIVED_FILE).write_text(json.dumps({"format": "something else"}))
    assert cache.load("v1", len(CHUNKS)) is None
    (folder / DERIVED_FILE).write_text("{torn")
    assert cache.load("v1", len(CHUNKS)) is None


def test_a_new_version_replaces_the_old_folder_and_an_empty_index_round_trips(tmp_path):
    root = tmp_path / "keyword_index"
    (tmp_path / "keyword_index.pkl").write_bytes(b"an earlier cache")
    cache = DerivedCache(root)
    cache.save(DerivedData.build("v1", CHUNKS))
    cache.save(DerivedData.build("v2", []))
    assert [p.name for p in root.iterdir()] == ["v-v2"]
    assert not (tmp_path / "keyword_index.pkl").exists()
    empty = cache.load("v2", 0)
    assert empty is not None and empty.keyword.search("proxy", 3) == [] and empty.public_numbers == frozenset()


def test_the_same_version_at_another_count_is_replaced_not_rebuilt_forever(tmp_path):
    """After an interrupted ingest the stamp stays while the chunk count moves: the next save replaces the
    folder, so later processes load it instead of rebuilding the keyword index at every start."""
    root = tmp_path / "keyword_index"
    cache = DerivedCache(root)
    cache.save(DerivedData.build("v1", CHUNKS[:1]))
    assert cache.load("v1", len(CHUNKS)) is None
    cache.save(DerivedData.build("v1", CHUNKS))
    assert cache.load("v1", len(CHUNKS)) is not None
    assert [p.name for p in root.iterdir()] == ["v-v1"]


def test_the_query_adapter_round_trips_and_an_index_without_one_reloads_without(tmp_path):
    import numpy as np

    from bot.index.embedder import EMBEDDING_DIM

    adapter = np.arange(EMBEDDING_DIM**2, dtype=np.float32).reshape(EMBEDDING_DIM, EMBEDDING_DIM) / EMBEDDING_DIM**2
    cache = DerivedCache(tmp_path / "with")
    cache.save(DerivedData.build("v1", CHUNKS, adapter))
    loaded = cache.load("v1", len(CHUNKS))
    assert loaded is not None and loaded.adapter is not None
    assert loaded.adapter.dtype == np.float32 and np.array_equal(loaded.adapter, adapter)
    without = DerivedCache(tmp_path / "without")
    without.save(DerivedData.build("v1", CHUNKS))
    assert without.load("v1", len(CHUNKS)).adapter is None
    assert not list((tmp_path / "without").rglob(ADAPTER_FILE))
    # the metadata says an adapter was saved, but its file is gone: refused, so it is rebuilt
    [folder] = (tmp_path / "with").iterdir()
    (folder / ADAPTER_FILE).unlink()
    assert cache.load("v1", len(CHUNKS)) is None
    cache.save(DerivedData.build("v1", CHUNKS, adapter))  # repaired, not left as it was
    assert cache.load("v1", len(CHUNKS)) is not None
    # an array of another shape (another embedder's, or damaged) is refused, never applied
    np.save(folder / ADAPTER_FILE, np.ones((3, 3), dtype=np.float32), allow_pickle=False)
    assert cache.load("v1", len(CHUNKS)) is None
