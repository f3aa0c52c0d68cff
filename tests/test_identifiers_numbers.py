"""Tests for bot.identifiers: NHS numbers (check digit, every spacing, cues), public numbers and guidance
dates that must not alarm, and dates of birth. Contact details, names and robustness: tests/test_identifiers.py."""

from __future__ import annotations

import pytest
from identifier_helpers import HELP_LINES, VALID, assert_gone, digits, flip_last, kinds_in, with_check_digit

from bot.identifiers import find_identifiers, is_valid_nhs_number, redact

# ---------------------------------------------------------------- check digit


@pytest.mark.parametrize("n", VALID)
def test_valid_check_digits(n):
    assert is_valid_nhs_number(n)
    assert is_valid_nhs_number(f"{n[:3]} {n[3:6]} {n[6:]}")


@pytest.mark.parametrize("n", VALID)
def test_flipped_digits_are_invalid(n):
    assert not is_valid_nhs_number(flip_last(n))
    swapped = n[1] + n[0] + n[2:] if n[0] != n[1] else n[:4] + str((int(n[4]) + 3) % 10) + n[5:]
    if swapped != n:
        assert not is_valid_nhs_number(swapped)


def test_check_digit_ten_is_invalid_and_eleven_becomes_zero():
    # find a 9-digit prefix whose check would be 10: no completion is valid
    prefix = next(f"{i:09d}" for i in range(100000000, 100001000) if with_check_digit(f"{i:09d}") is None)
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
    assert n not in digits(r.text)


@pytest.mark.parametrize("n", VALID)
def test_an_invalid_number_named_as_another_reference_is_not_flagged(n):
    bad = flip_last(n)
    assert find_identifiers(f"reference {bad} on the letter") == []
    assert find_identifiers(f"reference {bad[:3]} {bad[3:6]} {bad[6:]} on the letter") == []
    assert find_identifiers(f"logged with the service desk, ticket no. {bad[:3]} {bad[3:6]} {bad[6:]}") == []
    assert find_identifiers(f"the service desk ref {bad} weeks ago") == []  # run together
    assert find_identifiers(f"wiki pageId={bad}") == [] and find_identifiers(f"see /pages/{bad}/guide") == []


@pytest.mark.parametrize("n", VALID)
def test_a_mistyped_number_typed_alone_is_flagged(n):
    """Ten digits typed as a word of their own are what staff paste an NHS number as, even with a wrong check digit
    (a phone number starts with 0, a SNOMED identifier carries a Verhoeff check digit)."""
    bad = flip_last(n)
    r = redact(f"can you check {bad} for me, app shows nothing")
    assert r.kinds == ["nhs_number"] and bad not in r.text
    assert find_identifiers("is 1156257007 the right one") == []  # a ten-digit SNOMED CT concept identifier
    for text in ("timestamp 1712345678 in the audit log", "The ICB's ticket reference is 4512398761"):
        assert find_identifiers(text) == []  # not an issued NHS number's first digit; named as another reference


@pytest.mark.parametrize("n", VALID)
def test_a_mistyped_nhs_number_is_flagged_in_its_grouping_or_beside_a_name_or_birth_date(n):
    """Staff mistype NHS numbers and test messages invent them: a wrong check digit must not let one through."""
    bad = flip_last(n)
    for text in (f"pt {bad[:3]} {bad[3:6]} {bad[6:]} rang about the app",
                 f"pt Daniel Fakename {bad} rang about the app",
                 f"re {bad}, dob 03/03/1960 - wants access"):
        r = redact(text)
        assert "nhs_number" in r.kinds and digits(bad) not in digits(r.text), text


@pytest.mark.parametrize("n", VALID)
def test_a_mistyped_number_beside_contact_details_or_named_a_case_beside_a_name_is_flagged(n):
    bad = flip_last(n)
    for text in (f"{bad} LS1 4AB", f"{bad} tel 07700 900123", f"Jane Smith case {bad[:3]} {bad[3:6]} {bad[6:]}"):
        assert digits(bad) not in digits(redact(text).text), text


def test_a_table_a_phone_number_or_a_public_help_line_in_3_3_4_is_not_an_nhs_number():
    assert find_identifiers("logins per site\nMain\t512\t398\t1024\nBranch\t12\t40\t88") == []
    # a phone number written internationally: a phone number, not an NHS number
    assert set(kinds_in("ring +44 113 496 0000 or 0044 113 496 0000")) == {"phone"}
    assert kinds_in("ring +44 300 311 2233 or 0044 300 311 2233") == []  # an organisation's range: neither
    assert redact("the helpline is +44 300 311 2233", public_numbers={"03003112233"}).findings == ()


