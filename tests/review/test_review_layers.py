"""The review store's boundaries (bot/review/__init__.py): it imports neither the Slack layer nor Chroma, and
the answering core does not import it (the pipeline is handed a `verified_lookup`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ("pipeline.py", "retrieval.py", "answer.py", "safeguarding.py", "guard.py", "index.py", "types.py")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def offending(paths, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(m for m in imported_modules(path) if m.startswith(forbidden))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_review_store_imports_neither_slack_nor_chroma():
    paths = list((ROOT / "bot" / "review").rglob("*.py"))
    assert len(paths) >= 8
    assert offending(paths, ("bot.slack", "chromadb")) == {}


def test_the_answering_core_does_not_import_the_review_store():
    paths = [ROOT / "bot" / name for name in CORE if (ROOT / "bot" / name).exists()]
    paths += list((ROOT / "bot" / "index").rglob("*.py")) if (ROOT / "bot" / "index").is_dir() else []
    assert ROOT / "bot" / "pipeline.py" in paths
    assert offending(paths, ("bot.review",)) == {}
