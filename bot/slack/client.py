"""The Slack Web API client: a WebClient on SLACK_API_URL with slack_sdk's retry handlers (429s wait out
Retry-After; connection errors and 5xx are retried) and a first handler that counts those failures."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from bot import prompts
from bot.settings import ConfigError, Settings
from bot.slack.metrics import Metrics


class CountingRetryHandler(RetryHandler):
    """Never retries; counts 429s, 5xx and connection errors for /metrics (must be first in the list)."""

    def __init__(self, metrics: Metrics):
        super().__init__(max_retry_count=10_000)
        self.metrics = metrics

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        method = (request.url or "").rstrip("/").rsplit("/", 1)[-1]
        if response is not None and (response.status_code == 429 or response.status_code >= 500):
            self.metrics.api_error(method, f"http_{response.status_code}")
        elif response is None and error is not None:
            self.metrics.api_error(method, type(error).__name__)
        return False


def make_client(settings: Settings, metrics: Metrics | None = None, *, token: str | None = None,
                timeout: int | None = None) -> WebClient:
    """A WebClient on SLACK_API_URL that waits out 429s (Retry-After) and retries connection errors and 5xx;
    `timeout` defaults to SLACK_API_TIMEOUT_SECONDS."""
    if token is None:
        if settings.slack.slack_bot_token is None:
            raise ConfigError(prompts.CONFIG_SLACK_TOKEN_REQUIRED)
        token = settings.slack.slack_bot_token.get_secret_value()
    base_url = settings.slack.slack_api_url if settings.slack.slack_api_url.endswith("/") else settings.slack.slack_api_url + "/"
    handlers: list[RetryHandler] = [CountingRetryHandler(metrics)] if metrics is not None else []
    handlers += [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    return WebClient(token=token, base_url=base_url, timeout=timeout or settings.slack.slack_api_timeout_seconds,
                     retry_handlers=handlers)


def make_status_client(client: WebClient, timeout: int) -> WebClient:
    """For `assistant.threads.setStatus`: `client`'s token and API URL, a short timeout and no retries (a late
    status is worthless)."""
    return WebClient(token=client.token, base_url=client.base_url, timeout=timeout, retry_handlers=[])
