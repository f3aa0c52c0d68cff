"""The Slack app: `BotServices` (what the listeners use) and `build_app` (a Bolt `App` with our listeners).

    services = BotServices(settings, assistant, review)
    app = build_app(services)              # real runs: a WebClient on SLACK_API_URL with retries
    app = build_app(services, client=c)    # tests: a WebClient pointed at the local emulator

The same App serves HTTP (bot.slack.server) and Socket Mode (bot.slack.socket_mode).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from bot import identifiers
from bot.settings import ConfigError, Settings
from bot.slack import signed_values, workspaces
from bot.slack.listeners import actions, assistant, commands, edits, events, home, review
from bot.slack.listeners.events import ANSWERABLE_SUBTYPES, mentions_bot
from bot.slack.payloads import message_text, shape_error
from bot.slack.reviewers import Reviewers

log = logging.getLogger(__name__)

LISTENER_WORKERS = 32  # Bolt's default is 5: answers are ~100 ms of CPU plus Slack round trips
KINDS = ("answered", "not_covered", "out_of_scope", "verified")


# ------------------------------------------------------------------ logging hygiene
_TOKEN = re.compile(r"\bx(?:ox[abpre]|app)-[A-Za-z0-9-]+")
_BODYISH = re.compile(r"(body: |for the request \(|Unhandled request \().*", re.S)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Text safe to log: no tokens, no given secrets, no patient identifiers."""
    text = _TOKEN.sub("[token]", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return identifiers.redact(text).text


class ScrubFilter(logging.Filter):
    """Rewrites every record it sees: request bodies Bolt would log are cut, then tokens, secrets and
    patient identifiers are removed. Attach to handlers (it then covers every logger) and to Bolt's
    base logger (Bolt copies it to all its loggers)."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        if "`token` will be unused" in message:
            return False  # Bolt also read SLACK_BOT_TOKEN from the environment; we pass our own client
        if "Invalid request signature" in message:
            message = "Invalid request signature detected (request rejected with 401; body not logged)"
        elif record.name.startswith(("slack_bolt", "slack_sdk", "gpbot.bolt")):
            message = _BODYISH.sub(lambda m: m.group(1) + "…)", message)
        record.msg = scrub(message, self.secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # keep the traceback shape, lose the exception's message (it may quote the input)
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


def _secrets(settings: Settings) -> tuple[str, ...]:
    """The secrets (Slack's and the language model's key) that must never reach a log line."""
    return tuple(
        s.get_secret_value() for s in (settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret,
                                       settings.llm_api_key) if s
    )


def bolt_logger(settings: Settings) -> logging.Logger:
    """Bolt's base logger: WARNING at most chatty (Bolt logs a rejected request's body at INFO), scrubbed."""
    logger = logging.getLogger("gpbot.bolt")
    logger.setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    if not any(isinstance(f, ScrubFilter) for f in logger.filters):
        logger.addFilter(ScrubFilter(_secrets(settings)))
    return logger


def install_log_scrubbing(settings: Settings) -> None:
    """For real runs: scrub every handler on the root logger (covers every library's records)."""
    secrets = _secrets(settings)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter(secrets))
    for name in ("slack_bolt", "slack_sdk", "gpbot.bolt"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level))


# ------------------------------------------------------------------ metrics
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
    import datetime as dt

    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


class CountingRetryHandler(RetryHandler):
    """Never retries; counts 429s, 5xx and connection errors for /metrics (must be first in the list)."""

    def __init__(self, metrics: Metrics):
        super().__init__(max_retry_count=10_000)
        self.metrics = metrics

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        method = (request.url or "").rstrip("/").rsplit("/", 1)[-1]
        if response is not None and (response.status_code == 429 or response.status_code >= 500):
            self.metrics.api_error(method, f"http_{response.status_code}")
        elif response is None and error is not None:
            self.metrics.api_error(method, type(error).__name__)
        return False


def make_client(settings: Settings, metrics: Metrics | None = None, *, token: str | None = None,
                timeout: int = 15) -> WebClient:
    """A WebClient on SLACK_API_URL that waits out 429s (Retry-After) and retries connection errors and 5xx."""
    if token is None:
        if settings.slack_bot_token is None:
            raise ConfigError("Configuration error: SLACK_BOT_TOKEN: required to connect to Slack")
        token = settings.slack_bot_token.get_secret_value()
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    handlers: list[RetryHandler] = [CountingRetryHandler(metrics)] if metrics is not None else []
    handlers += [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=handlers)


