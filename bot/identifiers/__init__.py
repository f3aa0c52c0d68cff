"""Patient identifiers: the one detector and the one redaction every path in and out goes through.

Staff sometimes paste patient details into Slack. `find_identifiers` spots NHS numbers, hospital and
record numbers, dates of birth, postcodes, street addresses, phone numbers, email addresses and names;
`redact` replaces every one of them with a placeholder such as "[NHS number]" so the question can still be
answered without the identifiers ever being stored, logged, embedded or forwarded.

It runs on the RAW message (before Slack markup is removed) and normalises first (`text.normalise`:
every Unicode space, line break and tab, every dash, other scripts' digits; one character for one, so
offsets stay valid), then looks for each kind (`numbers`, `dates`, `names`, `addresses`).

`Finding` never carries the matched text: it holds only the kind and the offsets, so logging a finding
cannot leak an identifier. Use `Finding.text_in(source)` when the text is really needed.

Owns: detecting and redacting patient identifiers in a piece of text (pure functions over strings).
Must not import: the rest of `bot` (settings, the index, the answering core) save `bot.specifics` (standard
library only: the month names), the Slack layer (`bot.slack`), the review store (`bot.review`) or `ingest`;
callers pass text in and take findings or redacted text out.
Only the standard library and small data/validation libraries (python-stdnum, Faker's name lists, bm25s's
stop-word list). It writes nothing, logs no text and keeps no state beyond cached word lists.
"""

from __future__ import annotations

import bisect
from typing import Iterable

from bot.identifiers import addresses, dates, flagged, name_contexts, name_lists, name_shapes, names, numbers, widening
from bot.identifiers.numbers import is_valid_nhs_number, phone_numbers
from bot.identifiers.text import normalise
from bot.identifiers.types import KINDS, PLACEHOLDERS, Finding, Redaction, merge

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "Finding",
    "Redaction",
    "find_identifiers",
    "is_valid_nhs_number",
    "phone_numbers",
    "public_identifiers",
    "redact",
    "warm_up",
]


def find_identifiers(text: str, *, public_numbers: Iterable[str] = ()) -> list[Finding]:
    """Every patient identifier in `text`, sorted by position, overlapping ones merged.

    `public_numbers` are numbers quoted by the guidance (help lines...): compared on digits only,
    they never count as identifiers.
    """
    if not text:
        return []
    norm = normalise(text)
    public_numbers = set(public_numbers or ())
    public = numbers.public_digit_set(p for p in public_numbers if not p.startswith(_PUBLIC_PREFIXES))

    quoted = {p for p in public_numbers if p.startswith(_PUBLIC_PREFIXES)}

    def not_quoted(findings: list[Finding]) -> list[Finding]:  # the guidance's own names and addresses
        return [f for f in findings if not quoted or not _is_public(f, norm, quoted)]

    near_misses = numbers.cued_near_misses(norm)
    nhs = numbers.nhs_numbers(norm, public, raw=text) + near_misses
    contacts = not_quoted(numbers.phones(norm, public) + numbers.emails(norm) + numbers.postcodes(norm)
                          + addresses.street_addresses(norm) + flagged.flat_addresses(norm))
    people = not_quoted(names.titled_names(norm) + names.given_name_pairs(norm) + names.surname_first_names(norm)
                        + name_contexts.patient_surnames(norm, text) + name_contexts.field_names(norm, text)
                        + name_contexts.called_names(norm) + name_contexts.particle_names(norm))
    people += not_quoted(flagged.names_by_strong_cues(norm, text) + name_shapes.names_by_shape(norm))
    personal_contacts = [c for c in contacts if c.kind in ("email", "address") or numbers.is_mobile(c, norm)]
    births = dates.dates_of_birth(norm, other_identifier=bool(nhs or people or personal_contacts))
    records = numbers.record_numbers(norm, beside=people + births, births=births)
    beside = people + births + contacts + records
    if beside:  # a mistyped one beside a name, a date of birth or contact details (without them: the same numbers)
        nhs = numbers.nhs_numbers(norm, public, beside=beside, raw=text) + near_misses
    others = merge(nhs + records + contacts + births)
    if others:  # untitled capitalised pairs next to any other identifier
        people += not_quoted(names.adjacent_names(norm, others))
    if any(o.kind in _LOOSE_ANCHORS for o in others):  # flagged anyway: a word after "pt" is taken loosely
        people += not_quoted(name_contexts.patient_surnames(norm, text, loose=True))
    if people:  # a house and street right after a name, whatever its street ("Mr Wojciech Kowalczyk, 27 Kingsway")
        others = merge(others + addresses.after_names(norm, merge(people)))
    staff = name_contexts.colleagues(norm, people) if not others else set()  # "Dr Nguyen our registrar" alone is
    # staff (beside anything flagged, kept: it costs nothing); no weaker cue below takes a colleague's name again

    def not_staff(found: list[Finding]) -> list[Finding]:
        return [f for f in found if not any(f.start < b and a < f.end for a, b in staff)]

    people = not_staff(people)
    personal = any(o.kind in _LOOSE_ANCHORS or o.kind == "email" or numbers.is_mobile(o, norm) for o in others)
    if others or people:  # flagged anyway: weaker cues count (`flagged`)
        postcodes = [o for o in others if o.kind == "postcode"]
        others = merge(others + not_quoted(flagged.addresses_before_postcodes(norm, postcodes, others))
                       + flagged.birth_years(norm) + not_quoted(addresses.street_addresses(norm, flagged=True)))
        people += not_staff(not_quoted(flagged.names_when_flagged(norm, merge(people), personal=personal)))
    people += names.repeats(norm, merge(people))  # a patient's name again, even in a colleague's ("Dr Okafor")
    if others or people:  # and each name found with a word beside it ("Dafydd [Pritchard]"), again while it grows by
        # capitalised words ("Yousef bin Rashid Al Nuaimi"; never "via accurx docman" before a lower-case name)
        people = merge(people)
        for time in range(_WIDENINGS):
            wider = merge(people + not_staff(not_quoted(widening.widened(norm, people, personal=personal and not time))))
            if wider == people:
                break
            people = wider
    # a team's NHS mailbox ("access.requests.y02xx@nhs.net") is no patient's, nor is any name inside it
    mailboxes = numbers.nhs_mailboxes(norm)
    people = [f for f in people if not any(a <= f.start and f.end <= b for a, b in mailboxes)]
    # a name inside an email address or a number already found is part of that ("bilal.hussain84@…" is an email)
    starts = [o.start for o in others]
    people = [f for f in people if not _inside(f, others, starts)]
    return merge([_with_marks(f, text) for f in merge(others + people)])


