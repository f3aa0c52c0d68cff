"""The optional language-model answerer (LLM_MODEL / LLM_BASE_URL / LLM_AZURE_*).

    answerer = answerer_for(settings, extractive, embed=index.embedder.embed)   # ConfigError if the model
                                                                               # cannot be used (bot.llm_provider)

A chat model writes the answer from the retrieved passages under a strict grounding prompt that carries only
the redacted question and the passages. Each of its sentences is checked (`bot.claims`); failing sentences
are dropped, and when what remains does not answer — or the provider fails, rate-limits past the deadline or
hangs — the extractive answer is used and says so. LLM_TIMEOUT_SECONDS bounds the whole call, retries included.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
import threading
import time
from collections import Counter
from typing import Any, Callable, Sequence

from bot import prompts
from bot.answer import Draft
from bot.citations import CitationBook
from bot.claims import CITATION, ClaimVerifier, SentenceVectors, claim_lines, rebuild
from bot.llm_provider import connect_chat_model
from bot.query import PreparedQuery
from bot.settings import Settings, default_of
from bot.types import ScoredChunk

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ what happened, for /metrics
class LLMStats:
    """Counts per outcome (used, not_covered, unverified, timeout, provider_error) and dropped sentences per reason."""

    def __init__(self):
        self.outcomes: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1

    def drop(self, reason: str) -> None:
        with self._lock:
            self.dropped[reason] += 1

    def snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        with self._lock:
            return dict(self.outcomes), dict(self.dropped)


class ProviderTimeout(Exception):
    pass


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _transient(exc: BaseException) -> bool:
    status = _status(exc)
    if status is not None:
        return status in (408, 409, 429) or status >= 500
    return any(word in type(exc).__name__ for word in ("Connection", "Timeout"))


# ------------------------------------------------------------------ the answerer
class LLMAnswerer:
    """Writes the answer with a chat model; keeps only checked sentences; else the extractive answer, saying so."""

    def __init__(self, chat_model, label: str, fallback, verifier: ClaimVerifier, *, timeout: float = default_of("llm_timeout_seconds"),
                 max_retries: int = default_of("llm_max_retries"),
                 min_supported_share: float = default_of("llm_min_supported_share"),
                 passages: int = default_of("llm_context_passages"),
                 max_sources_per_line: int = default_of("answer_max_sources_per_line")):
        self.chat_model = chat_model
        self.label = label[:120]  # recorded with each answer (the review store's answerer column holds 128)
        self.fallback = fallback
        self.verifier = verifier
        self.timeout = timeout
        self.max_retries = max_retries
        self.min_supported_share = min_supported_share
        self.passages = passages
        self.max_sources_per_line = max_sources_per_line  # the citation rule every answer's lines follow
        self.stats = LLMStats()
        # as many as the Slack listener pool, so a slow provider does not queue one question behind another
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="llm")
        # OpenAI-family clients take a per-request timeout: each try gets only the time left
        self._per_request_timeout = hasattr(chat_model, "root_client")

    @property
    def name(self) -> str:
        return self.label

    def _complete(self, messages, deadline: float) -> str:
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise ProviderTimeout()
            try:
                kwargs = {"timeout": remaining} if self._per_request_timeout else {}
                reply = self.chat_model.invoke(messages, **kwargs)
                content = reply.content if hasattr(reply, "content") else reply
                if isinstance(content, list):  # some providers return content parts
                    content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
                return str(content).strip()
            except Exception as exc:
                if "Timeout" in type(exc).__name__ and time.monotonic() >= deadline - 0.1:
                    raise ProviderTimeout() from exc
                if not _transient(exc) or attempt >= self.max_retries:
                    raise
                wait = _retry_after(exc)
                wait = min(8.0, 0.5 * 2 ** attempt) if wait is None else wait
                if time.monotonic() + wait >= deadline - 0.1:  # no time left for another try
                    raise
                log.info("language model: HTTP %s, retrying in %.1f s", _status(exc), wait)
                time.sleep(wait)
                attempt += 1

    def _messages(self, question: str, chunks):
        from langchain_core.messages import HumanMessage, SystemMessage

        block = prompts.format_passages([(i + 1, " > ".join(c.heading_path) or c.title, c.text)
                                         for i, c in enumerate(chunks)])
        return [SystemMessage(content=prompts.GROUNDED_ANSWER_SYSTEM),
                HumanMessage(content=prompts.GROUNDED_ANSWER_USER.format(passages=block, question=question))]

    def _not_used(self, fallback: Draft, outcome: str, detail: str) -> Draft:
        self.stats.count(outcome)
        fallback.notes.append(f"llm {outcome}: {detail}; extractive answer used")
        log.warning("language model answer not used (%s: %s)", outcome, detail)
        if fallback.text:
            fallback.text += "\n\n" + prompts.LLM_NOT_USED_NOTE.format(reason=prompts.LLM_NOT_USED_REASONS[outcome])
        return fallback

    def answer(self, query: PreparedQuery, results: Sequence[ScoredChunk], *, fallback: Draft | None = None) -> Draft:
        """`query.text` is the redacted question: the only words of the user's that reach the provider.
        `fallback`: the extractive draft when the caller already wrote it (the pipeline does, to decide coverage
        before any model call)."""
        chunks = [r.chunk for r in results[: self.passages]]
        fallback = fallback if fallback is not None else self.fallback.answer(query, results)
        if not chunks:
            return fallback
        deadline = time.monotonic() + self.timeout
        future = self._pool.submit(self._complete, self._messages(query.text, chunks), deadline)
        try:
            text = future.result(timeout=max(0.0, deadline - time.monotonic()) + 0.05)
        except (concurrent.futures.TimeoutError, ProviderTimeout):
            return self._not_used(fallback, "timeout", f"no answer within {self.timeout:g} s")
        except Exception as exc:  # provider errors of every kind
            status = _status(exc)
            return self._not_used(fallback, "provider_error", f"{type(exc).__name__}{f' HTTP {status}' if status else ''}")
        if text.upper().startswith(prompts.NOT_COVERED_MARKER):
            self.stats.count("not_covered")
            return Draft(text="", citations=[], answerer=self.name, coverage=0.0, notes=[*fallback.notes, "llm: not covered"])
        verdicts = self.verifier.verify(text, [(f"{c.chunk_id}:{c.content_hash}", c.text) for c in chunks])
        for verdict in verdicts:
            if not verdict.kept:
                self.stats.drop(verdict.reason)
                log.info("language model sentence dropped (%s%s)", verdict.reason,
                         f": {verdict.detail}" if verdict.detail else "")
        kept = {v.claim for v in verdicts if v.kept}
        problem = self._does_not_answer(text, verdicts, kept)
        if problem:
            return self._not_used(fallback, "unverified", problem)
        return self._draft(text, kept, chunks, fallback, verdicts)

    def _does_not_answer(self, text: str, verdicts, kept: set[str]) -> str:
        if not kept:
            return "no sentence passed the check"
        if len(kept) < self.min_supported_share * len(verdicts):
            return f"{len(verdicts) - len(kept)} of {len(verdicts)} sentences failed the check"
        for marker, pieces in claim_lines(text):  # a procedure missing a step is not an answer
            if marker[:1].isdigit() and any(p not in kept for p in pieces):
                return "a step failed the check"
        return ""

    def _draft(self, text: str, kept: set[str], chunks, fallback: Draft, verdicts) -> Draft:
        text = rebuild(text, lambda claim: claim in kept)
        # passage numbers become per-document source numbers, in order of first use; a line cites as many
        # pages as the extractive answer's lines may (ANSWER_MAX_SOURCES_PER_LINE)
        book = CitationBook(self.max_sources_per_line)
        mapping = {}
        for match in CITATION.finditer(text):
            n = int(match.group(1))
            mapping.setdefault(n, book.number(chunks[n - 1]))
        text = CITATION.sub(lambda m: f"[{mapping[int(m.group(1))]}]", text)
        text = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", text)
        self.stats.count("used")
        notes = [*fallback.notes, f"llm: {len(kept)} of {len(verdicts)} sentences kept"]
        return Draft(text=f"{text}\n\n{prompts.LLM_WRITTEN_NOTE}", citations=book.citations, answerer=self.name,
                     coverage=fallback.coverage, notes=notes, book=book)


def answerer_for(settings: Settings, extractive, *, embed: Callable[[Sequence[str]], Any], chat_model=None):
    """The extractive answerer, or the LLM answerer over it when a model is configured (or given, in tests)."""
    if chat_model is None and not settings.llm.configured:
        return extractive
    label = getattr(chat_model, "model_name", None) or "test model"
    if chat_model is None:
        chat_model, label = connect_chat_model(settings)
    verifier = ClaimVerifier(SentenceVectors(embed), settings.llm.llm_claim_min_similarity)
    return LLMAnswerer(chat_model, label, extractive, verifier, timeout=settings.llm.llm_timeout_seconds,
                       max_retries=settings.llm.llm_max_retries, min_supported_share=settings.llm.llm_min_supported_share,
                       passages=settings.llm.llm_context_passages,
                       max_sources_per_line=settings.answering.answer_max_sources_per_line)


def describe(answerer) -> str:
    """Which answerer is in use, for /readyz and the console's banner."""
    if isinstance(answerer, LLMAnswerer):
        return prompts.ANSWERER_LLM.format(label=answerer.label)
    return prompts.ANSWERER_EXTRACTIVE
