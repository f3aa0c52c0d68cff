"""Names known by the words around them: a word naming the patient ("pt Nowak", "Patient Okafor rang"), a form's name
field ("Name: Bilal Hussain"), a surname or first name so called ("surname Adeyemi"), a family ("the ogunleye family");
and colleagues named with their role ("Dr Okafor (our new salaried GP)"), who are not patients. The other name rules
are in `names`; the lists in `name_lists`.
"""

from __future__ import annotations

import re

from bot.identifiers.name_lists import bare, function_words, is_common, is_listed
from bot.identifiers.names import WORD_RE
from bot.identifiers.types import Finding

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


# A colleague named with their role right after: "Dr Okafor (our new salaried GP)", "Mrs Khan, our reception lead",
# "Mr Hughes the senior partner"
_ROLES = (r"(?i:gp|doctor|registrar|partner|nurse|pm|manager|receptionist|lead|locum|pharmacist|hca|administrator|"
          r"admin|guardian|dpo|colleague|trainee|secretary|coordinator|paramedic|clinician|director|consultant|officer)")
_OUR_ROLE_RE = re.compile(r" *[,(\-]? *(?:(?:in|from|at) +(?:the|our) +(?:[A-Za-z]+ +){0,3}?(?i:team|office|icb|lmc|pcn|csu|hub)\b|"
                          rf"(?:is +|who +is +)?(?i:our|the) +(?:[A-Za-z]+ +){{0,3}}?{_ROLES}s?\b)")
# ... unless the role is someone else's, in the next words: "our GP partner's father", "our nurse's husband"
_SOMEONE_ELSES_RE = re.compile(r" *(?:[A-Za-z]+ +){0,2}?(?:[A-Za-z]+(?:'s|s')(?![A-Za-z])|(?i:mum|mother|dad|father|"
                               r"husband|wife|son|daughter|brother|sister|neighbour|friend|relative|aunt|uncle|nan|"
                               r"gran|grandmother|grandfather|child|kid)s?\b)")
# ... or with the role right before: "our lead GP Dr Okafor", "one of our locums, Dr Nkemdirim", "Caldicott Guardian
# here is Dr Rahman"
_ROLE_BEFORE_RE = re.compile(rf"(?<![A-Za-z]){_ROLES}s? *,? *(?:(?i:here|there) +)?(?:(?i:is|was) +)?$")
# ... but not someone's role: "her partner Jamie Reid", "the patient's GP Dr Hale"
_SOMEONES_ROLE_RE = re.compile(r"(?:(?<![A-Za-z])(?i:her|his|their|my)|'s) +(?:[A-Za-z]+ +)?$")
# ... never one said to be a patient: "our patient Dr Jones wants us to…"
_PATIENT_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?i:pts?|patients?)(?:'s)? *,? *(?:(?i:is|was) +)?$")
# ... or a doctor telling the practice what to do: "Dr Patel wants us to…", "Dr Shah says we need…"
_DOCTOR_TITLE_RE = re.compile(r"(?i:dr|prof)\b")
_TELLS_US_RE = re.compile(r" +(?i:says|said|thinks|thought|wants|wanted|asks|asked|reckons|suggests|suggested|recommends|"
                          r"recommended|would +like|has +asked|is +asking)(?: +(?i:that|if|whether))? +(?i:we|us|me|staff|"
                          r"everyone|the +team|all +of +us)\b")


def colleagues(norm: str, people: list[Finding]) -> set[tuple[int, int]]:
    """The spans of the names in `people` that are a colleague with their role right after ("Dr Nguyen our
    registrar", "Mr Hughes the senior partner") or right before ("our lead GP Dr Okafor", "the ICB lead, Sarah
    Thompson"), or a doctor telling the practice what to do ("Dr Patel wants us to…"); not a relative of one ("Mr
    Jones our nurse's husband"), nor someone's partner ("her partner Jamie Reid"), nor one said to be a patient.
    For a message with no other identifier: leaving a colleague's name only saves a false alarm, so where anything
    else is flagged the caller keeps them."""
    out = set()
    for f in people:
        text = f.text_in(norm)
        if _PATIENT_BEFORE_RE.search(norm, max(0, f.start - 20), f.start):
            continue
        before = _ROLE_BEFORE_RE.search(norm, max(0, f.start - 40), f.start)
        if before is not None and _SOMEONES_ROLE_RE.search(norm, max(0, before.start() - 30), before.start()):
            before = None
        if before is not None or (_DOCTOR_TITLE_RE.match(text) and _TELLS_US_RE.match(norm, f.end)):
            out.add((f.start, f.end))
            continue
        role = _OUR_ROLE_RE.match(norm, f.end)
        if role is None or norm.startswith(("'s", "s'"), role.end()) or _SOMEONE_ELSES_RE.match(norm, role.end()):
            continue
        out.add((f.start, f.end))
    return out
