"""Names known by the words around them: a word naming the patient ("pt Nowak", "Patient Okafor rang"), a form's name
field ("Name: Bilal Hussain"), a surname or first name so called ("surname Adeyemi"), a family ("the ogunleye family"),
a given name with a particle and a surname in lower case ("rhodri ap gwynfor's wife");
and colleagues named with their role ("Dr Okafor (our new salaried GP)"), who are not patients. The other name rules
are in `names`; the lists in `name_lists`.
"""

from __future__ import annotations

import re

from bot.identifiers.flagged import PERSON_AFTER_RE
from bot.identifiers.name_lists import (NAME_ONLY_PARTICLES, WORD_PARTICLES, bare, function_words, is_common, is_listed,
                                        is_listed_given, is_listed_surname)
from bot.identifiers.names import WORD_RE
from bot.identifiers.types import Finding, merge

# "pt Kowalczyk", "patient: Okafor": a word naming the patient right before a capitalised name, on one line
_PATIENT_WORD = r"(?<![A-Za-z])(?i:pt|pts|patient|patients|pt's|patient's)\.?(?: *: *| +- +| +)"
_PATIENT_RE = re.compile(_PATIENT_WORD + r"([A-Z][A-Za-z'\-]+)(?![A-Za-z'\-])(?! +[A-Z])")
_PATIENT_ANY_CASE_RE = re.compile(_PATIENT_WORD + r"([A-Za-z][A-Za-z'\-]+)(?![A-Za-z'\-])(?! +[A-Z])")


def patient_surnames(norm: str, raw: str, *, loose: bool = False) -> list[Finding]:
    """A capitalised name right after "pt" or "patient" (any case) on the same line: a listed given name or surname
    of any country ("pt Nowak asking why...", "Patient Okafor rang"), never a common English or function word, nor
    the first of a run of capitalised words, so "patient Access", "patient Consent", "Patient Knows Best" or a
    sign-off on the next line stays. (Tried and taken out as the rule for every message: an unlisted capitalised
    word, as staff capitalise nouns after "patient" too often; a listed word in lower case, as the lists hold "held",
    "trace", "echo", "rose".)
    `loose`: the message holds a person's number or date of birth already, so it is flagged whatever this finds and
    a word taken for a name by mistake costs little: any word, in any case, that is not a common one ("pt hodan")."""
    stop = function_words()
    out = []
    for m in (_PATIENT_ANY_CASE_RE if loose else _PATIENT_RE).finditer(norm):
        word, lower = m.group(1), bare(m.group(1))
        if "\n" in (raw or norm)[m.start():m.start(1)] or lower in stop or is_common(word) or len(lower) < 3:
            continue
        if loose or is_listed(lower):
            out.append(Finding("name", m.start(1), m.end(1)))
    return out


# A form's name field, pasted: "Name: Bilal Hussain", "patient name - amy dummy", "Full name: …", "Patient: …"
_NAME_FIELD_RE = re.compile(r"(?<![A-Za-z])(?:(?i:(?:patient'?s?|pt'?s?|full|first|last|sur|given|fore) *)?(?i:name)"
                            r"|(?i:patient|pt)(?= *:)) *[:=\-] *"
                            r"([A-Za-z][A-Za-z'\-]*(?: +(?![A-Za-z'\-]+ *[:=])[A-Za-z][A-Za-z'\-]*){0,3})")


def field_names(norm: str, raw: str) -> list[Finding]:
    """The words after a form's "Name:" field that opens its line, on the same line, up to the first function
    word."""
    stop = function_words()
    out = []
    for m in _NAME_FIELD_RE.finditer(norm):
        line = (raw or norm)[:m.start()].rsplit("\n", 1)[-1]
        if any(c.isalnum() for c in line):
            continue  # a label that opens its line ("Name: …"), not a menu's "Template Name: …"
        end = None
        for w in WORD_RE.finditer(norm, m.start(1), m.end(1)):
            if bare(w.group()) in stop or "\n" in (raw or norm)[m.start(1):w.start()]:
                break
            end = w.end()
        if end is not None:
            out.append(Finding("name", m.start(1), end))
    return out


# "surname Adeyemi", "her first name is Siobhan", "maiden name: Hughes": a name so called, anywhere in a line
_CALLED_RE = re.compile(r"(?<![A-Za-z])(?i:surname|last +name|family +name|maiden +name|forename|first +name|given +name)"
                        r"(?P<said>(?: +(?i:on|in) +(?i:the +)?(?i:system|emis|s1|record|file|screen|letter))?(?: +(?i:is|was)|'s)? *[:=]?) *"
                        r"([A-Za-z][A-Za-z'\-]+)(?![A-Za-z'\-])")
