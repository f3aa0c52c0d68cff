"""The extractive answerer's test of repetition by meaning: a sentence that says a kept one again in other words
(another document reporting the same point) is left out, unless it adds a code, number or date."""

import numpy as np

from bot.answer import ExtractiveAnswerer
from bot.retrieval import Glossary, prepare_query
from bot.settings import AnsweringSettings
from bot.types import Chunk, ScoredChunk
from bot.units import unit_key


def _results(*chunks):
    return [ScoredChunk(chunk=c, score=1.0 - i * 0.1) for i, c in enumerate(chunks)]


def _idf(term):
    return 1.0


def _reworded_answer(second_text: str, cosine: float) -> str:
    """Two documents make one point; the answer is written from both with sentence vectors `cosine` apart."""
    first_text = "Staff who are worried about a patient's safety should ask the practice safeguarding lead for advice."
    third_text = "Reception staff can switch off online record access without an appointment."
    first = Chunk(chunk_id="a-1", doc_id="a.md", title="Getting help", heading_path=["Getting help"],
                  source_urls=["https://example.org/a"], text=f"{first_text} {third_text}")
    second = Chunk(chunk_id="b-1", doc_id="b.md", title="Who to ask", heading_path=["Who to ask"],
                   source_urls=["https://example.org/b"], text=second_text)
    a, c = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    b = np.array([cosine, np.sqrt(1 - cosine ** 2), 0.0])
    stored = {"a-1": {unit_key(first_text): a, unit_key(third_text): c}, "b-1": {unit_key(second_text): b}}
    query = prepare_query("who do staff ask when worried about a patient's safety online?", Glossary({}))
    query.vector = (a + b + c) / np.linalg.norm(a + b + c)
    loose = AnsweringSettings.model_construct(answer_other_document_cutoff=0.0, answer_relative_cutoff=0.0)
    answerer = ExtractiveAnswerer(idf=_idf, tuning=loose, unit_vectors=lambda ids: {i: stored[i] for i in ids})
    return answerer.answer(query, _results(first, second)).text


def test_a_sentence_saying_a_kept_one_again_in_other_words_is_left_out_unless_it_adds_a_specific():
    reworded = "If you have concerns about someone's safety, your safeguarding lead is the person to consult."
    assert "safeguarding lead is the person to consult" not in _reworded_answer(reworded, 0.9)
    assert "ask the practice safeguarding lead" in _reworded_answer(reworded, 0.9)
    # further apart than ANSWER_REPEAT_COSINE: another point on the same subject, kept
    assert "safeguarding lead is the person to consult" in _reworded_answer(reworded, 0.8)
    # as close, but with a date the kept sentence lacks: kept
    dated = ("Since 31 October 2023, if you have concerns about someone's safety, your safeguarding lead is the one "
             "to consult.")
    assert "31 October 2023" in _reworded_answer(dated, 0.9)
