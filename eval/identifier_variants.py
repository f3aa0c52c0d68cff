"""Generated messages that carry patient identifiers, with where each identifier is (the truth).

    from identifier_variants import variants, CONTROLS
    for v in variants(1200, seed=7): v.text, v.truth   # truth: [(kind, start, end), ...]

Identifiers come from Faker (en_GB names, postcodes, phone numbers, emails) and from random valid NHS
numbers (Modulus 11) and birth dates, each written in one of the ways people type them: NHS numbers
split by spaces, two spaces, tabs, line breaks, dots, " - ", no-break and narrow no-break spaces;
dates as digits, eight run-together digits, words; names titled or not, in any case. The sentence
frames are written here (not taken from any question bank). Used by eval/identifier_detector.py (the
full set) and tests/test_identifier_fuzz.py (a sample per surface).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from faker import Faker

FRAMES = [
    "pt {x} wants online access switched on, what do we do?",
    "can someone check {x} please - mum is asking about proxy",
    "{x} rang about seeing her test results in the app",
    "query about {x}: the app shows nothing from before 2023",
    "hi all, {x} says his letters are missing online",
    "patient says {x} is on file but the record is blank",
    "re {x} - can we hide one consultation from the app?",
    "is it ok to give {x} full access to historic notes",
    "Does {x} need the 104 code adding?",
    "{x}\nasking why the blood results are not showing",
]
NHS_SEPARATORS = [" ", "", "-", "  ", "\t", "\n", ".", " - ", "\u202f", "\u00a0", "\u2009", " / ", "\u2013", " \n ",
                  "\u200b", "\u3000", " . "]
NHS_CUES = ["", "NHS ", "nhs no ", "NHS number: ", "NHS#", ""]
DOB_CUES = ["DOB ", "dob: ", "d.o.b. ", "born ", "date of birth ", "b. ", "DOB:", "born on "]
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr", "Mx", "mr", "mrs", "MRS", "dr", "Mr.", "Mrs."]
DAY_WORDS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
             "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
MONTHS = "January February March April May June July August September October November December".split()
UNITS = "one two three four five six seven eight nine".split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()

# Messages with no identifier that look like they might have one: codes, help lines, guidance dates.
CONTROLS = [
    "What kind of access should I give this patient?\nKind regards\nPractice team",
    "logins per site last month\nMain\t512\t398\t1024\nBranch\t12\t40\t88",
    "the domestic abuse helpline from abroad is +44 808 2000 247",
    "Use SNOMED 1364731000000104 to hold back access for review",
    "is 1364751000000106 the code that reverses 104?",
    "codes 1364731000000104, 1364751000000106 and 1290331000000103",
    "ODS code C81999 - do we tell the ICB we are going opt in?",
    "our ODS code is Y02345 and we use EMIS",
    "the Refuge helpline is 0808 2000 247",
    "Sheffield help line 0114 349 1666, is that still right",
    "guidance dated 01/04/2023 says what?",
    "From 31 October 2023 prospective access is on by default",
    "since 2023-10-31 new patients get access",
    "the contract changed on 1 April 2024",
    "ref 4829103756 from the service desk, still not fixed",
    "pt's mum wants proxy, patient says she agrees",
    "Mark the record as reviewed once the 104 code is added",
    "grace period for switching on? will the ICB check",
    "Dr said it was fine to share the letter",
    "the practice manager asked whether ms teams calls are recorded",
    "she is 23 and lives at home, can her mum have access",
    "North West London ICB says we must switch it on",
    "EMIS Web, SystmOne and Patient Access all show it differently",
    "Data Protection Act 2018 and the Access to Health Records Act 1990",
    "does the Mental Capacity Act 2005 apply to proxy for an adult",
    "the Caldicott Guardian and Gillick competence",
    "can the pt book a dr appointment online",
    "practice in SW1A postcode area, our phone system is down",
    "our practice (ODS code F84003) went live on 1 Nov 2023",
    "2 practices close early on Wednesdays, does that matter?",
    "10 working days to respond, or 28 calendar days?",
    "Patient Access and Patient Online are not the same thing",
    "see wiki pageId=4342022162 for the TPP steps",
    "what is the hospital number for switchboard",
    "is 1156257007 a SNOMED code we need?",
]


@dataclass
class Variant:
    text: str
    truth: list[tuple[str, int, int]] = field(default_factory=list)
    form: str = ""


def _nhs_number(rng: random.Random) -> str:
    while True:
        nine = "".join(str(rng.randrange(10)) for _ in range(9))
        check = 11 - sum(int(c) * w for c, w in zip(nine, range(10, 1, -1))) % 11
        if check == 11:
            check = 0
        if check != 10:
            return nine + str(check)


def _year_words(year: int) -> str:
    if year >= 2000:
        rest = year - 2000
        return "two thousand" + (f" and {_small(rest)}" if rest else "")
    return f"nineteen {_small(year - 1900)}"


def _small(n: int) -> str:
    teens = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
    if n < 10:
        return UNITS[n - 1] if n else "hundred"
    if n < 20:
        return teens[n - 10]
    return TENS[n // 10 - 2] + (f"-{UNITS[n % 10 - 1]}" if n % 10 else "")


def nhs_forms(n: str, rng: random.Random) -> str:
    sep = rng.choice(NHS_SEPARATORS)
    if rng.random() < 0.1:  # full-width digits, as some phones and pasted documents give them
        n = "".join(chr(0xFF10 + int(c)) for c in n)
    return rng.choice(NHS_CUES) + sep.join((n[:3], n[3:6], n[6:]))


def dob_forms(d: dt.date, rng: random.Random) -> tuple[str, str]:
    """(cue, date text): the cue is not part of the identifier."""
    forms = [
        f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day}.{d.month}.{d.year % 100:02d}", d.isoformat(),
        f"{d.day} {MONTHS[d.month - 1]} {d.year}", f"{d.day}th of {MONTHS[d.month - 1][:3]} {d.year}",
        f"{MONTHS[d.month - 1]} {d.day}, {d.year}", f"{d.day:02d}{d.month:02d}{d.year}",
        f"the {DAY_WORDS[min(d.day, 20) - 1]} of {MONTHS[d.month - 1]} {_year_words(d.year)}",
        f"{d.day:02d}-{d.month:02d}-{d.year}",
    ]
    i = rng.randrange(len(forms))
    cue = rng.choice(DOB_CUES) if rng.random() < 0.75 else ""  # a quarter typed with no cue at all
    return cue, forms[i]


def name_forms(fake: Faker, rng: random.Random) -> str:
    first, last = fake.first_name(), fake.last_name()
    if rng.random() < 0.1:
        first = f"{first}-{fake.first_name()}"  # "Mary-Jane"
    kind = rng.randrange(4)
    name = f"{rng.choice(TITLES)} {last}" if kind == 0 else f"{rng.choice(TITLES)} {first} {last}" if kind == 1 \
        else f"{first} {last}"
    case = rng.randrange(3)
    return name.lower() if case == 1 else name.upper() if case == 2 and kind else name


def variants(n: int = 1200, seed: int = 7) -> list[Variant]:
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    out: list[Variant] = []
    kinds = ["nhs_number", "date_of_birth", "name", "postcode", "phone", "email", "combo"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        parts: list[tuple[str, str, str]] = []  # (kind, lead-in not redacted, identifier)
        if kind in ("nhs_number", "combo"):
            form = nhs_forms(_nhs_number(rng), rng)
            digits_start = next(j for j, c in enumerate(form) if c.isdigit())
            parts.append(("nhs_number", form[:digits_start], form[digits_start:]))
        if kind in ("date_of_birth", "combo"):
            cue, text = dob_forms(dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 90)), rng)
            parts.append(("date_of_birth", cue, text))
        if kind in ("name", "combo"):
            parts.append(("name", "", name_forms(fake, rng)))
        if kind == "postcode" or (kind == "combo" and rng.random() < 0.5):
            pc = fake.postcode()
            pc = rng.choice([pc, pc.lower(), pc.replace(" ", ""), pc.replace(" ", "  ")])
            parts.append(("postcode", "postcode ", pc))
        if kind == "phone":
            parts.append(("phone", rng.choice(["tel ", "mobile ", "call back on ", ""]),
                          rng.choice([fake.phone_number(), fake.cellphone_number()])))
        if kind == "email":
            parts.append(("email", "email ", fake.email()))
        rng.shuffle(parts)
        frame = rng.choice(FRAMES)
        head, tail = frame.split("{x}")
        text, truth = head, []
        for j, (k, lead, ident) in enumerate(parts):
            if j:
                text += rng.choice([", ", " ", " - ", "\n", "; "])
            text += lead
            truth.append((k, len(text), len(text) + len(ident)))
            text += ident
        out.append(Variant(text + tail, truth, kind))
    return out
