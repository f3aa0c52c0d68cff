"""The order an answer is read in: a question asked for a yes or no opens on its plain sentence, not a list; a thread
follow-up opens on what it asks, not on the earlier question's answer; a fuller sentence that replaces one it says in
full is read in that one's place."""

import numpy as np
import pytest

from bot.answer import ExtractiveAnswerer
from bot.reading_order import LEANS_BACK, asks_yes_no, reading_order, with_what_they_lean_on
from bot.query import Glossary, prepare_query
from bot.settings import AnsweringSettings
from bot.types import Chunk, ScoredChunk
from bot.units import Unit, unit_key


@pytest.mark.parametrize("question, yes_no", [
    ("do we have to switch off proxy at 13?", True),
    ("pt had access turned down ages ago. do we still need to add the code?", True),
    ("ok so can reception do it without a gp appt", True),
    ("hi team, do we have to add the code?", True),
    ("is there an actual checklist from nhse?", False),  # asks for a thing, which a list may be
    ("can you tell me how to add the 104 code in emis?", False),  # a request put to someone
    ("does anyone know how to bulk add the 104 code?", False),
    ("do you have a checklist for go-live?", False),
    ("how do I hide a result in emis?", False),
    ("which code stops automatic access?", False),
])
def test_a_question_asked_for_a_yes_or_no_is_recognised(question, yes_no):
    assert asks_yes_no(question) is yes_no


def test_a_yes_or_no_question_opens_on_its_sentence_when_it_scores_near_the_list():
    steps = Unit("Steps to switch off access:\n1. Open the account.\n2. Untick record access.", 0, 0, is_list=True,
                 score=1.0)
    plain = Unit("No GP appointment is needed: any staff member with record access can remove it.", 1, 0, score=0.8)
    faint = Unit("The BMA wrote to practices in 2023.", 1, 1, score=0.5)
    assert reading_order([steps, plain, faint])[0] is steps  # any other question: the best unit opens
    assert reading_order([steps, plain, faint], 0.65)[0] is plain  # yes or no: the plain answer opens, the list stays
    assert set(map(id, reading_order([steps, plain, faint], 0.65))) == {id(steps), id(plain), id(faint)}
    assert reading_order([steps, faint], 0.65)[0] is steps  # a sentence well below the list does not


def test_the_best_ranked_passage_opens_when_its_best_unit_scores_near_the_best():
    rule = Unit("Only a clinician can decide to amend the record.", 0, 1, score=0.7)
    first = Unit("Record the request and the date it was received.", 0, 0, score=0.5)
    stray = Unit("Survivors were advised to consider deleting the NHS App.", 2, 0, score=1.0)
    assert reading_order([first, rule, stray], None, 0.6)[0] is rule  # passage 0's best unit, at 0.7 of the best
    assert reading_order([first, rule, stray], None, 0.8)[0] is stray  # too far below: the best unit opens
    assert len(reading_order([first, rule, stray], None, 0.6)) == 3  # only the order changes
    # a yes-or-no question: the passage's best sentence, never its list
    steps = Unit("Steps:\n1. Open the account.\n2. Untick record access.", 0, 0, is_list=True, score=0.9)
    plain = Unit("Any staff member with record access can remove it.", 1, 0, score=1.0)
    assert reading_order([steps, plain], 0.65, 0.6)[0] is plain


def test_a_follow_up_is_answered_on_its_own_words_as_well_as_the_threads():
    hide, show = ("To hide a result, set its online visibility while filing it.",
                  "A hidden result can be shown again once the patient has been told.")
    chunk = Chunk(chunk_id="r-1", doc_id="r.md", title="Results", heading_path=["Results"],
                  source_urls=["https://example.org/r"], text=f"{hide}\n\n{show}")
    on_hiding, on_showing = np.eye(384, dtype=np.float32)[:2]
    stored = {"r-1": {unit_key(hide): on_hiding, unit_key(show): on_showing}}
    query = prepare_query("can it be shown again later?", Glossary({}), history=["how do i hide a result"])
    assert query.own_text == "can it be shown again later?"
    query.vector, query.own_vector = on_hiding, on_showing

    def first_line(share):
        answerer = ExtractiveAnswerer(idf=lambda term: 1.0, unit_vectors=lambda ids: {i: stored[i] for i in ids if i in stored},
                                      tuning=AnsweringSettings.model_construct(answer_max_units=1,
                                                                               answer_follow_up_own_share=share))
        return answerer.answer(query, [ScoredChunk(chunk=chunk, score=1.0)]).text

    assert first_line(0.0).startswith("To hide a result")  # the thread's question alone: the earlier answer
    assert first_line(0.6).startswith("A hidden result can be shown again")
    assert prepare_query("can it be shown again later?", Glossary({})).own_text == ""  # not in a thread


def _leaning(text_before: str, leaning: str, max_units: int = 1, between: str = " ") -> str:
    """The answer to a question whose vector matches `leaning` alone, from a passage holding the two sentences."""
    chunk = Chunk(chunk_id="p-1", doc_id="p.md", title="Redaction", heading_path=["Redaction"],
                  source_urls=["https://example.org/p"], text=f"{text_before}{between}{leaning}")
    first, second = np.eye(384, dtype=np.float32)[:2]
    stored = {"p-1": {unit_key(text_before): first, unit_key(leaning): second}}
    query = prepare_query("does hiding it delete anything", Glossary({}))
    query.vector = second
    answerer = ExtractiveAnswerer(idf=lambda term: 1.0, unit_vectors=lambda ids: {i: stored[i] for i in ids if i in stored},
                                  tuning=AnsweringSettings.model_construct(answer_max_units=max_units))
    return answerer.answer(query, [ScoredChunk(chunk=chunk, score=1.0)]).text


