"""Per-line source choice (bot.citations): a line cites the page(s) it names, else one page it supports."""

from bot.citations import CitationBook, attribution, choose_sources, named, publisher_names
from bot.types import Chunk

TOOLKIT = "https://elearning.example.org/toolkit"
NEWS = "https://news.example.com/feed/story"
FAQ = "https://digital.example.uk/faq"
MIRROR = "https://mirror.example.net/services/page"
REFERENCES = {
    TOOLKIT: {"title": "Safeguarding toolkit", "publisher": "RCGP", "date": ""},
    NEWS: {"title": "Practices told to check records", "publisher": "Pulse", "date": "2022-11-04"},
    FAQ: {"title": "Commonly asked questions", "publisher": "NHS Digital (now NHS England)", "date": ""},
    MIRROR: {"title": "A page", "publisher": "NHS Digital (now NHS England), mirror copy", "date": "",
             "canonical": "https://digital.example.uk/services/page"},
}


def test_publisher_names_read_the_main_and_the_former_name():
    assert publisher_names("NHS Digital (now NHS England), mirror copy") == ("NHS Digital", "NHS England")
    assert publisher_names("Leicester, Leicestershire & Rutland LMC") == ("Leicester, Leicestershire and Rutland LMC", "")
    assert publisher_names("Pulse") == ("Pulse", "")


def test_a_line_naming_a_publisher_or_date_points_at_that_page():
    line = "Practices were told to hold off (Pulse, 4 November 2022)."
    assert attribution(line, REFERENCES[NEWS], named(line, ["Pulse"])) == 3.0
    assert named("The pulse of the practice.", ["Pulse"]) == set()  # a name, not a word
    assert named("NHS England says so.", ["NHS", "NHS England", "NHS Digital"]) == {"NHS England"}
    assert attribution("NHS England says so.", REFERENCES[FAQ], {"NHS England"}) == 1.0  # the former publisher's new name


def test_the_named_page_is_cited_not_the_first_listed():
    urls = [TOOLKIT, NEWS, FAQ]
    assert choose_sources("Discuss with the leads (as reported by Pulse).", urls, REFERENCES, 2) == [NEWS]
    assert choose_sources("Both say so (RCGP; Pulse).", urls, REFERENCES, 2) == [TOOLKIT, NEWS]
    assert choose_sources("RCGP, Pulse and NHS Digital all say so.", urls, REFERENCES, 2) == [TOOLKIT, NEWS]


def test_an_unnamed_line_cites_one_page_preferring_one_not_yet_cited():
    urls = [TOOLKIT, NEWS, FAQ]
    assert choose_sources("A plain statement.", urls, REFERENCES, 2) == [TOOLKIT]
    assert choose_sources("A plain statement.", urls, REFERENCES, 2, cited={TOOLKIT}) == [NEWS]


def _chunk(text: str, urls: list[str]) -> Chunk:
    return Chunk(chunk_id="c1", doc_id="d1", title="Doc", text=text, heading_path=["Doc"],
                 line_sources=[(0, urls)], references=REFERENCES, source_urls=urls)


def test_the_book_numbers_the_chosen_pages_and_links_mirrors_to_the_page_itself():
    book = CitationBook(max_sources=2)
    chunk = _chunk("One line of guidance.\nAnother line.", [MIRROR, NEWS])
    assert book.number_line(chunk, "One line of guidance.") == [1]
    assert book.number_line(chunk, "Another line.") == [2]  # the page not yet cited
    assert [c.url for c in book.citations] == ["https://digital.example.uk/services/page", NEWS]
    assert book.citations[1].publisher == "Pulse" and book.citations[1].published == "2022-11-04"
