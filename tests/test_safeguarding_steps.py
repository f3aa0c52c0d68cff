"""Safeguarding's evidence and protective-step sentences: the passages a story is judged on, and the sentence
vectors stored at ingest that the protective line is chosen with (embedded at query time only when missing)."""

import datetime as dt

import numpy as np
import pytest

from bot.index import Index
from bot.pipeline import Assistant, build_assistant
from bot.types import AnswerKind, VerifiedAnswer
from bot.units import split_units, stored_texts, unit_key


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.texts: list[str] = []

    def embed(self, texts, *args, **kwargs):
        self.texts.extend(texts)
        return self.embedder.embed(texts, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.embedder, name)


@pytest.fixture
def counted(index_settings, shared_embedder):
    """(assistant, the embedder's counter) on a private copy of the fixture index, situations already embedded."""
    embedder = CountingEmbedder(shared_embedder)
    assistant = Assistant(index_settings, index=Index(index_settings, embedder=embedder))
    assistant.safeguarding.warm_up()
    embedder.texts.clear()
    return assistant, embedder


def _steps(assistant) -> list[tuple[str, str]]:
    return [(s.text, s.chunk.chunk_id) for s in assistant.safeguarding.step_sentences()]


def test_the_protective_sentences_are_read_from_the_vectors_stored_at_ingest(counted, shared_embedder):
    assistant, embedder = counted
    steps = assistant.safeguarding.step_sentences()
    assert steps and embedder.texts == []  # nothing embedded at query time
    fresh = shared_embedder.embed([s.text for s in steps])
    assert np.allclose(np.stack([s.vector for s in steps]), fresh, atol=2e-3)  # each sentence its own vector


def test_an_index_built_before_sentences_were_stored_embeds_only_the_missing_ones(counted, index_settings,
                                                                                   shared_embedder):
    assistant, embedder = counted
    index = assistant.index
    full = _steps(assistant)
    # the store as an index built before held it: the answer units' vectors only
    chunks = index.all_chunks()
    units_only = {c.chunk_id: [u.text for u in split_units(c, 0)] for c in chunks}
    stored = index.unit_vectors([c.chunk_id for c in chunks])
    index.sentences.put([(cid, [unit_key(t) for t in texts], np.stack([stored[cid][unit_key(t)] for t in texts]))
                         for cid, texts in units_only.items() if texts])
    older = Assistant(index_settings, index=index)
    older.safeguarding.warm_up()
    embedder.texts.clear()
    assert _steps(older) == full  # the same sentences chosen
    assert embedder.texts and not {unit_key(t) for t in embedder.texts} & {
        unit_key(t) for texts in units_only.values() for t in texts}  # only what the store lacked

    # a metadata-only ingest of those chunks fills the store in (embedding only the missing sentences)
    embedder.texts.clear()
    index.update_chunk_metadata(chunks)
    have = index.unit_vectors([c.chunk_id for c in chunks])
    assert all({unit_key(t) for t in stored_texts(c)} <= set(have.get(c.chunk_id, {})) for c in chunks)
    missing = {t for c in chunks for t in stored_texts(c)} - {t for texts in units_only.values() for t in texts}
    assert set(embedder.texts) - {q for c in chunks for q in c.questions} == missing


def test_a_safeguarding_story_is_judged_on_the_same_passages_with_or_without_a_verified_answer(
        index_settings, shared_embedder, monkeypatch):
    """The evidence from retrieval (how close the passages found are to the described situations) is read from
    the same passages whether a verified answer is then given or the answer is written from the passages."""
    story = "her husband insists on reading her gp notes in the nhs app before she is allowed to look at them"
    verified = VerifiedAnswer(
        verified_id="v-story", question=story, answer="Talk to the patient alone and agree what she wants.",
        author="U0REVIEWER", created=dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc))
    index = Index(index_settings, embedder=shared_embedder)
    index.upsert_verified(verified.verified_id, shared_embedder.embed_query(story), "active")
    judged: dict[str, list[str]] = {}
    for name, lookup in (("written", None), ("verified", {verified.verified_id: verified}.get)):
        assistant = build_assistant(index_settings, index=index, verified_lookup=lookup)
        detect = assistant.safeguarding.detect

        def spy(text, vector, hits=(), *, clinical=False, name=name, detect=detect):
            judged[name] = [h.chunk.chunk_id for h in hits]
            return detect(text, vector, hits, clinical=clinical)

        monkeypatch.setattr(assistant.safeguarding, "detect", spy)
        answer = assistant.answer(story)
        assert answer.safeguarding and (answer.kind is AnswerKind.verified) == (name == "verified")
    assert judged["verified"] == judged["written"] and judged["written"]
