"""The extractive answerer: selection and citation (the language-model answerer: tests/test_llm*.py)."""

import pytest

from bot.answer import ExtractiveAnswerer
from bot.units import split_units
from bot.query import Glossary, prepare_query
from bot.settings import AnsweringSettings
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


# --- issue 10: section-level answers, exact citations, clean answers ---
GUIDANCE = "https://example.org/guidance/safeguarding"
TOOLKIT = "https://example.org/toolkit/chapter-7"
ANNOTATED = Chunk(
    chunk_id="r-2", doc_id="restrict.md", title="Restricting access", heading_path=["Restricting access", "Steps"],
    source_urls=[GUIDANCE, TOOLKIT], publisher=["NHS England", "RCGP"], chunk_index=1,
    text=("The safeguarding lead decides whether access is restricted.\n"
          "Staff then change the record access setting in the patient's online account."),
    line_sources=[(0, [TOOLKIT]), (1, [GUIDANCE])],
    references={GUIDANCE: {"title": "Safeguarding and managing inappropriate use", "publisher": "NHS England",
                           "date": "2023-11-02"},
                TOOLKIT: {"title": "GP online services toolkit", "publisher": "RCGP", "date": ""}},
)


def test_each_sentence_cites_the_page_recorded_for_it_with_that_pages_own_details():
    query = prepare_query("who decides to restrict access and how do staff change the access setting?", Glossary({}))
    draft = ExtractiveAnswerer(idf=_idf).answer(query, _results(ANNOTATED))
    by_url = {c.url: c for c in draft.citations}
    assert set(by_url) == {GUIDANCE, TOOLKIT}
    assert f"restricted. [{by_url[TOOLKIT].number}]" in draft.text
    assert f"online account. [{by_url[GUIDANCE].number}]" in draft.text
    assert by_url[GUIDANCE].title == "Safeguarding and managing inappropriate use"
    assert by_url[GUIDANCE].publisher == "NHS England" and by_url[GUIDANCE].published == "2023-11-02"
    assert by_url[TOOLKIT].publisher == "RCGP"


def test_an_unannotated_document_cites_itself():
    draft = ExtractiveAnswerer(idf=_idf).answer(prepare_query("undo a 104 code with the 106 code", Glossary({})),
                                                _results(CODES))
    assert [(c.title, c.url) for c in draft.citations] == [("The enhanced review codes", "https://example.org/codes")]


def test_redundancy_removal_keeps_a_line_that_differs_only_in_a_code():
    codes = Chunk(
        chunk_id="c-1", doc_id="c.md", title="Codes", heading_path=["Codes"], source_urls=["https://example.org/c"],
        text=("- The enhanced review code 104 stops automatic access to new entries for the patient.\n"
              "- The enhanced review code 106 stops automatic access to new entries for the patient."),
    )
    draft = ExtractiveAnswerer(idf=_idf).answer(prepare_query("enhanced review code automatic access", Glossary({})),
                                                _results(codes))
    assert "code 104" in draft.text and "code 106" in draft.text
    same = codes.model_copy(update={"text": codes.text.replace("code 106", "code 104")})
    draft = ExtractiveAnswerer(idf=_idf).answer(prepare_query("enhanced review code automatic access", Glossary({})),
                                                _results(same))
    assert draft.text.count("code 104") == 1  # the same sentence twice is still shown once


def test_clean_answers_no_notes_no_pointers_no_stray_numbering_no_lone_lead_in():
    chunk = Chunk(
        chunk_id="n-1", doc_id="n.md", title="Hiding results", heading_path=["Hiding results", "Steps"],
        source_urls=["https://example.org/n"],
        text=("This figure is UNCONFIRMED in the sources used for this corpus, so hide results with care.\n\n"
              "This knowledge base also explains how a clinician can hide a result from online view.\n\n"
              "A clinician can hide a result as described above until they have spoken to the patient.\n\n"
              "The list below shows how to hide a result:\n\n"
              "7. Open the result and choose to hide it from online view.\n"
              "8. Tell the patient when the result will be visible to them."),
    )
    query = prepare_query("how can a clinician hide a result from online view", Glossary({}))
    draft = ExtractiveAnswerer(idf=_idf).answer(query, _results(chunk))
    assert "UNCONFIRMED" not in draft.text and "corpus" not in draft.text and "knowledge base" not in draft.text
    vendor = Chunk(chunk_id="v-1", doc_id="v.md", title="EMIS", text="The EMIS Knowledge Base explains online visibility.")
    assert [u.text for u in split_units(vendor, 0)] == [vendor.text]  # a vendor's knowledge base is not ours
    assert "above" not in draft.text and "below" not in draft.text
    assert "A clinician can hide a result until they have spoken to the patient." in draft.text
    assert "- Open the result and choose to hide it" in draft.text and "7." not in draft.text


