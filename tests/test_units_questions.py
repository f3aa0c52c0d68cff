"""Lines that say nothing as answer units (bot/units.py): an FAQ page's questions and a page's title printed again
as text are left out; a question that leads into its own answer stays with it; an FAQ answer's "Yes:" goes."""

from __future__ import annotations

from bot.types import Chunk
from bot.units import split_units


def test_a_standalone_question_or_a_repeated_title_is_never_an_answer_unit():
    """A page's own questions (an FAQ saved without headings) and its title printed again as text say nothing; a
    checklist's bulleted questions and a list led in by a question stay."""
    chunk = Chunk(
        chunk_id="faq-1", doc_id="faq.txt", title="Citizen access - advice for practices",
        heading_path=["Citizen access - advice for practices", "What patients see"],
        text=("Citizen access - advice for practices\n\n"
              "Should we amend the amount of information we record in the notes?\n\n"
              "Records should stay complete.\n\n"
              "What patients see\n\n"
              "- Has the patient been asked about sensitive entries?\n\n"
              "Check before go-live:\n- Is the test patient set up?\n- Are staff trained?"),
    )
    assert [u.text for u in split_units(chunk, 0)] == [
        "Records should stay complete.",
        "Has the patient been asked about sensitive entries?",
        "Check before go-live:\n- Is the test patient set up?\n- Are staff trained?",
    ]


def test_a_question_that_leads_into_its_answer_stays_with_it():
    """"Is the patient under 16? If so, …": the answer sentence alone would read as general guidance."""
    chunk = Chunk(chunk_id="q-1", doc_id="q.md", title="Proxy access",
                  text="Is the patient under 16? If so, the GP assesses competence first and records it. "
                       "Proxy access is then reviewed yearly. Who decides?")
    assert [u.text for u in split_units(chunk, 0)] == [
        "Is the patient under 16? If so, the GP assesses competence first and records it.",
        "Proxy access is then reviewed yearly.",
    ]


def test_an_faq_answer_word_leaves_the_sentence_it_opens():
    chunk = Chunk(chunk_id="f-1", doc_id="f.md", title="Other apps", heading_path=["Other apps"],
                  source_urls=["https://example.org/f"],
                  text=("Yes: prospective access is not limited to the NHS App. "
                        "No, but a practice may restrict one service only.\n\nNo. The code alone does nothing."))
    texts = [u.text for u in split_units(chunk, 0)]
    assert texts[0] == "Prospective access is not limited to the NHS App."
    assert "No, but a practice may restrict one service only." in texts  # "but" needs its "no"
    conditional = Chunk(chunk_id="f-2", doc_id="f.md", title="Proxy", heading_path=["Proxy"],
                        source_urls=["https://example.org/f"], text="No, unless the patient has consented to proxy access.")
    assert split_units(conditional, 0)[0].text.startswith("No, unless")  # a condition keeps its "no"
    assert "The code alone does nothing." in texts and not any(t.startswith(("Yes", "No.")) for t in texts)
