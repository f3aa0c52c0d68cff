"""Claim verification for answers a language model wrote: every sentence must stand on the passage it cites.

A sentence (or list item) is kept only if
1. it cites at least one passage, and only passages that were given to the model;
2. every specific in it — codes and other numbers, dates, and quoted on-screen labels — appears in a
   passage it cites ("1364751000000106", "November 2023", "Enable full clinical record access");
3. it means what a sentence of a cited passage says: the cosine similarity of its embedding to the best
   sentence of the cited passages (both without quoted labels and code literals, checked exactly by 2)
   reaches `min_similarity` (LLM_CLAIM_MIN_SIMILARITY, calibrated by
   `eval/calibrate_claims.py` on pairs built from the corpus).
Sentences that fail are dropped, with the reason, so the caller can decide whether what remains answers.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from bot.specifics import CITATION, QUOTED, bare_numbers, normal_label, specifics
from bot.units import LIST_ITEM

# a sentence ends at . ! or ? (and any closing quote and citations that follow) before a capital or the end
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bno)[.!?][\"”’')]*(?:\s*\[\d+\])*(?=\s+[A-Z0-9\"“‘(`*_\[]|\s*$)"
)


# ------------------------------------------------------------------ splitting
def claim_lines(text: str) -> list[tuple[str, list[str]]]:
    """An answer as lines: (list marker or "", the line's sentences, each with its citations attached)."""
    lines: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        marker_match = LIST_ITEM.match(line)
        marker = marker_match.group(0).strip() if marker_match else ""
        body = line[marker_match.end():] if marker_match else line
        pieces: list[str] = []
        start = 0
        for match in _SENTENCE_END.finditer(body):
            piece = body[start:match.end()].strip()
            if piece:
                pieces.append(piece)
            start = match.end()
        rest = body[start:].strip()
        if rest:
            if pieces and not CITATION.sub("", rest).strip():
                pieces[-1] += " " + rest  # citations left on their own after the last full stop
            else:
                pieces.append(rest)
        pieces = [p for p in pieces if _words(p)]
        if pieces:
            lines.append((marker, pieces))
    return lines


def split_claims(text: str) -> list[str]:
    """Sentences and list items of an answer, each with its citations attached."""
    return [piece for _, pieces in claim_lines(text) for piece in pieces]


def rebuild(text: str, keep: Callable[[str], bool]) -> str:
    """The answer with only the sentences `keep` accepts; list items renumbered, empty lines gone."""
    out: list[str] = []
    number = 0
    previous_list = False
    for marker, pieces in claim_lines(text):
        kept = [p for p in pieces if keep(p)]
        if not kept:
            continue
        body = " ".join(kept)
        if marker[:1].isdigit():
            number += 1
            line = f"{number}{marker[-1]} {body}"
        elif marker:
            line = f"{marker} {body}"
        else:
            number = 0
            line = body
        is_list = bool(marker)
        out.append(("\n" if is_list and previous_list else "\n\n" if out else "") + line)
        previous_list = is_list
    return "".join(out).strip()


def _words(text: str) -> str:
    return CITATION.sub("", LIST_ITEM.sub("", text)).strip(" \t*_")


def plain(text: str) -> str:
    """A claim as words to embed: no citations, list markers or Markdown emphasis."""
    text = CITATION.sub("", LIST_ITEM.sub("", text))
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+(?=[.,;:!?](?:\s|$))", "", " ".join(text.split()))


def meaning(text: str) -> str:
    """What the semantic check embeds: the claim's words without its quoted labels and code literals, which the
    specifics check compares exactly (so a long code description does not swamp a short, faithful sentence)."""
    words = plain(QUOTED.sub(" ", CITATION.sub("", LIST_ITEM.sub("", text))))
    return words if len(words.split()) >= 3 else plain(text)


def passage_sentences(text: str) -> list[str]:
    """A passage as the sentences (and list items) a claim is compared with; headings dropped."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", "---"))]
    return [s for s in (plain(c) for c in split_claims("\n".join(lines))) if len(s.split()) >= 2]


# ------------------------------------------------------------------ specifics
def unsupported_specifics(claim: str, sources: Sequence[str]) -> list[str]:
    """The specifics of `claim` that none of `sources` (the cited passages' texts) contains."""
    found = specifics(claim)
    if not (found.dates or found.numbers or found.codes or found.labels):
        return []
    joined = "\n".join(sources)
    have = specifics(joined)
    raw_numbers = bare_numbers(joined)  # a number is supported wherever the passage has it, dates included
    have_months = {d[:2] for d in have.dates}
    normal_source = normal_label(joined)
    missing = []
    for date in found.dates:
        if date not in have.dates and not (len(date) == 2 and date in have_months):
            missing.append("-".join(f"{p:02d}" for p in date))
    missing += [n for n in found.numbers if n not in raw_numbers]
    missing += [c for c in found.codes if c not in have.codes and c not in normal_source.split()]
    missing += [f'"{q}"' for q in found.labels if q not in normal_source]
    return sorted(missing)


# ------------------------------------------------------------------ the verifier
@dataclass
class Verdict:
    claim: str
    kept: bool
    reason: str = ""  # uncited | bad_citation | unsupported_specific | low_similarity
    detail: str = ""
    similarity: float | None = None
    cited: list[int] = field(default_factory=list)


class SentenceVectors:
    """Embeddings of passage sentences, cached by passage (id + content hash): a passage is embedded once
    per process, not once per question."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], max_passages: int = 2000):
        self.embed = embed
        self.max_passages = max_passages
        self._cache: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def for_passage(self, key: str, text: str) -> tuple[list[str], np.ndarray]:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        sentences = passage_sentences(text) or [plain(text)]
        vectors = np.asarray(self.embed([meaning(s) for s in sentences]), dtype=np.float32)
        with self._lock:
            self._cache[key] = (sentences, vectors)
            while len(self._cache) > self.max_passages:
                self._cache.popitem(last=False)
        return sentences, vectors


class ClaimVerifier:
    def __init__(self, vectors: SentenceVectors, min_similarity: float):
        self.vectors = vectors
        self.min_similarity = min_similarity

    def verify(self, text: str, passages: Sequence[tuple[str, str]]) -> list[Verdict]:
        """passages: (cache key, text) numbered from 1 as the model saw them."""
        verdicts: list[Verdict] = []
        pending: list[tuple[Verdict, list[int]]] = []
        for claim in split_claims(text):
            cited = list(dict.fromkeys(int(n) for n in CITATION.findall(claim)))
            verdict = Verdict(claim=claim, kept=False, cited=cited)
            verdicts.append(verdict)
            if not cited:
                verdict.reason = "uncited"
            elif any(not 1 <= n <= len(passages) for n in cited):
                verdict.reason, verdict.detail = "bad_citation", f"cites [{max(cited)}] of {len(passages)} passages"
            else:
                missing = unsupported_specifics(claim, [passages[n - 1][1] for n in cited])
                if missing:
                    verdict.reason, verdict.detail = "unsupported_specific", ", ".join(missing)
                else:
                    pending.append((verdict, cited))
        if pending:
            claim_vectors = np.asarray(self.vectors.embed([meaning(v.claim) for v, _ in pending]), dtype=np.float32)
            for (verdict, cited), vector in zip(pending, claim_vectors):
                best = max(float(np.max(self.vectors.for_passage(*passages[n - 1])[1] @ vector)) for n in cited)
                verdict.similarity = round(best, 3)
                if best >= self.min_similarity:
                    verdict.kept = True
                else:
                    verdict.reason = "low_similarity"
        return verdicts
