"""Helpers shared by the review tests (importable: pytest puts tests/review on sys.path)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

NHS_NUMBER = "9991860916"


def make_settings(data_dir: Path, **overrides):
    from bot.settings import Settings

    return Settings(_env_file=None, gpbot_data_dir=data_dir, **overrides)


class FakeEmbedder:
    """Deterministic bag-of-words vectors: questions sharing words are similar. No model load."""

    dim = 384

    def embed(self, texts, batch_size: int = 32):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in "".join(ch.lower() if ch.isalnum() else " " for ch in text).split():
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[row, h % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def embed_query(self, text):
        return self.embed([text])[0]


def seed_chunks(index, docs: dict[str, str]) -> None:
    """Put one chunk per doc into the index: doc id -> content hash."""
    from bot.types import Chunk

    chunks = [
        Chunk(chunk_id=f"{doc}#0", doc_id=doc, text=f"Guidance text of {doc}.", title=doc.title(),
              source_urls=[f"https://example.org/{doc}"], content_hash=h)
        for doc, h in docs.items()
    ]
    index.upsert_chunks(chunks)


def citation(doc: str, number: int = 1):
    from bot.types import Citation

    return Citation(number=number, chunk_id=f"{doc}#0", doc_id=doc, title=doc.title(), url=f"https://example.org/{doc}")


def make_answer(question: str, text: str = "You can give access [1].", kind: str = "answered", docs=("doc-a",), **kw):
    from bot.types import Answer, AnswerKind

    cites = [citation(d, i + 1) for i, d in enumerate(docs)]
    if kind == "not_covered":
        return Answer(question=question, text=text, kind=AnswerKind(kind), closest=cites, confidence=0.1, **kw)
    return Answer(question=question, text=text, kind=AnswerKind(kind), citations=cites, confidence=0.8, **kw)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def record(review, question="Can a parent see a 12 year old's record?", **kw) -> str:
    """Record an answer as the Slack layer would; returns its id."""
    return review.record_answer(make_answer(question, **kw), team_id="T1", channel_id="C1", thread_ts="100.1",
                                user_id="UASK", latency_ms=250.0)
