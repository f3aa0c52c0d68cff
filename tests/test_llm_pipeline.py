"""The language model in the whole product: checked at start (one line naming the setting, exit 2), only the
redacted question sent, the console's banner and answers, and `gpbot eval --mode llm` — all through the real
langchain-openai client against the canned server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot import prompts
from bot.cli import app
from llm_server import CannedLLMServer, Status, sentences

NHS_NUMBER = "943 476 5919"


@pytest.fixture
def llm_env(monkeypatch, tmp_path, shared_index_dir, fixture_corpus_dir, llm_server):
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("GPBOT_DATA_DIR", str(shared_index_dir))
    monkeypatch.setenv("GPBOT_KNOWLEDGE_DIR", str(fixture_corpus_dir))
    monkeypatch.setenv("LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "5")
    return llm_server


# ------------------------------------------------------------------ checked at start
def _closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


@pytest.mark.parametrize(
    "env, setting, says",
    [
        ({"LLM_MODEL": "anthropic:claude-sonnet-4-5"}, "LLM_MODEL", "langchain-anthropic"),
        ({"LLM_MODEL": "llama3"}, "LLM_MODEL", "cannot be used"),
        ({"LLM_MODEL": "openai:gpt-4o-mini"}, "LLM_API_KEY", "required"),
        ({"LLM_BASE_URL": "closed"}, "LLM_BASE_URL", "no answer"),
        ({"LLM_BASE_URL": "server", "LLM_API_KEY": "sk-wrong-key"}, "LLM_API_KEY", "refused"),
        ({"LLM_BASE_URL": "server", "LLM_API_KEY": "sk-right-key", "LLM_MODEL": "not-served"}, "LLM_MODEL",
         "does not serve"),
        ({"LLM_AZURE_ENDPOINT": "https://example.openai.azure.com/", "LLM_API_KEY": "k"}, "LLM_AZURE_DEPLOYMENT",
         "required"),
        ({"LLM_BASE_URL": "ftp://models.example"}, "LLM_BASE_URL", "URL"),
    ],
)
def test_a_misconfigured_model_stops_start_up_with_one_line(monkeypatch, tmp_path, env, setting, says):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = CannedLLMServer(api_key="sk-right-key").start()
    try:
        for name, value in env.items():
            value = {"server": server.base_url, "closed": _closed_port_url()}.get(value, value)
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["ask", "how do we undo a 104 code?"])
    finally:
        server.stop()
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Configuration error: {setting}:") and says in lines[0]
    assert "sk-wrong-key" not in result.output and server.requests == []  # no question was ever sent


# ------------------------------------------------------------------ only redacted text leaves
def test_only_the_redacted_question_and_passages_reach_the_provider(llm_assistant, llm_server):
    answer = llm_assistant.answer(f"patient {NHS_NUMBER} has a 104 code by mistake, how do we undo a 104 code?")
    assert answer.pii_warning and answer.answerer == "openai-compatible:canned-model"
    sent = json.dumps(llm_server.requests)
    digits = re.sub(r"\D", "", NHS_NUMBER)
    assert NHS_NUMBER not in sent and digits not in re.sub(r"[^\d]", "", sent.replace("1364751000000106", ""))
    prompt = llm_server.requests[-1]["messages"][-1]["content"]
    assert "[NHS number]" in prompt and "The 106 code" in prompt  # the redacted question and the passages
    assert answer.text.count(prompts.LLM_WRITTEN_NOTE) == 1


def test_a_declined_question_never_reaches_the_model(llm_assistant, llm_server):
    before = len(llm_server.requests)
    answer = llm_assistant.answer("what is the wifi password for the surgery guest network?")
    assert answer.kind.value in ("not_covered", "out_of_scope")
    assert prompts.LLM_WRITTEN_NOTE not in answer.text
    assert len(llm_server.requests) == before  # coverage is decided first: no request for a declined question
    answered = llm_assistant.answer("how do we undo a 104 code?")
    assert answered.kind.value == "answered" and len(llm_server.requests) == before + 1


# ------------------------------------------------------------------ the console
def test_console_banner_names_the_model_and_answers_say_who_wrote_them(llm_env, shared_index_settings):
    from bot.console import run_console
    from bot.settings import load_settings

    llm_env.script(Status(500), Status(500), Status(500))
    out = io.StringIO()
    stdin = io.StringIO("how do we undo a 104 code?\nhow do we undo a 104 code?\n/quit\n")
    assert run_console(load_settings(), stdin=stdin, console=Console(file=out, width=200)) == 0
    shown = out.getvalue()
    assert "Answers: language model openai-compatible:canned-model" in shown
    assert "Answered from the guidance without the language model (it was unavailable)" in shown
    assert "Written by a language model from the cited guidance" in shown


# ------------------------------------------------------------------ gpbot eval --mode llm
def test_eval_mode_llm_runs_against_the_server(llm_env, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "how do we undo a 104 code?", "must_contain": ["106"]})
                         + "\n" + json.dumps({"id": "q2", "question": "what is the wifi password?",
                                              "expect_refusal": True}) + "\n")
    llm_env.script(lambda passages, question: f"The 217 code undoes it [1]. {sentences(passages[1])[0].rstrip('.')} [1].")
    result = CliRunner().invoke(app, ["eval", str(questions), "--mode", "llm", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])["llm"]
    assert report["llm_outcomes"].get("used", 0) >= 1 and report["llm_sentences_dropped"]["unsupported_specific"] == 1
    assert report["must_contain"] == 1.0 and len(llm_env.requests) >= 1


def test_eval_mode_llm_without_a_model_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "x"}\n')
    result = CliRunner().invoke(app, ["eval", str(questions), "--mode", "llm"])
    assert result.exit_code == 2 and "LLM_BASE_URL" in result.output
