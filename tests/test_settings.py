"""Settings: one object, environment and .env, one clear line for a bad value."""

import re
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_are_local_and_offline(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.chroma_host is None
    assert settings.sqlalchemy_url.startswith("sqlite:///") and settings.sqlalchemy_url.endswith("data/gpbot.db")
    assert not settings.slack_configured


def test_reads_environment_and_splits_id_lists(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GPBOT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("REVIEWER_USER_IDS", " U1, U2 ,,U3 ")
    monkeypatch.setenv("ALLOWED_CHANNEL_IDS", "")
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    settings = load_settings()
    assert settings.data_dir == tmp_path / "d"
    assert settings.reviewer_ids == ["U1", "U2", "U3"]
    assert settings.allowed_channels == []
    assert settings.chroma_host == "127.0.0.1"


def test_reads_dotenv_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("REVIEW_CHANNEL=C0REVIEW\nLLM_MODEL=\n")
    settings = load_settings()
    assert settings.review_channel == "C0REVIEW"
    assert settings.llm_model is None


@pytest.mark.parametrize(
    "name, value",
    [("CHROMA_PORT", "eighty"), ("SLACK_BOT_TOKEN", "not-a-token"), ("SLACK_APP_TOKEN", "xoxb-wrong-kind"),
     ("RETENTION_DAYS", "-3"), ("LOG_LEVEL", "LOUD")],
)
def test_malformed_setting_is_one_clear_line_naming_it(monkeypatch, tmp_path, name, value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"Configuration error: {name}:")
    assert value not in message or name != "SLACK_BOT_TOKEN"  # never echo a secret back


def test_cli_reports_bad_setting_and_exits_2(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHROMA_PORT", "99999")
    result = CliRunner().invoke(app, ["search", "104 code"])
    assert result.exit_code == 2
    assert "CHROMA_PORT" in result.output


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    fields = {name.upper() for name in Settings.model_fields}
    assert documented == fields
