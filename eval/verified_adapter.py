#!/usr/bin/env python3
"""Does the review loop teach retrieval? A simulation of the support team approving answers.

    PYTHONPATH=$PWD .venv/bin/python eval/verified_adapter.py [--teach dev fresh fresh2] [--test fresh3 fresh4]
        [--plain]

A verified answer names the cited passage its answer rests on, and the query adapter (bot/index/query_adapter.py)
learns from the active ones beside the section questions. This script copies the index (GPBOT_DATA_DIR, default
./data) into a scratch folder, or with `--plain` builds the plain copy of the corpus (eval/plain_corpus.py: no
section questions, so no adapter to start with), and scores the test sets. Then, as a reviewer would, it approves
the bot's own answer to every teaching question it answered with all its must-contain strings, through
`ReviewService.create_verified` (what the Slack approve button calls), refits the adapter as `gpbot review verified
reindex` does, and scores the test sets again. Verified answers are also given outright to a question that means
the same; the script lists the questions the adapter alone moved apart by whether a verified answer would be given
to them anyway, so what the adapter adds on questions unlike any approved one shows. It never touches a live store:
DATABASE_URL and CHROMA_HOST are dropped and no .env is read.

The teaching and test questions are our own sets and the bank's dev split (never its validation split): a test set
must be one the teaching sets did not come from. Scores are `bot.evaluation`'s (the rules of `gpbot eval`), hybrid
mode. Reads ../shared (an eval script).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "eval"
SETS = {"dev": (SHARED / "question-bank.jsonl", "dev"),
        **{name: (ROOT / "eval" / f"{name}-questions.jsonl", None) for name in ("fresh", "fresh2", "fresh3", "fresh4")}}


def questions(name: str) -> list[dict]:
    from bot.evaluation import load_questions

    path, split = SETS[name]
    return [q for q in load_questions(path) if split is None or q.get("split") == split]


def score(assistant, names: list[str]) -> tuple[dict[str, str], dict[str, bool | None]]:
    """Per set, its summary line; per question id, whether its answer held every must-contain string."""
    from bot.evaluation import score_item, summarize

    lines, must_ok = {}, {}
    for name in names:
        results = [score_item(assistant, item, "hybrid") for item in questions(name)]
        report = summarize(results, "hybrid", categories=False)
        musts = [r.must_ok for r in results if r.must_ok is not None]
        cites = [r.cite_ok for r in results if r.cite_ok is not None]
        lines[name] = (f"must-contain {sum(musts)}/{len(musts)}, citations {sum(cites)}/{len(cites)}, "
                       f"out-of-scope declined {report.refusals_declined}, answerable declined "
                       f"{report.answerable_declined}, safeguarding line {report.safeguarding_line}")
        must_ok.update({f"{name}:{r.id}": r.must_ok for r in results})
    return lines, must_ok


def approve(assistant, review, names: list[str]) -> int:
    """Approve the bot's answer to each teaching question it answered with every must-contain string."""
    from bot.evaluation import normalised
    from bot.types import AnswerKind

    approved = 0
    for name in names:
        for item in questions(name):
            must = item.get("must_contain") or []
            if item.get("expect_refusal") or not must or item.get("history"):
                continue
            answer = assistant.answer(item["question"])
            if answer.kind != AnswerKind.answered or answer.answerer == "verified":
                continue
            if all(normalised(m) in normalised(answer.text) for m in must):
                review.create_verified(answer.question, answer.text, answer.citations, "simulated-reviewer")
                approved += 1
    return approved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teach", nargs="+", default=["dev", "fresh", "fresh2"], choices=sorted(SETS))
    parser.add_argument("--test", nargs="+", default=["fresh3", "fresh4"], choices=sorted(SETS))
    parser.add_argument("--plain", action="store_true", help="start from the plain copy of the corpus")
    args = parser.parse_args()
    if set(args.teach) & set(args.test):
        parser.error("a test set must not be a teaching set")
    for name in ("DATABASE_URL", "CHROMA_HOST"):  # scratch only: never a live review store or index
        os.environ.pop(name, None)
    scratch = Path(tempfile.mkdtemp(prefix="gpbot-verified-adapter-"))
    try:
        data = scratch / "data"
        if args.plain:
            sys.path.insert(0, str(ROOT / "eval"))
            from plain_corpus import ingest, write_plain_corpus

            corpus = scratch / "plain-knowledge"
            write_plain_corpus(corpus)
            ingest(corpus, data)
        else:
            shutil.copytree(Path(os.environ.get("GPBOT_DATA_DIR", "data")), data,
                            ignore=shutil.ignore_patterns("gpbot.db*"))
        os.environ["GPBOT_DATA_DIR"] = str(data)
        from bot.index import Index
        from bot.pipeline import build_assistant
        from bot.review.service import ReviewService
        from bot.settings import Settings

        settings = Settings(_env_file=None)
        index = Index(settings)
        own = list(index.verified_statuses())  # the copy's own verified answers would teach both fits
        for verified_id in own:
            index.delete_verified(verified_id)
        if own:
            index.refit()
        assistant = build_assistant(settings, index=index)
        print("adapter before:", index.derived().adapter is not None)
        before, must_before = score(assistant, args.test)
        review = ReviewService.from_settings(settings, index=index)
        approved = approve(assistant, review, args.teach)
        w_before = index.derived().adapter
        index.refit()  # what `gpbot review verified reindex` does after rewriting them
        w_after = index.derived().adapter
        print(f"approved {approved} answers to {' + '.join(args.teach)}, {len(index.store.verified_pairs()[0])} "
              f"naming their passage; adapter after:", w_after is not None)
        if w_before is not None and w_after is not None:
            print(f"the adapter moved by {float(np.linalg.norm(w_after - w_before)):.3f} (|W| {float(np.linalg.norm(w_before)):.3f})")
        adapter_only, must_adapter = score(build_assistant(settings, index=index), args.test)
        assistant = build_assistant(settings, index=index, verified_lookup=review.get_verified)
        after, _ = score(assistant, args.test)
        served = {f"{name}:{item['id']}" for name in args.test for item in questions(name)
                  if assistant.answer(item["question"], history=item.get("history") or []).answerer == "verified"}
        for name in args.test:
            print(f"{name} before:                       {before[name]}")
            print(f"{name} after, adapter only:          {adapter_only[name]}")
            print(f"{name} after, verified answers given: {after[name]}")
        print(f"a verified answer was given outright to {len(served)} test questions")
        # which questions the adapter alone moved, apart by whether a verified answer would be given to them
        # anyway (a near twin of a teaching question): the rest is what the adapter adds
        for label, keep in (("with a verified answer given", True), ("the rest", False)):
            ids = [i for i in must_before if (i in served) == keep and must_before[i] is not None]
            gained = sorted(i for i in ids if must_adapter[i] and not must_before[i])
            lost = sorted(i for i in ids if must_before[i] and not must_adapter[i])
            print(f"adapter alone, questions {label} ({len(ids)}): gained {len(gained)} {gained}, "
                  f"lost {len(lost)} {lost}")
        review.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
