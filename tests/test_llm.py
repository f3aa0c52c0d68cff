"""The language-model answerer through the real langchain-openai client, against a canned OpenAI-compatible
server on 127.0.0.1 (tests/llm_server.py): grounded answers kept, unsupported sentences dropped, 429/500/hang
handled within LLM_TIMEOUT_SECONDS, and the reply says which answerer wrote it."""

from __future__ import annotations

import time

import pytest

from bot import prompts
from bot.answer import ExtractiveAnswerer
from bot.llm import LLMAnswerer, answerer_for, describe
from bot.query import Glossary, prepare_query
from bot.settings import Settings
from bot.types import Chunk, ScoredChunk
from llm_server import CannedLLMServer, Hang, Status, altered, out_of_range, uncited, wrong_code

CODES = Chunk(
    chunk_id="codes-1", doc_id="codes.md", title="The enhanced review codes", content_hash="h1",
    heading_path=["The enhanced review codes", "Undoing a 104 code"], source_urls=["https://example.org/codes"],
    text=(
        "The 106 code `1364751000000106` \"Enhanced review not indicated before granting access to own health record "
        "(situation)\" cancels a 104 code. After the 106 code is added, the patient gets automatic access when an "
        "online account is created. Practices should record why the code was changed."
    ),
)
STEPS = Chunk(
    chunk_id="s1-1", doc_id="s1.md", title="Switching on in SystmOne", content_hash="h2",
    heading_path=["Switching on in SystmOne", "Steps"], source_urls=["https://example.org/s1"],
    text="SystmOne practices switch on access in organisation preferences from 31 October 2023.\n\n"
         "1. Open Organisation Preferences.\n2. Tick \"Enable full clinical record access\".\n3. Press OK.",
)
QUESTION = prepare_query("how do we undo a 104 code with the 106 code?", Glossary({}))
RESULTS = [ScoredChunk(chunk=CODES, score=0.9), ScoredChunk(chunk=STEPS, score=0.8)]


@pytest.fixture
def server():
    canned = CannedLLMServer().start()
    yield canned
    canned.stop()


def make_answerer(server, embedder, **overrides) -> LLMAnswerer:
    settings = Settings(_env_file=None, llm_base_url=server.base_url, **{"llm_timeout_seconds": 3, **overrides})
    return answerer_for(settings, ExtractiveAnswerer(idf=lambda term: 1.0), embed=embedder.embed)


def test_llm_base_url_alone_reaches_the_server_and_a_grounded_answer_is_used(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder)
    assert isinstance(answerer, LLMAnswerer) and answerer.label == "openai-compatible:canned-model"
    assert "canned-model" in describe(answerer)
    draft = answerer.answer(QUESTION, RESULTS)
    assert draft.answerer == "openai-compatible:canned-model"
    assert draft.text.startswith("The 106 code `1364751000000106`") and "cancels a 104 code [1]" in draft.text
    assert "organisation preferences from 31 October 2023 [2]" in draft.text
    assert draft.text.endswith(prompts.LLM_WRITTEN_NOTE)
    assert [c.doc_id for c in draft.citations] == ["codes.md", "s1.md"]
    sent = server.requests[-1]
    assert sent["model"] == "canned-model" and sent["temperature"] == 0
    assert "how do we undo a 104 code" in sent["messages"][-1]["content"]


@pytest.mark.parametrize("behaviour, reason", [(wrong_code, "unsupported_specific"), (uncited, "uncited"),
                                               (out_of_range, "bad_citation")])
def test_an_unsupported_sentence_is_dropped_and_the_rest_kept(server, shared_embedder, behaviour, reason):
    answerer = make_answerer(server, shared_embedder)
    server.script(behaviour)
    draft = answerer.answer(QUESTION, RESULTS)
    reply = server.replies[-1]
    bad_sentence = reply.split("[2]. ", 1)[1]
    assert bad_sentence.split("[")[0].strip(" .") not in draft.text
    assert "cancels a 104 code [1]" in draft.text and draft.text.endswith(prompts.LLM_WRITTEN_NOTE)
    assert answerer.stats.snapshot()[1] == {reason: 1}


def test_a_wrong_code_cited_to_its_passage_never_reaches_the_answer(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder)
    changed, code = altered(CODES.text.split(". ")[0])
    server.script(f"{changed} [1]. After the 106 code is added, the patient gets automatic access when an online "
                  "account is created [1].")
    draft = answerer.answer(QUESTION, RESULTS)
    assert code not in draft.text  # the altered code
    assert draft.text.startswith("After the 106 code is added") and draft.text.endswith(prompts.LLM_WRITTEN_NOTE)


