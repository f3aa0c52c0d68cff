"""The features the decline model reads (`bot.decline_model`), computed from one question's retrieval and draft.

FEATURES are what both regressions read; SECTION_QUESTION, DECLINE_VOTE and ADAPTER_LIFT are added where the best
passage's section has staff-worded questions; DECLINE_EXAMPLE, CENTRED_EXAMPLE, EXAMPLE_REFERENCE and PLAIN_SUBJECT
feed the must-decline examples' rule (`DeclineModel.nearer_a_decline_example`). Every feature is a similarity or a
share, so none grows with the number of documents indexed. Comments below say what each one is and why it is there.
"""

from __future__ import annotations

import math

import numpy as np

from bot import guard
from bot.corpus_subject import corpus_centroid, off_topic_vectors
from bot.index import Index, analyze

FEATURES = (
    "top_score",  # the reranker's score of the best passage (cosine + lexical + title), from its own text
    "top_dense",  # cosine similarity of the question to the closest passage's own text
    # closest passage's cosine minus the mean of the first five: a clear winner or a flat field. On an index of a
    # few passages the first five include unrelated ones, so it runs high there (the one size-dependent feature)
    "dense_spread",
    "coverage",  # idf-weighted share of the question's terms the best answer sentence holds
    "known_terms",  # share of the question's terms that occur anywhere in the index
    "unknown_weight",  # idf-weighted share of the question's terms the index never holds (rare words weigh most)
    "centroid",  # cosine of the question to the mean of the indexed passages: is it about what the corpus is about?
    "question_terms",  # log(1 + number of content terms): a two-word message says little
    "clinical",  # 1 when the question reads as clinical advice (guard.clinical_advice_signal)
    "off_topic",  # cosine of the question to the nearest of OFF_TOPIC: what a GP practice asks about besides records
)

SECTION_QUESTION = "section_question"  # present only when the best passage's section has questions (see above)
# The share of must-decline examples (DECLINE_EXAMPLE below) among the VOTE_NEIGHBOURS labelled questions nearest the
# question, the section questions counting as answerable ones: a vote of the questions whose answer is known. Only
# neighbours within VOTE_WINDOW of what the question can be answered from (`answerable_reference`: the nearer of
# its closest section question and closest passage) vote, and none voting gives 0: on an index with few section
# questions every near neighbour would be an example, though the question sits close to a passage. Read with
# SECTION_QUESTION only. In nested cross-validation, with each written must-decline question judged against the
# examples of the other files only (one writer's twins left out), it raised the must-decline questions declined from
# 180.3 to 380.3 of 680 (near-misses 91 -> 280 of 570) and answerable ones declined from 0 to 1.0 of 185 (session 9;
# with the query adapter and ADAPTER_LIFT, session 10: 407.7 and 1.3).
# Windows 0.03, 0.05, 0.1 and none gave 338, 380, 352 and 356; 5, 10 and 20 neighbours 376, 380 and 387.
DECLINE_VOTE = "decline_vote"
VOTE_NEIGHBOURS = 10
VOTE_WINDOW = 0.05
# How far the query adapter (`bot.index.query_adapter`, learned from section questions and verified answers) moves
# the question's nearest passage: the adapted vector's cosine to its nearest passage minus the raw vector's. A
# staff question about what the corpus answers is moved towards a passage, a near-miss much less. 0 without an
# adapter. Read with SECTION_QUESTION only. In nested cross-validation (session 10) it raised the must-decline
# questions declined from 381.7 to 407.7 of 680 (near-misses 282.7 -> 308.0 of 570) for 1.0 -> 1.3 of 185 answerable
# ones declined; the adapted cosine alone gave 390.0 (2.0 answerable), the gap between its first two passages 358.0.
ADAPTER_LIFT = "adapter_lift"
FEATURES_WITH_SECTION_QUESTION = (*FEATURES, SECTION_QUESTION, DECLINE_VOTE, ADAPTER_LIFT)
# The cosine of the question to the nearest must-decline example (`decline_examples` in the model file: the
# must-decline questions written for training, as the bot prepares them). Not a regression input: a question
# nearer such an example than to every section question and to its closest passage, by more than the fitted
# margin, is declined whatever the regressions say (`DeclineModel.decide`). The examples are what the
# regressions cannot weigh: near-misses share the corpus's words ("the NHS App", "online", "record"), so every
# score the regressions read is high for them, while the example they resemble names what they ask about.
# The closest passage counts too so that a corpus whose sections have few questions (a maintainer's own
# annotated pages) does not make every question look nearer an example than anything it can answer; without
# section questions it is all there is (`DeclineModel.nearer_a_decline_example`).
DECLINE_EXAMPLE = "decline_example"
# The same rule read on centred vectors, where the model file has a `center` (the mean of the section questions' and
# the examples' vectors, written by the fit): every question about records access shares one direction ("the NHS
# App", "the record"), and raw cosines are mostly made of it, so a near-miss ("can the daughter see her late mum's
# notes on the app") is about as close to a section question as to the example that names what it asks about
# ("a son wants his dead mother's notes"). With that shared part taken away, what is left is what the question is
# about. CENTRED_EXAMPLE: the centred cosine to the nearest must-decline example; EXAMPLE_REFERENCE: the centred cosine
# to the nearer of the VOTE_NEIGHBOURS nearest section questions and the best passage. Measured on the eight own
# held-out sets (session 15, eval/reranker_trials.md): at the same wrong-decline budget, 7 more of 115 must-decline
# questions over the margin than raw cosines, and none of 543 answerable ones.
CENTRED_EXAMPLE = "centred_example"
EXAMPLE_REFERENCE = "example_reference"
# Without section questions, the cosine of the best passage to the centroid of the corpus the examples were written
# against (`bot.corpus_subject`): the examples say what lies just outside that subject, so they decline there only
# on a page at least as typical of it as the fit's `plain_subject` minimum (the 5th percentile of its own passages).
PLAIN_SUBJECT = "plain_subject"

