"""Names known by what stands before them: a word naming the patient ("pt Nowak", "Patient Okafor rang") and a
form's name field ("Name: Bilal Hussain"). The other name rules are in `names`; the lists in `name_lists`.
"""

from __future__ import annotations

import re

from bot.identifiers.name_lists import bare, function_words, is_common, is_listed
from bot.identifiers.names import WORD_RE
from bot.identifiers.types import Finding

# "pt Kowalczyk", "patient: Okafor": a word naming the patient right before a capitalised name, on one line
_PATIENT_RE = re.compile(r"(?<![A-Za-z])(?i:pt|pts|patient|patients|pt's|patient's)\.?(?: *: *| +- +| +)"
                         r"([A-Z][A-Za-z'\-]+)(?![A-Za-z'\-])(?! +[A-Z])")


def patient_surnames(norm: str, raw: str) -> list[Finding]:
    """A capitalised name right after "pt" or "patient" (any case) on the same line: a listed given name or surname
    of any country ("pt Nowak asking why...", "Patient Okafor rang"), never a common English or function word, nor
    the first of a run of capitalised words, so "patient Access", "patient Consent", "Patient Knows Best" or a
    sign-off on the next line stays. (Tried and taken out: an unlisted capitalised word, as staff capitalise nouns
    after "patient" too often; a listed word in lower case, as the lists hold "held", "trace", "echo", "rose".)"""
    stop = function_words()
    out = []
    for m in _PATIENT_RE.finditer(norm):
        word, lower = m.group(1), bare(m.group(1))
        if "\n" in (raw or norm)[m.start():m.start(1)] or lower in stop or is_common(word) or len(lower) < 3:
            continue
        if is_listed(lower):
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