def test_an_answer_that_mostly_fails_the_check_gives_the_extractive_answer(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder)
    changed, code = altered(CODES.text.split(". ")[0])
    server.script(f"{changed} [1]. Ring the helpdesk first. The 106 code cancels a 104 code [1].")
    draft = answerer.answer(QUESTION, RESULTS)
    assert code not in draft.text and "helpdesk" not in draft.text
    assert draft.answerer == "extractive"  # two of three sentences failed: the rest is not trusted
    assert draft.text.endswith(prompts.LLM_NOT_USED_NOTE.format(reason=prompts.LLM_NOT_USED_REASONS["unverified"]))


def test_a_sentence_that_does_not_mean_what_its_passage_says_is_dropped(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder)
    server.script("The 106 code cancels a 104 code [1]. Patients can order repeat prescriptions in the app [2].")
    draft = answerer.answer(QUESTION, RESULTS)
    assert "repeat prescriptions" not in draft.text and "The 106 code cancels a 104 code [1]." in draft.text
    assert answerer.stats.snapshot()[1] == {"low_similarity": 1}


def test_a_procedure_missing_a_step_is_not_used(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder)
    server.script("1. Open Organisation Preferences [2]\n2. Tick \"Enable full record access now\" [2]\n3. Press OK [2]")
    draft = answerer.answer(prepare_query("how do I switch on access in SystmOne", Glossary({})), RESULTS)
    assert draft.answerer == "extractive" and "Enable full record access now" not in draft.text


def test_a_429_is_retried_after_its_retry_after(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder)
    server.script(Status(429, retry_after=1))
    started = time.monotonic()
    draft = answerer.answer(QUESTION, RESULTS)
    assert time.monotonic() - started >= 1.0
    assert len(server.requests) == 2 and draft.answerer.startswith("openai-compatible")


def test_a_retry_after_beyond_the_deadline_gives_the_extractive_answer_at_once(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder, llm_timeout_seconds=2)
    server.script(Status(429, retry_after=30))
    draft = answerer.answer(QUESTION, RESULTS)
    assert len(server.requests) == 1 and draft.answerer == "extractive"
    assert draft.text.endswith(prompts.LLM_NOT_USED_NOTE.format(reason="it was unavailable"))
    assert answerer.stats.snapshot()[0] == {"provider_error": 1}


def test_500s_are_retried_then_reported_as_unavailable(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder, llm_max_retries=1)
    server.script(Status(500), "The 106 code cancels a 104 code [1].")
    assert answerer.answer(QUESTION, RESULTS).answerer.startswith("openai-compatible")
    server.script(Status(500), Status(502))
    draft = answerer.answer(QUESTION, RESULTS)
    assert draft.answerer == "extractive" and "without the language model (it was unavailable)" in draft.text
    assert len(server.requests) == 4


def test_the_timeout_is_the_total_deadline_retries_included(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder, llm_timeout_seconds=2)
    server.script(Status(429, retry_after=0.5), Hang(30))
    started = time.monotonic()
    draft = answerer.answer(QUESTION, RESULTS)
    assert time.monotonic() - started < 10  # well before the hang would end
    assert len(server.requests) == 2 and draft.answerer == "extractive"
    assert "without the language model (it did not reply in time)" in draft.text
    assert answerer.stats.snapshot()[0] == {"timeout": 1}


def test_not_covered_gives_an_empty_draft(server, shared_embedder):
    answerer = make_answerer(server, shared_embedder)
    server.script("NOT COVERED")
    draft = answerer.answer(QUESTION, RESULTS)
    assert draft.text == "" and draft.citations == []


def test_azure_settings_reach_the_deployment(server, shared_embedder):
    settings = Settings(_env_file=None, llm_azure_endpoint=server.base_url.removesuffix("/v1"),
                        llm_azure_deployment="gpbot-answers", llm_azure_api_version="2024-10-21", llm_api_key="k-azure")
    answerer = answerer_for(settings, ExtractiveAnswerer(idf=lambda term: 1.0), embed=shared_embedder.embed)
    assert answerer.label == "azure_openai:gpbot-answers"
    draft = answerer.answer(QUESTION, RESULTS)
    assert draft.answerer == "azure_openai:gpbot-answers"
    assert server.paths[-1].startswith("/openai/deployments/gpbot-answers/chat/completions?api-version=2024-10-21")


def test_no_model_configured_means_the_extractive_answerer(shared_embedder):
    extractive = ExtractiveAnswerer(idf=lambda term: 1.0)
    assert answerer_for(Settings(_env_file=None), extractive, embed=shared_embedder.embed) is extractive
    assert "no language model" in describe(extractive)


def test_the_language_model_answer_cites_as_many_pages_a_line_as_the_setting_allows(server, shared_embedder):
    """ANSWER_MAX_SOURCES_PER_LINE reaches the LLM answerer from the settings (not from its fallback's tuning)."""
    answerer = make_answerer(server, shared_embedder, answer_max_sources_per_line=1)
    assert answerer.max_sources_per_line == 1
    assert make_answerer(server, shared_embedder, answer_max_sources_per_line=3).max_sources_per_line == 3
