"""`run_ingest`: bring the guidance index exactly into step with this run's sources.

Chroma itself is the record of what is indexed: every chunk carries its `doc_id`, `source` and the
`content_hash` of its whole document, and its id is a function of doc id + heading path + text. So for each
document read in this run the expected chunk ids are compared with `Index.chunk_refs()`:

- same ids, same hash            -> unchanged: not embedded, not written;
- no chunks yet                  -> added: embedded and upserted;
- otherwise                      -> updated: new ids embedded and upserted, kept ids whose hash is stale get
                                    their metadata rewritten (no embedding), ids no longer produced deleted;
- indexed, its source lies under one of this run's roots, and it is no longer there -> deleted.

A source that fails to load is reported and its indexed chunks are left exactly as they were. Deletion
never reaches beyond this run's roots (a directory: everything whose source lies under it; a file or a URL:
itself; the default run: the knowledge dir plus the URLs of `sources.yaml`, including URLs that a previous
default run listed and that have since been removed from it).

Write order, so that a SIGKILL anywhere leaves an index that answers and the next run converges: every
new chunk is upserted first, then metadata is rewritten, then old chunks are deleted, and last
`Index.mark_changed()` bumps the version stamp and rebuilds the keyword index. The next run compares
against Chroma again, so whatever a killed run left half-done is finished; it also calls `mark_changed()`
when the keyword index does not hold exactly Chroma's ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import BaseModel, Field

from bot.settings import Settings
from bot.types import Chunk, SourceDocument
from ingest.annotations import CorpusAnnotations
from ingest.chunking import CHUNK_OVERLAP, CHUNK_SIZE, MIN_CHARS, chunk_document
from ingest.fetch import UrlFetcher, load_targets_file
from ingest.loaders import (
    LoadError,
    abspath,
    discover_with_skips,
    doc_id_for_path,
    is_url,
    load_bytes,
    read_file_bytes,
)

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.yaml"
DEFAULT_URLS_RECORD = "default_sources.json"
EMBED_BATCH = 4096  # chunks per upsert
EMBED_STEP = 256  # chunks per embedding call (progress granularity)
MEMO_FILE = "chunk_memo.json"
MEMO_VERSION = f"2:{CHUNK_SIZE}:{CHUNK_OVERLAP}:{MIN_CHARS}"  # 2: the readers of ingest/readers (PDF, HTML, text)


# --------------------------------------------------------------------------------------------
# The summary
# --------------------------------------------------------------------------------------------
class Failure(BaseModel):
    source: str
    reason: str


class SkippedFile(BaseModel):
    source: str
    reason: str


class StaleDocument(BaseModel):
    doc_id: str
    title: str
    last_reviewed: str


class IngestSummary(BaseModel):
    """What a run did (or, with dry_run, would do). The four lists hold document ids."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    deleted: list[str] = Field(default_factory=list)
    failed: list[Failure] = Field(default_factory=list)
    chunks: int = 0  # chunks in the index afterwards (predicted, for a dry run)
    stale: list[StaleDocument] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)  # files in a folder that are not documents
    dry_run: bool = False
    chunks_embedded: int = 0
    chunks_metadata_updated: int = 0
    chunks_deleted: int = 0
    chunks_reembedded: int = 0  # stored chunks embedded again because the configured embedder changed
    not_modified: list[str] = Field(default_factory=list)  # URLs answered 304 (counted in `unchanged`)
    index_marked_changed: bool = False
    seconds: float = 0.0

    @property
    def changed_doc_ids(self) -> list[str]:
        """Documents changed or removed: verified answers citing them need a review."""
        return [*self.updated, *self.deleted]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        """The machine-readable summary (a JSON-ready dict with exactly these keys)."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
            "chunks": self.chunks,
            "stale": [s.model_dump() for s in self.stale],
            "skipped": [s.model_dump() for s in self.skipped],
        }

    def to_json_line(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# Roots: what this run reads, and how far its deletions may reach
# --------------------------------------------------------------------------------------------
@dataclass
class _Root:
    kind: str  # "dir" | "file" | "url"
    target: str  # absolute path or URL
    fetch: bool = True  # False: a URL a previous default run listed (deletion scope only)

    def covers(self, source: str) -> bool:
        if self.kind == "url":
            return source == self.target
        if not source or is_url(source):
            return False
        path = abspath(source)
        if self.kind == "file":
            return path == self.target
        return path.startswith(self.target.rstrip(os.sep) + os.sep)


@dataclass
class _Plan:
    roots: list[_Root] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    default_urls: list[str] | None = None  # set on a default run whose sources.yaml was read


def _default_urls_record(settings: Settings) -> Path:
    return settings.data_dir / "ingest" / DEFAULT_URLS_RECORD


def _read_default_urls(settings: Settings) -> list[str]:
    try:
        data = json.loads(_default_urls_record(settings).read_text())
        return [u for u in data.get("urls", []) if isinstance(u, str)]
    except (OSError, ValueError, AttributeError):
        return []


def _write_default_urls(settings: Settings, urls: list[str]) -> None:
    path = _default_urls_record(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"urls": urls}, indent=1))
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not record the default source URLs: %s", exc)


def _plan(settings: Settings, targets: list[str] | None) -> _Plan:
    plan = _Plan()
    if not targets:
        knowledge = settings.knowledge_dir
        if knowledge.is_dir():
            plan.roots.append(_Root("dir", abspath(knowledge)))
        else:
            plan.failures.append(Failure(source=str(knowledge), reason="knowledge directory not found"))
        sources_file = knowledge / SOURCES_FILE
        try:
            urls = load_targets_file(sources_file)
        except LoadError as exc:
            plan.failures.append(Failure(source=doc_id_for_path(sources_file), reason=str(exc)))
        else:
            plan.default_urls = urls
            plan.roots.extend(_Root("url", url) for url in urls)
            for url in _read_default_urls(settings):
                if url not in urls:
                    plan.roots.append(_Root("url", url, fetch=False))
        return plan
    for target in dict.fromkeys(t.strip() for t in targets if t and t.strip()):
        if is_url(target):
            plan.roots.append(_Root("url", target))
            continue
        path = Path(target).expanduser()
        if path.is_dir():
            plan.roots.append(_Root("dir", abspath(path)))
        elif path.is_file():
            plan.roots.append(_Root("file", abspath(path)))
        else:
            # a missing root is a failure, never a deletion: an unmounted folder must not empty the index
            plan.failures.append(Failure(source=target, reason="no such file or directory"))
    return plan


# --------------------------------------------------------------------------------------------
# Progress (rich, on stderr)
# --------------------------------------------------------------------------------------------
class _Progress:
    def __init__(self, enabled: bool):
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Any]:
        if self._progress is None or total == 0:
            yield lambda n=1: None
            return
        task_id = self._progress.add_task(description, total=total)
        try:
            yield lambda n=1: self._progress.advance(task_id, n)
        finally:
            self._progress.remove_task(task_id)

    def __enter__(self):
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------
def _is_stale(last_reviewed: str, today: dt.date) -> bool:
    if not last_reviewed:
        return False
    try:
        if len(last_reviewed) == 7:  # YYYY-MM: the last day of that month counts
            year, month = map(int, last_reviewed.split("-"))
            reviewed = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        else:
            reviewed = dt.date.fromisoformat(last_reviewed[:10])
    except ValueError:
        return False
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return reviewed < year_ago


# A memo of what chunking produced for a file's exact bytes: (doc id, bytes, chunker version) -> chunk ids,
# document hash, title, last_reviewed. A pure cache of a deterministic function, so a no-change run reads
# each file and compares with Chroma without parsing or chunking it; a lost or stale memo only costs time.
def _memo_version() -> str:
    try:
        from importlib.metadata import version

        return f"{MEMO_VERSION}:{version('langchain-text-splitters')}"
    except Exception:
        return MEMO_VERSION


def _memo_key(doc_id: str, data: bytes, salt: str) -> str:
    return hashlib.sha256(salt.encode() + b"\x00" + doc_id.encode() + b"\x00" + data).hexdigest()


def _load_memo(settings: Settings) -> dict[str, dict]:
    try:
        data = json.loads((settings.data_dir / "ingest" / MEMO_FILE).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_memo(settings: Settings, memo: dict[str, dict]) -> None:
    path = settings.data_dir / "ingest" / MEMO_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(memo, separators=(",", ":")))
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not save the chunk memo: %s", exc)


def _reembed_stored(index, fresh_ids: set[str], bar: _Progress, batch_size: int,
                    restore_verified: Callable[[], int] | None) -> None:
    """Embed again, with the configured embedder, every stored chunk this run did not just embed and every
    verified question, so the index never mixes vectors of two embedders. The version stamp (written after
    this by `mark_changed`) records the new embedder; a run killed before then starts over next time."""
    import numpy as np

    stored = [c for c in index.all_chunks() if c.chunk_id not in fresh_ids]
    log.info("the embedder changed to %s: embedding %d stored chunks again", index.embedder_fingerprint, len(stored))
    with bar.task("Embedding again (new embedder)", len(stored)) as advance:
        for start in range(0, len(stored), max(1, batch_size)):
            group = stored[start : start + max(1, batch_size)]
            parts = []
            for sub in range(0, len(group), EMBED_STEP):
                parts.append(index.embed_chunks(group[sub : sub + EMBED_STEP]))
                advance(len(parts[-1]))
            index.upsert_chunks(group, np.concatenate(parts))
    _reembed_verified(index, restore_verified)


def _reembed_verified(index, restore_verified: Callable[[], int] | None) -> None:
    """The verified questions live in the review store: `restore_verified` embeds them again. Without it (or
    when it fails) the old embedder's vectors are dropped; `gpbot review verified reindex` brings them back."""
    stored = index.verified_statuses()
    if not stored:
        return
    if restore_verified is not None:
        try:
            restore_verified()
            return
        except Exception as exc:
            log.error("could not embed the verified questions again (%s)", exc)
    for verified_id in stored:
        index.delete_verified(verified_id)
    log.warning("%d verified answer(s) are not given until `gpbot review verified reindex` runs", len(stored))


