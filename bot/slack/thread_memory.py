"""What the bot remembers of the threads it has answered in this process: their earlier (redacted, plain
text) questions, so a follow-up without a mention is understood; and, briefly, threads it is not part of."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


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
