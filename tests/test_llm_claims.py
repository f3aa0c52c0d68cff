"""bot.claims without a model: splitting an answer into claims, the specifics a claim must share with the
passage it cites, and rebuilding the answer from the claims kept."""

from __future__ import annotations

import pytest

from bot.claims import claim_lines, meaning, rebuild, split_claims, unsupported_specifics
from bot.specifics import specifics

PASSAGE = ('From 1 November 2023 practices give access to new entries. The 104 code is `1364731000000104` '
           '"Enhanced review indicated before granting access to own health record (situation)". '
           'Call 0808 2000 247, 24 hours a day. In 2022/23, 81.1% of practices were ready.\n'
           '1. Open Organisation Preferences.\n2. Tick "Enable full clinical record access".')


def test_claims_keep_their_citations_and_list_items_their_markers():
    text = 'The 104 code holds access back [1]. It is reviewed. [2]\n\n1. Open preferences [1]\n2. Tick the box [1][2]'
    assert split_claims(text) == ["The 104 code holds access back [1].", "It is reviewed. [2]", "Open preferences [1]",
                                  "Tick the box [1][2]"]
    assert [marker for marker, _ in claim_lines(text)] == ["", "1.", "2."]


@pytest.mark.parametrize("claim", [
    "Access to new entries started in November 2023 [1].",
    "Access started on 1 Nov 2023 [1].",
    "Access started on 2023-11-01 [1].",
    "The 104 code is `1364731000000104` [1].",
    'Tick "Enable full clinical record access" [1].',
    "Ring 0808 2000 247 [1].",
    "In 2022/23, 81.1% of practices were ready [1].",
    "Help is available 24 hours a day [1].",
])
def test_specifics_found_in_the_passage_pass(claim):
    assert unsupported_specifics(claim, [PASSAGE]) == []


@pytest.mark.parametrize("claim, missing", [
    ("Access started on 1 December 2023 [1].", ["2023-12-01"]),
    ("Access started in October 2023 [1].", ["2023-10"]),
    ("The 104 code is `1364731000000105` [1].", ['"1364731000000105"', "1364731000000105"]),
    ("The 105 code holds access back [1].", ["105"]),
    ('Tick "Enable prospective access" [1].', ['"enable prospective access"']),
    ("Ring 0808 2000 248 [1].", ["248"]),
    ("82.1% of practices were ready [1].", ["82.1"]),
    ("Use the GP2GP form [1].", ["gp2gp"]),
])
def test_specifics_missing_from_the_passage_are_named(claim, missing):
    assert unsupported_specifics(claim, [PASSAGE]) == sorted(missing)


def test_a_citation_number_is_not_a_specific():
    assert specifics("The code holds access back [3].").numbers == frozenset()


def test_meaning_leaves_out_quoted_labels_and_code_literals_but_not_a_bare_label():
    assert meaning('The 104 code `1364731000000104` "Enhanced review indicated" holds access back [1].') == \
        "The 104 code holds access back."
    assert meaning('Tick "Enable full clinical record access" [2]') == 'Tick "Enable full clinical record access"'


def test_rebuild_keeps_only_accepted_claims_and_renumbers_steps():
    text = "First claim [1]. Second claim [2].\n\n1. Step one [1]\n2. Step two [1]\n3. Step three [1]"
    kept = rebuild(text, lambda claim: "Second" not in claim and "two" not in claim)
    assert kept == "First claim [1].\n\n1. Step one [1]\n2. Step three [1]"
