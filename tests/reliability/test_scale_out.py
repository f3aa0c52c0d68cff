"""Scale-out: two `gpbot serve --http` replicas, one Chroma server, one PostgreSQL database.

100 signed `app_mention` events spread over both replicas; 20 of them redelivered (same event_id,
X-Slack-Retry-Num: 1) to the OTHER replica, half racing the first delivery and half after its ack.
Every event must be answered exactly once (one chat.postMessage in its thread, from the emulator's records),
deduplication must have happened in the database, and the schema must have been migrated once although
both replicas started together on an empty database.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from reliability_helpers import QUESTIONS, mention_event, metric_value, send_event
from slack_requests import event_callback

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.chroma_server]

EVENTS = 100
REDELIVERED_EVERY = 5  # 20 %
CONCURRENCY = 12


def test_two_replicas_answer_every_event_exactly_once_despite_redeliveries_to_the_other(cluster, api):
    a, b = cluster.a, cluster.b
    before = {r.name: r.metrics() for r in (a, b)}
    events = []
    for i in range(EVENTS):
        channel, ts = f"C0SCALE{i % 4}", f"1710000000.{i:06d}"
        text = QUESTIONS[i % len(QUESTIONS)]
        envelope = event_callback(mention_event(text, channel=channel, ts=ts), event_id=f"EvSCALE{i:05d}")
        first, other = (a, b) if i % 2 == 0 else (b, a)
        events.append((i, channel, ts, envelope, first, other))
    redelivered = [e for e in events if e[0] % REDELIVERED_EVERY == 0]
    racing, late = redelivered[::2], redelivered[1::2]
    assert len(redelivered) == EVENTS // REDELIVERED_EVERY

    acks: list[tuple[int, float]] = []

    def deliver(replica, envelope, retry_num=None):
        started = time.monotonic()
        status, _, _ = send_event(replica.url, envelope, retry_num=retry_num)
        acks.append((status, time.monotonic() - started))
        return status

    started = time.monotonic()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        futures = []
        racing_ids = {e[0] for e in racing}
        for i, _, _, envelope, first, other in events:
            futures.append(pool.submit(deliver, first, envelope))
            if i in racing_ids:  # Slack gave up waiting and retried at the other replica at once
                futures.append(pool.submit(deliver, other, envelope, 1))
        assert all(f.result(timeout=60) == 200 for f in futures)
        # redelivered after the first delivery was acknowledged (the answer may still be on its way)
        late_futures = [pool.submit(deliver, other, envelope, 1) for _, _, _, envelope, _, other in late]
        assert all(f.result(timeout=60) == 200 for f in late_futures)

    api.wait_for("chat.postMessage", EVENTS, timeout=150,
                 where=lambda c: str(c.params.get("channel", "")).startswith("C0SCALE"))
    api.settle(quiet=1.5, timeout=20)
    elapsed = time.monotonic() - started

    per_thread = Counter(
        (c.params.get("channel"), c.params.get("thread_ts"))
        for c in api.calls_to("chat.postMessage", lambda c: str(c.params.get("channel", "")).startswith("C0SCALE"))
    )
    expected = {(channel, ts) for _, channel, ts, _, _, _ in events}
    assert set(per_thread) == expected, "a reply went somewhere other than its question's thread"
    doubled = {k: n for k, n in per_thread.items() if n != 1}
    assert not doubled, f"answered more than once: {doubled}"
    assert len(acks) == EVENTS + len(redelivered)
    assert max(t for _, t in acks) < 3.0, "an ack took longer than Slack's 3-second limit"

    # both replicas answered, and between them dropped exactly the 20 redeliveries
    after = {r.name: r.metrics() for r in (a, b)}
    answered = {name: metric_value(after[name], "gpbot_questions_total") - metric_value(before[name], "gpbot_questions_total")
                for name in after}
    dropped = sum(metric_value(after[n], "gpbot_duplicate_events_total") - metric_value(before[n], "gpbot_duplicate_events_total")
                  for n in after)
    assert sum(answered.values()) == EVENTS, answered
    assert all(n > 0 for n in answered.values()), answered
    assert dropped == len(redelivered)

    # the shared database holds one dedupe key per message (none per event) and one answer record per question
    with cluster.pg.connect(cluster.database) as conn:
        keys = conn.execute("SELECT count(*) FROM review_dedupe_keys WHERE key LIKE 'msg:C0SCALE%'").fetchone()[0]
        event_keys = conn.execute("SELECT count(*) FROM review_dedupe_keys WHERE key LIKE 'event:EvSCALE%'").fetchone()[0]
        records = conn.execute("SELECT count(*) FROM review_answers WHERE channel_id LIKE 'C0SCALE%'").fetchone()[0]
    assert keys == EVENTS and event_keys == 0
    assert records == EVENTS
    print(f"\nscale-out: {EVENTS} events + {len(redelivered)} redeliveries over 2 replicas answered in "
          f"{elapsed:.1f}s; answered per replica {answered}; slowest ack {max(t for _, t in acks) * 1000:.0f} ms")


def test_migrations_ran_once_when_both_replicas_started_together(cluster):
    """Both replicas opened the review store on an empty database at the same moment."""
    logs = {r.name: r.log.read_text(errors="replace") for r in cluster.replicas}
    for name, text in logs.items():
        startup = text.split("gpbot: HTTP mode on", 1)[0]
        assert "gpbot: HTTP mode on" in text, f"{name} never started serving"
        assert "review store could not be opened" not in startup, f"{name} runs without its review store"
        assert "Traceback" not in startup, f"{name} logged a traceback while starting"
    with cluster.pg.connect(cluster.database) as conn:
        versions = conn.execute("SELECT version_num FROM review_alembic_version").fetchall()
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    from alembic.script import ScriptDirectory

    from bot.review.service import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert [v[0] for v in versions] == [head]
    assert {"review_answers", "review_dedupe_keys", "review_feedback", "review_items", "review_verified"} <= tables
    # PostgreSQL logs every DDL statement (log_statement=ddl): the schema was created once, not once per replica
    ddl = cluster.pg.log.read_text(errors="replace")
    for table in ("review_answers", "review_dedupe_keys", "review_alembic_version"):
        created = len(re.findall(rf"CREATE TABLE (?:IF NOT EXISTS )?(?:public\.)?\"?{table}\"?[ (]", ddl))
        assert created == 1, f"{table} was created {created} times"
