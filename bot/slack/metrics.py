"""Prometheus metrics for `/metrics`: questions, latency, failures, duplicates, identifier warnings, Slack API
errors and votes (prometheus_client counters and histograms), plus the index's size and age and the language
model's outcomes, read when scraped (custom collectors)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)

class Metrics:
    """Prometheus metrics for one bot process (own registry, so tests can build several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.questions = Counter("gpbot_questions", "Questions answered, by answer kind and surface.",
                                 ["kind", "surface"], registry=r)
        self.latency = Histogram("gpbot_answer_latency_seconds", "From receiving a question to the answer posted.",
                                 buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30), registry=r)
        self.failures = Counter("gpbot_answer_failures", "Questions that ended in the apology message.", registry=r)
        self.duplicates = Counter("gpbot_duplicate_events", "Redelivered or doubled events answered 200 and dropped.",
                                  registry=r)
        self.pii_warnings = Counter("gpbot_pii_warnings", "Questions that contained a patient identifier.", registry=r)
        self.slack_api_errors = Counter("gpbot_slack_api_errors", "Slack Web API errors (HTTP status or error code).",
                                        ["method", "error"], registry=r)
        self.feedback = Counter("gpbot_feedback", "Feedback votes.", ["vote"], registry=r)
        self._index = None
        self._index_cache: tuple[float, Any] | None = None
        self.llm_stats = None  # bot.llm.LLMStats of the language-model answerer, when one is in use
        r.register(_IndexCollector(self))
        r.register(_LLMCollector(self))

    def attach_index(self, index) -> None:
        self._index = index

    def index_info(self, max_age: float = 30.0):
        if self._index is None:
            return None
        now = time.monotonic()
        if self._index_cache and now - self._index_cache[0] < max_age:
            return self._index_cache[1]
        try:
            info = self._index.info()
        except Exception as exc:
            log.warning("index info unavailable: %s", type(exc).__name__)
            return None
        self._index_cache = (now, info)
        return info

    def api_error(self, method: str, error: str) -> None:
        self.slack_api_errors.labels(method=method or "unknown", error=error or "unknown").inc()


class _IndexCollector:
    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def describe(self):
        return []

    def collect(self):
        info = self.metrics.index_info()
        if info is None:
            return
        yield GaugeMetricFamily("gpbot_index_chunks", "Passages in the guidance index.", value=info.chunks)
        yield GaugeMetricFamily("gpbot_index_documents", "Documents in the guidance index.", value=info.documents)
        when = _epoch(info.last_ingest)
        if when is not None:
            yield GaugeMetricFamily("gpbot_index_last_ingest_timestamp_seconds", "When the index last changed.",
                                    value=when)
            yield GaugeMetricFamily("gpbot_index_age_seconds", "Seconds since the index last changed.",
                                    value=max(0.0, time.time() - when))
        oldest = _epoch(info.oldest_reviewed)
        if oldest is not None:
            yield GaugeMetricFamily("gpbot_index_oldest_reviewed_timestamp_seconds",
                                    "The oldest last_reviewed date in the index.", value=oldest)


class _LLMCollector:
    """The language-model answerer's outcomes (a provider failing at run time shows here) and dropped sentences."""

    OUTCOMES = ("used", "not_covered", "unverified", "timeout", "provider_error")
    REASONS = ("uncited", "bad_citation", "unsupported_specific", "low_similarity")

    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def describe(self):
        return []

    def collect(self):
        stats = self.metrics.llm_stats
        if stats is None:
            return
        outcomes, dropped = stats.snapshot()
        answers = CounterMetricFamily("gpbot_llm_answers", "Questions sent to the language model, by outcome "
                                      "(timeout and provider_error: answered without it).", labels=["outcome"])
        for outcome in self.OUTCOMES:
            answers.add_metric([outcome], outcomes.get(outcome, 0))
        yield answers
        sentences = CounterMetricFamily("gpbot_llm_sentences_dropped", "Language-model sentences dropped by the "
                                        "claim check, by reason.", labels=["reason"])
        for reason in self.REASONS:
            sentences.add_metric([reason], dropped.get(reason, 0))
        yield sentences


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()
