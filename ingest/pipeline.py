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

The steps, one module each: `roots` (what the run reads, how far it may delete), `reading` (read and chunk,
with the `memo`), `diff` (compare with the index), `writing` (write in that order), `summary` (the report).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Callable

from bot.settings import Settings
from ingest.diff import compare_with_index
from ingest.progress import ProgressBars
from ingest.reading import SourceReader
from ingest.roots import plan_run, write_default_urls
from ingest.summary import Failure, IngestSummary, SkippedFile, StaleDocument
from ingest.writing import finish, write_changes

__all__ = ["Failure", "IngestSummary", "SkippedFile", "StaleDocument", "run_ingest"]


def run_ingest(
    settings: Settings,
    targets: list[str] | None = None,
    *,
    dry_run: bool = False,
    index=None,
    progress: bool | None = None,
    http_timeout: float | None = None,
    http_retries: int | None = None,
    http_backoff: float | None = None,
    batch_size: int | None = None,
    today: dt.date | None = None,
    restore_verified: Callable[[], int] | None = None,
) -> IngestSummary:
    """Ingest `targets` (paths and http(s) URLs; default: the knowledge dir and the URLs of its
    sources.yaml) into the index. See the module docstring for the guarantees. The HTTP and batch
    values default to the INGEST_* settings. `restore_verified` embeds the verified questions into the index
    again when the embedder changed (ingest.cli passes the review store's)."""
    started = time.perf_counter()
    if index is None:
        from bot.index import Index

        index = Index(settings)
    if progress is None:
        progress = sys.stderr.isatty()
    summary = IngestSummary(dry_run=dry_run)
    plan = plan_run(settings, targets)
    summary.failed.extend(plan.failures)
    sources, skipped = plan.sources()
    summary.skipped.extend(skipped)
    reader = SourceReader(
        settings,
        plan,
        summary,
        persist=not dry_run,
        http_timeout=settings.ingest.ingest_http_timeout_seconds if http_timeout is None else http_timeout,
        http_retries=settings.ingest.ingest_http_retries if http_retries is None else http_retries,
        http_backoff=settings.ingest.ingest_http_backoff_seconds if http_backoff is None else http_backoff,
    )
    batch_size = settings.ingest.ingest_embed_batch if batch_size is None else batch_size

    with ProgressBars(progress) as bar:
        reader.read_all(sources, bar)
        changes = compare_with_index(reader, index, plan, summary, today or dt.date.today())
        changes.count_into(summary)
        if dry_run:
            summary.chunks = len(changes.final_ids)
            summary.seconds = time.perf_counter() - started
            return summary
        write_changes(index, changes, bar, batch_size, restore_verified)
        summary.doc_hashes = changes.doc_hashes()

    finish(index, changes, summary)
    if plan.default_urls is not None and not targets:
        write_default_urls(settings, plan.default_urls)
    reader.memo.save()
    summary.seconds = time.perf_counter() - started
    return summary
