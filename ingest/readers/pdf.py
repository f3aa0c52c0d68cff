"""PDF: pdfplumber (on pdfminer.six) reads every line with its position, font size and weight; pypdf first
turns away a corrupt or password-protected file with a clear reason.

- header and footer lines are dropped: in the top or bottom band of the page, a line that recurs (digits
  ignored) on at least half of the pages, or a page number, a printed URL or a print time stamp;
- lines are joined into paragraphs (a larger gap, a list marker or a heading starts a new one; a sentence
  cut by a page break is joined again) and a word hyphenated at a line end is rejoined;
- a line set larger than the body text, or a short line wholly in bold, is a heading (`#`, `##`, `###` by
  size), so the heading-aware chunker uses it;
- the title is the metadata title (unless a placeholder) or the first heading, without a site suffix; the
  date is a labelled one from the text ("Version 1.1, 12 May 2023", "Published …"), else the metadata date of
  a file not printed from a browser (whose date is the print time, not the guidance's)."""

from __future__ import annotations

import io
import re
import statistics
from dataclasses import dataclass

from bot import prompts
from bot.types import SourceDocument
from ingest.readers.common import (
    LoadError,
    date_fields,
    is_date_line,
    labelled_dates,
    looks_like_site,
    make_document,
    split_site_suffix,
    title_from_name,
)

BAND = 0.12  # top and bottom 12% of a page: where running headers and footers sit
RECUR_SHARE = 0.5  # a band line on at least half of the pages is a running header or footer
HEADING_RATIO = 1.15  # at least 15% larger than the body text
PARAGRAPH_GAP = 1.8  # a gap this many times the usual line gap starts a paragraph
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$", re.I)
_URL_LINE = re.compile(r"^(?:https?://|www\.)\S+(?:\s+\d{1,4}\s*/\s*\d{1,4})?$", re.I)
_TIMESTAMP = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d\d(?:\s*[ap]m)?\b", re.I)
_BULLET = re.compile(r"^(?:[•●▪■◦‣∙·*-]|–|o(?=\s)|\(cid:\d+\))\s*")
_CID = re.compile(r"\(cid:\d+\)")
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.I)
_BROWSER = re.compile(r"skia|mozilla|chrome|cairo|wkhtmltopdf|headless|webkit", re.I)
_PLACEHOLDER_TITLE = re.compile(r"^(untitled|document\d*|microsoft word - .*|.*\.(docx?|pdf|odt))$", re.I)


@dataclass
class Line:
    text: str
    page: int
    top: float
    bottom: float
    size: float
    bold: bool
    in_band: bool
    heading: int = 0  # 1-3 for a heading


