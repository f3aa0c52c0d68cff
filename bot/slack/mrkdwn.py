"""Markdown → Slack mrkdwn and plain text: the one place the Slack layer converts the core's text; and the
way back, `strip_slack_markup`: a message's wire format (mentions, links, emoji, entities) → the plain text
the core reads.

Also the mrkdwn pieces both message builders (`blocks`, `review_blocks`) use: `split_sections` (long
mrkdwn into section-sized pieces without breaking a link or an entity), `source_line` (one citation) and
`is_user_id` (render `<@id>` or the plain name).
"""

from __future__ import annotations

import html
import re
from typing import Any, Mapping

from bot.types import Citation

SECTION_LIMIT = 3000  # Slack rejects section text over 3,000 characters


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


# ------------------------------------------------------------------ splitting
_UNSPLITTABLE = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);")  # <url|label>, <@U…>, <!date^…>, entities


def _cut_outside_tokens(text: str, cut: int) -> int:
    """`cut`, moved back to the start of a `<…>` link or `&…;` entity it would fall inside."""
    for match in _UNSPLITTABLE.finditer(text):
        if match.start() >= cut:
            break
        if match.end() > cut and match.start() > 0:
            return match.start()
    return cut


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split mrkdwn into pieces ≤ limit, at paragraph, then line, then word boundaries, never inside a
    `<url|label>` link or an `&amp;`-style entity."""
    pieces: list[str] = []
    current = ""
    for paragraph in re.split(r"(\n{2,})", text):
        if len(current) + len(paragraph) <= limit:
            current += paragraph
            continue
        if current.strip():
            pieces.append(current.strip("\n"))
        current = ""
        while len(paragraph) > limit:
            cut = paragraph.rfind("\n", 0, limit)
            if cut < limit // 2:
                cut = paragraph.rfind(" ", 0, limit)
            if cut < limit // 2:
                cut = limit
            cut = _cut_outside_tokens(paragraph, cut)
            pieces.append(paragraph[:cut].strip("\n"))
            paragraph = paragraph[cut:].lstrip(" \n")
        current = paragraph
    if current.strip():
        pieces.append(current.strip("\n"))
    return [p for p in pieces if p.strip()] or [""]


# ------------------------------------------------------------------ citations and people
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def is_user_id(value: str | None) -> bool:
    """A Slack user id (`U…`/`W…`, upper case and digits): render as `<@id>`; anything else is a name."""
    return bool(value and _USER_ID.match(value))


def as_citation(value: Citation | Mapping[str, Any], number: int = 1) -> Citation:
    """A `Citation` from a model or a stored dict (missing fields: empty, `number` from the position)."""
    if isinstance(value, Citation):
        return value
    data = {"number": number, "chunk_id": "", "doc_id": "", "title": ""}
    data.update({k: v for k, v in value.items() if v is not None})
    return Citation.model_validate(data)


def source_line(c: Citation) -> str:
    """`[n] <url|title> — section · publisher · date` (the link only for http(s) URLs)."""
    title = link_label(c.title or c.doc_id or "source")
    label = f"<{c.url}|{title}>" if c.url.startswith(("https://", "http://")) else title
    if c.section:
        label += f" — {escape(c.section)}"
    date = c.published or (f"reviewed {c.last_reviewed}" if c.last_reviewed else "")
    extras = [escape(x) for x in (c.publisher, date) if x]
    return " · ".join([f"[{c.number}] {label}", *extras])


# ------------------------------------------------------------------ Slack's wire format → plain text
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#C[A-Z0-9]+\|([^>]*)>|<#C[A-Z0-9]+>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(?:here|channel|everyone)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_EMOJI = re.compile(r":(?:\+1|-1|100|1234|[a-z0-9_+\-]*[a-z][a-z0-9_+\-]*):(?::skin-tone-\d:)?")
_SPACES = re.compile(r"\s+")


def strip_slack_markup(text: str) -> str:
    """Slack's wire format → the plain question a person typed. Identifiers are found in the raw text first
    (`BotServices.redact`): run this on the redacted text."""
    text = _USER_MENTION.sub(" ", text or "")
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}" if m.group(1) else " ", text)
    text = _SUBTEAM.sub(lambda m: m.group(1) or " ", text)
    text = _SPECIAL.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _EMOJI.sub(" ", text)
    text = html.unescape(text)
    text = re.sub(r"(?<!\w)[*_~`]+|[*_~`]+(?!\w)", " ", text)  # bold/italic/strike/code markers
    return _SPACES.sub(" ", text).strip()
