"""Log lines safe to keep: no Slack tokens, no configured secrets, no patient identifiers, no request bodies.

    install_log_scrubbing(settings)   # real runs: every root handler scrubs every library's records
    bolt_logger(settings)             # Bolt's base logger (WARNING at most chatty, scrubbed)
    scrub(text, secrets)              # one string
"""

from __future__ import annotations

import logging
import re

from bot import identifiers
from bot.settings import Settings

_TOKEN = re.compile(r"\bx(?:ox[abpre]|app)-[A-Za-z0-9-]+")
_BODYISH = re.compile(r"(body: |for the request \(|Unhandled request \().*", re.S)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Text safe to log: no tokens, no given secrets, no patient identifiers."""
    text = _TOKEN.sub("[token]", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return identifiers.redact(text).text


class ScrubFilter(logging.Filter):
    """Rewrites every record it sees: request bodies Bolt would log are cut, then tokens, secrets and
    patient identifiers are removed. Attach to handlers (it then covers every logger) and to Bolt's
    base logger (Bolt copies it to all its loggers)."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        if "`token` will be unused" in message:
            return False  # Bolt also read SLACK_BOT_TOKEN from the environment; we pass our own client
        if "Invalid request signature" in message:
            message = "Invalid request signature detected (request rejected with 401; body not logged)"
        elif record.name.startswith(("slack_bolt", "slack_sdk", "gpbot.bolt")):
            message = _BODYISH.sub(lambda m: m.group(1) + "…)", message)
        record.msg = scrub(message, self.secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # keep the traceback shape, lose the exception's message (it may quote the input)
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


def _secrets(settings: Settings) -> tuple[str, ...]:
    """The secrets (Slack's and the language model's key) that must never reach a log line."""
    return tuple(
        s.get_secret_value() for s in (settings.slack.slack_bot_token, settings.slack.slack_app_token, settings.slack.slack_signing_secret,
                                       settings.llm.llm_api_key) if s
    )


def bolt_logger(settings: Settings) -> logging.Logger:
    """Bolt's base logger: WARNING at most chatty (Bolt logs a rejected request's body at INFO), scrubbed."""
    logger = logging.getLogger("gpbot.bolt")
    logger.setLevel(max(logging.WARNING, logging.getLevelName(settings.operation.log_level)))
    if not any(isinstance(f, ScrubFilter) for f in logger.filters):
        logger.addFilter(ScrubFilter(_secrets(settings)))
    return logger


def install_log_scrubbing(settings: Settings) -> None:
    """For real runs: scrub every handler on the root logger (covers every library's records)."""
    secrets = _secrets(settings)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter(secrets))
    for name in ("slack_bolt", "slack_sdk", "gpbot.bolt"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level))
