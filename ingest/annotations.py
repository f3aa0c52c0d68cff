"""Corpus annotations (issue 10, format in the corpus README / ANNOTATIONS.md), all optional:

- `<!-- sources: URL URL | facts: C01 C02 -->` lines in a Markdown body: the pages supporting the text after
  them, up to the next such comment or heading. `source_segments` strips them and returns the body's text
  in segments, each with its supporting URLs; the chunker records them per paragraph.
- `references.yaml` at a corpus root: url -> the page's own title, publisher and date (citations show them).
- `questions.yaml` at a corpus root: document path (relative to the root) -> heading ("" = lead paragraph)
  -> staff-worded questions that section answers (indexed as extra vectors pointing at its chunks).

A document without annotations (an ingested PDF or web page) simply has none: nothing here is required.
"""

from __future__ import annotations

import hashlib
import os
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.types import SourceDocument

log = logging.getLogger(__name__)

REFERENCES_FILE = "references.yaml"
QUESTIONS_FILE = "questions.yaml"

_SOURCES_COMMENT = re.compile(r"^\s*<!--\s*sources:\s*(.*?)(?:\|\s*facts:.*?)?-->\s*$", re.I)
_ANY_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


@dataclass
class Segment:
    text: str
    urls: list[str]


def source_segments(body: str) -> tuple[str, list[Segment]]:
    """(body without comments, segments of that body with the URLs that support each)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    segments: list[Segment] = []
    current: list[str] = []
    urls: list[str] = []

    def close():
        text = "\n".join(current).strip()
        if text:
            segments.append(Segment(text, list(urls)))
        current.clear()

    for line in lines:
        match = _SOURCES_COMMENT.match(line)
        if match:
            close()
            urls = [u for u in match.group(1).split() if u.startswith(("http://", "https://"))]
            continue
        if _HEADING.match(line):
            close()
            urls = []
        kept.append(line)
        if not _HEADING.match(line):
            current.append(line)
    close()
    text = _ANY_COMMENT.sub("", "\n".join(kept))  # any other comment is never passage text either
    return text, segments


def _normal(text: str) -> str:
    return " ".join(_ANY_COMMENT.sub("", text).split())


def line_sources(chunk_text: str, segments: list[Segment]) -> list[tuple[int, list[str]]]:
    """Which pages support each line of a chunk, as runs: [(first line, URLs), ...] over
    `chunk_text.splitlines()`, a run lasting until the next. [] when no line's source is known. A sources
    comment may stand before a single list item, so lines, not paragraphs, are the unit."""
    if not segments:
        return []
    normal_segments = [_normal(s.text) for s in segments]
    runs: list[tuple[int, list[str]]] = []
    start = 0
    for number, line in enumerate(chunk_text.splitlines()):
        body = _normal(line)
        if not body or _HEADING.match(line):
            continue
        probe = body[:80]  # a chunk cut inside a line still starts with that line's words
        found: list[str] | None = None
        for offset in range(len(segments)):  # from the segment the previous line came from, onwards
            i = (start + offset) % len(segments)
            if probe in normal_segments[i]:
                found, start = segments[i].urls, i
                break
        urls = list(found or [])
        if not runs or runs[-1][1] != urls:
            runs.append((number, urls))
    return runs if any(urls for _, urls in runs) else []


@dataclass
class CorpusAnnotations:
    """references.yaml and questions.yaml of one corpus root (both optional)."""

    root: Path | None = None
    references: dict[str, dict] = field(default_factory=dict)
    questions: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    fingerprint: str = ""

    @classmethod
    def load(cls, root: Path) -> "CorpusAnnotations":
        digest = hashlib.sha256()
        references: dict[str, dict] = {}
        questions: dict[str, dict[str, list[str]]] = {}
        ref_path, q_path = root / REFERENCES_FILE, root / QUESTIONS_FILE
        if ref_path.is_file():
            raw = ref_path.read_bytes()
            digest.update(raw)
            try:
                data = yaml.safe_load(raw) or []
            except yaml.YAMLError as exc:
                log.warning("%s is not valid YAML; citations fall back to document titles: %s", ref_path, exc)
                data = []
            for entry in data if isinstance(data, list) else []:
                if isinstance(entry, dict) and entry.get("url"):
                    references[str(entry["url"])] = {
                        "title": str(entry.get("title") or ""),
                        "publisher": str(entry.get("publisher") or ""),
                        "date": str(entry.get("date") or ""),
                    }
                    if entry.get("canonical"):  # a mirror copy: citations link to the page itself
                        references[str(entry["url"])]["canonical"] = str(entry["canonical"])
        digest.update(b"\x00")
        if q_path.is_file():
            raw = q_path.read_bytes()
            digest.update(raw)
            try:
                data = yaml.safe_load(raw) or {}
            except yaml.YAMLError as exc:
                log.warning("%s is not valid YAML; no section questions indexed: %s", q_path, exc)
                data = {}
            for doc_path, by_heading in (data.items() if isinstance(data, dict) else []):
                if isinstance(by_heading, dict):
                    questions[str(doc_path)] = {
                        str(h or ""): [str(q) for q in (qs or []) if str(q).strip()]
                        for h, qs in by_heading.items() if isinstance(qs, list)
                    }
        return cls(root=root, references=references, questions=questions, fingerprint=digest.hexdigest()[:16])

    def annotate(self, document: SourceDocument, path: str | Path) -> SourceDocument:
        """The document with its section questions and the references its sources comments name."""
        if self.root is None:
            return document
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(self.root)).as_posix()
        except ValueError:
            return document
        _, segments = source_segments(document.text)
        used = {u for s in segments for u in s.urls}
        update = {}
        if relative in self.questions:
            update["questions"] = self.questions[relative]
        refs = {u: self.references[u] for u in sorted(used) if u in self.references}
        if refs:
            update["references"] = refs
        return document.model_copy(update=update) if update else document
