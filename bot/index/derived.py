"""What the index derives from every chunk when its version stamp moves, and the on-disk cache of it.

`DerivedData` holds the keyword index, the identifier allow-list the corpus quotes, the review dates, the
number of documents and the query adapter learned from the section questions and verified answers
(`bot.index.query_adapter`; None when the index has too few). It is rebuilt from the store after each ingest (or
when the cache is missing, torn or from another version) and saved beside the index (JSON, bm25s's own files and a
.npy array, no pickle), keyed by the version stamp, the chunk count and the cache format (which names the text
analysis, so a new analysis never reuses an old keyword index).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from bot.index.keyword import ANALYZER, KeywordIndex
from bot.index.public_numbers import corpus_public_identifiers
from bot.index.query_adapter import usable
from bot.index.schema import embedding_text
from bot.types import Chunk

log = logging.getLogger(__name__)

CACHE_FORMAT = f"derived-3/{ANALYZER}"
DERIVED_FILE = "derived.json"  # written last: a folder without it is incomplete
KEYWORD_DIR = "keyword"
ADAPTER_FILE = "query-adapter.npy"  # absent: no adapter
TMP_PREFIX = ".tmp-"
TMP_MAX_AGE = 3600  # seconds before a temporary folder counts as left by a killed process
LEGACY_PICKLE = "keyword_index.pkl"  # the cache's earlier form, removed when the new one is written


@dataclass(frozen=True)
class DerivedData:
    version: str
    keyword: KeywordIndex
    public_numbers: frozenset[str]
    reviewed: tuple[str, ...]  # the distinct review dates, oldest first
    documents: int
    adapter: np.ndarray | None = None  # the query adapter's W (`bot.index.query_adapter`), or None

    @property
    def count(self) -> int:
        return len(self.keyword.ids)

    @classmethod
    def build(cls, version: str, chunks: Sequence[Chunk], adapter: np.ndarray | None = None) -> "DerivedData":
        return cls(
            version=version,
            keyword=KeywordIndex.build([c.chunk_id for c in chunks], [embedding_text(c) for c in chunks]),
            public_numbers=corpus_public_identifiers(c.text for c in chunks),
            reviewed=tuple(sorted({c.last_reviewed for c in chunks if c.last_reviewed})),
            documents=len({c.doc_id for c in chunks}),
            adapter=adapter,
        )


class DerivedCache:
    """A folder in the data dir with one subfolder per version stamp: the keyword index (JSON and bm25s's own
    files), the query adapter (.npy) and `derived.json`, written into a temporary folder and renamed into place
    whole. No pickle."""

    def __init__(self, root: Path):
        self.root = root

    def _folder(self, version: str) -> Path:
        return self.root / f"v-{version or 'unstamped'}"

    def load(self, version: str, count: int) -> DerivedData | None:
        """The cached data if it was built at this version with this many chunks, else None."""
        folder = self._folder(version)
        meta = self._meta(folder, version, count)
        if meta is None:
            return None
        try:
            keyword = KeywordIndex.load(folder / KEYWORD_DIR)
            adapter = np.load(folder / ADAPTER_FILE, allow_pickle=False) if meta.get("adapter") else None
        except Exception:  # missing, torn or from an older layout: rebuilt
            return None
        if len(keyword.ids) != count or (adapter is not None and not usable(adapter)):
            return None
        return DerivedData(version=version, keyword=keyword, public_numbers=frozenset(meta["public_numbers"]),
                           reviewed=tuple(meta["reviewed"]), documents=meta["documents"], adapter=adapter)

    def save(self, data: DerivedData) -> None:
        target = self._folder(data.version)
        if self.load(data.version, data.count) is not None:  # already saved whole (another process)
            self._prune(keep=target)
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=self.root))
            tmp.chmod(0o755)  # as readable as the files in it (mkdtemp makes it owner-only)
            data.keyword.save(tmp / KEYWORD_DIR)
            if data.adapter is not None:
                np.save(tmp / ADAPTER_FILE, data.adapter, allow_pickle=False)
            meta = {"format": CACHE_FORMAT, "version": data.version, "count": data.count,
                    "public_numbers": sorted(data.public_numbers), "reviewed": list(data.reviewed),
                    "documents": data.documents, "adapter": data.adapter is not None}
            (tmp / DERIVED_FILE).write_text(json.dumps(meta), encoding="utf-8")
            if self.load(data.version, data.count) is not None:  # saved whole meanwhile: the same data
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                replaced = None
                if target.exists():  # this version at another chunk count (an interrupted ingest), or torn: replaced
                    replaced = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=self.root))
                    target.rename(replaced / "old")
                tmp.rename(target)
                if replaced is not None:
                    shutil.rmtree(replaced, ignore_errors=True)
        except OSError as exc:  # a read-only data dir still answers
            log.warning("could not cache the keyword index: %s", exc)
            return
        self._prune(keep=target)

    @staticmethod
    def _meta(folder: Path, version: str, count: int) -> dict | None:
        """The folder's metadata when it holds this version's data at this chunk count, else None."""
        try:
            meta = json.loads((folder / DERIVED_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or (meta.get("format"), meta.get("version"), meta.get("count")) != (
                CACHE_FORMAT, version, count):
            return None
        return meta

    def _prune(self, keep: Path) -> None:
        """Remove other versions' folders, and temporary folders a killed process left (old enough that no
        process is still writing them)."""
        (self.root.parent / LEGACY_PICKLE).unlink(missing_ok=True)
        for folder in self.root.iterdir():
            stale_tmp = folder.name.startswith(TMP_PREFIX) and time.time() - folder.stat().st_mtime > TMP_MAX_AGE
            if folder != keep and (folder.name.startswith("v-") or stale_tmp):
                shutil.rmtree(folder, ignore_errors=True)
