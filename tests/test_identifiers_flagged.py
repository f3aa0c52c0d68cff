"""Names and addresses read from weaker cues once a message is flagged (session 17, `bot.identifiers.flagged`): what a
fourth held-out set of pasted details showed the detector echoing, each written here in other words, and the
messages with no other identifier where the same cues must not warn."""

from __future__ import annotations

import pytest
from identifier_helpers import assert_redacted_away

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
    # a name so called, and a relative's name in any case after "is"
    ("Mr Owain Rees (b. 3/3/60) asks about his late wife's notes. Her name was Ffion.", ["Ffion", "Owain"]),
    ("a lady called Temitope rang about her smear result, surname is Bello, NHS 999 123 4567", ["Temitope", "Bello"]),
    ("surname's Okonjo btw, first name Chiamaka", ["Okonjo", "Chiamaka"]),
    ("dob 4/4/2012, nhs 9991860916, dad is gareth pryce and wants proxy", ["gareth pryce"]),
    # a year of birth after "born" or after an age, beside a name
    ("Mrs Hafsa Noor, 64 (born 1960), wants her old notes", ["1960", "Noor"]),
    ("Mr Tomas Novak 58yo (1966) - hide the letter?", ["1966"]),
    # a particle inside a name; a word beside a name found; a name before "'s" and a relation
    ("Padraig O Floinn, 8 Dock Street, Hull HU1 1TA - did his redactions transfer?", ["Padraig", "Floinn"]),
    ("Kind regards,\nMorwenna Trethowan (daughter)\n07700 900318", ["Morwenna", "Trethowan"]),
    ("Shabnam Akhtar's husband keeps asking us to reset her login", ["Shabnam Akhtar"]),
    # a date of birth beside a mobile number, and a record number named a few words before
    ("ZAINAB HUSSEIN 02/09/2001 07700 900645 wants access switched off", ["02/09/2001", "ZAINAB"]),
    ("hosp number on the letter is RXY 4471920, pt wants it hidden", ["4471920"]),
    # a name said by whoever it is, with a name in brackets, in a run of uncommon capitalised words, before a verb
    # (a lower-case word after "its" counts beside a person's number or contact only: "its urgent" is no name)
    ("msg from 07700 900111: 'hi its yusra from flat 9 Kestrel Point, can my sister order my meds?'",
     ["yusra", "Kestrel Point"]),
    ("she says she's marisol fernandez-ortiz, email m.fo@example.com - can we switch her on?", ["marisol", "fernandez"]),
    ("wiktor (wiktoria) nowicka, dob 2/2/92, wants her ex's proxy removed", ["wiktor", "nowicka"]),
    ("Abdirahman Warsame Guled NHS 999 123 4567 cannot see his results", ["Abdirahman Warsame Guled"]),
    ("oluwaseun bankole rang again, dob 7.7.77, about a letter she wants hidden", ["oluwaseun bankole"]),
    ("son of pt (teodora ilieva, 80y) on 07700 900111 wants proxy", ["teodora ilieva"]),
    ("Halima Osman NHS 9991860916 (goes by hali) wants access off", ["hali"]),
    # round three: a name after a call or a letter "from", a surname "on the system", one word before a contact verb,
    # a hyphenated surname after a name found, a date of birth in six digits after its cue
    ("had a message from amarachi nwankwo-ede today, dob 1/5/90, her ex reads her app", ["amarachi", "nwankwo"]),
    ("Gulalai came in with her son. The surname on the system is Durrani, NHS 999 123 4567", ["Gulalai", "Durrani"]),
    ("Mme Hélène Marchand-Leroy, 3 Vine Street, Bath BA1 1AA, asks about her partner", ["Marchand-Leroy"]),
    ("dob 230581 - Rajeshwari Iyer - wants her old letters", ["230581", "Iyer"]),
])
def test_a_weaker_cue_counts_once_the_message_is_flagged(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    "the 106 code, known as Enhanced review not indicated, where is it in emis?",
    "do the Partners need to sign the DPIA or can the PM?",
    "can Will from the ICB digital team switch this on for us?",
    "e.g. patients with a 104 code, do they get access when they move practice?",
    "a 15yo and her mum both want access - what do the Lloyd George notes show?",
    "the practice's name is on the letter, is that ok?",
    "babies born 2024 onwards - do parents get proxy automatically?",
    "the Caldicott Guardian wants to check our DPIA - can the Redmoor Health searches help?",
    "our records inbox is access.requests.y02xx@nhs.net - should patients email historic requests there?",
    "email from Dr Haque in the ICB digital team: are the 104 searches endorsed by NHSE?",
])

