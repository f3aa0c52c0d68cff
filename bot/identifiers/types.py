"""What the detector returns: `Finding` (kind and offsets, never the text) and `Redaction`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

# Canonical order of kinds; also the priority used when overlapping findings are merged.
KINDS: tuple[str, ...] = (
    "nhs_number", "record_number", "date_of_birth", "address", "name", "phone", "email", "postcode",
)

PLACEHOLDERS: dict[str, str] = {
    "nhs_number": "[NHS number]",
    "date_of_birth": "[date of birth]",
    "postcode": "[postcode]",
    "address": "[address]",
    "record_number": "[record number]",
    "phone": "[phone number]",
    "email": "[email]",
    "name": "[name]",
}

PRIORITY = {kind: i for i, kind in enumerate(KINDS)}


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

    def map(self, transform: Callable[[str], str]) -> "Redaction":
        """The same findings with the redacted text passed through `transform` (e.g. markup removal)."""
        return replace(self, text=transform(self.text))


def merge(findings: list[Finding]) -> list[Finding]:
    """Sort and merge overlapping findings; the merged span takes the highest-priority kind."""
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            prev = merged[-1]
            kind = prev.kind if PRIORITY[prev.kind] <= PRIORITY[f.kind] else f.kind
            merged[-1] = Finding(kind, prev.start, max(prev.end, f.end))
        else:
            merged.append(f)
    return merged
