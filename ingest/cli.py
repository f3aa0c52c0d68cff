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


def flag_verified_answers(settings, index, changed_doc_ids: list[str]) -> int:
    """Mark verified answers citing a changed or removed document as needs-review. Returns how many were
    flagged. A review-store problem is logged, never fails the ingest: the index is already right."""
    if not changed_doc_ids:
        return 0
    from bot.review.service import ReviewService

    service = None
    try:
        service = ReviewService.from_settings(settings, index=index)
        return len(service.flag_stale_verified(changed_doc_ids) or [])
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
    flagged = 0 if dry_run else flag_verified_answers(settings, index, summary.changed_doc_ids)
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
    verb = "would be " if summary.dry_run else ""
    head = "Dry run — nothing changed. " if summary.dry_run else ""
    console.print(
        f"{head}Documents: {len(summary.added)} {verb}added, {len(summary.updated)} {verb}updated, "
        f"{len(summary.unchanged)} unchanged, {len(summary.deleted)} {verb}deleted, {len(summary.failed)} failed. "
        f"Index: {summary.chunks} chunks"
        + ("" if summary.dry_run else f" ({summary.chunks_embedded} embedded, {summary.chunks_deleted} removed)")
        + f" in {summary.seconds:.1f}s.",
        highlight=False,
        markup=False,
    )
    if summary.chunks_reembedded:
        console.print(f"The embedder changed: {summary.chunks_reembedded} stored chunks {verb or 'were '}embedded again.",
                      highlight=False, markup=False)
    for label, ids in (("added", summary.added), ("updated", summary.updated), ("deleted", summary.deleted)):
        for doc_id in ids[:20]:
            console.print(f"  {verb}{label}: {doc_id}", highlight=False, markup=False)
        if len(ids) > 20:
            console.print(f"  … and {len(ids) - 20} more {label}", highlight=False, markup=False)
    if summary.failed:
        console.print("Failed (the indexed version of each is kept):", style="red", highlight=False)
        for failure in summary.failed[:max_failures]:
            console.print(f"  {failure.source}: {failure.reason}", highlight=False, markup=False)
        if max_failures is not None and len(summary.failed) > max_failures:
            console.print(f"  … and {len(summary.failed) - max_failures} more (run `gpbot ingest` for all)",
                          highlight=False, markup=False)
    if summary.skipped:
        console.print(f"Skipped {len(summary.skipped)} file(s) that are not documents:", highlight=False, markup=False)
        for skipped in summary.skipped[:max_failures]:
            console.print(f"  {skipped.source}: {skipped.reason}", highlight=False, markup=False)
        if max_failures is not None and len(summary.skipped) > max_failures:
            console.print(f"  … and {len(summary.skipped) - max_failures} more", highlight=False, markup=False)
    if summary.stale:
        console.print(
            f"{len(summary.stale)} document(s) last reviewed more than a year ago — please re-check:",
            style="yellow",
            highlight=False,
        )
        for stale in summary.stale:
            console.print(f"  {stale.last_reviewed}  {stale.title}  ({stale.doc_id})", highlight=False, markup=False)
    if flagged:
        console.print(
            f"{flagged} verified answer(s) cite a changed or removed document and now need review.",
            highlight=False,
            markup=False,
        )


def ingest_command(
    targets: Optional[List[str]] = typer.Argument(
        None, help="Files, folders or http(s) URLs to ingest (default: knowledge/ and knowledge/sources.yaml)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on the last line of stdout."),
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
        err.print(f"Ingest failed: {type(exc).__name__}: {exc}", style="red", highlight=False, markup=False)
        raise typer.Exit(1)
    print_summary(summary, err, flagged)
    if json_output:
        sys.stdout.flush()
        print(summary.to_json_line(), flush=True)
    if summary.failed:
        raise typer.Exit(1)