def test_the_same_cues_alone_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


def test_the_question_around_them_stays():
    redacted = redact("Mr Tomasz Wrobel 07700 900412 asks if his wife Yu Mei can have proxy").text
    assert redacted.endswith("asks if his wife [name] can have proxy")


def test_a_role_beside_a_name_stays_a_role():
    redacted = redact("pt Ada Lovelock NHS 9991860916: did the data guardian (Mrs Lovelock) say anything? the "
                      "Caldicott Guardian asks").text
    assert "Lovelock" not in redacted
    assert "Caldicott Guardian asks" in redacted and "guardian (" in redacted


@pytest.mark.parametrize("text, kept", [
    # beside a person's number the weaker cues run, but not on acronyms, months, relations or colleagues
    ("NHS 9991860916 - registered April 2022, SAR received", ["April 2022", "SAR received"]),
    ("NHS 9991860916 - stepdad Gary asked for access", ["stepdad"]),
    ("dob 1/1/80 - Dr Nguyen our registrar wants the Lloyd George notes checked", []),
    ("NHS 9991860916 - is an initial SAR request enough?", ["initial SAR request"]),
    ("NHS 9991860916 - the mum of a child born in 2015 asks for proxy", ["born in 2015"]),
])
def test_a_flagged_message_keeps_its_ordinary_words(text, kept):
    redacted = redact(text).text
    assert all(k in redacted for k in kept), redacted


@pytest.mark.parametrize("text", [
    "can Dr Amara Obi (our GP partner) sign off redactions?",
    "Dr Patel our registrar asks: babies born 2024 onwards - do parents get proxy?",
    "does Barnardo's child sexual exploitation team get access to records?",
    "we pay a flat 25 GBP admin fee for copies - is that allowed?",
    "please forward the SAR form to sarah.jones@nhs.net",
])
def test_colleagues_teams_and_nhs_mailboxes_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


def test_a_postcode_ending_a_sentence_is_still_a_postcode():
    assert "E1 2LX" not in redact("she lives at 41B Fenwick Street, London E1 2LX. what do we do?").text
    assert "NN3 9PD" not in redact("postcode NN3 9PD.").text


def test_a_listed_surname_after_an_ordinary_word_beside_an_address():
    assert "Summers" not in redact("Will Summers rang from 4 Mill Lane about his notes").text


def test_an_age_is_left_in_the_question_it_answers():
    # the age decides the answer (proxy at 11, own access at 16) and names nobody on its own
    redacted = redact("pt aged 15 - Mia Hartley, dob 04/10/2009 - do her parents keep proxy?").text
    assert "aged 15" in redacted and "Hartley" not in redacted


def test_a_name_with_a_particle_counts_alone():
    assert "Bhriain" not in redact("who signs off withholding a result? it's for Siobhán Ní Bhriain").text


