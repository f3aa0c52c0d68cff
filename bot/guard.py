"""Patient-identifier detection/redaction and question signals (pure stdlib, no I/O).

Staff sometimes paste patient details into Slack. `find_identifiers` spots NHS numbers, dates of
birth, postcodes, phone numbers, email addresses and names; `redact` replaces every one of them with
a placeholder such as "[NHS number]" so the question can still be answered without the identifiers
ever being stored, logged, embedded or forwarded.

`Finding` never carries the matched text: it holds only the kind and the offsets, so logging a finding
cannot leak an identifier. Use `Finding.text_in(source)` when the text is really needed.

Every regex here is linear: repeats are bounded or unambiguous and each pattern is anchored by a
look-behind so a 40,000-character message is scanned in a few milliseconds.

`safeguarding_signal` and `clinical_advice_signal` are keyword detectors for the answering core.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "phone_numbers",
    "Finding",
    "Redaction",
    "clinical_advice_signal",
    "find_identifiers",
    "is_valid_nhs_number",
    "redact",
    "safeguarding_signal",
]

# Canonical order of kinds; also the priority used when overlapping findings are merged.
KINDS: tuple[str, ...] = ("nhs_number", "date_of_birth", "name", "phone", "email", "postcode")

PLACEHOLDERS: dict[str, str] = {
    "nhs_number": "[NHS number]",
    "date_of_birth": "[date of birth]",
    "postcode": "[postcode]",
    "phone": "[phone number]",
    "email": "[email]",
    "name": "[name]",
}

_PRIORITY = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Finding:
    """Where an identifier is: kind and [start, end) offsets into the source text. Never the text itself."""

    kind: str
    start: int
    end: int

    def text_in(self, source: str) -> str:
        """The matched text, read from the source it was found in (do not log it)."""
        return source[self.start : self.end]

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS[self.kind]


@dataclass(frozen=True)
class Redaction:
    text: str  # the input with every finding replaced by its placeholder
    findings: tuple[Finding, ...]  # offsets into the ORIGINAL text

    @property
    def has_identifiers(self) -> bool:
        return bool(self.findings)

    @property
    def kinds(self) -> list[str]:
        """Distinct kinds found, in the canonical order of `KINDS`."""
        present = {f.kind for f in self.findings}
        return [k for k in KINDS if k in present]


# --------------------------------------------------------------------------------------------------
# NHS numbers

_SEP = r"[ \-\u00a0\u2010\u2011\u2013]"  # one space, NBSP or hyphen/dash between groups

# 3-3-4 with an optional single separator between groups (so also 10 contiguous, 3-7 and 6-4),
# never inside a longer digit run.
_NHS_RE = re.compile(rf"(?<!\d)\d{{3}}{_SEP}?\d{{3}}{_SEP}?\d{{4}}(?!\d)")

# Any 10 digits with up to two separators between each: used only to catch other spellings of a
# number already found (so no spacing of a found number survives redaction).
_LOOSE_TEN_RE = re.compile(r"(?<!\d)\d(?:[ \t\-.\u00a0\u2010\u2011\u2013]{0,2}\d){9}(?!\d)")

# An explicit cue right before a number: "NHS no", "NHS number", "NHS #", "nhs:", "NHS No.:" ...
_NHS_CUE_RE = re.compile(
    r"\bnhs[ \t]*(?:(?:no|num|nbr|number|n°)\b\.?|#)?[ \t]*(?:is|[:#=\-])?[ \t]*$",
    re.IGNORECASE,
)


def is_valid_nhs_number(digits: str) -> bool:
    """True when `digits` is ten digits (separators allowed) with a valid Modulus 11 check digit."""
    d = re.sub(r"[\s\-]", "", digits or "")
    if len(d) != 10 or not d.isascii() or not d.isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1)))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(d[9])


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isascii() and c.isdigit())


# --------------------------------------------------------------------------------------------------
# Phones

_PHONE_RE = re.compile(
    r"(?<![\d+])(?:"
    r"(?:\+[ \t]?44|\b0044)[ \t\-]?(?:\(0\)[ \t\-]?)?\d(?:[ \t\-()]{0,2}\d){8,9}"  # +44 / 0044 forms
    r"|\(?0\d(?:[ \t\-()\u00a0]{0,2}\d){8,9}"  # national forms, 10 or 11 digits
    r")(?!\d)"
)


def _national_phone_digits(s: str) -> str:
    """Digits of a UK phone number in national form (+44 20 ... -> 020...)."""
    d = _digits(s)
    if d.startswith("0044"):
        d = d[4:]
    elif d.startswith("44") and len(d) >= 11:
        d = d[2:]
    else:
        return d
    return d if d.startswith("0") else "0" + d


def phone_numbers(text: str) -> set[str]:
    """The UK phone numbers a text quotes, as national-form digits (for a `public_numbers` allow-list)."""
    found = set()
    for match in _PHONE_RE.finditer(text):
        national = _national_phone_digits(match.group(0))
        if _is_uk_phone(national):
            found.add(national)
    return found


def _is_uk_phone(national: str) -> bool:
    if not national.startswith("0"):
        return False
    if len(national) == 11:
        return national[1] in "12378"
    if len(national) == 10:
        return national.startswith("01") or national.startswith("0800")
    return False


# --------------------------------------------------------------------------------------------------
# Email, postcode

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
    r"(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)

_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)"
    r"|GIR(?=[ \u00a0]?0AA)"
    r")[ \u00a0]?\d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def _postcode_case_ok(s: str) -> bool:
    """All upper or all lower case ("B1 2nd floor" is prose, "B1 2ND" / "b1 2nd" may be postcodes)."""
    letters = [c for c in s if c.isalpha()]
    return all(c.isupper() for c in letters) or all(c.islower() for c in letters)


# --------------------------------------------------------------------------------------------------
# Dates

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_NUM_DATE_RE = re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?!\d|[/.\-]\d)")
_ISO_DATE_RE = re.compile(r"(?<![\d/.\-])(\d{4})([/.\-])(\d{1,2})\2(\d{1,2})(?!\d|[/.\-]\d)")
_TEXT_DATE_RE = re.compile(
    rf"(?<![\dA-Za-z])(?:"
    rf"\d{{1,2}}(?:st|nd|rd|th)?[ \t\u00a0]+(?:of[ \t\u00a0]+)?{_MONTHS}\b\.?,?[ \t\u00a0]+(?:\d{{4}}|'?\d{{2}})"
    rf"|{_MONTHS}\b\.?[ \t\u00a0]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t\u00a0]+\d{{4}}"
    rf")(?!\d)",
    re.IGNORECASE,
)
_DOB_CUE_RE = re.compile(
    r"(?:\bd\.?[ \t]?o\.?[ \t]?b\b\.?|\bdate[ \t]+of[ \t]+birth|\bbirth[ \t]?date|\bborn|(?<![A-Za-z])b\.)"
    r"[ \t\u00a0]*(?:[:\-=]|is|was|on|of)?[ \t\u00a0]*(?:on[ \t\u00a0]+)?$",
    re.IGNORECASE,
)


def _plausible_day_month(a: int, b: int) -> bool:
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= b <= 31 and 1 <= a <= 12)


# --------------------------------------------------------------------------------------------------
# Names

_TITLE_RE = re.compile(r"(?<![A-Za-z])(?:(?i:mrs|mr|ms|mx|dr)|Miss|MISS|Master|MASTER)\b\.?")
_NAME_WORD_RE = re.compile(r"[ \t\u00a0]{1,3}([A-Z][A-Za-z'\u2019\-]*)")
_CAP = r"[A-Z][A-Za-z'\u2019\-]+"
# Separators (and an optional cue word) allowed between a name and the identifier it sits next to.
_GAP = (
    r"[ \t\u00a0]*(?:[,;:()\[\]/|\-\u2013\u2014][ \t\u00a0]*){0,3}"
    r"(?:(?i:nhs(?:[ \t]*(?:no\b\.?|number|num|#))?|dob|d\.o\.b\.?|date[ \t]+of[ \t]+birth|born|b\.|tel\.?"
    r"|phone|mob(?:ile)?|e-?mail|postcode|address)[ \t\u00a0]*[:#.\-]?[ \t\u00a0]*)?"
)
_NAME_BEFORE_RE = re.compile(rf"((?:{_CAP}[ \t\u00a0]+){{1,2}}{_CAP}){_GAP}$")
_NAME_AFTER_RE = re.compile(rf"{_GAP}((?:{_CAP}[ \t\u00a0]+){{1,2}}{_CAP})")
_CAP_WORD_RE = re.compile(_CAP)

_STOPWORDS = frozenset(
    """
    a an and or but if then so as at by for from in into of on onto to with without about after before
    the this that these those there here it its i we you he she they her his him their them our us my your me
    is are was were be been being am has have had do does did can could should would will shall may might must
    not no yes ok okay hi hello hey dear thanks thank please cheers sorry morning afternoon evening
    who what when where why how which whose whom
    mr mrs ms miss mx dr master sir madam
    nhs app apps patient patients access online services service gp gps practice practices manager team teams
    record records summary care scr emis web systmone tpp vision epr ehr clinical system systems
    word excel outlook office forms edge windows microsoft google chrome slack
    index said says told asked wants wanted called rang phoned emailed
    monday tuesday wednesday thursday friday saturday sunday
    proxy guidance policy
    dob born date birth no number tel phone mobile mob email e-mail postcode address ref age aged
    helpline helplines line lines hotline service centre center unit surgery hospital trust council icb
    support advice national domestic abuse foundation charity society association office desk
    england digital bma rcgp ico cqc gmc dpo
    """.split()
)


def _is_stop(word: str) -> bool:
    return word.lower().strip("'\u2019-") in _STOPWORDS


def _titled_names(text: str) -> list[Finding]:
    out: list[Finding] = []
    for m in _TITLE_RE.finditer(text):
        pos = m.end()
        end = None
        words = 0
        while words < 3:
            w = _NAME_WORD_RE.match(text, pos)
            if not w:
                break
            token = w.group(1)
            if len(token) == 1:
                # an initial ("Mrs A Smith", "Dr J. Patel") only when a name word follows
                nxt = w.end() + (1 if text[w.end() : w.end() + 1] == "." else 0)
                follow = _NAME_WORD_RE.match(text, nxt)
                if not follow or _is_stop(follow.group(1)) or words >= 2:
                    break
            elif _is_stop(token):
                break
            pos = w.end()
            if len(token) == 1 and pos < len(text) and text[pos] == ".":
                pos += 1  # an initial: "J."
            end = pos
            words += 1
        if end is not None:
            out.append(Finding("name", m.start(), end))
    return out


def _word_spans(s: str, offset: int) -> list[tuple[int, int, str]]:
    return [(offset + w.start(), offset + w.end(), w.group()) for w in _CAP_WORD_RE.finditer(s)]


def _adjacent_names(text: str, anchors: list[Finding]) -> list[Finding]:
    """Capitalised First Last pairs right next to another identifier ("Amy Dummy, 9993909963")."""
    out: list[Finding] = []
    for f in anchors:
        lo = max(0, f.start - 80)
        m = _NAME_BEFORE_RE.search(text[lo : f.start])
        if m:
            words = _word_spans(m.group(1), lo + m.start(1))
            keep: list[tuple[int, int, str]] = []
            for w in reversed(words):  # the longest run of non-stopwords ending at the gap
                if _is_stop(w[2]):
                    break
                keep.insert(0, w)
            if len(keep) >= 2:
                out.append(Finding("name", keep[0][0], keep[-1][1]))
        m = _NAME_AFTER_RE.match(text, f.end, min(len(text), f.end + 80))
        if m:
            words = _word_spans(m.group(1), m.start(1))
            keep = []
            for w in words:  # the longest run of non-stopwords starting after the gap
                if _is_stop(w[2]):
                    break
                keep.append(w)
            if len(keep) >= 2:
                out.append(Finding("name", keep[0][0], keep[-1][1]))
    return out


# --------------------------------------------------------------------------------------------------
# Detection


def _merge(findings: list[Finding]) -> list[Finding]:
    """Sort and merge overlapping findings; the merged span takes the highest-priority kind."""
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            prev = merged[-1]
            kind = prev.kind if _PRIORITY[prev.kind] <= _PRIORITY[f.kind] else f.kind
            merged[-1] = Finding(kind, prev.start, max(prev.end, f.end))
        else:
            merged.append(f)
    return merged


def _public_digit_set(public_numbers: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for p in public_numbers or ():
        d = _digits(str(p))
        if d:
            out.add(d)
            out.add(_national_phone_digits(str(p)))
    return out


def find_identifiers(text: str, *, public_numbers: Iterable[str] = ()) -> list[Finding]:
    """Every patient identifier in `text`, sorted by position, overlapping ones merged.

    `public_numbers` are numbers quoted by the guidance (help lines...): compared on digits only,
    they never count as identifiers.
    """
    if not text:
        return []
    public = _public_digit_set(public_numbers)
    found: list[Finding] = []

    # NHS numbers
    nhs: list[Finding] = []
    for m in _NHS_RE.finditer(text):
        d = _digits(m.group())
        if d in public:
            continue
        if is_valid_nhs_number(d) or _NHS_CUE_RE.search(text, max(0, m.start() - 30), m.start()):
            nhs.append(Finding("nhs_number", m.start(), m.end()))
    if nhs:
        # Any other spelling of a number already found ("99918 60916") is redacted too.
        seen = {_digits(f.text_in(text)) for f in nhs}
        for m in _LOOSE_TEN_RE.finditer(text):
            if _digits(m.group()) in seen:
                nhs.append(Finding("nhs_number", m.start(), m.end()))
    found += nhs

    # Phones
    for m in _PHONE_RE.finditer(text):
        national = _national_phone_digits(m.group())
        if not _is_uk_phone(national):
            continue
        if national in public or _digits(m.group()) in public:
            continue
        found.append(Finding("phone", m.start(), m.end()))

    # Emails
    found += [Finding("email", m.start(), m.end()) for m in _EMAIL_RE.finditer(text)]

    # Postcodes
    found += [
        Finding("postcode", m.start(), m.end()) for m in _POSTCODE_RE.finditer(text) if _postcode_case_ok(m.group())
    ]

    # Titled names
    titled = _titled_names(text)
    found += titled

    # Dates of birth: cued, or numeric in a message that also holds an NHS number or a titled name
    other_patient_id = bool(nhs or titled)
    for rx, numeric in ((_NUM_DATE_RE, True), (_ISO_DATE_RE, True), (_TEXT_DATE_RE, False)):
        for m in rx.finditer(text):
            if numeric:
                if rx is _ISO_DATE_RE:
                    a, b = int(m.group(3)), int(m.group(4))
                else:
                    a, b = int(m.group(1)), int(m.group(3))
                if not _plausible_day_month(a, b):
                    continue
            cued = _DOB_CUE_RE.search(text, max(0, m.start() - 30), m.start()) is not None
            if cued or (numeric and other_patient_id):
                found.append(Finding("date_of_birth", m.start(), m.end()))

    # Untitled First Last pairs next to any identifier found so far
    if found:
        found += _adjacent_names(text, [f for f in _merge(found) if f.kind != "name"])

    return _merge(found)


def redact(text: str, *, public_numbers: Iterable[str] = ()) -> Redaction:
    """`text` with every identifier replaced by its placeholder, and the findings (original offsets)."""
    text = text or ""
    findings = find_identifiers(text, public_numbers=public_numbers)
    out = text
    for f in reversed(findings):  # from the end, so earlier offsets stay right
        out = out[: f.start] + PLACEHOLDERS[f.kind] + out[f.end :]
    return Redaction(text=out, findings=tuple(findings))


# --------------------------------------------------------------------------------------------------
# Question signals


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_SAFEGUARDING_RE = _rx(
    r"\bdomestic(?:[ \-]+(?:abuse|violence|violent|incident)s?)\b",
    r"\b(?:sexual|child|elder|financial|emotional|psychological|physical)[ \-]+abuse\b",
    r"\babus(?:er|ers|ive)\b",
    r"\bcoerc(?:ion|ive|ively|ed|ing)\b",
    r"\bcontrolling[ \-]+(?:and[ \-]+coercive[ \-]+)?(?:behaviou?rs?|partner|husband|wife|boyfriend|girlfriend|ex|relationship|family)\b",
    r"\b(?:very|so|really|quite|too|extremely)[ \t]+controlling\b",
    r"\b(?:is|being|was|are|were)[ \t]+controlling\b(?![ \t]+(?:her|his|their|the|its|my|your|our)[ \t]+"
    r"(?:diabetes|blood|asthma|bp|symptoms?|condition|pain|weight|sugars?|levels?|epilepsy|seizures?|cholesterol))",
    r"\b(?:forc|pressur|coerc|mak)(?:e|ed|es|ing)[ \t]+(?:(?:him|her|them|me|us|the[ \t]+patient|patients?|someone|victims?)[ \t]+)?"
    r"(?:to|into)[ \t]+(?:share|sharing|show|showing|hand|give|giving|disclose|reveal|let)\b",
    r"\bat[ \t\-]+risk\b",
    r"\bsafeguard(?:ing|ed|s)?\b",
    r"\bstalk(?:ing|er|ers|ed|s)?\b",
    r"\bvulnerable[ \t]+(?:adults?|child|children|persons?|people|patients?|young[ \t]+(?:person|people))\b",
    r"\bchild[ \t]+protection\b",
    r"\b(?:knows|has|got|uses|using|shares?)[ \t]+(?:her|his|their|my|the[ \t]+patient'?s)[ \t]+"
    r"(?:log[ \t\-]?in|password|passcode|pin|login[ \t]+details|nhs[ \t]+login|phone)\b",
    r"\bfgm\b",
    r"\bfemale[ \t]+genital[ \t]+mutilation\b",
    r"\bmodern[ \t]+slavery\b",
    r"\btraffick(?:ed|ing|er|ers)\b",
    r"\bexploit(?:ation|ed|ing)\b",
    r"\bforced[ \t]+marriage\b",
    r"\bhonou?r[ \t\-]+based\b",
    r"\bgroom(?:ed|ing)\b",
    r"\bmarac\b",
)


def safeguarding_signal(text: str) -> bool:
    """True when the question mentions abuse, coercion or risk of harm (safeguarding wording applies)."""
    return bool(text) and _SAFEGUARDING_RE.search(text) is not None


# Clinical advice: strong cues always count; weak cues only in a sentence that is not about
# records, access or what the patient can see ("a diagnosis in her notes is wrong").
_CLINICAL_STRONG_RE = _rx(
    r"\b\d+(?:\.\d+)?[ \t]?(?:mg|mcg|micrograms?|milligrams?|ml|units?)\b",
    r"\bmg\b",
    r"\bantibiotics?\b",
    r"\bcontra[ \-]?indicat\w*",
    r"\bis[ \t]+it[ \t]+(?:safe|ok|okay|alright)[ \t]+(?:for[ \t]+(?:her|him|them|the[ \t]+patient|a[ \t]+\w+)[ \t]+)?to[ \t]+"
    r"(?:take|give|prescribe|stop|start|use|combine|mix|increase|reduce|double)\b",
    r"\b(?:which|what)[ \t]+(?:\w+[ \t]+)?(?:drugs?|medications?|medicines?|antibiotics?|tablets?|painkillers?|inhalers?)[ \t]+"
    r"(?:for|should|would|to|is[ \t]+best|are[ \t]+best|can)\b",
    r"\b(?:what|which)\b[^.?!\n]{0,30}\bprescribe\b",
    r"\b(?:can|should|could|shall|do|would)[ \t]+(?:i|we|you|the[ \t]+(?:gp|doctor|nurse))[ \t]+prescribe\b",
    r"\b(?:how|best[ \t]+way)[ \t]+(?:do|should|would|can|to)[ \t]+(?:(?:i|we|you)[ \t]+)?(?:treat|manage)\b",
    r"\b(?:what|which|best|recommended|first[ \-]line|second[ \-]line|usual|standard)[ \t]+(?:\w+[ \t]+)?"
    r"(?:treatments?|management)[ \t]+(?:for|of|is|would)\b",
    r"\btreatment[ \t]+options?\b",
    r"\bhow[ \t]+(?:do|should|would|can|to)[ \t]+(?:(?:i|we|you)[ \t]+)?diagnose\b",
    r"\bdiagnos(?:e|ing)\b[^.?!\n]{0,40}\bsymptoms?\b",
    r"\bsymptoms?\b[^.?!\n]{0,60}\bdiagnos(?:e|is|ing)\b",
    r"\b(?:differential|likely|possible|probable)[ \t]+diagnos[ie]s\b",
    r"\bshould[ \t]+(?:i|we)[ \t]+(?:urgently[ \t]+)?refer\b"
    r"(?![^.?!\n]{0,40}\b(?:practice[ \t]+manager|dpo|data[ \t]+protection|ico|caldicott|safeguarding|reception|admin|request))",
    r"\bside[ \-]effects?\b",
    r"\b(?:drug|medication)[ \t]+interactions?\b",
    r"\binteracts?[ \t]+with\b",
    r"\bhow[ \t]+(?:much|many|often)\b[^.?!\n]{0,30}\b(?:take|give|have)\b",
    r"\b(?:increase|reduce|lower|raise|double|halve|titrate)[ \t]+(?:her|his|their|the)[ \t]+(?:dose|dosage|medication|meds)\b",
    r"\binterpret(?:ing)?\b[^.?!\n]{0,30}\b(?:results?|bloods?|ecg|x-?ray|scan)\b",
    r"\b(?:is|are)[ \t]+(?:this|these|her|his|their|the)[ \t]+(?:\w+[ \t]+)?(?:results?|levels?|bloods?|readings?)[ \t]+"
    r"(?:normal|abnormal|high|low|worrying|concerning)\b",
)
_CLINICAL_WEAK_RE = _rx(
    r"\bdos(?:e|es|age|ages|ing)\b",
    r"\bprescrib(?:e|ing)\b",
    r"(?<!repeat[ \t])\bprescriptions?[ \t]+for\b",
    r"\btreatment[ \t]+(?:for|of)\b",
    r"\bdiagnos(?:e|is|ing)[ \t]+(?:of|for)\b",
    r"\bwhat[ \t]+(?:is|could[ \t]+be)[ \t]+(?:the[ \t]+)?(?:likely[ \t]+)?diagnosis\b",
    r"\bshould[ \t]+(?:she|he|they)[ \t]+(?:take|stop|start)\b",
)
_RECORDS_CONTEXT_RE = _rx(
    r"\b(?:see|sees|seeing|saw|seen|view|views|viewing|viewed|visible|hide|hidden|hiding|redact\w*|shown?|showing"
    r"|display\w*|appear\w*|access|record|records|notes?|online|app|portal|letters?|wrong|incorrect|inaccurate"
    r"|amend\w*|remove\w*|delete\w*|correct(?:ed|ion)?|request\w*|order\w*|proxy|repeat)\b",
)
_SENTENCE_SPLIT_RE = re.compile(r"[.?!\n]+")


def clinical_advice_signal(text: str) -> bool:
    """True when the question asks for clinical advice about a patient (doses, drugs, diagnosis,
    referral) rather than about record access that merely mentions a diagnosis or result."""
    if not text:
        return False
    if _CLINICAL_STRONG_RE.search(text):
        return True
    for sentence in _SENTENCE_SPLIT_RE.split(text):
        if _CLINICAL_WEAK_RE.search(sentence) and not _RECORDS_CONTEXT_RE.search(sentence):
            return True
    return False
