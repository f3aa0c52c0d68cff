"""The chunk memo: what chunking produced for a file's exact bytes.

(doc id, bytes, chunker version, corpus annotations) -> chunk ids, document hash, title, last_reviewed. A pure
cache of a deterministic function, so a no-change run reads each file and compares with Chroma without parsing
or chunking it; a lost or stale memo only costs time. Kept in the data dir as `ingest/chunk_memo.json`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Iterable

from bot.settings import Settings
from bot.types import Chunk, SourceDocument
from ingest.chunking import CHUNK_OVERLAP, CHUNK_SIZE, MIN_CHARS

log = logging.getLogger(__name__)

MEMO_FILE = "chunk_memo.json"
MEMO_VERSION = f"2:{CHUNK_SIZE}:{CHUNK_OVERLAP}:{MIN_CHARS}"  # 2: the readers of ingest/readers (PDF, HTML, text)


def memo_version() -> str:
    try:
        from importlib.metadata import version

        return f"{MEMO_VERSION}:{version('langchain-text-splitters')}"
    except Exception:
        return MEMO_VERSION


class ChunkMemo:
    """The memo a run read (`old`) and the one it will save (`new`: only the entries this run used)."""

    def __init__(self, settings: Settings, annotation_fingerprints: Iterable[str]):
        self.path = settings.data_dir / "ingest" / MEMO_FILE
        # references.yaml / questions.yaml of each corpus folder: a change to them re-chunks its documents
        self.salt = memo_version() + ":" + ":".join(annotation_fingerprints)
        self.old = self._load()
        self.new: dict[str, dict] = {}

    def key(self, doc_id: str, data: bytes) -> str:
        return hashlib.sha256(self.salt.encode() + b"\x00" + doc_id.encode() + b"\x00" + data).hexdigest()

    def lookup(self, key: str) -> dict | None:
        """The entry remembered for `key` (kept for the next run), or None."""
        if key not in self.old:
            return None
        self.new[key] = self.old[key]
        return self.old[key]

    def record(self, key: str, document: SourceDocument, chunks: list[Chunk]) -> None:
        self.new[key] = {
            "ids": [c.chunk_id for c in chunks],
            "hash": chunks[0].content_hash,
            "title": document.title,
            "last_reviewed": document.last_reviewed,
        }

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def save(self) -> None:
        """Write the memo when this run's differs from the one it read."""
        if self.new == self.old:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.new, separators=(",", ":")))
            tmp.replace(self.path)
        except OSError as exc:
            log.warning("could not save the chunk memo: %s", exc)
