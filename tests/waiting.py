"""Waiting in tests: poll until something is true, never sleep a fixed time and hope.

    from waiting import wait_until
    answer_id = wait_until(lambda: store.find(...), what="the answer record")   # its value, or AssertionError
    wait_until(lambda: not busy(), timeout=5, interval=0.02, what="the queue to drain")

Importable from every test folder (pytest puts tests/ on sys.path through tests/conftest.py).
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Call `predicate` until it returns something truthy and return that; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