def centred(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Vectors (one, or one per row) less `center`, scaled to length 1: cosines between them are centred cosines."""
    shifted = np.asarray(vectors, dtype=np.float32) - center
    return shifted / np.maximum(np.linalg.norm(shifted, axis=-1, keepdims=True), 1e-9)


def decision_features(query, retrieval, draft, index: Index, decline_examples: np.ndarray | None = None,
                      subject_centroid: np.ndarray | None = None, voting: int | None = None,
                      center: np.ndarray | None = None, centred_examples: np.ndarray | None = None
                      ) -> dict[str, float]:
    """The feature vector of one answered-or-not question: `query` a PreparedQuery, `retrieval` a
    Retrieval, `draft` the answerer's Draft (or None when nothing was found). SECTION_QUESTION and ADAPTER_LIFT
    only when the best passage's section has questions and the question search ran; DECLINE_EXAMPLE when
    `decline_examples` (`DeclineModel.example_vectors`) are given and there is a section question or a dense
    search ran; DECLINE_VOTE with a section question (the first `voting` examples vote, all when None),
    PLAIN_SUBJECT without one (`subject_centroid` given); with a section question and the examples' `center`,
    EXAMPLE_REFERENCE, and CENTRED_EXAMPLE too when `centred_examples` are given (`DeclineModel.centred_examples`)."""
    terms = list(dict.fromkeys(analyze(query.retrieval_text)))
    results = retrieval.results
    # the passages' own text only: a section question's match helps ranking, but these features must read the
    # same on a document without section questions (SECTION_QUESTION, added below, is where they count)
    dense = sorted((_own(r.passage_dense, r.dense) for r in results if r.dense is not None), reverse=True)
    top_score = max((_own(r.passage_score, r.score) for r in results), default=0.0)
    top_dense = dense[0] if dense else 0.0
    known = sum(index.document_frequency(t) > 0 for t in terms) / len(terms) if terms else 0.0
    weights = {t: index.idf(t) for t in terms}
    unknown = (sum(w for t, w in weights.items() if index.document_frequency(t) == 0) / (sum(weights.values()) or 1.0))
    centroid = corpus_centroid(index)
    vector = retrieval.query_vector
    features = {
        "top_score": float(top_score),
        "top_dense": float(top_dense),
        "dense_spread": float(top_dense - (sum(dense[:5]) / len(dense[:5]) if dense else 0.0)),
        "coverage": float(min(1.5, draft.coverage)) if draft is not None and draft.text else 0.0,
        "known_terms": float(known),
        "unknown_weight": float(unknown),
        "centroid": float(centroid @ vector) if centroid is not None and vector is not None else 0.0,
        "question_terms": math.log1p(len(terms)),
        "clinical": 1.0 if guard.clinical_advice_signal(query.text) else 0.0,
        "off_topic": float((off_topic_vectors(index.embedder) @ vector).max()) if vector is not None else 0.0,
    }
    if retrieval.nearest_question_cosine is not None and results and results[0].chunk.questions:
        features[SECTION_QUESTION] = float(retrieval.nearest_question_cosine)
        features[ADAPTER_LIFT] = float(retrieval.adapter_lift)
    # weighed against a section question or, without one, the nearest passage: only a dense search finds it
    weighable = SECTION_QUESTION in features or retrieval.nearest_passage_cosine is not None
    with_examples = decline_examples is not None and len(decline_examples) and vector is not None and weighable
    nearest = (index.nearest_questions(vector, VOTE_NEIGHBOURS)  # (their cosines, their vectors)
               if SECTION_QUESTION in features and vector is not None and (with_examples or center is not None)
               else None)
    if nearest is not None and center is not None:  # needs no examples: the fit reads it before choosing them
        _cosines, question_vectors = nearest
        own = centred(vector, center)
        reference = float((centred(question_vectors, center) @ own).max(initial=-1.0))
        if retrieval.top_vector is not None:  # the best passage counts too (the raw rule reads the closest one)
            reference = max(reference, float(centred(retrieval.top_vector, center) @ own))
        features[EXAMPLE_REFERENCE] = reference
        if centred_examples is not None and len(centred_examples):
            features[CENTRED_EXAMPLE] = float((centred_examples @ own).max())
    if with_examples:
        example_cosines = decline_examples @ vector
        features[DECLINE_EXAMPLE] = float(example_cosines.max())
        if nearest is not None:  # without examples there is no vote, and `answerable` decides
            features[DECLINE_VOTE] = decline_vote(nearest[0], example_cosines[:voting], answerable_reference(features))
        elif subject_centroid is not None and retrieval.top_vector is not None:
            features[PLAIN_SUBJECT] = float(retrieval.top_vector @ subject_centroid)
    return features


def decline_vote(question_cosines: np.ndarray, example_cosines: np.ndarray, reference: float,
                 k: int = VOTE_NEIGHBOURS, window: float = VOTE_WINDOW) -> float:
    """DECLINE_VOTE: the share of must-decline examples among the k nearest of the section questions and the
    examples, from their cosines to the question (ties go to the section questions), counting only those within
    `window` of `reference`; 0 when none is."""
    labelled = ([(float(c), 0) for c in np.sort(question_cosines)[::-1][:k]]
                + [(float(c), 1) for c in np.sort(example_cosines)[::-1][:k]])
    nearest = sorted(labelled, key=lambda pair: (-pair[0], pair[1]))[:k]
    voting = [label for cosine, label in nearest if cosine >= reference - window]
    return sum(voting) / len(voting) if voting else 0.0


def answerable_reference(features: dict[str, float]) -> float:
    """What the nearest must-decline example is weighed against: the nearer of the closest section question and
    the closest passage (a question-to-passage cosine runs lower, so the passage counts only when it is close)."""
    return max(features[SECTION_QUESTION], features["top_dense"])


def _own(passage_value: float | None, value: float) -> float:
    return value if passage_value is None else passage_value
