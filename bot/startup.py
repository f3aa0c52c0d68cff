"""What every `gpbot` command does first: read the settings (one clear line and exit 2 when a setting is
bad; for commands that answer, a configured language model too) and send logs to stderr, with the
chattiest libraries held at WARNING."""

from __future__ import annotations

import logging
import sys

import typer

from bot.settings import ConfigError, Settings, load_settings

NOISY_LOGGERS = ("httpx", "httpcore", "openai", "chromadb", "sentence_transformers", "urllib3", "trafilatura",
                 "slack_bolt", "slack_sdk", "alembic")
# Libraries that set their own logger to DEBUG when imported (after start-up), so only a handler filter holds them.
SELF_LEVELLED_LOGGERS = ("bm25s",)


def _quiet_self_levelled(record: logging.LogRecord) -> bool:
    name = record.name.split(".")[0]
    return name not in SELF_LEVELLED_LOGGERS or record.levelno >= logging.WARNING


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for handler in root.handlers:
        if _quiet_self_levelled not in handler.filters:
            handler.addFilter(_quiet_self_levelled)


def settings_or_exit(*, answering: bool = False) -> Settings:
    """`answering=True` (commands that answer questions): a configured language model is also built and
    asked for its model list now, so a missing package, a bad id, a refused key or an unreachable server
    stops start-up with one line naming the setting, not an error per question."""
    try:
        settings = load_settings()
        configure_logging(settings.operation.log_level)
        if answering and settings.llm.configured:
            from bot.llm_provider import connect_chat_model

            connect_chat_model(settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    return settings
