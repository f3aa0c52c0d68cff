"""The answering core end to end on the shared fixture index: answers, declines, identifiers,
safeguarding, follow-ups and verified answers."""

import datetime as dt
import json
import re

import pytest

from bot.index import Index
from bot import guard, prompts
from bot.decline_model import MODEL_PATH, DeclineModel
from bot.decline_features import FEATURES
from bot.pipeline import Assistant, build_assistant
from bot.types import AnswerKind, VerifiedAnswer


@pytest.fixture(scope="module")
def assistant(shared_index_settings, shared_embedder):
    return build_assistant(shared_index_settings, index=Index(shared_index_settings, embedder=shared_embedder))


def test_answers_with_the_right_code_cited_and_dated(assistant):
    answer = assistant.answer("we coded someone 104 by mistake, how do we undo it?")
    assert answer.kind is AnswerKind.answered
    assert "`1364751000000106`" in answer.text
    assert "Enhanced review not indicated before granting access to own health record (situation)" in answer.text
    assert answer.citations and answer.citations[0].title == "The enhanced review SNOMED codes"
    assert answer.citations[0].published == "2023-11-02"
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers == {c.number for c in answer.citations}  # every source cited, every citation listed
    assert len(answer.text) < 900
    assert answer.timings_ms["total"] > 0


def test_steps_stay_steps(assistant):
    answer = assistant.answer("TPP practice: how do we switch on prospective access?")
    assert answer.kind is AnswerKind.answered
    assert answer.clinical_systems == ["systmone"]
    assert '4. Tick "By default give prospective access to the full clinical record".' in answer.text


@pytest.mark.parametrize(
    "question",
    ["which antibiotic is first line for a chest infection in an adult", "where is the key to the stationery cupboard",
     "write me a leaving speech for our practice nurse", ":wave:", ""],
)
def test_out_of_scope_is_declined_politely(assistant, question):
    answer = assistant.answer(question)
    assert answer.kind is AnswerKind.out_of_scope
    assert "online access to their GP records" in answer.text
    assert not answer.citations


def test_not_covered_offers_closest_sources_and_a_person(shared_index_settings, shared_embedder):
    # a model whose threshold no evidence reaches: a records-access question is then "not covered"
    data = json.loads(MODEL_PATH.read_text())
    data["answerable"]["threshold"] = data["answerable_with_questions"]["threshold"] = 1.01
    strict = Assistant(shared_index_settings, index=Index(shared_index_settings, embedder=shared_embedder),
                       decline_model=DeclineModel(data))
    answer = strict.answer("how do we stop a hospital letter showing in the patient's online record?")
    assert answer.kind is AnswerKind.not_covered, answer.text
    assert "doesn't cover" in answer.text and "support team" in answer.text and "ask a clinician" in answer.text
    assert answer.closest and not answer.citations
    # a story of coercion declined the same way keeps its cited protective step, and the closest sources its text
    # points to follow the step's citation: numbered after it, never the same page again
    story = strict.answer("her husband insists on reading her gp notes in the nhs app before she is allowed to look at them")
    assert story.kind is AnswerKind.not_covered and story.safeguarding and story.citations, story.text
    assert story.closest
    assert [c.number for c in story.closest] == list(range(len(story.citations) + 1, len(story.citations)
                                                           + len(story.closest) + 1))
    assert not {c.url for c in story.closest} & {c.url for c in story.citations}


def test_the_decline_model_weighs_evidence():
    model = DeclineModel.load()
    strong = {"top_score": 1.1, "top_dense": 0.7, "dense_spread": 0.1, "coverage": 0.8,
              "known_terms": 1.0, "unknown_weight": 0.0, "centroid": 0.5, "question_terms": 2.0, "clinical": 0.0,
              "off_topic": 0.15}
    weak = dict(strong, top_score=0.2, top_dense=0.1, coverage=0.0, known_terms=0.4, question_terms=1.0,
                unknown_weight=0.6, centroid=0.05, off_topic=0.5)
    assert model.decide(strong).answer and model.decide(strong).kind == "answered"
    declined = model.decide(weak)
    assert not declined.answer and declined.kind in {"not_covered", "out_of_scope"}
    assert declined.p_answerable < model.answerable.threshold < model.decide(strong).p_answerable


def test_a_model_fitted_on_other_features_is_refused():
    data = json.loads(MODEL_PATH.read_text())
    data["features"] = list(FEATURES[:-1])
    with pytest.raises(ValueError, match="fit_decline_model"):
        DeclineModel(data)


