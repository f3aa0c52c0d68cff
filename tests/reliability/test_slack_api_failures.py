"""Slack Web API failures from the emulator: 429 with Retry-After, 500s, a slow answer, a timeout,
`channel_not_found`. Retried where sensible (429, 5xx); never retried where a retry could double a
message (a timeout) or cannot help (`channel_not_found`); the user always gets the answer or a visible
failure, and the server stays up and counts the errors in /metrics.

The first five run against a real `gpbot serve --http` replica; the timeout runs in-process, because the
product's WebClient waits 15 s before giving up and a client with a 1-second timeout keeps this quick.
"""

from __future__ import annotations

import json
import time

import pytest

from reliability_helpers import mention_event, metric_value, send_event
from waiting import wait_until
from slack_emulator import BOT_TOKEN, SIGNING_SECRET
from slack_requests import event_callback

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.chroma_server]

QUESTION = "What does the 104 code do?"


def _ask(replica, channel: str, ts: str) -> None:
    status, _, _ = send_event(replica.url, event_callback(mention_event(QUESTION, channel=channel, ts=ts)))
    assert status == 200


def _stored(api, channel: str, ts: str) -> list[dict]:
    """Messages the emulator accepted (failed calls are recorded as calls, not stored as messages)."""
    with api._lock:
        return [m for m in api.messages if m.get("channel") == channel and m.get("thread_ts") == ts
                and m.get("bot_id")]


def _ask_while_posts_fail(cluster, api, channel: str, ts: str, timeout: float = 30, **failure) -> list:
    """Make chat.postMessage fail as `failure` says, ask in `channel`, wait for a stored message and for Slack
    traffic to settle; returns the chat.postMessage calls to that channel (failed ones included)."""
    api.fail("chat.postMessage", **failure)
    _ask(cluster.a, channel, ts)
    wait_until(lambda: _stored(api, channel, ts), timeout, 0.05, "a message in the thread")
    api.settle(quiet=0.5)
    return api.calls_to("chat.postMessage", lambda c: c.params.get("channel") == channel)


def _healthy(replica) -> None:
    assert replica.alive(), replica.log.read_text()[-3000:]
    assert replica.healthz() == 200


def test_rate_limited_post_waits_for_retry_after_then_answers_once(cluster, api):
    channel, ts = "C0API429", "1730000000.000001"
    calls = _ask_while_posts_fail(cluster, api, channel, ts, status=429, retry_after=1)
    assert len(calls) == 2, "expected the 429 and one retry"
    assert calls[1].time - calls[0].time >= 0.9, "the retry did not wait for Retry-After"
    assert len(_stored(api, channel, ts)) == 1
    assert "104" in _stored(api, channel, ts)[0]["text"]
    _healthy(cluster.a)


def test_server_errors_are_retried_and_the_answer_arrives(cluster, api):
    channel, ts = "C0API500", "1730000000.000002"
    assert len(_ask_while_posts_fail(cluster, api, channel, ts, status=500, times=2)) == 3
    assert len(_stored(api, channel, ts)) == 1
    _healthy(cluster.a)


def test_persistent_server_errors_end_in_a_visible_apology(cluster, api):
    """Three failed attempts at the answer: the apology (with the escalate button) still gets through."""
    channel, ts = "C0API5XX", "1730000000.000003"
    last = _ask_while_posts_fail(cluster, api, channel, ts, timeout=40, status=500, times=5)[-1]
    assert len(_stored(api, channel, ts)) == 1
    assert "sorry" in last.params.get("text", "").lower()
    assert "escalate" in json.dumps(last.params.get("blocks"))
    _healthy(cluster.a)


def test_channel_not_found_is_not_retried_and_the_user_is_told_privately(cluster, api):
    channel, ts = "C0APIGONE", "1730000000.000004"
    before = cluster.a.metrics()
    api.fail("chat.postMessage", error="channel_not_found", times=2)  # the answer, then the apology
    _ask(cluster.a, channel, ts)
    ephemeral = api.wait_for("chat.postEphemeral", 1, timeout=30, where=lambda c: c.params.get("channel") == channel)
    api.settle(quiet=0.5)
    assert len(api.calls_to("chat.postMessage", lambda c: c.params.get("channel") == channel)) == 2
    assert ephemeral[0].params.get("user") == "U0USER"
    assert "sorry" in ephemeral[0].params.get("text", "").lower()
    after = cluster.a.metrics()
    labels = {"method": "chat.postMessage", "error": "channel_not_found"}
    assert metric_value(after, "gpbot_slack_api_errors_total", labels) - \
        metric_value(before, "gpbot_slack_api_errors_total", labels) == 2
    _healthy(cluster.a)