def test_a_sentence_that_leans_on_the_one_before_is_read_after_it():
    text = _leaning("Redaction hides an entry from the patient online.", "It does not remove the information from the record.")
    assert text.startswith("Redaction hides an entry from the patient online. [1] It does not remove")
    # an "it" that stands for nothing leans on nothing: the sentence stands alone
    alone = _leaning("Redaction hides an entry from the patient online.", "It is important to keep a list of what was hidden.")
    assert alone.startswith("It is important") and "Redaction hides" not in alone
    # nor does a sentence introducing a list that is not there
    assert _leaning("Steps to follow:", "These steps take ten minutes.", between="\n").startswith("These steps")
    # nor a sentence of another paragraph
    assert _leaning("Redaction hides an entry.", "It does not remove it.", between="\n\n").startswith("It does not")


@pytest.mark.parametrize("text, leans", [
    ("It does not remove the information from the record.", True),
    ("It's stored in the clinical system.", True),
    ("This includes letters from hospitals.", True),
    ("However, patients will not see unfiled results.", True),
    ("These tags may not transfer between systems.", True),
    ("It is important to note that tags may not transfer.", False),
    ("It may be that the practice needs a waiting list.", False),
    ("It's worth checking the settings first.", False),
    ("This guidance explains how to enable access manually.", False),  # the page itself, which the citation names
    ("There is a form for reporting incidents.", False),
    ("Redaction hides an entry.", False),
])
def test_what_leans_on_the_sentence_before(text, leans):
    assert bool(LEANS_BACK.match(text)) is leans


def test_a_leaning_sentence_chosen_apart_from_the_one_it_leans_on_is_read_after_it():
    hides, stays, other = (Unit("Redaction hides an entry.", 0, 2, score=0.6), Unit("It stays in the record.", 0, 3, score=1.0),
                           Unit("GP2GP moves the record.", 1, 0, score=0.8))
    ordered = with_what_they_lean_on([stays, other, hides], [hides, stays, other], 0.7)
    assert [u.text for u in ordered] == [hides.text, stays.text, other.text]
    # a sentence before it that the answer says already is not said again
    said = Unit("Redaction hides an entry from the patient.", 1, 0, score=0.8)
    assert [u.text for u in with_what_they_lean_on([stays, said], [hides, stays, said], 0.7)] == [stays.text, said.text]
    # the same sentence twice in a row leans on nothing new (and breaks nothing)
    twice = [Unit("This is required by law.", 0, 2, score=0.5), Unit("This is required by law.", 0, 3, score=1.0)]
    assert [u.position for u in with_what_they_lean_on([twice[1]], twice, 0.7)] == [3]


def test_a_sentence_said_in_full_by_a_later_one_with_a_number_gives_way_to_it():
    short = Chunk(
        chunk_id="h-1", doc_id="help.md", title="Help for patients", heading_path=["Help for patients"],
        source_urls=["https://example.org/help"],
        text="The toolkit points patients who struggle with the internet to the Online Centres Network.",
    )
    full = Chunk(
        chunk_id="c-1", doc_id="contacts.md", title="Contacts", heading_path=["Contacts"],
        source_urls=["https://example.org/contacts"],
        text=("The toolkit points patients who struggle with the internet to the Online Centres Network, whose "
              "support line is 0114 349 1666."),
    )
    query = prepare_query("patient struggles with the internet, where can we point her?", Glossary({}))
    tuning = AnsweringSettings.model_construct(answer_other_document_cutoff=0.0)
    results = [ScoredChunk(chunk=c, score=1.0 - i * 0.1) for i, c in enumerate((short, full))]
    draft = ExtractiveAnswerer(idf=lambda term: 1.0, tuning=tuning).answer(query, results)
    assert "0114 349 1666" in draft.text  # the fuller sentence is admitted for its number...
    assert draft.text.count("points patients who struggle") == 1  # ...and the one it says in full goes
    # read where the one it replaced was: it opens the answer, citing its own page
    assert draft.text.startswith("The toolkit points patients") and draft.citations[0].url == "https://example.org/contacts"


def test_a_sentence_standing_in_for_another_is_read_in_its_place():
    opening = Unit("Opening sentence of the best passage.", 0, 0, score=0.9)
    stand_in = Unit("A fuller sentence from the third passage.", 2, 0, score=0.8, read_as=(0, 1))
    other = Unit("A sentence of the second passage.", 1, 0, score=0.85)
    assert [u.text for u in reading_order([opening, stand_in, other])] == [opening.text, stand_in.text, other.text]
    plain = Unit(stand_in.text, 2, 0, score=0.8)  # without it: passage by passage, the third passage last
    assert [u.text for u in reading_order([opening, plain, other])] == [opening.text, other.text, plain.text]


def test_a_sentence_leaning_on_one_that_was_replaced_follows_its_stand_in():
    short = Unit("The toolkit points patients to the Online Centres Network.", 1, 0, score=0.9)
    leaning = Unit("This service is free for patients.", 1, 1, score=0.5)
    other = Unit("Practices should keep a list of local help.", 2, 0, score=0.7)
    fuller = Unit("The toolkit points patients to the Online Centres Network, on 0114 349 1666.", 0, 3, score=0.9,
                  read_as=(0, 3))  # its own place came first
    out = with_what_they_lean_on([fuller, other, leaning], [short, leaning, other, fuller], 0.7)
    assert [u.text for u in out] == [other.text, fuller.text, leaning.text]  # the stand-in moves to lean on
