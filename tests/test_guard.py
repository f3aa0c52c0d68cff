"""Tests for bot.guard: the question signals (identifier detection is tested in tests/test_identifiers.py)."""

from __future__ import annotations

import pytest

from bot.guard import clinical_advice_signal, safeguarding_signal


# ---------------------------------------------------------------- safeguarding signal

SAFEGUARDING_YES = [
    "Patient disclosed domestic abuse, should we switch off her access?",
    "Her husband is very controlling and checks her phone",
    "I think her partner knows her login",
    "She is being forced to share her record with her partner",
    "Patient at risk of harm if her ex sees the notes",
    "Coercive control concerns - what should we redact?",
    "Our safeguarding lead is off, who decides?",
    "We suspect modern slavery, the man who brings him holds his phone",
    "girl at risk of FGM",
    "an abusive partner may see the record",
    "stalking victim has moved address, can we hide it from her ex?",
    "vulnerable adult whose carer wants proxy access",
    "child protection conference notes - can the parent see them?",
    "she was pressured to show her records to him",
    "concerns about criminal exploitation of a 15 year old",
    "DOMESTIC VIOLENCE in the notes, hide it?",
]
SAFEGUARDING_NO = [
    "How do I give a patient access to their full record?",
    "Can a parent get proxy access for a 12 year old?",
    "What is the risk of showing results before the GP has seen them?",
    "The app forced me to log in again",
    "Our data protection officer wants a list of who has access",
    "The patient is controlling her diabetes well, can she see her HbA1c?",
    "Can patients see their vaccination history?",
    "How do I redact a third-party reference?",
    "Does SNOMED 1364731000000104 switch on access?",
    "Exploring the settings in EMIS Web",
    "abuse of the repeat prescription system by ordering too often",  # 'abuse' alone is not enough
]


# ---------------------------------------------------------------- clinical advice signal

CLINICAL_YES = [
    "What dose of amoxicillin should I give a 4 year old with tonsillitis?",
    "Is 500mg of paracetamol four times a day ok for her?",
    "Which antibiotic is best for a UTI in pregnancy?",
    "Can I prescribe sertraline for her anxiety?",
    "What's the first-line treatment for hypertension in a 60 year old?",
    "Her symptoms are fatigue and weight loss - how would you diagnose this?",
    "Should I refer him to cardiology with these palpitations?",
    "Is it safe to take ibuprofen with warfarin?",
    "Are there any contraindications to the combined pill for her?",
    "Which medication for migraine should we start?",
    "What dosage of levothyroxine for a TSH of 8",
    "what should we prescribe for his chest infection",
    "Should she stop her statin before surgery",
]
CLINICAL_NO = [
    "Patient says a diagnosis in her notes is wrong, what do we do?",
    "Can the patient see my comment on a result?",
    "Should a test result be hidden until the GP has reviewed it?",
    "Can patients see their repeat prescriptions in the NHS App?",
    "Can a proxy order repeat prescriptions for her elderly mum?",
    "Will she be able to see notes about her treatment for depression online?",
    "A patient wants the diagnosis of depression removed from his record",
    "Can the patient see the dose of his medication in the app?",
    "How do I switch on online access to the full record?",
    "Should I refer the request to the practice manager?",
    "Can she see letters from the hospital about her diagnosis?",
    "Does a new diagnosis show up in the app straight away?",
]


# (signal, text, whether it must fire)
CASES = [(safeguarding_signal, t, True) for t in SAFEGUARDING_YES] + [(safeguarding_signal, t, False) for t in SAFEGUARDING_NO] \
    + [(clinical_advice_signal, t, True) for t in CLINICAL_YES] + [(clinical_advice_signal, t, False) for t in CLINICAL_NO]


@pytest.mark.parametrize("signal, text, fires", CASES,
                         ids=[f"{s.__name__}-{'yes' if f else 'no'}-{i}" for i, (s, _, f) in enumerate(CASES)])
def test_signal(signal, text, fires):
    assert bool(signal(text)) is fires, text


def test_signals_on_empty_and_large_input():
    assert not safeguarding_signal("") and not clinical_advice_signal("")
    big = "word " * 8000
    assert not safeguarding_signal(big) and not clinical_advice_signal(big)
    assert safeguarding_signal(big + "domestic abuse") and clinical_advice_signal(big + "what dose?")


def test_controlling_person_vs_controlling_a_condition():
    assert safeguarding_signal("her partner is controlling and reads her messages")
    assert safeguarding_signal("he is controlling her and wants her NHS App login")
    assert not safeguarding_signal("she is controlling her asthma well now")


@pytest.mark.parametrize("disclosure", [
    "pt told me her partner hurts her and she thinks he reads her app", "her dad hits her when he is drunk",
    "she has just left a violent relationship and he had her login", "her boyfriend has been hitting her",
    "he's been hitting her", "her partner will hurt her if he sees it", "he tried to strangle her",
    "partner threatens to hurt her", "her partner hit and kicked her", "grandad hits him", "partner beats her up",
    "he threatened her with a knife", "mum says her ex has hit her twice and still has her nhs login",
])
def test_violence_named_outright_is_a_safeguarding_signal(disclosure):
    assert safeguarding_signal(disclosure)


@pytest.mark.parametrize("ordinary", [
    "he hurt his back lifting boxes, can he see the physio letter online",
    "pt refused access in 2019 for threatening behaviour towards staff",
    "the results hit the app before the GP had seen them", "will it hurt her to read the cancer result online",
    "the letter may hurt her feelings", "pt threatened me at reception", "the test results hit him hard",
    "the practice threatened them with removal from the list", "the practice kicked him off the list",
    "someone kicked them off the list", "she threatened them with a formal complaint",
    "dad threatened them with the ombudsman", "mum hit them with a subject access request",
    "the partner hit them with a bill", "she hurt her knee, can she see the x-ray report online",
    "mum hit her head and the A&E letter is missing", "the patient says she hit her limit on the app",
    "he beat them to it", "she kicked them out of the group",
])
def test_ordinary_words_about_hurting_or_threatening_are_not_a_signal(ordinary):
    assert not safeguarding_signal(ordinary)


@pytest.mark.parametrize("story", [
    "woman whispered can we stop her notes showing, her partner checks her phone",
    "she says her partner's been going thru her app", "her husband goes through her phone every night",
    "her ex is monitoring her nhs app", "his wife reads his texts and his record", "she seemed frightened of him",
    "she's scared to go home tonight", "her boyfriend keeps looking at her app",
])
def test_someone_close_watching_the_patients_app_or_phone_is_a_safeguarding_signal(story):
    """Stories told in plain words (session 14: two held-out ones got no line)."""
    assert safeguarding_signal(story)


@pytest.mark.parametrize("ordinary", [
    "the partners read the notes every week", "one partner checks the results inbox",
    "partners keep checking their emails", "our PM reads the record access guidance",
    "the GP partner looked at the app settings", "is she scared of needles, the letter says so",
    "her partner can have proxy if she agrees", "family checks are done by the practice",
])
def test_a_practices_partners_and_ordinary_checking_are_not_a_signal(ordinary):
    assert not safeguarding_signal(ordinary)
