"""What every reader shares: the `LoadError`, decoding, front matter, titles, dates and `make_document`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from bot import prompts
from bot.specifics import MONTH_PATTERN, month_number
from bot.types import SourceDocument

_SOURCE_LINE = re.compile(r"^\s*(?:<!--\s*)?SOURCE:\s*(\S+?)\s*(?:-->)?\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
# Every front-matter value ends up a string, so the base loader (no implicit typing: dates stay
# "2026-11-23") is enough; with libyaml it is several times faster than safe_load on a large corpus.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_LIST_FIELDS = ("publisher", "source_urls", "source_dates", "topics", "clinical_systems", "audience")


class LoadError(Exception):
    """A source could not be read. `str(exc)` is the reason reported in the ingest summary."""


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _as_str(value: Any) -> str:
    if value is None or value in ("~", "null", "Null", "NULL"):
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) else value.date().isoformat()
    return str(value).strip()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [s for s in (_as_str(v) for v in value) if s]
    text = _as_str(value)
    return [text] if text else []


def split_front_matter(text: str) -> tuple[dict, str]:
    """(front matter, body). No front matter = ({}, text). Malformed YAML raises LoadError."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LoadError(f"invalid YAML front matter: {first}") from None
    if not isinstance(data, dict):
        raise LoadError("invalid YAML front matter: not a mapping")
    return data, text[match.end():]


def first_heading(text: str) -> str:
    for line in text.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            return match.group(2).strip()
    return ""


def title_from_name(path: str) -> str:
    stem = Path(path.rstrip("/")).stem or path
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else path


def pop_source_line(text: str) -> tuple[str | None, str]:
    """A saved page may start with `SOURCE: <url>` (or `<!-- SOURCE: <url> -->`): (url, rest of text)."""
    stripped = text.lstrip("\ufeff")
    first, _, rest = stripped.partition("\n")
    match = _SOURCE_LINE.match(first)
    if match:
        return match.group(1), rest
    return None, text


def make_document(
    *, doc_id: str, text: str, meta: dict | None = None, fallback_title: str = "", source_url: str | None = None
) -> SourceDocument:
    """Build a SourceDocument from a body and (possibly empty) front matter; fails on an empty body."""
    meta = meta or {}
    body = text.strip()
    if not body:
        raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
    title = _as_str(meta.get("title")) or first_heading(body) or fallback_title or title_from_name(doc_id)
    fields: dict[str, Any] = {name: _as_list(meta.get(name)) for name in _LIST_FIELDS}
    if not fields["source_urls"]:
        fields["source_urls"] = [source_url or doc_id]
    if not fields["clinical_systems"]:
        fields["clinical_systems"] = ["any"]
    return SourceDocument(
        doc_id=doc_id,
        source=doc_id,
        title=title,
        text=body + "\n",
        last_reviewed=_as_str(meta.get("last_reviewed")),
        **fields,
    )


# --------------------------------------------------------------------------------------------
# Titles without a site suffix, and the publisher that suffix names
# --------------------------------------------------------------------------------------------
# A title segment after " - ", " | ", " – " or " — " is a site name when it names one of the kinds of
# publisher this bot ingests (the list: NHS England, the BMA, LMCs, ICBs, GOV.UK) or is a domain;
# after " | " (used almost only before a site name) any short segment counts.
_SITE_WORDS = re.compile(r"\b(NHS|BMA|GOV\.UK|LMC|ICB|Integrated Care Board|Local Medical Committee|British Medical "
                         r"Association|Department of Health|Digital)\b|\.(?:uk|org|com|net)\b", re.IGNORECASE)
_SUFFIX = re.compile(r"^(?P<title>.+?)\s+(?P<sep>[|\-–—])\s+(?P<site>[^|\-–—]+?)\s*$")


def looks_like_site(name: str) -> bool:
    """A publisher's name ("NHS England", "Anytown LMC"), not a person's."""
    return bool(name and len(name.split()) <= 8 and _SITE_WORDS.search(name))


def split_site_suffix(title: str, site_name: str = "") -> tuple[str, str]:
    """("Online access - NHS England") -> ("Online access", "NHS England"); no suffix -> (title, "")."""
    title = re.sub(r"\s+", " ", title or "").strip()
    match = _SUFFIX.match(title)
    if not match:
        return title, ""
    site = match.group("site").strip()
    is_site = (
        (site_name and site.lower() == site_name.strip().lower())
        or _SITE_WORDS.search(site)
        or (match.group("sep") == "|" and len(site.split()) <= 4)
    )
    if not is_site or len(match.group("title").split()) < 2:
        return title, ""
    rest, inner_site = split_site_suffix(match.group("title"), site_name)  # "Page | Section | Site"
    return (rest, site) if inner_site and match.group("sep") == "|" else (match.group("title").strip(), site)


# --------------------------------------------------------------------------------------------
# Dates from labelled lines: "Published 12 May 2023", "Version 1.1, 12 May 2023", "Page last reviewed: ..."
# --------------------------------------------------------------------------------------------
_MONTH_RE = rf"{MONTH_PATTERN}[a-z]*\.?"
_DATE = re.compile(
    rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH_RE})\s*,?\s+(?P<y>(?:19|20)\d\d)"
    rf"|(?P<m2>{_MONTH_RE})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>(?:19|20)\d\d)"
    rf"|(?P<m3>{_MONTH_RE})\s+(?P<y3>(?:19|20)\d\d)"
    r"|(?P<iy>(?:19|20)\d\d)-(?P<im>\d\d)-(?P<id>\d\d)"
    r"|(?P<nd>\d{1,2})/(?P<nm>\d{1,2})/(?P<ny>(?:19|20)\d\d)",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(r"\b(published|updated|last reviewed|reviewed|version|issued|effective|date)\b", re.I)
