"""Answerers: turn retrieved passages into a short, cited answer.

- `ExtractiveAnswerer` (default, no external service): picks the sentences of the top passages that
  answer the question, keeps steps as steps, and cites every sentence [n] against numbered sources.
- The language-model answerer (when LLM_MODEL / LLM_BASE_URL is set) lives in `bot.llm`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from bot import prompts
from bot.index import analyze
from bot.retrieval import PreparedQuery
from bot.types import Chunk, Citation, ScoredChunk

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------
# Splitting passages into answer units: sentences, or whole lists (steps stay steps)
# ------------------------------------------------------------------------------------------
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*+•])\s+")
_STEP_ITEM = re.compile(r"^\s*\d+[.)]\s+")
_BULLET_ITEM = re.compile(r"^\s*[-*+•]\s+")
_ABBREVIATIONS = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bvs)(?<!\bno)(?<!\bSt)"
_SENTENCE_END = re.compile(_ABBREVIATIONS + r"(?<=[.!?])[\"”')\]]?\s+(?=[A-Z0-9\"“'(`*])")
_URL_ONLY = re.compile(r"^\W*(?:https?://\S+\W*)+$")
# "…is covered in "Other document"", "see the historic-records document": pointers, not answers
_CROSS_REFERENCE = re.compile(
    r"\b(?:see|covered in|is in|are in|described in|set out in)\s+(?:the\s+)?(?:\"[^\"]+\"|[\w\-]+\s+(?:document|folder|page))",
    re.I,
)


@dataclass
class Unit:
    text: str
    chunk_rank: int
    position: int
    is_list: bool = False  # a numbered list kept whole: steps stay steps
    bullet: bool = False  # one item of a bulleted list, shown as a bullet
    lead: bool = False  # first sentence of a document: its one-paragraph answer
    paragraph: int = 0
    score: float = 0.0


def _answerable(text: str) -> bool:
    """Drop fragments that say nothing on their own: bare URLs, key: value lines, tiny pieces."""
    return (len(text) >= 12 and len(text.split()) >= 3 and not _URL_ONLY.match(text)
            and not re.match(r"^[a-z_]+:\s", text))


def split_units(chunk: Chunk, rank: int) -> list[Unit]:
    units: list[Unit] = []
    steps: list[str] = []
    position = 0

    paragraph_number = 0

    def add(unit: Unit):
        nonlocal position
        if _answerable(unit.text):
            unit.position = position
            unit.paragraph = paragraph_number
            units.append(unit)
            position += 1

    def flush_steps():
        nonlocal steps
        if steps:
            add(Unit("\n".join(steps[:10]), rank, 0, is_list=True))
            steps = []

    last_kind = None
    lead_in: Unit | None = None  # a sentence ending in ":" whose bullets follow: kept with them
    bullets: list[str] = []

    def flush_bullets():
        nonlocal lead_in, bullets
        if lead_in is not None and bullets:
            units.remove(lead_in)
            add(Unit("\n".join([lead_in.text, *(f"- {b}" for b in bullets[:12])]), rank, 0, is_list=True))
        lead_in, bullets = None, []

    for paragraph_number, paragraph in enumerate(re.split(r"\n\s*\n", chunk.text)):
        for line in paragraph.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#") or stripped.startswith("---"):
                continue
            if _STEP_ITEM.match(stripped):
                flush_bullets()
                steps.append(stripped)
                last_kind = "step"
                continue
            if line.startswith((" ", "\t")) and last_kind == "step" and steps:  # continuation of a step
                steps[-1] += " " + stripped
                continue
            flush_steps()
            if _BULLET_ITEM.match(stripped):
                item = _BULLET_ITEM.sub("", stripped)
                if lead_in is not None:
                    bullets.append(item)
                else:
                    add(Unit(item, rank, 0, bullet=True))
                last_kind = "bullet"
                continue
            if line.startswith((" ", "\t")) and last_kind == "bullet":
                if bullets:
                    bullets[-1] += " " + stripped
                elif units:
                    units[-1].text += " " + stripped
                continue
            flush_bullets()
            last_kind = "text"
            for sentence in _SENTENCE_END.split(stripped):
                sentence = sentence.strip()
                add(Unit(sentence, rank, 0, lead=(chunk.chunk_index == 0 and position == 0)))
                if sentence.endswith(":") and units and units[-1].text == sentence:
                    lead_in = units[-1]
        flush_steps()
    flush_bullets()
    return units


def cite(text: str, number: int) -> str:
    """Append [n] to a sentence, or to every item of a list."""
    if "\n" in text:
        return "\n".join(f"{line.rstrip()} [{number}]" for line in text.splitlines())
    return f"{text.rstrip()} [{number}]"


# ------------------------------------------------------------------------------------------
# Citations
# ------------------------------------------------------------------------------------------
def citation_for(chunk: Chunk, number: int) -> Citation:
    return Citation(
        number=number,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        title=chunk.title,
        section=" > ".join(chunk.heading_path[1:]) if len(chunk.heading_path) > 1 else "",
        url=chunk.url,
        publisher=", ".join(chunk.publisher),
        published=chunk.published,
        last_reviewed=chunk.last_reviewed,
    )


class CitationBook:
    """Numbers sources by document in order of first use: [1], [2], …"""

    def __init__(self):
        self.by_doc: dict[str, Citation] = {}

    def number(self, chunk: Chunk) -> int:
        found = self.by_doc.get(chunk.doc_id)
        if found is None:
            found = citation_for(chunk, len(self.by_doc) + 1)
            self.by_doc[chunk.doc_id] = found
        return found.number

    @property
    def citations(self) -> list[Citation]:
        return sorted(self.by_doc.values(), key=lambda c: c.number)


@dataclass
class Draft:
    text: str
    citations: list[Citation]
    answerer: str
    coverage: float = 0.0  # how much of the question the best sentence covers (0..1+)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------
# The extractive answerer
# ------------------------------------------------------------------------------------------
@dataclass
class ExtractiveAnswerer:
    idf: Callable[[str], float]
    max_units: int = 4
    max_chars: int = 800
    relative_cutoff: float = 0.4
    # A second document must earn its place: its sentences join only when nearly as good as the best.
    other_document_cutoff: float = 0.65
    passages: int = 5

    name = "extractive"

    def score_units(self, query: PreparedQuery, results: Sequence[ScoredChunk]) -> list[Unit]:
        core = set(analyze(query.retrieval_text))
        expansion = set(analyze(query.expanded)) - core
        core_weight = sum(self.idf(t) for t in core) or 1.0
        units: list[Unit] = []
        top = max((r.score for r in results[: self.passages]), default=0.0)
        for rank, result in enumerate(results[: self.passages]):
            # passages that retrieval scored about as well as the best are about as likely to answer
            prior = 0.2 / (rank + 1) + 0.3 * max(0.0, result.score - (top - 0.25))
            chunk = result.chunk
            heading_terms = set(analyze(" ".join(chunk.heading_path)))
            heading_cover = sum(self.idf(t) for t in core & heading_terms) / core_weight
            for unit in split_units(chunk, rank):
                cover, extra = self._coverage(unit, core, expansion, core_weight)
                unit.score = (
                    cover
                    + 0.1 * extra
                    + 0.25 * heading_cover
                    + prior
                    + (0.2 if unit.lead else 0.0)
                    - (0.05 * unit.position / 10)
                )
                if unit.is_list:
                    unit.score += 0.05  # steps answer "how do I" questions
                if unit.text.rstrip().endswith(":"):
                    unit.score -= 0.15  # a lead-in says little without what follows
                if _CROSS_REFERENCE.search(unit.text):
                    unit.score -= 0.3  # points elsewhere; the passage it points to answers better
                units.append(unit)
        # The lead paragraph is written as the answer: when it wins, the sentences that follow it in
        # that paragraph are its natural continuation.
        best = max(units, key=lambda u: u.score, default=None)
        if best is not None and best.lead:
            for unit in units:
                if (unit is not best and unit.chunk_rank == best.chunk_rank and unit.paragraph == best.paragraph
                        and 0 < unit.position - best.position <= 2 and not unit.is_list):
                    unit.score += 0.2
        return units

    def _coverage(self, unit: Unit, core: set[str], expansion: set[str], core_weight: float) -> tuple[float, float]:
        """idf-weighted share of the question's terms a unit holds. A list is judged by its best item
        (plus a little for the rest), so a long list does not win just by being long."""
        pieces = unit.text.splitlines() if unit.is_list else [unit.text]
        scored = []
        for piece in pieces:
            terms = set(analyze(piece))
            scored.append((sum(self.idf(t) for t in core & terms) / core_weight,
                           sum(self.idf(t) for t in expansion & terms) / core_weight))
        best_cover = max(c for c, _ in scored)
        best_extra = max(e for _, e in scored)
        if len(pieces) > 1:
            union = set(analyze(unit.text))
            union_cover = sum(self.idf(t) for t in core & union) / core_weight
            best_cover += 0.25 * (union_cover - best_cover)
        return best_cover, best_extra

    def answer(self, query: PreparedQuery, results: Sequence[ScoredChunk]) -> Draft:
        units = self.score_units(query, results)
        if not units:
            return Draft(text="", citations=[], answerer=self.name)
        ranked = sorted(units, key=lambda u: u.score, reverse=True)
        best = ranked[0].score
        chosen: list[Unit] = []
        chars = 0
        docs: set[str] = set()
        for unit in ranked:
            if len(chosen) >= self.max_units or unit.score < self.relative_cutoff * best:
                break
            if chosen and chars + len(unit.text) > self.max_chars and not unit.is_list:
                continue
            doc = results[unit.chunk_rank].chunk.doc_id
            if len(docs) >= 2 and doc not in docs:
                continue
            if chosen and doc not in docs and unit.score < self.other_document_cutoff * best:
                continue
            if any(_overlap(unit.text, c.text) > 0.7 for c in chosen):
                continue
            chosen.append(unit)
            docs.add(doc)
            chars += len(unit.text)
        # read in document order: documents as retrieval ranked them, then each document's own order
        doc_rank: dict[str, int] = {}
        for result in results:
            doc_rank.setdefault(result.chunk.doc_id, len(doc_rank))
        chosen.sort(key=lambda u: (doc_rank[results[u.chunk_rank].chunk.doc_id],
                                   results[u.chunk_rank].chunk.chunk_index, u.position))
        book = CitationBook()
        lines = []
        for unit in chosen:
            number = book.number(results[unit.chunk_rank].chunk)
            lines.append(cite(unit.text, number))
        text = _join_units(lines, chosen)
        core = set(analyze(query.retrieval_text))
        core_weight = sum(self.idf(t) for t in core) or 1.0
        best_cover = max(
            (sum(self.idf(t) for t in core & set(analyze(u.text))) / core_weight for u in units), default=0.0
        )
        return Draft(text=text, citations=book.citations, answerer=self.name, coverage=best_cover)


def _overlap(a: str, b: str) -> float:
    sa, sb = set(analyze(a)), set(analyze(b))
    return len(sa & sb) / max(1, min(len(sa), len(sb)))


def _join_units(lines: list[str], units: list[Unit]) -> str:
    """Sentences run together as a paragraph; bullets and steps each start a new line."""
    out = ""
    previous: Unit | None = None
    for line, unit in zip(lines, units):
        if unit.is_list:
            out += ("\n\n" if out else "") + line
        elif unit.bullet:
            out += ("\n" if previous is not None and previous.bullet else "\n\n" if out else "") + f"- {line}"
        else:
            separator = " " if previous is not None and not previous.is_list and not previous.bullet else "\n\n"
            out += (separator if out else "") + line
        previous = unit
    return out.strip()