@pytest.mark.parametrize("text, gone", [
    # session 18 (a fifth held-out set, pii-held-out-8): cues strong enough for any message
    ("spoke with fatima hussain earlier - she wants her proxy removed", ["fatima", "hussain"]),  # two listed names
    ("her partner (gethin rowlands) keeps logging in as her, what can we do", ["gethin", "rowlands"]),
    ("pt Thirunavukkarasu Balasubramaniam asked for coded records only", ["Thirunavukkarasu", "Balasubramaniam"]),
    ("DOB:02Feb1971 - can she see her old letters?", ["02Feb1971"]),  # a date written without spaces
    # and in a flagged message: a relative's given name in lower case, a name before "'s" and a relation
    ("Mrs Okafor rang - her son tomasz wants proxy for her", ["Okafor", "tomasz"]),
    ("Mr Bogdan Nowak phoned: his wife ngozi adeyemi says he reads her app", ["ngozi", "adeyemi"]),
    ("Mrs Hollis asked: can aurelia's nan still see the notes? aurelia is 12", ["aurelia"]),
    ("our patient Dr Hughes wants us to switch off her online access", ["Hughes"]),  # a patient, said so
])
def test_names_in_lower_case_or_told_by_their_place(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    "our lead GP Dr Adebayo wants the 104 list checked before go-live",
    "one of our registrars, Dr Kowalski, asked whether results show at weekends",
    "Dr Bianchi says we need a DPIA before switching on - is that right?",
    "the lloyd george envelope for a new pt hasn't arrived, does that matter for access?",
    "her husband (not registered with us) keeps asking to see her app",
    "pt Access requests are piling up since go-live",
])
def test_colleagues_named_with_their_role_or_instructions_and_ordinary_pairs_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


@pytest.mark.parametrize("text, gone", [
    # session 18, a sixth held-out set (pii-held-out-9): names as the only identifier, in lower case or in a form a
    # name takes, and details in forms the detector did not read
    ("can we give proxy to nasra begum's husband? she wants him to order her meds", ["nasra", "begum"]),  # a listed surname
    ("alisha mckenzie came in today upset about a code from years ago", ["alisha", "mckenzie"]),
    ("urgent please\nsiobhan hassan\nshe can see a note about her neighbour", ["siobhan", "hassan"]),
    ("quick q re access\nmorag mcintyre\nshe saw a note about her grandson", ["morag", "mcintyre"]),  # on its line
    ("fadumo hassan wants to know if her son can keep proxy", ["fadumo", "hassan"]),  # a surname, then "wants"
    ("okafor, grace - asking why her record only starts last year", ["okafor", "grace"]),
    ("Thandiwe (Thandi) Nkosi wants her daughter to have proxy", ["Thandiwe", "Thandi", "Nkosi"]),
    ("Oluwaseun Adeyemi (pt) says a letter about his brother is on his record", ["Oluwaseun", "Adeyemi"]),
    ("re Mrs Cole, postcode LS6 4 something, she cannot see her results", ["LS6 4"]),
    ("pt nhs 943 476 5919 DOB-14-03-1961 asks about fit notes", ["14-03-1961"]),
])
def test_names_told_by_their_shape_and_details_in_other_forms(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    "our lead GP Dr Adebayo is worried about hospital letters",
    "Our DPO, Mr Adeleke, thinks a proxy seeing the wrong entry is reportable",
    "the postcode lottery of ICB support - is there national help?",
    "hi quick one - do gp records from northern ireland show if someone moves here",
    "teenage lad told the nurse he self harms and wants his mum kept out",
])
def test_colleagues_with_their_role_and_place_names_still_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text




@pytest.mark.parametrize("text, gone", [
    # a review of the colleague rules (session 18): a role word in another sense, someone else's role, a patient
    # mentioned before the name, a name before "'s husband", a doctor who is the patient
    ("Sarah Thompson, the partner of one of our patients, wants proxy access", ["Thompson"]),
    ("Can you lead Sarah Thompson through the NHS App setup?", ["Thompson"]),
    ("Her ex-partner Jamie Reid wants access", ["Reid"]),
    ("a patient of ours who is a retired GP, Dr Jones, wants access", ["Jones"]),
    ("our practice nurse Sarah Thompson's husband wants access to his record", ["Thompson"]),
    ("our nurse Mrs Khan's husband rang about his own record", ["Khan"]),
    ("Patient is Dr Helen Ward, the consultant, wants her records", ["Ward", "Helen"]),
    ("Dr Rebecca Stone wants us to give her access to her own records", ["Stone"]),
])
def test_a_patient_with_a_role_word_near_is_still_a_patient(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    "pt Lloyd George envelope missing - does that affect what shows online?",
    "their partner (Accurx) says messages are not part of the record - right?",
    "our postcode is BS7 so which ICB covers us for support?",
    "form ref SAR-01012020 - do we still need to reply?",
])
def test_business_partners_postcode_districts_and_form_references_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