def test_sentence_vectors_from_ingest_let_a_paraphrase_win():
    import numpy as np

    from bot.units import unit_key

    chunk = Chunk(
        chunk_id="p-1", doc_id="p.md", title="Access", heading_path=["Access"], source_urls=["https://example.org/p"],
        text=("Patients see their record in the app once the practice turns the service on.\n\n"
              "A partner who pressures someone to show their records is a reason to switch off online access."),
    )
    answering, other = np.eye(384, dtype=np.float32)[:2]
    stored = {"p-1": {unit_key(chunk.text.split("\n\n")[0]): other, unit_key(chunk.text.split("\n\n")[1]): answering}}
    query = prepare_query("husband keeps making her show him the app", Glossary({}))
    query.vector = answering
    with_vectors = ExtractiveAnswerer(idf=_idf, unit_vectors=lambda ids: {i: stored[i] for i in ids if i in stored},
                                      tuning=AnsweringSettings.model_construct(answer_max_units=1))
    assert with_vectors.answer(query, _results(chunk)).text.startswith("A partner who pressures")
    lexical_only = ExtractiveAnswerer(idf=_idf, tuning=AnsweringSettings.model_construct(answer_max_units=1))
    assert lexical_only.answer(query, _results(chunk)).text.startswith("Patients see their record")


def test_a_list_item_repeating_the_answer_is_left_out_and_the_list_loses_its_numbers():
    steps = Chunk(
        chunk_id="st-1", doc_id="st.md", title="Delay", heading_path=["Delay", "What happened"],
        source_urls=["https://example.org/st"],
        text=("1. Practices that wrote to their supplier before the cut-off had their switch-on delayed.\n"
              "2. Other practices were switched on in phases agreed with their supplier."),
    )
    timeline = Chunk(
        chunk_id="tl-1", doc_id="tl.md", title="Timeline", heading_path=["Timeline"], source_urls=["https://example.org/tl"],
        text=("1. Practices that wrote to their supplier before the cut-off had their switch-on delayed.\n"
              "2. The national switch-on was halted for practices that asked their supplier not to proceed."),
    )
    query = prepare_query("which practices had their switch-on delayed or halted by their supplier?", Glossary({}))
    tuning = AnsweringSettings.model_construct(answer_other_document_cutoff=0.0, answer_max_lists=2)
    draft = ExtractiveAnswerer(idf=_idf, tuning=tuning).answer(query, _results(steps, timeline))
    assert draft.text.count("wrote to their supplier before the cut-off") == 1
    assert "- The national switch-on was halted" in draft.text  # what is new stays, as a bullet


SWITCH_ON_STEPS = Chunk(
    chunk_id="so-1", doc_id="so.md", title="Switching on", heading_path=["Switching on", "Steps"],
    source_urls=["https://example.org/so"],
    text=("To switch on online record access for a patient in the clinical system:\n\n"
          "1. Open the patient's online services account.\n2. Choose the record access level.\n"
          "3. Save the online record access settings."),
)
PROXY_STEPS = Chunk(
    chunk_id="px-1", doc_id="px.md", title="Proxy", heading_path=["Proxy", "Steps"],
    source_urls=["https://example.org/px"],
    text=("1. Check the proxy's identity before switching on online record access.\n"
          "2. Record the proxy's access level in the clinical system.\n3. Switch on the proxy's online access."),
)


def test_a_sentence_ending_in_a_colon_stays_with_the_steps_it_introduces():
    units = split_units(SWITCH_ON_STEPS, 0)
    assert len(units) == 1 and units[0].is_list
    assert units[0].text.splitlines()[0].endswith("in the clinical system:")
    query = prepare_query("how do I switch on online record access in the clinical system", Glossary({}))
    draft = ExtractiveAnswerer(idf=_idf).answer(query, _results(SWITCH_ON_STEPS))
    assert draft.text.startswith("To switch on online record access for a patient in the clinical system: [1]\n1. Open")


