"""Names and addresses read from weaker cues once a message is flagged (session 17, `bot.identifiers.flagged`): what a
fourth held-out set of pasted details showed the detector echoing, each written here in other words, and the
messages with no other identifier where the same cues must not warn."""

from __future__ import annotations

import pytest

from bot.identifiers import find_identifiers, redact


@pytest.mark.parametrize("text, gone", [
    # a relative's name right after the relation, two-letter names included
    ("Mr Tomasz Wrobel 07700 900412 asks if his wife Yu Mei can have proxy, she has little English", ["Yu Mei"]),
    ("dob 12/3/79 - her son, Kai, says he reads her app", ["Kai"]),
    # a nickname beside the name found, before or after it
    ("Jules (Juliet Ashdown) dob 04.05.91 wants her notes hidden", ["Jules", "Juliet", "Ashdown"]),
    ("ok to give Ron Pettigrew (ronald on emis) dob 9/9/50 full access?", ["ronald", "Pettigrew"]),
    ("Mrs Edith Crane (née Holloway), 999 123 4567 - the old surname shows in the app", ["Holloway", "Crane"]),
    ("pt known as Taz, dob 01/01/99, wants proxy removed", ["Taz"]),
    # a family by its surname in the plural, beside their address
    ("the household at 7 Beech Close (the Marwoods) - 104 for all of them?", ["Marwoods", "7 Beech Close"]),
    # a listed surname after an ordinary word that is also a given name
    ("Grant Holloway rang from 4 Mill Lane, wants his full record", ["Grant Holloway"]),
    # initials, after their cue or before a surname in any case beside a date of birth
    ("pt initials J.T., dob 2/2/02, postcode LS6 2AB - can the ex see anything?", ["J.T.", "LS6 2AB"]),
    ("r.j. okafor 14-02-1977 999 123 4567 - redact a third party line?", ["okafor"]),
    # a listed given name in any case beside a person's date of birth or number, and the word after it
    ("about the proxy for callum, dob 03.03.2012 - his dad wants access", ["callum"]),
    ("nhs 9991860916 dob 1/1/80 - is she coded 104? (maeve mcnulty)", ["maeve", "mcnulty"]),
    # the house and street before a postcode, with no house number or street word
    ("Mr Ian Royle at 12 Northway, Leeds LS17 5PQ says his wife sees his appointments", ["12 Northway"]),
    ("pt lives at 'Rose Cottage', Back Lane, Great Ayton TS9 6NB, name Ada Lumb", ["Rose Cottage", "Back Lane"]),
])
def test_a_weaker_cue_counts_once_the_message_is_flagged(text, gone):
    redacted = redact(text).text
    for value in gone:
        assert value.lower() not in redacted.lower(), (value, redacted)


@pytest.mark.parametrize("text", [
    "her husband Dave keeps asking to see her app, what can we do?",
    "the 106 code, known as Enhanced review not indicated, where is it in emis?",
    "do the Partners need to sign the DPIA or can the PM?",
    "can Will from the ICB digital team switch this on for us?",
    "e.g. patients with a 104 code, do they get access when they move practice?",
    "a 15yo and her mum both want access - what do the Lloyd George notes show?",
])
def test_the_same_cues_alone_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


def test_the_question_around_them_stays():
    redacted = redact("Mr Tomasz Wrobel 07700 900412 asks if his wife Yu Mei can have proxy").text
    assert redacted.endswith("asks if his wife [name] can have proxy")