@pytest.mark.parametrize("text, gone", [
    # pii-held-out-10 (session 19), in other words: a lower-case name with a particle, after a person cue or with a
    # listed name, and beside a person's number; a name before a bracket giving another name, and a quoted nickname
    ("eleri ferch huw's husband wants proxy access to her record", ["eleri", "ferch huw"]),
    ("seán ó dubhghaill's wife wants proxy access", ["seán", "dubhghaill"]),
    ("hi - cerys ap dafydd 943 476 5919 asked why her results are missing", ["cerys", "dafydd"]),
    ("anna van der berg rang about her results", ["anna", "van der berg"]),
    ("WANG Xiu-Ying (goes by Sophie) dob 03/07/1999 - can results wait for the GP?", ["WANG", "Xiu-Ying", "Sophie"]),
    ("Morag 'Mo' Fraser, 12 Glebe Road, Perth PH1 5AB - can she see who logged in?", ["Morag", "Fraser"]),
    # the surname after a nickname in quotes or brackets, in any message when capitalised, in any case beside details
    ("Eilidh 'Ellie' MacInnes rang about her results", ["Eilidh", "Ellie", "MacInnes"]),
    ("tariq (taz) mahmood dob 3/4/81 wants proxy for his dad", ["tariq", "taz", "mahmood"]),
    ("eilidh 'ellie' macinnes rang, dob 05/06/1972", ["eilidh", "macinnes"]),
    # "she's" before a name, in a message flagged already (pii6's last name)
    ("email from amara.o@example.org - says she's amara okoro-bell, can she have her notes online?", ["amara okoro-bell"]),
    # a titled name with a role in brackets is still a patient's name: staff are patients too (a review, session 19)
    ("Dr Osei (retired GP) wants to see her own notes in the app", ["Osei"]),
    ("Dr Osei (duty doctor's wife) asked about her record", ["Osei"]),
    ("Dr Amir Khan (locum GP, but he's registered with us as a patient) wants online access to his record", ["Khan"]),
    ("Mrs Okoro (practice nurse) has asked us to hide her depression diagnosis from the app", ["Okoro"]),
    ("Mr Lee (pharmacist at Boots) wants his results online", ["Lee"]),
    # ... and a colleague said after the name to be a patient, or to want their own record
    ("Mrs Khan (our receptionist) is also registered here - should she see her own record?", ["Khan"]),
    ("our nurse Mrs Ali is a patient too, can she see her results", ["Ali"]),
    ("Dr Nguyen our registrar wants to see his own notes in the app", ["Nguyen"]),
])
def test_particles_aliases_in_brackets_and_quoted_nicknames(text, gone):
    assert_redacted_away(text, gone)


@pytest.mark.parametrize("text", [
    # abbreviations and places that look like a particle between two words
    "rubella ab titre needed before the jab - does the result show in the app?",
    "pelvis ap xray result visible in the app straight away?",
    "hip AP radiograph report - will the patient see it online?",
    "does the guidance differ in Wales NI Scotland?",
    "going to ras al khaimah next week, which vaccines show on the app?",
    "we hired a van de luxe for the move, does that change anything?",
    "log into the nhs ap settings page and tick the box?",
])
def test_ordinary_words_around_a_particle_do_not_warn(text):
    assert find_identifiers(text) == [], redact(text).text


def test_long_runs_of_spaces_after_a_cue_stay_fast():
    """Regular expressions that could try every split of a run of spaces (a 40,000-character message) do not."""
    import time

    for text in ("pt" + " " * 40000 + "x", "Mrs Smith" + " " * 40000 + "x", "anna" + " de" * 20000 + " x"):
        started = time.perf_counter()
        redact(text)
        assert time.perf_counter() - started < 5, text[:12]


def test_what_a_flagged_patient_is_said_to_be_stays_in_the_question():
    """In a message flagged already, "she's" before words that describe her is no name: the answer needs them."""
    for text in ("dob 1/2/2008 - she's Gillick competent, can she see her own record?",
                 "nhs 943 476 5919 - she's housebound diabetic, can her carer have proxy?"):
        redacted = redact(text).text
        assert "Gillick competent" in redacted or "housebound diabetic" in redacted, redacted
