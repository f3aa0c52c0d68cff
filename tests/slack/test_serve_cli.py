"""`gpbot serve` start-up decisions (no servers started here)."""

from __future__ import annotations

import pytest
import typer

from bot.slack import cli


def test_interval_parsing():
    assert cli.parse_interval("24h") == 86400 and cli.parse_interval("30m") == 1800 and cli.parse_interval("1d") == 86400
    with pytest.raises(ValueError):
        cli.parse_interval("soon")
    with pytest.raises(ValueError):
        cli.parse_interval("5s")


def test_no_tokens_hands_over_to_the_console(monkeypatch, capsys, tmp_path):
    from bot.settings import Settings

    settings = Settings(_env_file=None, gpbot_data_dir=tmp_path)
    monkeypatch.setattr("bot.startup.settings_or_exit", lambda **_: settings)
    seen = []
    monkeypatch.setattr("bot.console.run_console", lambda s: seen.append(s) or 0)
    with pytest.raises(typer.Exit) as exc:
        cli.serve_command(http=False, port=3000, refresh_every=None)
    assert exc.value.exit_code == 0 and seen == [settings]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No Slack tokens" in err[0]


def test_http_mode_needs_the_signing_secret(monkeypatch, capsys, tmp_path):
    from pydantic import SecretStr

    from bot.settings import Settings

    settings = Settings(_env_file=None, gpbot_data_dir=tmp_path, slack_bot_token=SecretStr("xoxb-1"))
    monkeypatch.setattr("bot.startup.settings_or_exit", lambda **_: settings)
    with pytest.raises(typer.Exit) as exc:
        cli.serve_command(http=True, port=3000, refresh_every=None)
    assert exc.value.exit_code == 2 and "SLACK_SIGNING_SECRET" in capsys.readouterr().err


def test_the_served_assistant_is_built_with_the_review_stores_verified_answers(index_settings):
    assistant, review = cli.warm_assistant(index_settings)
    assert review is not None and assistant.verified_lookup == review.get_verified
    # a reviewer's change in Slack refits the query adapter in the background, on the index the assistant reads
    assert review.adapter_refits is not None and review.index is assistant.index
    services = cli.build_services(index_settings, (assistant, review))
    try:
        assert services.assistant is assistant and services.review is review
    finally:
        services.close()
        review.close()
