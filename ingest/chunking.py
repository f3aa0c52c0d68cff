"""Heading-aware chunking with deterministic chunk ids.

1. langchain's `MarkdownHeaderTextSplitter` cuts the body at `#`, `##` and `###` headings;
2. each section longer than ~900 characters is cut by a `RecursiveCharacterTextSplitter` that tries, in
   order: blank lines, the start of a list item, line ends, sentence ends, spaces — so a numbered list item
   is only ever cut when the item alone is longer than a chunk;
3. fragments shorter than `MIN_CHARS` are merged into a neighbour (a tiny section keeps its heading as a
   `##` line in the merged text).

Every chunk carries its heading path, title first ("Redaction guide > Third-party information").
A chunk id is a hash of the document id, the heading path, the text and an occurrence counter (for a
passage repeated under the same heading), so an unchanged passage of a changed document keeps its id and
is not embedded again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.types import Chunk, SourceDocument
from ingest.annotations import line_sources, source_segments

CHUNK_SIZE = 900
CHUNK_OVERLAP = 100
MIN_CHARS = 200
MAX_MERGED = 1200
HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]

_SEPARATORS = [
    r"\n\s*\n",  # paragraphs
    r"\n(?=(?:\d+[.)]|[-*+])\s)",  # before a list item
    r"\n",  # any line end
    r"(?<=[.!?;:])\s+",  # sentence ends
    r"\s+",
    "",
]


@dataclass
class _Piece:
    path: list[str]
    text: str


def content_hash(doc: SourceDocument) -> str:
    """Hash of the whole document: text and every front-matter field."""
    return hashlib.sha256(doc.model_dump_json().encode("utf-8")).hexdigest()


def chunk_id(doc_id: str, heading_path: list[str], text: str, occurrence: int = 0) -> str:
    key = "\x1f".join([doc_id, " > ".join(heading_path), text, str(occurrence)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


_splitters: dict[str, object] = {}


def _header_splitter():
    if "header" not in _splitters:
        from langchain_text_splitters import MarkdownHeaderTextSplitter

        _splitters["header"] = MarkdownHeaderTextSplitter(HEADERS, strip_headers=True)
    return _splitters["header"]


def _text_splitter():
    if "text" not in _splitters:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        _splitters["text"] = RecursiveCharacterTextSplitter(
            separators=_SEPARATORS,
            is_separator_regex=True,
            keep_separator="start",
            chunk_size=CHUNK_SIZE,
            chunk_overlap=CHUNK_OVERLAP,
            strip_whitespace=True,
        )
    return _splitters["text"]


def _heading_path(title: str, meta: dict) -> list[str]:
    path = [title]
    for key in ("h1", "h2", "h3"):
        heading = (meta.get(key) or "").strip()
        if heading and heading != path[-1] and not (key == "h1" and heading.casefold() == title.casefold()):
            path.append(heading)
    return path


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sections(doc: SourceDocument) -> list[_Piece]:
    """(heading path, section text) in document order; empty sections dropped."""
    body, _ = source_segments(doc.text)  # sources comments are never passage text
    out: list[_Piece] = []
    for part in _header_splitter().split_text(body):
        # The header splitter joins the lines of a paragraph with "\n" and paragraphs with "  \n"
        # (it strips every line, so no other "  \n" survives): put the blank lines back.
        text = _normalise(part.page_content.replace("  \n", "\n\n"))
        if text:
            out.append(_Piece(_heading_path(doc.title, part.metadata), text))
    return out


def _merge_tiny(pieces: list[_Piece]) -> list[_Piece]:
    merged: list[_Piece] = []
    for piece in pieces:
        if merged:
            prev = merged[-1]
            same_section = prev.path == piece.path
            if len(piece.text) < MIN_CHARS or len(prev.text) < MIN_CHARS:
                joined = _join(prev, piece)
                if len(joined) <= MAX_MERGED:
                    # the longer part names the chunk; when the tiny part comes first, the headings both
                    # share do (a parent's intro line followed by its first child keeps the parent's path)
                    if same_section or len(prev.text) >= len(piece.text):
                        path = prev.path
                    else:
                        path = _common_path(prev.path, piece.path)
                    merged[-1] = _Piece(path, joined)
                    continue
        merged.append(_Piece(list(piece.path), piece.text))
    return merged


def _common_path(a: list[str], b: list[str]) -> list[str]:
    out = []
    for x, y in zip(a, b):
        if x != y:
            break
        out.append(x)
    return out or a[:1]


def _join(prev: _Piece, piece: _Piece) -> str:
    if prev.path == piece.path:
        return f"{prev.text}\n\n{piece.text}"
    # keep the headings that the merged text would otherwise lose, as Markdown heading lines
    common = len(_common_path(prev.path, piece.path))
    extra = piece.path[common:]
    heading = "\n".join(f"{'#' * min(6, common + 1 + i)} {h}" for i, h in enumerate(extra))
    return f"{prev.text}\n\n{heading}\n{piece.text}" if heading else f"{prev.text}\n\n{piece.text}"


def split_document(doc: SourceDocument) -> list[_Piece]:
    pieces: list[_Piece] = []
    splitter = _text_splitter()
    for section in sections(doc):
        if len(section.text) <= CHUNK_SIZE:
            pieces.append(section)
            continue
        parts = [p.strip() for p in splitter.split_text(section.text) if p.strip()]
        pieces.extend(_Piece(list(section.path), p) for p in parts)
    return _merge_tiny(pieces)


def _section_questions(doc: SourceDocument, piece: _Piece) -> list[str]:
    """The questions written for the section(s) a piece holds: its own heading's, those of headings merged
    into it, and the lead paragraph's ("") for a piece under the title alone."""
    if not doc.questions:
        return []
    out: list[str] = []
    headings = [piece.path[-1]] if len(piece.path) > 1 else [""]
    headings += [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", piece.text, re.M)]
    for heading in headings:
        out.extend(q for q in doc.questions.get(heading, []) if q not in out)
    return out


def chunk_document(doc: SourceDocument) -> list[Chunk]:
    """The document's chunks, in order, with ids and the document's metadata."""
    doc_hash = content_hash(doc)
    seen: dict[tuple[str, str], int] = {}
    chunks: list[Chunk] = []
    _, segments = source_segments(doc.text)
    for position, piece in enumerate(split_document(doc)):
        key = (" > ".join(piece.path), piece.text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        sources = line_sources(piece.text, segments)
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc.doc_id, piece.path, piece.text, occurrence),
                doc_id=doc.doc_id,
                text=piece.text,
                title=doc.title,
                heading_path=piece.path,
                publisher=list(doc.publisher),
                source=doc.source,
                source_urls=list(doc.source_urls),
                published=doc.published,
                last_reviewed=doc.last_reviewed,
                topics=list(doc.topics),
                clinical_systems=list(doc.clinical_systems),
                content_hash=doc_hash,
                chunk_index=position,
                line_sources=sources,
                references={u: doc.references[u] for u in dict.fromkeys(u for _, urls in sources for u in urls)
                            if u in doc.references},
                questions=_section_questions(doc, piece),
            )
        )
    return chunks
