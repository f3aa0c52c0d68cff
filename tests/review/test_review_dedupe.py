"""Slack event deduplication in the review store (bot.review.dedupe), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import text

from bot.review.service import ReviewService


def test_claim_once(review_env):
    review = review_env.review
    assert review.claim("Ev123") is True
    assert review.claim("Ev123") is False
    assert review.claim("C1:100.1") is True


def test_claim_is_exclusive_across_threads_and_engines(review_env):
    """Two services (two engines, as two replicas would have) race for the same keys: each key is won once."""
    other = ReviewService.from_settings(review_env.settings)
    services = [review_env.review, other]
    keys = [f"Ev{n}" for n in range(150)]
    barrier = threading.Barrier(4)

    def worker(service: ReviewService, out: list[str]):
        barrier.wait()
        for key in keys:
            if service.claim(key):
                out.append(key)

    outs = [[] for _ in range(4)]
    threads = [threading.Thread(target=worker, args=(services[i % 2], outs[i])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [k for out in outs for k in out]
    assert sorted(won) == sorted(keys), "every key claimed exactly once"
    other.close()


def test_old_dedupe_keys_are_purged(review_env):
    review = review_env.review
    review.claim("old-key")
    with review.session() as s:
        s.execute(text("UPDATE review_dedupe_keys SET created_at = :t"), {"t": dt.datetime(2000, 1, 1)})
    assert review.purge_dedupe_keys() == 1
    assert review.claim("old-key") is True


def test_the_dedupe_ttl_is_a_setting(review_env):
    """DEDUPE_TTL_HOURS decides which keys are old: a key two hours old stays at 24 h and goes at 1 h."""
    review = review_env.review
    review.claim("recent-key")
    two_hours_ago = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=2)
    with review.session() as s:
        s.execute(text("UPDATE review_dedupe_keys SET created_at = :t"), {"t": two_hours_ago})
    assert review.purge_dedupe_keys() == 0 and review.holds_key("recent-key")
    review.settings = review.settings.replace(dedupe_ttl_hours=1.0)
    assert review.purge_dedupe_keys() == 1 and not review.holds_key("recent-key")


def test_a_released_key_can_be_claimed_again(review_env):
    review = review_env.review
    assert review.claim("Ev-failed") and review.holds_key("Ev-failed")
    review.release("Ev-failed")
    assert not review.holds_key("Ev-failed")
    assert review.claim("Ev-failed") is True
