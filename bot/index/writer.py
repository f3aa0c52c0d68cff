"""Writing guidance into the index (ingest's side): each chunk with its vector, its answer units' vectors
(the sentence store) and its section questions' vectors (pointing back at the chunk)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from bot.index.embedder import Embedder
from bot.index import schema
from bot.index.sentence_store import SentenceStore
from bot.index.store import WRITE_BATCH, ChromaStore
from bot.types import Chunk
from bot.units import split_units, unit_key

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
        """Store chunks with their vectors, their answer units' vectors (embedded here unless given, one
        array per chunk) and their section questions' vectors."""
        if not chunks:
            return
        self.store.upsert_chunks(chunks, self.embed_chunks(chunks) if embeddings is None else embeddings)
        self.sentences.put(self._unit_rows(chunks, unit_vectors))
        self._replace_questions(chunks)

    def _unit_rows(self, chunks: Sequence[Chunk], unit_vectors: Sequence[np.ndarray] | None):
        units = [[u.text for u in split_units(c, 0)] for c in chunks]
        if unit_vectors is None:
            flat = self.embedder.embed([t for texts in units for t in texts], batch_size=EMBED_BATCH)
            offsets = np.cumsum([0, *map(len, units)])
            unit_vectors = [flat[offsets[i] : offsets[i + 1]] for i in range(len(chunks))]
        return [(c.chunk_id, [unit_key(t) for t in texts], vectors[: len(texts)])
                for c, texts, vectors in zip(chunks, units, unit_vectors)]

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
            # an index built before sentence vectors existed gets them now (its chunks' texts are unchanged)
            have = self.sentences.get([c.chunk_id for c in part])
            self.sentences.put(self._unit_rows([c for c in part if c.chunk_id not in have], None))
        self._replace_questions(chunks)

    def delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        ids = list(chunk_ids)
        self.store.delete_chunks(ids)
        self.store.delete_questions(ids)
        self.sentences.delete(ids)
