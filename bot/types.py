"""Typed result objects shared by ingest, retrieval, answering and the Slack layer.

A `SourceDocument` is what a loader reads; a `Chunk` is a piece of it in the index; a `ScoredChunk`
is a chunk that retrieval found; an `Answer` is what the bot says, with its `Citation`s.
None of these know about Slack or Chroma.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum

from pydantic import BaseModel, Field


class SourceDocument(BaseModel):
    """One document as a loader produced it, before chunking."""

    doc_id: str  # stable: the path relative to the working dir, or the URL
    source: str  # where it came from (path or URL), used to scope deletions to this run's roots
    title: str
    text: str  # Markdown-ish body (headings kept as `#` lines)
    publisher: list[str] = Field(default_factory=list)
    source_urls: list[str] = Field(default_factory=list)
    source_dates: list[str] = Field(default_factory=list)
    last_reviewed: str = ""  # ISO date or ""
    topics: list[str] = Field(default_factory=list)
    clinical_systems: list[str] = Field(default_factory=lambda: ["any"])
    audience: list[str] = Field(default_factory=list)
    # corpus annotations (ingest/annotations.py); empty for documents ingested from elsewhere
    questions: dict[str, list[str]] = Field(default_factory=dict)  # heading ("" = lead) -> staff questions
    references: dict[str, dict] = Field(default_factory=dict)  # source url -> {title, publisher, date}

    @property
    def published(self) -> str:
        """The newest dated source (YYYY-MM-DD or YYYY-MM), or "" when every source is undated."""
        dated = [d for d in self.source_dates if d and d[:1].isdigit()]
        return max(dated) if dated else ""


class Chunk(BaseModel):
    """One indexed passage and the metadata every chunk carries (the schema lives in bot.index)."""

    chunk_id: str
    doc_id: str
    text: str
    title: str
    heading_path: list[str] = Field(default_factory=list)
    publisher: list[str] = Field(default_factory=list)
    source: str = ""
    source_urls: list[str] = Field(default_factory=list)
    published: str = ""
    last_reviewed: str = ""
    topics: list[str] = Field(default_factory=list)
    clinical_systems: list[str] = Field(default_factory=lambda: ["any"])
    content_hash: str = ""  # hash of the whole source document (changes when any part changes)
    chunk_index: int = 0
    # the pages supporting each line of `text`, as runs [(first line, URLs), ...] ([] = not recorded)
    line_sources: list[tuple[int, list[str]]] = Field(default_factory=list)
    references: dict[str, dict] = Field(default_factory=dict)  # url -> {title, publisher, date}
    questions: list[str] = Field(default_factory=list)  # staff questions this chunk's section answers

    def sources_of(self, passage: str) -> list[str]:
        """The URLs the corpus records for the line of this chunk holding `passage` (a sentence or a list
        item, list marker and all); [] when it records none."""
        if not self.line_sources:
            return []
        probe = " ".join(re.sub(r"^\s*(?:\d+[.)]|[-*+•])\s+", "", passage).split())[:60]
        for number, line in enumerate(self.text.splitlines()):
            if probe and probe in " ".join(line.split()):
                urls: list[str] = []
                for first, run in self.line_sources:
                    if first > number:
                        break
                    urls = run
                return list(urls)
        return []

    @property
    def section(self) -> str:
        return " > ".join(self.heading_path)

    @property
    def url(self) -> str:
        for url in self.source_urls:
            if url.startswith("https://"):
                return url
        return self.source_urls[0] if self.source_urls else ""


class ScoredChunk(BaseModel):
    chunk: Chunk
    score: float  # the score of the stage that produced it (fused / reranked)
    dense: float | None = None  # cosine similarity, when the dense retriever saw it
    keyword: float | None = None  # BM25 score, when the keyword retriever saw it
    question: float | None = None  # best cosine of the chunk's section questions, when one was found
    # the reranked score and cosine from the passage's own text alone (no section-question match): what the
    # decline model's passage features weigh, so they read the same on a document without section questions
    # (the section-question match enters the decision as a feature of its own: bot.decline_model)
    passage_score: float | None = None
    passage_dense: float | None = None


class AnswerKind(str, Enum):
    answered = "answered"
    not_covered = "not_covered"
    out_of_scope = "out_of_scope"
    verified = "verified"


class Citation(BaseModel):
    number: int  # [n] in the answer text
    chunk_id: str
    doc_id: str
    title: str
    section: str = ""
    url: str = ""
    publisher: str = ""
    published: str = ""
    last_reviewed: str = ""


class VerifiedAnswer(BaseModel):
    """An answer written or approved by the support team, preferred for questions that mean the same."""

    verified_id: str
    question: str
    answer: str
    author: str  # Slack user id or name of the reviewer
    created: dt.datetime
    citations: list[Citation] = Field(default_factory=list)
    cited_doc_ids: list[str] = Field(default_factory=list)
    cited_doc_hashes: dict[str, str] = Field(default_factory=dict)  # doc_id -> content hash when verified
    status: str = "active"  # active | needs_review | retired


class Answer(BaseModel):
    question: str  # the question as answered: identifiers already redacted
    text: str  # Markdown with [n] citation markers; exactly what the user reads
    kind: AnswerKind
    citations: list[Citation] = Field(default_factory=list)
    closest: list[Citation] = Field(default_factory=list)  # for not_covered: nearest sources found
    confidence: float = 0.0  # 0..1
    pii_warning: bool = False
    pii_kinds: list[str] = Field(default_factory=list)
    safeguarding: bool = False
    answerer: str = "extractive"  # "extractive", "verified", or the LLM model id
    verified: VerifiedAnswer | None = None
    clinical_systems: list[str] = Field(default_factory=list)  # systems the question named
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @property
    def chunk_ids(self) -> list[str]:
        return [c.chunk_id for c in self.citations]

    @property
    def shown_sources(self) -> list[tuple[str, list[Citation]]]:
        """The source lists a reader is shown, each as ("sources" | "closest_sources", its citations; the name is also
        its Slack block id and its heading's key, `prompts.SOURCE_LIST_HEADINGS`): what the answer cites,
        then the closest sources of a "not covered" answer (or of any answer citing nothing), which its text points
        to, numbered after a safeguarding line's citation when it has one. Empty lists are left out."""
        lists = [("sources", self.citations)]
        if self.kind is AnswerKind.not_covered or not self.citations:
            lists.append(("closest_sources", self.closest))
        return [(name, citations) for name, citations in lists if citations]

    @property
    def source_urls(self) -> list[str]:
        return list(dict.fromkeys(c.url for c in self.citations if c.url))
