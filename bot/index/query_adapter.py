"""The query adapter: a linear map that moves a question's vector towards the passages that answer it, learned
from the index's own section questions (knowledge/questions.yaml) and active verified answers every time the index
changes (and when `gpbot review verified reindex`, `retire` or `reinstate`, an ingest that flags verified answers, or
a reviewer's approve, correction, retirement or reinstatement in Slack (`bot.index.background_refit`) refits it).

all-MiniLM-L6-v2 was trained to match a question with a question, so staff wording lands nearer other questions
than the guidance text that answers it. Each section question is a labelled pair (a question in staff words, the
passage it points at), so the shipped index holds 1,343 of them. `fit_query_adapter` learns `W` (the question
vector `q` becomes `q + q @ W`, normalised) by softmax cross-entropy over the passages (each question's own
passage against the others, or a sample of them on a large index), with an L2 pull towards the identity so
that it stays a small correction. The retriever's reranker reads the adapted vector's cosine to each candidate
beside the raw one (`bot.retrieval`, RERANK_ADAPTER_WEIGHT). The review loop adds labelled pairs too: each active
verified answer's question with the cited passage its answer rests on (`ChromaStore.verified_pairs`), so documents
ingested from elsewhere, which have no section questions, get an adapter once enough answers are verified; until
then they have none, and their ranking is the same as before (eval/verified_adapter.py simulates it).

The constants were chosen on the evaluation sets, never on the bank's validation split; eval/query_adapter.md
has the figures and `eval/query_adapter_cv.py` prints them.
Numpy only (the bot does not import torch at run time); the fit is deterministic for a given index and set of active
verified answers (replicas that each rebuild a missing cache after a verification may hold slightly different ones
at the same version until the next refit).
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

# softmax temperature over cosines: the usual value for contrastive training of sentence vectors, and the best of
# 0.02 / 0.05 / 0.1 on the evaluation sets (eval/query_adapter.md)
ADAPTER_TEMPERATURE = 0.05
# L2 weight on W (the pull towards the identity): 0.01 of 0.003 / 0.01 / 0.03 / 0.1 (eval/query_adapter.md)
ADAPTER_REGULARISATION = 0.01
# Adam steps (converged by 150 on the shipped index) at Adam's usual learning rate (not tuned)
ADAPTER_STEPS = 300
ADAPTER_LEARNING_RATE = 1e-3
# passages a question is told apart from at most (its own, the other questions' own, then a sample); questions whose
# passage falls outside it are left out
ADAPTER_MAX_PASSAGES = 2000
# questions it learns from at most (an even spread of them): with ADAPTER_MAX_PASSAGES it bounds the fit's cost (about
# 3 s for the shipped 1,343 questions and 298 passages; some minutes at both caps)
ADAPTER_MAX_QUESTIONS = 5000
# fewer labelled questions than this: no adapter (a handful of questions would only learn themselves; set by hand,
# not measured: the shipped index has 1,343, the test fixtures 2)
ADAPTER_MIN_QUESTIONS = 50


def fit_query_adapter(question_vectors: np.ndarray, answer_rows: np.ndarray, passage_vectors: np.ndarray, *,
                      steps: int = ADAPTER_STEPS, regularisation: float = ADAPTER_REGULARISATION,
                      temperature: float = ADAPTER_TEMPERATURE,
                      learning_rate: float = ADAPTER_LEARNING_RATE) -> np.ndarray:
    """W (dim x dim, float32) for questions `question_vectors` (n x dim, unit length) whose answers are the
    rows `answer_rows` (n ints) of `passage_vectors` (m x dim, unit length). Adam on the mean cross-entropy plus
    `regularisation` x |W|^2, full batch, from W = 0 (the identity map)."""
    q = np.asarray(question_vectors, dtype=np.float32)
    p = np.asarray(passage_vectors, dtype=np.float32)
    rows = np.asarray(answer_rows, dtype=int)
    dim = q.shape[1]
    w = np.zeros((dim, dim), dtype=np.float32)
    m, v = np.zeros_like(w), np.zeros_like(w)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n = len(q)
    target = np.zeros((n, len(p)), dtype=np.float32)
    target[np.arange(n), rows] = 1.0
    for step in range(1, steps + 1):
        moved = q + q @ w
        norm = np.linalg.norm(moved, axis=1, keepdims=True)
        unit = moved / norm
        logits = unit @ p.T / temperature
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        d_logits = (probs - target) / n
        d_unit = d_logits @ p / temperature
        # through the normalisation: the part of the gradient along the vector itself changes nothing
        d_moved = (d_unit - np.sum(d_unit * unit, axis=1, keepdims=True) * unit) / norm
        grad = q.T @ d_moved + 2 * regularisation * w
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        w -= learning_rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return w.astype(np.float32)


def training_passages(answer_ids: list[str], all_ids: list[str],
                      limit: int = ADAPTER_MAX_PASSAGES) -> list[str]:
    """The passages the fit tells apart, at most `limit`: the passages the questions point at (the first `limit` of
    them), then an even spread of the others (all of them on an index that small)."""
    own = list(dict.fromkeys(answer_ids))[:limit]
    mine = set(own)
    others = [i for i in all_ids if i not in mine]
    room = max(0, limit - len(own))
    step = max(1, -(-len(others) // room)) if room else len(others) + 1
    return own + others[::step][:room]


def adapt(w: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """The question vector moved by the adapter, unit length."""
    moved = np.asarray(vector, dtype=np.float32)
    moved = moved + moved @ w
    return moved / (np.linalg.norm(moved) or 1.0)


def adapter_from_store(store, chunk_ids: list[str]) -> np.ndarray | None:
    """The adapter fitted on a `ChromaStore`'s labelled questions (its section questions, then its active verified
    answers' questions with the passage each answer rests on) and their passages (`chunk_ids`: every passage the
    store holds), or None when it holds fewer than ADAPTER_MIN_QUESTIONS questions whose passage is indexed."""
    question_chunks, question_vectors = store.question_vectors()
    verified_chunks, verified_vectors = store.verified_pairs()
    if verified_chunks:
        question_chunks = question_chunks + verified_chunks
        question_vectors = (np.concatenate([question_vectors, verified_vectors]) if len(question_vectors)
                            else verified_vectors)
    keep = [n for n, chunk_id in enumerate(question_chunks) if chunk_id]
    if len(keep) < ADAPTER_MIN_QUESTIONS:
        return None
    keep = keep[:: -(-len(keep) // ADAPTER_MAX_QUESTIONS)] if len(keep) > ADAPTER_MAX_QUESTIONS else keep
    passages = training_passages([question_chunks[n] for n in keep], sorted(chunk_ids), limit=ADAPTER_MAX_PASSAGES)
    vectors = store.vectors(passages)
    keep = [n for n in keep if question_chunks[n] in vectors]
    if len(keep) < ADAPTER_MIN_QUESTIONS:
        return None
    order = [p for p in passages if p in vectors]
    row = {p: n for n, p in enumerate(order)}
    return fit_query_adapter(question_vectors[keep], np.array([row[question_chunks[n]] for n in keep]),
                             np.stack([vectors[p] for p in order]))


def safe_adapter(store, chunk_ids: list[str]) -> tuple[np.ndarray | None, bool]:
    """(`adapter_from_store`, True), or (None, False), logged, when the fit fails: the adapter is an aid to ranking,
    and search must not stop for it."""
    try:
        return adapter_from_store(store, chunk_ids), True
    except Exception:
        log.warning("could not fit the query adapter; ranking without it", exc_info=True)
        return None, False


def usable(w) -> bool:
    """A cached adapter that can be applied: a finite square float matrix of the embedding's size."""
    from bot.index.embedder import EMBEDDING_DIM

    return (isinstance(w, np.ndarray) and w.shape == (EMBEDDING_DIM, EMBEDDING_DIM) and w.dtype.kind == "f"
            and bool(np.isfinite(w).all()))