def test_pasted_details_are_still_warned_about_when_the_answer_cannot_be_posted(cluster, api):
    """The answer and the apology both fail: the poster still gets the identifier warning, privately, and no call
    carries the number they pasted."""
    channel, ts = "C0APIPII", "1730000000.000009"
    api.fail("chat.postMessage", error="channel_not_found", times=2)
    status, _, _ = send_event(cluster.a.url, event_callback(
        mention_event("pt NHS 943 476 5919 wants access, what does the 104 code do?", channel=channel, ts=ts)))
    assert status == 200
    ephemeral = api.wait_for("chat.postEphemeral", 2, timeout=30, where=lambda c: c.params.get("channel") == channel)
    api.settle(quiet=0.5)
    texts = [c.params.get("text", "").lower() for c in ephemeral]
    assert any("sorry" in t for t in texts) and any("nhs number" in t for t in texts), texts
    calls = json.dumps([c.params for c in api.calls if c.params.get("channel") == channel])
    assert "943 476 5919" not in calls and "9434765919" not in calls  # whole: a random hex id may hold "5919"
    _healthy(cluster.a)


def test_a_slow_slack_still_gets_one_answer_and_acks_stay_fast(cluster, api):
    channel, ts = "C0APISLOW", "1730000000.000005"
    api.fail("chat.postMessage", delay=3.0)
    api.fail("assistant.threads.setStatus", status=429, retry_after=1, times=3)
    started = time.monotonic()
    _ask(cluster.a, channel, ts)
    assert time.monotonic() - started < 3.0, "the ack waited for Slack"
    # meanwhile the server answers other requests
    _healthy(cluster.a)
    other_channel, other_ts = "C0APIFAST", "1730000000.000006"
    _ask(cluster.a, other_channel, other_ts)
    wait_until(lambda: _stored(api, channel, ts) and _stored(api, other_channel, other_ts), 30, 0.05, "both answers")
    api.settle(quiet=0.5)
    assert len(_stored(api, channel, ts)) == 1 and len(_stored(api, other_channel, other_ts)) == 1
    _healthy(cluster.a)


def test_a_timed_out_post_is_not_retried_into_a_duplicate(tmp_path, shared_index_settings, shared_embedder,
                                                          slack_cluster_api, monkeypatch):
    """A post that times out may still have been delivered: the client must not retry it (that could double
    the answer). The user sees the answer once, plus at most the apology; the server stays up."""
    from pydantic import SecretStr

    from bot.index import Index
    from bot.pipeline import build_assistant
    from bot.review.service import ReviewService
    from bot.settings import Settings
    from bot.slack.app import build_app
    from bot.slack.client import make_client
    from bot.slack.services import BotServices
    from bot.slack.server import BotHttpServer

    api = slack_cluster_api
    api.reset()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    values = shared_index_settings.model_dump()
    values.update(slack_bot_token=SecretStr(BOT_TOKEN), slack_signing_secret=SecretStr(SIGNING_SECRET),
                  slack_api_url=api.base_url, database_url=f"sqlite:///{tmp_path / 'timeout.db'}")
    settings = Settings(_env_file=None, **values)
    assistant = build_assistant(settings, index=Index(settings, embedder=shared_embedder))
    review = ReviewService.from_settings(settings, index=None)
    services = BotServices(settings=settings, assistant=assistant, review=review)
    app = build_app(services, client=make_client(settings, services.metrics, timeout=1))
    server = BotHttpServer(services, app, host="127.0.0.1", port=0)
    server.start()
    try:
        channel, ts = "C0APITIMEOUT", "1730000000.000007"
        api.fail("chat.postMessage", delay=2.0)
        status, _, _ = send_event(f"http://127.0.0.1:{server.port}",
                                  event_callback(mention_event(QUESTION, channel=channel, ts=ts)))
        assert status == 200
        wait_until(lambda: len(_stored(api, channel, ts)) >= 2, 30, 0.05, "the late answer and the apology")
        api.settle(quiet=1.0)
        texts = [m["text"] for m in _stored(api, channel, ts)]
        answers = [t for t in texts if "sorry" not in t.lower()]
        apologies = [t for t in texts if "sorry" in t.lower()]
        assert len(answers) == 1, "the timed-out post was retried into a second answer"
        assert len(apologies) <= 1
        assert metric_value(_metrics(services), "gpbot_slack_api_errors_total",
                            {"method": "chat.postMessage"}) >= 1
        from reliability_helpers import http_get

        assert http_get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200
    finally:
        server.stop()
        services.close()
        review.close()
        api.reset()


def _metrics(services) -> str:
    from prometheus_client import generate_latest

    return generate_latest(services.metrics.registry).decode()
