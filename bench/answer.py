"""Answer latency: the full pipeline (guard → retrieval → answer), p50/p95, on two indexes, same run.

1. the shipped corpus (knowledge/), built into a temp data dir;
2. a synthetic 100k-chunk index: synthetic texts from the corpus vocabulary and random unit vectors
   (embedding 100k real chunks would take ~45 minutes here), so retrieval and fusion work at scale.

Usage: .venv/bin/python bench/answer.py [--chunks 100000] [--questions FILE.jsonl] [--skip-synthetic]
Prints p50/p95 of repeated runs and, at 100k chunks, the process's peak RSS (build included); no targets
are asserted here (see README for the figures).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import QUESTIONS as DEFAULT_QUESTIONS, percentile  # noqa: E402
from bot.index import Index  # noqa: E402
from bot.pipeline import build_assistant  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.types import Chunk  # noqa: E402
from bot.units import stored_texts  # noqa: E402



def time_questions(assistant, questions, repeats=3):
    for question in questions[:3]:
        assistant.answer(question)  # warm caches
    latencies = []
    for _ in range(repeats):
        for question in questions:
            started = time.perf_counter()
            assistant.answer(question)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def peak_rss_mb() -> float:
    """This process's peak resident set size so far: VmHWM (ru_maxrss would carry the parent's peak over
    into a child started with fork+exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(label, latencies, extra=""):
    print(f"{label:<34} n={len(latencies):<4} p50={statistics.median(latencies):7.1f} ms  "
          f"p95={percentile(latencies, 0.95):7.1f} ms  max={max(latencies):7.1f} ms {extra}")


def load_questions(path: Path | None) -> list[str]:
    if path is None:
        return DEFAULT_QUESTIONS
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]


def build_shipped(tmp: Path, embedder) -> Settings:
    from ingest.pipeline import run_ingest

    settings = Settings(_env_file=None, gpbot_data_dir=tmp / "shipped", gpbot_knowledge_dir=ROOT / "knowledge")
    run_ingest(settings, [str(ROOT / "knowledge")], index=Index(settings, embedder=embedder), progress=False)
    return settings


def _synthetic_text(rng: random.Random, vocabulary: list[str]) -> str:
    """120 corpus words as 8 sentences, like a real passage (each sentence gets a stored vector)."""
    words = rng.choices(vocabulary, k=120)
    return " ".join(" ".join(words[i : i + 15]).capitalize() + "." for i in range(0, 120, 15))


def build_synthetic(tmp: Path, embedder, n_chunks: int, seed: int = 7) -> Settings:
    settings = Settings(_env_file=None, gpbot_data_dir=tmp / "synthetic", gpbot_knowledge_dir=ROOT / "knowledge")
    index = Index(settings, embedder=embedder)
    vocabulary = sorted({w for p in (ROOT / "knowledge").rglob("*.md") for w in p.read_text().split() if w.isalpha()})
    rng = random.Random(seed)
    vectors_rng = np.random.default_rng(seed)
    batch = 2000
    started = time.perf_counter()
    for start in range(0, n_chunks, batch):
        size = min(batch, n_chunks - start)
        chunks = [
            Chunk(chunk_id=f"syn-{i}", doc_id=f"synthetic/doc-{i // 4}.md", chunk_index=i % 4,
                  text=_synthetic_text(rng, vocabulary), title=f"Synthetic document {i // 4}",
                  heading_path=[f"Synthetic document {i // 4}", "Section"], source_urls=["https://example.org/syn"],
                  clinical_systems=["any"])
            for i in range(start, start + size)
        ]
        vectors = vectors_rng.normal(size=(size, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        # sentence vectors as ingest stores them (one per stored text), random like the chunk vectors
        unit_vectors = []
        for chunk in chunks:
            n = len(stored_texts(chunk))
            units = vectors_rng.normal(size=(n, 384)).astype(np.float32)
            unit_vectors.append(units / np.linalg.norm(units, axis=1, keepdims=True))
        index.upsert_chunks(chunks, vectors, unit_vectors=unit_vectors)
        print(f"  synthetic: {start + size}/{n_chunks} chunks ({time.perf_counter() - started:.0f} s)", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    index.mark_changed()
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--questions", type=Path, default=None)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)  # used by the run itself
    args = parser.parse_args()
    questions = load_questions(args.questions)
    if args.serve is not None:
        serve_only(args.serve, questions)
        return

    from bot.index.embedder import load_embedder

    embedder = load_embedder(Settings(_env_file=None))
    embedder.embed_query("warm up")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shipped = build_shipped(tmp, embedder)
        assistant = build_assistant(shipped, index=Index(shipped, embedder=embedder))
        assistant.warm_up()
        chunks = assistant.index.count()
        report(f"shipped corpus ({chunks} chunks)", time_questions(assistant, questions))
        if args.skip_synthetic:
            return
        t0 = time.perf_counter()
        synthetic = build_synthetic(tmp, embedder, args.chunks)
        print(f"synthetic index built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        big = build_assistant(synthetic, index=Index(synthetic, embedder=embedder))
        big.warm_up()
        report(f"synthetic ({big.index.count()} chunks)", time_questions(big, questions),
               f"peak RSS of this process (both builds included) {peak_rss_mb():.0f} MB")
        # side by side in one run: the shipped corpus again, so machine noise shows in both
        report(f"shipped corpus again ({chunks})", time_questions(assistant, questions))
        # what a bot serving the 100k index holds: a fresh process that opens it and answers
        serve = subprocess.run([sys.executable, __file__, "--serve", str(synthetic.data_dir),
                                *(["--questions", str(args.questions)] if args.questions else [])],
                               capture_output=True, text=True)
        print(serve.stdout.strip() or serve.stderr[-2000:])


def serve_only(data_dir: Path, questions: list[str]) -> None:
    """Open an existing index in this fresh process, answer, and report latency and this process's peak RSS."""
    settings = Settings(_env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=ROOT / "knowledge")
    assistant = build_assistant(settings)
    assistant.warm_up()
    report(f"serving process ({assistant.index.count()} chunks)", time_questions(assistant, questions),
           f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
