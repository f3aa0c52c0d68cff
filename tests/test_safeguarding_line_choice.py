"""Which protective sentence the safeguarding line quotes: a child's step only for a question about a child, and
a sentence that states its step plainly over one that only mentions it."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bot.safeguarding import DEFAULT_SITUATIONS, Safeguarding, SituationFile, StepSentence, load_situations
from bot.settings import AnsweringSettings
from bot.types import Chunk


@pytest.fixture(scope="module")
def shipped() -> SituationFile:
    return load_situations(DEFAULT_SITUATIONS)


@pytest.mark.parametrize("text", [
    "mum has proxy for her 12 yo and the child is on a plan",
    "dad has proxy on his 8 yr old's record",
    "a girl of 14 whose father has proxy access",
    "a 15-year-old told the nurse",
    "parents of a toddler both have proxy access",
    "teenage lad does not want his mum to see",
    "proxy access for under-16s",
    "her daughter, 13, says dad reads her app",
    "she's 15 and her stepdad has proxy",
    "son (14) does not want his mum to see",
    "a 14 y.o. on a child-protection plan",
    "is she Gillick competent? dad has proxy",
    "his 3 kids are all on his proxy",
])
def test_a_question_about_a_child_is_recognised(shipped, text):
    assert shipped.names_child(text)


@pytest.mark.parametrize("text", [
    "her son set up her app and reads everything",
    "17 yo says her boyfriend makes her show him the app",
    "older man whose nephew helps with his phone",
    "daughter has proxy for her elderly mum with dementia",
    "we have 16 year olds asking for access",
    "the childminder rang",  # a word that holds a child word is not one
    "one of 12 practices in the PCN",
    "her husband has read her app for 10 years",  # a span of time is not an age
    "she registered 12 years ago",
    "she's 12 weeks pregnant and her partner reads her app",
    "her son, 40, reads everything on her phone",
])
def test_an_adult_story_with_relatives_in_it_is_not_about_a_child(shipped, text):
    assert not shipped.names_child(text)


def test_the_shipped_file_keeps_the_child_step_apart(shipped):
    assert shipped.child_steps == 1 and "child's record" in shipped.steps[-1]
    assert not any("child's record" in step for step in shipped.steps[:-1])


def test_a_file_without_child_steps_or_words_still_loads(tmp_path: Path):
    path = tmp_path / "situations.yaml"
    path.write_text("situations: [A partner reads the app.]\nprotective_steps: [Switch off access.]\n", encoding="utf-8")
    loaded = load_situations(path)
    assert (loaded.steps, loaded.child_steps, loaded.child_words) == (["Switch off access."], 0, [])
    assert not loaded.names_child("a child") and loaded.names_child("aged 9")
    assert load_situations(tmp_path / "missing.yaml") == SituationFile()


def _safeguarding(sentences: list[StepSentence], weight: float = 0.5) -> Safeguarding:
    """A Safeguarding with its step sentences given (the index and embedder are not needed to choose)."""
    sg = Safeguarding.__new__(Safeguarding)
    sg.file = SituationFile(child_words=["child"], child_steps=1)
    sg.index = SimpleNamespace(settings=SimpleNamespace(
        answering=AnsweringSettings.model_construct(safeguarding_step_clarity_weight=weight)))
    sg.step_sentences = lambda: sentences
    return sg


def _sentence(text: str, vector, closeness: float, for_child: bool = False) -> StepSentence:
    chunk = Chunk(chunk_id=text[:8], doc_id="d.md", text=text, title="t")
    vector = np.asarray(vector, dtype=float)
    return StepSentence(text, chunk, vector / np.linalg.norm(vector), closeness, for_child)


def test_a_childs_step_is_quoted_only_when_the_question_names_a_child():
    question = np.array([1.0, 0.0])
    child_step = _sentence("Hide safeguarding information in a child's record from the parent.", [1.0, 0.1], 0.9,
                           for_child=True)
    adult_step = _sentence("Switch off the patient's record access in their account settings.", [1.0, 0.6], 0.9)
    sg = _safeguarding([child_step, adult_step])
    assert sg.protective_sentence(question, question="her son reads her app").text == adult_step.text
    assert sg.protective_sentence(question, question="a child whose dad has proxy").text == child_step.text
    # the answer already says the adult step: a child's step is still not quoted for an adult's story
    assert sg.protective_sentence(question, adult_step.text, question="her son reads her app") is None


def test_a_plainly_stated_step_beats_a_sentence_that_only_mentions_one():
    question = np.array([1.0, 0.0])
    mention = _sentence("The guidance gives both routes.", [1.0, 0.2], 0.61)
    plain = _sentence("Switch off record access in the patient's account settings.", [1.0, 0.4], 0.94)
    assert _safeguarding([mention, plain], weight=0.0).protective_sentence(question).text == mention.text
    assert _safeguarding([mention, plain], weight=0.5).protective_sentence(question).text == plain.text


def test_a_sentence_withdrawing_a_proxys_access_states_the_proxy_step(shipped, shared_embedder):
    # a relative or carer misusing proxy access: the step is to withdraw the proxy's access, not to switch off the
    # patient's own (which is what a shared login needs)
    steps = shared_embedder.embed(shipped.steps)
    said = {"the practice can withdraw a proxy's access without affecting the patient's own access.": "proxy",
            "Change the patient's online account settings to switch off record access.": "Switch off"}
    for sentence, step in said.items():
        nearest = shipped.steps[int((steps @ shared_embedder.embed([sentence])[0]).argmax())]
        assert step in nearest, (sentence, nearest)


def test_the_line_quotes_a_list_item_with_a_capital():
    from bot import prompts
    from bot.answer import Draft
    from bot.pipeline import Assistant

    item = _sentence("the practice can withdraw a proxy's access without affecting the patient's own access.", [1.0],
                     0.9)
    fake = SimpleNamespace(extractive=SimpleNamespace(tuning=AnsweringSettings.model_construct()))
    text, citations = Assistant._add_safeguarding_line(fake, Draft("An answer.", [], "extractive"), item)
    assert text.endswith(f"{prompts.SAFEGUARDING_PREFIX} The practice can withdraw a proxy's access without affecting "
                         "the patient's own access. [1]")
    assert len(citations) == 1
