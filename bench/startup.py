"""Start-up benchmark (a script, not a test): `python bench/startup.py [--runs 5] [--data-dir DIR]`.

Each figure sits beside a yardstick timed in the same run, round-robin with it so both see the same load
on a shared machine: `python -c "import torch"`, a fresh process that only imports torch.

- cold `gpbot ask "…"`: a new process, from exec to exit with the answer printed (median wall time), and
  its peak RSS (the child's ru_maxrss), with EMBEDDER=onnx and EMBEDDER=torch (what every process did before);
- `gpbot serve --http` to its first 200 from /readyz (median), and the server's peak RSS then, against the
  local Slack Web API emulator of tests/slack (nothing leaves 127.0.0.1);
- `gpbot --help` (median), which must import none of torch, sentence-transformers, chromadb;
- embedding throughput, chunks/s, of the ONNX and the torch embedder on the same texts (every chunk of
  knowledge/, as ingest embeds them, batch 32 for both: torch is sentence-transformers' own `encode` with its
  defaults, the baseline before issue 14), in this process, alternating torch and ONNX each round; it prints
  each round, the medians, and the median of the rounds' ONNX/torch ratios (the figure that survives a busy
  machine best), and the lowest cosine between the two embedders' vectors. `--throughput-only` skips the rest.

Targets (issue 14): ask and serve-ready within 1.5x the yardstick; peak RSS while answering <= 350 MB;
ONNX throughput >= 2x torch's. DIR must hold an index (`gpbot ingest`); without --data-dir one is built
in a temporary folder first (minutes on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "slack"))
BIN = Path(sys.executable).parent
GPBOT = str(BIN / "gpbot")
QUESTION = "how do I switch on prospective access in SystmOne?"


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HTTP", "http", "ALL_PROXY"))}
    env.update(PYTHONPATH=str(ROOT), GPBOT_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def run_with_rss(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds from start to exit, the child's own peak RSS in MB via wait4, stdout) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {err.decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out.decode()


def yardstick(env: dict[str, str]) -> float:
    return run_with_rss([sys.executable, "-c", "import torch"], env)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_ready(env: dict[str, str], api_url: str, timeout: float = 180.0) -> tuple[float, float, bool]:
    """Seconds from starting `gpbot serve --http` to a 200 from /readyz, the server's peak RSS (MB) then, and
    whether it had loaded torch's shared library (it should not have)."""
    from slack_emulator import BOT_TOKEN, SIGNING_SECRET

    port = free_port()
    env = dict(env, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api_url)
    start = time.perf_counter()
    proc = subprocess.Popen([GPBOT, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        seconds = time.perf_counter() - start
                        break
            except OSError:
                pass
            time.sleep(0.02)
        else:
            raise SystemExit("serve did not become ready")
        status = Path(f"/proc/{proc.pid}/status").read_text()
        peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024
        return seconds, peak, "libtorch" in Path(f"/proc/{proc.pid}/maps").read_text()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def help_imports(env: dict[str, str]) -> list[str]:
    code = ("import sys\nfrom bot.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('HEAVY', [m for m in ('torch', 'sentence_transformers', 'chromadb') if m in sys.modules])")
    out = run_with_rss([sys.executable, "-c", code], env)[2]
    return json.loads(out.rsplit("HEAVY", 1)[1].strip().replace("'", '"'))


def corpus_texts() -> list[str]:
    from bot.index import embedding_text
    from ingest.chunking import chunk_document
    from ingest.loaders import discover, load_file

    return [embedding_text(c) for path in discover(ROOT / "knowledge") for c in chunk_document(load_file(path))]


def throughput(embedder, texts: list[str]) -> float:
    start = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - start)


def compare_throughput(embedders: dict, texts: list[str], rounds: int) -> dict[str, list[float]]:
    """Chunks/s of each embedder, `rounds` times, alternating so each round sees the same machine load."""
    for embedder in embedders.values():
        embedder.embed(texts)  # load every session and warm up
    rates: dict[str, list[float]] = {name: [] for name in embedders}
    for run in range(rounds):
        for name, embedder in embedders.items():
            rates[name].append(throughput(embedder, texts))
        print(f"throughput round {run + 1}/{rounds}: " + ", ".join(f"{n} {r[-1]:.1f}/s" for n, r in rates.items()),
              flush=True)
    return rates


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ensure_index(data_dir: Path | None, tmp: Path) -> Path:
    if data_dir is not None:
        return data_dir
    data_dir = tmp / "data"
    print("building an index of knowledge/ in a temporary folder…", flush=True)
    subprocess.run([GPBOT, "ingest", "--json"], env=base_env(data_dir), cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (medians are printed)")
    parser.add_argument("--data-dir", type=Path, help="a data dir holding an index (default: build one)")
    parser.add_argument("--skip-torch", action="store_true", help="leave out the EMBEDDER=torch measurements")
    parser.add_argument("--throughput-only", action="store_true", help="only the embedding throughput comparison")
    args = parser.parse_args()

    from bot.index.embedder import TorchEmbedder, load_embedder
    from bot.settings import Settings
    from slack_emulator import SlackEmulator

    with tempfile.TemporaryDirectory(prefix="gpbot-startup-") as tmp:
        figures: dict[str, list[float]] = {}
        serve_loaded_torch = False
        data_dir = None if args.throughput_only else ensure_index(args.data_dir, Path(tmp))
        env = base_env(data_dir) if data_dir else {}
        heavy = help_imports(env) if data_dir else []
        api = SlackEmulator().start()
        try:
            for run in range(0 if args.throughput_only else args.runs):
                row = {"yardstick import torch": yardstick(env)}
                seconds, rss, answer = run_with_rss([GPBOT, "ask", QUESTION], dict(env, EMBEDDER="onnx"))
                row["ask onnx"], row["ask onnx RSS"] = seconds, rss
                if not args.skip_torch:
                    seconds, rss, _ = run_with_rss([GPBOT, "ask", QUESTION], dict(env, EMBEDDER="torch"))
                    row["ask torch"], row["ask torch RSS"] = seconds, rss
                row["serve ready onnx"], row["serve onnx RSS"], torch_loaded = serve_ready(
                    dict(env, EMBEDDER="onnx"), api.base_url)
                serve_loaded_torch = serve_loaded_torch or torch_loaded
                row["gpbot --help"] = run_with_rss([GPBOT, "--help"], env)[0]
                row["yardstick import torch (2)"] = yardstick(env)
                for key, value in row.items():
                    figures.setdefault(key, []).append(value)
                print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()), flush=True)
        finally:
            api.stop()

        texts = corpus_texts()
        onnx = load_embedder(Settings(_env_file=None, embedder="onnx"))
        embedders = {"onnx": onnx} if args.skip_torch else {"torch": TorchEmbedder(), "onnx": onnx}
        rates = compare_throughput(embedders, texts, max(1, args.runs))
        cosine = None if args.skip_torch else float(
            (embedders["onnx"].embed(texts) * embedders["torch"].embed(texts)).sum(axis=1).min())

    if figures:
        print_start_up(figures, args.runs, data_dir, heavy, serve_loaded_torch)
    print(f"\n== embedding throughput on {len(texts)} chunks of knowledge/, {max(1, args.runs)} rounds "
          f"({onnx.fingerprint}, {type(onnx).__name__})")
    print(f"onnx   {median(rates['onnx']):7.1f} chunks/s (median)")
    if "torch" in rates:
        ratios = [o / t for o, t in zip(rates["onnx"], rates["torch"])]
        print(f"torch  {median(rates['torch']):7.1f} chunks/s (median)")
        print(f"onnx/torch: {median(rates['onnx']) / median(rates['torch']):.2f}x of the medians, {median(ratios):.2f}x "
              f"median of the rounds' ratios ({min(ratios):.2f}-{max(ratios):.2f})   (target >= 2x)")
        print(f"lowest cosine between the two embedders' vectors: {cosine:.6f}")


