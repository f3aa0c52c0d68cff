"""Fixtures for the review store: SQLite, a real PostgreSQL server, an index with a fake embedder; and
`slack_env`, the review listeners' surroundings: the store, BotServices and a real slack_sdk WebClient on the
local Slack Web API emulator (tests/slack/slack_emulator.py), whose `api` records every call.

PostgreSQL: the session starts its own server (initdb + pg_ctl, 127.0.0.1, a free port) from the
binaries on PATH, /usr/local/bin or /usr/lib/postgresql/*/bin. When they are missing the PostgreSQL
tests FAIL with that reason; set GPBOT_ALLOW_NO_POSTGRES=1 to turn the failure into a loud skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slack"))
from pg_cluster import PostgresServer  # noqa: E402
from review_helpers import FakeEmbedder, make_settings, seed_chunks  # noqa: E402
from slack_emulator import BOT_TOKEN, SlackEmulator  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    if not server.available:
        reason = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, /usr/local/bin or "
            "/usr/lib/postgresql/*/bin: the review store's PostgreSQL tests DID NOT RUN. "
            "Install Debian's postgresql package (.ci/run does)."
        )
        if os.environ.get("GPBOT_ALLOW_NO_POSTGRES") == "1":
            pytest.skip(reason)
        pytest.fail(reason + " (Set GPBOT_ALLOW_NO_POSTGRES=1 to skip instead.)")
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.remove()
        pytest.fail(f"could not start PostgreSQL for the tests: {exc.stderr or exc.stdout}")
    yield server
    server.stop()
    server.remove()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    return postgres_server.url(postgres_server.create_database())


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'review.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def review_env(tmp_path, db_url, fake_embedder):
    """(settings, index, review) on a fresh database and a fresh Chroma dir."""
    from bot.index import Index
    from bot.review.service import ReviewService

    settings = make_settings(
        tmp_path / "data", database_url=db_url, review_channel="CREVIEW", reviewer_user_ids="UREV1, UREV2"
    )
    index = Index(settings, embedder=fake_embedder)
    seed_chunks(index, {"doc-a": "hash-a1", "doc-b": "hash-b1"})
    service = ReviewService.from_settings(settings, index=index)
    yield SimpleNamespace(settings=settings, index=index, review=service, url=db_url)
    service.close()


@pytest.fixture
def slack_env(review_env, monkeypatch):
    """(services, review, index, client, api): listeners are called with `client`; `api` saw every call."""
    from slack_sdk import WebClient

    from bot.slack.services import BotServices

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # nothing may leave 127.0.0.1
    api = SlackEmulator().start()
    services = BotServices(settings=review_env.settings, assistant=None, review=review_env.review)
    client = WebClient(token=BOT_TOKEN, base_url=api.base_url)
    yield SimpleNamespace(services=services, review=review_env.review, index=review_env.index, client=client, api=api)
    services.close()
    api.stop()