def test_pointers_to_other_documents_are_taken_out_of_units():
    chunk = Chunk(
        chunk_id="pt-1", doc_id="pt.md", title="Codes", heading_path=["Codes"], source_urls=["https://example.org/pt"],
        text=("Review the patient before access is given, then add the 106 code (see the 106 code document).\n\n"
              "The 104 code is read only at certain moments; see the document on code timing.\n\n"
              "For hiding a single result, see the test-results documents.\n\n"
              "Practices oversee the documents they file and the patient sees each document.\n\n"
              "Results are released:\n- after filing\n- For hiding them, see the test-results documents.\n\n"
              "1. Set the visibility on the entry.\n2. For letters filed through Docman, see the Docman filing "
              "document."),
    )
    assert [u.text for u in split_units(chunk, 0)] == [
        "Review the patient before access is given, then add the 106 code.",
        "The 104 code is read only at certain moments.",
        "Practices oversee the documents they file and the patient sees each document.",
        "Results are released:\n- after filing",
        "1. Set the visibility on the entry.",  # a last step that only points elsewhere goes too
    ]


@pytest.mark.parametrize("sentence", [
    "NHS England advises against bulk 104 coding; see the document on bulk coding, where the BMA takes a different view.",
    "The opt-in model follows a DPIA; see the position documents before deciding.",
    "Flags did not transfer in 2022; see the GP2GP document for the later change.",
    "Follow the guidance; see the document on coding, which says the code is reviewed yearly.",
])
def test_a_pointer_followed_by_more_guidance_leaves_the_sentence_whole(sentence):
    chunk = Chunk(chunk_id="pt-2", doc_id="pt.md", title="Codes", text=sentence)
    assert [u.text for u in split_units(chunk, 0)] == [sentence]


def test_steps_straight_under_a_heading_are_introduced_by_it():
    chunk = Chunk(chunk_id="h-1", doc_id="m.md", title="Models", heading_path=["Models", "BMA opt-in model: EMIS"],
                  text="1. Bulk-add the 104 code to patients without access.\n2. Give access when a patient asks.")
    assert [u.text for u in split_units(chunk, 0)] == [
        "BMA opt-in model – EMIS:\n1. Bulk-add the 104 code to patients without access.\n2. Give access when a patient asks."]
    # a sentence of its own introducing them wins; a page without sections gives no heading
    said = chunk.model_copy(update={"text": "Under this model practices do the following:\n" + chunk.text})
    assert split_units(said, 0)[0].text.startswith("Under this model practices do the following:\n1.")
    alone = chunk.model_copy(update={"heading_path": ["Models"]})
    assert split_units(alone, 0)[0].text.startswith("1. Bulk-add")


def test_a_heading_ends_the_lead_in_before_it():
    chunk = Chunk(chunk_id="h-2", doc_id="m.md", title="Steps",
                  text="Do the following now:\n\n### Another topic\n\n1. Open the record.\n2. Save it.")
    units = [u.text for u in split_units(chunk, 0)]
    # the colon sentence stays a sentence of its own (which an answer leaves out), not joined to the next topic's steps
    assert units == ["Do the following now:", "Another topic:\n1. Open the record.\n2. Save it."]


def test_an_answer_holds_one_whole_list_unless_told_more():
    query = prepare_query("how do I switch on online record access in the clinical system", Glossary({}))
    results = _results(SWITCH_ON_STEPS, PROXY_STEPS)
    loose = AnsweringSettings.model_construct(answer_other_document_cutoff=0.0, answer_max_lists=2)
    assert "Check the proxy's identity" in ExtractiveAnswerer(idf=_idf, tuning=loose).answer(query, results).text
    one_list = AnsweringSettings.model_construct(answer_other_document_cutoff=0.0)
    text = ExtractiveAnswerer(idf=_idf, tuning=one_list).answer(query, results).text
    assert "1. Open the patient's online services account." in text and "proxy" not in text


def test_a_list_keeps_its_introducing_sentence_even_when_the_answer_says_much_the_same():
    from bot.answer import _without_repeated_items
    from bot.units import Unit

    said = Unit("The guidance says an abuser may force a patient to share information from the record.", 0, 1.0)
    listed = Unit("The guidance says an abuser may force a patient to share information from the record, including:\n"
                  "- sexual health information;\n- details of appointments.", 1, 0.9, is_list=True)
    kept = _without_repeated_items(listed, [said])
    assert kept is not None and kept.text.splitlines() == listed.text.splitlines()  # items never lose their lead-in
    repeated = Unit("The guidance says an abuser may force a patient to share information from the record, including:\n"
                    "- share information from the record.", 1, 0.9, is_list=True)
    assert _without_repeated_items(repeated, [said]) is None  # nothing new: the whole list goes


