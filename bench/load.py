"""Load: 200 signed mentions, 20 in flight at a time, against one bot and the local Slack Web API emulator.

The bot is what `gpbot serve --http` runs (`build_services` + `build_app` + `BotHttpServer`), in this
process and bound to 127.0.0.1, answering from an index of the shipped corpus (knowledge/, built into a
temp data dir first unless --data-dir points at one) with the default SQLite review store. Each request
is signed as Slack signs it. Reply latency runs from sending the event to the emulator receiving the
chat.postMessage in that event's thread (one clock: this process). Exits 1 unless every mention is
answered exactly once.

Usage: .venv/bin/python bench/load.py [--mentions 200] [--concurrency 20] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "slack"))
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)  # slack_sdk ignores NO_PROXY: nothing may leave 127.0.0.1

from common import QUESTIONS, percentile  # noqa: E402
from slack_emulator import BOT_TOKEN, BOT_USER_ID, SIGNING_SECRET, SlackEmulator, event_callback, post_signed  # noqa: E402



def build_index(data_dir: Path) -> int:
    from bot.index import Index
    from bot.settings import Settings
    from ingest.pipeline import run_ingest

    settings = Settings(_env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=ROOT / "knowledge")
    summary = run_ingest(settings, [str(ROOT / "knowledge")], index=Index(settings), progress=False)
    return summary.chunks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None, help="an existing data dir with an index of knowledge/")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for any one reply")
    args = parser.parse_args()

    from pydantic import SecretStr

    from bot.settings import Settings
    from bot.slack.app import build_app
    from bot.slack.client import make_client
    from bot.slack.cli import build_services
    from bot.slack.server import BotHttpServer

    tmp = tempfile.TemporaryDirectory(prefix="gpbot-load-")
    data_dir = args.data_dir or Path(tmp.name) / "data"
    started = time.perf_counter()
    if args.data_dir is None:
        chunks = build_index(data_dir)
        print(f"index: built {chunks} chunks from knowledge/ in {time.perf_counter() - started:.1f} s", flush=True)

    api = SlackEmulator().start()
    settings = Settings(
        _env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=ROOT / "knowledge",
        slack_bot_token=SecretStr(BOT_TOKEN), slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=api.base_url, log_level="WARNING",
    )
    services = build_services(settings)  # what `gpbot serve` builds: warmed-up assistant + review store
    app = build_app(services, client=make_client(settings, services.metrics))
    server = BotHttpServer(services, app, host="127.0.0.1", port=0)
    port = server.start()
    url = f"http://127.0.0.1:{port}/slack/events"
    chunks = services.assistant.index.count()

    acks: list[float] = []
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        channel, ts = f"C0LOAD{i % 10:02d}", f"1760000000.{i:06d}"
        event = {"type": "app_mention", "user": f"U0LOAD{i % 7}", "text": f"<@{BOT_USER_ID}> {QUESTIONS[i % len(QUESTIONS)]}",
                 "ts": ts, "channel": channel, "event_ts": ts, "channel_type": "channel"}
        import json

        body = json.dumps(event_callback(event, event_id=f"EvLOAD{i:06d}"))
        sent = time.monotonic()
        status, _, _ = post_signed(url, body, SIGNING_SECRET)
        acked = time.monotonic()
        if status != 200:
            with lock:
                failures.append(f"{ts}: HTTP {status}")
            return
        deadline = sent + args.timeout
        while time.monotonic() < deadline:
            calls = api.calls_to("chat.postMessage", lambda c: c.params.get("channel") == channel
                                 and c.params.get("thread_ts") == ts)
            if calls:
                with lock:
                    acks.append((acked - sent) * 1000)
                    latencies.append((calls[0].time - sent) * 1000)
                return
            time.sleep(0.01)
        with lock:
            failures.append(f"{ts}: no reply within {args.timeout:g} s")

    # warm the HTTP path and Bolt's auth.test once (not measured)
    one(10**6 - 1)
    api.reset()
    latencies.clear()
    acks.clear()

    wall = time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(one, range(args.mentions)))
    wall = time.monotonic() - wall
    api.settle(quiet=1.0, timeout=30)

    per_thread = Counter((c.params.get("channel"), c.params.get("thread_ts")) for c in api.calls_to("chat.postMessage"))
    doubled = {k: n for k, n in per_thread.items() if n > 1}
    answered_once = sum(1 for n in per_thread.values() if n == 1)
    server.stop()
    services.close()
    if services.review is not None:
        services.review.close()
    api.stop()

    print(f"machine: {os.cpu_count()} cores; index: {chunks} chunks (knowledge/); review store: SQLite")
    print(f"mentions: {args.mentions} at {args.concurrency} concurrent, one replica, signed, local Slack emulator")
    print(f"answered exactly once: {answered_once}/{args.mentions}; answered twice or more: {len(doubled)}; "
          f"failed: {len(failures)}")
    if latencies:
        print(f"reply latency ms: p50 {statistics.median(latencies):.0f}  p95 {percentile(latencies, 0.95):.0f}  "
              f"max {max(latencies):.0f}")
        print(f"ack latency ms:   p50 {statistics.median(acks):.0f}  p95 {percentile(acks, 0.95):.0f}  "
              f"max {max(acks):.0f}")
    print(f"throughput: {len(latencies) / wall:.1f} answers/s ({wall:.1f} s wall)")
    for failure in failures[:10]:
        print("  failed:", failure)
    tmp.cleanup()
    ok = answered_once == args.mentions and not doubled and not failures
    print("OK" if ok else "FAILED: not every mention was answered exactly once")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
