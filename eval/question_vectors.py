"""How much do the staff-worded section questions (knowledge/questions.yaml) help dense retrieval?

An eval script (it may read the shared eval folder): for every answerable question-bank question with `must_contain` terms,
rank the corpus sections by cosine similarity with all-MiniLM-L6-v2 in two ways and report hit@1/3/5 per split:

- `section`: one vector per section (title, heading and text, as `bot.index.embedding_text` writes it);
- `section+questions`: the section's score is the best of its own vector and its questions' vectors
  (multi-vector retrieval, as issue 10 item 3 describes);
- `mean(section,best q)`: the mean of the section's own score and its best question's score (a section
  whose text and questions both match ranks above one matched by a single question).

A section "hits" when its text contains every `must_contain` term (lower-case, whitespace-normalised, the
rule the shared `eval/score.py` applies to answers), so the figure is a proxy for "the answer's words were
retrievable", independent of the answering code. Only counts are printed, never a bank question.

    PYTHONPATH=$PWD .venv/bin/python eval/question_vectors.py [--bank PATH]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import yaml

from bot.evaluation import normalised as norm  # noqa: E402
from bot.index import Embedder

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"
HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$")
COMMENT = re.compile(r"<!--.*?-->", re.S)
KS = (1, 3, 5)




def sections() -> list[dict]:
    """(document, heading key, embedding text, plain text) for every lead paragraph and ## section."""
    out: list[dict] = []
    for path in sorted(KNOWLEDGE.rglob("*.md")):
        if path.name == "README.md":
            continue
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
        body = COMMENT.sub("", body)
        title, key, buf = "", "", []

        def flush() -> None:
            plain = "\n".join(buf).strip()
            if plain:
                head = ". ".join(p for p in (title, key) if p)
                out.append(
                    {"doc": str(path.relative_to(KNOWLEDGE)), "key": key, "embed": f"{head}.\n{plain}",
                     "plain": norm(f"{title} {key} {plain}")}
                )

        for line in body.splitlines():
            match = HEADING.match(line)
            if match and len(match.group(1)) == 1:
                title = match.group(2)
            elif match:
                flush()
                key, buf = match.group(2), []
            else:
                buf.append(line)
        flush()
    return out


def bank_dir() -> Path:
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "eval" / "question-bank.jsonl").exists():
            return base / "shared" / "eval"
    raise SystemExit("question-bank.jsonl not found; pass --bank")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", type=Path, default=None)
    parser.add_argument("--by-category", action="store_true", help="also print hit@3 per bank category")
    args = parser.parse_args()
    bank_path = args.bank or bank_dir() / "question-bank.jsonl"
    rows = [json.loads(line) for line in bank_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("must_contain") and r.get("category") != "out-of-scope"]

    secs = sections()
    questions = yaml.safe_load((KNOWLEDGE / "questions.yaml").read_text(encoding="utf-8"))
    owner: list[int] = []
    qtexts: list[str] = []
    index = {(s["doc"], s["key"]): i for i, s in enumerate(secs)}
    for doc, by_heading in questions.items():
        for key, qs in by_heading.items():
            if (doc, key) in index:
                for q in qs:
                    owner.append(index[(doc, key)])
                    qtexts.append(q)

    embedder = Embedder()
    sec_vec = embedder.embed([s["embed"] for s in secs])
    q_vec = embedder.embed(qtexts)
    bank_vec = embedder.embed([r["question"] for r in rows])
    owner_arr = np.array(owner)

    print(f"{len(secs)} sections, {len(qtexts)} section questions, {len(rows)} answerable bank questions")
    for split in ("dev", "validation"):
        picked = [i for i, r in enumerate(rows) if r.get("split") == split]
        hits = {mode: {k: 0 for k in KS} for mode in ("section", "section+questions", "mean(section,best q)")}
        answerable = 0
        per_cat: dict[str, list[int]] = {}
        for i in picked:
            terms = [norm(t) for t in rows[i]["must_contain"]]
            good = {j for j, s in enumerate(secs) if all(t in s["plain"] for t in terms)}
            if not good:
                continue
            answerable += 1
            base = sec_vec @ bank_vec[i]
            best_q = np.full_like(base, -1.0)
            np.maximum.at(best_q, owner_arr, q_vec @ bank_vec[i])
            multi = np.maximum(base, best_q)
            mean = (base + np.where(best_q > -1.0, best_q, base)) / 2
            cat = per_cat.setdefault(rows[i].get("category", "?"), [0, 0, 0])
            cat[0] += 1
            cat[1] += bool(good & set(np.argsort(-base)[:3].tolist()))
            cat[2] += bool(good & set(np.argsort(-multi)[:3].tolist()))
            for mode, scores in (("section", base), ("section+questions", multi), ("mean(section,best q)", mean)):
                order = np.argsort(-scores)
                for k in KS:
                    hits[mode][k] += bool(good & set(order[:k].tolist()))
        print(f"{split}: {answerable} questions whose must_contain terms all occur in one section")
        if args.by_category:
            for cat in sorted(per_cat):
                n, base_hits, multi_hits = per_cat[cat]
                print(f"    {cat:<20} n={n:<3} hit@3 section {base_hits}/{n}  section+questions {multi_hits}/{n}")
        for mode, by_k in hits.items():
            figures = "  ".join(f"hit@{k} {by_k[k] / max(answerable, 1):.3f}" for k in KS)
            print(f"  {mode:<21} {figures}")


if __name__ == "__main__":
    main()
