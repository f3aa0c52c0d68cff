"""Tests for bot.identifiers: postcodes, phones, emails, names, whole example messages and robustness.
NHS numbers, public numbers and dates of birth: tests/test_identifiers_numbers.py; the question signals:
tests/test_guard.py."""

from __future__ import annotations

import pytest
from identifier_helpers import assert_gone, digits, kinds_in, with_check_digit

from bot.identifiers import Finding, Redaction, find_identifiers, redact

# ---------------------------------------------------------------- postcodes, phones, emails, titled names

POSTCODES = ["SW1A 1AA", "M1 1AE", "B33 8TH", "LS1 4AP", "sw1a1aa", "ls1 4ap", "CR2 6XH", "EC1A 1BB"]
PHONES = [
    "07700 900123",
    "07700900123",
    "07700-900-123",
    "+44 7700 900123",
    "+447700900123",
    "0044 7700 900123",
    "020 7946 0958",
    "(020) 7946 0958",
    "+44 (0)20 7946 0958",
    "0113 496 0000",
    "(01632) 960001",
]
EMAILS = ["amy.dummy@example.com", "a_b+tag@mail.example.co.uk", "SARA@EXAMPLE.ORG"]  # an nhs.uk/nhs.net mailbox is an organisation's
TITLED_NAMES = [
    "Mr Peter Placeholder", "Mrs Jane Doe", "Ms Sara Sample", "Miss Amy Dummy", "Mx Sam Test", "Mx Sam Tester",
    "Mrs A Smith", "Dr A. Patel", "Dr Patel", "Master Tom Example", "Mr. J. Smith", "Mrs O'Brien-Smith",
    "MR PETER PLACEHOLDER", "Dr Anna Maria Jones",
]
# (kind, value, the sentence it stands in, the sentence once redacted)
ONE_IDENTIFIER = (
    [("postcode", pc, "she lives at {} now", "she lives at [postcode] now") for pc in POSTCODES]
    + [("phone", p, "her number is {} if you need it", "her number is [phone number] if you need it") for p in PHONES]
    + [("email", e, "email {}, can she register?", "email [email], can she register?") for e in EMAILS]
    + [("name", n, "{} asked about online access", "[name] asked about online access") for n in TITLED_NAMES]
)


@pytest.mark.parametrize("kind, value, sentence, redacted", ONE_IDENTIFIER, ids=[f"{k}:{v}" for k, v, *_ in ONE_IDENTIFIER])
def test_postcodes_phones_emails_and_titled_names(kind, value, sentence, redacted):
    r = redact(sentence.format(value))
    assert r.kinds == [kind]
    assert r.text == redacted
    if kind == "phone":
        assert digits(value)[-6:] not in digits(r.text)


@pytest.mark.parametrize(
    "text",
    [
        "Go to the B1 2nd floor office",
        "The NHS App and Patient Access show it",
        "Is version 2.1 of the guidance current?",
        "ask at 3pm or 10am",
        "Q1 2024 report",
    ],
)
def test_ordinary_words_are_not_postcodes(text):
    assert find_identifiers(text) == []


def test_not_email():
    assert find_identifiers("use the @here mention or ask at practice@") == []


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    "text",
    [
        "Can patients use the NHS App or Patient Access?",
        "Ask the Dr if unsure",
        "Should I ask the Dr? It is urgent",
        "Speak to Mr. Thanks for your help",
        "Please forward to the Dr.",
        "It was Mr",
        "can the pt book a dr appointment online",
        "the prof said records access is fine",
        "we miss the deadline if the master index is late",
    ],
)
def test_non_names(text):
    assert find_identifiers(text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Amy Dummy asked whether Patient Access is allowed", "[name] asked whether Patient Access is allowed"),
        ("can john smith see his notes", "can [name] see his notes"),
        ("mrs smith wants to know if smith's son can have proxy", "[name] wants to know if [name] son can have proxy"),
        ("pt is mr jones, can mr jones see results", "pt is [name], can [name] see results"),
        ("mrs dummy asked for her letters", "[name] asked for her letters"),
        ("dr patel said miss jones can see it", "[name] said [name] can see it"),
        ("Sarah Placeholder wants access; sarah says her GP agreed",
         "[name] wants access; [name] says her GP agreed"),
    ],
)
def test_untitled_and_lower_case_names_and_their_repeats(text, expected):
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # a clinical system's patient banner, pasted
        ("SMITH, Jane (Mrs) Born 03-Mar-1960 wants access", "[name] Born [date of birth] wants access"),
        ("KOWALCZYK, Anna Maria (Miss) rang about the app", "[name] rang about the app"),
        ("OYELARAN, Tunde (Mr) - can he see his letters", "[name] - can he see his letters"),
        ("SMITH, Jane rang twice", "[name] rang twice"),
        ("Smith, Jane wants her notes hidden", "[name] wants her notes hidden"),
        # a comma after a greeting, a system or a publisher is not a surname
        ("Hi, Jane here from reception", None),
        ("In EMIS, Mark the entry as private", None),
        ("NHS England, May 2023", None),
        ("Thanks, Amy", None),
    ],
)
def test_names_written_surname_first_as_clinical_systems_print_them(text, expected):
    assert redact(text).text == (expected or text)


