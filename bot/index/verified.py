"""Verified answers in the index: the verified-answer methods of `Index`, kept as one block.

A mixin: it expects `self.verified` (the Chroma collection `ChromaStore.verified`) and `self.embedder`.
Issue 13 moves verified answers into the review store (SQL) with the index keeping only id, vector and
status; this block is replaced whole by that version when it lands. Until then it is the one place outside
`bot.index.store` that calls a Chroma collection.
"""

from __future__ import annotations

import numpy as np

from bot.index.schema import join_list as _join
from bot.types import VerifiedAnswer


class VerifiedAnswers:
    # --- verified answers ---
    def upsert_verified(self, verified: VerifiedAnswer, question_vector: np.ndarray | None = None) -> None:
        if question_vector is None:
            question_vector = self.embedder.embed_query(verified.question)
        self.verified.upsert(
            ids=[verified.verified_id],
            embeddings=[list(map(float, question_vector))],
            documents=[verified.question],
            metadatas=[
                {
                    "status": verified.status,
                    "cited_doc_ids": _join(verified.cited_doc_ids),
                    "record": verified.model_dump_json(),
                }
            ],
        )

    def set_verified_status(self, verified_id: str, status: str) -> VerifiedAnswer | None:
        found = self.get_verified(verified_id)
        if found is None:
            return None
        found.status = status
        got = self.verified.get(ids=[verified_id], include=["embeddings"])
        vector = np.asarray(got["embeddings"][0], dtype=np.float32)
        self.upsert_verified(found, vector)
        return found

    def get_verified(self, verified_id: str) -> VerifiedAnswer | None:
        got = self.verified.get(ids=[verified_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return VerifiedAnswer.model_validate_json(got["metadatas"][0]["record"])

    def list_verified(self) -> list[VerifiedAnswer]:
        got = self.verified.get(include=["metadatas"])
        return [VerifiedAnswer.model_validate_json(m["record"]) for m in got["metadatas"]]

    def search_verified(self, query_vector: np.ndarray, k: int = 3) -> list[tuple[VerifiedAnswer, float]]:
        active = self.verified.count()
        if active == 0:
            return []
        got = self.verified.query(
            query_embeddings=[list(map(float, query_vector))],
            n_results=min(k, active),
            where={"status": "active"},
            include=["metadatas", "distances"],
        )
        return [
            (VerifiedAnswer.model_validate_json(meta["record"]), 1.0 - float(distance))
            for meta, distance in zip(got["metadatas"][0], got["distances"][0])
        ]
