"""Markdown → Slack mrkdwn and plain text: the one place the Slack layer converts the core's text."""

from __future__ import annotations

import re


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_CODE_BLOCK = re.compile(r"```.*?```", re.S)
_CODE_SPAN = re.compile(r"`[^`\n]+`")
_MD_LINK = re.compile(r"\[([^\[\]\n]+)\]\(\s*(https?://[^\s)]+)\s*\)")
_BARE_URL = re.compile(r"(?<![<|(])\bhttps?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.M)


def link_label(label: str) -> str:
    """A link label safe inside <url|label>."""
    return escape(label).replace("|", "¦")


def to_mrkdwn(markdown: str) -> str:
    """Convert the core's Markdown to Slack mrkdwn.

    `**bold**`/`__bold__` → `*bold*`, `~~x~~` → `~x~`, `[label](url)` → `<url|label>`, `# Heading` →
    `*Heading*`, `- item` → `• item`; `&`, `<`, `>` escaped everywhere except inside the links this
    function makes; `[n]` citation markers, `*x*`, `_x_` and code are kept as they are.
    """
    if not markdown:
        return ""
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    text = markdown.replace("\x00", "")
    text = _CODE_BLOCK.sub(lambda m: keep(escape(m.group(0))), text)
    text = _CODE_SPAN.sub(lambda m: keep(escape(m.group(0))), text)
    text = _MD_LINK.sub(lambda m: keep(f"<{m.group(2)}|{link_label(m.group(1))}>"), text)
    text = _BARE_URL.sub(lambda m: keep(f"<{m.group(0)}>"), text)
    text = escape(text)
    text = _HEADING.sub(lambda m: f"*{m.group(1).strip('*')}*", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def to_plain(markdown: str) -> str:
    """The answer as plain text for the `text` fallback: links as `label (url)`, no emphasis marks."""
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", markdown or "")
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _HEADING.sub(lambda m: m.group(1), text)
    return escape(text)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