# How many times a name may grow by the words beside it: a name of five or six words, particles counted
_WIDENINGS = 3

# What lets the word after "pt" be taken loosely: a person's number or date of birth (not an address: a practice's
# own address would make "pt reg queries" a name)
_LOOSE_ANCHORS = names.PERSONAL_ANCHORS - {"address"}


def _inside(f: Finding, merged: list[Finding], starts: list[int]) -> bool:
    """Whether `f` lies within one of `merged` (sorted, not overlapping: `merge`'s output; `starts` their starts),
    by bisection."""
    i = bisect.bisect_right(starts, f.start) - 1  # the last one starting at or before f
    return i >= 0 and f.end <= merged[i].end


_MARKS = "*_~`"


def _with_marks(f: Finding, text: str) -> Finding:
    """The finding with the chat emphasis marks right around it ("*Smith*"): a redacted name leaves no lone "*"
    behind to turn the rest of a Slack message bold."""
    start, end = f.start, f.end
    while start and text[start - 1] in _MARKS:
        start -= 1
    while end < len(text) and text[end] in _MARKS:
        end += 1
    return Finding(f.kind, start, end) if (start, end) != (f.start, f.end) else f


_PUBLIC_PREFIXES = ("name:", "email:")


def public_identifiers(text: str) -> set[str]:
    """What the guidance itself quotes and is never a patient's: help-line numbers (national-form digits),
    the names of the people it quotes ("name:nikki kanani") and its email addresses ("email:...").
    The index keeps this set for the whole corpus; pass it to `redact` as `public_numbers`."""
    out = phone_numbers(text)
    norm = normalise(text)
    for f in find_identifiers(text):
        if f.kind == "name" and len(words := names.name_words(f.text_in(norm))) >= 2:  # full names only
            out.add("name:" + " ".join(words))
        elif f.kind == "email":
            out.add("email:" + f.text_in(norm).lower())
    return out


def _is_public(f: Finding, norm: str, public: set[str]) -> bool:
    if f.kind == "email":
        return "email:" + f.text_in(norm).lower() in public
    if f.kind != "name":
        return False
    # the whole quoted name, or a part of it inside the whole ("[Van Mellaerts]" found in "Dr Richard Van Mellaerts
    # said"); never a part alone: "Mr Marshall" may be a patient even though the guidance quotes "Martin Marshall"
    words = set(names.name_words(f.text_in(norm)))
    if len(words) >= 2 and any(words == set(p[5:].split()) for p in public if p.startswith("name:")):
        return True
    around = " ".join(names.name_words(norm[max(0, f.start - 60):f.end + 60]))
    return any(words <= set(quoted := p[5:].split()) and f" {' '.join(quoted)} " in f" {around} "
               for p in public if p.startswith("name:"))


def warm_up() -> None:
    """Load the name lists (Faker's providers and the derived world list, about a second and a half) before the first
    message needs them."""
    name_lists.name_lists()
    name_lists.world_names()


def redact(text: str, *, public_numbers: Iterable[str] = ()) -> Redaction:
    """`text` with every identifier replaced by its placeholder, and the findings (original offsets)."""
    text = text or ""
    findings = find_identifiers(text, public_numbers=public_numbers)
    out = text
    for f in reversed(findings):  # from the end, so earlier offsets stay right
        out = out[: f.start] + PLACEHOLDERS[f.kind] + out[f.end :]
    return Redaction(text=out, findings=tuple(findings))
