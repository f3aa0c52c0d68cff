"""Four guidance pages for `eval/formats.py`, written for this measurement in our own words from facts the
corpus states (knowledge/codes/104-…, 106-…, redaction/third-party-…, proxy-access/formal-proxy-…,
test-results/when-…). URLs and dates are those the corpus cites for these facts; titles are the pages' URL
slugs in words. They are fixtures for a measurement, not guidance: the product never reads them. The pages
themselves are in eval/format_pages.md (the outline form of tests/ingest/format_files.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ingest"))
from format_files import pages_from_outline  # noqa: E402

PAGES = pages_from_outline((Path(__file__).with_suffix(".md")).read_text(encoding="utf-8"))  # format_pages.md

# (question, must-contain strings, index of the page that answers it). Written for this measurement.
QUESTIONS = [
    ("What does adding the 104 code to a record do?", ["new"], 0),
    ("Does the 104 code take away online access a patient already has?", ["by hand"], 0),
    ("What is the SNOMED number of the enhanced review indicated code?", ["1364731000000104"], 0),
    ("We bulk coded everyone with 104 by mistake, how do we undo it?", ["106"], 0),
    ("Can we hide information about a patient's relative from their online record?", ["hide"], 1),
    ("Do we need to redact the names of doctors from entries?", ["not normally"], 1),
    ("Who decides whether information is withheld because of serious harm?", ["doctor responsible"], 1),
    ("Why shouldn't a patient just give their daughter their NHS App login?", ["audit trail"], 2),
    ("Can a proxy be limited to ordering repeat prescriptions?", ["repeat prescriptions"], 2),
    ("At what age does a teenager need to consent to a parent seeing their record?", ["16"], 2),
    ("When does a patient see a blood test result in the app?", ["filed"], 3),
    ("Could a patient read the comment I add when filing a result in SystmOne?", ["visible"], 3),
    # from a table row, a list item, and a paragraph split across lines or pages in print
    ("What is the code for enhanced review not indicated?", ["1364751000000106"], 0),
    ("Does the serious harm exemption cover things the patient already knows?", ["already knows"], 1),
    ("If we redact an entry, can the patient's proxy still see it?", ["proxy"], 1),
    ("Can we hide a sensitive result until the GP has talked to the patient?", ["spoken"], 3),
]

# Text that is page furniture, never guidance: none of it may appear in a passage.
BOILERPLATE = ["Classification: Official", "12/05/2023, 14:32", "Cookies on the", "analytics cookies", "Health A to Z",
               "Live Well", "Privacy policy", "Accessibility statement", "Crown copyright", "Next review due"]
