"""The index: the only module that talks to Chroma and to the keyword (BM25) index.

It owns
- the chunk metadata schema (`chunk_to_metadata` / `chunk_from_record`), used by ingest and the bot;
- which embedder made the stored vectors: its fingerprint (bot/embedder.py) is kept with the version stamp,
  and `embedder_changed()` tells ingest to re-embed everything when the configured embedder differs;
- the Chroma collections: guidance chunks (cosine), verified answers (id, question vector and status only:
  their text lives in the review store), and a small meta collection holding the index version stamp;
- the BM25 keyword index, rebuilt from Chroma whenever the version stamp moves, so both always hold
  exactly the same chunk ids.

Chroma's default embedding function downloads a model, so every collection is opened with
`embedding_function=None` and every add/query passes our own vectors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import pickle
import re
import threading
import time
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from bot import identifiers
from bot.embedder import EMBEDDING_DIM, Embedder, load_embedder
from bot.settings import Settings
from bot.sentence_store import SentenceStore
from bot.types import Chunk, ScoredChunk
from bot.units import split_units, unit_key

log = logging.getLogger(__name__)

CHUNKS_COLLECTION = "gpbot_chunks"
VERIFIED_COLLECTION = "gpbot_verified"
QUESTIONS_COLLECTION = "gpbot_questions"  # staff questions a section answers: extra vectors pointing at chunks
META_COLLECTION = "gpbot_meta"
VERSION_RECORD = "index_version"
LIST_SEPARATOR = " | "

# --------------------------------------------------------------------------------------------
# The chunk metadata schema. Chroma metadata values are scalars, so lists are joined.
# --------------------------------------------------------------------------------------------
SCHEMA_FIELDS = (
    "doc_id",
    "chunk_id",
    "chunk_index",
    "title",
    "heading_path",
    "publisher",
    "source",
    "source_urls",
    "published",
    "last_reviewed",
    "topics",
    "clinical_systems",
    "content_hash",
)
_LIST_FIELDS = {"heading_path", "publisher", "source_urls", "topics", "clinical_systems"}
# Corpus annotations, one JSON field: per-line sources, their references, the section's questions.
ANNOTATIONS_FIELD = "annotations"


def _join(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(v.replace(LIST_SEPARATOR, " ") for v in values)


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(LIST_SEPARATOR) if v]


def chunk_to_metadata(chunk: Chunk) -> dict[str, str | int]:
    data = chunk.model_dump()
    meta: dict[str, str | int] = {}
    for name in SCHEMA_FIELDS:
        value = data[name]
        meta[name] = _join(value) if name in _LIST_FIELDS else value
    if chunk.line_sources or chunk.references or chunk.questions:
        meta[ANNOTATIONS_FIELD] = json.dumps(
            {"l": chunk.line_sources, "r": chunk.references, "q": chunk.questions}, separators=(",", ":"))
    return meta


def chunk_from_record(text: str, meta: dict) -> Chunk:
    fields = {name: meta.get(name) for name in SCHEMA_FIELDS}
    for name in _LIST_FIELDS:
        fields[name] = _split(fields[name])
    fields["chunk_index"] = int(fields["chunk_index"] or 0)
    fields = {k: v for k, v in fields.items() if v is not None}
    if meta.get(ANNOTATIONS_FIELD):
        try:
            notes = json.loads(meta[ANNOTATIONS_FIELD])
            fields.update(line_sources=notes.get("l", []), references=notes.get("r", {}),
                          questions=notes.get("q", []))
        except (ValueError, AttributeError):  # a damaged field costs the annotations, not the chunk
            pass
    return Chunk(text=text or "", **fields)


def embedding_text(chunk: Chunk) -> str:
    """What the dense retriever sees of a chunk: where it sits, then what it says."""
    head = ". ".join(part for part in [chunk.title, *chunk.heading_path[1:]] if part)
    return f"{head}.\n{chunk.text}" if head else chunk.text


# --------------------------------------------------------------------------------------------
# Keyword index (bm25s)
# --------------------------------------------------------------------------------------------
_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does doing for from had has have having he her
    hers him his how i if in into is it its just me my no nor not of on or our ours she should so some such
    than that the their them then there these they this those to too up us very was we were what when where
    which while who whom why will with would you your yours""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


def _stem(token: str) -> str:
    if token.isdigit() or len(token) <= 3:
        return token
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)] + repl
    return token


def analyze(text: str) -> list[str]:
    """Lower-case word tokens with stop words dropped and a light suffix stemmer; digits kept (codes)."""
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


class KeywordIndex:
    """BM25 over chunk texts, with the non-zero top-k selection (fast at 100k chunks)."""

    def __init__(self, ids: list[str], token_lists: list[list[str]]):
        import bm25s

        self.ids = ids
        self._retriever = None
        document_frequency: dict[str, int] = {}
        for tokens in token_lists:
            for token in set(tokens):
                document_frequency[token] = document_frequency.get(token, 0) + 1
        self._df = document_frequency
        if ids:
            retriever = bm25s.BM25()
            retriever.index([tokens or ["_empty_"] for tokens in token_lists], show_progress=False)
            self._retriever = retriever

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "KeywordIndex":
        return cls(ids, [analyze(t) for t in texts])

    def idf(self, term: str) -> float:
        """Inverse document frequency of an analysed term (BM25's smoothed form)."""
        n = max(1, len(self.ids))
        df = self._df.get(term, 0)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if self._retriever is None:
            return []
        tokens = [t for t in analyze(query) if t in self._retriever.vocab_dict]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        nonzero = np.flatnonzero(scores)
        if len(nonzero) > k:
            nonzero = nonzero[np.argpartition(-scores[nonzero], k)[:k]]
        top = nonzero[np.argsort(-scores[nonzero], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top]


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------
@dataclass
class IndexInfo:
    chunks: int
    documents: int
    newest_reviewed: str
    oldest_reviewed: str
    last_ingest: str
    version: str
    verified_active: int


class Index:
    """Chroma collections + embedder + keyword index. Safe to share between threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder or load_embedder(settings)
        self._lock = threading.RLock()
        # Built from every chunk whenever the version stamp moves, cached on disk with it: the keyword
        # index, each document's lead chunk id, the help-line numbers the corpus quotes, review dates.
        self._derived: dict | None = None
        self._keyword_version: str | None = None
        self._chunk_cache: dict[str, Chunk] = {}
        self._last_version_check = 0.0
        self.version_check_seconds = 5.0

    # --- connection ---
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
        return self.client.get_or_create_collection(
            name=name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    @cached_property
    def chunks(self):
        return self._collection(CHUNKS_COLLECTION)

    @cached_property
    def verified(self):
        return self._collection(VERIFIED_COLLECTION)

    @cached_property
    def meta(self):
        return self._collection(META_COLLECTION)

    @cached_property
    def questions(self):
        return self._collection(QUESTIONS_COLLECTION)

    @cached_property
    def sentences(self) -> SentenceStore:
        return SentenceStore(self.settings.data_dir / "sentence_vectors.sqlite")

    # --- writing guidance chunks (ingest) ---
    def embed_chunks(self, chunks: Sequence[Chunk]) -> np.ndarray:
        return self.embedder.embed([embedding_text(c) for c in chunks])

    def upsert_chunks(self, chunks: Sequence[Chunk], embeddings: np.ndarray | None = None,
                      unit_vectors: Sequence[np.ndarray] | None = None) -> None:
        """Store chunks with their vectors, their answer units' vectors (embedded here unless given, one
        array per chunk) and their section questions' vectors."""
        if not chunks:
            return
        if embeddings is None:
            embeddings = self.embed_chunks(chunks)
        self.chunks.upsert(
            ids=[c.chunk_id for c in chunks],
            embeddings=[list(map(float, v)) for v in embeddings],
            documents=[c.text for c in chunks],
            metadatas=[chunk_to_metadata(c) for c in chunks],
        )
        self.sentences.put(self._unit_rows(chunks, unit_vectors))
        self._replace_questions(chunks)

    def _unit_rows(self, chunks: Sequence[Chunk], unit_vectors: Sequence[np.ndarray] | None):
        units = [[u.text for u in split_units(c, 0)] for c in chunks]
        if unit_vectors is None:
            flat = self.embedder.embed([t for texts in units for t in texts], batch_size=64)
            offsets = np.cumsum([0, *map(len, units)])
            unit_vectors = [flat[offsets[i] : offsets[i + 1]] for i in range(len(chunks))]
        return [(c.chunk_id, [unit_key(t) for t in texts], vectors[: len(texts)])
                for c, texts, vectors in zip(chunks, units, unit_vectors)]

    def _replace_questions(self, chunks: Sequence[Chunk]) -> None:
        """Each chunk's section questions as vectors pointing at it (ids chunk_id:n, replaced whole)."""
        self._delete_questions([c.chunk_id for c in chunks])
        rows = [(f"{c.chunk_id}:{n}", q, c) for c in chunks for n, q in enumerate(c.questions)]
        if not rows:
            return
        vectors = self.embedder.embed([q for _, q, _ in rows], batch_size=64)
        for start in range(0, len(rows), 2000):
            part = rows[start : start + 2000]
            self.questions.upsert(
                ids=[i for i, _, _ in part],
                embeddings=[list(map(float, v)) for v in vectors[start : start + len(part)]],
                documents=[q for _, q, _ in part],
                metadatas=[{"chunk_id": c.chunk_id, "doc_id": c.doc_id} for _, _, c in part],
            )

    def _delete_questions(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids or self.questions.count() == 0:
            return
        for start in range(0, len(chunk_ids), 500):
            self.questions.delete(where={"chunk_id": {"$in": list(chunk_ids[start : start + 500])}})

    def update_chunk_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Rewrite the metadata of chunks whose text did not change (a chunk id hashes its text): no
        re-embedding. Passing `documents=` here would make Chroma run its default embedding function.
        Their section questions may have changed, so those are replaced (short texts: cheap to embed)."""
        for start in range(0, len(chunks), 500):
            part = chunks[start : start + 500]
            self.chunks.update(ids=[c.chunk_id for c in part], metadatas=[chunk_to_metadata(c) for c in part])
            # an index built before sentence vectors existed gets them now (its chunks' texts are unchanged)
            have = self.sentences.get([c.chunk_id for c in part])
            self.sentences.put(self._unit_rows([c for c in part if c.chunk_id not in have], None))
        self._replace_questions(chunks)

    def delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        ids = list(chunk_ids)
        for start in range(0, len(ids), 500):
            self.chunks.delete(ids=ids[start : start + 500])
        self._delete_questions(ids)
        self.sentences.delete(ids)

    def unit_vectors(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
        """chunk id -> {unit key -> vector}: the answer units' vectors computed at ingest."""
        return self.sentences.get(list(chunk_ids))

    def chunk_refs(self) -> dict[str, dict]:
        """chunk id -> {doc_id, source, content_hash} for every guidance chunk (no texts, no vectors)."""
        refs: dict[str, dict] = {}
        total = self.chunks.count()
        for offset in range(0, total, 5000):
            got = self.chunks.get(include=["metadatas"], limit=5000, offset=offset)
            for chunk_id, meta in zip(got["ids"], got["metadatas"]):
                refs[chunk_id] = {
                    "doc_id": meta.get("doc_id", ""),
                    "source": meta.get("source", ""),
                    "content_hash": meta.get("content_hash", ""),
                    "title": meta.get("title", ""),
                    "last_reviewed": meta.get("last_reviewed", ""),
                }
        return refs

    def all_chunks(self) -> list[Chunk]:
        out: list[Chunk] = []
        total = self.chunks.count()
        for offset in range(0, total, 5000):
            got = self.chunks.get(include=["documents", "metadatas"], limit=5000, offset=offset)
            out.extend(chunk_from_record(t, m) for t, m in zip(got["documents"], got["metadatas"]))
        return out

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        missing = [i for i in chunk_ids if i not in self._chunk_cache]
        if missing:
            got = self.chunks.get(ids=missing, include=["documents", "metadatas"])
            for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                self._chunk_cache[chunk_id] = chunk_from_record(text, meta)
        return [self._chunk_cache[i] for i in chunk_ids if i in self._chunk_cache]

    def count(self) -> int:
        return self.chunks.count()

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embeddings of these chunks (for reranking and near-duplicate collapsing)."""
        if not chunk_ids:
            return {}
        got = self.chunks.get(ids=list(chunk_ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def sample_vectors(self, limit: int) -> np.ndarray:
        """The stored embeddings of up to `limit` chunks spread evenly over the index (cheap at 100k chunks):
        a sample of what the corpus is about."""
        ids = self.keyword_ids()
        step = max(1, len(ids) // max(1, limit))
        vectors = list(self.vectors(ids[::step][:limit]).values())
        return np.stack(vectors) if vectors else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)

    # --- version stamp: lets a running bot notice a finished ingest ---
    def current_version(self) -> dict:
        got = self.meta.get(ids=[VERSION_RECORD], include=["metadatas"])
        if got["ids"]:
            return dict(got["metadatas"][0])
        return {"version": "", "updated_at": "", "last_ingest": ""}

    def mark_changed(self, *, ingest_summary: dict | None = None) -> str:
        """Record that the guidance chunks changed; rebuild our own keyword index now."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        version = uuid.uuid4().hex
        meta = {"version": version, "updated_at": now, "last_ingest": now, "embedder": self.embedder_fingerprint}
        if ingest_summary is not None:
            meta["last_summary"] = json.dumps(ingest_summary)[:4000]
        self.meta.upsert(ids=[VERSION_RECORD], embeddings=[[0.0] * (EMBEDDING_DIM - 1) + [1.0]], metadatas=[meta])
        self._rebuild_keyword(version)
        return version

    @property
    def embedder_fingerprint(self) -> str:
        return getattr(self.embedder, "fingerprint", "") or type(self.embedder).__name__

    def embedder_changed(self) -> bool:
        """True when the index holds vectors from another embedder than the configured one (or from before
        fingerprints were recorded): ingest then re-embeds every chunk and verified question."""
        if self.count() == 0 and self.verified.count() == 0:
            return False
        return self.current_version().get("embedder", "") != self.embedder_fingerprint

    # --- keyword index lifecycle ---
    def _cache_path(self) -> Path:
        return self.settings.data_dir / "keyword_index.pkl"

    def _rebuild_keyword(self, version: str) -> None:
        chunks = self.all_chunks()
        derived = {
            "keyword": KeywordIndex.build([c.chunk_id for c in chunks], [embedding_text(c) for c in chunks]),
            # phone numbers the guidance itself quotes (help lines): never a patient's identifier
            "public_numbers": set().union(*(identifiers.public_identifiers(c.text) for c in chunks)),
            "reviewed": sorted({c.last_reviewed for c in chunks if c.last_reviewed}),
            "documents": len({c.doc_id for c in chunks}),
        }
        with self._lock:
            self._derived, self._keyword_version = derived, version
            self._chunk_cache = {c.chunk_id: c for c in chunks}
        try:
            path = self._cache_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump({"version": version, "count": len(chunks), **derived}, fh)
            tmp.replace(path)
        except OSError as exc:  # a read-only data dir still answers
            log.warning("could not cache the keyword index: %s", exc)

    def ensure_fresh(self, force: bool = False) -> None:
        """Reload the keyword index when the version stamp moved (at most every few seconds)."""
        now = time.monotonic()
        if not force and self._derived is not None and now - self._last_version_check < self.version_check_seconds:
            return
        self._last_version_check = now
        version = self.current_version().get("version", "")
        count = self.count()
        with self._lock:
            if self._derived is not None and self._keyword_version == version and len(self._keyword.ids) == count:
                return
            cached = self._load_cached(version, count)
            if cached is not None:
                self._derived, self._keyword_version = cached, version
                self._chunk_cache.clear()
                return
        log.info("keyword index out of step with the vector index; rebuilding (%d chunks)", count)
        self._rebuild_keyword(version)

    def _load_cached(self, version: str, count: int) -> dict | None:
        path = self._cache_path()
        if not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                data = pickle.load(fh)
        except Exception:  # a torn or old cache is rebuilt
            return None
        if data.get("version") == version and data.get("count") == count and "public_numbers" in data:
            return data
        return None

    @property
    def _keyword(self) -> KeywordIndex | None:
        return self._derived["keyword"] if self._derived else None

    @property
    def version(self) -> str:
        """The version stamp the derived data was built at (no round-trip to Chroma)."""
        self.ensure_fresh()
        return self._keyword_version or ""

    @property
    def public_numbers(self) -> set[str]:
        """What the guidance quotes (help-line numbers as national-form digits, "name:..." and "email:..." of
        the people and offices it names): the identifier detector's allow-list (`identifiers.public_identifiers`)."""
        self.ensure_fresh()
        return self._derived["public_numbers"] if self._derived else set()

    def idf(self, term: str) -> float:
        self.ensure_fresh()
        return self._keyword.idf(term) if self._keyword else 1.0

    def document_frequency(self, term: str) -> int:
        """How many chunks hold this analysed term (0: the corpus never mentions it)."""
        self.ensure_fresh()
        return self._keyword._df.get(term, 0) if self._keyword else 0

    def keyword_ids(self) -> list[str]:
        self.ensure_fresh()
        return list(self._keyword.ids) if self._keyword else []

    # --- searching ---
    def dense_search(self, query_vector: np.ndarray, k: int) -> list[ScoredChunk]:
        total = self.count()
        if total == 0:
            return []
        got = self.chunks.query(
            query_embeddings=[list(map(float, query_vector))],
            n_results=min(k, total),
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for text, meta, distance in zip(got["documents"][0], got["metadatas"][0], got["distances"][0]):
            chunk = chunk_from_record(text, meta)
            similarity = 1.0 - float(distance)
            out.append(ScoredChunk(chunk=chunk, score=similarity, dense=similarity))
        return out

    def question_search(self, query_vector: np.ndarray, k: int) -> dict[str, float]:
        """chunk id -> best cosine between the query and that chunk's section questions."""
        total = self.questions.count()
        if total == 0:
            return {}
        got = self.questions.query(query_embeddings=[list(map(float, query_vector))], n_results=min(k, total),
                                   include=["metadatas", "distances"])
        best: dict[str, float] = {}
        for meta, distance in zip(got["metadatas"][0], got["distances"][0]):
            chunk_id = meta.get("chunk_id", "")
            best[chunk_id] = max(best.get(chunk_id, -1.0), 1.0 - float(distance))
        return best

    def keyword_search(self, query: str, k: int) -> list[ScoredChunk]:
        self.ensure_fresh()
        keyword = self._keyword
        if keyword is None:
            return []
        hits = keyword.search(query, k)
        chunks = {c.chunk_id: c for c in self.get_chunks([chunk_id for chunk_id, _ in hits])}
        return [
            ScoredChunk(chunk=chunks[chunk_id], score=score, keyword=score)
            for chunk_id, score in hits
            if chunk_id in chunks
        ]

    # --- what the index holds ---
    def info(self) -> IndexInfo:
        self.ensure_fresh()
        derived = self._derived or {"reviewed": [], "documents": 0, "keyword": None}
        reviewed = derived["reviewed"]
        version = self.current_version()
        try:
            active = len(self.verified.get(where={"status": "active"}, include=[])["ids"])
        except Exception:
            active = 0
        return IndexInfo(
            chunks=len(self._keyword.ids) if self._keyword else 0,
            documents=derived["documents"],
            newest_reviewed=reviewed[-1] if reviewed else "",
            oldest_reviewed=reviewed[0] if reviewed else "",
            last_ingest=version.get("last_ingest", ""),
            version=version.get("version", ""),
            verified_active=active,
        )

    # --- verified answers: id, question vector and status only (their text lives in the review store) ---
    def upsert_verified(self, verified_id: str, question_vector: np.ndarray, status: str) -> None:
        """Written whole (Chroma's upsert would keep an older record's other fields: releases before 2026-12
        kept the answer here too; `gpbot review verified reindex` rewrites those)."""
        self.verified.delete(ids=[verified_id])
        self.verified.add(ids=[verified_id], embeddings=[list(map(float, question_vector))],
                          metadatas=[{"status": status}])

    def set_verified_status(self, verified_id: str, status: str) -> None:
        """KeyError when the index does not hold this verified answer (then upsert it)."""
        if not self.verified.get(ids=[verified_id], include=[])["ids"]:
            raise KeyError(verified_id)
        self.verified.update(ids=[verified_id], metadatas=[{"status": status}])

    def delete_verified(self, verified_id: str) -> None:
        self.verified.delete(ids=[verified_id])

    def verified_statuses(self) -> dict[str, str]:
        """verified id -> status, for every verified answer the index holds."""
        got = self.verified.get(include=["metadatas"])
        return {vid: (meta or {}).get("status", "") for vid, meta in zip(got["ids"], got["metadatas"])}

    def search_verified(self, query_vector: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
        """The active verified answers whose questions are nearest the query: (verified id, cosine similarity)."""
        stored = self.verified.count()
        if stored == 0:
            return []
        got = self.verified.query(query_embeddings=[list(map(float, query_vector))], n_results=min(k, stored),
                                  where={"status": "active"}, include=["distances"])
        return [(vid, 1.0 - float(distance)) for vid, distance in zip(got["ids"][0], got["distances"][0])]
