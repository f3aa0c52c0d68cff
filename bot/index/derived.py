"""What the index derives from every chunk when its version stamp moves, and the on-disk cache of it.

`DerivedData` holds the keyword index, the identifier allow-list the corpus quotes, the review dates and the
number of documents. It is rebuilt from the store after each ingest (or when the cache is missing, torn or
from another version) and pickled beside the index, keyed by the version stamp, the chunk count and the
cache format (which names the text analysis, so a new analysis never reuses an old keyword index).
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from bot.index.keyword import ANALYZER, KeywordIndex
from bot.index.public_numbers import corpus_public_identifiers
from bot.index.schema import embedding_text
from bot.types import Chunk

log = logging.getLogger(__name__)

CACHE_FORMAT = f"derived-2/{ANALYZER}"


@dataclass(frozen=True)
class DerivedData:
    version: str
    keyword: KeywordIndex
    public_numbers: frozenset[str]
    reviewed: tuple[str, ...]  # the distinct review dates, oldest first
    documents: int

    @property
    def count(self) -> int:
        return len(self.keyword.ids)

    @classmethod
    def build(cls, version: str, chunks: Sequence[Chunk]) -> "DerivedData":
        return cls(
            version=version,
            keyword=KeywordIndex.build([c.chunk_id for c in chunks], [embedding_text(c) for c in chunks]),
            public_numbers=corpus_public_identifiers(c.text for c in chunks),
            reviewed=tuple(sorted({c.last_reviewed for c in chunks if c.last_reviewed})),
            documents=len({c.doc_id for c in chunks}),
        )


class DerivedCache:
    """One pickle file in the data dir (written by this process, never taken from elsewhere)."""

    def __init__(self, path: Path):
        self.path = path

    def load(self, version: str, count: int) -> DerivedData | None:
        """The cached data if it was built at this version with this many chunks, else None."""
        if not self.path.exists():
            return None
        try:
            with self.path.open("rb") as fh:
                cache_format, data = pickle.load(fh)
        except Exception:  # a torn or old cache is rebuilt
            return None
        if cache_format == CACHE_FORMAT and isinstance(data, DerivedData) and data.version == version \
                and data.count == count:
            return data
        return None

    def save(self, data: DerivedData) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump((CACHE_FORMAT, data), fh)
            tmp.replace(self.path)
        except OSError as exc:  # a read-only data dir still answers
            log.warning("could not cache the keyword index: %s", exc)
