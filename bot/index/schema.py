"""The index schema: the one place that knows how guidance is laid out in the store.

Collection names, the chunk <-> metadata mapping (Chroma metadata values are scalars, so lists are joined),
what the dense retriever sees of a chunk (`embedding_text`), the section-question records and the version
stamp's format. Pure data mapping: imports neither chromadb nor the embedder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Iterable, Sequence

from bot.types import Chunk

CHUNKS_COLLECTION = "gpbot_chunks"
VERIFIED_COLLECTION = "gpbot_verified"
QUESTIONS_COLLECTION = "gpbot_questions"  # staff questions a section answers: extra vectors pointing at chunks
META_COLLECTION = "gpbot_meta"
VERSION_RECORD = "index_version"
LIST_SEPARATOR = " | "

SCHEMA_FIELDS = (
    "doc_id",
    "chunk_id",
    "chunk_index",
    "title",
    "heading_path",
    "publisher",
    "source",
    "source_urls",
    "published",
    "last_reviewed",
    "topics",
    "clinical_systems",
    "content_hash",
)
LIST_FIELDS = frozenset({"heading_path", "publisher", "source_urls", "topics", "clinical_systems"})
# Corpus annotations, one JSON field: per-line sources, their references, the section's questions.
ANNOTATIONS_FIELD = "annotations"
# What `Index.chunk_refs` reports of each chunk (no texts, no vectors).
REF_FIELDS = ("doc_id", "source", "content_hash", "title", "last_reviewed")
# The version stamp of an index that was never stamped.
EMPTY_VERSION = {"version": "", "updated_at": "", "last_ingest": ""}
SUMMARY_LIMIT = 4000  # characters of the last ingest summary kept with the stamp


def join_list(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(v.replace(LIST_SEPARATOR, " ") for v in values)


def split_list(value: str | None) -> list[str]:
    return [v for v in (value or "").split(LIST_SEPARATOR) if v]


def chunk_to_metadata(chunk: Chunk) -> dict[str, str | int]:
    data = chunk.model_dump()
    meta: dict[str, str | int] = {}
    for name in SCHEMA_FIELDS:
        value = data[name]
        meta[name] = join_list(value) if name in LIST_FIELDS else value
    if chunk.line_sources or chunk.references or chunk.questions:
        meta[ANNOTATIONS_FIELD] = json.dumps(
            {"l": chunk.line_sources, "r": chunk.references, "q": chunk.questions}, separators=(",", ":"))
    return meta


def chunk_from_record(text: str, meta: dict) -> Chunk:
    fields = {name: meta.get(name) for name in SCHEMA_FIELDS}
    for name in LIST_FIELDS:
        fields[name] = split_list(fields[name])
    fields["chunk_index"] = int(fields["chunk_index"] or 0)
    fields = {k: v for k, v in fields.items() if v is not None}
    if meta.get(ANNOTATIONS_FIELD):
        try:
            notes = json.loads(meta[ANNOTATIONS_FIELD])
            fields.update(line_sources=notes.get("l", []), references=notes.get("r", {}),
                          questions=notes.get("q", []))
        except (ValueError, AttributeError):  # a damaged field costs the annotations, not the chunk
            pass
    return Chunk(text=text or "", **fields)


def chunk_ref(meta: dict) -> dict[str, str]:
    """The identifying fields of a stored chunk's metadata (what ingest compares against)."""
    return {name: meta.get(name, "") for name in REF_FIELDS}


def embedding_text(chunk: Chunk) -> str:
    """What the dense retriever sees of a chunk: where it sits, then what it says."""
    head = ". ".join(part for part in [chunk.title, *chunk.heading_path[1:]] if part)
    return f"{head}.\n{chunk.text}" if head else chunk.text


def question_records(chunks: Sequence[Chunk]) -> list[tuple[str, str, dict[str, str]]]:
    """(record id, question, metadata) for each section question of these chunks: ids `chunk_id:n`, the
    metadata pointing back at the chunk."""
    return [(f"{c.chunk_id}:{n}", q, {"chunk_id": c.chunk_id, "doc_id": c.doc_id})
            for c in chunks for n, q in enumerate(c.questions)]


VERIFIED_ANSWER_CHUNK = "chunk_id"  # a verified answer's metadata: the passage its answer rests on (may be absent)


def verified_metadata(status: str, answer_chunk: str = "") -> dict[str, str]:
    """A verified answer's record in the index: its status and, when known, the passage its answer rests on."""
    return {"status": status, **({VERIFIED_ANSWER_CHUNK: answer_chunk} if answer_chunk else {})}


# the stamp's fingerprint of the verified answers the query adapter was fitted on (`teaching_fingerprint`)
STAMP_TEACHING = "teaching"


def teaching_fingerprint(pairs: Iterable[tuple[str, str]]) -> str:
    """A fingerprint of the (verified id, passage id) pairs the query adapter learns from, whatever their order: a
    stamp whose fingerprint is not the store's was published before a change to them that no refit followed."""
    digest = hashlib.sha1()
    for verified_id, chunk_id in sorted(pairs):
        digest.update(f"{verified_id}\t{chunk_id}\n".encode("utf-8"))
    return digest.hexdigest()[:16]


def refreshed_stamp(stamp: dict) -> dict[str, str]:
    """The same stamp at a new version (and time): the derived data were rebuilt without an ingest, so which
    embedder made the vectors and when the last ingest ran stay as they were."""
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return {**stamp, "version": uuid.uuid4().hex, "updated_at": now}


def new_version_stamp(embedder_fingerprint: str, ingest_summary: dict | None = None) -> dict[str, str]:
    """A fresh version stamp: a new random version, the time, which embedder made the vectors and (after an
    ingest) its summary."""
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    # no teaching fingerprint yet (`Index.mark_changed` sets it): written as "" so no older one is kept (Chroma merges
    # a record's metadata on upsert)
    stamp = {"version": uuid.uuid4().hex, "updated_at": now, "last_ingest": now, "embedder": embedder_fingerprint,
             STAMP_TEACHING: ""}
    if ingest_summary is not None:
        stamp["last_summary"] = json.dumps(ingest_summary)[:SUMMARY_LIMIT]
    return stamp