# ------------------------------------------------------------------ per-process state
class ThreadMemory:
    """Redacted questions asked in threads the bot has answered: (channel, thread_ts) → [questions].

    Bounded LRU; entries are only ever redacted text. `known_not_ours` remembers, for a few minutes,
    threads that `conversations.replies` showed the bot has not answered, so chatter in busy threads
    does not cost an API call per message."""

    def __init__(self, max_threads: int = 5000, per_thread: int = 6, negative_ttl: float = 300.0):
        self._threads: OrderedDict[tuple[str, str], list[tuple[float, str]]] = OrderedDict()
        self._negative: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self.max_threads, self.per_thread, self.negative_ttl = max_threads, per_thread, negative_ttl

    def knows(self, channel: str, thread_ts: str) -> bool:
        with self._lock:
            return (channel, thread_ts) in self._threads

    def history(self, channel: str, thread_ts: str | None, max_age: float | None = None) -> list[str]:
        if thread_ts is None:
            return []
        with self._lock:
            items = list(self._threads.get((channel, thread_ts), []))
        now = time.monotonic()
        return [q for when, q in items if max_age is None or now - when <= max_age]

    def remember(self, channel: str, thread_ts: str | None, question: str | None = None) -> None:
        if thread_ts is None:
            return
        key = (channel, thread_ts)
        with self._lock:
            self._negative.pop(key, None)
            items = self._threads.setdefault(key, [])
            self._threads.move_to_end(key)
            if question:
                items.append((time.monotonic(), question))
                del items[: -self.per_thread]
            while len(self._threads) > self.max_threads:
                self._threads.popitem(last=False)

    def mark_not_ours(self, channel: str, thread_ts: str) -> None:
        with self._lock:
            self._negative[(channel, thread_ts)] = time.monotonic()
            while len(self._negative) > self.max_threads:
                self._negative.popitem(last=False)

    def known_not_ours(self, channel: str, thread_ts: str) -> bool:
        with self._lock:
            when = self._negative.get((channel, thread_ts))
            if when is None:
                return False
            if time.monotonic() - when > self.negative_ttl:
                del self._negative[(channel, thread_ts)]
                return False
            return True


class _LocalClaims:
    """In-process dedupe used only when the review store is unavailable."""

    def __init__(self, ttl: float = 86400.0, max_keys: int = 100_000):
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self.ttl, self.max_keys = ttl, max_keys

    def claim(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._keys and (len(self._keys) > self.max_keys or now - next(iter(self._keys.values())) > self.ttl):
                self._keys.popitem(last=False)
            if key in self._keys:
                return False
            self._keys[key] = now
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)


@dataclass
class BotServices:
    settings: Settings
    assistant: Any  # bot.pipeline.Assistant: .answer(question, history=...), .index
    review: Any = None  # bot.review.service.ReviewService, or None (then no record, local dedupe only)
    metrics: Metrics = field(default_factory=Metrics)
    threads: ThreadMemory = field(default_factory=ThreadMemory)
    reviewers: Reviewers = field(default_factory=Reviewers)  # who may act on review cards
    status_executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="gpbot-status")
    )
    _local_claims: _LocalClaims = field(default_factory=_LocalClaims)
    _status_client: tuple[tuple[str | None, str], WebClient] | None = field(default=None, repr=False)
    _status_client_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    workspaces: workspaces.Workspaces = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        index = getattr(self.assistant, "index", None)
        if index is not None:
            self.metrics.attach_index(index)
        self.metrics.llm_stats = getattr(getattr(self.assistant, "answerer", None), "stats", None)
        if self.workspaces is None:
            token = self.settings.slack_bot_token
            self.workspaces = workspaces.Workspaces(self.review, token=token.get_secret_value() if token else None)

    def redact(self, text) -> identifiers.Redaction:
        """THE redaction point of the Slack layer: every text that comes in from Slack, before anything
        else uses it. The help lines, names and addresses the guidance quotes are kept."""
        try:
            public = getattr(self.assistant, "public_numbers", None) or ()
        except Exception as exc:  # no index yet: redact every number rather than fail
            log.warning("public numbers unavailable (%s)", type(exc).__name__)
            public = ()
        return identifiers.redact(text if isinstance(text, str) else "", public_numbers=public)

    def claim(self, key: str) -> bool:
        """True the first time `key` is seen (across replicas when the review store is shared)."""
        if self.review is not None:
            try:
                return bool(self.review.claim(key))
            except Exception as exc:
                log.warning("dedupe store unavailable (%s); deduplicating in this process only", type(exc).__name__)
        return self._local_claims.claim(key)

    def release(self, key: str) -> None:
        """Undo `claim` after the work it guarded failed (a retry may then do it)."""
        if self.review is not None:
            try:
                self.review.release(key)
            except Exception as exc:
                log.warning("dedupe store unavailable (%s)", type(exc).__name__)
        self._local_claims.release(key)

    def status_client(self, client: WebClient) -> WebClient:
        """The client for `assistant.threads.setStatus`: `client`'s token and API URL, a short timeout and no
        retries (a late status is worthless). Built once and reused (WebClient is safe across threads)."""
        key = (client.token, client.base_url)
        with self._status_client_lock:
            if self._status_client is None or self._status_client[0] != key:
                self._status_client = (key, WebClient(token=client.token, base_url=client.base_url, timeout=5,
                                                      retry_handlers=[]))
            return self._status_client[1]

    def channel_allowed(self, channel: str | None, channel_type: str | None = None) -> bool:
        """ALLOWED_CHANNEL_IDS restricts channels; direct messages (and the assistant pane) are always allowed."""
        allowed = self.settings.allowed_channels
        if not allowed or not channel:
            return True
        if channel_type in ("im",) or channel.startswith("D"):
            return True
        return channel in allowed

    def close(self) -> None:
        self.status_executor.shutdown(wait=False, cancel_futures=True)


