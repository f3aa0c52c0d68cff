"""`api_call`: Slack's and the network's failures are logged, counted and returned as None; a programming
error (a method the client does not have, a missing argument) raises instead of vanishing."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from slack_emulator import BOT_TOKEN, SIGNING_SECRET
from bot.settings import Settings
from bot.slack.calls import api_call
from bot.slack.client import make_client
from bot.slack.services import BotServices


def _services(tmp_path, api_url: str) -> BotServices:
    settings = Settings(_env_file=None, gpbot_data_dir=tmp_path, slack_bot_token=SecretStr(BOT_TOKEN),
                        slack_signing_secret=SecretStr(SIGNING_SECRET), slack_api_url=api_url)
    return BotServices(settings=settings, assistant=None)


def _errors(services, method: str, error: str) -> float:
    return services.metrics.registry.get_sample_value(
        "gpbot_slack_api_errors_total", {"method": method, "error": error}) or 0.0


def test_a_slack_error_is_counted_and_returned_as_none(slack_api, tmp_path):
    services = _services(tmp_path, slack_api.base_url)
    client = make_client(services.settings, services.metrics)
    slack_api.fail("chat.postMessage", error="channel_not_found")
    assert api_call(services, client, "chat_postMessage", channel="C0GONE", text="hi") is None
    assert _errors(services, "chat.postMessage", "channel_not_found") == 1
    assert api_call(services, client, "chat_postMessage", channel="C0HERE", text="hi")["ok"] is True


def test_an_unreachable_slack_is_counted_and_returned_as_none(tmp_path):
    services = _services(tmp_path, "http://127.0.0.1:9/api/")  # port 9 (discard): connection refused
    client = make_client(services.settings, None, timeout=2)
    assert api_call(services, client, "chat_postMessage", channel="C0X", text="hi") is None
    assert _errors(services, "chat.postMessage", "URLError") == 1


def test_programming_errors_raise(slack_api, tmp_path):
    services = _services(tmp_path, slack_api.base_url)
    client = make_client(services.settings, services.metrics)
    with pytest.raises(AttributeError):
        api_call(services, client, "chat_postMesage", channel="C0X", text="hi")  # no such method
    with pytest.raises(TypeError):
        api_call(services, client, "views_publish", view={})  # user_id is required
    assert not slack_api.calls_to("chat.postMessage") and not slack_api.calls_to("views.publish")
