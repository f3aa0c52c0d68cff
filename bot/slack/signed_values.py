"""Button values and modal `private_metadata` signed by the app, so a forged or edited one is refused.

Every value the app puts in a button or a modal is compact JSON with an "s" field: an HMAC-SHA256 over
the other fields (sorted, compact), truncated to 128 bits, keyed with a key derived from the Slack
signing secret (or, in Socket Mode without one, the bot token; else a random per-process key).

    value = signed_json({"a": answer_id, "v": "up"})
    parse_signed(value) -> {"a": ..., "v": "up"}   # {} when unsigned, forged, edited or not JSON
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

_CONTEXT = b"gpbot slack button values v1"
_key: bytes = os.urandom(32)


def derive_key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()


def configure(secret: str | None) -> None:
    """Use a key derived from `secret` (the signing secret): every replica then signs alike."""
    global _key
    if secret:
        _key = derive_key(secret)


def _mac(fields: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def signed_json(fields: dict[str, Any], *, secret: str | None = None) -> str:
    """`fields` as compact JSON with their signature ("s")."""
    key = derive_key(secret) if secret else _key
    return json.dumps({**fields, "s": _mac(fields, key)}, separators=(",", ":"))


def parse_signed(value: Any) -> dict[str, Any]:
    """The fields of a value this app signed; {} for anything else (logged, never trusted)."""
    if not isinstance(value, str) or not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str):
        log.warning("an unsigned button value or modal metadata was refused")
        return {}
    signature = data.pop("s")
    if not hmac.compare_digest(signature, _mac(data, _key)):
        log.warning("a button value or modal metadata with a bad signature was refused")
        return {}
    return data