def test_steps_stay_whole_and_a_later_sentence_a_step_says_again_goes():
    advice = Chunk(
        chunk_id="a-1", doc_id="a.md", title="Stopping access", heading_path=["Stopping access"],
        source_urls=["https://example.org/a"],
        text=("A practice can switch off a patient's online access when access could cause serious harm. "
              "Record the decision in the notes."),
    )
    steps = Chunk(
        chunk_id="b-1", doc_id="b.md", title="Steps", heading_path=["Steps"], source_urls=["https://example.org/b"],
        text=("1. Talk to the safeguarding lead first.\n"
              "2. Where possible speak to the patient first; if that is not possible, consider switching off access.\n"
              "3. Record the decision in the notes."),
    )
    query = prepare_query("when can a practice switch off a patient's online access", Glossary({}))
    tuning = AnsweringSettings.model_construct(answer_other_document_cutoff=0.0, answer_relative_cutoff=0.0)
    text = ExtractiveAnswerer(idf=_idf, tuning=tuning).answer(query, _results(advice, steps)).text
    assert text.startswith("A practice can switch off")  # the opening sentence is never the one that goes
    assert text.count("Record the decision in the notes") == 1  # said once: in its step
    # a procedure with a step missing is broken, so the steps keep every step and their numbers
    assert "1. Talk to the safeguarding lead first." in text and "3. Record the decision" in text
    # a line to be added beside the answer (the safeguarding line) may repeat a step; the step stays
    said = ["Where possible speak to the patient first; if that is not possible, consider switching off access."]
    beside = ExtractiveAnswerer(idf=_idf, tuning=tuning).answer(query, _results(advice, steps), said=said).text
    assert "2. Where possible speak to the patient first" in beside and "3. Record the decision" in beside


def test_a_line_to_be_added_after_the_answer_is_not_said_in_it_too():
    from bot.repeats import repeats_answer

    chunk = Chunk(
        chunk_id="c-1", doc_id="c.md", title="Coercion", heading_path=["Coercion"], source_urls=["https://example.org/c"],
        text=("Staff who suspect coercion should involve the practice safeguarding lead. "
              "If speaking to the patient is not possible, consider switching off the patient's online access."),
    )
    line = "Where possible speak to the patient first; if that is not possible, consider switching off online access."
    query = prepare_query("partner forcing her to show the app: tell the safeguarding lead, or switch off online access?",
                          Glossary({}))
    answerer = ExtractiveAnswerer(idf=_idf)
    assert repeats_answer(line, answerer.answer(query, _results(chunk)).text)
    text = answerer.answer(query, _results(chunk), said=[line]).text
    assert "consider switching off" not in text and "safeguarding lead" in text
    assert not repeats_answer(line, text)
    only = Chunk(chunk_id="o-1", doc_id="o.md", title="Off", heading_path=["Off"], source_urls=["https://example.org/o"],
                 text="If speaking to the patient is not possible, consider switching off the patient's online access.")
    assert "consider switching off" in answerer.answer(query, _results(only), said=[line]).text  # never empty


def test_a_list_introduced_by_its_heading_cites_what_its_first_step_cites():
    steps = Chunk(chunk_id="hd-1", doc_id="hd.md", title="Models", heading_path=["Models", "BMA opt-in model"],
                  source_urls=["https://example.org/hub", "https://example.org/models", "https://example.org/other"],
                  text="1. Bulk-add the 104 code to patients without access.\n2. Give access when a patient asks.",
                  line_sources=[(0, ["https://example.org/models", "https://example.org/other"]),
                                (1, ["https://example.org/other"])])
    query = prepare_query("what does the BMA opt-in model tell practices to do", Glossary({}))
    one_page = AnsweringSettings.model_construct(answer_max_sources_per_line=1)  # a line cites its best page only
    text = ExtractiveAnswerer(idf=_idf, tuning=one_page).answer(query, _results(steps)).text
    heading, first, second = text.splitlines()[:3]
    assert heading.startswith("BMA opt-in model: [") and first.startswith("1. Bulk-add the 104 code")
    assert heading.split(": ", 1)[1] == first.rsplit(". ", 1)[1]  # the same pages as its first step
    # a sentence of the passage ending in ":" is no heading, whatever its words
    said = steps.model_copy(update={"text": "Under this model:\n" + steps.text, "line_sources": []})
    assert not split_units(said, 0)[0].heading_lead_in
