"""Real files in each format (built here with reportlab and python-docx): passages, titles, dates, URLs."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from format_files import HEADER, PRINT_STAMP, docx_page, html_page, pages_from_outline, pdf_page, text_page
from ingest.chunking import chunk_document
from ingest.loaders import load_file
from ingest.readers import LoadError

(PAGE,) = pages_from_outline((Path(__file__).parent / "format_page.md").read_text(encoding="utf-8"))
BOILERPLATE = [HEADER, PRINT_STAMP, "Cookies on the", "analytics cookies", "Health A to Z", "Live Well",
               "Privacy policy", "Accessibility statement", "Crown copyright", PAGE.url, "1/", "2/", "3/"]


def _passages(doc) -> list[str]:
    return [c.text for c in chunk_document(doc)]


def _no_boilerplate(doc) -> None:
    for passage in _passages(doc):
        for line in BOILERPLATE:
            assert line not in passage, (line, passage)


def test_pdf_with_running_header_and_footer(tmp_path):
    path = tmp_path / "holding-back.pdf"
    path.write_bytes(pdf_page(PAGE, lines_per_page=17))
    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(path).pages]
    assert len(pages) == 3  # a real three-page document, with a sentence cut by the first page break:
    assert "circumstances change, and the" in pages[0] and "patient is told unless" in pages[1]
    assert all(HEADER in page and PAGE.url in page for page in pages)
    doc = load_file(path)
    assert doc.title == "Holding back new entries for review"  # the " - NHS England" suffix removed
    assert doc.publisher == ["NHS England"]
    assert doc.published == "2023-05-12" and doc.last_reviewed == "2023-05-12"
    assert doc.source_urls == [PAGE.url]  # the URL the browser printed on every page
    _no_boilerplate(doc)
    text = doc.text
    # headings from the font: the chunker's sections
    assert "## Recording the decision" in text and "# Holding back new entries for review" in text
    chunks = chunk_document(doc)
    assert any(c.heading_path[-1:] == ["Checking the record regularly"] for c in chunks)
    # lines joined into paragraphs, hyphenation undone, a paragraph cut by a page break joined again
    for paragraph in (s for section in PAGE.sections for s in section.paragraphs):
        assert paragraph in text, paragraph
    assert "- Add the review code before the switch-on date.\n- Remove it once the review is complete." in text
    assert "Page last reviewed" not in text  # the date line is the document's date, not a passage


def test_pdf_title_falls_back_to_first_heading_and_date_to_metadata(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "leaflet.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)  # reportlab's producer: not a browser print
    pdf.setTitle("Microsoft Word - leaflet v3.docx")
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(72, 760, "Proxy access for carers | Anytown LMC")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 730, "A carer can be given proxy access when the patient agrees and the practice is satisfied.")
    pdf.drawString(72, 715, "The practice checks the identity of the carer before granting any access at all.")
    pdf.save()
    doc = load_file(path)
    assert doc.title == "Proxy access for carers" and doc.publisher == ["Anytown LMC"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", doc.published)  # the file's own date (not printed from a browser)
    assert doc.published == dt.date.today().isoformat()


def test_html_with_cookie_banner_and_navigation(tmp_path):
    html = html_page(PAGE).replace("<h2>Recording the decision</h2>",
                                   "<h3>Code 1364731000000104</h3><h2>Recording the decision</h2>")
    path = tmp_path / "saved-page.html"
    path.write_text(html, encoding="utf-8")
    doc = load_file(path)
    assert doc.title == "Holding back new entries for review"
    assert doc.publisher == ["NHS England"]
    assert doc.source_urls == [PAGE.url]  # the canonical link, not the file path
    assert doc.published == "2023-05-12" and doc.last_reviewed == "2023-05-12"  # "Page last reviewed: …"
    assert "Next review due" not in doc.text and "last reviewed" not in doc.text
    _no_boilerplate(doc)
    code_chunks = [c for c in chunk_document(doc) if "1364731000000104" in c.text]
    assert code_chunks, "a code in an <h3> stays in the passage text"


def test_docx_with_headings_list_and_table(tmp_path):
    path = tmp_path / "holding-back.docx"
    path.write_bytes(docx_page(PAGE, modified=dt.datetime(2024, 2, 1, 10, 0)))
    doc = load_file(path)
    assert doc.title == "Holding back new entries for review" and doc.publisher == ["NHS England"]
    assert doc.published == "2024-02-01"  # the document properties' modified date
    text = doc.text
    assert "## Checking the record regularly" in text
    assert "- Add the review code before the switch-on date.\n- Remove it once the review is complete." in text
    assert "- Step: Apply the review code; Who: Clinician" in text
    assert any(c.heading_path[-1:] == ["Recording the decision"] and "Practice manager" in c.text
               for c in chunk_document(doc))


def test_docx_corrupt(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LoadError, match="corrupt Word document"):
        load_file(path)


def test_plain_text_title_from_first_line_not_the_file_name(tmp_path):
    path = tmp_path / "notes_v2_FINAL.txt"
    path.write_text(text_page(PAGE), encoding="utf-8")
    doc = load_file(path)
    assert doc.title == "Holding back new entries for review"
    assert doc.published == "2023-05-12"
    chunks = chunk_document(doc)
    # the title is a heading, so the first passage starts with the text's first real paragraph
    assert chunks[0].text.startswith("A practice can stop new entries"), chunks[0].text[:80]
    assert any(c.heading_path[-1:] == ["Recording the decision"] for c in chunks)
    sentence = tmp_path / "one.txt"
    sentence.write_text("Proxy access lets a carer see the record.\nIt needs the patient's consent.\n")
    assert load_file(sentence).title == "One"  # a sentence is not a title: the file name is used


@pytest.mark.slow
def test_folder_ingest_lists_skipped_files_and_dates_feed_staleness(tmp_path, counting):
    from bot.index import Index
    from ingest.pipeline import run_ingest
    from ingest_helpers import ingest_settings

    root = tmp_path / "guidance"
    root.mkdir()
    (root / "page.docx").write_bytes(docx_page(PAGE, modified=dt.datetime(2021, 3, 4, 10, 0)))
    (root / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy")
    (root / "notes.yaml").write_text("a: 1\n")
    settings = ingest_settings(tmp_path / "data", root)
    summary = run_ingest(settings, [str(root)], index=Index(settings, embedder=counting), progress=False,
                         today=dt.date(2025, 6, 1))
    out = summary.to_json()
    assert out["added"] == 1 and not out["failed"]
    assert {s["source"].rsplit("/", 1)[-1]: s["reason"] for s in out["skipped"]} == {
        "old.doc": "old Word format (.doc): save it as .docx to ingest it",
        "notes.yaml": "data file (YAML), not a document",
    }
    assert [s["last_reviewed"] for s in out["stale"]] == ["2021-03-04"]  # an old page is flagged like the corpus
    chunks = Index(settings, embedder=counting).all_chunks()
    assert chunks and {(c.title, c.published, c.last_reviewed) for c in chunks} == {
        ("Holding back new entries for review", "2021-03-04", "2021-03-04")}
    json.dumps(out)  # JSON-ready


def test_an_faq_page_saved_as_text_keeps_each_question_as_the_heading_of_its_answer(tmp_path):
    """An FAQ page copied as text: the title printed again under it is dropped, and a question standing alone heads
    the answer below it (a passage then carries its question, and the question is never quoted as an answer)."""
    path = tmp_path / "faq.txt"
    path.write_text(
        "SOURCE: https://example.org/records-faq\n"
        "Online records - questions from practices\n\n"
        "Online records - questions from practices\n\n"
        "We answer common questions about patients reading new entries online.\n\n"
        "Will patients have to ask for access to new entries in their records, or is it automatic for everyone?\n\n"
        "Patients with an online account see new entries automatically from the go-live date.\n\n"
        "What will patients not see?\n\n"
        "Administrative tasks and messages between practice staff are not shown.\n\n"
        "1. Has every clinician been trained on redaction?\n\n"
        "Practices can give a carer proxy access. But what if the patient lacks capacity?\n",
        encoding="utf-8")
    doc = load_file(path)
    assert doc.source_urls == ["https://example.org/records-faq"]
    assert doc.text.count("Online records - questions from practices") == 1  # the title, once
    assert "\n## Will patients have to ask for access to new entries in their records, or is it automatic for everyone?\n" in doc.text
    assert "\n## What will patients not see?\n" in doc.text
    assert "\n## We answer" not in doc.text  # a sentence is not a heading
    assert "## 1." not in doc.text and "## Practices can give" not in doc.text  # a checklist item, a paragraph


FAQ_HTML = """<html><head><title>Proxy access questions - Example LMC</title>
<link rel="canonical" href="https://example.org/proxy-faq"></head><body><nav><a href="/">Home</a></nav><main>
<h1>Proxy access questions</h1>
<p>This page answers the questions practices ask most often about proxy access to online services.</p>
<div class="accordion"><h2 class="accordion-header"><button class="accordion-button" type="button">
What about care home staff?</button></h2><div class="accordion-body"><p>Care home staff can be given proxy access
where the resident consents, or lacks capacity and it is in their best interests.</p></div></div>
<p><strong>Does proxy access include the full record?</strong></p>
<p>The practice sets the level of access a proxy has, which can be limited to appointments and repeat prescriptions.</p>
<p><strong>Practices must record who the proxy is.</strong></p>
<p><strong>Never give a proxy the patient's own login</strong></p>
<p><strong>Children under 11</strong></p>
<p>A parent can usually have proxy access to a young child's record.</p>
<p><strong>Q1. Can a parent see everything?</strong></p>
<p>Not always: the practice sets the level of access.</p>
<p><strong>Before giving access:</strong></p><ul><li>check the proxy's identity</li><li>record the consent</li></ul>
</main><footer>Copyright</footer></body></html>"""


def test_real_page_headings_set_in_a_button_or_in_bold_stay_headings(tmp_path):
    """An accordion heading whose text is in a <button> (which trafilatura drops, with the heading) and an FAQ
    question or a bold label set in <strong> head what follows; a bold sentence, a bold warning and a bold lead-in stay
    text (a heading is never quoted)."""
    path = tmp_path / "faq.html"
    path.write_text(FAQ_HTML, encoding="utf-8")
    text = load_file(path).text
    assert "\n## What about care home staff?\n" in text
    assert "Care home staff can be given proxy access" in text
    assert "\n#### Does proxy access include the full record?\n" in text
    assert "#### Practices must record" not in text and "Practices must record who the proxy is." in text
    assert "#### Before giving access" not in text
    assert "#### Never" not in text and "Never give a proxy the patient's own login" in text
    assert "\n#### Children under 11\n" in text and "\n#### Q1. Can a parent see everything?\n" in text


def test_a_page_in_another_charset_with_an_accordion_keeps_its_characters(tmp_path):
    page = ('<html><head><meta charset="windows-1252"><title>Fees</title></head><body><main><h1>Fees</h1>'
            '<p>This page explains what practices can and cannot charge for copies of records.</p>'
            '<h2><button>Fees \u2013 SARs \u00a3</button></h2><p>A practice can\u2019t charge \u00a30 for a caf\u00e9 '
            'visit; a subject access request is free in most cases and answered within a month.</p></main></body></html>')
    path = tmp_path / "fees.html"
    path.write_bytes(page.encode("windows-1252"))
    text = load_file(path).text
    assert "## Fees \u2013 SARs \u00a3" in text and "can\u2019t" in text and "caf\u00e9" in text


def test_a_bold_question_or_label_in_word_heads_what_follows(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Proxy access questions", level=1)
    document.add_paragraph("This page answers the questions practices ask most often about proxy access.")
    document.add_paragraph().add_run("Does proxy access include the full record?").bold = True
    document.add_paragraph("The practice sets the level of access a proxy has.")
    document.add_paragraph().add_run("Practices must record who the proxy is.").bold = True
    document.add_paragraph().add_run("Never give a proxy the patient's own login").bold = True
    document.add_paragraph().add_run("Children under 11").bold = True
    document.add_paragraph("A parent can usually have proxy access to a young child's record.")
    mixed = document.add_paragraph()
    mixed.add_run("Note: ").bold = True
    mixed.add_run("proxies see what the patient sees.")
    path = tmp_path / "faq.docx"
    document.save(path)
    text = load_file(path).text
    assert "#### Does proxy access include the full record?" in text
    assert "#### Practices must record" not in text and "#### Note" not in text and "#### Never" not in text
    assert "#### Children under 11" in text


def test_text_copied_from_a_web_page_keeps_one_paragraph_per_line_and_its_headings(tmp_path):
    """A page copied from a browser puts each paragraph on a line, with no blank line between: the lines are not
    run together into one paragraph (burying the headings in it), while hard-wrapped text is still joined."""
    copied = tmp_path / "redaction.txt"
    copied.write_text(
        "Redacting information for online record access\n"
        "When records are shared with patients, the practice makes sure only appropriate information is disclosed.\n"
        "What is redaction?\n"
        "Redaction hides information in the online viewer from the patient and anyone with proxy access to it.\n"
        "It does not remove the information from the patient's record, which clinicians can still see in full.\n"
        "Whole entries only\n"
        "Individual words, sentences or paragraphs within an entry cannot be redacted on their own by the practice.\n",
        encoding="utf-8")
    text = load_file(copied).text
    assert "\n## What is redaction?\n" in text and "\n## Whole entries only\n" in text
    assert "proxy access to it.\n\nIt does not remove" in text  # two paragraphs, not one run-on block
    wrapped = tmp_path / "wrapped.txt"
    wrapped.write_text(
        "Notes from the practice meeting\n\n"
        "The partners agreed that new entries will be checked by the\n"
        "duty doctor before they are filed, and that reception will\n"
        "record any request from a patient to see older entries.\n",
        encoding="utf-8")
    assert ("checked by the duty doctor before they are filed, and that reception will record any request"
            in load_file(wrapped).text)


def test_two_line_paragraphs_wrapped_wide_are_still_joined_and_a_copied_table_row_is_no_heading(tmp_path):
    wide = tmp_path / "wide.txt"
    wide.write_text(
        "Practice meeting notes\n\n"
        "The partners agreed that every new entry will be checked by the duty doctor before it is filed and\n"
        "that reception will record any request from a patient to see older entries.\n\n"
        "The practice manager will write to the ICB about the support the practice needs before the date\n"
        "that access is switched on for all patients with an online account.\n",
        encoding="utf-8")
    assert "filed and that reception will record" in load_file(wide).text
    copied = tmp_path / "codes.txt"
    copied.write_text(
        "SNOMED codes for online access\n"
        "The codes below are the ones practices use to hold back or allow online access to new record entries.\n"
        "104 | Enhanced review indicated\n"
        "106 | Enhanced review not indicated\n"
        "Each code is added to the record of one patient after an individual review by a clinician.\n",
        encoding="utf-8")
    assert "## 104" not in load_file(copied).text
