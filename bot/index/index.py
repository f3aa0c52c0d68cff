"""`Index`: what the bot and ingest use to write and search the guidance.

It ties together the Chroma store (`store`), the writer ingest uses (`writer`), the embedder that made the
stored vectors (its fingerprint is kept with the version stamp, and `embedder_changed()` tells ingest to
re-embed everything when the configured embedder differs), the answer units' vectors (`sentence_store`) and
the data derived from every chunk (`derived`: the keyword index, the identifier allow-list and the query
adapter fitted on the section questions and verified answers), rebuilt
whenever the version stamp moves so the keyword and vector indexes always hold exactly the same chunk ids.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from bot.index.embedder import Embedder, load_embedder
from bot.index import schema
from bot.index.derived import DerivedCache, DerivedData
from bot.index.query_adapter import adapt, safe_adapter
from bot.index.sentence_store import SentenceStore
from bot.index.store import READ_BATCH, ChromaStore, VerifiedVectors
from bot.index.writer import GuidanceWriter
from bot.settings import Settings
from bot.types import Chunk, ScoredChunk
from bot.units import SPLITTING_FINGERPRINT

log = logging.getLogger(__name__)


@dataclass
class IndexInfo:
    chunks: int
    documents: int
    newest_reviewed: str
    oldest_reviewed: str
    last_ingest: str
    version: str
    verified_active: int


class Index(VerifiedVectors):
    """The Chroma store + embedder + derived keyword data. Safe to share between threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder or load_embedder(settings)
        self.store = ChromaStore(settings)
        self.sentences = SentenceStore(settings.data_dir / "sentence_vectors.sqlite")
        self.writer = GuidanceWriter(self.store, self.sentences, self.embedder)
        self._cache = DerivedCache(settings.data_dir / "keyword_index")
        self._lock = threading.RLock()
        # held while a version is published: an ingest's `mark_changed` and a `refit` never interleave their stamps
        self._publish_lock = threading.Lock()
        self._derived: DerivedData | None = None
        self._chunk_cache: dict[str, Chunk] = {}
        self._last_version_check = 0.0
        self.version_check_seconds = settings.index.index_version_check_seconds

    verified = property(lambda self: self.store.verified)
    questions = property(lambda self: self.store.questions)

    # --- writing guidance chunks (ingest) ---
    def embed_chunks(self, chunks: Sequence[Chunk]) -> np.ndarray:
        return self.writer.embed_chunks(chunks)

    def upsert_chunks(self, chunks: Sequence[Chunk], embeddings: np.ndarray | None = None,
                      unit_vectors: Sequence[np.ndarray] | None = None) -> None:
        self.writer.upsert_chunks(chunks, embeddings, unit_vectors)

    def update_chunk_metadata(self, chunks: Sequence[Chunk]) -> None:
        self.writer.update_chunk_metadata(chunks)

    def delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        self.writer.delete_chunks(chunk_ids)

    def splitting_changed(self) -> bool:
        """The unit vectors were made under other splitting rules (`bot.units.SPLITTING_FINGERPRINT`)."""
        return self.sentences.splitting_fingerprint != SPLITTING_FINGERPRINT

    def top_up_unit_vectors(self, chunk_ids: Iterable[str]) -> None:
        """Embed these stored chunks' texts that lack vectors (a page of chunks at a time); record the rules."""
        ids = sorted(chunk_ids)
        for start in range(0, len(ids), READ_BATCH):
            self.writer.top_up_unit_vectors(list(self.store.get_chunks(ids[start : start + READ_BATCH]).values()))
        self.sentences.record_splitting(SPLITTING_FINGERPRINT)

    # --- reading ---
    def unit_vectors(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
        """chunk id -> {unit key -> vector}: the answer units' vectors computed at ingest."""
        return self.sentences.get(list(chunk_ids))

    def chunk_refs(self) -> dict[str, dict]:
        """chunk id -> {doc_id, source, content_hash, title, last_reviewed} for every guidance chunk."""
        return self.store.chunk_refs()

    def all_chunks(self) -> list[Chunk]:
        return self.store.all_chunks()

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        missing = [i for i in chunk_ids if i not in self._chunk_cache]
        if missing:
            self._chunk_cache.update(self.store.get_chunks(missing))
        return [self._chunk_cache[i] for i in chunk_ids if i in self._chunk_cache]

    def count(self) -> int:
        return self.store.count()

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embeddings of these chunks (for reranking and near-duplicate collapsing)."""
        return self.store.vectors(chunk_ids)

    # --- version stamp: lets a running bot notice a finished ingest ---
    def current_version(self) -> dict:
        return self.store.read_stamp()

    def mark_changed(self, *, ingest_summary: dict | None = None) -> str:
        """Record that the guidance chunks changed, after building (and caching) the derived data at the new
        version: a running bot that sees the stamp then loads them instead of building them inside a request."""
        stamp = schema.new_version_stamp(self.embedder_fingerprint, ingest_summary)
        with self._publish_lock:
            stamp[schema.STAMP_TEACHING] = self._rebuild(stamp["version"])
            self.store.write_stamp(stamp)
        return stamp["version"]

    @property
    def embedder_fingerprint(self) -> str:
        return getattr(self.embedder, "fingerprint", "") or type(self.embedder).__name__

    def embedder_changed(self) -> bool:
        """True when the index holds vectors from another embedder than the configured one (or from before
        fingerprints were recorded): ingest then re-embeds every chunk and verified question."""
        empty = self.count() == 0 and self.verified_count() == 0
        return not empty and self.current_version().get("embedder", "") != self.embedder_fingerprint

    # --- derived data lifecycle ---
    def _rebuild(self, version: str) -> str:  # the fingerprint `_build` read
        derived, chunks, teaching = self._build(version)
        self._install(derived, chunks)
        return teaching

    def _build(self, version: str) -> tuple[DerivedData, list[Chunk], str]:
        """The derived data at `version`, its chunks and `schema.STAMP_TEACHING`: read before the adapter is fitted
        (a change during the fit leaves the stamp out of date), "" when the fit failed (the next start fits again)."""
        teaching = self.store.teaching_fingerprint()
        chunks = self.all_chunks()
        adapter, fitted = safe_adapter(self.store, [c.chunk_id for c in chunks])
        return DerivedData.build(version, chunks, adapter), chunks, teaching if fitted else ""

    def _install(self, derived: DerivedData, chunks: list[Chunk]) -> None:
        with self._lock:
            self._derived = derived
            self._chunk_cache = {c.chunk_id: c for c in chunks}
        self._cache.save(derived)

    def ensure_fresh(self, force: bool = False) -> None:
        """Reload the derived data when the version stamp moved (at most every few seconds)."""
        now = time.monotonic()
        if not force and self._derived is not None and now - self._last_version_check < self.version_check_seconds:
            return
        self._last_version_check = now
        version = self.current_version().get("version", "")
        count = self.count()
        with self._lock:
            if self._derived is not None and self._derived.version == version and self._derived.count == count:
                return
            cached = self._cache.load(version, count)
            if cached is not None:
                self._derived = cached
                self._chunk_cache.clear()
                return
        log.info("keyword index out of step with the vector index; rebuilding (%d chunks)", count)
        self._rebuild(version)

    def derived(self) -> DerivedData | None:
        """The derived data, refreshed if the version stamp moved (None only when nothing could be built)."""
        self.ensure_fresh()
        return self._derived

    @property
    def version(self) -> str:
        """The version stamp the derived data was built at (no round-trip to Chroma)."""
        derived = self.derived()
        return derived.version if derived else ""

    @property
    def public_numbers(self) -> frozenset[str]:
        """The identifier detector's allow-list: what the guidance quotes (`bot.index.public_numbers`)."""
        derived = self.derived()
        return derived.public_numbers if derived else frozenset()

    def idf(self, term: str) -> float:
        derived = self.derived()
        return derived.keyword.idf(term) if derived else 1.0

    def document_frequency(self, term: str) -> int:
        """How many chunks hold this analysed term (0: the corpus never mentions it)."""
        derived = self.derived()
        return derived.keyword.document_frequency(term) if derived else 0

    def keyword_ids(self) -> list[str]:
        derived = self.derived()
        return list(derived.keyword.ids) if derived else []

    # --- searching ---
    def dense_search(self, query_vector: np.ndarray, k: int) -> list[ScoredChunk]:
        return [ScoredChunk(chunk=chunk, score=similarity, dense=similarity)
                for chunk, similarity in self.store.dense_search(query_vector, k)]

    def adapted_query(self, query_vector: np.ndarray) -> np.ndarray | None:  # None: no adapter (query_adapter)
        derived = self.derived()
        return adapt(derived.adapter, query_vector) if derived and derived.adapter is not None else None

    def question_search(self, query_vector: np.ndarray, k: int) -> dict[str, float]:
        """chunk id -> best cosine between the query and that chunk's section questions."""
        return self.store.question_search(query_vector, k)

    def nearest_questions(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.store.nearest_questions(query_vector, k)  # the k nearest questions' cosines and vectors, best first

    def keyword_search(self, query: str, k: int) -> list[ScoredChunk]:
        derived = self.derived()
        if derived is None:
            return []
        hits = derived.keyword.search(query, k)
        chunks = {c.chunk_id: c for c in self.get_chunks([chunk_id for chunk_id, _ in hits])}
        return [ScoredChunk(chunk=chunks[chunk_id], score=score, keyword=score)
                for chunk_id, score in hits if chunk_id in chunks]

    # --- what the index holds ---
    def info(self) -> IndexInfo:
        derived, version = self.derived(), self.current_version()
        reviewed = derived.reviewed if derived else ()
        try:
            active = self.store.active_verified_count()
        except Exception:
            active = 0
        return IndexInfo(chunks=derived.count if derived else 0, documents=derived.documents if derived else 0,
                         newest_reviewed=reviewed[-1] if reviewed else "", oldest_reviewed=reviewed[0] if reviewed else "",
                         last_ingest=version.get("last_ingest", ""), version=version.get("version", ""),
                         verified_active=active)
