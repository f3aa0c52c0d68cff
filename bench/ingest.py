"""Ingest benchmark (a script, not a test): `python bench/ingest.py [--docs N] [--skip-corpus]`.

For the shipped corpus (knowledge/) and a synthetic corpus of N small Markdown documents (one chunk
each), in one process with one loaded model, on a temporary data dir:
- raw embedding throughput of the model on exactly the texts ingest embeds (each chunk, its answer units and its
  section questions, recorded during the first build and embedded again in the same batches);
- a first build (chunks/s) and a no-change re-run (seconds);
- the ratios first-build / raw-embedding (target <= 1.5) and no-change / first-build (target < 2%).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.index.embedder import Embedder, load_embedder  # noqa: E402
from bot.index import Index, embedding_text  # noqa: E402
from bot.settings import Settings  # noqa: E402
from ingest.chunking import chunk_document  # noqa: E402
from ingest.loaders import discover, load_file  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402

TOPICS = ["redaction", "proxy access", "test results", "the 104 code", "coercion", "historic records",
          "EMIS Web settings", "SystmOne privacy", "third-party information", "safeguarding reviews"]


def synthetic_corpus(root: Path, n: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        (root / f"doc-{i:05d}.md").write_text(
            f"---\ntitle: \"Synthetic guide {i} on {topic}\"\npublisher: [NHS England]\n"
            f"source_urls: [https://example.org/guide/{i}]\nsource_dates: ['2024-0{1 + i % 9}-01']\n"
            f"last_reviewed: 2026-01-01\ntopics: [synthetic]\nclinical_systems: [any]\n---\n"
            f"# Synthetic guide {i} on {topic}\n\n"
            f"Guide {i} explains how a GP practice handles {topic} when patients use online access to their "
            f"record. Staff check entry {i} carefully before release, record the decision, and tell the patient "
            f"what they will see. Practice {i % 97} reviews the guidance every year.\n"
        )


class TimedEmbedder:
    """The same model, timing every embed call (to split a build into embedding and everything else) and keeping
    what it was asked to embed (the chunks, their answer units and their section questions), so that raw embedding
    is timed on exactly those texts in the same batches."""

    def __init__(self, inner: Embedder):
        self.inner, self.seconds = inner, 0.0
        self.fingerprint = inner.fingerprint
        self.calls: list[tuple[list[str], int]] = []

    def embed(self, texts, batch_size: int = 32):
        self.calls.append((list(texts), batch_size))
        t = time.perf_counter()
        try:
            return self.inner.embed(texts, batch_size=batch_size)
        finally:
            self.seconds += time.perf_counter() - t

    def embed_query(self, text):
        return self.inner.embed_query(text)


def raw_embedding(embedder: Embedder, calls: list[tuple[list[str], int]]) -> float:
    t = time.perf_counter()
    for texts, batch_size in calls:
        embedder.embed(texts, batch_size=batch_size)
    return time.perf_counter() - t


def bench(name: str, corpus: Path, embedder: Embedder) -> dict:
    texts = [embedding_text(c) for p in discover(corpus) for c in chunk_document(load_file(p))]
    embedder.embed(texts[:32])  # warm-up
    timed = TimedEmbedder(embedder)
    with tempfile.TemporaryDirectory(prefix="gpbot-bench-") as tmp:
        settings = Settings(_env_file=None, gpbot_data_dir=Path(tmp), gpbot_knowledge_dir=corpus)
        index = Index(settings, embedder=timed)
        t = time.perf_counter()
        first = run_ingest(settings, [str(corpus)], index=index, progress=False)
        build = time.perf_counter() - t
        # The machine is shared: raw embedding of what the build embedded is timed just after the build and just
        # after the re-runs, and the mean used.
        calls = list(timed.calls)  # what the first build embedded (a re-run may embed a little more)
        raw_before = raw_embedding(embedder, calls)
        t = time.perf_counter()
        again = run_ingest(settings, [str(corpus)], index=index, progress=False)
        rerun = time.perf_counter() - t
        fresh = Index(settings, embedder=embedder)  # a new process would start like this
        t = time.perf_counter()
        run_ingest(settings, [str(corpus)], index=fresh, progress=False)
        rerun_fresh = time.perf_counter() - t
        raw_after = raw_embedding(embedder, calls)
    embedded = sum(len(texts) for texts, _ in calls)
    assert first.chunks == len(texts) and not again.added and not again.updated, (first, again)
    raw = (raw_before + raw_after) / 2
    docs = len(first.added)
    print(f"\n== {name}: {docs} documents, {len(texts)} chunks")
    print(f"raw embedding        {raw:8.2f} s   {embedded / raw:7.1f} texts/s   of the {embedded} texts the build "
          f"embedded: chunks, answer units, section questions (after the build {raw_before:.2f} s, after the "
          f"re-runs {raw_after:.2f} s)")
    print(f"first build          {build:8.2f} s   {len(texts) / build:7.1f} chunks/s   "
          f"(of which embedding {timed.seconds:.2f} s, everything else {build - timed.seconds:.2f} s)")
    print(f"no-change re-run     {rerun:8.2f} s   (fresh Index object: {rerun_fresh:.2f} s)")
    print(f"first build / raw embedding   {build / raw:6.2f}x   (target <= 1.5x)")
    print(f"no-change / first build       {100 * rerun / build:6.2f}%   (target < 2%)"
          f"   fresh Index: {100 * rerun_fresh / build:.2f}%")
    return {"raw": raw, "build": build, "rerun": rerun}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000, help="synthetic documents (default 2000)")
    parser.add_argument("--skip-corpus", action="store_true", help="only the synthetic corpus")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    embedder = load_embedder(Settings(_env_file=None))
    t = time.perf_counter()
    embedder.embed(["warm up"])
    print(f"model load {time.perf_counter() - t:.1f} s; CPU threads: {os.cpu_count()}")
    if not args.skip_corpus:
        bench("shipped corpus (knowledge/)", ROOT / "knowledge", embedder)
    with tempfile.TemporaryDirectory(prefix="gpbot-synth-") as tmp:
        corpus = Path(tmp) / "corpus"
        synthetic_corpus(corpus, args.docs)
        bench(f"synthetic corpus ({args.docs} docs)", corpus, embedder)


if __name__ == "__main__":
    main()
