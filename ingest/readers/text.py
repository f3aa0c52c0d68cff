"""Plain text: the first line is the title when it looks like one (short, no sentence end, not a list item),
and becomes a `#` heading, so it is neither lost nor taken for the document's lead answer. Hard-wrapped lines
are joined into paragraphs; a `SOURCE: <url>` first line names the page the text was saved from; a labelled
date ("Published …", "Page last reviewed: …") becomes the document's date."""

from __future__ import annotations

import re

from bot import prompts
from bot.types import SourceDocument
from ingest.readers.common import (
    LIST_MARKER,
    MAX_HEADING_WORDS,
    LoadError,
    date_fields,
    decode,
    is_date_line,
    labelled_dates,
    make_document,
    pop_source_line,
    reads_as_question_heading,
    split_front_matter,
    split_site_suffix,
)
from ingest.readers.markdown import read_markdown

MAX_TITLE_WORDS = 15  # a longer first line is a sentence, not a title


def looks_like_title(line: str) -> bool:
    line = line.strip()
    words = line.split()
    return (
        0 < len(words) <= MAX_TITLE_WORDS
        and not LIST_MARKER.match(line)
        and not line.endswith((".", ",", ";", ":"))
        and not line.startswith("#")
        and line[:1].isalnum()
    )


# A line that ends a sentence (a closing quote or bracket may follow the stop)
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"”’')\]]*$")


def one_paragraph_per_line(lines: list[str]) -> bool:
    """Text copied from a web page puts each paragraph on a line of its own, often with no blank line between;
    hard-wrapped text breaks its lines mid-sentence. Told apart by the lines too long to be headings: three in four
    of them end a sentence in the first kind, at most one in two in the second (a wrapped paragraph of n lines
    ends one of them; two-line paragraphs wrapped wide are the closest case); between the two, the text is wrapped
    if a line that ends no sentence runs on into a next line starting in lower case."""
    long = [i for i, line in enumerate(lines)
            if len(line.split()) > MAX_TITLE_WORDS and not LIST_MARKER.match(line.strip())]
    open_ended = [i for i in long if not _ENDS_SENTENCE.search(lines[i].strip())]
    if not long or len(open_ended) > len(long) / 2:
        return False
    runs_on = any(i + 1 < len(lines) and lines[i + 1].strip()[:1].islower() for i in open_ended)
    return len(open_ended) <= len(long) / 4 or not runs_on


def _one_per_paragraph(lines: list[str]) -> list[str]:
    """Each line its own paragraph (a blank line after it), but an indented line or a word broken at a hyphen
    still carries on the line before it."""
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if not after[:1].isspace() and not (line.rstrip().endswith("-") and after[:1].islower()):
            out.append("")
    return out


def paragraphs(lines: list[str]) -> str:
    """Join hard-wrapped lines into paragraphs; blank lines and list items start a new one. Text with one
    paragraph per line (`one_paragraph_per_line`) keeps each line a paragraph."""
    if one_paragraph_per_line(lines):
        lines = _one_per_paragraph(lines)
    out: list[str] = []
    current: list[str] = []

    def flush():
        if current:
            out.append(" ".join(current))
            current.clear()

    for raw in lines:
        line = raw.strip()
        if not line:
            flush()
            out.append("")
            continue
        if LIST_MARKER.match(line) or line.startswith("#") or " | " in line or "\t" in raw.strip():
            flush()
            out.append(line)
            continue
        if current and current[-1].endswith("-") and line[:1].islower():
            current[-1] = current[-1][:-1] + line
            continue
        if out and out[-1] and LIST_MARKER.match(out[-1]) and not current and raw[:1].isspace():
            out[-1] += " " + line  # a wrapped list item (indented)
            continue
        current.append(line)
    flush()
    for i, block in enumerate(out):  # a short title-like line standing alone is a section heading
        alone = (i == 0 or not out[i - 1]) and (i + 1 == len(out) or not out[i + 1])
        short_title = looks_like_title(block) and len(block.split()) <= MAX_HEADING_WORDS
        if alone and block and " | " not in block and (short_title or reads_as_question_heading(block)):  # or an FAQ's
            out[i] = "## " + block
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def read_text(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    text = decode(data)
    if not text.strip():
        raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
    if split_front_matter(text)[0]:  # a text file with front matter is Markdown in all but name
        return read_markdown(data, doc_id, source_url)
    url, text = pop_source_line(text)
    lines = text.strip().splitlines()
    meta: dict = date_fields(labelled_dates(lines))
    lines = [line for line in lines if not is_date_line(line)] or lines
    if looks_like_title(lines[0]):
        title, site = split_site_suffix(lines[0])
        meta["title"] = title
        if site:
            meta["publisher"] = [site]
        rest = lines[1:]
        while rest and (not rest[0].strip() or rest[0].strip() == lines[0].strip()):  # the title printed again
            rest = rest[1:]
        body = f"# {title}\n\n" + paragraphs(rest)
    else:
        body = paragraphs(lines)
    return make_document(doc_id=doc_id, text=body, meta=meta, source_url=url or source_url)
