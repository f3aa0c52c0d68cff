"""Normalisation before detection: one character in, one character out, so offsets stay valid.

Every kind of space (tabs, line breaks, no-break and narrow no-break spaces U+00A0/U+202F, zero-width
characters) becomes " ", every dash becomes "-", other scripts' digits (full-width...) become ASCII
digits, accented letters their base letter ("Siobhán" reads "Siobhan"), emphasis marks at a word's edge (`*`,
`_`, `~`, a backtick) become " ", and Slack's user/channel/special mentions (`<@U123>`, `<#C1|general>`,
`<!here>`) are blanked so their ids are never mistaken for identifiers. Case is kept (names use it); patterns
ignore case.
"""

from __future__ import annotations

import re
import unicodedata

_SLACK_REFS = re.compile(r"<[@#!][^<>\s]{1,200}>")


def _fold(c: str) -> str:
    if c.isascii():
        return " " if c in "\t\n\r\v\f" else c
    category = unicodedata.category(c)
    if category in ("Zs", "Zl", "Zp", "Cc", "Cf"):
        return " "
    if category == "Pd" or c == "\u2212":
        return "-"
    if category == "Nd":
        return str(unicodedata.decimal(c))
    if c in "\u2018\u2019\u02bc":
        return "'"
    if category.startswith("L"):  # a letter with an accent reads as its base letter: "Siobhán", "Szymańska"
        return fold_letter(c)
    folded = unicodedata.normalize("NFKC", c)
    return folded if len(folded) == 1 else c


# Latin letters that have no accent to take off (Unicode gives them no decomposition)
_PLAIN_LETTERS = str.maketrans("łŁøØđĐħĦıßæÆœŒþÞðÐ", "lLoOdDhHisaAoOtTdD")


def fold_letter(c: str) -> str:
    """One letter without its accents, or the letter itself ("á" -> "a", "ł" -> "l", "й" stays): one character
    for one, so offsets stay valid. Name lists are folded the same way (`fold`)."""
    base = unicodedata.normalize("NFKD", c)[0].translate(_PLAIN_LETTERS)
    return base if base.isascii() and base.isalpha() else c


def fold(word: str) -> str:
    """`fold_letter` over a word (a listed name, for comparison with normalised text)."""
    return "".join(fold_letter(c) if not c.isascii() else c for c in word)


# Emphasis marks at a word's edge ("Mrs *Smith*", "`Jones`", "_9993909963_"): chat formatting, not part of the
# identifier, so they read as spaces. Inside a word ("j_smith@example.com") they stay.
# Each branch starts where a run of marks starts (the look-behinds), so a long run is read once, not once per mark.
_EDGE_MARKS = re.compile(r"(?<![A-Za-z0-9*_~`])[*_~`]+(?=[A-Za-z0-9])|(?<=[A-Za-z0-9.':;,!?)])[*_~`]+(?![A-Za-z0-9*_~`])")


def normalise(text: str) -> str:
    """`text` with spaces, dashes and digits folded, Slack mentions blanked and emphasis marks at a word's edge
    made spaces; same length as `text`."""
    out = "".join(_fold(c) for c in text)
    out = _EDGE_MARKS.sub(lambda m: " " * len(m.group()), out)
    return _SLACK_REFS.sub(lambda m: " " * len(m.group()), out)


def digits(s: str) -> str:
    return "".join(c for c in s if c.isascii() and c.isdigit())
