"""The index package's import rules (its opening docstring states them; this keeps them true)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bot" / "index"
# the layers above the index: they import it, never the other way round
ABOVE = ("bot.slack", "bot.review", "bot.pipeline", "bot.answer", "bot.repeats", "bot.retrieval", "bot.query", "bot.passage_match",
         "bot.fitted_reranker", "ingest")


def modules_imported(path: Path) -> set[str]:
    """Every module `path` names in an import, function-level ones included (`from a import b`: a and a.b)."""
    nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    plain = {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    froms = [node for node in nodes if isinstance(node, ast.ImportFrom) and node.module]
    return plain | {f.module for f in froms} | {f"{f.module}.{alias.name}" for f in froms for alias in f.names}


def under(names: set[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in names)


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_the_index_imports_no_layer_above_it_and_only_the_store_imports_chroma(path):
    names = modules_imported(path)
    assert [prefix for prefix in ABOVE if under(names, prefix)] == []
    assert under(names, "chromadb") == (path.name == "store.py")
