"""bot.specifics: the one list of month names and the one reading of the specifics (dates, numbers, codes,
quoted labels) a text carries, as the extractive answerer and the claim check use them."""

from __future__ import annotations

import re

import pytest

from bot.repeats import repeats_answer
from bot.specifics import MONTH_NAMES, MONTH_PATTERN, month_number, specifics


@pytest.mark.parametrize("name, number", [("January", 1), ("jan", 1), ("Sept.", 9), ("sep", 9), ("JUNE", 6),
                                          ("Dec", 12), ("Monday", None), ("", None)])
def test_month_number(name, number):
    assert month_number(name) == number


def test_the_month_pattern_matches_every_name_and_abbreviation_and_nothing_else():
    pattern = re.compile(rf"{MONTH_PATTERN}\b", re.I)
    assert all(pattern.fullmatch(n) and pattern.fullmatch(n[:3]) for n in MONTH_NAMES)
    assert pattern.fullmatch("Sept") and not pattern.fullmatch("Monday") and not pattern.fullmatch("Marc")


def test_dates_in_every_form_read_the_same():
    for text in ("1 November 2023", "November 1, 2023", "1st Nov 2023", "2023-11-01", "01/11/2023"):
        assert specifics(text).dates == {(2023, 11, 1)}, text
    assert specifics("from November 2023 [2]").dates == {(2023, 11)}
    assert specifics("from November 2023 [2]").numbers == frozenset()  # the citation mark is no number


def test_codes_numbers_and_labels():
    found = specifics('Add `1364731000000104` in GP2GP within 21 days, then "Save record".')
    assert found.numbers == {"1364731000000104", "21"}
    assert found.codes == {"gp2gp"}
    assert found.labels == {"1364731000000104", "save record"}


def test_the_verb_may_is_no_month():
    assert specifics("Practices may use the template.").facts() == frozenset()
    assert specifics("Changed in May 2024.").facts() == {"2024", "2024-05"}


def test_a_date_is_inside_a_fuller_one():
    assert specifics("from November 2023").facts() <= specifics("from 1 November 2023").facts()
    assert not specifics("from 1 November 2023").facts() <= specifics("from November 2023").facts()


@pytest.mark.parametrize("line, answer, repeats", [
    # the same words with "may" for "can": a repeat ("may" was once read as the month)
    ("The practice may switch off online access for the patient.",
     "The practice can switch off online access for the patient. [1]", True),
    ("The practice may switch off online access from November 2023.",
     "The practice can switch off online access from 1 November 2023. [1]", True),
    # a fuller date, or a code the answer lacks, is something new
    ("The practice may switch off online access from 1 November 2023.",
     "The practice can switch off online access from November 2023. [1]", False),
    ("The practice can switch off online access with code 1364731000000104.",
     "The practice can switch off online access. [1]", False),
    # the date of a closing attribution is when it was said, not something new ...
    ("NHS England can infer a practice's policy from its 104 codes (Surrey and Sussex LMCs, 15 January 2025).",
     "NHS England can infer a practice's policy from its 104 codes. [1]", True),
    ("Record access reduces calls to practices about test results (v1.5, 26 June 2023).",
     "Record access reduces calls to practices about test results. [1]", True),
    # ... but a date in the sentence itself, or in brackets without a source, is
    ("Record access reduces calls to practices about test results from 26 June 2023.",
     "Record access reduces calls to practices about test results. [1]", False),
    ("Record access reduces calls to practices about test results (26 June 2023).",
     "Record access reduces calls to practices about test results. [1]", False),
    ("In practice, go-live dates varied (examples in the sources include 6 September 2023 and 1 November 2023).",
     "In practice, go-live dates varied. [1]", False),
    ("Patients see new entries (for most patients, from 31 October 2023).", "Patients see new entries. [1]", False),
])
def test_the_answerer_repeats_a_line_only_without_new_specifics(line, answer, repeats):
    assert repeats_answer(line, answer) is repeats
