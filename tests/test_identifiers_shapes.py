"""Names told by the shape of the sentence, in messages with no other identifier (`bot.identifiers.name_shapes`), and
the date and address forms pii-held-out-11 showed the detector missing (session 19). Written in other words than the
held-out set, with the look-alikes that must not warn."""

from __future__ import annotations

import pytest
from identifier_helpers import assert_redacted_away

from bot.identifiers import find_identifiers, redact


@pytest.mark.parametrize("text, gone", [
    # a pair of names that does something, opening the message or with a listed name
    ("Halima Warsame came in asking why her results are not in the app", ["Halima", "Warsame"]),
    ("quick one - Bogdan Ionescu-Pop says his ex can see his notes, what do we do?", ["Bogdan", "Ionescu-Pop"]),
    # someone's relative or record spoken of, in lower case
    ("nguyen van minh's letters from the clinic are not showing in his app", ["nguyen", "minh"]),
    ("winston gayle's son wants proxy now his dad has dementia", ["winston", "gayle"]),
    # a relative named after the relation, a subject line, someone saying who they are
    ("her husband callum keeps ringing to ask for her test results", ["callum"]),
    # (session 17 left "her husband Dave keeps asking…" unwarned; the blind pii11 set counts a relative's first name
    # as an identifier, and it costs the question nothing: the relation stays)
    ("her husband Dave keeps asking to see her app, what can we do?", ["Dave"]),
    ("re: Amira Haddad\n\ncan her brother be stopped from seeing her app?", ["Amira", "Haddad"]),
    ("Kyriakos Papadopoulos's referral letter is not in his app yet", ["Kyriakos", "Papadopoulos"]),
    ('pt at the desk said "I\'m Comfort Mensah-Boateng and I want my old notes online"', ["Comfort", "Mensah-Boateng"]),
    # dates of birth written as eight digits after their cue, or with the month in roman numerals
    ("DOB 19910302 - can she have full access without a review?", ["19910302"]),
    ("Patient: Abdul Karim\nd.o.b. 14/iii/1961\nwants his son to have proxy", ["14/iii/1961", "Karim"]),
    # a street in lower case once the message is flagged, and a name in a list beside another
    ("Mrs Cora Lind DOB 2/2/1970 lives at 14 mill st, her ex has her login", ["14 mill st"]),
    ("104 added for: aoife ni bhriain, Kwame Mensah and the Papadopoulos boy?", ["aoife", "bhriain"]),
])
def test_names_and_details_told_by_their_shape(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    "Patient Access says the record is unavailable - is that our end?",
    "Kent LMC said practices could wait - is that still right?",
    "the practice's records and the ICB's letters: which go in the app?",
    "her husband will be the proxy - is that allowed?",
    "re: Online Access\n\nwhat is the go-live date for SystmOne practices?",
    "I'm Practice Manager here, can I switch on access for everyone?",
    "ticket 20240715 raised with EMIS about the 104 search",
    "see section 2 of the guidance, version 20231031",
    # a review's look-alikes (session 19): verbs after a relation, places and products that say things, roles
    "the partner made the decision to switch on prospective access",
    "her mum fed back that the app was confusing",
    "Surrey Heartlands said we must switch on by the end of the month",
    "Kent Medway wants every practice live - is that right?",
    "re: Caldicott Guardian sign off for the DPIA",
    "I'm Lead Receptionist here, can I remove access?",
    "re: Lloyd George envelopes - are they in scope?",
])
def test_look_alikes_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


@pytest.mark.parametrize("text, kept", [
    ("dob 1/1/80 - we need 2 people way more than that on the desk", "2 people way"),
    ("dob 1/1/80 - she has 2 sons close by who help", "2 sons close by"),
    ("dob 1/1/80 - see section 4.2.iv.2023 of the contract", "4.2.iv.2023"),
    ("Ardens template, Mr Jones asked about it - can we share it?", "Ardens template"),
])
def test_what_a_flagged_message_keeps(text, kept):
    assert kept in redact(text).text
