"""Step 2 of a run: compare what was read with what Chroma holds, and decide what to write.

Chroma is the record of what is indexed: every chunk carries its `doc_id`, `source` and the `content_hash` of
its whole document. For each document read, the expected chunk ids are compared with `Index.chunk_refs()`
(see ingest/pipeline.py for the four outcomes). Only the index's read methods are called here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from bot.index import chunk_to_metadata
from bot.index.schema import chunk_ref
from bot.types import Chunk
from ingest.reading import SourceReader
from ingest.roots import RunPlan
from ingest.summary import IngestSummary


@dataclass
class ChangeSet:
    """The writes a run needs, in the order they are made."""

    refs: dict[str, dict]  # what Chroma held before the run: chunk id -> metadata
    reembed: bool  # another embedder made the stored vectors: redo every one
    stored: list[Chunk] = field(default_factory=list)  # with `reembed`: the chunks Chroma held (read once)
    to_embed: list[Chunk] = field(default_factory=list)
    to_update: list[Chunk] = field(default_factory=list)  # kept ids whose document hash is stale
    to_delete: list[str] = field(default_factory=list)

    @property
    def final_ids(self) -> set[str]:
        return (set(self.refs) - set(self.to_delete)) | {c.chunk_id for c in self.to_embed}

    @property
    def writes(self) -> bool:
        return bool(self.to_embed or self.to_update or self.to_delete or self.reembed)

    def doc_hashes(self) -> dict[str, str]:
        """document id -> content hash of what the index holds once these writes are made (what was there,
        less what is deleted, with what is written), without reading the index again."""
        gone = set(self.to_delete)
        hashes = doc_hashes(ref for chunk_id, ref in self.refs.items() if chunk_id not in gone)
        hashes.update((chunk.doc_id, chunk.content_hash) for chunk in (*self.to_embed, *self.to_update))
        return hashes

    def count_into(self, summary: IngestSummary) -> None:
        summary.chunks_embedded = len(self.to_embed)
        summary.chunks_metadata_updated = len(self.to_update)
        summary.chunks_deleted = len(self.to_delete)
        if self.reembed:
            summary.chunks_reembedded = len(self.final_ids - {c.chunk_id for c in self.to_embed})
            summary.chunks_embedded += summary.chunks_reembedded


def _same(have: dict[str, dict], ids, doc_hash: str) -> bool:
    return set(have) == set(ids) and all(r["content_hash"] == doc_hash for r in have.values())


def _stored(index) -> ChangeSet:
    """An empty ChangeSet holding what Chroma holds: the chunks' refs, and when every stored chunk is to be
    embedded again, the chunks themselves (one read of the collection either way)."""
    if not index.embedder_changed():
        return ChangeSet(refs=index.chunk_refs(), reembed=False)
    stored = index.all_chunks()
    return ChangeSet(refs={c.chunk_id: chunk_ref(chunk_to_metadata(c)) for c in stored}, reembed=True, stored=stored)


def compare_with_index(reader: SourceReader, index, plan: RunPlan, summary: IngestSummary,
                       today: dt.date) -> ChangeSet:
    """Fill the summary's added/updated/unchanged/deleted/stale lists and return the writes they need."""
    changes = _stored(index)
    indexed: dict[str, dict[str, dict]] = {}
    for cid, ref in changes.refs.items():
        indexed.setdefault(ref["doc_id"], {})[cid] = ref

    reviewed: list[tuple[str, str, str]] = []  # (doc id, title, last_reviewed) of each document read
    for doc_id in reader.order:
        have = indexed.get(doc_id, {})
        if doc_id in reader.memo_hits:
            entry = reader.memo_hits[doc_id][2]
            if _same(have, entry["ids"], entry["hash"]):
                summary.unchanged.append(doc_id)
                reviewed.append((doc_id, entry.get("title", ""), entry.get("last_reviewed", "")))
                continue
            if not reader.chunk_memo_hit(doc_id):
                continue
        chunks = reader.expected[doc_id]
        document = reader.documents[doc_id]
        reviewed.append((doc_id, document.title, document.last_reviewed))
        want = {c.chunk_id for c in chunks}
        doc_hash = chunks[0].content_hash
        if not have:
            summary.added.append(doc_id)
            changes.to_embed.extend(chunks)
            continue
        if _same(have, want, doc_hash):
            summary.unchanged.append(doc_id)
            continue
        summary.updated.append(doc_id)
        changes.to_embed.extend(c for c in chunks if c.chunk_id not in have)
        changes.to_update.extend(c for c in chunks if c.chunk_id in have and have[c.chunk_id]["content_hash"] != doc_hash)
        changes.to_delete.extend(cid for cid in have if cid not in want)

    for doc_id, chunk_refs in indexed.items():
        if doc_id in reader.seen:  # read in this run (or failed, and so protected)
            continue
        source = next(iter(chunk_refs.values()))["source"] or doc_id
        if plan.covers(source):
            summary.deleted.append(doc_id)
            changes.to_delete.extend(chunk_refs)

    # stale documents: read in this run, or kept because their source failed
    summary.note_stale(reviewed, today)
    kept = (next(iter(indexed[d].values())) for d in sorted(reader.protected) if indexed.get(d))
    summary.note_stale(((ref["doc_id"], ref.get("title", ""), ref.get("last_reviewed", "")) for ref in kept), today)
    return changes


def doc_hashes(refs: Iterable[dict]) -> dict[str, str]:
    """document id -> content hash, from stored chunk refs (`bot.index.schema.chunk_ref`)."""
    return {ref["doc_id"]: ref.get("content_hash") for ref in refs}
