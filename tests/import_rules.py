"""What a module imports, read from its source (for the tests that keep each package's import rule true)."""

from __future__ import annotations

import ast
from pathlib import Path


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


def under(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    """The names that are one of `prefixes` or inside one of them, sorted."""
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))
