"""After the whole suite (conftest.py moves this test last): no NHS number any test sent, no bot token and
no signing secret anywhere the suite left data -- the replicas' and Chroma's logs, the test process's own
log records, every data dir (keyword caches, ingest records, SQLite), both Chroma servers' data dirs, and
PostgreSQL (every row of every table, its data files after a checkpoint, and its server log).

It first sends identifiers of its own through a replica (a mention, a DM and a slash command), so it
checks something real even when run on its own.
"""

from __future__ import annotations

import pytest

from reliability_helpers import (
    USED_NHS_NUMBERS,
    default_secrets,
    leak_patterns,
    mention_event,
    scan_bytes,
    send_event,
    use_nhs_numbers,
)
from waiting import wait_until
from slack_emulator import TEAM_ID
from slack_requests import event_callback, form_body

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.chroma_server]


def _send_identifiers(cluster, api) -> None:
    n1, n2, n3, n4 = use_nhs_numbers(4, start=999_300_000)
    replica = cluster.a
    send_event(replica.url, event_callback(mention_event(
        f"Patient {n1} and {n2[:3]} {n2[3:6]} {n2[6:]} want online access, can they have it?",
        channel="C0LEAK", ts="1750000000.000001")))
    send_event(replica.url, event_callback({
        "type": "message", "channel_type": "im", "channel": "D0LEAK", "user": "U0USER", "ts": "1750000000.000002",
        "event_ts": "1750000000.000002", "text": f"NHS no {n3[:3]}-{n3[3:6]}-{n3[6:]}: can we hide his results?"}))
    send_event(cluster.b.url, form_body({
        "token": "unused", "team_id": TEAM_ID, "channel_id": "C0LEAK", "channel_name": "general", "user_id": "U0USER",
        "user_name": "someone", "command": "/recordsaccess", "text": f"does {n4} have proxy access?",
        "api_app_id": "A0APP", "response_url": api.response_url("leak"), "trigger_id": "trigger.leak"}),
        content_type="application/x-www-form-urlencoded")
    wait_until(lambda: len(api.calls_to("chat.postMessage", lambda c: c.params.get("channel") in ("C0LEAK", "D0LEAK")))
               >= 2 and api.calls_to("response_url"), 30, 0.1, "the three answers")
    api.settle(quiet=1.0)


def test_no_identifier_token_or_secret_anywhere_the_suite_left_data(cluster, api, artifacts):
    _send_identifiers(cluster, api)
    patterns = leak_patterns(default_secrets())
    assert len(USED_NHS_NUMBERS) >= 4
    # the identifiers really went through the pipeline: the record holds the redacted question
    with cluster.pg.connect(cluster.database) as conn:
        questions = [r[0] for r in conn.execute("SELECT question FROM review_answers WHERE channel_id IN "
                                                "('C0LEAK', 'D0LEAK')")]
    assert len(questions) == 3 and all("[NHS number]" in q for q in questions), questions
    found: dict[str, list[str]] = {}

    # PostgreSQL: rows, then (after a checkpoint) the data files and the server log
    for server in artifacts.postgres:
        dump = server.dump_text().encode()
        assert b"review_answers" in dump
        for label in scan_bytes(dump, patterns):
            found.setdefault(label, []).append(f"postgres rows ({server.port})")
        server.checkpoint()
        artifacts.add_dir(server.data)

    files = artifacts.every_file()
    assert any(f.name.endswith(".log") for f in files)
    assert any(f.name == "chroma.sqlite3" for f in files), "no Chroma data dir was scanned"
    scanned = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:  # e.g. a PostgreSQL file owned by another user and unreadable
            continue
        scanned += len(data)
        for label in scan_bytes(data, patterns):
            found.setdefault(label, []).append(str(path))
    assert scanned > 0
    assert not found, "found where it must never be:\n" + "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_scan_finds_every_spacing_it_looks_for():
    """A control: the patterns catch the numbers however they are spaced, and the secrets verbatim."""
    (number,) = use_nhs_numbers(1, start=999_400_000)
    patterns = leak_patterns(default_secrets())
    for spelt in (number, f"{number[:3]} {number[3:6]} {number[6:]}", f"{number[:3]}-{number[3:6]}-{number[6:]}",
                  f"{number[:3]}\u00a0{number[3:6]}\u00a0{number[6:]}", f"{number[:3]} {number[3:]}"):
        assert f"NHS number {number}" in scan_bytes(f"xx {spelt} yy".encode(), patterns), spelt
    assert not scan_bytes(f"xx 1{number} yy".encode(), {"n": patterns[f"NHS number {number}"]})
    for label, value in default_secrets().items():
        assert label in scan_bytes(b"token=" + value.encode(), patterns)
