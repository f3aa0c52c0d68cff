"""Retrieval per mode, with and without the section-question vectors (issue 10, item 3).

For each answerable bank question: are its must-contain strings in the top passage (must@1) / the top five
(must@5), and is one of its source pages among the pages the top five passages record (source@5, URLs
compared by last path segment as score.py does)? Needs a built index (GPBOT_DATA_DIR).

usage (from the checkout, PYTHONPATH=$PWD): .venv/bin/python eval/retrieval_by_mode.py PATH/TO/question-bank.jsonl --split dev
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.evaluation import normalised as norm, url_tail  # noqa: E402
from bot.pipeline import build_assistant  # noqa: E402
from bot.settings import Settings  # noqa: E402






def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    rows = [q for q in rows if q.get("split") == args.split and not q.get("expect_refusal")]
    assistant = build_assistant(Settings())
    assistant.warm_up()
    prepared = []
    for q in rows:
        _, query = assistant.prepare(q["question"], q.get("history") or [])
        prepared.append((q, query, assistant.index.embedder.embed_query(query.retrieval_text)))
    for use_questions in (False, True):
        assistant.retriever.use_questions = use_questions
        for mode in ("bm25", "dense", "hybrid"):
            at1 = at5 = n = sources = n_sources = 0
            for q, query, vector in prepared:
                top = assistant.retriever.retrieve(query, k=5, mode=mode, query_vector=vector).results
                if q.get("must_contain"):
                    n += 1
                    wanted = [norm(s) for s in q["must_contain"]]
                    at1 += bool(top) and all(s in norm(top[0].chunk.text) for s in wanted)
                    at5 += all(s in norm(" ".join(r.chunk.text for r in top)) for s in wanted)
                if q.get("sources"):
                    n_sources += 1
                    pages = {url_tail(u) for r in top for _, urls in r.chunk.line_sources for u in urls}
                    pages |= {url_tail(r.chunk.url) for r in top}
                    sources += bool(pages & {url_tail(u) for u in q["sources"]})
            print(f"{args.split:10s} questions {'on ' if use_questions else 'off'} {mode:6s} must@1 {at1 / n:.2f} "
                  f"must@5 {at5 / n:.2f} source@5 {sources / max(1, n_sources):.2f} (n={n}, {n_sources} with sources)")


if __name__ == "__main__":
    main()
