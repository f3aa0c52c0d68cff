#!/usr/bin/env python3
"""How well the query adapter (bot/index/query_adapter.py) ranks passages, raw vectors against adapted, on
labelled staff questions it never saw: dense ranking only, over every passage of the index.

    export PYTHONPATH=$PWD && .venv/bin/python eval/query_adapter_cv.py [--regularisation 0.003 0.01 0.03 0.1]
        [--sets dev fresh fresh2 fresh3] [--with-labelled]

A question's right passages are those holding all its must-contain strings (questions whose strings are in more
than MAX_POSITIVES passages, or in none, are left out). For each regularisation the adapter is fitted on the
index's section questions (as ingest fits it); with --with-labelled, also on the other sets' labelled questions
(leave one set out; not what the bot does, printed to show what more labels would give). Prints, per set, the
right passage first (R@1), within the first three (R@3) and the mean reciprocal rank. The end-to-end figures
(must-contain, citations) came from an in-process run with score.py's rules, and held out from score.py itself;
eval/query_adapter.md has both. The validation split is not offered: it is never tuned on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.index.query_adapter import ADAPTER_REGULARISATION, adapt, fit_query_adapter  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
SETS = {"dev": (SHARED / "question-bank.jsonl", "dev"),
        **{name: (ROOT / "eval" / f"{name}-questions.jsonl", None) for name in ("fresh", "fresh2", "fresh3", "fresh4")}}
MAX_POSITIVES = 15


def labelled(assistant, texts: list[str], path: Path, split: str | None) -> tuple[np.ndarray, list[list[int]]]:
    """The retrieval vectors of the set's answerable questions and, for each, the rows of its right passages."""
    vectors, positives = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if (split and item.get("split") != split) or item.get("expect_refusal") or not item.get("must_contain"):
            continue
        wanted = [m.lower() for m in item["must_contain"]]
        rows = [n for n, text in enumerate(texts) if all(m in text for m in wanted)]
        if 0 < len(rows) <= MAX_POSITIVES:
            prepared = assistant.prepare(item["question"], item.get("history") or [])[1]
            vectors.append(assistant.index.embedder.embed_query(prepared.retrieval_text))
            positives.append(rows)
    return np.asarray(vectors, dtype=np.float32), positives


def ranking(vectors: np.ndarray, positives: list[list[int]], passages: np.ndarray) -> str:
    order = np.argsort(-(vectors @ passages.T), axis=1)
    ranks = np.array([min(int(np.where(row == p)[0][0]) for p in rows) for row, rows in zip(order, positives)])
    return (f"R@1 {int((ranks == 0).sum())}, R@3 {int((ranks < 3).sum())}, "
            f"MRR {float(np.mean(1 / (1 + ranks))):.3f} (n={len(ranks)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regularisation", type=float, nargs="+", default=[ADAPTER_REGULARISATION])
    ap.add_argument("--sets", nargs="+", default=["dev", "fresh", "fresh2", "fresh3"], choices=sorted(SETS))
    ap.add_argument("--with-labelled", action="store_true")
    args = ap.parse_args()

    from bot.pipeline import build_assistant
    from bot.startup import settings_or_exit

    assistant = build_assistant(settings_or_exit())
    store = assistant.index.store
    chunks = assistant.index.all_chunks()
    ids = [c.chunk_id for c in chunks]
    vectors = assistant.index.vectors(ids)
    passages = np.stack([vectors[i] for i in ids])
    row_of = {chunk_id: n for n, chunk_id in enumerate(ids)}
    question_chunks, question_vectors = store.question_vectors()
    keep = [n for n, c in enumerate(question_chunks) if c in row_of]
    question_vectors, question_rows = question_vectors[keep], [[row_of[question_chunks[n]]] for n in keep]
    texts = [c.text.lower() for c in chunks]
    data = {name: labelled(assistant, texts, *SETS[name]) for name in args.sets}
    print(f"{len(ids)} passages, {len(keep)} section questions")
    for name, (q, p) in data.items():
        print(f"{name} raw: {ranking(q, p, passages)}")
    for lam in args.regularisation:
        if not args.with_labelled:
            w = fit_query_adapter(question_vectors, np.array([r[0] for r in question_rows]), passages, regularisation=lam)
        for name, (q, p) in data.items():
            if args.with_labelled:  # leave this set out; fit on the section questions and the other sets
                extra = [(data[o][0], data[o][1]) for o in data if o != name]
                xs = np.concatenate([question_vectors, *[e[0] for e in extra]])
                pos = question_rows + [rows for e in extra for rows in e[1]]
                w = _fit_multi(xs, pos, passages, lam)
            adapted = np.stack([adapt(w, v) for v in q])
            print(f"{name} adapted (regularisation {lam}{', with labelled' if args.with_labelled else ''}): "
                  f"{ranking(adapted, p, passages)}")
    return 0


def _fit_multi(questions: np.ndarray, positives: list[list[int]], passages: np.ndarray, lam: float) -> np.ndarray:
    """The fit with one row per (question, right passage) pair: a question with several right passages counts once
    per passage (an approximation of the multi-positive loss, for this comparison only)."""
    xs = np.concatenate([np.repeat(questions[n : n + 1], len(rows), axis=0) for n, rows in enumerate(positives)])
    return fit_query_adapter(xs, np.array([r for rows in positives for r in rows]), passages, regularisation=lam)


if __name__ == "__main__":
    sys.exit(main())
