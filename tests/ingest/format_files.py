"""Real files for the format tests: a page as HTML (navigation, cookie banner, footer), as a PDF printed
with a running header and footer on every page, as a Word document and as plain text.

A page is (title, date line, sections); a section is (heading, paragraphs, bullets, table). The pages
themselves are data files in outline form (`pages_from_outline`)."""

from __future__ import annotations

import html as html_lib
import io
from dataclasses import dataclass, field


@dataclass
class Section:
    heading: str
    paragraphs: list[str]
    bullets: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # first row = header


@dataclass
class Page:
    title: str  # without the site suffix
    site: str  # "NHS England"
    url: str  # canonical
    date_line: str  # "Page last reviewed: 12 May 2023"
    sections: list[Section]


def pages_from_outline(text: str) -> list[Page]:
    """Pages written as an outline (the fixtures' data files): `# title`, then `site:`, `url:` and `date:`
    lines, then `## heading` sections (a `<!-- ... -->` line is a comment) holding paragraphs (separated by a blank line; a paragraph's lines are
    joined with a space), `- bullet` lines and `| cell | cell |` table rows (the first row is the header)."""
    pages: list[Page] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            pages[-1].sections[-1].paragraphs.append(" ".join(paragraph))
            paragraph.clear()

    for line in text.splitlines():
        line = line.strip()
        if line.startswith("<!--"):  # a comment line about the file
            continue
        if not line or line.startswith(("- ", "| ", "## ", "# ")):
            end_paragraph()
        if line.startswith("# "):
            pages.append(Page(title=line[2:], site="", url="", date_line="", sections=[]))
        elif line.startswith("## "):
            pages[-1].sections.append(Section(line[3:], []))
        elif line.startswith("- "):
            pages[-1].sections[-1].bullets.append(line[2:])
        elif line.startswith("| "):
            pages[-1].sections[-1].table.append([cell.strip() for cell in line.strip("|").split("|")])
        elif line and not pages[-1].sections:
            key, _, value = line.partition(": ")
            setattr(pages[-1], {"site": "site", "url": "url", "date": "date_line"}[key], value)
        elif line:
            paragraph.append(line)
    end_paragraph()
    return pages


def html_page(page: Page) -> str:
    esc = html_lib.escape
    body = []
    for s in page.sections:
        body.append(f"<h2>{esc(s.heading)}</h2>")
        body += [f"<p>{esc(p)}</p>" for p in s.paragraphs]
        if s.bullets:
            body.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in s.bullets) + "</ul>")
        if s.table:
            head, *rows = s.table
            body.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
                        + "</tbody></table>")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{esc(page.title)} - {esc(page.site)}</title>