@pytest.mark.parametrize("key", ["threshold", "evidence_weight", "step_min_similarity"])
def test_a_model_without_a_fitted_safeguarding_value_is_refused_naming_file_and_key(
        shared_index_settings, shared_embedder, key):
    """No safeguarding value has a fallback: none was ever measured, so a model file without one stops the
    assistant from being built, with a message naming the file and the key."""
    data = json.loads(MODEL_PATH.read_text())
    assert data["safeguarding"][key] is not None  # the shipped model carries every fitted value
    del data["safeguarding"][key]
    with pytest.raises(ValueError, match=rf"^bot/decline_model\.json has no safeguarding\.{key}: re-run "
                                         r"eval/fit_decline_model\.py$"):
        Assistant(shared_index_settings, index=Index(shared_index_settings, embedder=shared_embedder),
                  decline_model=DeclineModel(data))


def test_confidence_weighs_the_best_retrieval_score_and_the_coverage_as_the_settings_say():
    from bot.answer import Draft
    from bot.pipeline import confidence_of
    from bot.retrieval import Retrieval
    from bot.settings import AnsweringSettings
    from bot.types import Chunk, ScoredChunk

    hit = ScoredChunk(chunk=Chunk(chunk_id="c", doc_id="d", text="t", title="T"), score=0.65)
    retrieval = Retrieval(query=None, query_vector=None, results=[hit], candidates=1)
    draft = Draft(text="an answer", citations=[], answerer="extractive", coverage=2.0)  # coverage counts at most 1
    defaults = AnsweringSettings.model_construct()
    assert confidence_of(retrieval, draft, defaults) == round(0.6 * (0.65 - 0.3) / 0.7 + 0.4, 3)
    retrieval_only = defaults.model_copy(update={"confidence_retrieval_share": 1.0, "confidence_score_floor": 0.0})
    assert confidence_of(retrieval, draft, retrieval_only) == 0.65
    assert confidence_of(retrieval, None, defaults) == 0.0


def test_pasted_identifiers_are_warned_and_never_repeated(assistant):
    answer = assistant.answer("Mr Peter Placeholder DOB 22/11/1975 NHS 999 186 0916 coded 104 by mistake, how do we undo it?")
    assert answer.pii_warning and {"nhs_number", "date_of_birth", "name"} <= set(answer.pii_kinds)
    dumped = json.dumps(answer.model_dump(mode="json"))
    for leaked in ("999 186 0916", "9991860916", "Placeholder", "22/11/1975"):
        assert leaked not in dumped
    assert answer.kind is AnswerKind.answered  # the generic question still gets its answer
    assert "1364751000000106" in answer.text


def test_no_false_alarm_on_codes_dates_and_help_lines(assistant):
    answer = assistant.answer("is 1364731000000104 the 104 code? the BMA DPIA dated 6 October 2023 mentions it")
    assert not answer.pii_warning


def _safeguarding_line(answer):
    return [line for line in answer.text.splitlines() if line.startswith(prompts.SAFEGUARDING_PREFIX)]


def _quotes(sentence: str, text: str) -> bool:
    """The line quotes a sentence of the passage as written, its first letter capitalised (a list item's is not)."""
    return sentence in text or (sentence[0].lower() + sentence[1:]) in text


def test_a_story_without_keywords_gets_a_cited_protective_step(assistant):
    story = "her husband insists on reading her gp notes in the nhs app before she is allowed to look at them"
    assert not guard.safeguarding_signal(story)  # heard from the situation, not from a keyword
    answer = assistant.answer(story)
    assert answer.safeguarding and answer.kind is AnswerKind.answered
    [line] = _safeguarding_line(answer)
    number = int(re.findall(r"\[(\d+)\]", line)[-1])
    [cited] = [c for c in answer.citations if c.number == number]
    sentence = line[len(prompts.SAFEGUARDING_PREFIX):].rsplit("[", 1)[0].strip()
    passages = [c.text for c in assistant.index.all_chunks() if c.doc_id == cited.doc_id]
    assert sentence[0].isupper() and any(_quotes(sentence, text) for text in passages)


def test_an_ordinary_question_gets_no_safeguarding_line(assistant):
    answer = assistant.answer("which box do we untick in docman so a letter is not shown online?")
    assert not answer.safeguarding and not _safeguarding_line(answer)


def test_a_routine_proxy_request_is_not_a_story_of_risk(assistant):
    """Close to "a parent could see a child's safeguarding record" by topic, but nobody is at risk: the question
    is nearer a routine request than a situation, so no line."""
    sg = assistant.safeguarding
    assert sg.routine_margin is not None  # the shipped calibration uses the routine requests
    question = "mum wants proxy access for her 8 year old, what do we check?"
    vector = assistant.index.embedder.embed_query(question)
    assert sg.similarity(vector) - sg.routine_similarity(vector) < sg.routine_margin
    answer = assistant.answer(question)
    assert not answer.safeguarding and not _safeguarding_line(answer)


