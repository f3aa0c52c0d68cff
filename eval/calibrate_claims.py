"""Calibrate LLM_CLAIM_MIN_SIMILARITY: how similar a language model's sentence must be to the passage it cites.

Pairs are built from the corpus only (knowledge/, chunked as `gpbot ingest` chunks it); no question of the
question bank is used. For every passage and each of its sentences (seeded sample):

  supported    the sentence itself; a shortened form (the part before its first comma, semicolon, dash or
               bracket, kept when it has at least six words); two neighbouring sentences merged into one;
               the sentence with a quarter of its ordinary words left out (seeded). These stand for the
               ways a model restates a passage.
  unsupported  the sentence with a code, number or date altered (each digit +1; month +1);
               a sentence from a passage of another document, chosen at random;
               the sentence of another document most similar to this one (a hard case: documents
               sometimes repeat a fact, so a few of these are in fact supported).

Each pair is checked as the answerer checks it: the claim cites the passage ([1]); its specifics must appear
there (bot.claims.unsupported_specifics); its cosine similarity to the passage's best sentence (both without
quoted labels and code literals, bot.claims.meaning) must reach the threshold. The script prints the similarity distribution per kind and, for each candidate threshold, the
share of supported pairs kept and unsupported pairs rejected, and picks the threshold with the highest
balanced accuracy (mean of the two shares, altered-specific pairs excluded because the specifics check, not
the threshold, rejects them), breaking ties towards the higher threshold.

    PYTHONPATH=$PWD .venv/bin/python eval/calibrate_claims.py [--corpus knowledge] [--per-passage 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.claims import meaning, passage_sentences, unsupported_specifics  # noqa: E402
from bot.specifics import MONTH_NAMES, specifics  # noqa: E402
from bot.index import Embedder  # noqa: E402
from ingest.chunking import chunk_document  # noqa: E402
from ingest.loaders import discover, load_file  # noqa: E402

_STOP = set("a an the of to in on for and or is are be by with at as it that this from can may not".split())


def shortened(sentence: str) -> str | None:
    head = re.split(r"[,;:(–—]| - ", sentence, maxsplit=1)[0].strip()
    return head if head != sentence and len(head.split()) >= 6 else None


def dropout(sentence: str, rng: random.Random) -> str | None:
    words = sentence.split()
    plain = [i for i, w in enumerate(words) if w.lower() not in _STOP and not any(c.isdigit() for c in w)]
    if len(words) < 8 or len(plain) < 4:
        return None
    drop = set(rng.sample(plain, max(1, len(plain) // 4)))
    return " ".join(w for i, w in enumerate(words) if i not in drop)


def altered(sentence: str) -> str | None:
    for month in MONTH_NAMES:
        if re.search(rf"\b{month}\b", sentence):
            return re.sub(rf"\b{month}\b", MONTH_NAMES[(MONTH_NAMES.index(month) + 1) % 12], sentence, count=1)
    match = re.search(r"\d+", sentence)
    if not match:
        return None
    new = "".join(str((int(d) + 1) % 10) for d in match.group(0))
    return sentence[:match.start()] + new + sentence[match.end():]


def build_pairs(corpus: Path, per_passage: int, seed: int):
    rng = random.Random(seed)
    passages = []  # (doc_id, sentences)
    for path in discover(corpus):
        doc = load_file(path)
        for chunk in chunk_document(doc):
            sentences = passage_sentences(chunk.text)
            if sentences:
                passages.append((chunk.doc_id, sentences))
    pairs = []  # (kind, supported, claim, passage index)
    for p, (doc_id, sentences) in enumerate(passages):
        chosen = rng.sample(range(len(sentences)), min(per_passage, len(sentences)))
        for i in chosen:
            sentence = sentences[i]
            pairs.append(("own sentence", True, sentence, p))
            for kind, variant in (("shortened", shortened(sentence)), ("words left out", dropout(sentence, rng)),
                                  ("two merged", f"{sentence.rstrip('.')} and {sentences[i + 1][:1].lower()}"
                                                 f"{sentences[i + 1][1:]}" if i + 1 < len(sentences) else None)):
                if variant:
                    pairs.append((kind, True, variant, p))
            changed = altered(sentence)
            if changed and specifics(changed) != specifics(sentence):
                pairs.append(("altered specific", False, changed, p))
            others = [q for q, (d, _) in enumerate(passages) if d != doc_id]
            q = rng.choice(others)
            pairs.append(("another document", False, rng.choice(passages[q][1]), p))
    return passages, pairs


def main() -> int:
    parser = argparse.ArgumentParser(description="Calibrate LLM_CLAIM_MIN_SIMILARITY on pairs built from the corpus.")
    parser.add_argument("--corpus", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--per-passage", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    passages, pairs = build_pairs(args.corpus, args.per_passage, args.seed)
    embedder = Embedder()
    # embedded as the answerer embeds them: without quoted labels and code literals (bot.claims.meaning)
    passage_vectors = [embedder.embed([meaning(s) for s in sentences]) for _, sentences in passages]
    all_sentences = [(p, s) for p, (_, sentences) in enumerate(passages) for s in sentences]
    all_vectors = np.vstack(passage_vectors)
    # the hard case: for each sampled own sentence, the most similar sentence of another document
    own = [pair for pair in pairs if pair[0] == "own sentence"]
    index_of = {sentence: i for i, (_, sentence) in enumerate(all_sentences)}
    for (_, _, claim, p) in own:
        vector = all_vectors[index_of[claim]]
        similarities = all_vectors @ vector
        for index in np.argsort(-similarities):
            q, sentence = all_sentences[index]
            if passages[q][0] != passages[p][0]:
                pairs.append(("nearest other document", False, sentence, p))
                break
    # claims that are passage sentences reuse their vectors; only the rewritten ones are embedded
    known = {sentence: all_vectors[i] for i, (_, sentence) in enumerate(all_sentences)}
    fresh = list(dict.fromkeys(claim for _, _, claim, _ in pairs if claim not in known))
    known.update(zip(fresh, embedder.embed([meaning(claim) for claim in fresh])))
    claim_vectors = [known[claim] for _, _, claim, _ in pairs]
    rows = []
    for (kind, supported, claim, p), vector in zip(pairs, claim_vectors):
        similarity = float(np.max(passage_vectors[p] @ vector))
        specifics_ok = not unsupported_specifics(claim + " [1]", ["\n".join(passages[p][1])])
        rows.append({"kind": kind, "supported": supported, "similarity": similarity, "specifics_ok": specifics_ok})

    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    summary = {kind: {"pairs": sum(r["kind"] == kind for r in rows),
                      "median_similarity": round(statistics.median(r["similarity"] for r in rows if r["kind"] == kind), 3),
                      "specifics_check_passes": round(sum(r["specifics_ok"] for r in rows if r["kind"] == kind)
                                                      / max(1, sum(r["kind"] == kind for r in rows)), 3)}
               for kind in kinds}
    candidates = [round(t, 2) for t in np.arange(0.30, 0.96, 0.01)]
    table = []
    for t in candidates:
        kept = [r for r in rows if r["supported"]]
        rejected = [r for r in rows if not r["supported"] and r["kind"] != "altered specific"]
        tpr = sum(r["similarity"] >= t and r["specifics_ok"] for r in kept) / len(kept)
        tnr = sum(r["similarity"] < t or not r["specifics_ok"] for r in rejected) / len(rejected)
        per_kind = {kind: round(sum((r["similarity"] >= t and r["specifics_ok"]) == r["supported"]
                                    for r in rows if r["kind"] == kind) / summary[kind]["pairs"], 3) for kind in kinds}
        table.append({"threshold": t, "supported_kept": round(tpr, 3), "unsupported_rejected": round(tnr, 3),
                      "balanced_accuracy": round((tpr + tnr) / 2, 4), "correct_by_kind": per_kind})
    best = max(table, key=lambda row: (row["balanced_accuracy"], row["threshold"]))
    result = {"passages": len(passages), "pairs": len(rows), "kinds": summary, "chosen": best,
              "table": [row for row in table if round(row["threshold"] * 100) % 5 == 0 or row is best]}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{len(passages)} passages, {len(rows)} pairs from {args.corpus}")
    print(f"{'kind':26} {'pairs':>5} {'median sim':>10} {'specifics pass':>14}")
    for kind, info in summary.items():
        print(f"{kind:26} {info['pairs']:>5} {info['median_similarity']:>10} {info['specifics_check_passes']:>14}")
    print(f"\n{'threshold':>9} {'supported kept':>14} {'unsupported rejected':>20} {'balanced':>8}")
    for row in result["table"]:
        mark = "  <- chosen" if row is best else ""
        print(f"{row['threshold']:>9} {row['supported_kept']:>14} {row['unsupported_rejected']:>20} "
              f"{row['balanced_accuracy']:>8}{mark}")
    print("\ncorrect by kind at the chosen threshold:", json.dumps(best["correct_by_kind"]))
    print(f"LLM_CLAIM_MIN_SIMILARITY={best['threshold']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
