"""Refitting the query adapter off the request path.

A reviewer's approve, correct, retire or reinstate in Slack changes which verified answers the query adapter learns
from (`bot.index.query_adapter`), and a refit takes seconds (about 6 s on the shipped corpus, on two cores), so the
Slack server runs it on one background thread instead of in the click's handler:

    review.adapter_refits = BackgroundRefit(index.refit_if_out_of_date)   # bot.review.verified asks after a change

Requests that arrive while a fit runs are gathered into one more fit after it, so the last fit always starts after
the last change. A failed fit is logged; the change is learnt at the next refit (the next request, an ingest, or
`gpbot review verified reindex`). A fit lost to a kill is requested again when the server next opens its review
store (`ReviewService.from_settings`), from the stamp's fingerprint of what the adapter learnt
(`schema.STAMP_TEACHING`); the worker fits only while that fingerprint is out of date. The CLI refits in the
foreground instead (`bot.review.cli`): its process ends with the command.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)

# Seconds a first request waits before fitting, so that the clicks of one review session (a correction retires the
# old answer and stores the new one) are fitted once. Set by hand; no measurement recorded.
REFIT_DELAY_S = 2.0


class BackgroundRefit:
    """Thread-safe. `request()` returns at once; `wait()` blocks until no fit is pending or running."""

    def __init__(self, refit: Callable[[], object], *, delay_s: float = REFIT_DELAY_S):
        self._refit = refit
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._pending = False
        self._worker: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.fits = 0  # times the refit callable ran (including failed ones and ones with nothing to do), for tests

    def request(self) -> None:
        """Never raises: a thread that cannot start is logged, and the next request tries again."""
        with self._lock:
            self._pending = True
            self._idle.clear()
            if self._worker is None:  # the worker clears this under the same lock before it stops
                worker = threading.Thread(target=self._run, name="gpbot-refit", daemon=True)
                try:
                    worker.start()
                except RuntimeError as exc:  # "can't start new thread": the change waits for the next refit
                    self._pending = False
                    self._idle.set()
                    log.error("could not start a refit of the query adapter: %s", exc)
                    return
                self._worker = worker

    def wait(self, timeout: float | None = None) -> bool:
        """True once nothing is pending or running (False when `timeout` ran out first)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        time.sleep(self.delay_s)
        while True:
            with self._lock:
                if not self._pending:
                    self._worker = None
                    self._idle.set()
                    return
                self._pending = False
            started = time.perf_counter()
            try:
                version = self._refit()
                log.info("query adapter after a verified-answer change: %s (%.1f s)",
                         f"refitted, version {version}" if version else "already up to date",
                         time.perf_counter() - started)
            except Exception as exc:  # the review store is already right; the next refit learns the change
                log.error("could not refit the query adapter after a verified-answer change: %s", exc)
            finally:
                self.fits += 1
