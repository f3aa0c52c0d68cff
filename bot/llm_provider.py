"""The language model the settings name (LLM_MODEL / LLM_BASE_URL / LLM_API_KEY / LLM_AZURE_*), built and
checked at start.

    chat_model, label = connect_chat_model(settings)

OpenAI, Azure OpenAI and OpenAI-compatible servers (vLLM, Ollama, LM Studio) go through langchain-openai and
are asked for their model list, so a refused key, an unreachable server or a model the server does not serve
is found now; other providers go through langchain's `init_chat_model` (their package is an extra to install).
Every problem is a ConfigError whose text is one line naming the setting.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from bot import prompts
from bot.settings import ConfigError, Settings

log = logging.getLogger(__name__)

NO_KEY = "not-needed"  # OpenAI's client insists on a key; servers that need none ignore it
PROBE_SECONDS = 10.0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _known_providers() -> set[str]:
    try:
        from langchain.chat_models.base import _BUILTIN_PROVIDERS

        return set(_BUILTIN_PROVIDERS)
    except ImportError:  # pragma: no cover - the registry moved
        return {"openai", "azure_openai", "anthropic", "ollama"}


def _openai_client(settings: Settings):
    """A bare OpenAI / Azure OpenAI client for the start-up probe (None for other providers)."""
    import openai

    key = settings.llm.llm_api_key.get_secret_value() if settings.llm.llm_api_key else None
    options: dict[str, Any] = dict(timeout=min(PROBE_SECONDS, settings.llm.llm_timeout_seconds), max_retries=0)
    if _is_azure(settings):
        return openai.AzureOpenAI(azure_endpoint=settings.llm.llm_azure_endpoint, api_version=settings.llm.llm_azure_api_version,
                                  api_key=key, **options)
    if settings.llm.llm_base_url:
        return openai.OpenAI(base_url=settings.llm.llm_base_url, api_key=key or NO_KEY, **options)
    return openai.OpenAI(api_key=key, **options)


def _is_azure(settings: Settings) -> bool:
    return bool(settings.llm.llm_azure_endpoint) or (settings.llm.llm_model or "").startswith("azure_openai:")


def _provider(settings: Settings) -> str:
    if _is_azure(settings):
        return "azure_openai"
    head, sep, _ = (settings.llm.llm_model or "").partition(":")
    if sep and head in _known_providers():
        return head
    if settings.llm.llm_base_url or not settings.llm.llm_model:
        return "openai"
    return "openai" if (settings.llm.llm_model or "").lower().startswith(("gpt-", "o1", "o3", "o4", "chatgpt")) else ""


def probe(settings: Settings) -> list[str]:
    """Ask an OpenAI-type provider which models it serves; ConfigError naming the setting when it refuses the
    key or cannot be reached. Returns the model ids ([] when the provider does not list them)."""
    import openai

    where = "LLM_AZURE_ENDPOINT" if _is_azure(settings) else "LLM_BASE_URL" if settings.llm.llm_base_url else "LLM_MODEL"
    try:
        client = _openai_client(settings)
        return [m.id for m in client.models.list()]
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise ConfigError(prompts.CONFIG_KEY_REFUSED.format(status=exc.status_code)) from None
    except openai.NotFoundError:
        return []  # no model list at this address; the first answer will tell
    except (openai.APIConnectionError, openai.APITimeoutError) as exc:
        address = settings.llm.llm_azure_endpoint or settings.llm.llm_base_url or prompts.CONFIG_NO_ANSWER_ADDRESS
        raise ConfigError(prompts.CONFIG_NO_ANSWER.format(setting=where, address=address,
                                                          error=type(exc).__name__)) from None
    except openai.APIStatusError as exc:
        log.warning("the language model provider answered HTTP %s to the start-up check", exc.status_code)
        return []
    except openai.OpenAIError as exc:  # no key anywhere
        raise ConfigError(prompts.CONFIG_KEY_REQUIRED.format(provider=_provider(settings) or prompts.CONFIG_KEY_PROVIDER,
                                                             detail=_one_line(exc)[:80])) from None


_connected: dict[tuple, tuple[Any, str]] = {}
_connected_lock = threading.Lock()


def connect_chat_model(settings: Settings) -> tuple[Any, str]:
    """Build the configured chat model and check it answers; (model, label) or ConfigError naming the setting.
    Built once per configuration: the start-up check and the assistant share it."""
    key = (settings.llm.llm_model, settings.llm.llm_base_url, settings.llm.llm_api_key.get_secret_value() if settings.llm.llm_api_key else None,
           settings.llm.llm_azure_endpoint, settings.llm.llm_azure_deployment, settings.llm.llm_azure_api_version,
           settings.llm.llm_timeout_seconds)
    with _connected_lock:
        found = _connected.get(key)
    if found is None:
        found = _connect(settings)
        with _connected_lock:
            _connected[key] = found
    return found


def _connect(settings: Settings) -> tuple[Any, str]:
    provider = _provider(settings)
    key = settings.llm.llm_api_key.get_secret_value() if settings.llm.llm_api_key else None
    common: dict[str, Any] = dict(temperature=0, max_retries=0, timeout=settings.llm.llm_timeout_seconds)
    name = settings.llm.llm_model or ""
    if provider in ("openai", "azure_openai"):
        try:
            import langchain_openai
        except ImportError:
            raise ConfigError(prompts.CONFIG_OPENAI_MISSING) from None
        if provider == "azure_openai":
            deployment = settings.llm.llm_azure_deployment or name.partition(":")[2]
            for setting, value in (("LLM_AZURE_ENDPOINT", settings.llm.llm_azure_endpoint),
                                   ("LLM_AZURE_DEPLOYMENT", deployment), ("LLM_AZURE_API_VERSION", settings.llm.llm_azure_api_version)):
                if not value:
                    raise ConfigError(prompts.CONFIG_AZURE_REQUIRED.format(setting=setting))
            probe(settings)  # deployments are not in the model list: this checks the endpoint and the key
            model = langchain_openai.AzureChatOpenAI(azure_endpoint=settings.llm.llm_azure_endpoint, azure_deployment=deployment,
                                                     api_version=settings.llm.llm_azure_api_version, api_key=key, **common)
            return model, f"azure_openai:{deployment}"
        offered = probe(settings)
        name = name.removeprefix("openai:")
        if not name:
            if len(offered) != 1:
                raise ConfigError(prompts.CONFIG_MODEL_REQUIRED.format(
                    offered=", ".join(offered[:8]) or prompts.CONFIG_NO_MODEL_LIST))
            name = offered[0]
        elif offered and name not in offered:
            shown = ", ".join(offered[:8]) + ("…" if len(offered) > 8 else "")
            raise ConfigError(prompts.CONFIG_MODEL_NOT_SERVED.format(name=name, offered=shown))
        if settings.llm.llm_base_url:
            model = langchain_openai.ChatOpenAI(model=name, base_url=settings.llm.llm_base_url, api_key=key or NO_KEY,
                                                use_responses_api=False, **common)
            return model, f"openai-compatible:{name}"
        return langchain_openai.ChatOpenAI(model=name, api_key=key, **common), f"openai:{name}"
    try:
        from langchain.chat_models import init_chat_model

        extra = {"base_url": settings.llm.llm_base_url} if settings.llm.llm_base_url else {}
        if key:
            extra["api_key"] = key
        return init_chat_model(settings.llm.llm_model, **common, **extra), settings.llm.llm_model
    except ImportError as exc:
        package = re.search(r"requires the (\S+) package", str(exc))
        needed = package.group(1) if package else prompts.CONFIG_PACKAGE_UNKNOWN
        raise ConfigError(prompts.CONFIG_PACKAGE_NEEDED.format(model=settings.llm.llm_model, package=needed)) from None
    except Exception as exc:  # unknown provider, unparseable id, missing credentials
        raise ConfigError(prompts.CONFIG_MODEL_UNUSABLE.format(model=settings.llm.llm_model, error=_one_line(exc))) from None
