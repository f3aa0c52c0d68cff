"""Answerers: turn retrieved passages into a short, cited answer.

- `ExtractiveAnswerer` (default, no external service): picks the sentences of the top passages that
  answer the question, keeps steps as steps, and cites every sentence [n] against numbered sources.
- The language-model answerer (when LLM_MODEL / LLM_BASE_URL is set) lives in `bot.llm`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from bot.index import analyze
from bot.query import PreparedQuery
from bot.citations import CitationBook, cite_numbers
from bot.repeats import own_share, same_text, says_again, says_in_full
from bot.settings import AnsweringSettings, default_of
from bot.types import Citation, ScoredChunk
from bot.unit_scorer import UNIT_FEATURES, unit_features, with_gaps
from bot.units import LIST_ITEM, Unit
from bot.reading_order import asks_yes_no, join_units, reading_order, reading_place, with_what_they_lean_on

log = logging.getLogger(__name__)


@dataclass
class Draft:
    text: str
    citations: list[Citation]
    answerer: str
    coverage: float = 0.0  # how much of the question the best sentence covers (0..1+)
    notes: list[str] = field(default_factory=list)
    book: "CitationBook | None" = None  # the numbering behind `citations`, for a line added afterwards
    units: list[Unit] = field(default_factory=list)  # the scored units it was chosen from, to write it again shorter


_NUMBERED = re.compile(r"^(\s*)(\d+)[.)]\s+")


def _list_display(text: str) -> str:
    """A numbered list shown in part (cut by chunking, or a single step) loses its numbers: "7." out of
    its list means nothing. Lists starting at 1 keep them."""
    lines = text.splitlines()
    first = next((_NUMBERED.match(line) for line in lines if _NUMBERED.match(line)), None)
    if first is None or first.group(2) == "1":
        return text
    return "\n".join(_NUMBERED.sub(r"\1- ", line) for line in lines)


# ------------------------------------------------------------------------------------------
# The extractive answerer
# ------------------------------------------------------------------------------------------
@dataclass
class ExtractiveAnswerer:
    """Scores every unit (sentence, bullet, whole numbered list) of the top passages by how well it answers
    the question: lexical coverage of the question's terms, cosine to the question (unit vectors computed at
    ingest), and the passage's own retrieval score. Weights chosen on the dev split with score.py."""

    idf: Callable[[str], float]
    unit_vectors: Callable[[list[str]], dict] | None = None  # chunk ids -> {unit key -> vector}
    # the tuning values (bot/settings/answering.py says what each does and how it was chosen)
    tuning: AnsweringSettings = field(default_factory=AnsweringSettings.model_construct)
    # scores units from their feature rows (eval/fit_unit_scorer.py tries fitted ones); None: the hand weights
    scorer: Callable[[np.ndarray], np.ndarray] | None = None

    name = "extractive"

    def candidates(self, query: PreparedQuery, results: Sequence[ScoredChunk]) -> tuple[list[Unit], np.ndarray]:
        """The units of the passages read (ANSWER_PASSAGES) and their features (bot.unit_scorer)."""
        passages = results[: self.tuning.answer_passages]
        stored = {}
        if getattr(query, "vector", None) is not None and self.unit_vectors is not None:
            stored = self.unit_vectors([r.chunk.chunk_id for r in passages])
        tuning = self.tuning
        options = dict(list_rest_share=tuning.answer_list_rest_share, no_vector_share=tuning.answer_no_vector_share,
                       question_floor=tuning.answer_question_floor)
        units, x = unit_features(query, passages, self.idf, stored, **options)
        share = tuning.answer_follow_up_own_share
        if getattr(query, "own_vector", None) is not None and share > 0 and len(units):
            # a follow-up: its sentences are judged on the message's own words as well as on the thread's question,
            # so "can I un-hide it later?" opens on un-hiding rather than on how to hide (the earlier question)
            own = replace(query, retrieval_text=query.own_text, expanded=query.own_expanded or query.own_text,
                          vector=query.own_vector)
            x = with_gaps((1 - share) * x + share * unit_features(own, passages, self.idf, stored, **options)[1])
        return units, x

    def score_units(self, query: PreparedQuery, results: Sequence[ScoredChunk]) -> list[Unit]:
        units, x = self.candidates(query, results)
        scores = self.scorer(x) if self.scorer is not None else self._hand_scores(x)
        for unit, score in zip(units, scores):
            unit.score = float(score)
        return units

    def _hand_scores(self, x: np.ndarray) -> np.ndarray:
        tuning = self.tuning
        f = {name: x[:, i] for i, name in enumerate(UNIT_FEATURES)}
        # a list is judged by its best item, plus a little for the rest
        cover = f["cover"] + tuning.answer_list_rest_share * (f["list_cover"] - f["cover"])
        # passages that retrieval scored about as well as the best are about as likely to answer
        prior = tuning.answer_rank_weight * f["rank_prior"] + np.maximum(0.0, f["score_gap"] + tuning.answer_score_window)
        prior = prior + tuning.answer_question_weight * f["section_question"]
        return (tuning.answer_lexical_weight * cover + tuning.answer_expansion_weight * f["expansion"]
                + tuning.answer_semantic_weight * f["semantic"] + tuning.answer_heading_weight * f["heading_cover"]
                + tuning.answer_prior_weight * prior - tuning.answer_position_penalty * f["position"]
                + tuning.answer_list_bonus * f["is_list"] - tuning.answer_lead_in_penalty * f["lead_in"]
                - tuning.answer_cross_reference_penalty * f["cross_reference"])

    def choose(self, units: list[Unit], results: Sequence[ScoredChunk], said: Sequence[str] = ()) -> list[Unit]:
        """The best units, in the order they were taken, within the length budget; a unit repeating a kept one (or
        a line in `said`, which will stand beside the answer) is dropped unless it carries a code, number or date the
        kept ones lack, and then replaces a kept sentence it says in full; at most ANSWER_MAX_LISTS whole lists."""
        tuning = self.tuning
        prior = [Unit(text, -1, 0) for text in said]
        ranked = sorted(units, key=lambda u: u.score, reverse=True)
        best = ranked[0].score
        remaining = [u for u in ranked if u.score >= tuning.answer_relative_cutoff * best]
        chosen: list[Unit] = []
        docs: set[str] = set()
        covered: set[str] = set()

        def doc_of(unit: Unit) -> str:
            return results[unit.chunk_rank].chunk.doc_id

        def admitted(unit: Unit) -> Unit | None:
            """The unit as it may join the answer (a list without its repeated items), or None."""
            chars = sum(len(c.text) for c in chosen)
            if chosen and chars + len(unit.text) > tuning.answer_max_chars and not unit.is_list:
                return None
            doc = doc_of(unit)
            if doc not in docs and (
                    len(docs) >= tuning.answer_max_documents
                    or (chosen and unit.score < tuning.answer_other_document_cutoff * best)):
                return None
            if unit.is_list and sum(c.is_list for c in chosen) >= tuning.answer_max_lists:
                return None
            # numbered steps are judged against the other lists only: a step missing breaks the procedure, so a
            # chosen sentence they say again goes instead (`take`), and a line to be added may repeat a step
            beside = [c for c in chosen if c.is_list] if _is_steps(unit) else chosen + prior
            return _unrepeated_beside(unit, beside, tuning.answer_repeat_overlap)

        def gain(unit: Unit) -> float:
            if not chosen:
                return unit.score
            return unit.score + tuning.answer_novel_weight * sum(w for t, w in unit.covers.items() if t not in covered)

        def take(unit: Unit) -> None:
            # a sentence admitted for the code, number or date it adds to one chosen before, which it says in full
            # ("…a support line" then "…a support line, 0114…"): the shorter goes, and the fuller one stands in for it
            # where it was chosen, with its score, read at the earliest of their places (`Unit.read_as`: the lowest
            # passage rank, then position); a sentence leaning on the one it replaced finds it there
            # (`with_what_they_lean_on`)
            inside = [] if unit.is_list else [c for c in chosen if not c.is_list and says_in_full(unit.text, c.text)]
            if _is_steps(unit):
                # whole steps stand: a sentence chosen before (never the opening one) that is itself mostly one
                # step, with no code, number or date the steps lack, goes instead
                steps = unit.text.splitlines()
                chosen[1:] = [c for c in chosen[1:] if c.is_list or not says_again(
                    c.text, steps, tuning.answer_repeat_overlap, compare=own_share)]
            if inside:
                place = min(reading_place(u) for u in [*inside, unit])
                stand_in = replace(unit, score=max(c.score for c in inside),
                                   read_as=None if place == reading_place(unit) else place)
                chosen[:] = [stand_in if c is inside[0] else c for c in chosen
                             if c is inside[0] or all(c is not x for x in inside)]
            else:
                chosen.append(unit)
            # what the answer holds, derived from the units chosen (some may just have gone)
            docs.clear()
            docs.update(doc_of(c) for c in chosen)
            covered.clear()
            covered.update(t for c in chosen for t in c.covers)

        while remaining and len(chosen) < tuning.answer_max_units:
            unit = max(remaining, key=gain)
            remaining.remove(unit)
            kept = admitted(unit)
            if kept is not None:
                take(kept)
        return chosen

    def answer(self, query: PreparedQuery, results: Sequence[ScoredChunk], *, max_chars: int | None = None,
               said: Sequence[str] = (), units: list[Unit] | None = None) -> Draft:
        """`max_chars`: the answer's length limit when something will be added to it (default
        ANSWER_MAX_TOTAL_CHARS);
        `said`: lines that will be added to it, which the answer therefore does not repeat;
        `units`: the units of `results` as an earlier draft scored them (`Draft.units`), not scored again."""
        limit = self.tuning.answer_max_total_chars if max_chars is None else max_chars
        units = self.score_units(query, results) if units is None else units
        if not units:
            return Draft(text="", citations=[], answerer=self.name)
        chosen = self.choose(units, results, said) or self.choose(units, results)  # saying it twice beats nothing
        yes_no = asks_yes_no(query.text)
        while True:
            text, book = self._render(chosen, results, yes_no, units)
            if len(text) <= limit or len(chosen) == 1:
                break
            chosen = sorted(chosen, key=lambda u: u.score, reverse=True)[:-1]  # the weakest unit goes
        # how much of the question the best unit covers: its terms were found when it was scored (`covers`)
        core_weight = sum(self.idf(t) for t in set(analyze(query.retrieval_text))) or 1.0
        best_cover = max((sum(self.idf(t) for t in u.covers) / core_weight for u in units), default=0.0)
        return Draft(text=text, citations=book.citations, answerer=self.name, coverage=best_cover, book=book,
                     units=units)

    def _render(self, chosen: list[Unit], results: Sequence[ScoredChunk], yes_no: bool = False,
                units: Sequence[Unit] = ()) -> tuple[str, CitationBook]:
        """`units`: all the units `chosen` came from, where a sentence that leans on the one before finds it."""
        chosen = reading_order(chosen, self.tuning.answer_yes_no_sentence_share if yes_no else None,
                                self.tuning.answer_top_passage_opening_share)
        chosen = with_what_they_lean_on(chosen, units, self.tuning.answer_repeat_overlap)
        book = CitationBook(self.tuning.answer_max_sources_per_line)
        lines = []
        for unit in chosen:
            chunk = results[unit.chunk_rank].chunk
            text = _list_display(unit.text) if unit.is_list else unit.text
            # each line (a sentence, or each item of a list) cites the pages recorded for it; a list introduced by
            # its heading (`Unit.heading_lead_in`: not a line of the passage) cites what its first item cites
            parts = text.splitlines()
            if unit.heading_lead_in and len(parts) > 1:
                numbers = [book.number_line(chunk, line) for line in parts[1:]]
                lines.append("\n".join(cite_numbers(line, n) for line, n in zip(parts, [numbers[0], *numbers])))
                continue
            lines.append("\n".join(cite_numbers(line, book.number_line(chunk, line)) for line in parts))
        return join_units(lines, chosen), book


