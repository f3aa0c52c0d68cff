"""Markdown with YAML front matter (title, publisher, source_urls, source_dates, last_reviewed, topics,
clinical_systems, audience; a list may be given as a scalar). Without front matter the title comes from the
first heading or the file name and the source URL is the path, or the URL of a `SOURCE: <url>` first line
(a saved page)."""

from __future__ import annotations

from bot import prompts
from bot.types import SourceDocument
from ingest.readers.common import LoadError, decode, make_document, pop_source_line, split_front_matter


def read_markdown(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    text = decode(data)
    if not text.strip():
        raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
    meta, body = split_front_matter(text)
    if not meta:
        url, body = pop_source_line(body)
        source_url = url or source_url
    return make_document(doc_id=doc_id, text=body, meta=meta, source_url=source_url)