@pytest.mark.parametrize("cue", ["NHS no", "NHS no.", "NHS number", "NHS #", "nhs:", "NHS No:", "NHS number is", "nhs number -"])
def test_invalid_number_after_cue_is_flagged(cue):
    bad = flip_last(VALID[0])
    text = f"{cue} {bad[:3]} {bad[3:6]} {bad[6:]} - can she see her notes?"
    r = redact(text)
    assert r.kinds == ["nhs_number"]
    assert digits(bad) not in digits(r.text)
    assert r.text.endswith("[NHS number] - can she see her notes?")


def test_nhs_111_and_the_number_after_it_are_not_an_nhs_number():
    # "NHS 111" is a service: its digits and a phone number after it are not a patient's NHS number, even when the
    # ten digits they make have a valid check digit (1110300123 has)
    assert is_valid_nhs_number("1110300123")
    assert kinds_in("can pts ring NHS 111 - 0300 123 4567 about their app?") == []
    assert kinds_in("NHS: 111 - 0300 123 4567 for out of hours") == []
    # the NHS number's own 3-3-4 grouping, or a name or a date of birth beside it: a patient's number still
    assert kinds_in("nhs 111 030 0123 is hers") == ["nhs_number"]
    assert sorted(kinds_in("nhs 111 2223333 dob 01/02/1960")) == ["date_of_birth", "nhs_number"]
    assert sorted(kinds_in("Mrs Smith nhs 111 2223334")) == ["name", "nhs_number"]
    # any other number after a bare "nhs" is taken for one, whatever its first digit
    assert kinds_in("nhs 1234567890") == ["nhs_number"]
    assert kinds_in("nhs 3456789012 can she see her notes") == ["nhs_number"]


def test_a_number_a_digit_short_after_a_named_cue_counts_after_a_bare_nhs_only_as_issued():
    assert kinds_in("nhs: 555123456 - can she see it?") == ["nhs_number"]  # "nhs:" names a number
    assert kinds_in("nhs 999628194") == ["nhs_number"]  # starts as issued numbers do
    assert kinds_in("NHS 111 111 111") == [] and kinds_in("nhs 100 200 300") == []


def test_cue_must_be_right_before_the_number():
    bad = flip_last(VALID[1])
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
        full = with_check_digit(str(i))
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
        assert n not in digits(r.text)
    assert r.text.endswith("can these patients all see their records?")


def test_other_spellings_of_a_found_number_are_also_redacted():
    n = VALID[0]
    text = f"NHS {n}, I mean {n[:5]} {n[5:]}"
    r = redact(text)
    assert n not in digits(r.text)
    assert r.text == "NHS [NHS number], I mean [NHS number]"


# ---------------------------------------------------------------- public numbers, guidance dates


def test_help_lines_in_public_numbers_never_alarm():
    text = "Give her the National Domestic Abuse Helpline, 0808 2000 247, or call 0114 349 1666."
    assert find_identifiers(text, public_numbers=HELP_LINES) == []
    # compared on digits only: another spelling is still public
    assert find_identifiers("call 08082000247 or 0114-349-1666", public_numbers=HELP_LINES) == []
    # without the allow-list the geographic one is a phone number (0808 is a free-phone range: never a patient's)
    assert kinds_in(text) == ["phone"]


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
    assert_gone(text, r.text, date)


def test_numeric_date_counts_when_message_has_nhs_number_or_titled_name():
    assert kinds_in("9991860916 30/06/2001 can she see it") == ["nhs_number", "date_of_birth"]
    assert kinds_in("Mrs Jane Placeholder 30/06/2001 wants access") == ["name", "date_of_birth"]
    # a written-out date next to an NHS number is not assumed to be a birth date
    assert kinds_in("9991860916 since 31 October 2023") == ["nhs_number"]
    # a numeric date with no other identifier is not a DOB
    assert kinds_in("registered on 30/06/2001, can she see old notes") == []


def test_impossible_dates_are_ignored():
    assert kinds_in("9991860916 ref 45/45/2001") == ["nhs_number"]



@pytest.mark.parametrize("number", ["0300 123 3000", "0303 123 1113", "0345 122 3301", "0800 123 4567",
                                    "0808 801 0327", "0843 123 4567", "0909 123 4567", "+44 300 311 2233"])
def test_a_help_line_or_supplier_number_is_not_a_patients_phone(number):
    """Non-geographic ranges (03, 08, 09) belong to organisations; a patient's number is a landline or a mobile."""
    assert find_identifiers(f"is {number} the right number to ring about it?") == []
    r = redact(f"she rang the helpline on {number} from her mobile 07700 900123")
    assert r.kinds == ["phone"] and number in r.text
