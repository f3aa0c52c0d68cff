"""Safeguarding that hears stories: notice when a question describes a patient at risk, and find the
indexed sentence that gives the protective step.

Detection compares the question's vector with situations described in plain words in
`knowledge/safeguarding-situations.yaml` (a partner or relative watching or forcing access to the app or
record, a child at risk, a proxy misusing access, …), so a story told without any keyword is heard; a
question that names abuse, coercion or risk outright (`guard.safeguarding_signal`) counts too. The
question's similarity alone fires on many ordinary questions (every question about the app is somewhat
close to "a partner reads her app"), so it is weighed with evidence from retrieval: how close the passages
retrieval found for the question are to the described situations (mean over the first few (a setting) of
each passage's cosine to its nearest situation, minus the same mean over the whole index, so a corpus that
is all about safeguarding, or so small that every question retrieves all of it, gives no evidence either way).
A question about test results retrieves test-result passages, far from every situation; a story retrieves
the safeguarding passages. The evidence weight and the threshold on `similarity + weight × evidence` are
calibrated on the question bank's dev split by `eval/fit_decline_model.py` and shipped in
`bot/decline_model.json`.

A story must also be about someone at risk, not only about the situation's setting: the file's `routine`
requests (a parent asking for proxy access, the age a child gets access, a letter to redact, …) sit next to the
situations without anyone at risk, and the question must be at least `routine_margin` closer to its nearest
situation than to its nearest routine request (the margin is calibrated with the threshold). A plain proxy
request then no longer counts as "a parent could see a child's safeguarding record". A question that names
abuse, coercion or risk outright needs no margin.

The safeguarding line always quotes and cites a sentence in the index: among the sentences of the passages
retrieval finds for the file's `protective_steps` (switching off or restricting access, the 104 code,
redaction, hiding information from a parent, the safeguarding lead), those close enough to a step qualify,
and the one closest to the question (with a little weight for how plainly it states its step) is used; a step
that protects a child from a parent (`child_steps`) only when the question names a child. An index with no such
sentence gets no line (the answer then offers a person instead). The sentences' vectors were stored at ingest
(`bot.units.stored_texts`); only an index built before that has some embedded here.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from bot import guard
from bot.corpus_subject import sample_vectors
from bot.decline_model import MODEL_PATH
from bot.index import Index
from bot.types import Chunk, ScoredChunk
from bot.units import sentences_of, unit_key

MODEL_FILE = f"bot/{MODEL_PATH.name}"  # as error messages name it

SITUATIONS_FILE = "safeguarding-situations.yaml"
# The shipped descriptions: used when the knowledge dir in use (another corpus) has none of its own.
DEFAULT_SITUATIONS = Path(__file__).resolve().parents[1] / "knowledge" / SITUATIONS_FILE


OWN_ACCESS_AGE = 16  # a patient this old has their own access; a parent's proxy access is suspended
# An age: "12 yo", "14 y.o.", "8 yr old", "15-year-old", "aged 9", "a girl of 14", "her daughter, 13", "son (14)",
# "she's 15". Not a span of time ("for 10 years", "12 years ago") nor a count ("one of 12 practices").
_AGE = re.compile(r"\b(\d{1,2})\s*-?\s*(?:y\.?o\b\.?|y/o\b|y(?:ea)?rs?\s*-?\s*old\b)"
                  r"|\b(?:aged|(?:girl|boy|lad|son|daughter|child|kid|grandson|granddaughter)(?:\s+of|\W{1,3})"
                  r"|(?:she|he)\s*(?:'s|is))\s*(\d{1,2})\b(?!\s*(?:years?|yrs?|months?|weeks?|days?|%)\b(?!\s*-?\s*old))",
                  re.I)


@dataclass
class StepSentence:
    text: str
    chunk: Chunk
    vector: np.ndarray
    closeness: float = 0.0  # cosine to the protective step it states (the nearest one)
    for_child: bool = False  # the nearest step is one of the file's `child_steps`


@dataclass
class SituationFile:
    """knowledge/safeguarding-situations.yaml: every list empty when the file is missing."""

    situations: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # protective steps, then the child steps
    child_steps: int = 0  # how many of `steps` (the last ones) protect a child from a parent
    routine: list[str] = field(default_factory=list)
    child_words: list[str] = field(default_factory=list)

    @cached_property
    def _child_word(self) -> re.Pattern | None:
        """Any of `child_words`, whole ("child-protection" counts, "childminder" not); compiled once."""
        words = "|".join(re.escape(w).replace(r"\ ", r"[\s\-]+") for w in self.child_words)
        return re.compile(rf"\b(?:{words})\b", re.I) if words else None

    def names_child(self, text: str) -> bool:
        """Whether the question speaks of a child: one of `child_words`, or an age under OWN_ACCESS_AGE."""
        if self._child_word is not None and self._child_word.search(text):
            return True
        return any(int(a or b) < OWN_ACCESS_AGE for a, b in _AGE.findall(text))


def load_situations(path: Path) -> SituationFile:
    """The situations file (an empty one when it is missing)."""
    if not path.is_file():
        return SituationFile()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    situations, steps, child_steps, routine, child_words = (
        [str(s).strip() for s in data.get(key) or [] if str(s).strip()]
        for key in ("situations", "protective_steps", "child_steps", "routine", "child_words"))
    return SituationFile(situations, steps + child_steps, len(child_steps), routine, child_words)


def fitted(calibrated: dict, key: str) -> float:
    """A fitted value of the decline model's "safeguarding" part. The model file must carry it: there is no
    fallback value, since none was ever measured (eval/fit_decline_model.py writes every one)."""
    if calibrated.get(key) is None:
        raise ValueError(f"{MODEL_FILE} has no safeguarding.{key}: re-run eval/fit_decline_model.py")
    return float(calibrated[key])


class Safeguarding:
    """Thread-safe. Situation vectors are embedded once; step sentences are found once per index version
    (their vectors stored at ingest)."""

    def __init__(self, index: Index, situations_path: Path, *, threshold: float | None = None,
                 evidence_weight: float | None = None, step_min_similarity: float | None = None,
                 calibrated: dict | None = None):
        """`calibrated`: the fitted values (the decline model's "safeguarding" part); read from the shipped
        model file when not given."""
        self.index = index
        self.file = load_situations(situations_path if situations_path.is_file() else DEFAULT_SITUATIONS)
        if calibrated is None:
            calibrated = json.loads(MODEL_PATH.read_text(encoding="utf-8")).get("safeguarding", {})
        self.threshold = threshold if threshold is not None else fitted(calibrated, "threshold")
        self.evidence_weight = evidence_weight if evidence_weight is not None else fitted(calibrated, "evidence_weight")
        self.step_min_similarity = (step_min_similarity if step_min_similarity is not None
                                    else fitted(calibrated, "step_min_similarity"))
        margin = calibrated.get("routine_margin")  # None: no margin required (fitted that way, or not fitted)
        self.routine_margin = None if margin is None else float(margin)
        self._lock = threading.Lock()
        self._situation_vectors: np.ndarray | None = None
        self._step_vectors: np.ndarray | None = None
        self._routine_vectors: np.ndarray | None = None
        self._sentences: tuple[str, list[StepSentence]] | None = None
        # index version, chunk id -> closeness to the nearest situation, the index's mean closeness
        self._closeness: tuple[str, dict[str, float], float] = ("", {}, 0.0)

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if self._situation_vectors is None:
                self._situation_vectors = self.index.embedder.embed(self.file.situations)
                self._step_vectors = self.index.embedder.embed(self.file.steps)
                self._routine_vectors = self.index.embedder.embed(self.file.routine) if self.file.routine else None
            return self._situation_vectors, self._step_vectors

    def routine_similarity(self, query_vector: np.ndarray) -> float:
        """How closely the question matches the nearest routine request (cosine; -1 with none described)."""
        self._vectors()
        routine = self._routine_vectors
        return float((routine @ query_vector).max()) if routine is not None else -1.0

    def similarity(self, query_vector: np.ndarray) -> float:
        """How closely the question matches the nearest described situation (cosine, -1..1)."""
        situations, _ = self._vectors()
        return float((situations @ query_vector).max()) if len(situations) else -1.0

    def evidence(self, hits: list[ScoredChunk]) -> float:
        """How much closer the passages retrieval found are to the described situations than the index's
        passages on average: the mean, over the first SAFEGUARDING_EVIDENCE_PASSAGES, of each passage's cosine to its
        nearest situation, minus that mean over the index (0 with no passages)."""
        hits = hits[:self.index.settings.answering.safeguarding_evidence_passages]
        situations, _ = self._vectors()
        if not hits or not len(situations):
            return 0.0
        known, baseline = self._closeness_cache(situations)
        missing = [h.chunk.chunk_id for h in hits if h.chunk.chunk_id not in known]
        for chunk_id, vector in self.index.vectors(missing).items():
            known[chunk_id] = float((situations @ vector).max())
        return float(np.mean([known.get(h.chunk.chunk_id, baseline) for h in hits])) - baseline

    def _closeness_cache(self, situations: np.ndarray) -> tuple[dict[str, float], float]:
        """(chunk id -> closeness, the index's mean closeness), started afresh for each index version."""
        version = self.index.version
        with self._lock:
            if self._closeness[0] != version:
                sample = sample_vectors(self.index, self.index.settings.answering.safeguarding_baseline_sample)
                baseline = float((sample @ situations.T).max(axis=1).mean()) if len(sample) else 0.0
                self._closeness = (version, {}, baseline)
            return self._closeness[1], self._closeness[2]

    def warm_up(self) -> None:
        """Embed the situations and measure the index's mean closeness before the first question."""
        situations, _ = self._vectors()
        if len(situations):
            self._closeness_cache(situations)

    def score(self, query_vector: np.ndarray, hits: list[ScoredChunk]) -> float:
        """similarity + evidence_weight × evidence: what the calibrated threshold is compared with. Evidence
        can raise a close story, never veto it: a small index all about safeguarding has a high average, so its
        evidence runs negative for every question."""
        return self.similarity(query_vector) + self.evidence_weight * max(0.0, self.evidence(hits))

    def detect(self, text: str, query_vector: np.ndarray | None, hits: list[ScoredChunk] = (), *,
               clinical: bool = False) -> bool:
        """The question names abuse, coercion or risk outright, or it and the passages it retrieves are close
        to a described situation and the question is closer to that than to a routine request. A request for
        clinical advice (`clinical`: a dose for a child) is not heard as a story: only its words count."""
        if guard.safeguarding_signal(text):
            return True
        if clinical or query_vector is None or self.score(query_vector, list(hits)) < self.threshold:
            return False
        return self.routine_margin is None or (
            self.similarity(query_vector) - self.routine_similarity(query_vector) >= self.routine_margin)

    def step_sentences(self) -> list[StepSentence]:
        """Indexed sentences that state a protective step (cached per index version)."""
        version = self.index.version
        if self._sentences is not None and self._sentences[0] == version:
            return self._sentences[1]
        _, steps = self._vectors()
        chunks: dict[str, Chunk] = {}
        for step_vector in steps:
            for hit in self.index.dense_search(step_vector, self.index.settings.answering.safeguarding_passages_per_step):
                chunks.setdefault(hit.chunk.chunk_id, hit.chunk)
        pairs = [(sentence, chunk) for chunk in chunks.values() for sentence in sentences_of(chunk)]
        found: list[StepSentence] = []
        if pairs:
            vectors = self._sentence_vectors(pairs)
            similarity = vectors @ steps.T if len(steps) else np.zeros((len(pairs), 1))
            closeness, nearest = similarity.max(axis=1), similarity.argmax(axis=1)
            first_child_step = len(self.file.steps) - self.file.child_steps
            seen: set[str] = set()
            for (sentence, chunk), vector, close, step in zip(pairs, vectors, closeness, nearest):
                if close >= self.step_min_similarity and sentence not in seen:
                    seen.add(sentence)
                    found.append(StepSentence(sentence, chunk, vector, float(close),
                                              bool(len(steps)) and int(step) >= first_child_step))
        with self._lock:
            self._sentences = (version, found)
        return found

    def _sentence_vectors(self, pairs: list[tuple[str, Chunk]]) -> np.ndarray:
        """The vectors of (sentence, its chunk) pairs: those ingest stored (`bot.units.stored_texts`), and the
        rest (an index built before sentences were stored) embedded now."""
        stored = self.index.unit_vectors(list(dict.fromkeys(chunk.chunk_id for _, chunk in pairs)))
        vectors = [stored.get(chunk.chunk_id, {}).get(unit_key(sentence)) for sentence, chunk in pairs]
        missing = [i for i, vector in enumerate(vectors) if vector is None]
        if missing:
            for i, vector in zip(missing, self.index.embedder.embed([pairs[i][0] for i in missing])):
                vectors[i] = vector
        return np.asarray(vectors, dtype=np.float32)

    def protective_sentence(self, query_vector: np.ndarray, answer_text: str = "",
                            question: str = "") -> StepSentence | None:
        """The step sentence the answer does not already say that is closest to the question, with
        SAFEGUARDING_STEP_CLARITY_WEIGHT for how plainly it states its step; a child's step only when `question`
        names a child. None when the index holds no such sentence."""
        child = self.file.names_child(question)
        candidates = [s for s in self.step_sentences() if s.text not in answer_text and (child or not s.for_child)]
        if not candidates:
            return None
        weight = self.index.settings.answering.safeguarding_step_clarity_weight
        return max(candidates, key=lambda s: float(s.vector @ query_vector) + weight * s.closeness)
