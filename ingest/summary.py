"""What an ingest run did (or, with a dry run, would do): `IngestSummary` and the stale-document check."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from pydantic import BaseModel, Field


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
    # document id -> content hash the index holds afterwards (for the verified answers' drift check; not output)
    doc_hashes: dict[str, str] = Field(default_factory=dict, exclude=True)

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

    def note_stale(self, documents: Iterable[tuple[str, str, str]], today: dt.date) -> None:
        """Add each (doc id, title, last_reviewed) last reviewed more than a year before `today`."""
        for doc_id, title, reviewed in documents:
            if is_stale(reviewed, today):
                self.stale.append(StaleDocument(doc_id=doc_id, title=title, last_reviewed=reviewed))


def is_stale(last_reviewed: str, today: dt.date) -> bool:
    """True when `last_reviewed` (YYYY-MM-DD or YYYY-MM) lies more than a year before `today`."""
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


def print_listed(console, items: list, more: str, limit: int | None, line) -> None:
    """The first `limit` of `items` a line each (`line(item)`), then `more` (formatted with the count left out)."""
    for item in items[:limit]:
        console.print(line(item), highlight=False, markup=False)
    if limit is not None and len(items) > limit:
        console.print(more.format(count=len(items) - limit), highlight=False, markup=False)