_NOT_A_DOCUMENT_DATE = re.compile(r"\b(next review|review due|due for review|expir|deadline|by \d|until)\b", re.I)


def parse_date(text: str) -> str:
    """The first date in `text` as YYYY-MM-DD (or YYYY-MM for "May 2023"); "" when there is none."""
    for match in _DATE.finditer(text or ""):
        g = match.groupdict()
        try:
            if g["iy"]:
                return dt.date(int(g["iy"]), int(g["im"]), int(g["id"])).isoformat()
            if g["ny"]:  # UK order: day/month/year
                return dt.date(int(g["ny"]), int(g["nm"]), int(g["nd"])).isoformat()
            month = month_number(g["m"] or g["m2"] or g["m3"])
            if g["m3"]:
                return f"{int(g['y3']):04d}-{month:02d}"
            day, year = (g["d"], g["y"]) if g["m"] else (g["d2"], g["y2"])
            return dt.date(int(year), month, int(day)).isoformat()
        except ValueError:
            continue
    return ""


def labelled_dates(lines: list[str], limit: int = 400) -> list[str]:
    """Dates on short lines that say what the date is (published, updated, reviewed, version, issued), in
    the order found; a "next review due" date is not the document's date."""
    found: list[str] = []
    for line in lines[:limit]:
        line = line.strip().strip("*_#> ").strip()
        if not is_date_line(line):
            continue
        cut = _NOT_A_DOCUMENT_DATE.search(line)
        head = line[: cut.start()] if cut else line
        date = parse_date(head) if _DATE_LABEL.search(head) else ""
        if date and date not in found:
            found.append(date)
    return found


def date_fields(dates: list[str]) -> dict[str, Any]:
    """Front-matter-like fields for the dates a document carries: each is a source date, and the newest
    is its last review (so the stale-guidance check treats it as the corpus's own documents)."""
    dates = [d for d in dict.fromkeys(dates) if d]
    if not dates:
        return {}
    return {"source_dates": dates, "last_reviewed": max(dates)}


_LABEL_WORDS = re.compile(r"\b(page|first|last|published|updated|reviewed|review|version|v|issued|effective|date|"
                          r"on|and|next|due)\b|\d+(?:\.\d+)*", re.IGNORECASE)


def is_date_line(line: str) -> bool:
    """A line that only states the document's date ("Published: 12 May 2023", "Version 1.1, May 2023",
    "Page last reviewed: 3 June 2024 / Next review due: ..."): metadata, not a passage."""
    line = line.strip().strip("*_#> ").strip()
    if not line or len(line) > 120 or not parse_date(line):
        return False
    if not (_DATE_LABEL.search(line) or _NOT_A_DOCUMENT_DATE.search(line)):
        return False
    rest = _LABEL_WORDS.sub(" ", _DATE.sub(" ", line))
    return len(re.findall(r"[A-Za-z]{2,}", rest)) <= 2


# A question standing alone heads the answer below it: an FAQ page's question saved as text, set in bold in HTML or
# Word, instead of in a heading. At most this many words ("Will patients have to ask for access to new entries in
# their records?" is 13); set by hand from the FAQ pages of the MDU and NHS England, no measurement recorded.
MAX_QUESTION_HEADING_WORDS = 25
LIST_MARKER = re.compile(r"^\s*(?:[-*•·–]\s+|\d{1,2}[.)]\s+|[a-z][.)]\s+)")  # a list item's marker
_INNER_SENTENCE_END = re.compile(r"[.!?]\s+[A-Z]")  # a statement before the question: a paragraph, not a heading


_QUESTION_LABEL = re.compile(r"^Q\s?\d{0,3}\s?[.:)]\s*", re.I)  # "Q1. Can a parent see everything?"


def reads_as_question_heading(text: str) -> bool:
    """One question (an FAQ's "Q1." label allowed), not a list item, of at most MAX_QUESTION_HEADING_WORDS words."""
    text = _QUESTION_LABEL.sub("", text.strip())
    return (text.endswith("?") and text[:1].isalnum() and not LIST_MARKER.match(text)
            and not _INNER_SENTENCE_END.search(text) and len(text.split()) <= MAX_QUESTION_HEADING_WORDS)


# A short line standing alone that names what follows heads a section: a text file's sub-heading, or a bold line
# ("Children under 11") in HTML or Word. At most this many words, without a sentence end.
MAX_HEADING_WORDS = 10
# A bold line that tells the reader what to do ("Never give a proxy the patient's login", "Check the record first")
# is guidance and stays text, since a heading is never quoted.
_INSTRUCTION = re.compile(r"^(?:never|do|don't|dont|always|must|you|we|warning|important|note|remember|check|make|"
                          r"ensure|avoid|only|please|stop|keep|use|give|tell|ask|call|contact)\b", re.I)


def reads_as_bold_heading(text: str) -> bool:
    """A wholly bold line or paragraph that heads what follows: an FAQ's question, or a short label that is not a
    sentence, an instruction or a list's lead-in."""
    text = text.strip()
    return reads_as_question_heading(text) or (
        0 < len(text.split()) <= MAX_HEADING_WORDS and text[:1].isalnum() and not _INSTRUCTION.match(text)
        and not text.endswith((".", ",", ";", ":", "!")))
