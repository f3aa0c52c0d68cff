"""Word (.docx) with python-docx: paragraphs and tables in document order; "Heading N" and "Title" styles
become `#` headings (a wholly bold question or short label a `####` one), list paragraphs (list styles or Word
numbering) `- ` items, and a table one `- ` item per row that names each cell by its column header ("Code:
1364731000000104; Meaning: …"), which reads as a sentence in an answer. Title and date come from the document
properties (core title; modified, else created), a labelled date in the text ("Published …", "Version 1.1, 12 May
2023") taking precedence."""

from __future__ import annotations

import io
import re
import zipfile

from bot.types import SourceDocument
from ingest.readers.common import (
    LoadError,
    date_fields,
    first_heading,
    is_date_line,
    labelled_dates,
    make_document,
    reads_as_bold_heading,
    split_site_suffix,
)

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)


def _blocks(document):
    """Paragraphs and tables of the body in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document)
        elif tag == "tbl":
            yield Table(child, document)


def _paragraph_line(paragraph) -> str:
    text = " ".join(paragraph.text.split())
    if not text:
        return ""
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = _HEADING_STYLE.match(style)
    if heading:
        return "#" * min(int(heading.group(1)), 6) + " " + text
    if style.lower() == "title":
        return "# " + text
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if numbered or style.lower().startswith("list"):
        return "- " + text
    if _wholly_bold(paragraph) and reads_as_bold_heading(text):  # an FAQ's question or a sub-heading set in bold
        return "#### " + text
    return text


def _wholly_bold(paragraph) -> bool:
    """Every run with text is bold, set on the run or by the paragraph's style."""
    style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    runs = [run for run in paragraph.runs if run.text.strip()]

    def bold(run) -> bool:
        if run.bold is not None:
            return bool(run.bold)
        character_style = run.style.font.bold if run.style is not None else None  # e.g. "Strong"
        return bool(character_style) if character_style is not None else style_bold

    return bool(runs) and all(bold(run) for run in runs)


def _table_lines(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells = list(dict.fromkeys(" ".join(cell.text.split()) for cell in row.cells))  # merged cells repeat
        rows.append(cells)
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header, *rest = rows if len(rows) > 1 else ([], *rows)
    lines = []
    for cells in rest:
        if header and len(header) == len(cells):
            lines.append("- " + "; ".join(f"{h}: {c}" if h else c for h, c in zip(header, cells) if c))
        else:
            lines.append("- " + "; ".join(c for c in cells if c))
    return lines


def read_docx(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"corrupt Word document: {exc or type(exc).__name__}") from None
    lines: list[str] = []
    for block in _blocks(document):
        if hasattr(block, "rows"):
            lines += ["", *_table_lines(block), ""]
            continue
        line = _paragraph_line(block)
        if line.startswith("- ") and lines and lines[-1].startswith("- "):
            lines.append(line)  # list items stay together
        elif line:
            lines += ["", line]
    props = document.core_properties
    text_dates = labelled_dates([l.lstrip("#- ") for l in lines])
    prop_date = props.modified or props.created
    fields: dict = date_fields(text_dates or ([prop_date.date().isoformat()] if prop_date else []))
    body = "\n".join(l for l in lines if not is_date_line(l)).strip()
    title, site = split_site_suffix((props.title or "").strip() or first_heading(body))
    if title:
        fields["title"] = title
    if site:
        fields["publisher"] = [site]
    return make_document(doc_id=doc_id, text=body, meta=fields, source_url=source_url)
