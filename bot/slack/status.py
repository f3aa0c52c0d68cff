"""The "is thinking…" status (`assistant.threads.setStatus`) while an answer is prepared: best effort, never in
the answer's way."""

from __future__ import annotations

import time

from bot import prompts


class Status:
    """Best-effort `assistant.threads.setStatus`: sent from a small side pool so it never delays the answer,
    cancelled if the answer is ready first, and cleared explicitly if it could land after the answer."""

    def __init__(self, services, client, channel: str, thread_ts: str | None):
        self.services, self.channel, self.thread_ts = services, channel, thread_ts
        self._client = client
        self._future = None
        self._ok = False
        self._landed_at: float | None = None
        self._posting_at: float | None = None

    def start(self) -> "Status":
        if not self.thread_ts:
            return self
        try:
            self._future = self.services.status_executor.submit(self._set, prompts.STATUS_TEXT)
        except RuntimeError:  # executor shut down
            self._future = None
        return self

    def _set(self, text: str) -> None:
        try:
            self.services.status_client(self._client).assistant_threads_setStatus(
                channel_id=self.channel, thread_ts=self.thread_ts, status=text,
                loading_messages=prompts.LOADING_MESSAGES if text else None,
            )
            self._ok = True
            self._landed_at = time.monotonic()
        except Exception as exc:  # best effort: e.g. invalid_thread_ts, missing scope
            error = getattr(getattr(exc, "response", None), "get", lambda *_: None)("error") or type(exc).__name__
            self.services.metrics.api_error("assistant.threads.setStatus", str(error))

    def posting(self) -> None:
        self._posting_at = time.monotonic()

    def done(self, posted: bool) -> None:
        future = self._future
        if future is None or future.cancel():
            return  # never sent

        def clear() -> None:
            try:
                future.result(timeout=10)
            except Exception:
                return
            # Slack clears the status when the app replies; clear it ourselves when it may have landed later
            landed_late = self._landed_at is None or self._posting_at is None or self._landed_at >= self._posting_at
            if self._ok and (not posted or landed_late):
                self._set("")

        if future.done() and posted and self._ok and self._landed_at is not None and self._posting_at is not None \
                and self._landed_at < self._posting_at:
            return
        try:
            self.services.status_executor.submit(clear)
        except RuntimeError:
            pass
