"""Settings: one object, environment and .env, one clear line for a bad value."""

import re
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, flat_field_names, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_are_local_and_offline(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.index.chroma_host is None
    assert settings.sqlalchemy_url.startswith("sqlite:///") and settings.sqlalchemy_url.endswith("data/gpbot.db")
    assert not settings.slack.configured


def test_reads_environment_and_splits_id_lists(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GPBOT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("REVIEWER_USER_IDS", " U1, U2 ,,U3 ")
    monkeypatch.setenv("ALLOWED_CHANNEL_IDS", "")
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    settings = load_settings()
    assert settings.data_dir == tmp_path / "d"
    assert settings.slack.reviewer_ids == ["U1", "U2", "U3"]
    assert settings.slack.allowed_channels == []
    assert settings.index.chroma_host == "127.0.0.1"


def test_reads_dotenv_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("REVIEW_CHANNEL=C0REVIEW\nLLM_MODEL=\n")
    settings = load_settings()
    assert settings.slack.review_channel == "C0REVIEW"
    assert settings.llm.llm_model is None


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


def test_env_example_is_written_from_the_settings_classes():
    from bot.settings.example import render

    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == {name.upper() for name in flat_field_names()}
    assert (ROOT / ".env.example").read_text() == render(), "run: python -m bot.settings.example"


def test_every_setting_is_described_by_its_docstring():
    """A field's attribute docstring is its description: one declared without it would reach .env.example
    with no comment."""
    from bot.settings import SECTIONS
    from bot.settings.example import _prose

    undescribed = [name for section in SECTIONS.values() for name, field in section.model_fields.items()
                   if not (field.description or "").strip()]
    assert undescribed == []
    retrieval_pool = SECTIONS["retrieval"].model_fields["retrieval_pool"]
    assert _prose(retrieval_pool.description).startswith("Candidates the keyword and the dense search each return, ")
    assert "\n" not in _prose(retrieval_pool.description)


def test_flat_values_reach_their_section_and_replace_keeps_the_rest(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHROMA_PORT", "9001")
    settings = Settings(gpbot_data_dir=tmp_path / "d", review_channel="C0REVIEW")
    assert settings.paths.gpbot_data_dir == tmp_path / "d" and settings.slack.review_channel == "C0REVIEW"
    assert settings.index.chroma_port == 9001  # the environment still fills what was not given
    changed = settings.replace(review_channel=None, embedder="torch")
    assert changed.slack.review_channel is None and changed.index.embedder == "torch"
    assert changed.paths.gpbot_data_dir == tmp_path / "d" and changed.index.chroma_port == 9001
    assert settings.slack.review_channel == "C0REVIEW"  # the original is untouched


def test_a_variable_named_like_a_section_is_nobodys_setting(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INGEST", "not json")
    monkeypatch.setenv("PATHS", "{}")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.operation.log_level == "DEBUG" and settings.ingest.ingest_http_retries == 2


def test_tuning_values_are_settings_read_from_the_environment(monkeypatch, tmp_path):
    from bot.answer import ExtractiveAnswerer
    from bot.retrieval import FeatureReranker
    from bot.settings import AnsweringSettings, RetrievalSettings, default_of

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANSWER_MAX_UNITS", "3")
    monkeypatch.setenv("RETRIEVAL_POOL", "12")
    settings = load_settings()
    assert settings.answering.answer_max_units == 3 and settings.retrieval.retrieval_pool == 12
    monkeypatch.setenv("RETRIEVAL_POOL", "31")  # above the pool's bound
    with pytest.raises(ConfigError, match="^Configuration error: RETRIEVAL_POOL:"):
        load_settings()
    # a class built alone starts from the settings' defaults, not from a value of its own
    assert ExtractiveAnswerer(idf=len).tuning == AnsweringSettings.model_construct()
    assert FeatureReranker().tuning == RetrievalSettings.model_construct()
    assert default_of("answer_max_units") == AnsweringSettings.model_fields["answer_max_units"].default


def test_no_dotenv_means_none_for_every_section(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("REVIEW_CHANNEL=C0FROMFILE\nLLM_MODEL=openai:gpt-4o-mini\n")
    assert Settings().slack.review_channel == "C0FROMFILE"
    isolated = Settings(_env_file=None)
    assert isolated.slack.review_channel is None and not isolated.llm.configured
