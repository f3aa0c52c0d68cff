"""`.env.example`, written from the settings classes: a field's description (its attribute docstring) is its
comment, a section's docstring its heading. `python -m bot.settings.example` rewrites the file; a test checks it
is current."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path
from typing import Any


from bot.settings import SECTIONS

HEADER = """\
# gpbot configuration. Copy to .env and fill in what you need; every variable is optional unless noted.
# A missing or malformed setting stops start-up with one line naming it.
# Written by `python -m bot.settings.example` from bot/settings/: edit the descriptions there.
"""
WIDTH = 112


def _value(default: Any) -> str:
    if default is None:
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)


def _comment(text: str) -> list[str]:
    lines = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            lines.append("")
            continue
        indent = len(paragraph) - len(paragraph.lstrip())
        lines += textwrap.wrap(paragraph.strip(), WIDTH - 2, initial_indent=" " * indent, subsequent_indent=" " * indent,
                               break_on_hyphens=False) or [""]
    return [f"# {line}".rstrip() for line in lines]


def _prose(description: str) -> str:
    """A field's docstring as the text it says: lines joined, a blank line kept as a paragraph break."""
    return "\n".join(" ".join(paragraph.split()) for paragraph in description.split("\n\n"))


def _section(title: str, intro: str, fields: dict) -> list[str]:
    out = ["", f"# --- {title} ---"]
    if intro:
        out += _comment(intro)
    for name, field in fields.items():
        out += _comment(_prose(field.description or ""))
        out.append(f"{name.upper()}={_value(field.default)}")
    return out


def render() -> str:
    lines = [HEADER.rstrip("\n")]
    for section in SECTIONS.values():
        title, _, intro = inspect.cleandoc(section.__doc__ or "").partition("\n")
        lines += _section(title.strip(), intro.strip("\n"), section.model_fields)
    return "\n".join(lines) + "\n"


def main(path: Path = Path(".env.example")) -> None:
    path.write_text(render())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
