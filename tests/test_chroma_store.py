"""The Chroma store's collections search with the settings' ef_search (bot/index/store.py): Chroma's default, 100,
missed the nearest passage for some questions in some processes (`bench/search_recall.py`)."""

import numpy as np
import chromadb
from chromadb.config import Settings as ChromaSettings

from bot.index import schema
from bot.index.store import ChromaStore
from bot.settings import Settings
from bot.types import Chunk


def _settings(tmp_path, **values) -> Settings:
    return Settings(_env_file=None, gpbot_data_dir=tmp_path, **values)


def _hnsw(collection) -> dict:
    return collection.configuration["hnsw"]


def test_new_collections_use_cosine_and_the_configured_ef_search(tmp_path):
    store = ChromaStore(_settings(tmp_path, hnsw_ef_search=250))
    for collection in (store.chunks, store.questions, store.verified, store.meta):
        assert _hnsw(collection)["space"] == "cosine"
        assert _hnsw(collection)["ef_search"] == 250


def test_an_index_made_with_chromas_default_is_raised_in_place_and_keeps_its_records(tmp_path):
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    old = client.get_or_create_collection(schema.CHUNKS_COLLECTION, embedding_function=None,
                                          metadata={"hnsw:space": "cosine"})  # as indexes were made before
    old.add(ids=["a"], embeddings=[[1.0] + [0.0] * 383], documents=["kept"], metadatas=[{"doc_id": "d"}])
    assert _hnsw(old)["ef_search"] == 100
    del client, old

    store = ChromaStore(_settings(tmp_path))
    assert _hnsw(store.chunks)["ef_search"] == Settings(_env_file=None).index.hnsw_ef_search == 400
    assert _hnsw(store.chunks)["space"] == "cosine"
    assert store.chunks.get(ids=["a"])["documents"] == ["kept"]


def test_dense_search_finds_the_exact_nearest_chunks(tmp_path):
    """Clustered vectors (passages of a few subjects, as a corpus has) and queries near them: the k nearest by the
    store are the k nearest by an exact cosine search."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 384))
    vectors = centres[rng.integers(0, 12, size=300)] + 0.6 * rng.normal(size=(300, 384))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    chunks = [Chunk(chunk_id=f"c{i}", doc_id=f"d{i // 3}", chunk_index=i % 3, text=f"passage {i}",
                    title=f"document {i // 3}") for i in range(300)]
    store = ChromaStore(_settings(tmp_path))
    store.upsert_chunks(chunks, vectors)
    queries = centres[rng.integers(0, 12, size=60)] + 0.8 * rng.normal(size=(60, 384))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    for query in queries:
        exact = [f"c{i}" for i in np.argsort(-(vectors @ query))[:10]]
        assert [chunk.chunk_id for chunk, _ in store.dense_search(query, 10)] == exact