def _validate(data: bytes) -> dict:
    """pypdf opens the file (clear reasons for corrupt and encrypted PDFs); returns its metadata."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise LoadError(f"encrypted PDF (cannot decrypt: {exc})") from None
            if not opened:
                raise LoadError("encrypted PDF (password required)")
        if not reader.pages:
            raise LoadError("no text in PDF (no pages)")
        try:
            return {str(k): str(v) for k, v in (reader.metadata or {}).items()}
        except Exception:  # noqa: BLE001 — damaged metadata is no metadata
            return {}
    except LoadError:
        raise
    except FileNotDecryptedError:
        raise LoadError("encrypted PDF (password required)") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LoadError(f"corrupt PDF: {reason}") from None
    except Exception as exc:  # pypdf raises a zoo of errors on damaged files
        raise LoadError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None


def _read_lines(data: bytes) -> list[list[Line]]:
    import pdfplumber

    pages: list[list[Line]] = []
    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for number, page in enumerate(pdf.pages):
                height = float(page.height) or 1.0
                lines = []
                for raw in page.extract_text_lines(return_chars=True):
                    chars = [c for c in raw["chars"] if c.get("text", "").strip()]
                    if not chars or not raw["text"].strip():
                        continue
                    lines.append(Line(
                        text=" ".join(raw["text"].split()),
                        page=number,
                        top=float(raw["top"]),
                        bottom=float(raw["bottom"]),
                        size=round(statistics.median(float(c["size"]) for c in chars), 1),
                        bold=sum(bool(_BOLD.search(c.get("fontname", ""))) for c in chars) >= 0.9 * len(chars),
                        in_band=raw["top"] < BAND * height or raw["bottom"] > (1 - BAND) * height,
                    ))
                pages.append(lines)
    except Exception as exc:  # noqa: BLE001 — pdfminer internals on a damaged file
        raise LoadError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    return pages


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def printed_url(pages: list[list[Line]]) -> str:
    """The page URL a browser prints in the footer of every page (the source of a saved web page)."""
    for line in pages[-1] if pages else []:
        match = _URL_LINE.match(line.text)
        key = _key(line.text)
        if line.in_band and match and not line.text.endswith(("…", "...")) and sum(any(_key(l.text) == key for l in p) for p in pages) >= max(1, len(pages) / 2):
            return line.text.split()[0]
    return ""


def drop_running_lines(pages: list[list[Line]]) -> list[Line]:
    """Body lines in reading order, without running headers, footers, page numbers, URLs and time stamps."""
    counts: dict[str, int] = {}
    for lines in pages:
        for key in {_key(line.text) for line in lines if line.in_band}:
            counts[key] = counts.get(key, 0) + 1
    need = max(2, RECUR_SHARE * len(pages))
    body = []
    for lines in pages:
        for line in lines:
            if line.in_band and (
                counts.get(_key(line.text), 0) >= need
                or _PAGE_NUMBER.match(line.text)
                or _URL_LINE.match(line.text)
                or _TIMESTAMP.match(line.text)
            ):
                continue
            body.append(line)
    return body


def mark_headings(lines: list[Line]) -> None:
    weights: dict[float, int] = {}
    for line in lines:
        weights[line.size] = weights.get(line.size, 0) + len(line.text)
    if not weights:
        return
    body_size = max(weights, key=weights.get)
    larger = sorted({l.size for l in lines if l.size >= body_size * HEADING_RATIO and len(l.text.split()) <= 20},
                    reverse=True)
    level_of = {size: min(i + 1, 3) for i, size in enumerate(larger)}
    bold_level = min(len(larger) + 1, 3)
    for line in lines:
        if line.size in level_of and len(line.text.split()) <= 20:
            line.heading = level_of[line.size]
        elif (line.bold and line.size >= body_size and len(line.text.split()) <= 12
              and not line.text.endswith((".", ",", ";")) and not _BULLET.match(line.text)):
            line.heading = bold_level


def to_markdown(lines: list[Line]) -> str:
    gaps = [b.top - a.bottom for a, b in zip(lines, lines[1:])
            if a.page == b.page and not a.heading and not b.heading and b.top > a.bottom - 1]
    usual_gap = statistics.median(gaps) if gaps else 2.0
    blocks: list[str] = []
    previous: Line | None = None
    for line in lines:
        text = line.text
        if line.heading:
            if previous is not None and previous.heading == line.heading and previous.page == line.page \
                    and line.top - previous.bottom < usual_gap * PARAGRAPH_GAP + 1:
                blocks[-1] += " " + text  # a heading wrapped onto two lines
            else:
                blocks.append("#" * line.heading + " " + text)
            previous = line
            continue
        bullet, numbered = _BULLET.match(text), _NUMBERED.match(text)
        if bullet and len(text) > bullet.end():
            blocks.append("- " + _CID.sub("", text[bullet.end():]).strip())
        elif numbered:
            blocks.append(text)
        elif previous is None or previous.heading or not blocks:
            blocks.append(text)
        elif previous.page != line.page:
            ends_sentence = blocks[-1].rstrip().endswith((".", "!", "?", ":"))
            blocks.append(text) if ends_sentence or blocks[-1].startswith("#") else _join(blocks, text)
        elif line.top - previous.bottom > usual_gap * PARAGRAPH_GAP + 1:
            blocks.append(text)
        else:
            _join(blocks, text)
        previous = line
    out = blocks[:1]
    for before, block in zip(blocks, blocks[1:]):  # the items of one list stay together
        is_item = block.startswith("- ") or _NUMBERED.match(block)
        was_item = before.startswith("- ") or _NUMBERED.match(before)
        out.append(("\n" if is_item and was_item else "\n\n") + block)
    return "".join(out)


def _join(blocks: list[str], text: str) -> None:
    last = blocks[-1]
    if re.search(r"[A-Za-z]-$", last) and text[:1].islower():
        blocks[-1] = last[:-1] + text  # "recom-" + "mended"
    else:
        blocks[-1] = last + " " + text


def _metadata_date(meta: dict) -> str:
    if _BROWSER.search(meta.get("/Producer", "") + " " + meta.get("/Creator", "")):
        return ""
    raw = meta.get("/ModDate") or meta.get("/CreationDate") or ""
    match = re.match(r"D?:?(\d{4})(\d{2})(\d{2})", raw)
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else ""


def read_pdf(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    if not data.strip():
        raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
    meta = _validate(data)
    pages = _read_lines(data)
    if not any(pages):
        raise LoadError("no text in PDF (scanned image or empty pages)")
    everything = [line.text for lines in pages for line in lines]
    body = [line for line in drop_running_lines(pages) if not is_date_line(line.text)]
    if not body:
        raise LoadError("no text in PDF (scanned image or empty pages)")
    mark_headings(body)
    text = to_markdown(body)
    info_title = meta.get("/Title", "").strip()
    if _PLACEHOLDER_TITLE.match(info_title):
        info_title = ""
    first = next((line.text for line in body if line.heading), "")
    title, site = split_site_suffix(info_title or first or title_from_name(doc_id))
    if not site and looks_like_site(meta.get("/Author", "")):  # an organisation as the author
        site = meta["/Author"].strip()
    fields: dict = date_fields(labelled_dates(everything) or [_metadata_date(meta)])
    fields["title"] = title
    if site:
        fields["publisher"] = [site]
    url = printed_url(pages)
    if url.startswith("www."):
        url = "https://" + url
    return make_document(doc_id=doc_id, text=_CID.sub("", text), meta=fields, source_url=source_url or url or None)
