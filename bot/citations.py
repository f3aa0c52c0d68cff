"""Citations: which page each answer line cites, and how sources are numbered.

Owns `CitationBook` (numbers pages in order of first use), `citation_for` (a page's own title, publisher and
date from references.yaml) and the choice, per line, of the recorded page(s) that support it. Imports only
`bot.types` and `bot.settings`; it must not import the answerers, retrieval or the index.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from bot.settings import default_of
from bot.types import Chunk, Citation


def page_url(chunk: Chunk, url: str) -> str:
    """The address a citation of `url` links to: the page itself when the corpus read a mirror copy of it."""
    return (chunk.references.get(url) or {}).get("canonical") or url


def citation_for(chunk: Chunk, number: int, url: str = "") -> Citation:
    """A citation of a chunk's document, or, given one of the URLs the corpus records for the passage, of
    that source page itself: its own title, publisher and date (from references.yaml) when known."""
    section = " > ".join(chunk.heading_path[1:]) if len(chunk.heading_path) > 1 else ""
    reference = chunk.references.get(url) if url else None
    if url and reference:
        return Citation(number=number, chunk_id=chunk.chunk_id, doc_id=chunk.doc_id,
                        title=reference.get("title") or chunk.title, section=section,
                        url=page_url(chunk, url),
                        publisher=reference.get("publisher", ""), published=reference.get("date", ""),
                        last_reviewed=chunk.last_reviewed)
    return Citation(
        number=number,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        title=chunk.title,
        section=section,
        url=url or chunk.url,
        publisher=", ".join(chunk.publisher),
        published=chunk.published,
        last_reviewed=chunk.last_reviewed,
    )


class CitationBook:
    """Numbers sources in order of first use: [1], [2], … A source is a page the corpus names for the
    passage (annotated corpus) or, failing that, the passage's own document."""

    def __init__(self, max_sources: int = default_of("answer_max_sources_per_line")):
        self.by_key: dict[str, Citation] = {}
        self.max_sources = max_sources  # pages one line cites at most (Settings.answer_max_sources_per_line)

    @classmethod
    def of(cls, citations: Sequence[Citation],
           max_sources: int = default_of("answer_max_sources_per_line")) -> "CitationBook":
        """A book that numbers on from `citations` (a page already cited keeps its number)."""
        book = cls(max_sources)
        for citation in sorted(citations, key=lambda c: c.number):
            book.by_key["url:" + citation.url if citation.url else f"cited:{citation.number}"] = citation
        return book

    def _add(self, key: str, make) -> int:
        found = self.by_key.get(key)
        if found is None:
            found = make(len(self.by_key) + 1)
            self.by_key[key] = found
        return found.number

    def number(self, chunk: Chunk) -> int:
        return self._add("doc:" + chunk.doc_id, lambda n: citation_for(chunk, n))

    def number_sources(self, chunk: Chunk, urls: Sequence[str]) -> list[int]:
        """The numbers of the pages supporting a passage; the document itself when none is recorded."""
        if not urls:
            return [self.number(chunk)]
        return [self._add("url:" + page_url(chunk, url), lambda n, url=url: citation_for(chunk, n, url)) for url in urls]

    def number_line(self, chunk: Chunk, line: str) -> list[int]:
        """The numbers of the recorded pages (at most `max_sources`) that best support one answer line."""
        urls = chunk.sources_of(line)
        cited = {key[4:] for key in self.by_key if key.startswith("url:")}
        chosen = choose_sources(line, urls, chunk.references, self.max_sources,
                                cited={u for u in urls if page_url(chunk, u) in cited})
        return self.number_sources(chunk, chosen)

    @property
    def citations(self) -> list[Citation]:
        return sorted(self.by_key.values(), key=lambda c: c.number)


def cite_numbers(text: str, numbers: Sequence[int]) -> str:
    """Append [n][m] to a sentence, or to every item of a list."""
    marks = "".join(f"[{n}]" for n in numbers)
    if "\n" in text:
        return "\n".join(f"{line.rstrip()} {marks}" for line in text.splitlines())
    return f"{text.rstrip()} {marks}"


