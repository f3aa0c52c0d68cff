"""`gpbot ingest [PATH|URL ...] [--json] [--dry-run]` (registered on the `gpbot` app by bot.cli).

A progress bar (stderr, on a terminal), a closing summary counted in source documents (stderr), and with
`--json` the summary as one JSON object on the last line of stdout. Exit 1 when any source failed (the rest
is still ingested), 2 on a configuration error.
"""

from __future__ import annotations

import logging
import sys
from typing import List, Optional

import typer

log = logging.getLogger(__name__)


def flag_verified_answers(settings, index, changed_doc_ids: list[str],
                          current_hashes: dict[str, str] | None = None) -> int:
    """Mark verified answers citing a changed or removed document as needs-review: the documents this run
    changed, and any cited document whose content no longer matches what was verified (a change an earlier
    run could not flag; `current_hashes`, doc id -> content hash, is read from the index when not given).
    Returns how many were flagged. A review-store problem is logged, never fails the
    ingest: the index is already right."""
    if not changed_doc_ids and index.verified_count() == 0:
        return 0  # no verified answers: no review store to open
    from bot.review.service import ReviewService
    from ingest.diff import doc_hashes

    service = None
    try:
        service = ReviewService.from_settings(settings, index=index)
        if current_hashes is None:
            current_hashes = doc_hashes(index.chunk_refs().values())
        changed = set(changed_doc_ids) | service.drifted_doc_ids(current_hashes)
        return len(service.flag_stale_verified(sorted(changed)) or []) if changed else 0
    except Exception as exc:
        log.warning("could not flag verified answers citing changed documents: %s", exc)
        return 0
    finally:
        if service is not None:
            service.close()


def ingest_and_flag(settings, targets: list[str] | None = None, *, index=None, dry_run: bool = False,
                    progress: bool | None = None):
    """Every ingest path (the command, `gpbot run`, the bot's scheduled refresh): bring the index into step,
    then flag verified answers whose cited documents changed. Returns (summary, flagged)."""
    from bot.index import Index
    from ingest.pipeline import run_ingest

    index = index or Index(settings)
    summary = run_ingest(settings, targets, dry_run=dry_run, index=index, progress=progress,
                         restore_verified=lambda: reindex_verified_answers(settings, index))
    flagged = 0 if dry_run else flag_verified_answers(settings, index, summary.changed_doc_ids, summary.doc_hashes)
    if flagged:  # the query adapter learns from active verified answers only: fit it again without these
        try:
            index.refit()
        except Exception as exc:  # the index is right; the adapter catches up at the next refit
            log.error("could not refit the query adapter after flagging verified answers: %s", exc)
    return summary, flagged


def reindex_verified_answers(settings, index) -> int:
    """Embed every verified question from the review store into the index again (the embedder changed)."""
    from bot.review.service import ReviewService

    service = ReviewService.from_settings(settings, index=index)
    try:
        return service.reindex_verified()
    finally:
        service.close()


def print_summary(summary, console, flagged: int = 0, max_failures: int | None = None) -> None:
    """The closing human summary (counts in source documents, failures with reasons, stale documents)."""
    from bot import prompts
    from ingest.summary import print_listed

    def say(text: str, **style) -> None:
        console.print(text, highlight=False, markup=False, **style)

    def listed(items: list, more: str, limit: int | None, line) -> None:
        print_listed(console, items, more, limit, line)

    verb = "would be " if summary.dry_run else ""
    work = "" if summary.dry_run else prompts.INGEST_SUMMARY_WORK.format(
        embedded=summary.chunks_embedded, removed=summary.chunks_deleted)
    say(prompts.INGEST_SUMMARY.format(
        head=prompts.INGEST_DRY_RUN_HEAD if summary.dry_run else "", verb=verb, added=len(summary.added),
        updated=len(summary.updated), unchanged=len(summary.unchanged), deleted=len(summary.deleted),
        failed=len(summary.failed), chunks=summary.chunks, work=work, seconds=summary.seconds))
    if summary.chunks_reembedded:
        say(prompts.INGEST_REEMBEDDED.format(count=summary.chunks_reembedded, verb=verb or "were "))
    for label, ids in (("added", summary.added), ("updated", summary.updated), ("deleted", summary.deleted)):
        more = prompts.INGEST_LISTED_MORE.replace("{label}", label)
        listed(ids, more, 20, lambda doc_id: prompts.INGEST_LISTED.format(verb=verb, label=label, doc_id=doc_id))
    if summary.failed:
        say(prompts.INGEST_FAILED_HEAD, style="red")
        listed(summary.failed, prompts.INGEST_FAILED_MORE, max_failures, lambda f: f"  {f.source}: {f.reason}")
    if summary.skipped:
        say(prompts.INGEST_SKIPPED_HEAD.format(count=len(summary.skipped)))
        listed(summary.skipped, prompts.INGEST_SKIPPED_MORE, max_failures, lambda s: f"  {s.source}: {s.reason}")
    if summary.stale:
        say(prompts.INGEST_STALE_HEAD.format(count=len(summary.stale)), style="yellow")
        for stale in summary.stale:
            say(f"  {stale.last_reviewed}  {stale.title}  ({stale.doc_id})")
    if flagged:
        say(prompts.INGEST_FLAGGED.format(count=flagged))


def ingest_command(
    targets: Optional[List[str]] = typer.Argument(
        None, help="Files, folders or http(s) URLs to ingest (default: knowledge/ and knowledge/sources.yaml)."
    ),
    json_output: bool = typer.Option(False, "--json", help=(
        "Print the summary as one JSON object on the last line of stdout (added, updated, unchanged, deleted: counts; "
        "failed, stale, skipped: lists; chunks: the index size).")),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; change nothing."),
) -> None:
    """Bring the index exactly into step with its sources."""
    from rich.console import Console

    from bot.startup import settings_or_exit

    err = Console(stderr=True, soft_wrap=True)
    settings = settings_or_exit()

    try:
        summary, flagged = ingest_and_flag(settings, list(targets or []) or None, dry_run=dry_run)
    except Exception as exc:  # e.g. the Chroma server is down: one line, not a traceback
        log.debug("ingest failed", exc_info=True)
        from bot import prompts

        err.print(prompts.INGEST_RUN_FAILED.format(error=f"{type(exc).__name__}: {exc}"), style="red", highlight=False,
                  markup=False)
        raise typer.Exit(1)
    print_summary(summary, err, flagged)
    if json_output:
        sys.stdout.flush()
        print(summary.to_json_line(), flush=True)
    if summary.failed:
        raise typer.Exit(1)
