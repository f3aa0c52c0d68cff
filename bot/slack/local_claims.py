"""Dedupe within this process: used only when the review store (which claims keys across replicas) is
unavailable."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class LocalClaims:
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
