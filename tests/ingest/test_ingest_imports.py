"""What the ingest packages must not import (their opening docstrings say so; this keeps it true)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND_MODULES = {"cli.py", "sources_cli.py"}  # `gpbot ingest` / `gpbot sources check`: the wiring, lazily


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports included); `from a import b` counts
    as both `a` and `a.b`, so `from bot import slack` is caught."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _under(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("path", sorted((ROOT / "ingest").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_ingest_imports_neither_the_slack_layer_nor_the_review_store_nor_chroma(path):
    forbidden = ("chromadb",) if path.name in COMMAND_MODULES else ("bot.slack", "bot.review", "chromadb")
    assert not _under(imported(path), forbidden)


@pytest.mark.parametrize("path", sorted((ROOT / "ingest" / "readers").glob("*.py")), ids=lambda p: p.name)
def test_readers_import_only_types_prompts_and_each_other(path):
    names = imported(path)
    allowed = ("bot.types", "bot.prompts", "ingest.readers")
    assert [n for n in _under(names, ("bot", "ingest")) if n != "bot" and not _under({n}, allowed)] == []
    assert not _under(names, ("httpx", "urllib", "requests", "chromadb")), "a reader does no I/O of its own"


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "identifiers").glob("*.py")), ids=lambda p: p.name)
def test_identifiers_import_nothing_else_of_the_product(path):
    names = imported(path)
    assert not [n for n in _under(names, ("bot", "ingest")) if not n.startswith("bot.identifiers")]
