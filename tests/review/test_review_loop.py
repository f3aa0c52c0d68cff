"""The whole review loop through the real Bolt app over HTTP, the local Slack Web API emulator
(tests/slack/slack_emulator.py) and payloads signed exactly as Slack signs them:

question → 👎 → review card → (a non-reviewer's click changes nothing) → Correct → modal submit →
corrected reply in the original thread (the query adapter refitted in the background) → the same question in
other words gets the verified answer →
an ingest that changes the cited document marks it needs-review → a stale card in the review channel,
and the verified answer is no longer given.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slack"))
from slack_emulator import BOT_TOKEN, BOT_USER_ID, SIGNING_SECRET, SlackEmulator  # noqa: E402
from slack_requests import event_callback, form_body, post_signed  # noqa: E402

from review_helpers import make_settings  # noqa: E402

pytestmark = pytest.mark.slow

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
QUESTION = "Should a practice review a parent's proxy access when their child turns 11?"
PARAPHRASE = "Does parental proxy access to a child's record need reviewing once the child is 11?"
CORRECTED = "Yes. At 11 the practice reviews the parent's proxy access and assesses the child's competence [1]."


@pytest.fixture
def loop(tmp_path, shared_embedder, monkeypatch):
    from slack_sdk import WebClient

    from bot.index import Index
    from bot.pipeline import build_assistant
    from bot.review.service import ReviewService
    from bot.slack.app import build_app
    from bot.slack.services import BotServices
    from bot.slack.server import BotHttpServer
    from ingest.pipeline import run_ingest

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    corpus = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    api = SlackEmulator().start()
    settings = make_settings(
        tmp_path / "data", gpbot_knowledge_dir=corpus, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api.base_url, review_channel="CREVIEW", reviewer_user_ids="UREV1",
        stale_check_seconds=0,  # check for stale cards on every request
    )
    index = Index(settings, embedder=shared_embedder)
    summary = run_ingest(settings, [str(corpus)], index=index, progress=False)
    assert not summary.failed
    review = ReviewService.from_settings(settings, index=index, refit_in_background=True)  # as the server opens it
    review.adapter_refits.delay_s = 0
    assistant = build_assistant(settings, index=index, verified_lookup=review.get_verified)
    services = BotServices(settings, assistant, review)
    app = build_app(services, client=WebClient(token=BOT_TOKEN, base_url=api.base_url))
    server = BotHttpServer(services, app, host="127.0.0.1", port=0)
    port = server.start()
    state = type("Loop", (), {})()
    state.api, state.settings, state.index, state.review, state.corpus = api, settings, index, review, corpus
    state.url = f"http://127.0.0.1:{port}/slack/events"
    yield state
    server.stop()
    services.close()
    review.close()
    api.stop()


def send_event(loop, event: dict) -> None:
    status, body, _ = post_signed(loop.url, json.dumps(event_callback(event)))
    assert status == 200, body


def mention(loop, text: str, ts: str, channel: str = "CASK", user: str = "UASK") -> dict:
    send_event(loop, {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
                      "channel": channel, "event_ts": ts})
    [reply] = loop.api.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == ts
                                and c.params.get("channel") == channel, timeout=60)
    return reply.params


def interact(loop, payload: dict) -> tuple[int, str]:
    status, body, _ = post_signed(loop.url, form_body({"payload": payload}),
                                  content_type="application/x-www-form-urlencoded")
    return status, body


def block_action(user: str, channel: str, message: dict, action: dict) -> dict:
    return {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"trig-{time.monotonic_ns()}",
        "channel": {"id": channel, "name": "general"},
        "message": message,
        "response_url": "http://127.0.0.1:9/hooks/unused",
        "actions": [{**action, "block_id": action.get("block_id", "b1"), "action_ts": str(time.time())}],
    }


def find_element(blocks: list[dict], kind: str) -> dict:
    for block in blocks:
        for element in block.get("elements", []) or []:
            if isinstance(element, dict) and element.get("type") == kind:
                return element
    raise AssertionError(f"no {kind} element in {json.dumps(blocks)[:500]}")


def all_text(params: dict) -> str:
    return json.dumps(params.get("blocks"), ensure_ascii=False) + str(params.get("text", ""))


def test_review_loop(loop):
    api = loop.api
    # 1. a question, answered in its thread with feedback buttons
    reply = mention(loop, QUESTION, ts="1700000000.000100")
    feedback = find_element(reply["blocks"], "feedback_buttons")
    reply_ts = [m for m in api.messages if m.get("thread_ts") == "1700000000.000100"][-1]["ts"]
    reply_message = {"type": "message", "ts": reply_ts, "thread_ts": "1700000000.000100", "text": reply["text"],
                     "user": BOT_USER_ID, "blocks": reply["blocks"]}

    # 2. 👎 → thanks, the "what was wrong?" modal, a review card in the review channel
    down = feedback["negative_button"]["value"]
    status, _ = interact(loop, block_action("UASK", "CASK", reply_message,
                                            {"type": "feedback_buttons", "action_id": "feedback", "value": down}))
    assert status == 200
    [card] = api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "CREVIEW")
    api.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "review_feedback_comment")
    api.wait_for("chat.postEphemeral", where=lambda c: c.params.get("user") == "UASK")
    assert "Should a practice review" in all_text(card.params)
    assert "https://test.slack.com/archives/CASK/" in all_text(card.params)  # chat.getPermalink link
    card_ts = [m for m in api.messages if m["channel"] == "CREVIEW"][-1]["ts"]
    buttons = [b for b in card.params["blocks"] if b["type"] == "actions"][0]["elements"]
    correct = next(b for b in buttons if b["action_id"] == "review_correct")
    card_message = {"type": "message", "ts": card_ts, "text": card.params["text"], "user": BOT_USER_ID}

    # 3. a non-reviewer's click changes nothing
    interact(loop, block_action("UNOBODY", "CREVIEW", card_message,
                                {"type": "button", "action_id": "review_correct", "value": correct["value"]}))
    api.wait_for("chat.postEphemeral", where=lambda c: c.params.get("user") == "UNOBODY")
    api.settle(0.3)
    assert not api.calls_to("views.open", where=lambda c: c.params["view"]["callback_id"] == "review_correction")
    assert [i["status"] for i in loop.review.list_reviews()] == ["open"]

    # 4. the reviewer corrects it in the modal
    interact(loop, block_action("UREV1", "CREVIEW", card_message,
                                {"type": "button", "action_id": "review_correct", "value": correct["value"]}))
    [opened] = api.wait_for("views.open", where=lambda c: c.params["view"]["callback_id"] == "review_correction")
    view = opened.params["view"]
    answer_input = [b for b in view["blocks"] if b["type"] == "input"][0]
    assert answer_input["block_id"] == "answer" and answer_input["element"]["initial_value"]
    submission = {
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "test"},
        "user": {"id": "UREV1", "username": "urev1", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": "trig-submit",
        "view": {**view, "id": "V0VIEW", "team_id": "T0TEAM", "state": {"values": {
            "answer": {"answer": {"type": "plain_text_input", "value": CORRECTED}}}}},
        "response_urls": [],
    }
    version = loop.index.current_version().get("version")
    status, body = interact(loop, submission)
    assert status == 200 and "errors" not in body

    # 5. the corrected answer in the asker's thread; the card in its final state
    [corrected] = api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "CASK"
                               and "Corrected by the support team" in str(c.params.get("text")))
    assert corrected.params["thread_ts"] == "1700000000.000100"
    assert "assesses the child" in all_text(corrected.params)
    final = api.wait_for("chat.update", where=lambda c: c.params.get("ts") == card_ts
                           and "Corrected" in all_text(c.params))
    assert "<@UREV1>" in all_text(final[-1].params)
    [verified] = loop.review.list_verified(status="active")
    assert verified.answer == CORRECTED
    # the query adapter learns from the active verified answers: the correction asked for a background refit, which
    # finds the adapter up to date (a correction in the reviewer's own words quotes no passage, so teaches nothing)
    assert loop.review.adapter_refits.wait(60) and loop.review.adapter_refits.fits == 1
    assert not loop.index.adapter_missed_a_change() and loop.index.current_version().get("version") == version

    # 6. the same question in other words gets the verified answer
    again = mention(loop, PARAPHRASE, ts="1700000100.000100", channel="COTHER", user="UOTHER")
    assert "Verified by the support team" in all_text(again) and "assesses the child" in all_text(again)

    # 7. an ingest that changes the cited document marks it needs-review
    from ingest.cli import flag_verified_answers
    from ingest.pipeline import run_ingest

    cited = set(verified.cited_doc_ids)
    assert cited, "the verified answer cites documents"
    changed_file = next(p for p in loop.corpus.rglob("*.md") if any(d.endswith(p.name) for d in cited))
    changed_file.write_text(changed_file.read_text() + "\n\nA new paragraph added by a later revision.\n")
    summary = run_ingest(loop.settings, [str(loop.corpus)], index=loop.index, progress=False)
    assert set(summary.changed_doc_ids) & cited
    assert flag_verified_answers(loop.settings, loop.index, summary.changed_doc_ids) == 1
    assert loop.review.get_verified(verified.verified_id).status == "needs_review"

    # 8. the running bot posts the stale card, and stops giving the verified answer
    third = mention(loop, PARAPHRASE, ts="1700000200.000100", channel="COTHER", user="UOTHER")
    assert "Verified by the support team" not in all_text(third)
    [stale] = api.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "CREVIEW"
                           and "needs review" in all_text(c.params))
    assert CORRECTED[:20] in all_text(stale.params)