def test_without_a_protective_passage_the_line_offers_a_person(shared_index_settings, shared_embedder):
    strict = Assistant(shared_index_settings, index=Index(shared_index_settings, embedder=shared_embedder))
    strict.safeguarding.step_min_similarity = 1.01  # no indexed sentence states a protective step
    answer = strict.answer("a patient's partner is forcing her to show him her record on the app, what can we do?")
    assert answer.safeguarding and answer.kind is AnswerKind.answered
    assert _safeguarding_line(answer) == [prompts.SAFEGUARDING_ASK_PERSON]
    assert not re.search(r"\[\d+\]", prompts.SAFEGUARDING_ASK_PERSON)


def test_follow_up_uses_the_threads_earlier_question(assistant):
    first = assistant.answer("how do I hide a letter from the patient when filing in docman?")
    follow = assistant.answer("and what about after it is filed?", history=[first.question])
    assert follow.kind is AnswerKind.answered
    assert any(c.title == "Hiding letters when filing in Docman" for c in follow.citations)


def test_verified_answer_preferred_for_the_same_question_only(index_settings, shared_embedder):
    """The index finds the verified answer's id; `verified_lookup` (the review store's, here a dict) gives it."""
    index = Index(index_settings, embedder=shared_embedder)
    verified = VerifiedAnswer(
        verified_id="v-104", question="we put the 104 code on a patient by mistake, how do we remove it?",
        answer="Add the 106 code to cancel it, then check the patient's online account settings. [1]",
        author="U0REVIEWER", created=dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc), cited_doc_ids=["x"],
    )
    store = {verified.verified_id: verified}
    assistant = build_assistant(index_settings, index=index, verified_lookup=store.get)
    index.upsert_verified(verified.verified_id, shared_embedder.embed_query(verified.question), "active")
    asked = "if we added the 104 code to someone by mistake how do we take it off again?"
    same = assistant.answer(asked)
    assert same.kind is AnswerKind.verified and same.verified.author == "U0REVIEWER"
    assert same.text.startswith("Add the 106 code")
    related = assistant.answer("what's the code to stop someone seeing their record?")
    assert related.kind is not AnswerKind.verified
    assert build_assistant(index_settings, index=index).answer(asked).kind is not AnswerKind.verified  # no store
    store[verified.verified_id] = verified.model_copy(update={"status": "needs_review"})
    assert assistant.answer(asked).kind is not AnswerKind.verified  # the store's status counts, whatever the index says
    store[verified.verified_id] = verified
    index.set_verified_status("v-104", "needs_review")
    stale = assistant.answer(asked)
    assert stale.kind is not AnswerKind.verified  # a verified answer under review is no longer preferred


def test_a_verified_answer_to_a_safeguarding_story_gets_the_cited_protective_line(index_settings, shared_embedder):
    from bot.types import Citation

    index = Index(index_settings, embedder=shared_embedder)
    cited = Citation(number=1, chunk_id="c-1", doc_id="coercion", title="Coercion and online access",
                     url="https://example.org/coercion")
    story = "her husband insists on reading her gp notes in the nhs app before she is allowed to look at them"
    verified = VerifiedAnswer(
        verified_id="v-story", question=story, answer="Talk to the patient alone and agree what she wants. [1]",
        author="U0REVIEWER", created=dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc), citations=[cited],
        cited_doc_ids=["coercion"])
    index.upsert_verified(verified.verified_id, shared_embedder.embed_query(story), "active")
    assistant = build_assistant(index_settings, index=index, verified_lookup={verified.verified_id: verified}.get)
    answer = assistant.answer(story)
    assert answer.kind is AnswerKind.verified and answer.safeguarding
    assert answer.text.startswith("Talk to the patient alone")
    [line] = _safeguarding_line(answer)
    number = int(re.findall(r"\[(\d+)\]", line)[-1])
    assert number > 1  # numbered on from the verified answer's own citation, which is kept
    assert answer.citations[0] == cited
    [step_citation] = [c for c in answer.citations if c.number == number]
    sentence = line[len(prompts.SAFEGUARDING_PREFIX):].rsplit("[", 1)[0].strip()
    passages = [c.text for c in index.all_chunks() if c.doc_id == step_citation.doc_id]
    assert sentence[0].isupper() and any(_quotes(sentence, text) for text in passages)


def test_answer_comes_from_the_matching_section_not_the_lead_paragraph(assistant):
    """The context is the retrieved passages in order of relevance: no lead paragraph is forced in, and the
    section that matched is what the answer quotes."""
    from bot.query import prepare_query

    query = prepare_query("when does EMIS read the 104 code?", assistant.glossary)
    results = assistant.retriever.retrieve(query, k=6).results
    per_doc = {}
    for r in results:
        per_doc[r.chunk.doc_id] = per_doc.get(r.chunk.doc_id, 0) + 1
    assert max(per_doc.values()) <= 2
    answer = assistant.answer("when does EMIS read the 104 code?")
    assert answer.text.startswith("EMIS Web reads the codes at go-live")  # not the passage's first lines