# ------------------------------------------------------------------------------------------
# Choosing, for one line, the recorded page(s) that support it
# ------------------------------------------------------------------------------------------
_MONTHS = ("January February March April May June July August September October November December").split()
_WORD = re.compile(r"[a-z0-9]+")


def publisher_names(publisher: str) -> tuple[str, str]:
    """(the name a text uses for a page's publisher, a former name or "" ) from references.yaml's publisher:
    "NHS Digital (now NHS England), mirror copy" -> ("NHS Digital", "NHS England")."""
    plain = publisher.replace("&", "and")
    main = re.split(r"\s*\(|,\s*(?:mirror|staging|via)\b", plain)[0].strip()
    now = re.search(r"\(now ([^)]+)\)", plain)
    return main, (now.group(1).strip() if now else "")


def named(text: str, candidates: Iterable[str]) -> set[str]:
    """The names among `candidates` that `text` uses, as written (publishers are proper names: "Pulse" is
    not "pulse"); a name inside a longer one the text uses does not count ("NHS" in "NHS England")."""
    text = text.replace("&", "and")
    found: set[str] = set()
    for name in sorted({c for c in candidates if c}, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?![\w])")
        if pattern.search(text):
            found.add(name)
            text = pattern.sub(" ", text)
    return found


def _date_forms(date: str) -> list[str]:
    """"2023-06-28" -> ["28 June 2023", "June 2023"]; "2023-06" -> ["June 2023"]."""
    parts = date.split("-")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        return []
    month_year = f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}" if 1 <= int(parts[1]) <= 12 else ""
    return ([f"{int(parts[2])} {month_year}"] if len(parts) == 3 and month_year else []) + ([month_year] if month_year else [])


def attribution(line: str, reference: dict, mentioned: set[str]) -> float:
    """How plainly a line points at one page: it names the page's publisher (2; a former name 1; `mentioned`:
    the publisher names the line uses, from `named`) and gives the page's date (1 for the day, 0.5 for the
    month only). The points rank the evidence (publisher, then a former name or the day, then the month) and
    were set by hand when lines began citing the pages they name (dev citation precision 124 -> 125/141 for
    that change as a whole); no other values were measured. Not settings: whether a page counts as named does
    not depend on them (any point counts); they only choose among named pages when a line names more than
    ANSWER_MAX_SOURCES_PER_LINE."""
    main, former = publisher_names(reference.get("publisher", ""))
    score = 2.0 if main in mentioned else 1.0 if former and former in mentioned else 0.0
    forms = _date_forms(reference.get("date", ""))
    if forms and forms[0] in line:
        score += 1.0 if len(forms) == 2 else 0.5
    elif len(forms) == 2 and forms[1] in line:
        score += 0.5
    return score


def choose_sources(line: str, urls: Sequence[str], references: dict[str, dict], limit: int,
                   cited: set[str] = frozenset()) -> list[str]:
    """The page(s), of those the corpus records for a line, that a citation of the line shows: first the
    pages the line itself names (by publisher or date, `attribution`), up to `limit`; when it names none,
    one page, preferring one the answer does not cite yet (so that lines supported by the same few pages do
    not all repeat the first), then the corpus's own order (its sources comment lists the main page first)."""
    if len(urls) <= 1:
        return list(urls)
    pages = [references.get(url) or {} for url in urls]
    mentioned = named(line, (n for page in pages for n in publisher_names(page.get("publisher", ""))))
    scores = {url: attribution(line, page, mentioned) for url, page in zip(urls, pages)}
    ranked = sorted(range(len(urls)), key=lambda i: (-scores[urls[i]], urls[i] in cited, i))
    attributed = [i for i in ranked if scores[urls[i]] > 0][:limit]
    return [urls[i] for i in sorted(attributed or ranked[:1])]
