"""How close Chroma's HNSW search comes to an exact one, per ef_search, on an existing index.

For each question (the bench questions, or a JSONL file's `question` fields) it embeds the question as the bot does
(plain and through the query adapter), asks the passages and the section questions collections for the k nearest,
and compares with an exact cosine search over the same stored vectors:
- recall@k: the share of the exact k nearest that the search returned;
- top-1: the share of questions whose best similarity equals the exact best (ties count as a match);
- the time per query (one batched call over all the questions, divided by their number).

An embedded index under Chroma's sync_threshold rebuilds its graph in each process, so each ef_search runs in
several fresh processes (--processes) on a copy of the index; the worst process is what a restart can get.

Usage: .venv/bin/python bench/search_recall.py [--data-dir data] [--questions FILE.jsonl] [--ef 100 400] [--k 30]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import QUESTIONS, ROOT

COLLECTIONS = ("gpbot_chunks", "gpbot_questions")


def question_vectors(data_dir: Path, questions: list[str], out: Path) -> None:
    from bot.pipeline import build_assistant, embed
    from bot.settings import Settings

    assistant = build_assistant(Settings(_env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=ROOT / "knowledge"))
    plain, adapted = [], []
    for question in questions:
        _, query = assistant.prepare(question)
        vector = embed(query, assistant.index.embedder)
        plain.append(vector)
        moved = assistant.index.adapted_query(vector)  # None: the index has no query adapter
        adapted.append(vector if moved is None else moved)
    np.savez(out, plain=np.stack(plain), adapted=np.stack(adapted))


def measure(chroma_dir: Path, vectors: Path, ef_search: int, k: int) -> dict:
    """One process: set ef_search, then compare each collection's search with the exact one."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(chroma_dir), settings=ChromaSettings(anonymized_telemetry=False))
    saved = np.load(vectors)
    result = {}
    for name in COLLECTIONS:
        collection = client.get_collection(name)
        collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
        stored = collection.get(include=["embeddings"])
        ids = np.array(stored["ids"])
        matrix = np.asarray(stored["embeddings"], dtype=np.float32)
        for kind in ("plain", "adapted"):
            queries = saved[kind]
            exact = queries @ matrix.T
            depth = min(k, len(ids))
            exact_top = np.argsort(-exact, axis=1)[:, :depth]
            started = time.perf_counter()
            got = collection.query(query_embeddings=queries.tolist(), n_results=depth, include=["distances"])
            per_query_ms = (time.perf_counter() - started) * 1000 / len(queries)
            recall = np.mean([len(set(ids[row]) & set(found)) / depth for row, found in zip(exact_top, got["ids"])])
            top1 = np.mean([abs((1 - distances[0]) - scores.max()) < 1e-5
                            for distances, scores in zip(got["distances"], exact)])
            result[f"{name.removeprefix('gpbot_')} ({len(ids)}), {kind}"] = (float(recall), float(top1), per_query_ms)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--questions", type=Path, default=None)
    parser.add_argument("--ef", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--k", type=int, default=30)
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)  # chroma dir, vectors, ef, k: one child run
    args = parser.parse_args()
    if args.measure:
        chroma_dir, vectors, ef_search, k = args.measure
        print(json.dumps(measure(Path(chroma_dir), Path(vectors), int(ef_search), int(k))))
        return

    questions = (QUESTIONS if args.questions is None else
                 [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()])
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        vectors = tmp / "vectors.npz"
        question_vectors(args.data_dir, questions, vectors)
        print(f"{len(questions)} questions, k={args.k}, {args.processes} processes per ef_search; "
              "worst process's recall@k / top-1 (mean over processes in brackets), median ms per query")
        for ef_search in args.ef:
            runs = []
            for _ in range(args.processes):
                copy = tmp / "chroma"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(args.data_dir / "chroma", copy)
                child = subprocess.run([sys.executable, __file__, "--measure", str(copy), str(vectors),
                                        str(ef_search), str(args.k)], capture_output=True, text=True, check=True)
                runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
            cells = []
            for key in runs[0]:
                recalls = [run[key][0] for run in runs]
                tops = [run[key][1] for run in runs]
                cells.append(f"{key}: {min(recalls):.4f} / {min(tops):.4f} "
                             f"({np.mean(recalls):.4f} / {np.mean(tops):.4f}), "
                             f"{np.median([run[key][2] for run in runs]):.2f} ms")
            print(f"ef_search {ef_search:>4}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
