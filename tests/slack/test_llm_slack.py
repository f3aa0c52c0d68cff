"""The language-model answerer end to end through Slack: the real Bolt app (signed requests on 127.0.0.1), the
real answering core on the fixture index, the real langchain-openai client on LLM_BASE_URL, and the canned
OpenAI-compatible server. No unsupported code, number or date reaches a post; failures are shown and counted."""

from __future__ import annotations

import json
import re

import pytest

from bot import prompts
from llm_server import CannedLLMServer, Hang, Status, out_of_range, uncited, wrong_code
from slack_requests import all_text, blocks_of, get

pytestmark = pytest.mark.slow

QUESTIONS = [
    "how do we undo a 104 code?",
    "How do I switch on prospective access in SystmOne?",
    "what does the 104 code do?",
]
_SPECIFIC = re.compile(r"\d+")


@pytest.fixture
def llm_server():
    server = CannedLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_bot(make_slack_bot, shared_index_settings, shared_embedder, llm_server):
    from bot.index import Index
    from bot.pipeline import build_assistant

    settings = shared_index_settings.replace(llm_base_url=llm_server.base_url, llm_timeout_seconds=3.0)
    assistant = build_assistant(settings, index=Index(settings, embedder=shared_embedder))
    return make_slack_bot(assistant)


def answer_body(call) -> str:
    """The answer sections of a post (not the sources, which quote titles and dates of the documents)."""
    return "\n".join(b["text"]["text"] for b in blocks_of(call) if b["type"] == "section" and b.get("text"))


def corpus_numbers(corpus_dir) -> set[str]:
    return {n for path in corpus_dir.glob("*.md") for n in _SPECIFIC.findall(path.read_text())}


def metric(bot, name: str, label: str) -> float:
    _, text = get(bot.url + "/metrics")
    found = re.search(rf"^{name}_total\{{{label}\}} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_unsupported_sentences_never_reach_a_post(slack_api, llm_bot, llm_server, fixture_corpus_dir):
    status, ready = get(llm_bot.url + "/readyz")
    assert status == 200 and "language model openai-compatible:canned-model" in json.loads(ready)["answerer"]
    llm_server.script(wrong_code, uncited, out_of_range)
    for n, question in enumerate(QUESTIONS, start=1):
        llm_bot.mention(question)
        slack_api.wait_for("chat.postMessage", count=n)
    posts = slack_api.calls_to("chat.postMessage")
    assert len(llm_server.requests) == 3 and len(posts) == 3
    known = corpus_numbers(fixture_corpus_dir)
    for post, reply in zip(posts, llm_server.replies):
        body = answer_body(post)
        assert "Written by a language model from the cited guidance" in body
        assert set(_SPECIFIC.findall(body)) <= known  # 0 unsupported codes, numbers or dates
        assert "helpdesk" not in body and "publish a notice" not in body
        assert "[1]" in body
    altered = set(_SPECIFIC.findall(llm_server.replies[0])) - known
    # as a number of its own: a message timestamp or an id in the posted JSON may hold the same digits
    assert altered and not any(re.search(rf"(?<![\w.]){a}(?!\w)", all_text(p)) for p in posts for a in altered)
    for reason in ("unsupported_specific", "uncited", "bad_citation"):
        assert metric(llm_bot, "gpbot_llm_sentences_dropped", f'reason="{reason}"') == 1.0
    assert metric(llm_bot, "gpbot_llm_answers", 'outcome="used"') == 3.0


@pytest.mark.parametrize("failure, shown, outcome", [
    ((Status(500), Status(500), Status(500)), "it was unavailable", "provider_error"),
    ((Status(429, retry_after=60),), "it was unavailable", "provider_error"),
    ((Hang(30),), "it did not reply in time", "timeout"),
])
def test_a_failing_provider_is_shown_and_counted(slack_api, llm_bot, llm_server, failure, shown, outcome):
    llm_server.script(*failure)
    llm_bot.mention(QUESTIONS[0])
    post = slack_api.wait_for("chat.postMessage", timeout=30)[0]
    body = answer_body(post)
    assert prompts.LLM_NOT_USED_NOTE.format(reason=shown).strip("_") in body
    assert "Written by a language model" not in body and "[1]" in body  # the extractive answer, cited
    assert metric(llm_bot, "gpbot_llm_answers", f'outcome="{outcome}"') == 1.0


def test_a_patient_identifier_never_reaches_the_provider(slack_api, llm_bot, llm_server):
    llm_bot.mention("patient 999 186 0916 was given a 104 code by mistake - how do we undo a 104 code?")
    slack_api.wait_for("chat.postMessage")
    sent = json.dumps(llm_server.requests)
    assert llm_server.requests and "999 186 0916" not in sent and "9991860916" not in sent
    assert "[NHS number]" in sent