def test_section_questions_are_extra_vectors_pointing_at_their_section(annotated_assistant):
    from bot.query import prepare_query

    query = prepare_query("how do i actually block one persons app access", annotated_assistant.glossary)
    top = annotated_assistant.retriever.retrieve(query, k=3).results[0]
    assert top.chunk.heading_path[-1] == "Steps to restrict access"
    assert top.question is not None and top.question > 0.9  # the section's own question, nearly word for word
    annotated_assistant.retriever.use_questions = False
    try:
        plain = annotated_assistant.retriever.retrieve(query, k=3).results
        assert all(r.question is None for r in plain)
        same = next(r for r in plain if r.chunk.chunk_id == top.chunk.chunk_id)
        assert same.dense < top.question - 0.2  # the passage alone is much further from the staff wording
    finally:
        annotated_assistant.retriever.use_questions = True


def test_annotated_answer_cites_the_source_page_with_its_own_title(annotated_assistant):
    answer = annotated_assistant.answer("how do we restrict one patient's online access to their record?")
    assert answer.kind is AnswerKind.answered
    titles = {c.title for c in answer.citations}
    assert titles <= {"Safeguarding and managing inappropriate use", "GP online services toolkit, chapter 7"}
    assert titles and "UNCONFIRMED" not in answer.text
    guidance = [c for c in answer.citations if c.title == "Safeguarding and managing inappropriate use"]
    assert guidance and guidance[0].publisher == "NHS England" and guidance[0].published == "2023-11-02"
    plain = annotated_assistant.answer("can a clinician hide a test result until they have spoken to the patient?")
    assert plain.kind is AnswerKind.answered
    assert [(c.title, c.url) for c in plain.citations] == [("Hiding a test result", "https://example.org/icb/hiding-results")]


def test_search_command_lists_passages_with_sources(shared_index_settings, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("GPBOT_DATA_DIR", str(shared_index_settings.data_dir))
    monkeypatch.setenv("GPBOT_KNOWLEDGE_DIR", str(shared_index_settings.knowledge_dir))
    result = CliRunner().invoke(app, ["search", "docman filing visible", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("1.")
    assert "Hiding letters when filing in Docman" in result.output
    assert "https://docman.helpdocs.io/article/ajhp8wsz27-patient-visibility-settings-when-filing-no-review" in result.output


def test_the_safeguarding_line_fits_inside_the_length_limit(annotated_assistant):
    question = "a patient living with domestic abuse: how do we restrict her online access to her record?"
    full = annotated_assistant.answer(question)
    assert full.safeguarding and _safeguarding_line(full)
    limit = len(full.text) - 50  # the answer as first written no longer fits with its line
    original = annotated_assistant.extractive.tuning.answer_max_total_chars
    annotated_assistant.extractive.tuning.answer_max_total_chars = limit
    try:
        short = annotated_assistant.answer(question)
    finally:
        annotated_assistant.extractive.tuning.answer_max_total_chars = original
    assert short.safeguarding and _safeguarding_line(short)
    assert len(short.text) <= limit


def test_the_tuning_settings_reach_retrieval_and_the_answerer(assistant):
    """The values of the retrieval and answering sections are the ones the assistant uses (one source of truth)."""
    question = "we coded someone 104 by mistake, how do we undo it?"
    default = assistant.answer(question)
    tuned = build_assistant(assistant.settings.replace(retrieval_pool=5, answer_max_units=1, rerank_question_margin=0.25),
                            index=assistant.index)
    assert tuned.retriever.reranker.question_margin == 0.25
    answer = tuned.answer(question)
    assert answer.kind is AnswerKind.answered
    assert len(answer.text) < len(default.text) and "\n\n" not in answer.text  # one unit, not several
    _, query = tuned.prepare(question)
    assert tuned.retriever.retrieve(query).candidates <= 5 < assistant.retriever.retrieve(query).candidates


def test_a_request_for_clinical_advice_about_a_child_is_out_of_scope_with_no_safeguarding_line(assistant, monkeypatch):
    # even when the question sits close to a described situation (a child at risk, on the shipped corpus)
    monkeypatch.setattr(assistant.safeguarding, "score", lambda *args, **kwargs: 10.0)
    monkeypatch.setattr(assistant.safeguarding, "routine_margin", None)
    assert assistant.answer("a child at home where her father reads her record in the app").safeguarding
    answer = assistant.answer("can you recommend a good dose of amoxicillin for a child")
    assert answer.kind is AnswerKind.out_of_scope and answer.text.startswith(prompts.OUT_OF_SCOPE_CLINICAL[:40])
    assert not _safeguarding_line(answer) and not answer.citations
