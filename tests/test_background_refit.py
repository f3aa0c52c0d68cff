"""`BackgroundRefit` (bot/index/background_refit.py): a reviewer's change refits the query adapter off the click's
path; requests during a fit are coalesced into one more fit that starts after the last of them; a failed fit is
logged and the next request fits again."""

from __future__ import annotations

import logging
import threading
import time

from bot.index.background_refit import BackgroundRefit


class SlowRefit:
    """A refit that records when each fit started and holds until released."""

    def __init__(self, fail: bool = False):
        self.started: list[float] = []
        self.release = threading.Event()
        self.fail = fail

    def __call__(self) -> str:
        self.started.append(time.monotonic())
        self.release.wait(10)
        if self.fail:
            raise RuntimeError("chroma went away")
        return f"v{len(self.started)}"


def test_a_request_returns_at_once_and_the_fit_runs_in_the_background():
    refit = SlowRefit()
    refits = BackgroundRefit(refit, delay_s=0)
    refits.request()
    assert not refits.wait(0.2)  # still fitting: the caller was not held
    refit.release.set()
    assert refits.wait(5)
    assert refits.fits == 1 and len(refit.started) == 1


def test_requests_during_a_fit_are_coalesced_into_one_more_fit_after_the_last_of_them():
    refit = SlowRefit()
    refits = BackgroundRefit(refit, delay_s=0)
    refits.request()
    deadline = time.monotonic() + 5
    while not refit.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert refit.started, "the first fit never started"
    last_request = 0.0
    for _ in range(5):  # a burst of clicks while the first fit runs
        refits.request()
        last_request = time.monotonic()
    refit.release.set()
    assert refits.wait(5)
    assert len(refit.started) == 2  # the first fit, then one for the whole burst
    assert refit.started[1] >= last_request  # and it started after the last change


def test_the_delay_gathers_a_burst_into_one_fit():
    refit = SlowRefit()
    refit.release.set()
    refits = BackgroundRefit(refit, delay_s=0.3)
    for _ in range(3):
        refits.request()
    assert refits.wait(5)
    assert len(refit.started) == 1


def test_a_failed_fit_is_logged_and_the_next_request_fits_again(caplog):
    refit = SlowRefit(fail=True)
    refit.release.set()
    refits = BackgroundRefit(refit, delay_s=0)
    with caplog.at_level(logging.ERROR, logger="bot.index.background_refit"):
        refits.request()
        assert refits.wait(5)
    assert "could not refit the query adapter" in caplog.text and "chroma went away" in caplog.text
    refit.fail = False
    refits.request()
    assert refits.wait(5)
    assert len(refit.started) == 2 and refits.fits == 2


def test_a_thread_that_cannot_start_is_logged_and_the_next_request_fits(monkeypatch, caplog):
    refit = SlowRefit()
    refit.release.set()
    refits = BackgroundRefit(refit, delay_s=0)
    real_start = threading.Thread.start
    calls = []

    def start_once_failing(thread):
        calls.append(thread)
        if len(calls) == 1:
            raise RuntimeError("can't start new thread")
        return real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_once_failing)
    with caplog.at_level(logging.ERROR, logger="bot.index.background_refit"):
        refits.request()  # does not raise
    assert "could not start a refit" in caplog.text
    assert refits.wait(0.1)  # nothing pending: close() is not held up
    refits.request()
    assert refits.wait(5)
    assert len(refit.started) == 1
