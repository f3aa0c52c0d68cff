"""Fixtures shared by the whole suite.

The small index the tests share is built once per test session from tests/fixtures/corpus
(embedding runs at ~36 chunks/s here, so the fixture corpus is a handful of short documents).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"

# Tokens and secrets a test may set must never come from the developer's own .env.
for _name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "LLM_MODEL", "DATABASE_URL",
              "CHROMA_HOST", "REVIEW_CHANNEL", "GPBOT_DATA_DIR", "GPBOT_KNOWLEDGE_DIR"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def fixture_corpus_dir() -> Path:
    return FIXTURE_CORPUS


@pytest.fixture(scope="session")
def shared_embedder():
    """One embedding model for the whole session: the configured default (ONNX when `make install` exported
    it, else torch with a warning)."""
    from bot.index.embedder import load_embedder
    from bot.settings import Settings

    return load_embedder(Settings(_env_file=None))


def make_settings(data_dir: Path, knowledge_dir: Path = FIXTURE_CORPUS, **overrides):
    from bot.settings import Settings

    return Settings(_env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=knowledge_dir, **overrides)


@pytest.fixture(scope="session")
def shared_index_dir(tmp_path_factory, shared_embedder) -> Path:
    """A data dir holding an index of the fixture corpus, built once per session. Treat as read-only:
    copy it (see `index_settings`) when a test writes."""
    from bot.index import Index
    from ingest.pipeline import run_ingest

    data_dir = tmp_path_factory.mktemp("shared-index")
    settings = make_settings(data_dir)
    index = Index(settings, embedder=shared_embedder)
    summary = run_ingest(settings, [str(FIXTURE_CORPUS)], index=index, progress=False)
    assert not summary.failed, summary.failed
    return data_dir


@pytest.fixture(scope="session")
def shared_index_settings(shared_index_dir):
    """Settings pointing at the shared, read-only fixture index."""
    return make_settings(shared_index_dir)


@pytest.fixture
def index_settings(shared_index_dir, tmp_path):
    """Settings pointing at a private copy of the fixture index, for tests that write."""
    data_dir = tmp_path / "data"
    shutil.copytree(shared_index_dir, data_dir)
    return make_settings(data_dir)


# ------------------------------------------------------------------ the canned language model (tests/llm_server.py)
@pytest.fixture
def llm_server():
    """A canned OpenAI-compatible server on 127.0.0.1 (grounded answers by default), stopped after the test."""
    from llm_server import CannedLLMServer

    with CannedLLMServer() as server:
        yield server


@pytest.fixture
def llm_assistant(shared_index_settings, shared_embedder, llm_server):
    """The real answering core on the shared fixture index, writing its answers with the canned model."""
    from bot.index import Index
    from bot.pipeline import build_assistant

    settings = shared_index_settings.replace(llm_base_url=llm_server.base_url, llm_timeout_seconds=5.0)
    return build_assistant(settings, index=Index(settings, embedder=shared_embedder))


@pytest.fixture(scope="session")
def annotated_assistant(tmp_path_factory, shared_embedder):
    """A tiny index of tests/fixtures/annotated: sources comments, references.yaml, questions.yaml."""
    from bot.index import Index
    from bot.pipeline import build_assistant
    from ingest.pipeline import run_ingest

    corpus = Path(__file__).parent / "fixtures" / "annotated"
    settings = make_settings(tmp_path_factory.mktemp("annotated"), corpus)
    index = Index(settings, embedder=shared_embedder)
    assert not run_ingest(settings, [str(corpus)], index=index, progress=False).failed
    return build_assistant(settings, index=index)
