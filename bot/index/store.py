"""The Chroma store: the only module that imports chromadb, opens its collections and calls them.

Chroma's default embedding function downloads a model, so every collection is opened with
`embedding_function=None` and every add and query passes our own vectors. Records are mapped to chunks by
`bot.index.schema`; this module knows how to batch, query and count, not what a chunk means.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Iterable, Sequence

import numpy as np

from bot.index.embedder import EMBEDDING_DIM
from bot.index import schema
from bot.settings import Settings
from bot.types import Chunk

log = logging.getLogger(__name__)

WRITE_BATCH = 500  # ids per update/delete call
QUESTION_BATCH = 2000  # section questions per upsert call
READ_BATCH = 5000  # records per paged read of the whole collection
# The version stamp is a record like any other, so it needs a vector: a fixed unit vector.
STAMP_VECTOR = [0.0] * (EMBEDDING_DIM - 1) + [1.0]


def as_floats(vector: np.ndarray) -> list[float]:
    return list(map(float, vector))


class ChromaStore:
    """The guidance chunks (cosine), the verified answers (id, question vector, status, the passage it rests
    on), the section questions and a small meta collection holding the index version stamp."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._collections: dict[str, object] = {}  # opened on first use

    @cached_property
    def client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.index.chroma_host:
            return chromadb.HttpClient(
                host=self.settings.index.chroma_host, port=self.settings.index.chroma_port, settings=chroma_settings
            )
        self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.settings.chroma_path), settings=chroma_settings)

    def _collection(self, name: str):
        if name not in self._collections:
            self._collections[name] = self._open_with_settings(name)
        return self._collections[name]

    def _open_with_settings(self, name: str):
        """The collection, created with cosine distance when missing, and searching with the settings' ef_search.
        Chroma keeps ef_search in the collection's configuration, shared by every process using the index: an index
        made before (Chroma's default, 100) or with another value is updated in place. A Chroma server applies the new
        value only once it reloads the collection (a restart). Where the update cannot be written (a read-only data
        folder, a server token without write rights) the bot says so and searches with the stored value."""
        ef_search = self.settings.index.hnsw_ef_search
        collection = self.client.get_or_create_collection(
            name=name, embedding_function=None, configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}}
        )
        stored = (collection.configuration or {}).get("hnsw")
        if stored is not None and stored.get("ef_search") != ef_search:
            try:
                collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
            except Exception as exc:  # the index still answers, as approximately as before
                log.warning("could not set ef_search %s on Chroma collection %s (%s): searching with %s",
                            ef_search, name, type(exc).__name__, stored.get("ef_search"))
            else:
                if self.settings.index.chroma_host:
                    log.warning("Chroma collection %s now searches with ef_search %s once the Chroma server restarts",
                                name, ef_search)
        return collection

    chunks = property(lambda self: self._collection(schema.CHUNKS_COLLECTION))
    verified = property(lambda self: self._collection(schema.VERIFIED_COLLECTION))
    meta = property(lambda self: self._collection(schema.META_COLLECTION))
    questions = property(lambda self: self._collection(schema.QUESTIONS_COLLECTION))

    # --- guidance chunks ---
    def upsert_chunks(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        self.chunks.upsert(
            ids=[c.chunk_id for c in chunks],
            embeddings=[as_floats(v) for v in embeddings],
            documents=[c.text for c in chunks],
            metadatas=[schema.chunk_to_metadata(c) for c in chunks],
        )

    def update_chunk_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Rewrite metadata only, in one call (callers batch by WRITE_BATCH). Passing `documents=` here would
        make Chroma run its default embedding function."""
        self.chunks.update(ids=[c.chunk_id for c in chunks], metadatas=[schema.chunk_to_metadata(c) for c in chunks])

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            self.chunks.delete(ids=list(chunk_ids[start : start + WRITE_BATCH]))

    def count(self) -> int:
        return self.chunks.count()

    def _pages(self, include: list[str]) -> Iterable[dict]:
        total = self.chunks.count()
        for offset in range(0, total, READ_BATCH):
            yield self.chunks.get(include=include, limit=READ_BATCH, offset=offset)

    def chunk_refs(self) -> dict[str, dict]:
        return {chunk_id: schema.chunk_ref(meta)
                for got in self._pages(["metadatas"]) for chunk_id, meta in zip(got["ids"], got["metadatas"])}

    def all_chunks(self) -> list[Chunk]:
        return [schema.chunk_from_record(text, meta) for got in self._pages(["documents", "metadatas"])
                for text, meta in zip(got["documents"], got["metadatas"])]

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        got = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {chunk_id: schema.chunk_from_record(text, meta)
                for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"])}

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        got = self.chunks.get(ids=list(chunk_ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """The k nearest chunks with their cosine similarity to the query."""
        total = self.count()
        if total == 0:
            return []
        got = self.chunks.query(query_embeddings=[as_floats(query_vector)], n_results=min(k, total),
                                include=["documents", "metadatas", "distances"])
        return [(schema.chunk_from_record(text, meta), 1.0 - float(distance))
                for text, meta, distance in zip(got["documents"][0], got["metadatas"][0], got["distances"][0])]

    # --- section questions ---
    def put_questions(self, records: Sequence[tuple[str, str, dict]], vectors: np.ndarray) -> None:
        for start in range(0, len(records), QUESTION_BATCH):
            part = records[start : start + QUESTION_BATCH]
            self.questions.upsert(
                ids=[i for i, _, _ in part],
                embeddings=[as_floats(v) for v in vectors[start : start + len(part)]],
                documents=[q for _, q, _ in part],
                metadatas=[meta for _, _, meta in part],
            )

    def delete_questions(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids or self.questions.count() == 0:
            return
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            self.questions.delete(where={"chunk_id": {"$in": list(chunk_ids[start : start + WRITE_BATCH])}})

    def question_search(self, query_vector: np.ndarray, k: int) -> dict[str, float]:
        """chunk id -> best cosine between the query and that chunk's section questions."""
        total = self.questions.count()
        if total == 0:
            return {}
        got = self.questions.query(query_embeddings=[as_floats(query_vector)], n_results=min(k, total),
                                   include=["metadatas", "distances"])
        best: dict[str, float] = {}
        for meta, distance in zip(got["metadatas"][0], got["distances"][0]):
            chunk_id = meta.get("chunk_id", "")
            best[chunk_id] = max(best.get(chunk_id, -1.0), 1.0 - float(distance))
        return best

    def question_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every section question's chunk id and vector (for fitting the query adapter), a page at a time."""
        chunk_ids: list[str] = []
        vectors: list[np.ndarray] = []
        for offset in range(0, self.questions.count(), READ_BATCH):
            got = self.questions.get(include=["embeddings", "metadatas"], limit=READ_BATCH, offset=offset)
            chunk_ids += [meta.get("chunk_id", "") for meta in got["metadatas"]]
            vectors += [np.asarray(v, dtype=np.float32) for v in got["embeddings"]]
        return chunk_ids, (np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32))

    def verified_pairs(self) -> tuple[list[str], np.ndarray]:
        """The active verified answers' passage ids and question vectors, for those that name the passage their
        answer rests on (labelled pairs for the query adapter, like the section questions)."""
        pairs = self._active_with_passage(include=["embeddings", "metadatas"])
        if not pairs:
            return [], np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        return [chunk_id for _, chunk_id, _ in pairs], np.stack([np.asarray(v, dtype=np.float32) for *_, v in pairs])

    def teaching_fingerprint(self) -> str:
        """`schema.teaching_fingerprint` of the pairs `verified_pairs` gives the query adapter (ids and passages: a
        question re-embedded under the same id, as `gpbot review verified reindex` does, is not seen)."""
        return schema.teaching_fingerprint((vid, chunk_id) for vid, chunk_id, _ in
                                           self._active_with_passage(include=["metadatas"]))

    def _active_with_passage(self, include: list[str]) -> list[tuple[str, str, object]]:
        """(verified id, passage id, question vector or None) of the active verified answers that name a passage."""
        got = self.verified.get(where={"status": "active"}, include=include)
        vectors = got["embeddings"] if "embeddings" in include else [None] * len(got["ids"])
        return [(vid, meta[schema.VERIFIED_ANSWER_CHUNK], vector)
                for vid, meta, vector in zip(got["ids"], got["metadatas"], vectors)
                if (meta or {}).get(schema.VERIFIED_ANSWER_CHUNK)]

    def nearest_questions(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k section questions nearest the query, best first: their cosines and their vectors (both empty
        when none is indexed)."""
        total = self.questions.count()
        if total == 0:
            return np.zeros(0), np.zeros((0, len(query_vector)), dtype=np.float32)
        got = self.questions.query(query_embeddings=[as_floats(query_vector)], n_results=min(k, total),
                                   include=["distances", "embeddings"])
        return (1.0 - np.asarray(got["distances"][0], dtype=float),
                np.asarray(got["embeddings"][0], dtype=np.float32).reshape(-1, len(query_vector)))

    # --- version stamp and counts ---
    def read_stamp(self) -> dict:
        got = self.meta.get(ids=[schema.VERSION_RECORD], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else dict(schema.EMPTY_VERSION)

    def write_stamp(self, stamp: dict) -> None:
        self.meta.upsert(ids=[schema.VERSION_RECORD], embeddings=[STAMP_VECTOR], metadatas=[stamp])

    def active_verified_count(self) -> int:
        return len(self.verified.get(where={"status": "active"}, include=[])["ids"])


class VerifiedVectors:
    """The index's part of verified answers, a mixin of `Index`: it expects `self.verified` (the collection
    `ChromaStore.verified`) and, for `refit`, the index's stamp, derived-data methods and `_publish_lock`. The answers
    themselves live in the review store."""

    def refit(self, attempts: int = 3) -> str:
        """`Index.mark_changed` without an ingest, after the verified answers the query adapter learns from changed:
        the stamp keeps its embedder and last-ingest time. When an ingest or another refit moves the stamp during
        the fit, it fits again (up to `attempts` times), so what is published was fitted after that change."""
        for _ in range(attempts):
            before = self.current_version()
            stamp = schema.refreshed_stamp(before)
            derived, chunks, teaching = self._build(stamp["version"])
            with self._publish_lock:  # an ingest in this process publishes before or after, never in between
                now = self.current_version()
                if now.get("version") == before.get("version"):
                    self._install(derived, chunks)
                    self.store.write_stamp({**stamp, schema.STAMP_TEACHING: teaching})
                    return stamp["version"]
                if teaching and now.get(schema.STAMP_TEACHING) == teaching:
                    break  # another process (a replica, an ingest) published a fit of the same answers meanwhile
        self.ensure_fresh(force=True)  # keep what the last writer published
        return self.current_version().get("version", "")

    def adapter_missed_a_change(self) -> bool:
        """The verified answers the query adapter learns from changed after it was last fitted, and no refit
        followed (one cut short by a kill or failed, or a stamp from before fingerprints were kept): the caller
        refits. Never raises (False, logged): it is asked at start-up."""
        try:
            return self._adapter_out_of_date()
        except Exception:
            log.warning("could not tell whether the query adapter is out of date", exc_info=True)
            return False

    def refit_if_out_of_date(self) -> str:
        """`refit` unless the stamp says the adapter was fitted on the verified answers as they are: what the
        background worker runs, so a change another process (a replica, an ingest) has fitted already costs
        nothing; when that cannot be read, it refits. The version published, or "" when nothing was to do."""
        try:
            stale = self._adapter_out_of_date()
        except Exception:
            stale = True
        return self.refit() if stale else ""

    def _adapter_out_of_date(self) -> bool:
        stamped = self.current_version().get(schema.STAMP_TEACHING)
        return self.count() > 0 and stamped != self.store.teaching_fingerprint()

    # --- verified answers: id, question vector, status and passage only (their text lives in the review store) ---
    def upsert_verified(self, verified_id: str, question_vector: np.ndarray, status: str,
                        answer_chunk: str = "") -> None:
        """Written whole (Chroma's upsert would keep an older record's other fields: releases before 2026-12
        kept the answer here too; `gpbot review verified reindex` rewrites those). `answer_chunk`: the cited
        passage that best supports the answer, which makes the question a labelled pair for the query adapter
        ("" = none)."""
        self.verified.delete(ids=[verified_id])
        self.verified.add(ids=[verified_id], embeddings=[as_floats(question_vector)],
                          metadatas=[schema.verified_metadata(status, answer_chunk)])

    def set_verified_status(self, verified_id: str, status: str) -> None:
        """KeyError when the index does not hold this verified answer (then upsert it)."""
        if not self.verified.get(ids=[verified_id], include=[])["ids"]:
            raise KeyError(verified_id)
        self.verified.update(ids=[verified_id], metadatas=[{"status": status}])

    def delete_verified(self, verified_id: str) -> None:
        self.verified.delete(ids=[verified_id])

    def verified_count(self) -> int:
        """How many verified answers the index holds (any status): cheaper than reading their statuses."""
        return self.verified.count()

    def verified_statuses(self) -> dict[str, str]:
        """verified id -> status, for every verified answer the index holds."""
        got = self.verified.get(include=["metadatas"])
        return {vid: (meta or {}).get("status", "") for vid, meta in zip(got["ids"], got["metadatas"])}

    def search_verified(self, query_vector: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
        """The active verified answers whose questions are nearest the query: (verified id, cosine similarity)."""
        stored = self.verified_count()
        if stored == 0:
            return []
        got = self.verified.query(query_embeddings=[as_floats(query_vector)], n_results=min(k, stored),
                                  where={"status": "active"}, include=["distances"])
        return [(vid, 1.0 - float(distance)) for vid, distance in zip(got["ids"][0], got["distances"][0])]
