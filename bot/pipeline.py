"""The answering core: a question in, an `Answer` out. Knows nothing about Slack.

    guard (redact identifiers) → scope (clinical advice? off-topic?) → verified answers →
    prepare query → hybrid retrieval → evidence check (not covered?) → answerer → safeguarding line
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bot import guard, prompts
from bot.answer import CitationBook, Draft, ExtractiveAnswerer, LLMAnswerer, citation_for
from bot.index import Index, analyze
from bot.retrieval import Glossary, Mode, PreparedQuery, Retrieval, Retriever, detect_systems, prepare_query
from bot.settings import Settings
from bot.types import Answer, AnswerKind, Citation, ScoredChunk, VerifiedAnswer

log = logging.getLogger(__name__)

# Calibrated on the dev questions with `gpbot eval` (see README, "Thresholds").
MIN_TOP_SCORE = 0.55  # reranked score of the best passage below which the guidance does not cover it
MIN_COVERAGE = 0.05  # share of the question's (idf-weighted) terms the best sentence must hold
# Calibrated on tests/fixtures/verified_pairs.yaml (tests/test_verified_matching.py).
VERIFIED_MIN_SIMILARITY = 0.70

# Words that make a question about records access at all (glossary terms count too).
_DOMAIN_TERMS = set(
    analyze(
        """record records access online app nhs login proxy redact redaction redacted snomed code coded codes 104 106 103
        dpia gdpr safeguarding safeguard coercion coercive coerced abuse abuser abusive domestic third party prospective
        historic retrospective emis systmone tpp docman vision letter letters result results consultation consent gillick
        parental responsibility contract bma gpc lmc icb nhse sar subject rectification visible visibility hide hidden
        opt switch enable enabled enablement live account patient patients notes entry entries
        confidentiality private withhold withholding serious harm dpa data protection template readiness checklist
        clinical safety case toolkit rcgp leaflet carer guardian child children young under 16 13 11 capacity lasting
        power attorney deputy bulk review exclusion exclusions survivor survivors refuge"""
    )
)


# Two of these make a question about records even when it mentions a drug or a diagnosis.
_RECORDS_TERMS = set(analyze("record records online app access redact redaction visible proxy snomed code 104 106 "
                             "dpia see seeing hide hidden"))

# Topics a question can be about. When a question names one that the corpus never mentions, the passages
# found may match the rest of the question but cannot answer it ("what is the contract deadline…").
_TOPIC_TERMS = set(
    analyze(
        """contract deadline regulations dpia gdpr proxy redaction safeguarding coercion docman results letter consent
        gillick bma gpc lmc icb sar rectification historic vision fee complaint indemnity insurance audit dashboard"""
    )
)


@dataclass
class AssistantConfig:
    min_top_score: float = MIN_TOP_SCORE
    min_coverage: float = MIN_COVERAGE
    verified_min_similarity: float = VERIFIED_MIN_SIMILARITY
    context_chunks: int = 8  # passages the answerer reads (chosen on the dev split with the answerer's `passages`)


class Assistant:
    """Thread-safe. `answer()` is CPU-bound (~100 ms on 2 cores with the shipped corpus)."""

    def __init__(self, settings: Settings, index: Index | None = None, *, glossary: Glossary | None = None,
                 chat_model=None, config: AssistantConfig | None = None):
        self.settings = settings
        self.index = index or Index(settings)
        self.glossary = glossary or Glossary.load(settings.knowledge_dir / "glossary.yaml")
        self.config = config or AssistantConfig()
        self.retriever = Retriever(self.index, use_questions=settings.question_vectors)
        self.extractive = ExtractiveAnswerer(idf=self.index.idf, unit_vectors=self.index.unit_vectors)
        self.answerer = self.extractive
        if settings.llm_model or chat_model is not None:
            self.answerer = LLMAnswerer(settings.llm_model or "fake", self.extractive,
                                        timeout=settings.llm_timeout_seconds, chat_model=chat_model)
        self._safeguarding_cache: tuple[str, tuple[str, object]] | None = None

    # --- warm-up: load the model and the keyword index before the first question ---
    def warm_up(self) -> None:
        self.index.ensure_fresh(force=True)
        self.index.embedder.embed_query("warm up")

    @property
    def public_numbers(self) -> set[str]:
        """Help-line numbers the corpus quotes: never flagged as a patient's phone number."""
        return self.index.public_numbers

    # --- the pipeline ---
    def prepare(self, question, history: Sequence[str] = ()) -> tuple[guard.Redaction, PreparedQuery]:
        """Clean the text, redact identifiers (help lines allowed), strip markup, expand, notice systems."""
        redaction = guard.redact(clean_text(question), public_numbers=self.public_numbers)
        history = [guard.redact(clean_text(h), public_numbers=self.public_numbers).text for h in history]
        return redaction, prepare_query(redaction.text, self.glossary, history)

    def answer(self, question: str, *, history: Sequence[str] = (), mode: Mode = "hybrid") -> Answer:
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

        in_domain = self.in_domain(query)
        if guard.clinical_advice_signal(query.text) and not self._records_question(query):
            return finish(Answer(text=prompts.OUT_OF_SCOPE_CLINICAL, kind=AnswerKind.out_of_scope, **base))

        safeguarding = guard.safeguarding_signal(query.retrieval_text)

        t = time.perf_counter()
        # every mode needs the question's vector: verified-answer matching and the evidence score use it
        query_vector = self.index.embedder.embed_query(query.retrieval_text)
        query.vector = query_vector
        timings["embed"] = (time.perf_counter() - t) * 1000

        verified = self.match_verified(query, query_vector)
        if verified is not None:
            answer = self._verified_answer(verified, base, safeguarding)
            return finish(answer)

        retrieval = self.retriever.retrieve(query, k=self.config.context_chunks, mode=mode, query_vector=query_vector)
        timings.update({f"retrieve_{k}": v for k, v in retrieval.timings_ms.items() if k != "embed"})

        t = time.perf_counter()
        context = retrieval.results  # in order of relevance; a lead paragraph only when it matched itself
        draft = self.answerer.answer(query, context) if context else None
        timings["answer"] = (time.perf_counter() - t) * 1000

        confidence = self.confidence(retrieval, draft)
        covered = draft is not None and draft.text and self.is_covered(retrieval, draft)
        if not covered:
            closest = self._closest(retrieval)
            if not in_domain:
                return finish(Answer(text=prompts.OUT_OF_SCOPE_GENERAL, kind=AnswerKind.out_of_scope,
                                     confidence=confidence, **base))
            return finish(Answer(text=prompts.NOT_COVERED, kind=AnswerKind.not_covered, closest=closest,
                                 confidence=confidence, safeguarding=safeguarding, **base))

        text, citations = draft.text, list(draft.citations)
        if safeguarding:
            text, citations = self._add_safeguarding_line(text, citations)
        return finish(Answer(text=text, kind=AnswerKind.answered, citations=citations, confidence=confidence,
                             safeguarding=safeguarding, answerer=draft.answerer, **base))

    # --- decisions ---
    def in_domain(self, query: PreparedQuery) -> bool:
        terms = set(analyze(query.retrieval_text))
        return bool(terms & _DOMAIN_TERMS) or bool(query.glossary_terms) or bool(query.systems)

    def _records_question(self, query: PreparedQuery) -> bool:
        """A records-access question that merely mentions clinical words ("can she see the result?")."""
        return len(set(analyze(query.text)) & _RECORDS_TERMS) >= 2

    def is_covered(self, retrieval: Retrieval, draft: Draft) -> bool:
        if retrieval.top_score < self.config.min_top_score or draft.coverage < self.config.min_coverage:
            return False
        return not self.missing_concepts(retrieval)

    def missing_concepts(self, retrieval: Retrieval) -> list[str]:
        """Topics the question names that the corpus never mentions at all."""
        return [t for t in dict.fromkeys(analyze(retrieval.query.retrieval_text))
                if t in _TOPIC_TERMS and self.index.document_frequency(t) == 0]

    @staticmethod
    def confidence(retrieval: Retrieval, draft: Draft | None) -> float:
        if not retrieval.results or draft is None:
            return 0.0
        score = 0.6 * min(1.0, max(0.0, (retrieval.top_score - 0.3) / 0.7)) + 0.4 * min(1.0, draft.coverage)
        return round(score, 3)

    def _closest(self, retrieval: Retrieval) -> list[Citation]:
        book = CitationBook()
        for result in retrieval.results[:3]:
            book.number(result.chunk)
        return book.citations

    # --- verified answers ---
    def match_verified(self, query: PreparedQuery, query_vector: np.ndarray) -> VerifiedAnswer | None:
        try:
            candidates = self.index.search_verified(query_vector, k=3)
        except Exception as exc:
            log.warning("verified-answer lookup failed: %s", type(exc).__name__)
            return None
        for verified, similarity in candidates:
            if similarity >= self.config.verified_min_similarity and same_specifics(query.text, verified.question):
                return verified
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
    def _safeguarding_passage(self):
        version = self.index.version
        if self._safeguarding_cache and self._safeguarding_cache[0] == version:
            return self._safeguarding_cache[1]
        found = (None, None)
        for hit in self.index.keyword_search("practice safeguarding lead involve discuss", 15):
            for sentence in re.split(r"(?<=[.!?])\s+", hit.chunk.text):
                if re.search(r"safeguarding leads?\b", sentence, re.I) and 20 < len(sentence) < 400:
                    found = (sentence.strip().lstrip("-*0123456789. "), hit.chunk)
                    break
            if found[0]:
                break
        self._safeguarding_cache = (version, found)
        return found

    def _add_safeguarding_line(self, text: str, citations: list[Citation]) -> tuple[str, list[Citation]]:
        sentence, chunk = self._safeguarding_passage()
        if not sentence:
            return f"{text}\n\n{prompts.SAFEGUARDING_PREFIX}", citations
        existing = {c.doc_id: c.number for c in citations}
        number = existing.get(chunk.doc_id)
        if number is None:
            number = len(citations) + 1
            citations = [*citations, citation_for(chunk, number)]
        if sentence in text:
            return f"{text}\n\n{prompts.SAFEGUARDING_PREFIX} [{number}]", citations
        return f"{text}\n\n{prompts.SAFEGUARDING_PREFIX} {sentence} [{number}]", citations


def clean_text(value) -> str:
    """Whatever arrived, as text the tokenizer and the database accept: no NULs, no lone surrogates."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


_SPECIFIC = re.compile(r"\b\d+\b")


def same_specifics(a: str, b: str) -> bool:
    """Two questions can share a verified answer only if they name the same numbers (codes, ages)
    and the same clinical systems: "the 104 code" and "the 106 code" are different questions."""
    return set(_SPECIFIC.findall(a)) == set(_SPECIFIC.findall(b)) and (
        not detect_systems(a) or not detect_systems(b) or set(detect_systems(a)) == set(detect_systems(b))
    )


def build_assistant(settings: Settings, *, index: Index | None = None, chat_model=None) -> Assistant:
    return Assistant(settings, index=index, chat_model=chat_model)