# "the Ogunleye family", "the ogunleye-smith household"; not a kind of family ("the foster family") nor a practice's
# or a group's name ("the Jones family practice", "the Bevan family of hospitals")
_FAMILY_RE = re.compile(r"(?<![A-Za-z])(?i:the) +([A-Za-z][A-Za-z'\-]+) +(?i:family|families|household|twins)\b"
                        r"(?! +(?i:of|practice|practices|doctors?|group|surgery|medical|health|partnership)\b)")
_FAMILY_KINDS = frozenset("foster adoptive blended nuclear wider host birth step extended".split())


def called_names(norm: str) -> list[Finding]:
    """A name so called, and the surname of "the … family": a name of any list (or, for a family, any capitalised
    word), or a capitalised word said to be the name ("surname: Green", "her surname is Green"); never a function
    word, and a common word only when said to be the name."""
    stop = function_words()
    out = []
    for pattern in (_CALLED_RE, _FAMILY_RE):
        for m in pattern.finditer(norm):
            word = m.group(m.lastindex)
            lower = bare(word)
            said = pattern is _CALLED_RE and m.group("said").strip() != ""
            if lower in stop or lower in _FAMILY_KINDS or len(lower) < 3 or (is_common(word) and not said):
                continue
            listed = any(is_listed(part) for part in (lower, *lower.split("-")[:2]))
            if listed or (word[0].isupper() and (said or pattern is _FAMILY_RE)):
                out.append(Finding("name", m.start(m.lastindex), m.end(m.lastindex)))
    return out


# A given name, a particle and the surname after it, in lower case: "rhodri ap gwynfor's wife", "anna van der berg rang".
# After a particle that is no English word, the given name or the surname must be a listed one, or a person be spoken
# of right after ("'s wife", "rang"), or their details follow ("943 476 5919", "dob"); "ab" only before a vowel or h,
# "ap" never before k, q, v, x or z, plain "ni"/"ui" only before a lenited surname ("pelvis ap xray", "rubella ab
# titre" and "Wales NI" are no names). After one that is an English word ("maria de souza"), both must be listed, the
# surname as a surname ("Santa Maria de Belem" is a place).
_LETTERS = r"[^\W\d_][^\W\d_'\-]{2,}"
_PARTICLE_NAME_RE = re.compile(rf"(?<![\w'\-])({_LETTERS})((?: +(?:({'|'.join(NAME_ONLY_PARTICLES)})|"
                               rf"{'|'.join(WORD_PARTICLES)})){{1,2}} +({_LETTERS}))(?![\w\-])")
_PARTICLES = frozenset(NAME_ONLY_PARTICLES + WORD_PARTICLES)
# a person's details right after a name: "cerys ap dafydd 943 476 5919", "… (dob 1/2/80)"
_DETAILS_AFTER_RE = re.compile(r",? *[(:\-]? *(?:(?i:dob|d\.o\.b|nhs|born)\b|\d{3})")


def particle_names(norm: str) -> list[Finding]:
    """A given name with a name particle and a surname after it, in lower case (`_PARTICLE_NAME_RE`)."""
    stop = function_words()
    out = []
    for m in _PARTICLE_NAME_RE.finditer(norm):
        given, particle, surname = bare(m.group(1)), m.group(3), bare(m.group(4))
        if any(w in stop or is_common(w) or w in _PARTICLES for w in (given, surname)):
            continue
        if particle is None:  # (Faker's surnames only: the world's hold places too, "Belem")
            told = is_listed_given(given) and is_listed_surname(surname, faker_only=True)
        elif (particle == "ab" and surname[0] not in "aeiouhâêîôûŵŷ") or (particle == "ap" and surname[0] in "kqvxz") \
                or (particle in ("ni", "ui") and surname[1:2] != "h"):
            told = False
        else:
            told = (is_listed(given) or is_listed(surname) or PERSON_AFTER_RE.match(norm, m.end()) is not None
                    or _DETAILS_AFTER_RE.match(norm, m.end()) is not None)
        if told:
            out.append(Finding("name", m.start(), m.end()))
    return out


# A colleague named with their role right after: "Dr Okafor (our new salaried GP)", "Mrs Khan, our reception lead"
_ROLES = (r"(?i:gp|gps|doctor|registrar|partner|nurse|pm|manager|receptionist|lead|locum|pharmacist|hca|administrator|"
          r"admin|guardian|dpo|colleague|trainee|secretary|coordinator|paramedic|clinician|director)")
_OUR_ROLE_RE = re.compile(r"(?: *[,(\-])? *(?:(?:in|from|at) +(?:the|our) +(?:[A-Za-z]+ +){0,3}?"
                          r"(?i:team|office|icb|lmc|pcn|csu|hub)\b|"
                          rf"(?:is +|who +is +)?our +(?:[A-Za-z]+ +){{0,3}}?{_ROLES}\b)")
