"""Answer units: a passage split into sentences, bullets and whole numbered lists (steps stay steps); and
its sentences one by one, list items included (what a protective step is quoted from).

Shared by ingest (each unit's and each sentence's vector is computed once, at ingest, and stored beside the
chunk: `stored_texts`) and the readers at query time (the extractive answerer scores the units, safeguarding
quotes a sentence), so all split a chunk the same way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.types import Chunk

# ------------------------------------------------------------------------------------------
# Splitting passages into answer units: sentences, or whole lists (steps stay steps)
# ------------------------------------------------------------------------------------------
LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*+•])\s+")
_STEP_ITEM = re.compile(r"^\s*\d+[.)]\s+")
_BULLET_ITEM = re.compile(r"^\s*[-*+•]\s+")
_ABBREVIATIONS = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bvs)(?<!\bno)(?<!\bSt)"
_SENTENCE_END = re.compile(_ABBREVIATIONS + r"(?<=[.!?])[\"”')\]]?\s+(?=[A-Z0-9\"“'(`*])")
_URL_ONLY = re.compile(r"^\W*(?:https?://\S+\W*)+$")
# "…is covered in "Other document"", "see the historic-records document": pointers, not answers
CROSS_REFERENCE = re.compile(
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
    heading_lead_in: bool = False  # a numbered list whose first line is its section's heading, not passage text
    lead: bool = False  # first sentence of a document: its one-paragraph answer
    # (passage rank, position) where this sentence is read when it replaced a shorter one it says in full and that
    # place comes before its own (`bot.answer` sets it, `bot.reading_order` reads it); it still cites its own passage
    read_as: tuple[int, int] | None = None
    paragraph: int = 0
    score: float = 0.0
    # the question's terms this unit holds, each with its share of the question's weight (set by the answerer)
    covers: dict = field(default_factory=dict)


# Notes about the corpus itself, not guidance: "UNCONFIRMED", "the sources used for this corpus…", "…is covered in
# the other documents of this knowledge base"
_INTERNAL_NOTE = re.compile(r"\bUNCONFIRMED\b|\bcorpus\b|\bthis document\b|\bthis knowledge base\b", re.I)
# Pointers into the page ("the list above", "as described below"): an answer has no above or below
_PAGE_POINTER = re.compile(
    r"\b(?:see|shown|listed|described|set out|as|list|table|steps|codes|descriptions?)\s+(?:above|below)\b"
    r"|\b(?:above|below)\s*:\s*$", re.I)


_ASIDE_POINTER = re.compile(r",?\s+as (?:described|shown|listed|set out) (?:above|below)\b|\s*\((?:see )?(?:above|below)\)", re.I)
# Pointers to another document of the corpus, which the answer does not show: "(see the 106 code document)",
# "…; see the documents on the BMA models." (taken out of the sentence), and a sentence that is nothing but one,
# "For hiding a result, see the test-results documents." (left out)
# Only a pointer ending at "document(s)"/"folder", or at a short "on …"/"about …" naming it, is taken out: text after
# it that says something more (", where the BMA takes a different view", "before deciding", "for the limits") is
# guidance, so such a sentence is left whole.
_POINTER = (r"\bsee (?:the )?[^;()\n]*?\b(?:documents?|folder)\b"
            r"(?:\s+(?:on|about)\s+(?:(?!\b(?:where|which|who|before|after|for|because|when|if|that|but)\b)[^;(),\n])*?)?")
_DOCUMENT_POINTER = re.compile(r"\s*\(" + _POINTER + r"\)|;\s*(?:for [^;\n]*?,\s*)?" + _POINTER + r"(?=\.?\s*$)",
                               re.I | re.M)
_ONLY_A_POINTER = re.compile(r"^(?:for|if)\b[^;\n]*?,\s*" + _POINTER + r"\.?\s*$", re.I)


# an FAQ answer's opening word ("Yes: prospective access is not limited to…", "No, the code does not…"): out of its
# question it says yes or no to whatever the reader asked, so it goes, unless a condition follows it ("No, unless…",
# "Yes, if…": without its word the condition would read as a fragment)
_ANSWER_WORD = re.compile(r"^(?:Yes|No)\s*[:,;–-]\s+(?!(?:but|unless|if|except|provided|only|as long)\b)(?=\w)", re.I)


def _answerable(text: str) -> bool:
    """Drop fragments that say nothing on their own: bare URLs, key: value lines, tiny pieces, notes
    about the corpus, and pointers to text above or below that an answer would not carry."""
    return (len(text) >= 12 and len(text.split()) >= 3 and not _URL_ONLY.match(text)
            and not re.match(r"^[a-z_]+:\s", text) and not _INTERNAL_NOTE.search(text)
            and not _PAGE_POINTER.search(text) and not _ONLY_A_POINTER.match(text))


def _names(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def split_units(chunk: Chunk, rank: int) -> list[Unit]:
    units: list[Unit] = []
    steps: list[str] = []
    position = 0

    paragraph_number = 0
    # a page's title or heading repeated as a line of its text (a saved page that prints its title twice) labels the
    # passage; it is not something the guidance says
    labels = {_names(chunk.title), *(_names(h) for h in chunk.heading_path)}

    def add(unit: Unit):
        nonlocal position
        unit.text = _DOCUMENT_POINTER.sub("", _ASIDE_POINTER.sub("", unit.text))
        if not unit.is_list and (word := _ANSWER_WORD.match(unit.text)):
            rest = unit.text[word.end():]
            unit.text = rest[:1].upper() + rest[1:]
        if not unit.is_list and (_names(unit.text) in labels or (not unit.bullet and unit.text.rstrip().endswith("?"))):
            return  # a question ending its line (an FAQ page's, not set as a heading) states nothing: the text after
            # it answers; one followed on its line by its answer was joined to it below, and a checklist's bulleted
            # questions are guidance and stay
        if unit.is_list:  # a bullet that is only a pointer leaves its list, as does a last numbered step (the
            # numbers of the steps before it still run on; a pointer among the steps keeps its place and number)
            lines = unit.text.splitlines()
            while lines and _STEP_ITEM.match(lines[-1]) and _ONLY_A_POINTER.match(_STEP_ITEM.sub("", lines[-1])):
                lines.pop()
            unit.text = "\n".join(line for line in lines
                                   if not (_BULLET_ITEM.match(line) and _ONLY_A_POINTER.match(_BULLET_ITEM.sub("", line))))
            if not any(LIST_ITEM.match(line) for line in unit.text.splitlines()):
                return
        if _answerable(unit.text):
            unit.position = position
            unit.paragraph = paragraph_number
            units.append(unit)
            position += 1

    # a numbered list straight under its heading, with no sentence of its own introducing it, is introduced by the
    # heading ("BMA opt-in model – EMIS practices that have already gone live:"): steps shown alone would read as
    # the guidance in general
    heading = chunk.heading_path[-1] if len(chunk.heading_path) >= 2 else None
    under_heading = True  # nothing said yet since the heading
    steps_heading: str | None = None

    def flush_steps():
        nonlocal steps, steps_lead_in, steps_heading
        if steps:
            # a heading's own colon gives way to a dash: "Adding the 104 code – steps:", never "…: steps:"
            label = steps_heading.rstrip(":").replace(": ", " – ") if steps_heading else ""
            head = [label if label.endswith("?") else f"{label}:"] if label else []
            if steps_lead_in is not None and steps_lead_in in units:  # the sentence introducing the steps
                units.remove(steps_lead_in)
                head = [steps_lead_in.text]
            # a heading and a sentence of the passage never both introduce one list: both are set at its first step,
            # the heading only when no sentence does
            add(Unit("\n".join(head + steps[:10]), rank, 0, is_list=True, heading_lead_in=bool(steps_heading)))
            steps = []
        steps_lead_in = steps_heading = None

    last_kind = None
    lead_in: Unit | None = None  # a sentence ending in ":" whose bullets or steps follow: kept with them
    steps_lead_in: Unit | None = None
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
            if not stripped:
                continue
            if stripped.startswith(("#", "---")):  # a heading ends what was being gathered
                flush_steps()
                flush_bullets()
                lead_in = None
                if stripped.startswith("#"):
                    heading, under_heading = stripped.lstrip("#").strip() or heading, True
                continue
            if _STEP_ITEM.match(stripped):
                if not steps and lead_in is not None and not bullets:
                    steps_lead_in = lead_in
                if not steps and lead_in is None and under_heading and re.match(r"1[.)]", stripped):
                    steps_heading = heading  # the whole procedure from its first step, not the rest of a cut one
                flush_bullets()
                steps.append(stripped)
                last_kind = "step"
                continue
            if line.startswith((" ", "\t")) and last_kind == "step" and steps:  # continuation of a step
                steps[-1] += " " + stripped
                continue
            flush_steps()
            under_heading = False
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
            for sentence in _questions_with_their_answers(_SENTENCE_END.split(stripped)):
                add(Unit(sentence, rank, 0, lead=(chunk.chunk_index == 0 and position == 0)))
                if sentence.endswith(":") and units and units[-1].text == sentence:
                    lead_in = units[-1]
        flush_steps()
    flush_bullets()
    return units


def _questions_with_their_answers(sentences: list[str]) -> list[str]:
    """A line's sentences, a question joined to the sentence after it ("Is the patient under 16? If so, the GP
    assesses competence first."): the answer alone would read as general guidance."""
    out: list[str] = []
    pending = ""
    for sentence in (s.strip() for s in sentences):
        if not sentence:
            continue
        sentence = f"{pending} {sentence}" if pending else sentence
        pending = sentence if sentence.endswith("?") else ""
        if not pending:
            out.append(sentence)
    return out + ([pending] if pending else [])


SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")  # between two sentences of a line


def sentences_of(chunk: Chunk) -> list[str]:
    """A passage's sentences and list items, one each, without list markers; lead-ins ending in ':' left out."""
    out = []
    for line in chunk.text.splitlines():
        line = LIST_ITEM.sub("", line).strip()
        for sentence in SENTENCE_BREAK.split(line):
            sentence = sentence.strip()
            if 30 <= len(sentence) <= 400 and not sentence.endswith(":") and not sentence.startswith("#"):
                out.append(sentence)
    return out


def stored_texts(chunk: Chunk) -> list[str]:
    """The texts of a chunk whose vectors ingest stores: its answer units, then its sentences not among them."""
    texts = [u.text for u in split_units(chunk, 0)]
    have = set(texts)
    return texts + [t for t in dict.fromkeys(sentences_of(chunk)) if t not in have]


# What the stored vectors were split by: this module's own source. When it changes (a new unit or sentence rule), an
# existing index's unchanged documents split into texts it has no vectors for; ingest compares this with the
# fingerprint the sentence store recorded and embeds the missing texts (`Index.top_up_unit_vectors`). The whole
# file is hashed, so any edit here (a comment too) costs one pass that reads the stored chunks and embeds only what
# is missing: cheaper than a rule change that goes unnoticed.
SPLITTING_FINGERPRINT = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()


def unit_key(text: str) -> str:
    """Names a unit's text for the sentence-vector store (vectors are looked up by text, not position)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
