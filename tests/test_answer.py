"""The extractive answerer: selection and citation (the language-model answerer: tests/test_llm*.py)."""

import pytest

from bot.answer import ExtractiveAnswerer, split_units
from bot.retrieval import Glossary, prepare_query
from bot.types import Chunk, ScoredChunk

CODES = Chunk(
    chunk_id="codes-1", doc_id="codes.md", title="The enhanced review codes", heading_path=["The enhanced review codes", "Undoing a 104 code"],
    source_urls=["https://example.org/codes"], publisher=["NHS England"], published="2023-11-02",
    text=(
        "The 106 code `1364751000000106` \"Enhanced review not indicated before granting access to own health record (situation)\" cancels a 104 code. "
        "After the 106 code is added, the patient gets automatic access when an online account is created. "
        "Practices should record why the code was changed."
    ),
)
STEPS = Chunk(
    chunk_id="s1-1", doc_id="s1.md", title="Switching on in SystmOne", heading_path=["Switching on in SystmOne", "Steps"],
    source_urls=["https://example.org/s1"], publisher=["NHS England"],
    text="SystmOne practices switch on access in organisation preferences.\n\n1. Open Organisation Preferences.\n2. Tick \"Enable full clinical record access\".\n3. Press OK.",
)


def _results(*chunks):
    return [ScoredChunk(chunk=c, score=1.0 - i * 0.1) for i, c in enumerate(chunks)]


def _idf(term):
    return 1.0


def test_split_units_keeps_lists_whole_and_splits_sentences():
    units = split_units(STEPS, 0)
    assert units[0].text == "SystmOne practices switch on access in organisation preferences."
    assert units[1].is_list and units[1].text.count("\n") == 2
    sentences = split_units(CODES, 0)
    assert len(sentences) == 3 and sentences[0].text.startswith("The 106 code")


def test_extractive_answer_selects_and_cites_the_answering_sentence():
    query = prepare_query("we coded someone 104 by mistake, how do we undo it with the 106 code?", Glossary({}))
    draft = ExtractiveAnswerer(idf=_idf).answer(query, _results(CODES, STEPS))
    assert "`1364751000000106` \"Enhanced review not indicated before granting access to own health record (situation)\"" in draft.text
    assert draft.citations[0].title == "The enhanced review codes" and draft.citations[0].published == "2023-11-02"
    assert all(line.rstrip().endswith("]") for line in draft.text.splitlines() if line.strip())
    assert len(draft.text) < 700


def test_extractive_answer_keeps_steps_as_steps():
    query = prepare_query("how do I enable full clinical record access in organisation preferences", Glossary({}))
    draft = ExtractiveAnswerer(idf=_idf).answer(query, _results(STEPS))
    assert "1. Open Organisation Preferences. [1]\n2. Tick" in draft.text


def test_a_second_document_joins_only_when_nearly_as_relevant():
    timeline = Chunk(
        chunk_id="t-1", doc_id="timeline.md", title="Programme timeline", heading_path=["Programme timeline"],
        source_urls=["https://example.org/t"],
        text="1. December 2021: switch on of online record access first planned.\n2. April 2022: switch on postponed.",
    )
    query = prepare_query("how do I switch on full clinical record access in organisation preferences?", Glossary({}))
    draft = ExtractiveAnswerer(idf=_idf).answer(query, _results(STEPS, timeline))
    assert [c.doc_id for c in draft.citations] == ["s1.md"]
    assert "December 2021" not in draft.text
