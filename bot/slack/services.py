"""`BotServices`: what the Slack listeners share. The answering core, the review store, metrics, thread memory,
dedupe claims, the redaction point for text from Slack, and the channel allow-list.

    services = BotServices(settings, assistant, review)   # review=None: no record, dedupe in this process
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from slack_sdk import WebClient

from bot import identifiers
from bot.settings import Settings
from bot.slack import workspaces
from bot.slack.client import make_status_client
from bot.slack.local_claims import LocalClaims
from bot.slack.metrics import Metrics
from bot.slack.mrkdwn import strip_slack_markup
from bot.slack.reviewers import Reviewers
from bot.slack.thread_memory import ThreadMemory

log = logging.getLogger(__name__)

# Seconds `close()` waits for a refit of the query adapter that a reviewer's change started (one takes about 6 s on
# the shipped corpus): inside the 10 s a container is given to stop. Set by hand.
REFIT_SHUTDOWN_WAIT_S = 8.0


@dataclass
class BotServices:
    settings: Settings
    assistant: Any  # bot.pipeline.Assistant: .answer(question, history=...), .index
    review: Any = None  # bot.review.service.ReviewService, or None (then no record, local dedupe only)
    metrics: Metrics = field(default_factory=Metrics)
    reviewers: Reviewers = field(default_factory=Reviewers)  # who may act on review cards
    threads: ThreadMemory = field(default=None)  # type: ignore[assignment]  # sized from the settings
    status_executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="gpbot-status")
    )
    workspaces: workspaces.Workspaces = field(default=None)  # type: ignore[assignment]
    # (client, services, answer_id, reason=...) → posts a review card; build_app wires the review workflow's
    _local_claims: LocalClaims = field(default_factory=LocalClaims)
    _status_client: tuple[tuple[str | None, str], WebClient] | None = field(default=None, repr=False)
    _status_client_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        index = getattr(self.assistant, "index", None)
        if index is not None:
            self.metrics.attach_index(index)
        self.metrics.llm_stats = getattr(getattr(self.assistant, "answerer", None), "stats", None)
        if self.threads is None:
            self.threads = ThreadMemory(max_threads=self.settings.slack.slack_thread_memory_threads,
                                        per_thread=self.settings.slack.slack_thread_memory_questions)
        if self.workspaces is None:
            token = self.settings.slack.slack_bot_token
            self.workspaces = workspaces.Workspaces(self.review, token=token.get_secret_value() if token else None)

    def redact(self, text) -> identifiers.Redaction:
        """THE redaction point of the Slack layer: every text that comes in from Slack, before anything
        else uses it (markup included: identifiers are found in the raw text). The help lines, names and
        addresses the guidance quotes are kept."""
        try:
            public = getattr(self.assistant, "public_numbers", None) or ()
        except Exception as exc:  # no index yet: redact every number rather than fail
            log.warning("public numbers unavailable (%s)", type(exc).__name__)
            public = ()
        return identifiers.redact(text if isinstance(text, str) else "", public_numbers=public)

    def plain_text(self, text) -> identifiers.Redaction:
        """A Slack message as the core reads it: identifiers redacted in the raw text, Slack's markup removed,
        then redacted again (formatting can split an identifier, as in `Mrs *Smith*`). `kinds` and
        `has_identifiers` cover both passes; the offsets of the second pass's findings are into the plain text."""
        raw = self.redact(text)
        plain = strip_slack_markup(raw.text)
        again = self.redact(plain)
        return replace(raw, text=again.text, findings=raw.findings + again.findings)

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
                self._status_client = (key, make_status_client(client, self.settings.slack.slack_status_timeout_seconds))
            return self._status_client[1]

    def channel_allowed(self, channel: str | None, channel_type: str | None = None) -> bool:
        """ALLOWED_CHANNEL_IDS restricts channels; direct messages (and the assistant pane) are always allowed."""
        allowed = self.settings.slack.allowed_channels
        if not allowed or not channel:
            return True
        if channel_type in ("im",) or channel.startswith("D"):
            return True
        return channel in allowed

    def close(self) -> None:
        self.status_executor.shutdown(wait=False, cancel_futures=True)
        refits = getattr(self.review, "adapter_refits", None)
        if refits is not None and not refits.wait(REFIT_SHUTDOWN_WAIT_S):  # a reviewer's last change, still fitting
            log.warning("stopped before the query adapter was refitted: it learns the change at the next refit")
