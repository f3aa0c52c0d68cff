"""`GET /metrics` on a real replica: Prometheus text with questions by kind, a latency histogram, feedback,
Slack API errors, and the index's size and age."""

from __future__ import annotations

import json
import re

import pytest

from reliability_helpers import http_get, mention_event, metric_value, send_event
from waiting import wait_until
from slack_emulator import SIGNING_SECRET, TEAM_ID
from slack_requests import event_callback, form_body

from bot.slack.signed_values import signed_json

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.chroma_server]


def _families(text: str) -> dict[str, str]:
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def test_metrics_are_prometheus_text_with_every_operational_figure(cluster, api):
    replica = cluster.a
    before = replica.metrics()
    channel, ts = "C0METRICS", "1740000000.000001"
    status, _, _ = send_event(replica.url, event_callback(mention_event("What does the 104 code do?",
                                                                        channel=channel, ts=ts)))
    assert status == 200
    api.wait_for("chat.postMessage", 1, timeout=30, where=lambda c: c.params.get("channel") == channel)
    api.fail("chat.postEphemeral", status=500, times=1)  # one Slack API error to count (retried, then fine)
    with cluster.pg.connect(cluster.database) as conn:
        answer_id = wait_until(lambda: conn.execute(
            "SELECT id FROM review_answers WHERE channel_id = %s", (channel,)).fetchone(), 10, 0.1, "the record")[0]
    payload = {
        "type": "block_actions", "team": {"id": TEAM_ID}, "api_app_id": "A0APP", "token": "unused",
        "user": {"id": "U0VOTER", "team_id": TEAM_ID}, "trigger_id": "trigger.metrics",
        "container": {"type": "message", "message_ts": "1740000000.000002", "channel_id": channel},
        "channel": {"id": channel}, "message": {"ts": "1740000000.000002", "thread_ts": ts, "text": "answer"},
        "actions": [{"action_id": "feedback", "type": "feedback_buttons", "block_id": "fb",
                     "value": signed_json({"a": answer_id, "v": "up"}, secret=SIGNING_SECRET), "action_ts": "1"}],
    }
    status, _, _ = send_event(replica.url, form_body({"payload": payload}),
                              content_type="application/x-www-form-urlencoded")
    assert status == 200
    wait_until(lambda: [c for c in api.calls_to("chat.postEphemeral") if c.params.get("user") == "U0VOTER"
                        ], 30, 0.05, "the thank-you")
    with cluster.pg.connect(cluster.database) as conn:
        votes = conn.execute("SELECT vote FROM review_feedback WHERE answer_id = %s", (answer_id,)).fetchall()
    assert [v[0] for v in votes] == ["up"]

    status, text = http_get(replica.url + "/metrics")
    assert status == 200
    families = _families(text)
    # questions by kind (and surface)
    assert families.get("gpbot_questions") == "counter" or families.get("gpbot_questions_total") == "counter"
    assert metric_value(text, "gpbot_questions_total", {"kind": "answered", "surface": "mention"}) >= 1
    # the latency histogram
    assert families.get("gpbot_answer_latency_seconds") == "histogram"
    assert metric_value(text, "gpbot_answer_latency_seconds_count") >= 1
    assert metric_value(text, "gpbot_answer_latency_seconds_bucket", {"le": "+Inf"}) == \
        metric_value(text, "gpbot_answer_latency_seconds_count")
    # Slack API errors, by method and error
    assert any(name.startswith("gpbot_slack_api_errors") for name in families)
    assert metric_value(text, "gpbot_slack_api_errors_total", {"method": "chat.postEphemeral", "error": "http_500"}) \
        - metric_value(before, "gpbot_slack_api_errors_total", {"method": "chat.postEphemeral", "error": "http_500"}) == 1
    # the index: size and age
    assert metric_value(text, "gpbot_index_chunks") == cluster.chunks
    assert metric_value(text, "gpbot_index_documents") >= 1
    assert 0 <= metric_value(text, "gpbot_index_age_seconds") < 3600
    assert metric_value(text, "gpbot_index_last_ingest_timestamp_seconds") > 1.6e9
    # feedback: the family is exported ...
    assert any(name.startswith("gpbot_feedback") for name in families)
    # ... and a vote counts
    delta = metric_value(text, "gpbot_feedback_total", {"vote": "up"}) - \
        metric_value(before, "gpbot_feedback_total", {"vote": "up"})
    assert delta == 1, "the vote was recorded but gpbot_feedback_total did not move"


def test_health_and_readiness(cluster):
    for replica in cluster.replicas:
        assert http_get(replica.url + "/healthz")[0] == 200
        status, body = http_get(replica.url + "/readyz")
        assert status == 200 and json.loads(body)["chunks"] == cluster.chunks
