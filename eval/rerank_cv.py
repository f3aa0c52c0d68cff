#!/usr/bin/env python3
"""Tuning values (any setting: RERANK_*, ANSWER_*, ...) re-chosen by cross-validation on the question bank's dev
split, grouped by question.

    export PYTHONPATH=$PWD && .venv/bin/python eval/rerank_cv.py [--grid NAME=v1,v2 ...] [--alone] \
        [--folds 5] [--seeds 7 ...]

Each setting in the grid (the product of the values given per setting, or with --alone each value of each setting
with the others at the grid's first values; settings not named stay at their defaults) answers every dev question
once through `gpbot ask --jsonl` (settings from the environment, as ../shared/eval/score.py runs it) and each
question is counted as score.py counts it: its must-contain strings in the answer, a citation of one of its
sources, a decline. Then FOLDS folds by question: on 4/5 of the questions the setting with the most must-contain
(then citations, then declines of must-decline questions, then fewest wrong declines, then the grid's first
setting) is chosen and the held-out 1/5 are counted under it; the sums over folds are what a re-tuning would give
on questions it was not tuned on (the in-sample best is printed too, labelled so). With several --seeds the
folds are drawn again for each and the mean is printed too: one fold assignment moves the figure by 1-2
questions. A grid chosen after looking at in-sample figures makes even the held-out figure optimistic. Uses the
`dev` split ONLY.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.evaluation import normalised as norm, url_tail  # noqa: E402  (score.py's rules)
from bot.settings import section_of

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT.parent / "shared" / "eval" / "question-bank.jsonl"
SEED = 7  # the fold assignment every figure in eval/reranker_trials.md was first measured with


def outcomes(items: list[dict], env: dict[str, str]) -> dict[str, np.ndarray]:
    """Per question: [must-contain met, cites a source (answered, has sources), should-decline declined,
    answerable declined] as score.py counts them."""
    feed = "".join(json.dumps({"id": q["id"], "question": q["question"],
                               **({"history": q["history"]} if q.get("history") else {})}) + "\n" for q in items)
    proc = subprocess.run([str(ROOT / ".venv/bin/gpbot"), "ask", "--jsonl"], input=feed, capture_output=True,
                          text=True, env=dict(os.environ, HF_HUB_OFFLINE="1", **env), timeout=900, check=True)
    answers = {a["id"]: a for a in map(json.loads, (l for l in proc.stdout.splitlines() if l.startswith("{")))}
    out = {}
    for q in items:
        a = answers[q["id"]]
        text, kind = norm(a.get("text", "")), a.get("kind")
        urls = {url_tail(c.get("url", "")) for c in a.get("citations") or []}
        refused = kind in ("not_covered", "out_of_scope")
        out[q["id"]] = np.array([
            bool(q.get("must_contain")) and all(norm(s) in text for s in q["must_contain"]),
            kind == "answered" and bool(q.get("sources")) and bool(urls & {url_tail(u) for u in q["sources"]}),
            bool(q.get("expect_refusal")) and refused,
            not q.get("expect_refusal") and not q.get("expect_pii_warning") and refused,
        ], dtype=int)
    return out


def key(totals: np.ndarray, is_default: bool) -> tuple:
    return (totals[0], totals[1], totals[2], -totals[3], is_default)


def cross_validate(table: list, defaults: list[bool], ids: list[str], n_folds: int, seed: int,
                   verbose: bool) -> np.ndarray:
    """Held-out totals summed over the folds: each fold counted under the setting chosen on the other folds."""
    order = np.random.default_rng(seed).permutation(len(ids))
    held = np.zeros(4, dtype=int)
    for f in range(n_folds):
        test = set(ids[i] for i in order[f::n_folds])
        train = [i for i in ids if i not in test]
        best = max(range(len(table)), key=lambda j: key(sum(table[j][1][i] for i in train), defaults[j]))
        got = sum(table[best][1][i] for i in test)
        held += got
        if verbose:
            ref = sum(table[0][1][i] for i in test)
            print(f"fold {f} (seed {seed}): chose {table[best][0]}; held-out must {got[0]} (first setting {ref[0]})")
    return held


def settings_grid(grid: list[str], alone: bool) -> list[dict[str, str]]:
    """The settings to answer under: NAME=v1,v2 per setting, their product, or with `alone` each value of each
    setting with the others at their first values (the first setting first either way)."""
    names, values = zip(*[(g.split("=", 1)[0], g.split("=", 1)[1].split(",")) for g in grid])
    unknown = [n for n in names if section_of(n.lower()) is None]
    if unknown:
        raise ValueError(f"not a setting: {', '.join(unknown)} (names as in .env.example)")
    if alone:
        first = {n: v[0] for n, v in zip(names, values)}
        return [first] + [dict(first, **{n: x}) for n, vs in zip(names, values) for x in vs[1:]]
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", nargs="+", default=["RERANK_HEADING_MISMATCH_WEIGHT=0,0.05,0.1,0.15,0.2,0.3"])
    parser.add_argument("--alone", action="store_true",
                        help="vary one setting at a time from the grid's first values instead of the product")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED],
                        help="fold assignments to average over (the folds of the first are printed)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rerank_cv_cache.json"),
                        help="outcomes per setting, reused while the index and code are unchanged")
    args = parser.parse_args()
    items = [json.loads(l) for l in BANK.read_text().splitlines() if l.strip()]
    items = [q for q in items if q.get("split") == "dev"]
    try:
        settings = settings_grid(args.grid, args.alone)
    except ValueError as error:
        parser.error(str(error))
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    table = []
    for env in settings:
        label = " ".join(f"{k}={v}" for k, v in env.items())
        if label not in cache:
            cache[label] = {k: v.tolist() for k, v in outcomes(items, env).items()}
            args.cache.write_text(json.dumps(cache))
        rows = {k: np.array(v) for k, v in cache[label].items()}
        table.append((label, rows))
        t = sum(rows.values())
        print(f"{label}: must {t[0]}, cite {t[1]}, declines {t[2]}, wrong declines {t[3]}", flush=True)
    defaults = [all(float(v) == float(settings[0][k]) for k, v in env.items()) for env in settings]  # the grid's first
    ids = [q["id"] for q in items]
    base = sum(table[0][1].values())
    runs = [cross_validate(table, defaults, ids, args.folds, seed, verbose=n == 0) for n, seed in enumerate(args.seeds)]
    for seed, held in zip(args.seeds, runs):
        print(f"CV seed {seed} (held-out, summed over {args.folds} folds): must {held[0]}, cite {held[1]}, "
              f"declines {held[2]}, wrong declines {held[3]}; first setting: must {base[0]}, cite {base[1]}, "
              f"declines {base[2]}, wrong declines {base[3]}")
    if len(runs) > 1:
        mean = np.mean(runs, axis=0)
        print(f"CV mean over {len(runs)} seeds: must {mean[0]:.1f}, cite {mean[1]:.1f}, declines {mean[2]:.1f}, "
              f"wrong declines {mean[3]:.1f}")
    best = max(range(len(table)), key=lambda j: key(sum(table[j][1].values()), defaults[j]))
    print(f"in-sample best (not a held-out figure): {table[best][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
