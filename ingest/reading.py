"""Step 1 of a run: read each source once and chunk it, or find its chunks in the memo.

A source that fails to read (or reads as nothing) is recorded as a failure and its document id protected:
the run leaves its indexed chunks exactly as they are. Any exception counts as a failure of that source only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot import prompts
from bot.settings import Settings
from bot.types import Chunk, SourceDocument
from ingest.annotations import CorpusAnnotations
from ingest.chunking import chunk_document
from ingest.fetch import UrlFetcher
from ingest.loaders import abspath, doc_id_for_path, load_bytes, read_file_bytes
from ingest.readers import LoadError
from ingest.memo import ChunkMemo
from ingest.progress import ProgressBars
from ingest.roots import RunPlan
from ingest.summary import Failure, IngestSummary

log = logging.getLogger(__name__)


class SourceReader:
    """Holds what the run read: documents and their chunks, memo hits still to confirm, and failures."""

    def __init__(self, settings: Settings, plan: RunPlan, summary: IngestSummary, *, persist: bool,
                 http_timeout: float, http_retries: int, http_backoff: float):
        self.summary = summary
        self.documents: dict[str, SourceDocument] = {}
        self.expected: dict[str, list[Chunk]] = {}
        self.memo_hits: dict[str, tuple[str, bytes, dict]] = {}  # doc id -> (path, bytes, memo entry)
        self.order: list[str] = []  # doc ids read OK, in order
        self.protected: set[str] = set()  # doc ids whose source failed: their indexed chunks stay as they are
        self.seen: set[str] = set()  # doc ids read in this run (or failed, and so protected)
        self.annotations = [CorpusAnnotations.load(Path(root.target)) for root in plan.roots if root.kind == "dir"]
        self.memo = ChunkMemo(settings, (a.fingerprint for a in self.annotations))
        self._fetcher = UrlFetcher(
            settings.data_dir / "ingest" / "http",
            timeout=http_timeout,
            retries=http_retries,
            backoff=http_backoff,
            persist=persist,
        )

    def read_all(self, sources: list[tuple[str, str]], bar: ProgressBars) -> None:
        with bar.task(prompts.INGEST_PROGRESS_READING, len(sources)) as advance:
            for kind, where in sources:
                self._read(kind, where)
                advance()
        self._fetcher.close()

    def _read(self, kind: str, where: str) -> None:
        doc_id = where if kind == "url" else doc_id_for_path(where)
        if doc_id in self.seen:
            return
        self.seen.add(doc_id)
        try:
            if kind == "url":
                fetched = self._fetcher.fetch(where)
                if fetched.not_modified:
                    self.summary.not_modified.append(doc_id)
                self._parse(doc_id, fetched.document, None)
            else:
                data = read_file_bytes(where)
                key = self.memo.key(doc_id, data)
                entry = self.memo.lookup(key)
                if entry is not None:
                    self.memo_hits[doc_id] = (where, data, entry)
                else:
                    self._parse(doc_id, self._annotated(load_bytes(where, data), where), key)
        except Exception as exc:
            self.fail(doc_id, exc)
        else:
            self.order.append(doc_id)

    def chunk_memo_hit(self, doc_id: str) -> bool:
        """Chunk a memo hit for real (the index differs from the memo: an interrupted run?). False if it failed."""
        where, data, _ = self.memo_hits[doc_id]
        try:
            self._parse(doc_id, self._annotated(load_bytes(where, data), where), self.memo.key(doc_id, data))
        except Exception as exc:
            self.fail(doc_id, exc)
            return False
        return True

    def fail(self, doc_id: str, exc: Exception) -> None:
        reason = str(exc) if isinstance(exc, LoadError) else f"{type(exc).__name__}: {exc}"
        self.summary.failed.append(Failure(source=doc_id, reason=reason))
        self.protected.add(doc_id)
        if isinstance(exc, LoadError):
            log.warning("failed: %s: %s", doc_id, reason)
        else:  # a bug or an odd file must not stop the rest
            log.error("failed: %s", doc_id, exc_info=exc)

    def _parse(self, doc_id: str, document: SourceDocument, key: str | None) -> None:
        chunks = chunk_document(document)
        if not chunks:
            raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
        self.documents[doc_id] = document
        self.expected[doc_id] = chunks
        if key is not None:
            self.memo.record(key, document, chunks)

    def _annotated(self, document: SourceDocument, where: str) -> SourceDocument:
        for corpus in self.annotations:
            if abspath(where).startswith(abspath(corpus.root) + os.sep):
                return corpus.annotate(document, where)
        return document
