"""Fixtures for the ingest tests: one embedder for the session, wrapped to count what it embeds."""

from __future__ import annotations

import pytest

from ingest_helpers import CountingEmbedder


@pytest.fixture(scope="session")
def ingest_embedder(request):
    """The suite's shared embedder when the root conftest has one, else our own (loaded once)."""
    try:
        return request.getfixturevalue("shared_embedder")
    except pytest.FixtureLookupError:
        from bot.index.embedder import load_embedder
        from bot.settings import Settings

        return load_embedder(Settings(_env_file=None))


@pytest.fixture
def counting(ingest_embedder):
    return CountingEmbedder(ingest_embedder)
