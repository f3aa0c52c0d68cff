"""What the cross-validating eval scripts share (eval/rerank_cv.py, eval/answer_cv.py, eval/query_side_cv.py,
eval/fit_reranker.py, eval/fit_unit_scorer.py): the question bank's dev split, a grid of settings (env vars),
answering through `gpbot ask --jsonl`, counting one answer as ../shared/eval/score.py counts it, the fold
assignment grouped by question, and the held-out choice of a setting.

The held-out method: on the other folds the setting with the most must-contain (then citations, then declines of
must-decline questions, then fewest wrong declines, then the default setting) is chosen and the fold is counted
under it; summed over the folds this is what a re-tuning would give on questions it was not tuned on.
Uses the `dev` split ONLY. Imports `bot.evaluation` (score.py's rules) and `bot.settings`; nothing of the
product imports this.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
from pathlib import Path
from typing import Sequence

import numpy as np

from bot.evaluation import normalised as norm, url_tail  # score.py's rules
from bot.settings import section_of

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT.parent / "shared" / "eval" / "question-bank.jsonl"
SEED = 7  # the fold assignment every figure in eval/reranker_trials.md was first measured with
FOLDS = 5
# the columns of `score_row`; the first four are what `held_out` chooses a setting by, in that order
SCORED = ("must", "cite", "declines", "wrong_declines", "cite_n", "uncited", "too_long")
CHOSEN_BY = 4


def dev_questions(bank: Path = BANK) -> list[dict]:
    """The bank's `dev` questions, in file order."""
    items = [json.loads(line) for line in bank.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in items if q.get("split") == "dev"]


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


def parsed_grid(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, list[dict[str, str]]]:
    """The command line (with --grid and --alone) and the settings of its grid; a name that is no setting ends
    the run with the parser's message."""
    args = parser.parse_args()
    try:
        return args, settings_grid(args.grid, args.alone)
    except ValueError as error:
        parser.error(str(error))


def label_of(env: dict[str, str]) -> str:
    """How a setting of the grid is printed (and keyed in rerank_cv.py's cache): NAME=value ..."""
    return " ".join(f"{k}={v}" for k, v in env.items())


def ask_jsonl(items: list[dict], env: dict[str, str]) -> dict[str, dict]:
    """Every item answered once by `gpbot ask --jsonl` with `env` over this environment, as score.py runs it:
    question id -> the answer's JSON record."""
    feed = "".join(json.dumps({"id": q["id"], "question": q["question"],
                               **({"history": q["history"]} if q.get("history") else {})}) + "\n" for q in items)
    proc = subprocess.run([str(ROOT / ".venv/bin/gpbot"), "ask", "--jsonl"], input=feed, capture_output=True,
                          text=True, env=dict(os.environ, HF_HUB_OFFLINE="1", **env), timeout=900, check=True)
    return {a["id"]: a for a in map(json.loads, (l for l in proc.stdout.splitlines() if l.startswith("{")))}


def score_row(item: dict, answer: dict) -> np.ndarray:
    """One question counted as score.py counts it (columns SCORED): its must-contain strings all in the answer;
    answered citing one of its sources (by URL tail); a must-decline question declined; any other question
    (no identifier warning expected) declined; answered and it has sources (citation precision's denominator);
    answered without an https citation; answered in more than 2500 characters. `answer`: a `gpbot ask --jsonl`
    record (in-process: `bot.cli.jsonl_record`)."""
    raw, kind = answer.get("text", ""), answer.get("kind")
    text, answered = norm(raw), kind == "answered"
    urls = [c.get("url", "") for c in answer.get("citations") or []]
    refused = kind in ("not_covered", "out_of_scope")
    return np.array([
        bool(item.get("must_contain")) and all(norm(s) in text for s in item["must_contain"]),
        answered and bool(item.get("sources")) and bool({url_tail(u) for u in urls}
                                                         & {url_tail(u) for u in item["sources"]}),
        bool(item.get("expect_refusal")) and refused,
        not item.get("expect_refusal") and not item.get("expect_pii_warning") and refused,
        answered and bool(item.get("sources")),
        answered and not any(u.startswith("https://") for u in urls),
        answered and len(raw) > 2500,
    ], dtype=int)


def folds(ids: Sequence[str], seed: int = SEED, n_folds: int = FOLDS) -> list[list[str]]:
    """The questions dealt into `n_folds` folds by a permutation drawn with `seed` (the same assignment in
    every script, so their held-out figures compare)."""
    order = np.random.default_rng(seed).permutation(len(ids))
    return [[ids[i] for i in order[f::n_folds]] for f in range(n_folds)]


def merit(totals: np.ndarray, is_default: bool) -> tuple:
    """What a setting is chosen by: the totals of `score_row`'s first `CHOSEN_BY` columns, then being the default."""
    return (totals[0], totals[1], totals[2], -totals[3], is_default)


def held_out(rows: list[dict[str, np.ndarray]], ids: Sequence[str], seed: int = SEED, n_folds: int = FOLDS,
             defaults: Sequence[bool] | None = None) -> list[tuple[int, list[str]]]:
    """Per fold: the setting (index into `rows`, one dict question id -> counts per setting, `score_row`'s first
    columns first) chosen on the other folds by `merit`, and the fold's question ids. `defaults`: which settings
    count as the default for ties (None: the first setting)."""
    defaults = defaults if defaults is not None else [j == 0 for j in range(len(rows))]
    chosen = []
    for test in folds(ids, seed, n_folds):
        held = set(test)
        train = [i for i in ids if i not in held]
        best = max(range(len(rows)), key=lambda j: merit(
            sum(rows[j][i][:CHOSEN_BY] for i in train), defaults[j]))
        chosen.append((best, test))
    return chosen