def print_start_up(figures: dict[str, list[float]], runs: int, data_dir, heavy: list[str], serve_loaded_torch: bool) -> None:
    stick = median(figures["yardstick import torch"] + figures["yardstick import torch (2)"])
    print(f"\n== start-up, medians of {runs} runs; answers from {data_dir}")
    print(f"yardstick: python -c 'import torch'   {stick:6.2f} s")
    for key in ("ask onnx", "ask torch", "serve ready onnx", "gpbot --help"):
        if key in figures:
            value = median(figures[key])
            target = "   (target <= 1.5x)" if key in ("ask onnx", "serve ready onnx") else ""
            print(f"{key:<36} {value:6.2f} s   {value / stick:5.2f}x yardstick{target}")
    for key in ("ask onnx RSS", "ask torch RSS", "serve onnx RSS"):
        if key in figures:
            target = "   (target <= 350 MB while answering)" if key == "ask onnx RSS" else ""
            print(f"peak RSS {key[:-4]:<27} {max(figures[key]):6.0f} MB{target}")
    print(f"gpbot --help imports of torch, sentence_transformers, chromadb: {heavy or 'none'}")
    print(f"serve --http (EMBEDDER=onnx) had torch's library mapped when ready: {'yes' if serve_loaded_torch else 'no'}")


if __name__ == "__main__":
    main()
