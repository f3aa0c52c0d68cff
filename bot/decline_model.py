"""Whether to answer: a logistic model over retrieval and coverage features, scored with numpy.

Two logistic regressions share one feature vector (FEATURES), and a third reads three features more:
- `answerable`: does the guidance found hold an answer? Below its threshold the bot declines.
- `answerable_with_questions`: the same question, with SECTION_QUESTION, DECLINE_VOTE and ADAPTER_LIFT too (below).
- `in_scope`: is the question about records access at all? It only words the decline: `not_covered`
  (a records-access question the guidance does not cover: offer a person and the closest sources) or
  `out_of_scope` (not about records access). It weighs only what the question is about (its closeness to the
  corpus centroid and to OFF_TOPIC, and the clinical signal), never how well the passages answer it, so an
  on-topic question a small corpus lacks is "not covered".

Where the best passage's section has staff-worded questions (knowledge/questions.yaml, indexed as extra vectors),
the question gets three more features, SECTION_QUESTION (its cosine to the nearest section question in the index),
DECLINE_VOTE and ADAPTER_LIFT (below), and is judged by `answerable_with_questions`, fitted on FEATURES + those three
(its threshold chosen the same way). Where the best passage has none (a document ingested from elsewhere, alone or beside the
corpus), the three are left out and `answerable`, which never saw them, decides: a question about a plain page must not
be declined for lacking a section question. The choice is per question, not per index. In nested
cross-validation on the dev split and the training questions the second declined 407.7 of 680 must-decline
questions and 1.3 of 185 answerable ones (the training questions were written from corpus sections, as the section
questions were, so this figure may flatter a little). The first is fitted without the near-misses
written against the shipped corpus (they say nothing about another index's subject), at half the wrong-decline
budget: it declined 92.7 of the other 110 must-decline questions (clinical, other practice work, unrelated, the dev
bank's) and 0.7 of 185 answerable ones.

Beside the regressions, the model file carries must-decline examples (DECLINE_EXAMPLE and CENTRED_EXAMPLE,
`bot.decline_features`): a question much nearer one of them than to anything the index can answer it from is declined
whatever the regressions say, with a wider margin where the best passage has no section questions (only the closest
passage to weigh it against).

The coefficients are fitted on the question bank's dev split plus the questions written for training (must-decline:
`eval/out-of-scope-questions.jsonl` and `eval/near-miss-questions.jsonl` to `-6.jsonl`;
answerable: `eval/answerable-train-questions.jsonl`) by
`eval/fit_decline_model.py` (scikit-learn, a dev dependency) and shipped in `bot/decline_model.json`.
Every feature is a similarity or a share, so none grows with the number of documents indexed (the maxima
`top_dense` and SECTION_QUESTION can creep up as passages or questions are added). (The share of the
question's terms in the best passage was a feature until nested cross-validation showed the model declined more
must-decline questions without it, 91 against 88 of 195 at no wrong declines: it separated nothing.)
"""

from __future__ import annotations

import base64
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.corpus_subject import OFF_TOPIC
from bot.decline_features import (CENTRED_EXAMPLE, DECLINE_EXAMPLE, EXAMPLE_REFERENCE, FEATURES,
                                  FEATURES_WITH_SECTION_QUESTION, PLAIN_SUBJECT, SECTION_QUESTION, answerable_reference,
                                  centred)

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("decline_model.json")

def _plain_subject(examples: dict) -> dict | None:
    """The model file's `plain_subject`, when whole (a centroid of the embedding's size, a finite minimum, the
    embedder that made it); else None, said, and the plain-page example rule is off."""
    subject = examples.get("plain_subject")
    if subject is None:
        return None
    from bot.index.embedder import EMBEDDING_DIM

    try:
        if len(subject["centroid"]) == EMBEDDING_DIM and math.isfinite(float(subject["min"])) and subject["fingerprint"]:
            return subject
    except (KeyError, TypeError, ValueError):
        pass
    log.warning("the decline model's plain_subject is incomplete: re-run eval/fit_decline_model.py")
    return None