def run_ingest(
    settings: Settings,
    targets: list[str] | None = None,
    *,
    dry_run: bool = False,
    index=None,
    progress: bool | None = None,
    http_timeout: float = 20.0,
    http_retries: int = 2,
    http_backoff: float = 0.5,
    batch_size: int = EMBED_BATCH,
    today: dt.date | None = None,
    restore_verified: Callable[[], int] | None = None,
) -> IngestSummary:
    """Ingest `targets` (paths and http(s) URLs; default: the knowledge dir and the URLs of its
    sources.yaml) into the index. See the module docstring for the guarantees. `restore_verified` embeds the
    verified questions into the index again when the embedder changed (ingest.cli passes the review store's)."""
    started = time.perf_counter()
    if index is None:
        from bot.index import Index

        index = Index(settings)
    if progress is None:
        progress = sys.stderr.isatty()
    today = today or dt.date.today()
    summary = IngestSummary(dry_run=dry_run)
    plan = _plan(settings, targets)
    summary.failed.extend(plan.failures)

    # --- 1. what this run's roots hold now ---
    sources: list[tuple[str, str]] = []  # (kind, path-or-url) in order
    for root in plan.roots:
        if root.kind == "dir":
            found, skipped = discover_with_skips(Path(root.target))
            sources.extend(("file", str(p)) for p in found)
            summary.skipped.extend(SkippedFile(source=doc_id_for_path(s.path), reason=s.reason) for s in skipped)
        elif root.kind == "file":
            sources.append(("file", root.target))
        elif root.fetch:
            sources.append(("url", root.target))

    documents: dict[str, SourceDocument] = {}
    expected: dict[str, list[Chunk]] = {}
    memo_hits: dict[str, tuple[str, bytes, dict]] = {}  # doc id -> (path, bytes, memo entry)
    order: list[str] = []  # doc ids read OK, in order
    protected: set[str] = set()  # doc ids whose source failed: their indexed chunks stay as they are
    # references.yaml / questions.yaml of each corpus folder: a change to them re-chunks its documents
    annotations = [CorpusAnnotations.load(Path(root.target)) for root in plan.roots if root.kind == "dir"]
    salt = _memo_version() + ":" + ":".join(a.fingerprint for a in annotations)

    def annotated(document: SourceDocument, where: str) -> SourceDocument:
        for corpus in annotations:
            if abspath(where).startswith(abspath(corpus.root) + os.sep):
                return corpus.annotate(document, where)
        return document
    memo = _load_memo(settings)
    new_memo: dict[str, dict] = {}
    fetcher = UrlFetcher(
        settings.data_dir / "ingest" / "http",
        timeout=http_timeout,
        retries=http_retries,
        backoff=http_backoff,
        persist=not dry_run,
    )

    def fail(doc_id: str, exc: Exception) -> None:
        reason = str(exc) if isinstance(exc, LoadError) else f"{type(exc).__name__}: {exc}"
        summary.failed.append(Failure(source=doc_id, reason=reason))
        protected.add(doc_id)
        if isinstance(exc, LoadError):
            log.warning("failed: %s: %s", doc_id, reason)
        else:  # a bug or an odd file must not stop the rest
            log.error("failed: %s", doc_id, exc_info=exc)

    def parse(doc_id: str, document: SourceDocument, key: str | None) -> None:
        chunks = chunk_document(document)
        if not chunks:
            raise LoadError("empty document")
        documents[doc_id] = document
        expected[doc_id] = chunks
        if key is not None:
            new_memo[key] = {
                "ids": [c.chunk_id for c in chunks],
                "hash": chunks[0].content_hash,
                "title": document.title,
                "last_reviewed": document.last_reviewed,
            }

    with _Progress(progress) as bar:
        seen: set[str] = set()
        with bar.task("Reading sources", len(sources)) as advance:
            for kind, where in sources:
                doc_id = where if kind == "url" else doc_id_for_path(where)
                if doc_id in seen:
                    advance()
                    continue
                seen.add(doc_id)
                try:
                    if kind == "url":
                        fetched = fetcher.fetch(where)
                        if fetched.not_modified:
                            summary.not_modified.append(doc_id)
                        parse(doc_id, fetched.document, None)
                    else:
                        data = read_file_bytes(where)
                        key = _memo_key(doc_id, data, salt)
                        if key in memo:
                            memo_hits[doc_id] = (where, data, memo[key])
                            new_memo[key] = memo[key]
                        else:
                            parse(doc_id, annotated(load_bytes(where, data), where), key)
                except Exception as exc:
                    fail(doc_id, exc)
                else:
                    order.append(doc_id)
                advance()
        fetcher.close()

        # --- 2. compare with what Chroma holds ---
        refs = index.chunk_refs()
        reembed = index.embedder_changed()  # another embedder made the stored vectors: redo every one
        indexed: dict[str, dict[str, dict]] = {}
        for cid, ref in refs.items():
            indexed.setdefault(ref["doc_id"], {})[cid] = ref

        to_embed: list[Chunk] = []
        to_update: list[Chunk] = []
        to_delete: list[str] = []
        stale_candidates: list[tuple[str, str, str]] = []  # (doc id, title, last_reviewed)
        for doc_id in order:
            have = indexed.get(doc_id, {})
            if doc_id in memo_hits:
                where, data, entry = memo_hits[doc_id]
                if set(have) == set(entry["ids"]) and all(r["content_hash"] == entry["hash"] for r in have.values()):
                    summary.unchanged.append(doc_id)
                    stale_candidates.append((doc_id, entry.get("title", ""), entry.get("last_reviewed", "")))
                    continue
                try:  # the index differs (an interrupted run?): chunk it for real
                    parse(doc_id, annotated(load_bytes(where, data), where), _memo_key(doc_id, data, salt))
                except Exception as exc:
                    fail(doc_id, exc)
                    continue
            chunks = expected[doc_id]
            document = documents[doc_id]
            stale_candidates.append((doc_id, document.title, document.last_reviewed))
            want = {c.chunk_id for c in chunks}
            doc_hash = chunks[0].content_hash
            if not have:
                summary.added.append(doc_id)
                to_embed.extend(chunks)
                continue
            if set(have) == want and all(r["content_hash"] == doc_hash for r in have.values()):
                summary.unchanged.append(doc_id)
                continue
            summary.updated.append(doc_id)
            to_embed.extend(c for c in chunks if c.chunk_id not in have)
            to_update.extend(c for c in chunks if c.chunk_id in have and have[c.chunk_id]["content_hash"] != doc_hash)
            to_delete.extend(cid for cid in have if cid not in want)

        for doc_id, chunk_refs in indexed.items():
            if doc_id in seen:  # read in this run (or failed, and so protected)
                continue
            source = next(iter(chunk_refs.values()))["source"] or doc_id
            if any(root.covers(source) for root in plan.roots):
                summary.deleted.append(doc_id)
                to_delete.extend(chunk_refs)

        # --- stale documents (read in this run, or kept because their source failed) ---
        for doc_id, title, reviewed in stale_candidates:
            if _is_stale(reviewed, today):
                summary.stale.append(StaleDocument(doc_id=doc_id, title=title, last_reviewed=reviewed))
        for doc_id in sorted(protected):
            kept = indexed.get(doc_id)
            if kept:
                ref = next(iter(kept.values()))
                if _is_stale(ref.get("last_reviewed", ""), today):
                    summary.stale.append(StaleDocument(doc_id=doc_id, title=ref.get("title", ""), last_reviewed=ref["last_reviewed"]))

        final_ids = (set(refs) - set(to_delete)) | {c.chunk_id for c in to_embed}
        summary.chunks_embedded = len(to_embed)
        summary.chunks_metadata_updated = len(to_update)
        summary.chunks_deleted = len(to_delete)
        if reembed:
            summary.chunks_reembedded = len(final_ids - {c.chunk_id for c in to_embed})
            summary.chunks_embedded += summary.chunks_reembedded

        if dry_run:
            summary.chunks = len(final_ids)
            summary.seconds = time.perf_counter() - started
            return summary

        # --- 3. write: new first, then metadata, then deletions, then the version stamp ---
        # Embed a group, then upsert it: Chroma indexes in background threads after an upsert, and on a
        # small machine that competes with the model, so upserts are few and large (batch_size chunks).
        import numpy as np

        with bar.task("Embedding", len(to_embed)) as advance:
            step = max(1, batch_size)
            for start in range(0, len(to_embed), step):
                group = to_embed[start : start + step]
                parts = []
                for sub in range(0, len(group), EMBED_STEP):
                    parts.append(index.embed_chunks(group[sub : sub + EMBED_STEP]))
                    advance(len(parts[-1]))
                index.upsert_chunks(group, np.concatenate(parts) if len(parts) > 1 else parts[0])
        if to_update:
            index.update_chunk_metadata(to_update)
        if to_delete:
            index.delete_chunks(to_delete)
        if reembed:
            _reembed_stored(index, {c.chunk_id for c in to_embed}, bar, batch_size, restore_verified)

    summary.chunks = index.count()
    changed = bool(to_embed or to_update or to_delete or reembed)
    if not changed:
        index.ensure_fresh(force=True)
        changed = set(index.keyword_ids()) != final_ids or summary.chunks != len(final_ids)
        if changed:
            log.info("the keyword index is out of step with Chroma (an interrupted run?): rebuilding it")
    summary.seconds = time.perf_counter() - started
    if changed:
        index.mark_changed(ingest_summary=summary.to_json())
        summary.index_marked_changed = True
    if plan.default_urls is not None and not targets:
        _write_default_urls(settings, plan.default_urls)
    if new_memo != memo:
        _save_memo(settings, new_memo)
    summary.seconds = time.perf_counter() - started
    return summary
