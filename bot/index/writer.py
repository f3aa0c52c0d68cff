"""Writing guidance into the index (ingest's side): each chunk with its vector, its answer units' and
sentences' vectors (the sentence store, `bot.units.stored_texts`) and its section questions' vectors
(pointing back at the chunk)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from bot.index.embedder import Embedder
from bot.index import schema
from bot.index.sentence_store import SentenceStore
from bot.index.store import WRITE_BATCH, ChromaStore
from bot.types import Chunk
from bot.units import stored_texts, unit_key

EMBED_BATCH = 64  # answer units and section questions per embedder call


class GuidanceWriter:
    def __init__(self, store: ChromaStore, sentences: SentenceStore, embedder: Embedder):
        self.store = store
        self.sentences = sentences
        self.embedder = embedder

    def embed_chunks(self, chunks: Sequence[Chunk]) -> np.ndarray:
        return self.embedder.embed([schema.embedding_text(c) for c in chunks])

    def upsert_chunks(self, chunks: Sequence[Chunk], embeddings: np.ndarray | None = None,
                      unit_vectors: Sequence[np.ndarray] | None = None) -> None:
        """Store chunks with their vectors, their answer units' and sentences' vectors (embedded here unless
        given: one array per chunk, for its `stored_texts` in order) and their section questions' vectors."""
        if not chunks:
            return
        self.store.upsert_chunks(chunks, self.embed_chunks(chunks) if embeddings is None else embeddings)
        self.sentences.put(self._unit_rows(chunks, unit_vectors))
        self._replace_questions(chunks)

    def _unit_rows(self, chunks: Sequence[Chunk], unit_vectors: Sequence[np.ndarray] | None,
                   have: dict[str, dict[str, np.ndarray]] | None = None):
        """A sentence-store row per chunk: the vectors of its `stored_texts`, given (one array per chunk, in
        that order) or taken from `have` (chunk id -> unit key -> vector) and embedded where missing. With
        `have`, a chunk whose texts all have vectors already gets no row."""
        keyed = [[(unit_key(t), t) for t in stored_texts(c)] for c in chunks]  # each text's key, computed once
        if have is not None:
            kept = [i for i, (c, kt) in enumerate(zip(chunks, keyed))
                    if not {k for k, _ in kt} <= set(have.get(c.chunk_id, {}))]
            chunks, keyed = [chunks[i] for i in kept], [keyed[i] for i in kept]
        if unit_vectors is None:
            have = have or {}
            missing = [t for c, kt in zip(chunks, keyed) for k, t in kt if k not in have.get(c.chunk_id, {})]
            fresh = dict(zip(missing, self.embedder.embed(missing, batch_size=EMBED_BATCH))) if missing else {}
            unit_vectors = [np.asarray([have.get(c.chunk_id, {}).get(k, fresh.get(t)) for k, t in kt])
                            for c, kt in zip(chunks, keyed)]
        return [(c.chunk_id, [k for k, _ in kt][: len(vectors)], vectors[: len(kt)])
                for c, kt, vectors in zip(chunks, keyed, unit_vectors)]

    def _replace_questions(self, chunks: Sequence[Chunk]) -> None:
        """Each chunk's section questions as vectors pointing at it (replaced whole)."""
        self.store.delete_questions([c.chunk_id for c in chunks])
        records = schema.question_records(chunks)
        if records:
            vectors = self.embedder.embed([q for _, q, _ in records], batch_size=EMBED_BATCH)
            self.store.put_questions(records, vectors)

    def update_chunk_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Rewrite the metadata of chunks whose text did not change (a chunk id hashes its text): no
        re-embedding. Their section questions may have changed, so those are replaced (short texts: cheap
        to embed)."""
        for start in range(0, len(chunks), WRITE_BATCH):
            part = chunks[start : start + WRITE_BATCH]
            self.store.update_chunk_metadata(part)
            # an index built before sentence vectors existed (or before they covered every sentence) gets the
            # missing ones now (its chunks' texts are unchanged)
            self.top_up_unit_vectors(part)
        self._replace_questions(chunks)

    def top_up_unit_vectors(self, chunks: Sequence[Chunk]) -> None:
        """Embed the answer units and sentences of `chunks` that the sentence store has no vector for (the
        stored ones are kept); a chunk whose texts all have vectors is not rewritten."""
        for start in range(0, len(chunks), WRITE_BATCH):
            part = chunks[start : start + WRITE_BATCH]
            self.sentences.put(self._unit_rows(part, None, self.sentences.get([c.chunk_id for c in part])))

    def delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        ids = list(chunk_ids)
        self.store.delete_chunks(ids)
        self.store.delete_questions(ids)
        self.sentences.delete(ids)
