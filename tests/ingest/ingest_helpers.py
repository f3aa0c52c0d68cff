"""Helpers shared by the ingest tests (imported as `ingest_helpers`)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from bot.units import stored_texts


def ingest_settings(data_dir: Path, knowledge_dir: Path | None = None, **overrides) -> Settings:
    return Settings(
        _env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=knowledge_dir or data_dir / "knowledge", **overrides
    )


class CountingEmbedder:
    """Wraps the shared embedder and remembers every text it was asked to embed."""

    def __init__(self, inner):
        self.inner = inner
        self.texts: list[str] = []

    def embed(self, texts, batch_size: int = 32):
        self.texts.extend(texts)
        return self.inner.embed(texts, batch_size=batch_size)

    def embed_query(self, text):
        return self.inner.embed_query(text)

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def reset(self) -> int:
        n = len(self.texts)
        self.texts.clear()
        return n


def embeds_for(index, chunk_ids) -> int:
    """How many texts indexing these chunks embeds: each passage, each of its answer units and sentences (their
    vectors are computed at ingest: `bot.units.stored_texts`) and each of its section questions."""
    chunks = index.get_chunks(sorted(chunk_ids))
    assert len(chunks) == len(set(chunk_ids))
    return sum(1 + len(stored_texts(c)) + len(c.questions) for c in chunks)


def doc_text(title: str, sections: dict[str, str], *, reviewed: str = "2099-01-01") -> str:
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections.items())
    return (
        f"---\ntitle: {title}\npublisher: [NHS England]\nsource_urls: [https://example.org/{title.lower().replace(' ', '-')}]\n"
        f"source_dates: ['2024-01-01']\nlast_reviewed: {reviewed}\ntopics: [test]\n---\n# {title}\n\n"
        f"{title} is described here in one direct paragraph that answers the main question about it clearly.\n\n{body}\n"
    )


def para(topic: str, n: int = 2) -> str:
    return " ".join(
        f"The {topic} rule number {i} says staff check the online record carefully before access is given to anyone."
        for i in range(n)
    )
