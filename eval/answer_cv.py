#!/usr/bin/env python3
"""How answer units are chosen (ANSWER_* settings), re-chosen by 5-fold cross-validation on the question bank's
dev split grouped by question, with the answers' length reported beside score.py's counts.

    export PYTHONPATH=$PWD && .venv/bin/python eval/answer_cv.py --grid ANSWER_PASSAGE_WINDOW=0,0.1 ... \
        [--alone] [--seeds 7 1 2 3 4] [--show ID ...]

The same method as eval/rerank_cv.py (each setting answers every dev question once through `gpbot ask --jsonl`;
on 4/5 of the questions the setting with the most must-contain, then citations, then declines, then fewest
wrong declines, then the grid's first setting is chosen and the held-out 1/5 counted under it), plus the median
length of the answered questions' text, in-sample per setting and held out. --show prints the answers of the
named questions under every setting (read answers, not only scores). Uses the `dev` split ONLY. The figures it
printed and what was kept: eval/answer_trials.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.evaluation import normalised as norm, url_tail  # score.py's rules
from rerank_cv import BANK, ROOT, SEED, key, settings_grid  # run as a script: eval/ is on the path


def answers_under(items: list[dict], env: dict[str, str]) -> dict[str, dict]:
    feed = "".join(json.dumps({"id": q["id"], "question": q["question"],
                               **({"history": q["history"]} if q.get("history") else {})}) + "\n" for q in items)
    proc = subprocess.run([str(ROOT / ".venv/bin/gpbot"), "ask", "--jsonl"], input=feed, capture_output=True,
                          text=True, env=dict(os.environ, HF_HUB_OFFLINE="1", **env), timeout=900, check=True)
    return {a["id"]: a for a in map(json.loads, (l for l in proc.stdout.splitlines() if l.startswith("{")))}


def counted(q: dict, a: dict) -> list[int]:
    """[must-contain met, cites a source, should-decline declined, answerable declined, answered length]."""
    text, kind = norm(a.get("text", "")), a.get("kind")
    urls = {url_tail(c.get("url", "")) for c in a.get("citations") or []}
    refused = kind in ("not_covered", "out_of_scope")
    return [int(bool(q.get("must_contain")) and all(norm(s) in text for s in q["must_contain"])),
            int(kind == "answered" and bool(q.get("sources")) and bool(urls & {url_tail(u) for u in q["sources"]})),
            int(bool(q.get("expect_refusal")) and refused),
            int(not q.get("expect_refusal") and not q.get("expect_pii_warning") and refused),
            len(a.get("text", "")) if kind == "answered" else -1]


def summary(rows: list[list[int]]) -> str:
    t = np.sum([r[:4] for r in rows], axis=0)
    lengths = [r[4] for r in rows if r[4] >= 0]
    return (f"must {t[0]}, cite {t[1]}, declines {t[2]}, wrong declines {t[3]}, "
            f"median length {statistics.median(lengths):.0f}")


def held_out(table: list, ids: list[str], folds: int, seed: int) -> tuple[list[list[int]], list[str]]:
    order = np.random.default_rng(seed).permutation(len(ids))
    rows, chosen = [], []
    for f in range(folds):
        test = [ids[i] for i in order[f::folds]]
        train = [i for i in ids if i not in set(test)]
        best = max(range(len(table)), key=lambda j: key(np.sum([table[j][1][i][:4] for i in train], axis=0), j == 0))
        chosen.append(table[best][0])
        rows += [table[best][1][i] for i in test]
    return rows, chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", nargs="+", required=True)
    parser.add_argument("--alone", action="store_true", help="vary one setting at a time from the first values")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED])
    parser.add_argument("--show", nargs="*", default=[], help="question ids whose answers to print per setting")
    parser.add_argument("--save", type=Path, help="write every setting's answers here (JSON)")
    args = parser.parse_args()
    items = [q for q in map(json.loads, (l for l in BANK.read_text().splitlines() if l.strip()))
             if q.get("split") == "dev"]
    try:
        settings = settings_grid(args.grid, args.alone)
    except ValueError as error:
        parser.error(str(error))
    table, saved = [], {}
    for env in settings:
        label = " ".join(f"{k}={v}" for k, v in env.items())
        got = answers_under(items, env)
        saved[label] = got
        table.append((label, {q["id"]: counted(q, got[q["id"]]) for q in items}))
        print(f"{label}: {summary(list(table[-1][1].values()))}", flush=True)
        for qid in args.show:
            print(f"  --- {qid}:\n{got[qid].get('text', '')}\n")
    if args.save:
        args.save.write_text(json.dumps(saved))
    ids = [q["id"] for q in items]
    for seed in args.seeds:
        rows, chosen = held_out(table, ids, args.folds, seed)
        print(f"CV seed {seed} (held-out, {args.folds} folds): {summary(rows)}; chosen: {' | '.join(chosen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
