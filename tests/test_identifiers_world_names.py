"""Names only the world's name lists know (`bot/identifiers/world_names.tsv.gz`, derived by
eval/derive_world_names.py from names-dataset's top 2,000 per country), and the shapes pii-held-out-12 and -13 showed
the detector missing, and a birthday pii-held-out-14 showed (session 20). Written in other words than those sets, with
the look-alikes that must not warn."""

from __future__ import annotations

import pytest
from identifier_helpers import assert_redacted_away

from bot.identifiers import find_identifiers, redact
from bot.identifiers.name_lists import is_common, is_listed_given, is_listed_surname


@pytest.mark.parametrize("given, surname", [
    ("Chidinma", "Nwachukwu"), ("Morag", "Farquharson"), ("Hodan", "Warsame"), ("Nusrat", "Chowdhury"),
])
def test_world_lists_hold_names_faker_lacks_when_capitalised(given, surname):
    assert is_listed_given(given) and is_listed_surname(surname)
    # in lower case only Faker's lists count: the world's hold shorthand ("imms", "rota", "htn")
    assert not (is_listed_given(given.lower()) and is_listed_surname(surname.lower()))


@pytest.mark.parametrize("word", ["via", "done", "sept", "min"])
def test_world_lists_leave_out_english_words(word):
    assert not (is_listed_given(word) or is_listed_surname(word)) or is_common(word)


@pytest.mark.parametrize("text, gone", [
    # a listed given name and surname that say, ask or want something
    ("Morag Farquharson wants to know why her smear result is hidden in the app", ["Morag", "Farquharson"]),
    ("quick one: Nusrat Chowdhury asked if her husband can be taken off as proxy", ["Nusrat", "Chowdhury"]),
    # a surname with a lower-case particle
    ("Faisal al-Harbi says his sister has proxy for their mother, can he have it too?", ["Faisal", "al-Harbi"]),
    ("Chidinma Nwachukwu is asking whether her old letters will come through", ["Chidinma", "Nwachukwu"]),
    # a relation and a full name, whatever the lists hold
    ("reception asked whether her daughter Nusrat Chowdhury can order her repeats", ["Nusrat", "Chowdhury"]),
    # someone's worker, with a listed name
    ("Morag Farquharson's social worker wants to book her reviews online", ["Morag", "Farquharson"]),
    ("Nusrat Qureshiyan's care coordinator asked for copies of her letters", ["Nusrat", "Qureshiyan"]),
    # a name of five words grows word by word once found
    ("stop Saeed bin Omar Al Falasi (MRN 20938411) seeing the notes", ["Saeed", "Falasi"]),
    # (after pii-held-out-14) a patient's birthday, with its year or not
    ("she turns 16 on 14/09 and mum has proxy - what happens then?", ["14/09"]),
    ("he turns 16 on 14/09/2026, does his mum's proxy stop that day?", ["14/09/2026"]),
    # a system's number in capitals and digits beside a name
    ("PTX4471920 | ADEBAYO, Folake | 02.09.1984 - can she see this result yet?", ["PTX4471920", "Folake"]),
])
def test_names_and_numbers_found(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    "ICB told us off for adding the code en masse - what is wrong with that?",
    "is it done via accurx or does EMIS need something switching on?",
    "the PPG chair wants a 10 min slot on records access at the next meeting",
    "this is Patient Access showing an error, is it our end?",
    "Surrey Heartlands has told practices to switch on by March",
    "Lloyd George is the name for the old paper envelopes - are those in scope?",
    "her son Year 9 at school wants his own access - is he old enough?",
    "our ticket INC0012345 with EMIS is still open about the 104 search",
    # a reviewer's look-alikes (session 20): shorthand in lower case, organisations' workers, a colleague's ticket,
    # a relation before a clinic's name
    "who is doing our imms rota next week?",
    "is the htn rota affected by the prospective access switch on",
    "St Mungo's key worker wants to know if the client can get access on his phone",
    "Slater Gordon's solicitor wants the letters in paper form",
    "her son Tavistock Portman clinic letters - should they be hidden?",
    "this is Milton Keynes ICB's position on the 104 code",
    # a second review's look-alikes: a rule's example, a product's or a practice's age
    "if a child turns 16 on 1st September does parental proxy stop automatically that day?",
    "Docman turns 10 on 14/09 - any release notes?",
    "The practice turns 50 on 1/4 so there's cake in the office",
])
def test_look_alikes_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


def test_a_colleagues_ticket_number_is_no_record_number():
    assert "INC7654321" in redact("Dr Evans' ticket is INC7654321 if anyone wants to chase it").text


# session 21: the commonest surnames of their country that English text prints often enough to fail the first English
# word test, a person spoken with or about, a surname first, a surname by its shape (from pii-held-out-14 to -16;
# written in other words, with the look-alikes that must not warn)
@pytest.mark.parametrize("surname", ["Zhou", "Hwang", "Huang", "Zhao"])
def test_a_countrys_commonest_surnames_are_listed_though_english_text_prints_them(surname):
    assert is_listed_surname(surname)


@pytest.mark.parametrize("word", ["demise", "sore", "flour", "hms", "bsc", "jazeera"])
def test_the_top_names_stop_where_english_words_or_abbreviations_begin(word):
    assert not (is_listed_given(word.capitalize()) or is_listed_surname(word.capitalize())) or is_common(word)


@pytest.mark.parametrize("text, gone", [
    ("spoke to Gordon MacPhail earlier, he wants his letters hidden", ["Gordon", "MacPhail"]),
    ("I have a question regarding Min-jun Nguyen - can his mum keep proxy?", ["Min-jun", "Nguyen"]),
    ("had Seo-yeon Hwang on the phone again about her results", ["Seo-yeon", "Hwang"]),
    ("email from Hamish MacTaggart asking why his bloods show", ["Hamish", "MacTaggart"]),
    ("Morning! Zhao Yuting asked whether her son can see her notes", ["Zhao", "Yuting"]),
    ("Hiya, Fiona McCorquodale wants her husband off as proxy", ["Fiona", "McCorquodale"]),
])
def test_people_spoken_of_are_found(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    "regarding Milton Keynes - has their ICB said anything?",
    "regarding Kent Medway, what is their line on the 104?",
    "spoke to emis support yesterday and they said wait for the patch",
    "had the lmc on the phone about the DPIA",
    "had NHS England on the phone about our go-live",
    "spoke to Patient Access about it last week",
    "question about Lewy Body dementia coding in the app",
    "message from Docman support about filing",
    "spoke with Kent Medway practice about how they did it",
    "spoke to the safeguarding lead regarding Tower Hamlets guidance",
    # a review's look-alikes: colleagues in lower case, towns, a hospital, conditions, a product, a title
    "spoke to tom earlier about the rota",
    "had sarah earlier on the phone",
    "spoke to dave asap about the rota",
    "regarding Fort William, who covers them?",
    "spoke to Port Talbot yesterday about their go-live",
    "spoke to john radcliffe about the referral",
    "question about Stevens Johnson syndrome in the record",
    "spoke to Dell McAfee support about the laptop",
    "Pope Francis said something about it",
])
def test_people_look_alikes_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text
