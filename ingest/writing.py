"""Step 3 of a run: write the changes so that a SIGKILL anywhere leaves an index that answers.

Every new chunk is upserted first, then metadata is rewritten, then old chunks are deleted, then (when the
embedder changed) every stored chunk is embedded again, then (when the answer-unit splitting changed) the stored
chunks' units and sentences that have no vector are embedded; the caller's `finish` bumps the version stamp last.
"""

from __future__ import annotations

import logging
from typing import Callable

from bot import prompts
from bot.types import Chunk
from ingest.diff import ChangeSet
from ingest.progress import ProgressBars
from ingest.summary import IngestSummary

log = logging.getLogger(__name__)

EMBED_STEP = 256  # chunks per embedding call (progress granularity, not a tuning value)


def embed_and_upsert(index, chunks: list[Chunk], bar: ProgressBars, label: str, batch_size: int) -> None:
    """Embed a group, then upsert it: Chroma indexes in background threads after an upsert, and on a small
    machine that competes with the model, so upserts are few and large (`batch_size` chunks)."""
    import numpy as np

    step = max(1, batch_size)
    with bar.task(label, len(chunks)) as advance:
        for start in range(0, len(chunks), step):
            group = chunks[start : start + step]
            parts = []
            for sub in range(0, len(group), EMBED_STEP):
                parts.append(index.embed_chunks(group[sub : sub + EMBED_STEP]))
                advance(len(parts[-1]))
            index.upsert_chunks(group, np.concatenate(parts) if len(parts) > 1 else parts[0])


def write_changes(index, changes: ChangeSet, bar: ProgressBars, batch_size: int,
                  restore_verified: Callable[[], int] | None = None) -> None:
    embed_and_upsert(index, changes.to_embed, bar, prompts.INGEST_PROGRESS_EMBEDDING, batch_size)
    if changes.to_update:
        index.update_chunk_metadata(changes.to_update)
    if changes.to_delete:
        index.delete_chunks(changes.to_delete)
    if changes.reembed:
        _reembed_stored(index, changes, bar, batch_size)
        _reembed_verified(index, restore_verified)
    if index.splitting_changed():
        # new answer-unit or sentence rules: unchanged documents split into texts without vectors (the chunks
        # written or re-embedded now, and those whose metadata was updated, have theirs already)
        done = changes.final_ids if changes.reembed else {c.chunk_id for c in [*changes.to_embed, *changes.to_update]}
        rest = changes.final_ids - done
        index.top_up_unit_vectors(rest)
        log.info("the answer-unit splitting changed: %d stored chunks given their missing unit vectors", len(rest))


def _reembed_stored(index, changes: ChangeSet, bar: ProgressBars, batch_size: int) -> None:
    """Embed again, with the configured embedder, every stored chunk this run did not just embed or delete
    (those it updated with their new metadata; the chunks were read once, by `diff`), then `_reembed_verified`
    does the verified questions, so the index never mixes vectors of two embedders. The version stamp (written
    after this by `mark_changed`) records the new embedder; a run killed before then starts over next time."""
    skip = {c.chunk_id for c in changes.to_embed} | set(changes.to_delete)
    updated = {c.chunk_id: c for c in changes.to_update}
    stored = [updated.get(c.chunk_id, c) for c in changes.stored if c.chunk_id not in skip]
    log.info("the embedder changed to %s: embedding %d stored chunks again", index.embedder_fingerprint, len(stored))
    embed_and_upsert(index, stored, bar, prompts.INGEST_PROGRESS_REEMBEDDING, batch_size)


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


def finish(index, changes: ChangeSet, summary: IngestSummary) -> None:
    """Count the index and bump its version stamp (rebuilding the keyword index) when anything changed, or
    when the keyword index does not hold exactly Chroma's ids (an interrupted run)."""
    summary.chunks = index.count()
    final_ids = changes.final_ids
    changed = changes.writes
    if not changed:
        index.ensure_fresh(force=True)
        changed = set(index.keyword_ids()) != final_ids or summary.chunks != len(final_ids)
        if changed:
            log.info("the keyword index is out of step with Chroma (an interrupted run?): rebuilding it")
    if changed:
        index.mark_changed(ingest_summary=summary.to_json())
        summary.index_marked_changed = True
