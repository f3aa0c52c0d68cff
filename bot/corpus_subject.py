"""What the corpus is about, for the decline model (`bot.decline_model`): the kinds of practice work that are not
records access (OFF_TOPIC) and the centroid of the indexed passages (`unit_mean` of a sample of them; the fit keeps
the shipped corpus's own, against which the decline model measures how typical of that subject a page is).
"""

from __future__ import annotations

import numpy as np

# What else staff at a GP practice ask about, one broad topic a line: the question's closeness to the nearest one
# is the `off_topic` feature. The descriptions name kinds of work, never a particular question; their weight is
# fitted with the others (eval/fit_decline_model.py), and in nested cross-validation on the dev split this
# feature raised the must-decline questions declined from 71 to 76 of 116 at no wrong declines. A topic that is
# close to records access (test results, the app's record) would make the model decline answerable questions,
# so none is listed; the fitted JSON records the list and a changed list needs a re-fit.
OFF_TOPIC = (
    "Which medicine, dose or prescription should a patient be given, and does it interact with other drugs?",
    "A patient's symptoms or illness: what is wrong with them and do they need treatment or referral?",
    "Who is eligible for a vaccination or a screening programme, and when should it be given?",
    "An IT problem: a password, login, smartcard, printer, phone system, email or computer that is not working.",
    "Staff matters: pay, pensions, leave, rotas, contracts, recruitment, training and appraisals.",
    "Help writing something: an email, a job advert, a speech, a poster, a social media post or a translation.",
    "General knowledge, small talk, the weather, jokes or news unrelated to the practice's work.",
    "The building and facilities: keys, parking, cleaning, heating, stationery and supplies.",
    "Booking or cancelling appointments, ordering repeat prescriptions and choosing a nominated pharmacy.",
    "Practice finance and payments: claims, invoices, QOF points, funding and fees.",
    "Which doctor or nurse is working today, and who is on duty or covering clinics.",
)


_off_topic: dict[int, np.ndarray] = {}


def off_topic_vectors(embedder) -> np.ndarray:
    """OFF_TOPIC embedded once per embedder."""
    key = id(embedder)
    vectors = _off_topic.get(key)
    if vectors is None:
        vectors = np.asarray(embedder.embed(list(OFF_TOPIC)))
        _off_topic.clear()
        _off_topic[key] = vectors
    return vectors  # the local: another thread may clear the cache in between


def sample_vectors(index, limit: int) -> np.ndarray:
    """Up to `limit` stored chunk embeddings spread evenly over the index: what the corpus is about."""
    from bot.index.embedder import EMBEDDING_DIM

    ids = index.keyword_ids()
    step = max(1, len(ids) // max(1, limit))
    vectors = list(index.vectors(ids[::step][:limit]).values())
    return np.stack(vectors) if vectors else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)


def unit_mean(vectors: np.ndarray) -> np.ndarray:
    """The mean of the vectors, normalised: their centroid on the unit sphere."""
    mean = np.mean(vectors, axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)


_centroids: dict[tuple[int, str], np.ndarray] = {}


def corpus_centroid(index) -> np.ndarray | None:
    """The normalised mean vector of (a sample of) the indexed passages, cached per index version."""
    key = (id(index), index.version)
    if key not in _centroids:
        sample = sample_vectors(index, index.settings.answering.decline_centroid_sample)
        if not len(sample):
            return None
        centroid = unit_mean(sample)
        _centroids.clear()
        _centroids[key] = centroid
        return centroid  # the local: another thread may clear the cache between the two lines above and here
    return _centroids[key]
