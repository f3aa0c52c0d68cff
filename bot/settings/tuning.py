"""Settings sections for how gpbot behaves: the optional language model, ingest, watching sources, operation
(retrieval and answering are in `bot.settings.answering`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, NonNegativeFloat, PositiveFloat, SecretStr, field_validator

from bot.settings.connections import AtLeastOne, Section, Share


class LLMSettings(Section):
    """answering with a language model (optional)

    Optional: a language model writes the answer from the same passages; every sentence it writes is checked
    against the passage it cites (codes, numbers, dates and quoted labels must appear there; the meaning must
    match) and the rest are dropped. Unset = the extractive answerer, which needs no external service.
    Only the redacted question and the retrieved guidance passages are sent (see SECURITY.md).
    A model that cannot be built or reached stops start-up with one line naming the setting.

    LLM_MODEL is a langchain init_chat_model id: openai:gpt-4o-mini, azure_openai:DEPLOYMENT, or, with
    LLM_BASE_URL, the model name the server serves (unset = the server's only model).
    OpenAI, Azure OpenAI and OpenAI-compatible servers work out of the box (langchain-openai is installed).
    Other providers are an extra to install into the same environment, e.g.
      pip install langchain-anthropic   then LLM_MODEL=anthropic:claude-…
      pip install langchain-ollama      then LLM_MODEL=ollama:llama3.1 (or use Ollama's OpenAI API below)
    """

    llm_model: str | None = None
    """langchain init_chat_model id, e.g. openai:gpt-4o-mini; with LLM_BASE_URL the server's model name."""
    llm_base_url: str | None = None
    """An OpenAI-compatible server: vLLM (http://HOST:8000/v1), Ollama (http://HOST:11434/v1), LM Studio
    (http://HOST:1234/v1). This alone is enough when the server serves one model and needs no key."""
    llm_api_key: SecretStr | None = None
    """The provider's API key (OpenAI, Azure OpenAI, or a server that wants one). Held as a secret, never logged."""
    llm_azure_endpoint: str | None = None
    """Azure OpenAI: the resource endpoint, https://NAME.openai.azure.com/ (with LLM_AZURE_DEPLOYMENT,
    LLM_AZURE_API_VERSION and LLM_API_KEY)."""
    llm_azure_deployment: str | None = None
    """Azure OpenAI deployment name (or LLM_MODEL=azure_openai:DEPLOYMENT)."""
    llm_azure_api_version: str | None = None
    """Azure OpenAI API version, e.g. 2024-10-21."""
    llm_timeout_seconds: PositiveFloat = 20.0
    """Total seconds for the model's answer to one question, retries included; then the extractive answer is used
    and the reply says so. Default: 20"""
    llm_max_retries: Annotated[int, Field(ge=0, le=5)] = 2
    """Retries after a 429 (honouring Retry-After), a 5xx or a dropped connection, within LLM_TIMEOUT_SECONDS.
    Default: 2"""
    # Chosen by eval/calibrate_claims.py on 3,299 pairs built from knowledge/: the threshold with the highest
    # balanced accuracy (0.826): restatements of a passage's sentences kept 88.9%, other documents' sentences
    # rejected 76.2% (random ones 99.8%, the most similar one 52.6%); altered codes, numbers and dates are
    # rejected by the specifics check (98.8%), not by this threshold.
    llm_claim_min_similarity: Share = 0.80
    """Cosine similarity (0-1) a model's sentence needs to the best sentence of the passage it cites; chosen by
    eval/calibrate_claims.py on pairs built from the corpus (highest balanced accuracy). Default: 0.8"""
    llm_context_passages: AtLeastOne = 5
    """Retrieved passages the language model is given to write from (the extractive answerer reads ANSWER_PASSAGES):
    set when the model answerer was first built, not tuned on the question bank (no model is reachable offline).
    Default: 5"""
    llm_min_supported_share: Share = 0.5
    """Share of the model's sentences that must pass the check for its answer to be used (else the extractive answer
    is). Default: 0.5"""


    @field_validator("llm_base_url", "llm_azure_endpoint")
    @classmethod
    def _http_url(cls, value: str | None):
        if value is not None and not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip() if value is not None else None

    @property
    def configured(self) -> bool:
        """A language model writes the answers (checked at start by bot.llm)."""
        return bool(self.llm_model or self.llm_base_url or self.llm_azure_endpoint)


class IngestSettings(Section):
    """ingest"""

    ingest_embed_batch: AtLeastOne = 4096
    """Chunks embedded per Chroma upsert in `gpbot ingest`: Chroma indexes in background threads after an upsert,
    which competes with the model on a small machine, so upserts are few and large. Default: 4096"""
    ingest_http_timeout_seconds: PositiveFloat = 20.0
    """Seconds to wait for one guidance URL (`gpbot ingest URL`, the URLs of knowledge/sources.yaml). Default: 20"""
    ingest_http_retries: Annotated[int, Field(ge=0, le=10)] = 2
    """Retries of a guidance URL after a 5xx, a 429 or a dropped connection. Default: 2"""
    ingest_http_backoff_seconds: NonNegativeFloat = 0.5
    """Seconds before the first retry of a guidance URL; each further retry waits twice as long. Default: 0.5"""


class SourcesSettings(Section):
    """watching the corpus's sources"""

    sources_check_interval_seconds: NonNegativeFloat = 1.0
    """Seconds between two requests when `gpbot sources check` (and serve --refresh-every) re-reads the pages the
    corpus cites: a polite rate for the publishers' sites. Default: 1"""


class OperationSettings(Section):
    """operation"""

    log_level: str = "INFO"
    """DEBUG, INFO, WARNING or ERROR. Default: INFO"""

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value