def _is_steps(unit: Unit) -> bool:
    """A numbered list: a procedure, whose steps stay together."""
    return unit.is_list and any(_NUMBERED.match(line) for line in unit.text.splitlines())


def _unrepeated_beside(unit: Unit, kept: list[Unit], same: float) -> Unit | None:
    """`unit` as it may stand beside `kept`: None when it repeats them (the same text, most of its words and no
    new code, number or date) or is a lead-in without its list; a list loses the items they already say."""
    if any(same_text(unit.text, c.text) for c in kept):
        return None
    if not unit.is_list and unit.text.rstrip().endswith(":"):
        return None  # a lead-in without the list it introduces
    if not unit.is_list:
        return None if says_again(unit.text, [c.text for c in kept], same) else unit
    return _without_repeated_items(unit, kept, same) if kept else unit


def _without_repeated_items(unit: Unit, chosen: list[Unit],
                            same: float = default_of("answer_repeat_overlap")) -> Unit | None:
    """A list with the items that repeat what the answer already says (and add no code, number or date)
    taken out; None when nothing new is left. A numbered list that loses an item loses its numbers; the
    sentence introducing the list is kept whenever any of its items is."""
    kept_lines = [line for c in chosen for line in c.text.splitlines()]
    lines = unit.text.splitlines()
    fresh = [line for line in lines if not says_again(line, kept_lines, same)]
    if len(fresh) == len(lines):
        return unit
    items = [line for line in fresh if LIST_ITEM.match(line)]
    if not items:
        return None
    if lines and not LIST_ITEM.match(lines[0]) and fresh[0] != lines[0]:
        fresh.insert(0, lines[0])  # the sentence that introduces the list stays with its items
    text = "\n".join(_NUMBERED.sub(r"\1- ", line) for line in fresh)
    return replace(unit, text=text)
