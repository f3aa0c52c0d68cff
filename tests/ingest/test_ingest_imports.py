"""What the ingest packages must not import (their opening docstrings say so; this keeps it true)."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_rules import imported, under

ROOT = Path(__file__).resolve().parents[2]
COMMAND_MODULES = {"cli.py", "sources_cli.py"}  # `gpbot ingest` / `gpbot sources check`: the wiring, lazily


@pytest.mark.parametrize("path", sorted((ROOT / "ingest").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_ingest_imports_neither_the_slack_layer_nor_the_review_store_nor_chroma(path):
    forbidden = ("chromadb",) if path.name in COMMAND_MODULES else ("bot.slack", "bot.review", "chromadb")
    assert not under(imported(path), forbidden)


@pytest.mark.parametrize("path", sorted((ROOT / "ingest" / "readers").glob("*.py")), ids=lambda p: p.name)
def test_readers_import_only_types_prompts_and_each_other(path):
    names = imported(path)
    allowed = ("bot.types", "bot.prompts", "bot.specifics", "ingest.readers")
    assert [n for n in under(names, ("bot", "ingest")) if n != "bot" and not under({n}, allowed)] == []
    assert not under(names, ("httpx", "urllib", "requests", "chromadb")), "a reader does no I/O of its own"


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "identifiers").glob("*.py")), ids=lambda p: p.name)
def test_identifiers_import_nothing_else_of_the_product(path):
    names = imported(path)
    assert not [n for n in under(names, ("bot", "ingest")) if not under({n}, ("bot.identifiers", "bot.specifics"))]


def test_the_month_names_module_imports_nothing_of_the_product():
    """bot.specifics is the one product module identifier detection and the readers may import: it stays a leaf."""
    assert under(imported(ROOT / "bot" / "specifics.py"), ("bot", "ingest")) == []
