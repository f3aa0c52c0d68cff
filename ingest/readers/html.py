"""HTML: trafilatura main-text extraction (navigation, cookie banners and other boilerplate dropped),
headings kept as `#` lines. From the page's own markup: the title without the site's suffix, the publisher
(og:site_name, else that suffix), the canonical URL (`link rel=canonical`, `og:url`: the source URL of a page
saved to a file), and its dates — a labelled "Published / Last updated / Page last reviewed" line wins over
the date trafilatura's htmldate infers from the markup.

A heading that carries content the text needs, such as a code number, is also kept as the first line of its
section: the chunker turns headings into section labels, and a code must stay in the passage. An accordion's
heading set in a <button>, and a standalone bold question or label (an FAQ's question, a sub-heading in <strong>), are
headings too."""

from __future__ import annotations

import re

from bot import prompts
from bot.types import SourceDocument
from ingest.readers.common import (
    LoadError,
    date_fields,
    decode,
    first_heading,
    is_date_line,
    labelled_dates,
    make_document,
    pop_source_line,
    reads_as_bold_heading,
    split_site_suffix,
)

_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A heading that holds a code: a long number (a SNOMED CT id has 6-18 digits) or a short token mixing capitals
# and digits (a Read or CTV3 code such as "9NDA" or "XaJ5t"). "What the 104 code does" is only a heading.
_CONTENT_HEADING = re.compile(r"\b\d{6,}\b|\b(?=[A-Za-z0-9]{4,6}\b)(?=[A-Za-z]*\d)(?=\d*[A-Z])[A-Za-z0-9]+\b")


def _looks_like_prose(text: str) -> bool:
    """Main text has at least one line of real words, not only a menu of one- or two-word links."""
    words = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tokens = re.findall(r"[A-Za-z0-9][\w'’-]*", line)
        if len(tokens) >= 5:
            words += len(tokens)
    return words >= 8


def keep_heading_content(markdown: str) -> str:
    """A heading with a code in it is repeated as the first line of its section; lines that only
    state the page's date are dropped (the date is the document's metadata)."""
    out: list[str] = []
    for line in markdown.splitlines():
        match = _HEADING_LINE.match(line.strip())
        if match and _CONTENT_HEADING.search(match.group(2)):
            out += [line, "", match.group(2).strip("*_ ").strip(), ""]
        elif not is_date_line(line):
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


_BOLD_LINE = re.compile(r"^\*\*([^*\n]+?)\*\*$")  # a line that is bold and nothing else


def bold_lines_as_headings(markdown: str) -> str:
    """A standalone bold question or label (`reads_as_bold_heading`: an FAQ's question or a sub-heading set in
    <strong>) becomes a `####` heading: it labels what follows (the chunker does not cut there, so a page of many
    short answers stays in passages of a useful size) and is never quoted as if it were guidance. A bold sentence,
    instruction or lead-in stays text."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        match = _BOLD_LINE.match(line.strip())
        alone = (i == 0 or not lines[i - 1].strip()) and (i + 1 == len(lines) or not lines[i + 1].strip())
        if match and alone and reads_as_bold_heading(match.group(1)):
            lines[i] = "#### " + match.group(1).strip()
    return "\n".join(lines)


_BUTTON_IN_HEADING = re.compile(r"<h[1-6][^>]*>\s*(?:<[^>]+>\s*)*<button", re.I)


def unwrap_heading_buttons(html: str) -> str:
    """An accordion's heading whose text sits in a <button> (`<h3><button>What about care homes?</button></h3>`):
    trafilatura drops buttons, and the heading with them. The button's tag is taken off, its text kept; a page
    without one is returned as it was."""
    if not _BUTTON_IN_HEADING.search(html):
        return html
    from lxml import html as lxml_html

    try:
        # UTF-8 bytes read as UTF-8 whatever the page's <meta charset> says (the text is already decoded)
        tree = lxml_html.document_fromstring(html.encode("utf-8", "replace"),
                                             parser=lxml_html.HTMLParser(encoding="utf-8"))
    except Exception:  # noqa: BLE001 — left to trafilatura as it is
        return html
    for button in tree.xpath("//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]//button"):
        button.drop_tag()
    return lxml_html.tostring(tree, encoding="unicode")


def _page_meta(html: str) -> dict[str, str]:
    """Canonical URL, site name and title from <link>/<meta> tags (lxml, tolerant of broken markup)."""
    from lxml import html as lxml_html

    found = {"canonical": "", "site": "", "title": ""}
    try:
        tree = lxml_html.fromstring(html.encode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 — a page lxml cannot parse has no metadata
        return found
    for href in tree.xpath("//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href"):
        found["canonical"] = found["canonical"] or href.strip()
    for prop, key in (("og:url", "canonical"), ("og:site_name", "site"), ("og:title", "title")):
        for value in tree.xpath(f"//meta[@property='{prop}' or @name='{prop}']/@content"):
            found[key] = found[key] or value.strip()
    if not found["title"]:
        found["title"] = " ".join(" ".join(tree.xpath("//title//text()")).split())
    if not found["canonical"].startswith(("http://", "https://")):
        found["canonical"] = ""
    return found


def _visible_lines(html: str) -> list[str]:
    """The page's text lines (scripts and styles dropped), for labelled dates in a footer or a byline."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html.encode("utf-8", "replace"))
    except Exception:  # noqa: BLE001
        return []
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    lines = []
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag in ("p", "span", "div", "dd", "dt", "li", "time", "small", "td"):
            text = " ".join(element.text_content().split())
            if text and len(text) <= 160:
                lines.append(text)
    return lines


def read_html(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    html = decode(data)
    if not html.strip():
        raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
    url, rest = pop_source_line(html)
    if url:
        source_url, html = url, rest
    else:
        match = re.search(r"<!--\s*SOURCE:\s*(\S+?)\s*-->", html[:2000], re.IGNORECASE)
        if match:
            source_url = match.group(1)
    import trafilatura  # heavy: imported on first HTML document

    try:
        text = trafilatura.extract(
            unwrap_heading_buttons(html),
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_links=False,
            include_images=False,
            include_formatting=True,
            deduplicate=False,  # True keeps a process-wide cache: a paragraph seen on earlier pages vanishes
        )
    except Exception as exc:  # lxml/trafilatura internals
        raise LoadError(f"could not parse HTML: {exc}") from None
    if not text or not _looks_like_prose(text):
        raise LoadError("no main text")
    page = _page_meta(html)
    inferred_date = title = site = ""
    try:
        meta = trafilatura.extract_metadata(html)
        title = (meta.title or "").strip() if meta else ""
        site = (meta.sitename or "").strip() if meta else ""
        inferred_date = (meta.date or "").strip() if meta else ""
    except Exception:  # noqa: BLE001 — metadata is a bonus; the text is what matters
        pass
    site = page["site"] or site
    title, suffix = split_site_suffix(page["title"] or title or first_heading(text), site)
    meta_fields: dict = date_fields(labelled_dates(_visible_lines(html)) or [inferred_date[:10]])
    if title:
        meta_fields["title"] = title
    if site or suffix:
        meta_fields["publisher"] = [site or suffix]
    # a page saved to a file cites where it was published, not the file
    source_url = source_url or page["canonical"] or None
    return make_document(doc_id=doc_id, text=keep_heading_content(bold_lines_as_headings(text)), meta=meta_fields,
                         source_url=source_url)