def encode_vectors(vectors: np.ndarray) -> str:
    """Unit vectors as base64 of float16 (a cosine moves by under 0.001), for the model file."""
    return base64.b64encode(np.asarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def decode_vectors(text: str, rows: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f2").reshape(rows, -1).astype(np.float32)


@dataclass
class Logistic:
    """A fitted logistic regression on standardised features: p = sigmoid(coef . (x - mean) / scale + b)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    @classmethod
    def from_dict(cls, data: dict, width: int) -> "Logistic":
        """`width`: how many features it must weigh (a mismatch is refused here, not on every question)."""
        model = cls(mean=np.asarray(data["mean"], dtype=float), scale=np.asarray(data["scale"], dtype=float),
                    coef=np.asarray(data["coef"], dtype=float), intercept=float(data["intercept"]),
                    threshold=float(data["threshold"]))
        if not len(model.mean) == len(model.scale) == len(model.coef) == width:
            raise ValueError(f"decline model has {len(model.coef)} coefficients where {width} features are read: "
                             "re-run eval/fit_decline_model.py")
        return model

    def probability(self, x: np.ndarray) -> float:
        z = float(self.coef @ ((x - self.mean) / self.scale) + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass
class Decision:
    answer: bool
    kind: str  # "answered", "not_covered" or "out_of_scope"
    p_answerable: float
    p_in_scope: float


class DeclineModel:
    def __init__(self, data: dict):
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError("decline model was fitted on other features: re-run eval/fit_decline_model.py")
        if tuple(data.get("off_topic", ())) != OFF_TOPIC:
            raise ValueError("decline model was fitted on other off-topic descriptions: re-run eval/fit_decline_model.py")
        if "answerable_with_questions" in data and tuple(data.get("question_features", ())) != FEATURES_WITH_SECTION_QUESTION:
            raise ValueError("decline model was fitted on other question features: re-run eval/fit_decline_model.py")
        self.data = data
        self.answerable = Logistic.from_dict(data["answerable"], len(FEATURES))
        with_questions = data.get("answerable_with_questions")
        self.answerable_with_questions = (Logistic.from_dict(with_questions, len(FEATURES_WITH_SECTION_QUESTION))
                                          if with_questions else None)
        self.in_scope = Logistic.from_dict(data["in_scope"], len(FEATURES))
        self._examples = data.get("decline_examples") or {}
        self.example_texts: tuple[str, ...] = tuple(self._examples.get("texts", ()))
        self.example_margin = float(self._examples["margin"]) if self.example_texts else math.inf
        # the first `voting` examples vote (DECLINE_VOTE); the rest (the fit script's MARGIN_ONLY_FILES) count only
        # against the margin, as the regressions were fitted without them. Files without the field: all vote
        self.voting_examples = int(self._examples.get("voting", len(self.example_texts)))
        if not 0 <= self.voting_examples <= len(self.example_texts):
            raise ValueError("decline model's voting examples outnumber its examples: re-run eval/fit_decline_model.py")
        # where the best passage has no section questions (files fitted before session 11 have none: the rule is off)
        subject = _plain_subject(self._examples)
        self.plain_example_margin = (float(self._examples["plain_margin"])
                                     if self.example_texts and "plain_margin" in self._examples and subject else math.inf)
        self.plain_subject_min = float(subject["min"]) if subject else math.inf
        self._subject = (subject["fingerprint"], np.asarray(subject["centroid"], dtype=np.float32)) if subject else ("", None)
        self._example_vectors: tuple[str, np.ndarray] | None = None  # (the embedder's fingerprint, vectors)
        center = self._examples.get("center") if self.example_texts else None
        self.example_center = np.asarray(center, dtype=np.float32) if center is not None else None
        self._centred_examples: tuple[str, np.ndarray] | None = None  # (the embedder's fingerprint, centred vectors)
        self._warned: set[str] = set()  # what was said to be made by another embedder (said once each)

    def _if_made_by(self, embedder, fingerprint: str, value: np.ndarray | None, what: str, effect: str):
        """`value` when `embedder` is the one that made it (`fingerprint`), else None, said once: `effect`, e.g.
        under the torch fallback, until the fit is re-run with it."""
        if value is None or fingerprint == getattr(embedder, "fingerprint", ""):
            return value
        if what not in self._warned:
            log.warning("the decline model's %s was made by another embedder (%s): %s", what, fingerprint, effect)
            self._warned.add(what)
        return None

    def subject_centroid(self, embedder) -> np.ndarray | None:
        """The centroid PLAIN_SUBJECT is measured against, when this embedder made it (else None, said once: the
        plain-page example rule is off, e.g. under the torch fallback, until the fit is re-run with it)."""
        fingerprint, centroid = self._subject
        return self._if_made_by(embedder, fingerprint, centroid, "subject centroid",
                                "the must-decline examples are not read on pages without section questions")

    def example_vectors(self, embedder) -> np.ndarray | None:
        """The must-decline examples' vectors for this embedder (None when the model file has none): the ones the
        fit stored when they were made by an embedder of the same fingerprint, else embedded here, once (at
        start-up: 1.5 s and 290 MB of peak memory more for 400 examples, so a warning says why)."""
        if not self.example_texts:
            return None
        fingerprint = getattr(embedder, "fingerprint", "")
        key = fingerprint or f"unnamed:{id(embedder)}"  # two embedders without a fingerprint never share vectors
        cached = self._example_vectors
        if cached is None or cached[0] != key:
            stored = self._examples
            if fingerprint and stored.get("vectors") and stored.get("fingerprint") == fingerprint:
                vectors = decode_vectors(stored["vectors"], len(self.example_texts))
            else:
                reason = (f"were made by another embedder ({stored.get('fingerprint')}, not {fingerprint or 'unnamed'})"
                          if stored.get("vectors") else "are not in the model file")
                log.warning("the decline examples' stored vectors %s: embedding %d examples; re-run "
                            "eval/fit_decline_model.py to store them", reason, len(self.example_texts))
                vectors = np.asarray(embedder.embed(list(self.example_texts)))
            cached = (key, vectors)
            self._example_vectors = cached
        return cached[1]

    def nearer_a_decline_example(self, features: dict[str, float], story: bool = False) -> bool:
        """The question is nearer a must-decline example than every section question and its closest passage,
        by more than the fitted margin. Where the best passage's section has no questions (documents ingested
        from elsewhere), nearer than its closest passage by more than the margin fitted for that
        (`plain_margin`: a question-to-passage cosine runs lower than a question-to-question one, so it is wider),
        unless it is a `story` of a patient at risk: a story's cosine to the guidance runs lower still, and on a
        small index of plain pages the rule declined the coercion stories the pages answer (none of the examples
        is such a story). There the regression alone judges it."""
        if DECLINE_EXAMPLE not in features:
            return False
        if SECTION_QUESTION not in features:
            return (not story and PLAIN_SUBJECT in features and features[PLAIN_SUBJECT] >= self.plain_subject_min
                    and features[DECLINE_EXAMPLE] - features["top_dense"] > self.plain_example_margin)
        if self.example_center is not None:  # the margin was fitted on centred cosines
            return (CENTRED_EXAMPLE in features and EXAMPLE_REFERENCE in features
                    and features[CENTRED_EXAMPLE] - features[EXAMPLE_REFERENCE] > self.example_margin)
        return features[DECLINE_EXAMPLE] - answerable_reference(features) > self.example_margin

    def center_for(self, embedder) -> np.ndarray | None:
        """The fit's `center` when this embedder is the one the fit used (the examples' stored fingerprint), else None,
        said once: the centred rule is then off (e.g. under the torch fallback) until the fit is re-run with it."""
        return self._if_made_by(embedder, self._examples.get("fingerprint", ""), self.example_center, "example center",
                                "the must-decline examples' rule is off")

    def centred_examples(self, embedder) -> np.ndarray | None:
        """The examples' vectors centred on the fit's `center` (CENTRED_EXAMPLE); None without a center for this
        embedder (`center_for`)."""
        center = self.center_for(embedder)
        vectors = self.example_vectors(embedder) if center is not None else None
        if vectors is None:
            return None
        key = getattr(embedder, "fingerprint", "")
        cached = self._centred_examples
        if cached is None or cached[0] != key:
            cached = (key, centred(vectors, center))
            self._centred_examples = cached
        return cached[1]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "DeclineModel":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    @staticmethod
    def vector(features: dict[str, float], names: tuple[str, ...] = FEATURES) -> np.ndarray:
        return np.array([features[name] for name in names], dtype=float)

    def answerable_model(self, features: dict[str, float]) -> tuple[Logistic, tuple[str, ...]]:
        """The regression that judges these features, and the features it reads: the one fitted with
        SECTION_QUESTION, DECLINE_VOTE and ADAPTER_LIFT when the features hold all three (and the model file has it),
        else the one fitted without."""
        if self.answerable_with_questions is not None and all(f in features for f in FEATURES_WITH_SECTION_QUESTION):
            return self.answerable_with_questions, FEATURES_WITH_SECTION_QUESTION
        return self.answerable, FEATURES

    def decide(self, features: dict[str, float], story: bool = False) -> Decision:  # story: a patient at risk
        x = self.vector(features)
        answerable, names = self.answerable_model(features)
        p_answerable = answerable.probability(self.vector(features, names))
        p_in_scope = self.in_scope.probability(x)
        if p_answerable >= answerable.threshold and not self.nearer_a_decline_example(features, story):
            return Decision(True, "answered", p_answerable, p_in_scope)
        kind = "not_covered" if p_in_scope >= self.in_scope.threshold else "out_of_scope"
        return Decision(False, kind, p_answerable, p_in_scope)
