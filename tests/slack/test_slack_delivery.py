"""Delivery through the real Bolt app over real HTTP and the local Slack Web API emulator: request signatures,
redelivered events, twenty concurrent mentions, Slack rate-limiting or refusing posts, a failing answer, and
the health and metrics endpoints. Every request is signed as Slack signs it.
"""

from __future__ import annotations

import json
import logging
import statistics
import threading
import time

import pytest

from e2e_helpers import NHS_NUMBER, QUESTION, action_ids, metrics_showing
from slack_emulator import BOT_USER_ID, SIGNING_SECRET
from slack_requests import blocks_of, event_callback, get, user_ts
from waiting import wait_until

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ security and delivery
def test_bad_signature_and_stale_timestamp_are_rejected_without_logging_the_body(slack_api, make_slack_bot, spy,
                                                                                   caplog):
    caplog.set_level(logging.DEBUG)
    bot = make_slack_bot(spy)
    payload = event_callback({"type": "app_mention", "user": "U0USER", "text": f"secret words {NHS_NUMBER}",
                              "ts": user_ts(), "channel": "C0GENERAL"})
    assert bot.send(payload, secret="wrong-secret")[0] == 401
    assert bot.send(payload, timestamp=int(time.time()) - 301)[0] == 401
    status, _, _ = bot.send(json.dumps(payload), headers={"X-Slack-Signature": "v0=deadbeef"})
    assert status == 401
    slack_api.settle()
    assert not slack_api.calls_to("chat.postMessage") and spy.calls == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret words" not in logged and NHS_NUMBER not in logged and SIGNING_SECRET not in logged
    # url_verification still works with a good signature
    status, body, _ = bot.send({"type": "url_verification", "challenge": "abc123", "token": "x"})
    assert status == 200 and "abc123" in body


def test_a_redelivered_event_is_answered_exactly_once(slack_api, make_slack_bot, spy):
    from sqlalchemy import select

    from bot.review.models import DedupeKey

    bot = make_slack_bot(spy)
    ts = user_ts()
    envelope = event_callback({"type": "app_mention", "user": "U0USER", "text": f"<@{BOT_USER_ID}> {QUESTION}",
                               "ts": ts, "channel": "C0GENERAL", "event_ts": ts})
    assert bot.send(envelope)[0] == 200
    for retry in (1, 2, 3):
        status, _, _ = bot.send(envelope, headers={"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        assert status == 200
    slack_api.wait_for("chat.postMessage")
    slack_api.settle(quiet=1.0)
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert len(spy.calls) == 1
    # one claim for the message (it also stops the `message` event Slack sends for the same mention), none per event
    with bot.services.review.session() as s:
        assert s.scalars(select(DedupeKey.key)).all() == [f"msg:C0GENERAL:{ts}"]
    assert bot.services.metrics.registry.get_sample_value("gpbot_duplicate_events_total") == 3


def _burst(bot, slack_api, label: str, delay: float) -> tuple[list[float], float]:
    """20 mentions in 20 channels at once; per-reply latency from the emulator's records."""
    slack_api.reset()
    if delay:
        slack_api.fail("chat.postMessage", delay=delay, times=20)
    channels = [f"C{label}{n:03d}" for n in range(20)]
    sent: dict[str, tuple[str, float]] = {}
    barrier = threading.Barrier(20)

    def send(channel: str) -> None:
        ts = user_ts()
        barrier.wait()
        sent[channel] = (ts, time.monotonic())
        assert bot.mention(QUESTION, channel=channel, ts=ts)[0] == 200

    threads = [threading.Thread(target=send, args=(c,)) for c in channels]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slack_api.wait_for("chat.postMessage", 20, timeout=60)
    slack_api.settle(quiet=1.0)
    replies = slack_api.calls_to("chat.postMessage")
    assert len(replies) == 20, "each mention answered exactly once"
    assert sorted(r.params["channel"] for r in replies) == channels
    latencies = []
    for r in replies:
        ts, sent_at = sent[r.params["channel"]]
        assert r.params["thread_ts"] == ts, "each reply in its own thread"
        latencies.append(r.time + delay - sent_at)  # complete once the emulator has answered the post
    first = min(t for _, t in sent.values())
    return sorted(latencies), max(r.time for r in replies) + delay - first


def test_twenty_concurrent_mentions_are_answered_concurrently_once_each(slack_api, make_slack_bot, spy, capsys):
    bot = make_slack_bot(spy)
    bot.mention(QUESTION, channel="C0WARMUP")  # the first request warms the caches
    slack_api.wait_for("chat.postMessage")

    latencies, total = _burst(bot, slack_api, "A", delay=0.0)
    p50, p95 = statistics.median(latencies), latencies[int(round(0.95 * (len(latencies) - 1)))]
    # with Slack answering each post after 0.3 s, one-after-another handling would need >= 6 s
    slow, slow_total = _burst(bot, slack_api, "B", delay=0.3)
    with capsys.disabled():
        print(f"\n20 concurrent mentions: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {latencies[-1] * 1000:.0f} ms, all 20 in {total:.2f} s; with 0.3 s Slack latency per post: "
              f"p50 {statistics.median(slow) * 1000:.0f} ms, all 20 in {slow_total:.2f} s")
    # Concurrency, judged by overlap rather than by the clock (the machine may be busy): with each post
    # held 0.3 s by the emulator, handling one after another would never have two posts in flight at once.
    starts = sorted(r.time for r in slack_api.calls_to("chat.postMessage"))
    in_flight = max(sum(1 for t in starts if s <= t < s + 0.3) for s in starts)
    assert in_flight >= 3, f"answers were handled one after another (at most {in_flight} posts in flight)"


def test_rate_limited_post_is_retried_after_retry_after(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    slack_api.fail("chat.postMessage", status=429, retry_after=1)
    bot.mention(QUESTION)
    posts = slack_api.wait_for("chat.postMessage", 2, timeout=20)
    assert posts[1].time - posts[0].time >= 0.9
    assert posts[1].params["thread_ts"] == posts[0].params["thread_ts"]
    metrics = get(bot.url + "/metrics")[1]
    assert 'gpbot_slack_api_errors_total{error="http_429",method="chat.postMessage"} 1.0' in metrics


def test_a_failing_answer_gets_a_visible_apology_with_the_escalate_button(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    spy.fail_on = "SystmOne"
    _, _, _, envelope = bot.mention(QUESTION)
    reply = slack_api.wait_for("chat.postMessage")[0]
    assert reply.params["thread_ts"] == envelope["event"]["ts"]
    assert "Sorry" in reply.params["text"] and "escalate" in action_ids(blocks_of(reply))
    slack_api.settle()
    statuses = slack_api.calls_to("assistant.threads.setStatus")
    if statuses and statuses[-1].time > reply.time:
        assert statuses[-1].params.get("status") == ""


def test_health_readiness_and_metrics(slack_api, make_slack_bot, spy):
    bot = make_slack_bot(spy)
    assert get(bot.url + "/healthz")[0] == 200
    status, body = get(bot.url + "/readyz")
    assert status == 200 and json.loads(body)["ready"] is True
    bot.mention(QUESTION)
    slack_api.wait_for("chat.postMessage")
    # the counter is increased once the post returns: poll /metrics for it
    counted = 'gpbot_questions_total{kind="answered",surface="mention"} 1.0'
    metrics = wait_until(lambda: metrics_showing(bot, counted), 10, what="the answered question in /metrics")
    assert "gpbot_answer_latency_seconds_bucket" in metrics and "gpbot_index_chunks" in metrics
    assert "gpbot_index_age_seconds" in metrics
