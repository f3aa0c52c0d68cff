"""One reader per document format: bytes in, a `SourceDocument` out, or a `LoadError` with the reason.

`reader_for(suffix)` picks by file suffix; `reader_for_download(url, content_type, body)` by what a server
sent. Every reader takes `(data, doc_id, source_url)`.

Owns: turning one file's bytes (Markdown, text, HTML, PDF, Word) into a document with its title, headings,
source URL and review date, and saying which files are not documents (`skip_reason`).
Must not import: anything that does I/O beyond the bytes given (no network, no files), the index
(`bot.index`, Chroma, the embedder), the rest of `ingest` (chunking, the pipeline), the Slack layer
(`bot.slack`) or the review store (`bot.review`). Only `bot.types`, `bot.prompts`, `bot.specifics` (month names)
and format libraries."""

from __future__ import annotations

from typing import Callable

from bot.types import SourceDocument
from ingest.readers.common import LoadError
from ingest.readers.docx import read_docx
from ingest.readers.html import read_html
from ingest.readers.markdown import read_markdown
from ingest.readers.pdf import read_pdf
from ingest.readers.text import read_text

Reader = Callable[[bytes, str, "str | None"], SourceDocument]

READERS: dict[str, Reader] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
# Files a folder may hold that are not guidance, and formats we cannot read: each skip says why.
NOT_DOCUMENTS = {
    ".yaml": "data file (YAML), not a document",
    ".yml": "data file (YAML), not a document",
    ".json": "data file (JSON), not a document",
    ".doc": "old Word format (.doc): save it as .docx to ingest it",
    ".rtf": "RTF is not supported: save it as .docx or PDF",
    ".odt": "OpenDocument text is not supported: save it as .docx or PDF",
    ".xlsx": "spreadsheets are not supported",
    ".xls": "spreadsheets are not supported",
    ".pptx": "slide decks are not supported: save as PDF",
    ".png": "an image has no text to index",
    ".jpg": "an image has no text to index",
    ".jpeg": "an image has no text to index",
}

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def reader_for(suffix: str) -> Reader | None:
    return READERS.get(suffix.lower())


def skip_reason(suffix: str) -> str:
    suffix = suffix.lower()
    return NOT_DOCUMENTS.get(suffix) or f"unsupported file type {suffix or '(none)'!r}"


def reader_for_download(url: str, content_type: str, body: bytes) -> Reader:
    kind = content_type.split(";")[0].strip().lower()
    path = url.split("?")[0].split("#")[0].lower()
    if kind == "application/pdf" or path.endswith(".pdf") or body[:5] == b"%PDF-":
        return read_pdf
    if kind == DOCX_TYPE or path.endswith(".docx"):
        return read_docx
    if kind in ("text/markdown", "text/x-markdown") or path.endswith((".md", ".markdown")):
        return read_markdown
    if kind == "text/plain" or path.endswith(".txt"):
        return read_text
    return read_html


__all__ = ["LoadError", "READERS", "reader_for", "reader_for_download", "skip_reason"]
