"""The answering core: a question in, an `Answer` out. Knows nothing about Slack.

    guard (redact identifiers) → prepare query → hybrid retrieval → safeguarding situation? (the question and
    its passages) → a verified answer (+ safeguarding line), or: extractive draft → decline model (answer, not
    covered or out of scope) → language model, when configured, only for a question that is answered →
    safeguarding line
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

import numpy as np

from bot import guard, prompts
from bot.answer import Draft, ExtractiveAnswerer
from bot.citations import CitationBook
from bot.corpus_subject import corpus_centroid, off_topic_vectors
from bot.decline_model import DeclineModel
from bot.decline_features import decision_features
from bot.index import Index, analyze
from bot.llm import answerer_for
from bot.query import Glossary, PreparedQuery, detect_systems, embed, prepare_query
from bot.repeats import repeats_answer
from bot.retrieval import Mode, Retrieval, Retriever
from bot.safeguarding import SITUATIONS_FILE, Safeguarding
from bot.settings import AnsweringSettings, Settings
from bot.specifics import specifics
from bot.types import Answer, AnswerKind, Citation, ScoredChunk, VerifiedAnswer

log = logging.getLogger(__name__)

# Reads a verified answer by id (the review store's `get_verified`): the index finds ids, this gives the text.
VerifiedLookup = Callable[[str], "VerifiedAnswer | None"]


class Assistant:
    """Thread-safe. `answer()` is CPU-bound (~100 ms on 2 cores with the shipped corpus)."""

    def __init__(self, settings: Settings, index: Index | None = None, *, glossary: Glossary | None = None,
                 chat_model=None, decline_model: DeclineModel | None = None,
                 verified_lookup: VerifiedLookup | None = None):
        self.settings = settings
        self.verified_lookup = verified_lookup  # None: no review store, verified answers are not given
        self.index = index or Index(settings)
        self.glossary = glossary or Glossary.load(settings.knowledge_dir / "glossary.yaml")
        # the tuning values come from the settings (bot/settings/answering.py), here and nowhere else
        self.retriever = Retriever(self.index, use_questions=settings.index.question_vectors, tuning=settings.retrieval)
        self.extractive = ExtractiveAnswerer(idf=self.index.idf, unit_vectors=self.index.unit_vectors,
                                             tuning=settings.answering)
        # the LLM answerer over the extractive one when a model is configured (ConfigError if it cannot be used)
        self.answerer = answerer_for(settings, self.extractive, embed=self.index.embedder.embed, chat_model=chat_model)
        # whether to answer, and the safeguarding line: fitted on the dev split (eval/fit_decline_model.py)
        self.decline_model = decline_model or DeclineModel.load()
        self.safeguarding = Safeguarding(self.index, settings.knowledge_dir / SITUATIONS_FILE,
                                         calibrated=self.decline_model.data.get("safeguarding", {}))

    # --- warm-up: load the model and the keyword index before the first question ---
    def warm_up(self) -> None:
        """What every first question would otherwise pay for: the keyword index, the identifier detector's name
        lists, the model, the situation, off-topic and must-decline example vectors and the corpus centroid. (The
        protective-step sentences are left to the first safeguarding question: read from the vectors stored at
        ingest they take a few dozen milliseconds, and most processes, a one-off `gpbot ask` above all, never need
        them.)"""
        self.index.ensure_fresh(force=True)
        guard.warm_up()
        self.index.embedder.embed_query("warm up")
        self.safeguarding.warm_up()
        off_topic_vectors(self.index.embedder)
        self.decline_model.centred_examples(self.index.embedder)  # the examples' vectors, and centred
        corpus_centroid(self.index)

    @property
    def public_numbers(self) -> set[str]:
        """Help-line numbers the corpus quotes: never flagged as a patient's phone number."""
        return self.index.public_numbers

    # --- the pipeline ---
    def prepare(self, question, history: Sequence[str] = ()) -> tuple[guard.Redaction, PreparedQuery]:
        """Clean the text, redact identifiers (help lines allowed), strip markup, expand, notice systems."""
        redaction = guard.redact(clean_text(question), public_numbers=self.public_numbers)
        history = [guard.redact(clean_text(h), public_numbers=self.public_numbers).text for h in history]
        return redaction, prepare_query(redaction.text, self.glossary, history, self.settings.retrieval)

    def answer(self, question: str, *, history: Sequence[str] = (), mode: Mode = "hybrid",
               trace: dict | None = None) -> Answer:
        """`trace`, when given, receives the decision features and probabilities (for fitting and eval)."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        redaction, query = self.prepare(question, history)
        base = dict(
            question=query.text,
            pii_warning=redaction.has_identifiers,
            pii_kinds=redaction.kinds,
            clinical_systems=query.systems,
        )

        def finish(answer: Answer) -> Answer:
            timings["total"] = (time.perf_counter() - started) * 1000
            answer.timings_ms = {k: round(v, 1) for k, v in timings.items()}
            return answer

        if not query.text or not analyze(query.text):
            return finish(Answer(text=prompts.OUT_OF_SCOPE_GENERAL, kind=AnswerKind.out_of_scope, **base))

        t = time.perf_counter()
        # every mode needs the question's vector: verified answers, safeguarding and the evidence score use it
        query_vector = embed(query, self.index.embedder, own_words=self.settings.answering.answer_follow_up_own_share > 0)
        timings["embed"] = (time.perf_counter() - t) * 1000

        verified = self.match_verified(query, query_vector)
        retrieval = self.retriever.retrieve(query, k=self.settings.retrieval.retrieval_context_passages, mode=mode, query_vector=query_vector)
        timings.update({f"retrieve_{k}": v for k, v in retrieval.timings_ms.items() if k != "embed"})
        # a safeguarding story is judged on the passages retrieval found, whether or not a verified answer is given
        safeguarding = self._safeguarding(query, retrieval.results, trace)
        if verified is not None:
            answer = self._verified_answer(verified, base, safeguarding)
            if answer.safeguarding:  # the protective step the index gives, cited as on the normal path
                step = self.safeguarding.protective_sentence(query_vector, answer.text, query.retrieval_text)
                answer.text, answer.citations = self._add_safeguarding_line(
                    Draft(answer.text, list(answer.citations), "verified"), step)
            return finish(answer)

        t = time.perf_counter()
        context = retrieval.results  # in order of relevance; a lead paragraph only when it matched itself
        # coverage is decided on the extractive draft, before any language model is asked: a declined question
        # never reaches the provider
        draft = self.extractive.answer(query, context) if context else None
        timings["answer"] = (time.perf_counter() - t) * 1000

        confidence = confidence_of(retrieval, draft, self.settings.answering)
        features = decision_features(query, retrieval, draft, self.index,
                                     self.decline_model.example_vectors(self.index.embedder),
                                     self.decline_model.subject_centroid(self.index.embedder),
                                     self.decline_model.voting_examples,
                                     self.decline_model.center_for(self.index.embedder),
                                     self.decline_model.centred_examples(self.index.embedder))
        decision = self.decline_model.decide(features, story=safeguarding)
        if trace is not None:
            trace.update(features=features, p_answerable=decision.p_answerable, p_in_scope=decision.p_in_scope)
        if decision.answer and draft is not None and draft.text and self.answerer is not self.extractive:
            t = time.perf_counter()
            draft = self.answerer.answer(query, context, fallback=draft)  # may still find the passages silent
            timings["llm"] = (time.perf_counter() - t) * 1000
        if not decision.answer or draft is None or not draft.text:
            limit = self.settings.answering.answer_closest_sources
            if safeguarding:  # a story of coercion or risk is a records question even when the guidance found is weak:
                # say it is not covered, but give the protective step the index holds (cited) or offer a person
                step = self.safeguarding.protective_sentence(query_vector, question=query.retrieval_text)
                text, citations = self._add_safeguarding_line(Draft(prompts.NOT_COVERED, [], "none"), step)
                return finish(Answer(text=text, kind=AnswerKind.not_covered, citations=citations,
                                     closest=closest_sources(retrieval, limit, citations), confidence=confidence,
                                     safeguarding=True, **base))
            if decision.kind == "out_of_scope":
                text = prompts.OUT_OF_SCOPE_CLINICAL if features["clinical"] else prompts.OUT_OF_SCOPE_GENERAL
                return finish(Answer(text=text, kind=AnswerKind.out_of_scope, confidence=confidence, **base))
            return finish(Answer(text=prompts.NOT_COVERED, kind=AnswerKind.not_covered,
                                 closest=closest_sources(retrieval, limit), confidence=confidence,
                                 safeguarding=safeguarding, **base))

        text, citations = draft.text, list(draft.citations)
        if safeguarding:
            step = self.safeguarding.protective_sentence(query_vector, draft.text, query.retrieval_text)  # chosen once
            draft = self._room_for_safeguarding_line(draft, query, context, step)
            text, citations = self._add_safeguarding_line(draft, step)
        return finish(Answer(text=text, kind=AnswerKind.answered, citations=citations, confidence=confidence,
                             safeguarding=safeguarding, answerer=draft.answerer, **base))

    # --- verified answers ---
    def match_verified(self, query: PreparedQuery, query_vector: np.ndarray) -> VerifiedAnswer | None:
        """The active verified answer to the same question, if any: found by the index, read by `verified_lookup`."""
        if self.verified_lookup is None:
            return None
        try:
            for verified_id, similarity in self.index.search_verified(query_vector, k=3):
                if similarity < self.settings.answering.verified_min_similarity:
                    continue
                verified = self.verified_lookup(verified_id)  # the store's status counts, whatever the index says
                if verified and verified.status == "active" and same_specifics(query.text, verified.question):
                    return verified
        except Exception as exc:
            log.warning("verified-answer lookup failed: %s", type(exc).__name__)
        return None

    def _verified_answer(self, verified: VerifiedAnswer, base: dict, safeguarding: bool) -> Answer:
        return Answer(
            text=verified.answer,
            kind=AnswerKind.verified,
            citations=verified.citations,
            confidence=1.0,
            safeguarding=safeguarding,
            answerer="verified",
            verified=verified,
            **base,
        )

    # --- safeguarding ---
    def _safeguarding(self, query: PreparedQuery, hits: list[ScoredChunk], trace: dict | None) -> bool:
        """Whether the question tells a safeguarding situation, judged with the passages it retrieved."""
        if trace is not None:
            trace["safeguarding_similarity"] = self.safeguarding.similarity(query.vector)
            trace["safeguarding_routine"] = self.safeguarding.routine_similarity(query.vector)
            trace["safeguarding_evidence"] = self.safeguarding.evidence(hits)
            trace["safeguarding_keyword"] = guard.safeguarding_signal(query.retrieval_text)
            trace["clinical"] = guard.clinical_advice_signal(query.text)
        return self.safeguarding.detect(query.retrieval_text, query.vector, hits,
                                        clinical=guard.clinical_advice_signal(query.text))

    def _room_for_safeguarding_line(self, draft: Draft, query: PreparedQuery, context: list[ScoredChunk],
                                    step) -> Draft:
        """An extractive answer shortened so that it stays within its length limit with the line added (the
        line is added after the answer is written)."""
        # the line as _add_safeguarding_line writes it (16: room for its citation marks)
        line = len(prompts.SAFEGUARDING_PREFIX) + len(step.text) + 16 if step else len(prompts.SAFEGUARDING_ASK_PERSON)
        limit = self.extractive.tuning.answer_max_total_chars
        repeated = step is not None and repeats_answer(step.text, draft.text, self.settings.answering.answer_repeat_overlap)  # the line says it: the answer need not
        if draft.answerer != self.extractive.name or (len(draft.text) + line + 2 <= limit and not repeated):
            return draft
        return self.extractive.answer(query, context, max_chars=limit - line - 2, said=[step.text] if step else [],
                                      units=draft.units)

    def _add_safeguarding_line(self, draft: Draft, step) -> tuple[str, list[Citation]]:
        """The protective step the index gives, quoted (capitalised: a list item's) and cited with the pages recorded
        for that line (numbered on from the draft's own sources); with no such passage, an offer of a person."""
        if step is None:
            return f"{draft.text}\n\n{prompts.SAFEGUARDING_ASK_PERSON}", list(draft.citations)
        book = draft.book or CitationBook.of(draft.citations, self.extractive.tuning.answer_max_sources_per_line)
        numbers = book.number_line(step.chunk, step.text)  # as an answer line cites (bot.citations)
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        return f"{draft.text}\n\n{prompts.SAFEGUARDING_PREFIX} {step.text[:1].upper()}{step.text[1:]} {marks}", book.citations


def closest_sources(retrieval: Retrieval, limit: int, after: Sequence[Citation] = ()) -> list[Citation]:
    """The sources a "not covered" answer points to: the documents of the best passages, up to `limit`. `after`: the
    answer's own citations (a safeguarding line's), whose documents they leave out and whose numbers they follow."""
    cited = {c.doc_id for c in after}
    book = CitationBook()
    for result in retrieval.results:
        if len(book.citations) >= limit:
            break
        if result.chunk.doc_id not in cited:
            book.number(result.chunk)
    start = max((c.number for c in after), default=0)
    return [c.model_copy(update={"number": start + i}) for i, c in enumerate(book.citations, 1)]


def confidence_of(retrieval: Retrieval, draft: Draft | None, tuning: AnsweringSettings) -> float:
    """0-1, recorded and shown with the answer (it decides nothing): settings CONFIDENCE_*."""
    if not retrieval.results or draft is None:
        return 0.0
    share, floor = tuning.confidence_retrieval_share, tuning.confidence_score_floor
    retrieved = min(1.0, max(0.0, (retrieval.top_score - floor) / (1 - floor)))
    return round(share * retrieved + (1 - share) * min(1.0, draft.coverage), 3)


def clean_text(value) -> str:
    """Whatever arrived, as text the tokenizer and the database accept: no NULs, no lone surrogates."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def same_specifics(a: str, b: str) -> bool:
    """Two questions can share a verified answer only if they name the same numbers (codes, ages)
    and the same clinical systems: "the 104 code" and "the 106 code" are different questions."""
    return specifics(a).facts() == specifics(b).facts() and (
        not detect_systems(a) or not detect_systems(b) or set(detect_systems(a)) == set(detect_systems(b))
    )


def build_assistant(settings: Settings, *, index: Index | None = None, chat_model=None,
                    verified_lookup: VerifiedLookup | None = None) -> Assistant:
    return Assistant(settings, index=index, chat_model=chat_model, verified_lookup=verified_lookup)
