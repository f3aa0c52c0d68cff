"""Fixtures for driving the real Bolt app over real HTTP against the local Slack emulator.

    def test_x(slack_api, make_slack_bot, real_assistant):
        bot = make_slack_bot(real_assistant)                 # App + uvicorn on 127.0.0.1:0, client → emulator
        status, _, _ = bot.mention("how do I switch on prospective access in SystmOne?")
        reply = slack_api.wait_for("chat.postMessage")[0]

- `slack_api`: a started `SlackEmulator` (see slack_emulator.py for its API: calls, wait_for, fail, …).
- `make_slack_bot(assistant, **settings_overrides)`: a running bot (`SlackBot`): `.url`, `.services`,
  `.app`, `.send(payload)`, `.mention(text, …)`, `.message(text, …)`, `.command(text, …)`,
  `.action(payload)`; stopped after the test. A review store (SQLite in tmp_path) is attached unless
  `review=False` (`review_index=` gives it an index, so verified answers are indexed). `settings_overrides`
  are Settings fields, e.g. `review_channel="C0REVIEW"`.
- `fake_assistant`: a tiny stand-in with the Assistant interface (deterministic, instant).
- `real_assistant`: the real `bot.pipeline` Assistant on the shared fixture index (session-scoped).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from slack_emulator import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, SlackEmulator  # noqa: E402
from slack_requests import event_callback, form_body, post_signed, user_ts  # noqa: E402

@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    # slack_sdk builds a ProxyHandler from these and ignores NO_PROXY: nothing may leave 127.0.0.1
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack_api():
    api = SlackEmulator().start()
    yield api
    api.stop()


# ------------------------------------------------------------------ assistants
class FakeIndex:
    def __init__(self, chunks: int = 12):
        self.chunks = chunks

    def count(self) -> int:
        return self.chunks

    def info(self):
        from bot.index import IndexInfo

        return IndexInfo(chunks=self.chunks, documents=3, newest_reviewed="2026-11-23", oldest_reviewed="2025-06-01",
                         last_ingest="2026-12-01T09:00:00+00:00", version="v1", verified_active=0)


class FakeAssistant:
    """Answers instantly: "explode" raises, "uncovered" is not_covered, anything else is answered with one source."""

    def __init__(self):
        self.index = FakeIndex()
        self.questions: list[tuple[str, tuple[str, ...]]] = []

    def answer(self, question: str, *, history=()):
        from bot import identifiers, prompts
        from bot.types import Answer, AnswerKind, Citation

        redaction = identifiers.redact(question)
        self.questions.append((redaction.text, tuple(history)))
        if "explode" in question:
            raise RuntimeError("boom: " + question)
        cite = Citation(number=1, chunk_id="c1", doc_id="d1", title="Switching on prospective access",
                        url="https://example.org/switch-on", publisher="NHS England", published="2025-10-01")
        base = dict(question=redaction.text, pii_warning=redaction.has_identifiers, pii_kinds=redaction.kinds)
        if "uncovered" in question:
            return Answer(text=prompts.NOT_COVERED, kind=AnswerKind.not_covered, closest=[cite], **base)
        return Answer(text="Open **Organisation Preferences** and tick the box [1].", kind=AnswerKind.answered,
                      citations=[cite], confidence=0.8, **base)


@pytest.fixture
def fake_assistant():
    return FakeAssistant()


@pytest.fixture(scope="session")
def real_assistant(shared_index_settings, shared_embedder):
    from bot.index import Index
    from bot.pipeline import build_assistant

    assistant = build_assistant(shared_index_settings, index=Index(shared_index_settings, embedder=shared_embedder))
    assistant.warm_up()
    return assistant


# ------------------------------------------------------------------ the running bot
class SlackBot:
    def __init__(self, api: SlackEmulator, services, app, server):
        self.api, self.services, self.app, self.server = api, services, app, server
        self.url = f"http://127.0.0.1:{server.port}"

    def send(self, payload: dict | str, *, headers: dict | None = None, timestamp: int | None = None,
             secret: str = SIGNING_SECRET, content_type: str = "application/json"):
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return post_signed(self.url + "/slack/events", body, secret, content_type=content_type,
                           timestamp=timestamp, headers=headers)

    def mention(self, text: str, *, channel: str = "C0GENERAL", ts: str | None = None, thread_ts: str | None = None,
                user: str = "U0USER", event_id: str | None = None, headers: dict | None = None, **extra):
        ts = ts or user_ts()
        event = {"type": "app_mention", "user": user, "text": f"<@{self.api.bot_user_id}> {text}", "ts": ts,
                 "channel": channel, "event_ts": ts, **extra}
        if thread_ts:
            event["thread_ts"] = thread_ts
        self.api.add_message(channel, ts, event["text"], user=user, thread_ts=thread_ts)
        envelope = event_callback(event, event_id=event_id)
        return (*self.send(envelope, headers=headers), envelope)

    def message(self, text: str, *, channel: str = "C0GENERAL", channel_type: str = "channel",
                ts: str | None = None, thread_ts: str | None = None, user: str = "U0USER", **extra):
        ts = ts or user_ts()
        event = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel,
                 "event_ts": ts, "channel_type": channel_type, **extra}
        if thread_ts:
            event["thread_ts"] = thread_ts
        self.api.add_message(channel, ts, text, user=user, thread_ts=thread_ts)
        envelope = event_callback(event)
        return (*self.send(envelope), envelope)

    def command(self, text: str, *, channel: str = "C0GENERAL", user: str = "U0USER", command: str = "/recordsaccess"):
        fields = {
            "token": "unused", "team_id": TEAM_ID, "team_domain": "test", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": "someone", "command": command, "text": text,
            "api_app_id": "A0APP", "is_enterprise_install": "false",
            "response_url": self.api.response_url("command"), "trigger_id": f"trigger.{user_ts()}",
        }
        return self.send(form_body(fields), content_type="application/x-www-form-urlencoded")

    def action(self, payload: dict):
        return self.send(form_body({"payload": payload}), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def make_slack_bot(slack_api, tmp_path):
    started: list[Any] = []

    def make(assistant, *, review: bool = True, api: SlackEmulator | None = None, review_index=None, **overrides):
        from pydantic import SecretStr
        from slack_sdk import WebClient

        from bot.settings import Settings
        from bot.slack.app import build_app
        from bot.slack.client import make_client
        from bot.slack.services import BotServices
        from bot.slack.server import BotHttpServer

        emulator = api or slack_api
        base = getattr(assistant, "settings", None)
        values = base.model_dump() if base is not None else {
            "gpbot_data_dir": tmp_path / "data", "gpbot_knowledge_dir": tmp_path / "knowledge"}
        values.update(
            slack_bot_token=SecretStr(BOT_TOKEN), slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=emulator.base_url, database_url=f"sqlite:///{tmp_path / 'gpbot.db'}",
        )
        values.update(overrides)
        settings = Settings(_env_file=None, **values)
        store = None
        if review:
            from bot.review.service import ReviewService

            store = ReviewService.from_settings(settings, index=review_index)
        services = BotServices(settings=settings, assistant=assistant, review=store)
        client: WebClient = make_client(settings, services.metrics)
        app = build_app(services, client=client)
        server = BotHttpServer(services, app, host="127.0.0.1", port=0)
        server.start()
        started.append((server, services, store))
        return SlackBot(emulator, services, app, server)

    yield make
    for server, services, store in started:
        server.stop()
        services.close()
        if store is not None:
            store.close()


@pytest.fixture
def spy(real_assistant):
    """The real assistant behind a recorder (`e2e_helpers.Spy`): `.calls`, `.fail_on`."""
    from e2e_helpers import Spy

    return Spy(real_assistant)
