"""What a message carries besides its own words, read for the identifier warning only.

Staff share a letter named after the patient, paste a long note that Slack turns into a snippet, or forward a message
that names one. That text is in the channel as much as the question is, so the poster is warned about identifiers in
it (`bot.slack.answering`); it is never answered, stored, posted or logged.

Read: each file's name (without its extension) and title, a snippet's, post's or email's preview and an email's subject,
and each forwarded or linked Slack message (`is_share`, `is_msg_unfurl`): its text, its rich-text blocks and its own
files. Not read: a forwarded message's author and the date line Slack puts before it in `fallback` (a colleague's
name, a posting date), and previews of web pages and apps (public text the poster did not write). Files shared from
another organisation (Slack Connect) arrive without a name until `files.info` is called, which the bot does not do.
"""

from __future__ import annotations

import re
from typing import Any

from bot.slack.payloads import message_text

# a file name's extension ("letter.pdf"; never "14.03.1957"), and the time a screenshot's default name ends with
# ("Screenshot 2026-12-07 at 10.15.32", "Capture d'écran … à 10.15.32"), which reads like a date
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")
_SCREENSHOT_TIME = re.compile(r"\b(?:at|à) \d{1,2}[.:]\d{2}[.:]\d{2}\b")
_PREVIEWED_MODES = ("snippet", "post", "email", "docs")
# Slack's fallback for a forwarded message: "[December 7th, 2026 10:15 AM] sarah.thompson: …"
_FALLBACK_HEADER = re.compile(r"^\[[^\]]*\] [^:\n]*: ?")


def shared_text(event: Any) -> str:
    """What `event` (a message) carries besides its own words, one piece a line; "" when nothing."""
    if not isinstance(event, dict):
        return ""
    parts = _files_text(event.get("files"))
    for attachment in _dicts(event.get("attachments")):
        if not (attachment.get("is_share") or attachment.get("is_msg_unfurl") or attachment.get("message_blocks")):
            continue  # a web page's or an app's preview
        forwarded = [message_text({"blocks": m.get("blocks")}) for m in
                     (b.get("message") for b in _dicts(attachment.get("message_blocks"))) if isinstance(m, dict)]
        text = attachment.get("text") if isinstance(attachment.get("text"), str) else ""
        fallback = attachment.get("fallback") if isinstance(attachment.get("fallback"), str) else ""
        parts += [text, *forwarded] if (text or any(forwarded)) else [_FALLBACK_HEADER.sub("", fallback)]
        parts += [attachment.get("pretext") or "", *_files_text(attachment.get("files"))]
    return "\n".join(dict.fromkeys(p.strip() for p in parts if isinstance(p, str) and p.strip()))


def _files_text(files: Any) -> list[str]:
    out: list[str] = []
    for f in _dicts(files):
        name, title = f.get("name"), f.get("title")
        if isinstance(name, str):
            out.append(_SCREENSHOT_TIME.sub(" ", _EXTENSION.sub("", name).replace("_", " ")))
        if isinstance(title, str):
            out.append(_SCREENSHOT_TIME.sub(" ", title))
        if f.get("mode") in _PREVIEWED_MODES or f.get("filetype") == "email":
            out += [f.get(k) for k in ("preview", "plain_text", "subject") if isinstance(f.get(k), str)]
    return out


def _dicts(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