def test_untitled_pair_next_to_identifier_is_a_name():
    r = redact("Amy Dummy, 9993909963 - can she see it")
    assert r.kinds == ["nhs_number", "name"]
    assert r.text == "[name], [NHS number] - can she see it"
    r = redact("NHS 9993909963 Amy Dummy - can she see it")
    assert r.text == "NHS [NHS number] [name] - can she see it"
    r = redact("Hi Amy Dummy DOB 30/06/2001 can she see it")
    assert r.text == "Hi [name] DOB [date of birth] can she see it"


# ---------------------------------------------------------------- the example messages

EXAMPLES = [
    (
        "Hi, Mr Peter Placeholder DOB 22/11/1975 NHS 999 186 0916 wants his whole record from birth on the app, "
        "how long have we got to do this?",
        ["Peter", "Placeholder", "22/11/1975", "9991860916"],
        "Hi, [name] DOB [date of birth] NHS [NHS number] wants his whole record from birth on the app, "
        "how long have we got to do this?",
    ),
    (
        "pasting the details so you can look: Amy Dummy, 9993909963, 30/06/2001 - her mum wants to see her record, "
        "she's 23, is that allowed?",
        ["Amy", "Dummy", "9993909963", "30/06/2001"],
        "pasting the details so you can look: [name], [NHS number], [date of birth] - her mum wants to see her record, "
        "she's 23, is that allowed?",
    ),
    (
        "Ms Sara Sample, NHS number 999 030 8241, born 5 May 1990 - she's pregnant and doesn't want her partner "
        "seeing anything",
        ["Sara", "Sample", "9990308241", "5 May 1990", "1990"],
        "[name], NHS number [NHS number], born [date of birth] - she's pregnant and doesn't want her partner "
        "seeing anything",
    ),
]


@pytest.mark.parametrize("text, secrets, expected", EXAMPLES)
def test_example_messages(text, secrets, expected):
    r = redact(text)
    assert r.has_identifiers
    assert set(r.kinds) == {"nhs_number", "date_of_birth", "name"}
    assert r.kinds == ["nhs_number", "date_of_birth", "name"]  # stable canonical order
    for s in secrets:
        assert_gone(text, r.text, s)
    assert r.text == expected
    # findings point into the original text and never overlap
    for a, b in zip(r.findings, r.findings[1:]):
        assert a.end <= b.start
    # redacting again finds nothing new
    assert not find_identifiers(r.text)


def test_redaction_of_clean_text_is_identity():
    text = "How long do we have to respond to a request for the full record?"
    r = redact(text)
    assert r == Redaction(text=text, findings=())
    assert not r.has_identifiers
    assert r.kinds == []


def test_empty_input():
    assert find_identifiers("") == []
    assert redact("").text == ""


def test_overlapping_findings_are_merged():
    # a 10-digit mobile-like number with a valid NHS check digit is one finding, kind nhs_number
    n = next(
        full
        for i in range(1000000, 9000000)
        if (full := with_check_digit(f"01{i:07d}")) and full[1] == "1"
    )
    fs = find_identifiers(f"number {n} please")
    assert len(fs) == 1 and fs[0].kind == "nhs_number"
    assert fs[0].text_in(f"number {n} please") == n


# ---------------------------------------------------------------- robustness


def test_finding_repr_has_no_identifier():
    text = "Mr Peter Placeholder NHS 9991860916 DOB 22/11/1975 amy@example.com 07700 900123 SW1A 1AA"
    findings = find_identifiers(text)
    assert {f.kind for f in findings} == {"name", "nhs_number", "date_of_birth", "email", "phone", "postcode"}
    for f in findings:
        shown = repr(f) + str(f)
        secret = f.text_in(text)
        assert secret not in shown
        assert digits(secret) == "" or digits(secret) not in digits(shown.replace(str(f.start), "").replace(str(f.end), ""))
        assert set(vars(f)) == {"kind", "start", "end"}
    r = redact(text)
    assert "9991860916" not in repr(r) and "Placeholder" not in repr(r)