# ... unless the role is someone else's, in the next words: "our GP partner's father", "our nurse's husband"
_SOMEONE_ELSES_RE = re.compile(r" *(?:[A-Za-z]+ +){0,2}?(?:[A-Za-z]+(?:'s|s')(?![A-Za-z])|(?i:mum|mother|dad|father|"
                               r"husband|wife|son|daughter|brother|sister|neighbour|friend|relative|aunt|uncle|nan|"
                               r"gran|grandmother|grandfather|child|kid)s?\b)")
_TITLED_RE = re.compile(r"(?i:dr|mrs|mr|ms|miss|mx|prof)\.?(?: +[A-Za-z][A-Za-z'\-]*){1,2}$")
# ... or a doctor with the practice's own clinical role right before, after "our": "our lead GP Dr Okafor", "one of
# our locums, Dr Nkemdirim" (never a word like "partner" or "lead" alone, which are other things too)
_DOCTOR_TITLE_RE = re.compile(r"(?i:dr|prof)\b")
_OUR_CLINICIAN_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?i:our) +(?:[A-Za-z]+ +){0,3}?(?i:gp|gps|doctors?|registrars?|"
                                      r"locums?|consultants?|partners?)(?: *,)? *$")
# ... and any titled name with a practice role right before, after "our": "Our DPO, Mr Adeleke", "our practice
# manager Mrs Khan"
_OUR_ROLE_BEFORE_RE = re.compile(rf"(?<![A-Za-z])(?i:our) +(?:[A-Za-z]+ +){{0,3}}?{_ROLES}s?(?: *,)? *$")
# ... or a doctor's view given to the practice: "Dr Shah says we need…", "Dr Patel thinks we should…"
_TELLS_US_RE = re.compile(r" +(?i:says|said|thinks|thought|reckons|suggests|suggested|recommends|recommended)"
                          r"(?: +(?i:that))? +(?i:we) +(?i:should|need|must|have +to|can't|cannot|shouldn't)\b")
# ... never one said to be a patient, a patient's, or registered here, anywhere before the name in its sentence
_PATIENT_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?i:pts?|patients?|registered|retired)\b[^.?!\n]*$")
# ... nor one said after it to be one, or to want their own record: "Mrs Khan (our receptionist) is also registered
# here", "our nurse Mrs Ali is a patient too", "…wants to see her own notes"
_PATIENT_AFTER_RE = re.compile(r"[^.?!\n]*?(?<![A-Za-z])(?i:registered +(?:here|with +us|at +(?:the|our) +practice)|"
                               r"(?:is|as) +(?:also +)?(?:a +|our +)?(?:patient|pt)\b|(?:her|his|their) +own +"
                               r"(?:record|notes|results|gp +record|online +record|medical +record))")


def colleagues(norm: str, people: list[Finding]) -> set[tuple[int, int]]:
    """The spans of the names in `people` that are a titled colleague with their role right after ("Dr Nguyen our
    registrar"), a doctor with the practice's clinical role right before ("our lead GP Dr Okafor"), or a doctor's
    view given to the practice ("Dr Shah says we need…"); not a relative of one ("Mr Jones our nurse's husband"),
    nor a name before "'s", nor one with a patient mentioned before it in its sentence or said after it to be one
    ("… is also registered here", "… her own record"). Judged on whole names (the found names merged), so a part of a
    name cannot be let through on its own. For a message with no other identifier: leaving a colleague's name only
    saves a false alarm, so where anything else is flagged the caller keeps them."""
    out = set()
    for f in merge(people):
        text = f.text_in(norm)
        if (not _TITLED_RE.match(text) or norm.startswith(("'s", "s'"), f.end) or text.endswith(("'s", "s'"))
                or _PATIENT_BEFORE_RE.search(norm, max(0, f.start - 80), f.start)
                or _PATIENT_AFTER_RE.match(norm[f.end:f.end + 160])):
            continue
        before = norm[max(0, f.start - 50):f.start]
        doctor = _DOCTOR_TITLE_RE.match(text) is not None
        if _OUR_ROLE_BEFORE_RE.search(before) or (doctor and (
                _OUR_CLINICIAN_BEFORE_RE.search(before) or _TELLS_US_RE.match(norm, f.end))):
            out.add((f.start, f.end))
            continue
        role = _OUR_ROLE_RE.match(norm, f.end)
        if role is None or norm.startswith(("'s", "s'"), role.end()) or _SOMEONE_ELSES_RE.match(norm, role.end()):
            continue
        out.add((f.start, f.end))
    return out