<link rel="canonical" href="{esc(page.url)}">
<meta property="og:site_name" content="{esc(page.site)}">
<meta property="og:url" content="{esc(page.url)}">
</head><body>
<div id="cookiebanner" class="cookie-banner"><h2>Cookies on the {esc(page.site)} website</h2>
<p>We've put some small files called cookies on your device to make our site work. We'd also like to use
analytics cookies. These send information about how our site is used to a service called Adobe Analytics.</p>
<button>I'm OK with analytics cookies</button><button>Do not use analytics cookies</button></div>
<header><a href="/">{esc(page.site)} homepage</a>
<nav class="nhsuk-header__navigation"><ul><li><a href="/health">Health A to Z</a></li>
<li><a href="/live-well">Live Well</a></li><li><a href="/mental-health">Mental health</a></li>
<li><a href="/care">Care and support</a></li><li><a href="/services">Services near you</a></li></ul></nav></header>
<nav class="breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/gp">GP practices</a></li></ol></nav>
<main id="maincontent"><article><h1>{esc(page.title)}</h1>
{"".join(body)}
</article>
<div class="nhsuk-review-date"><p>{esc(page.date_line)}<br>Next review due: 1 January 2030</p></div>
</main>
<footer><ul><li><a href="/accessibility">Accessibility statement</a></li><li><a href="/cookies">Our policy on
cookies</a></li><li><a href="/privacy">Privacy policy</a></li></ul><p>© Crown copyright</p></footer>
</body></html>"""


HEADER = "Classification: Official"
PRINT_STAMP = "12/05/2023, 14:32"


def pdf_page(page: Page, *, lines_per_page: int = 22) -> bytes:
    """The page as a browser prints it: a time stamp and the title at the top of every page, the URL and
    "n/N" at the bottom, a "Classification: Official" header; body text wrapped at ~85 characters, long
    words hyphenated at line ends, headings in a larger bold font; spread over several pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    items: list[tuple[str, str]] = [("h1", page.title), ("p", page.date_line)]
    for s in page.sections:
        items.append(("h2", s.heading))
        items += [("p", p) for p in s.paragraphs]
        items += [("p", "• " + b) for b in s.bullets]
        if s.table:
            items += [("p", "   ".join(row)) for row in s.table]
    lines: list[tuple[str, str]] = []
    for kind, text in items:
        if kind != "p":
            lines += [("gap", ""), (kind, text)]
            continue
        lines.append(("gap", ""))
        words, current = text.split(), ""
        for word in words:
            if len(current) + len(word) + 1 > 85:
                if len(word) > 9 and len(current) + 6 <= 85:  # hyphenate a long word at the line end
                    cut = 5
                    lines.append(("p", f"{current} {word[:cut]}-".strip()))
                    current = word[cut:]
                    continue
                lines.append(("p", current))
                current = word
            else:
                current = f"{current} {word}".strip()
        if current:
            lines.append(("p", current))
    chunks = [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{page.title} - {page.site}")
    pdf.setCreator("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0")
    width, height = A4
    for number, chunk in enumerate(chunks, start=1):
        pdf.setFont("Helvetica", 8)
        pdf.drawString(30, height - 20, PRINT_STAMP)
        pdf.drawString(250, height - 20, f"{page.title} - {page.site}")
        pdf.drawString(30, height - 34, HEADER)
        size = 8.0
        while pdf.stringWidth(page.url, "Helvetica", size) > width - 110:  # as a browser fits it beside "n/N"
            size -= 0.5
        pdf.setFont("Helvetica", size)
        pdf.drawString(30, 20, page.url)
        pdf.setFont("Helvetica", 8)
        pdf.drawString(width - 60, 20, f"{number}/{len(chunks)}")
        y = height - 80
        for kind, text in chunk:
            if kind == "gap":
                y -= 8
                continue
            font, size = {"h1": ("Helvetica-Bold", 20), "h2": ("Helvetica-Bold", 14)}.get(kind, ("Helvetica", 10))
            pdf.setFont(font, size)
            pdf.drawString(50, y, text)
            y -= size + 5
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def docx_page(page: Page, *, modified=None) -> bytes:
    """The page as a Word document: its date only in the document properties (modified), as Word keeps it."""
    import datetime as dt

    import docx

    document = docx.Document()
    document.core_properties.title = f"{page.title} | {page.site}"
    document.core_properties.modified = modified or dt.datetime.strptime(" ".join(page.date_line.split()[-3:]), "%d %B %Y")
    document.add_heading(page.title, level=1)
    for s in page.sections:
        document.add_heading(s.heading, level=2)
        for p in s.paragraphs:
            document.add_paragraph(p)
        for b in s.bullets:
            document.add_paragraph(b, style="List Bullet")
        if s.table:
            table = document.add_table(rows=len(s.table), cols=len(s.table[0]))
            for r, row in enumerate(s.table):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_page(page: Page) -> str:
    out = [page.title, "", page.date_line, ""]
    for s in page.sections:
        out += [s.heading, ""]
        for p in s.paragraphs:
            out += [p, ""]
        out += [f"- {b}" for b in s.bullets]
        out += [" | ".join(row) for row in s.table[1:]] if s.table else []
        out.append("")
    return "\n".join(out)
