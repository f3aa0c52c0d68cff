"""Tests for bot.identifiers: identifier detection and redaction (the question signals: tests/test_guard.py)."""

from __future__ import annotations

import re

import pytest

from bot.identifiers import Finding, Redaction, find_identifiers, is_valid_nhs_number, redact

VALID = ["9991860916", "9993909963", "9990308241"]
HELP_LINES = ["0808 2000 247", "0114 349 1666"]


def _flip_last(n: str) -> str:
    return n[:9] + str((int(n[9]) + 1) % 10)


def _with_check_digit(nine: str) -> str | None:
    total = sum(int(c) * w for c, w in zip(nine, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return None if check == 10 else nine + str(check)


def _kinds(text: str, **kw) -> list[str]:
    return [f.kind for f in find_identifiers(text, **kw)]


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _assert_gone(original: str, redacted: str, secret: str) -> None:
    """`secret` (text or digits) appears in the redacted text in no spacing at all."""
    assert secret in original or _digits(secret) in _digits(original)
    if re.fullmatch(r"[\d\s/\-.]+", secret):
        assert _digits(secret) not in _digits(redacted)
    else:
        assert secret.lower() not in redacted.lower()


# ---------------------------------------------------------------- check digit


@pytest.mark.parametrize("n", VALID)
def test_valid_check_digits(n):
    assert is_valid_nhs_number(n)
    assert is_valid_nhs_number(f"{n[:3]} {n[3:6]} {n[6:]}")


@pytest.mark.parametrize("n", VALID)
def test_flipped_digits_are_invalid(n):
    assert not is_valid_nhs_number(_flip_last(n))
    swapped = n[1] + n[0] + n[2:] if n[0] != n[1] else n[:4] + str((int(n[4]) + 3) % 10) + n[5:]
    if swapped != n:
        assert not is_valid_nhs_number(swapped)


def test_check_digit_ten_is_invalid_and_eleven_becomes_zero():
    # find a 9-digit prefix whose check would be 10: no completion is valid
    prefix = next(f"{i:09d}" for i in range(100000000, 100001000) if _with_check_digit(f"{i:09d}") is None)
    assert not any(is_valid_nhs_number(prefix + str(d)) for d in range(10))
    # a prefix whose weighted sum is divisible by 11 takes check digit 0
    prefix0 = next(
        f"{i:09d}"
        for i in range(400000000, 400001000)
        if sum(int(c) * w for c, w in zip(f"{i:09d}", range(10, 1, -1))) % 11 == 0
    )
    assert is_valid_nhs_number(prefix0 + "0")


@pytest.mark.parametrize("bad", ["", "999186091", "99918609161", "999186091a", "abcdefghij"])
def test_malformed_numbers_are_invalid(bad):
    assert not is_valid_nhs_number(bad)


# ---------------------------------------------------------------- NHS numbers in text


@pytest.mark.parametrize("n", VALID)
@pytest.mark.parametrize(
    "fmt",
    [
        "{a}{b}{c}",
        "{a} {b} {c}",
        "{a}-{b}-{c}",
        "{a} {b}{c}",
        "{a}{b} {c}",
        "{a}-{b} {c}",
        "{a}\u00a0{b}\u00a0{c}",
    ],
)
def test_every_spacing_is_found_and_redacted(n, fmt):
    written = fmt.format(a=n[:3], b=n[3:6], c=n[6:])
    text = f"patient {written} wants access to her record"
    r = redact(text)
    assert r.kinds == ["nhs_number"]
    assert r.text == "patient [NHS number] wants access to her record"
    assert n not in _digits(r.text)


@pytest.mark.parametrize("n", VALID)
def test_bare_invalid_number_is_not_flagged(n):
    bad = _flip_last(n)
    assert find_identifiers(f"reference {bad} on the letter") == []
    assert find_identifiers(f"reference {bad[:3]} {bad[3:6]} {bad[6:]} on the letter") == []


@pytest.mark.parametrize("cue", ["NHS no", "NHS no.", "NHS number", "NHS #", "nhs:", "NHS No:", "NHS number is", "nhs number -"])
def test_invalid_number_after_cue_is_flagged(cue):
    bad = _flip_last(VALID[0])
    text = f"{cue} {bad[:3]} {bad[3:6]} {bad[6:]} - can she see her notes?"
    r = redact(text)
    assert r.kinds == ["nhs_number"]
    assert _digits(bad) not in _digits(r.text)
    assert r.text.endswith("[NHS number] - can she see her notes?")


def test_cue_must_be_right_before_the_number():
    bad = _flip_last(VALID[1])
    assert find_identifiers(f"the NHS App shows code {bad}") == []


@pytest.mark.parametrize(
    "text",
    [
        "Use SNOMED 1364731000000104 to enable access",
        "code 1364751000000106 switches it off",
        "1290331000000103 is the other code",
        "codes 1364731000000104, 1364751000000106 and 1290331000000103",
        "The Data Protection (Subject Access Modification) (Health) Order 2000 SI 2000/413",
        "See SI 2015/1862 and 2023/1234 regulations",
        "under the GMS contract regulations 2015/1862 section 71",
    ],
)
def test_codes_and_si_numbers_do_not_alarm(text):
    assert find_identifiers(text) == []
    assert redact(text).text == text


def test_longer_digit_runs_do_not_alarm():
    n = VALID[0]
    assert find_identifiers("1" + n) == []
    assert find_identifiers(n + "7") == []


def test_ten_numbers_in_one_message_all_redacted():
    numbers = []
    i = 400000000
    while len(numbers) < 10:
        full = _with_check_digit(str(i))
        if full:
            numbers.append(full)
        i += 7919
    styles = ["{}", "{} {} {}", "{}-{}-{}"]
    parts = []
    for k, n in enumerate(numbers):
        style = styles[k % 3]
        parts.append(style.format(n) if style == "{}" else style.format(n[:3], n[3:6], n[6:]))
    text = "batch: " + ", ".join(parts) + " - can these patients all see their records?"
    r = redact(text)
    assert [f.kind for f in r.findings] == ["nhs_number"] * 10
    assert r.text.count("[NHS number]") == 10
    for n in numbers:
        assert n not in _digits(r.text)
    assert r.text.endswith("can these patients all see their records?")


def test_other_spellings_of_a_found_number_are_also_redacted():
    n = VALID[0]
    text = f"NHS {n}, I mean {n[:5]} {n[5:]}"
    r = redact(text)
    assert n not in _digits(r.text)
    assert r.text == "NHS [NHS number], I mean [NHS number]"


# ---------------------------------------------------------------- public numbers, guidance dates


def test_help_lines_in_public_numbers_never_alarm():
    text = "Give her the National Domestic Abuse Helpline, 0808 2000 247, or call 0114 349 1666."
    assert find_identifiers(text, public_numbers=HELP_LINES) == []
    # compared on digits only: another spelling is still public
    assert find_identifiers("call 08082000247 or 0114-349-1666", public_numbers=HELP_LINES) == []
    # without the allow-list they are phone numbers
    assert _kinds(text) == ["phone", "phone"]


def test_public_numbers_do_not_hide_other_phones():
    text = "helpline 0808 2000 247, her mobile 07700 900123"
    r = redact(text, public_numbers=HELP_LINES)
    assert r.kinds == ["phone"]
    assert r.text == "helpline 0808 2000 247, her mobile [phone number]"


@pytest.mark.parametrize(
    "text",
    [
        "Since 6 October 2023 can patients see prospective records?",
        "The 31 October 2023 deadline for online access",
        "Contract changes from 1 April 2023 apply",
        "guidance dated 01/04/2023 says what?",
        "From 2023-10-31 access is switched on",
        "Updated 22nd Nov 2023 by NHS England",
    ],
)
def test_guidance_dates_do_not_alarm(text):
    assert find_identifiers(text) == []


# ---------------------------------------------------------------- dates of birth


@pytest.mark.parametrize(
    "text, date",
    [
        ("DOB 22/11/1975 can he get access", "22/11/1975"),
        ("D.O.B: 22-11-75 wants full record", "22-11-75"),
        ("d.o.b. 5.5.1990 wants full record", "5.5.1990"),
        ("date of birth 5 May 1990, wants access", "5 May 1990"),
        ("born 22nd Nov 1975 and wants access", "22nd Nov 1975"),
        ("born on 1990-05-05 and wants access", "1990-05-05"),
        ("b. 30/06/2001 - proxy for mum?", "30/06/2001"),
        ("dob is 05/05/1990", "05/05/1990"),
    ],
)
def test_dates_after_a_cue_are_dates_of_birth(text, date):
    r = redact(text)
    assert r.kinds == ["date_of_birth"]
    assert [f.text_in(text) for f in r.findings] == [date]
    assert "[date of birth]" in r.text
    _assert_gone(text, r.text, date)


def test_numeric_date_counts_when_message_has_nhs_number_or_titled_name():
    assert _kinds("9991860916 30/06/2001 can she see it") == ["nhs_number", "date_of_birth"]
    assert _kinds("Mrs Jane Placeholder 30/06/2001 wants access") == ["name", "date_of_birth"]
    # a written-out date next to an NHS number is not assumed to be a birth date
    assert _kinds("9991860916 since 31 October 2023") == ["nhs_number"]
    # a numeric date with no other identifier is not a DOB
    assert _kinds("registered on 30/06/2001, can she see old notes") == []


def test_impossible_dates_are_ignored():
    assert _kinds("9991860916 ref 45/45/2001") == ["nhs_number"]


# ---------------------------------------------------------------- postcodes, phones, emails


@pytest.mark.parametrize("pc", ["SW1A 1AA", "M1 1AE", "B33 8TH", "LS1 4AP", "sw1a1aa", "ls1 4ap", "CR2 6XH", "EC1A 1BB"])
def test_postcodes(pc):
    text = f"she lives at {pc} now"
    r = redact(text)
    assert r.kinds == ["postcode"]
    assert r.text == "she lives at [postcode] now"


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


@pytest.mark.parametrize(
    "phone",
    [
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
        "0300 123 4567",
    ],
)
def test_phones(phone):
    text = f"her number is {phone} if you need it"
    r = redact(text)
    assert r.kinds == ["phone"]
    assert r.text == "her number is [phone number] if you need it"
    assert _digits(phone)[-6:] not in _digits(r.text)


@pytest.mark.parametrize("email", ["amy.dummy@example.com", "a_b+tag@mail.example.nhs.uk", "SARA@EXAMPLE.ORG"])
def test_emails(email):
    text = f"email {email}, can she register?"
    r = redact(text)
    assert r.kinds == ["email"]
    assert r.text == "email [email], can she register?"


def test_not_email():
    assert find_identifiers("use the @here mention or ask at practice@") == []


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    ["Mr Peter Placeholder", "Mrs Jane Doe", "Ms Sara Sample", "Miss Amy Dummy", "Mx Sam Test", "Mx Sam Tester", "Mrs A Smith", "Dr A. Patel", "Dr Patel",
     "Master Tom Example", "Mr. J. Smith", "Mrs O'Brien-Smith", "MR PETER PLACEHOLDER", "Dr Anna Maria Jones"],
)
def test_titled_names(name):
    text = f"{name} asked about online access"
    r = redact(text)
    assert r.kinds == ["name"]
    assert r.text == "[name] asked about online access"


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
        _assert_gone(text, r.text, s)
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
        if (full := _with_check_digit(f"01{i:07d}")) and full[1] == "1"
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
        assert _digits(secret) == "" or _digits(secret) not in _digits(shown.replace(str(f.start), "").replace(str(f.end), ""))
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
    assert r.kinds == ["name", "phone", "email", "postcode"]
    for secret in ["01632 960 001", "Smith", "LS1 4AP", "amy@example.com"]:
        _assert_gone(text, r.text, secret)
    assert r.text.endswith("- can she have proxy access?")


def test_lone_pronoun_after_title_is_not_an_initial():
    assert find_identifiers("Ask Dr I think") == []


def test_written_date_beside_a_person_is_a_birth_date_unless_a_preposition_makes_it_guidance():
    assert redact("13 March 2009, mrs Bailey wants access").text == "[date of birth], [name] wants access"
    assert _kinds("Mrs Bailey asked about access since 31 October 2023") == ["name"]


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
