"""Fuzz: generated patient identifiers (eval/identifier_variants.py) through every surface of the real app
(mention, thread follow-up, DM, assistant pane, slash command, feedback comment modal, correction modal,
and message edits), then every recorded Slack call, every log record, every database row and file, and
every file of the guidance index is scanned: no identifier may be anywhere, and every message is warned.

A sample per surface keeps it quick; eval/identifier_detector.py measures the detector on the full set.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import sys
import unicodedata
from pathlib import Path

import pytest

from slack_emulator import TEAM_ID
from slack_requests import event_callback, user_ts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "eval"))
from identifier_variants import variants  # noqa: E402

from bot.slack import review_blocks as rb  # noqa: E402

pytestmark = pytest.mark.slow

PER_SURFACE = 8
REVIEWER = "U0REVIEWER"


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", text).lower())) + " "


def _alnum(text: str) -> str:
    return "".join(re.findall(r"[a-z0-9]", unicodedata.normalize("NFKC", text).lower()))  # full-width digits too


class LeakScan:
    """Finds the identifiers of the variants sent in any text: long ones in the text with every separator
    removed ("999 186 0916" and "9991860916" alike), short ones word by word."""

    def __init__(self, sent):
        self.needles = []
        for surface, v in sent:
            for kind, a, b in v.truth:
                ident = v.text[a:b]
                long_digits = len(_alnum(ident)) >= 10 and any(c.isdigit() for c in ident)
                self.needles.append((f"{surface}/{kind}", long_digits, _alnum(ident) if long_digits else _words(ident)))

    def __call__(self, text: str, where: str) -> list[str]:
        soup, words = _alnum(text), _words(text)
        return [f"{label} in {where}" for label, long_digits, needle in self.needles
                if (needle in soup if long_digits else needle in words)]


def _view_submission(callback_id: str, metadata: str, value: str, block: str, action: str, user: str) -> dict:
    return {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": user}, "api_app_id": "A0APP",
            "trigger_id": "t.fuzz", "view": {"id": "V1", "type": "modal", "callback_id": callback_id,
                                              "private_metadata": metadata,
                                              "state": {"values": {block: {action: {"type": "plain_text_input",
                                                                                    "value": value}}}}}}


@pytest.fixture
def fuzz_assistant(index_settings, shared_embedder):
    """The real answering core on a private copy of the fixture index (corrections are indexed into it)."""
    from bot.index import Index
    from bot.pipeline import build_assistant

    assistant = build_assistant(index_settings, index=Index(index_settings, embedder=shared_embedder))
    assistant.warm_up()
    return assistant


def test_no_identifier_leaves_the_bot_on_any_surface(slack_api, make_slack_bot, fuzz_assistant, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    bot = make_slack_bot(fuzz_assistant, review_index=fuzz_assistant.index, review_channel="C0REVIEW",
                         reviewer_user_ids=REVIEWER)
    pool = iter(variants(PER_SURFACE * 8, seed=2026))
    batch = {name: [next(pool) for _ in range(PER_SURFACE)]
             for name in ("mention", "thread", "dm", "assistant", "command", "comment", "correction", "edit")}
    sent = [(surface, v) for surface, vs in batch.items() for v in vs]
    n = PER_SURFACE

    def settle(method: str, count: int, where=None):
        slack_api.wait_for(method, count, timeout=120, where=where)

    # mentions (their answers are reused below for the modals)
    for v in batch["mention"]:
        assert bot.mention(v.text, channel="C0FUZZ")[0] == 200
    settle("chat.postMessage", n, lambda c: c.params.get("channel") == "C0FUZZ")
    answers = [json.loads(json.dumps(c.params["blocks"])) for c in slack_api.calls_to(
        "chat.postMessage", lambda c: c.params.get("channel") == "C0FUZZ")]
    answer_ids = [rb.parse_value(e["positive_button"]["value"])["a"] for bl in answers for b in bl
                  if b["type"] == "context_actions" for e in b["elements"]]
    assert len(answer_ids) == n

    # follow-ups in a thread the bot answered
    *_, first = bot.mention("How do I switch on prospective access?", channel="C0THREAD")
    thread_ts = first["event"]["ts"]
    settle("chat.postMessage", 1, lambda c: c.params.get("channel") == "C0THREAD")
    for v in batch["thread"]:
        assert bot.message(v.text, channel="C0THREAD", thread_ts=thread_ts)[0] == 200
    settle("chat.postMessage", n + 1, lambda c: c.params.get("channel") == "C0THREAD")

    # direct messages, and the assistant pane (a thread in the DM)
    for v in batch["dm"]:
        assert bot.message(v.text, channel="D0FUZZ", channel_type="im")[0] == 200
    pane = user_ts()
    for v in batch["assistant"]:
        assert bot.message(v.text, channel="D0PANE", channel_type="im", thread_ts=pane)[0] == 200
    settle("chat.postMessage", 2 * n, lambda c: c.params.get("channel") in ("D0FUZZ", "D0PANE"))

    # the slash command ("You asked ..." must not echo anything)
    for v in batch["command"]:
        assert bot.command(v.text, channel="C0CMD")[0] == 200
    settle("response_url", 2 * n)

    # the "what was wrong?" modal
    for aid, v in zip(answer_ids, batch["comment"]):
        meta = rb.comment_modal(answer_id=aid, item_id=None, channel="C0FUZZ", thread_ts=None).private_metadata
        assert bot.action(_view_submission(rb.COMMENT_CALLBACK, meta, v.text, rb.COMMENT_BLOCK, rb.COMMENT_INPUT,
                                           "U0USER"))[0] == 200

    # the reviewer's correction modal (posted into the asker's thread and indexed as a verified answer)
    for aid, v in zip(answer_ids, batch["correction"]):
        item = bot.services.review.open_review(aid, "escalated")
        meta = rb.correction_modal(item_id=item.id, question="q", answer_text="a", citations=[],
                                   card_channel="C0REVIEW", card_ts=None).private_metadata
        assert bot.action(_view_submission(rb.CORRECTION_CALLBACK, meta, v.text, rb.ANSWER_BLOCK, rb.ANSWER_INPUT,
                                           REVIEWER))[0] == 200

    # edits that add the identifiers
    for v in batch["edit"]:
        ts = user_ts()
        edit = {"type": "message", "subtype": "message_changed", "channel": "C0EDIT", "channel_type": "channel",
                "ts": user_ts(), "message": {"type": "message", "user": "U0USER", "text": v.text, "ts": ts,
                                             "edited": {"user": "U0USER", "ts": user_ts()}},
                "previous_message": {"type": "message", "user": "U0USER", "text": "a question", "ts": ts}}
        assert bot.send(event_callback(edit))[0] == 200
    settle("chat.postEphemeral", n, lambda c: c.params.get("channel") == "C0EDIT")
    settle("chat.postEphemeral", n, lambda c: c.params.get("user") == REVIEWER)
    slack_api.settle(quiet=1.0, timeout=60)

    # every message was warned, privately, in plain words
    def warned(where) -> int:
        return len([c for c in slack_api.calls if c.method in ("chat.postEphemeral", "response_url") and where(c)
                    and "removed" in (c.params.get("text") or "")])

    for channel in ("C0FUZZ", "C0THREAD", "D0FUZZ", "D0PANE", "C0EDIT"):
        assert warned(lambda c, ch=channel: c.params.get("channel") == ch and "comment" not in c.params["text"]) == n, \
            channel
    assert warned(lambda c: c.method == "response_url") == n
    assert warned(lambda c: c.params.get("user") == REVIEWER) == n
    comments = [c for c in slack_api.calls_to("chat.postEphemeral") if "comment" in (c.params.get("text") or "")]
    assert len(comments) == n

    # nothing anywhere (the scan finds every identifier in the message it was sent in: a control)
    scan = LeakScan(sent)
    for surface, v in sent:
        assert len(LeakScan([(surface, v)])(v.text, "the message sent")) == len(v.truth), v.form
    found: list[str] = []
    for call in slack_api.calls:
        found += scan(json.dumps(call.params, ensure_ascii=False), f"Slack {call.method}")
    for record in caplog.records:
        found += scan(record.getMessage() + (record.exc_text or ""), f"log {record.name}")
    db_path = tmp_path / "gpbot.db"
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {t: conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
    assert rows["review_answers"] and rows["review_feedback"] and rows["review_verified"]
    for table, content in rows.items():
        found += scan(json.dumps(content, default=str, ensure_ascii=False), f"table {table}")
    files = [p for p in tmp_path.rglob("gpbot.db*")] + [p for p in fuzz_assistant.settings.data_dir.rglob("*")
                                                        if p.is_file()]
    assert any(p.name == "chroma.sqlite3" for p in files)
    for path in files:
        found += scan(path.read_bytes().decode("utf-8", errors="replace"), f"file {path.name}")
    assert not found, "identifiers left the bot:\n" + "\n".join(sorted(set(found)))