def test_finding_is_frozen():
    f = Finding("nhs_number", 0, 10)
    with pytest.raises(Exception):
        f.start = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "big",
    [
        "a" * 40000,
        "1" * 40000,
        "1 " * 20000,
        "0 " * 20000,
        "1/" * 20000,
        "a@" * 20000,
        "A " * 20000,
        "Mr " * 13333,
        "Mr Aaa " * 5714,
        "-." * 20000,
        ("Mr Peter Placeholder 9991860916 DOB 22/11/1975 " + "x" * 50 + " ") * 400,
    ],
)
def test_large_input_finishes(big):
    big = big[:40000]
    r = redact(big)
    assert isinstance(r, Redaction)
    assert "9991860916" not in r.text


def test_many_titles_and_initials_finish():
    big = "Mr A Smith and Dr J. Jones " * 2000
    assert len(find_identifiers(big)) == 4000


def test_large_message_redacts_everything():
    chunk = "Amy Dummy, 9993909963, 30/06/2001 - what now? "
    text = chunk * (40000 // len(chunk))
    r = redact(text)
    assert "9993909963" not in r.text and "Dummy" not in r.text and "30/06/2001" not in r.text


def test_pasted_contact_block_is_fully_redacted():
    text = "Tel: 01632 960 001 Mrs A Smith, 12 High St, LS1 4AP, amy@example.com - can she have proxy access?"
    r = redact(text)
    assert r.kinds == ["address", "name", "phone", "email", "postcode"]
    for secret in ["01632 960 001", "Smith", "12 High St", "LS1 4AP", "amy@example.com"]:
        assert_gone(text, r.text, secret)
    assert r.text.endswith("- can she have proxy access?")


def test_lone_pronoun_after_title_is_not_an_initial():
    assert find_identifiers("Ask Dr I think") == []


def test_written_date_beside_a_person_is_a_birth_date_unless_a_preposition_makes_it_guidance():
    assert redact("13 March 2009, mrs Bailey wants access").text == "[date of birth], [name] wants access"
    assert kinds_in("Mrs Bailey asked about access since 31 October 2023") == ["name"]


def test_listed_surname_that_is_also_a_word_after_a_given_name():
    assert redact("Does Ruth May need the 104 code").text == "Does [name] need the 104 code"
    assert redact("HARRY MAY rang").text == "[name] rang"
    assert find_identifiers("ruth may need the code") == []  # lower case: "may" stays a verb


def test_names_and_addresses_the_guidance_quotes_are_public():
    from bot.identifiers import public_identifiers

    public = public_identifiers("Dr Nikki Kanani wrote on 21 July 2022; write to nwl_cd@lists.lmc.org.uk")
    assert "name:nikki kanani" in public and "email:nwl_cd@lists.lmc.org.uk" in public
    text = "Dr Nikki Kanani's letter of 21 July 2022 (nwl_cd@lists.lmc.org.uk): does it apply to Mrs Jane Doe?"
    assert redact(text, public_numbers=public).text == (
        "Dr Nikki Kanani's letter of 21 July 2022 (nwl_cd@lists.lmc.org.uk): does it apply to [name]?")


def test_a_quoted_name_is_public_whole_and_never_in_part():
    from bot.identifiers import public_identifiers

    public = public_identifiers("Deputy chair Dr Richard Van Mellaerts said the challenge was dropped.")
    assert "name:richard van mellaerts" in public
    text = "GPC deputy chair Dr Richard Van Mellaerts said the challenge was dropped - was that in 2023?"
    assert redact(text, public_numbers=public).text == text
    for text in ("Mrs Van Mellaerts, DOB 01/02/1950, wants her husband as proxy", "Richard Mellaerts DOB 3/4/1961"):
        assert "Mellaerts" not in redact(text, public_numbers=public).text, text


def test_a_patient_who_shares_a_quoted_persons_surname_is_still_redacted():
    from bot.identifiers import public_identifiers

    public = public_identifiers("Dr Martin Marshall and Dr Amanda Doyle wrote; North West LMC agreed.")
    assert all(len(p.split()) >= 2 for p in public if p.startswith("name:"))  # full names only
    for text in ("Mrs Marshall, DOB 03/04/1950, wants online access", "can mrs doyle see her results?",
                 "Dr Kanani wants to see his own record"):
        assert "[name]" in redact(text, public_numbers=public).text, text


def test_full_width_digits_zero_width_and_narrow_spaces_are_normalised_first():
    wide = "".join(chr(0xFF10 + int(c)) for c in "9991860916")
    for text in (f"pt {wide} access", "pt 999\u200b186\u200b0916 access", "pt 999\u202f186\u202f0916 access",
                 "pt 999 - 186 - 0916 access", "pt 999.186.0916 access", "pt 999\t186\n0916 access"):
        assert redact(text).text == "pt [NHS number] access", text
    assert redact("DOB 03031982 wants access").text == "DOB [date of birth] wants access"
    assert redact("born the fifth of May nineteen ninety").text == "born [date of birth]"
