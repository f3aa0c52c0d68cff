"""The codebase's shape: short modules and classes, and packages that say (and keep) what they must not import.

Limits from issue 13: no module over 350 lines, no class over 200. Each package's opening docstring says what
it owns and what it must not import; the import rules of the answering core are checked here (the ingest,
identifiers, review and Slack packages have their own tests)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from import_rules import imported, under

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 350
MAX_CLASS_LINES = 200
PYTHON = sorted(p for folder in ("bot", "ingest", "tests", "eval", "bench")
                for p in (ROOT / folder).rglob("*.py"))
PACKAGES = sorted(p.parent for p in (ROOT / "bot").rglob("__init__.py")) + sorted(
    p.parent for p in (ROOT / "ingest").rglob("__init__.py"))
# The entry points wire the core to the Slack layer and the review store: they alone may import both.
CORE_WIRING = {"cli.py", "console.py", "startup.py", "cli_docs.py"}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", PYTHON, ids=_rel)
def test_no_module_over_350_lines_and_no_class_over_200(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{_rel(path)}: split it by job"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_CLASS_LINES, f"{_rel(path)}: class {node.name} is {length} lines"


@pytest.mark.parametrize("package", PACKAGES, ids=_rel)
def test_every_package_says_what_it_owns_and_must_not_import(package):
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert len(doc) > 80, f"{_rel(package)}: an opening docstring saying what the package owns"
    assert "must not import" in doc.lower() or "never import" in doc.lower(), f"{_rel(package)}: its import rule"


@pytest.mark.parametrize("path", sorted((ROOT / "bot").glob("*.py")), ids=_rel)
def test_the_answering_core_imports_neither_slack_nor_the_review_store_nor_chroma(path):
    forbidden = ("chromadb",) if path.name in CORE_WIRING else ("bot.slack", "bot.review", "chromadb", "slack_bolt",
                                                                 "slack_sdk")
    found = under(imported(path), forbidden)
    assert not found, f"{_rel(path)} imports {found}"