# ------------------------------------------------------------------ the App
def _may_answer(event: dict, context) -> bool:
    """Events that can lead to a reply (claimed for dedupe); channel chatter costs no database write."""
    kind = event.get("type")
    if kind in ("app_mention", "assistant_thread_started"):
        return True
    if kind != "message" or event.get("bot_id") or event.get("subtype") not in ANSWERABLE_SUBTYPES:
        return False
    if event.get("channel_type") == "im" or event.get("thread_ts"):
        return True
    return mentions_bot(message_text(event), context)


def build_app(services: BotServices, *, client: WebClient | None = None, socket_mode: bool = False,
              listener_workers: int = LISTENER_WORKERS) -> App:
    """A Bolt App with every gpbot listener registered.

    HTTP mode needs SLACK_SIGNING_SECRET and always verifies signatures (5-minute replay window);
    Socket Mode does not use it. `client` defaults to `make_client(settings)`."""
    settings = services.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if not socket_mode and not secret:
        raise ConfigError("Configuration error: SLACK_SIGNING_SECRET: required for HTTP mode")
    signed_values.configure(secret or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None))
    client = client or make_client(settings, services.metrics)
    app = App(
        client=client,
        signing_secret=secret or "",
        request_verification_enabled=not socket_mode or bool(secret),
        logger=bolt_logger(settings),
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=listener_workers, thread_name_prefix="gpbot-listener"),
    )

    @app.middleware
    def refuse_bad_shapes(body: dict, next):  # noqa: A002 - Bolt injects by name
        """HTTP checks shapes before Bolt (bot.slack.server); this covers Socket Mode the same way."""
        problem = shape_error(body)
        if problem:
            log.warning("a request was refused: %s", problem)
            return BoltResponse(status=400, body="")
        return next()

    @app.middleware
    def skip_revoked_workspaces(body: dict, next):  # noqa: A002 - Bolt injects by name
        """After app_uninstalled / tokens_revoked: acknowledge, post nothing, record nothing."""
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        if event.get("type") not in workspaces.LIFECYCLE_EVENTS and services.workspaces.is_revoked(workspaces.team_of(body)):
            return BoltResponse(status=200, body="")
        return next()

    @app.middleware
    def deduplicate(body: dict, context, next):  # noqa: A002 - Bolt injects by name
        """Slack redelivers events (X-Slack-Retry-Num, Socket Mode retry_attempt): answer each once.
        Duplicates get a 200 so Slack stops retrying."""
        if body.get("type") == "event_callback":
            event = body.get("event") or {}
            event_id = body.get("event_id")
            if event_id and _may_answer(event, context):
                if not services.claim(f"event:{event_id}"):
                    services.metrics.duplicates.inc()
                    log.info("duplicate event %s dropped", event_id)
                    return BoltResponse(status=200, body="")
        return next()

    for module in (edits, events, assistant, commands, home, actions, review, workspaces):
        module.register(app, services)

    @app.error
    def on_error(error, body):
        log.error("unhandled error in a listener: %s", type(error).__name__)

    return app
