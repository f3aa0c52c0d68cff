"""Helpers for the reliability suite (importable: pytest puts tests/reliability on sys.path).

- `PostgresServer`: a throwaway PostgreSQL cluster on 127.0.0.1 (initdb + pg_ctl; as root via runuser).
- `ChromaServer`: `chroma run` on 127.0.0.1 with RUST_LOG=warn and its own data dir.
- `Replica`: `gpbot serve --http --host 127.0.0.1` in a subprocess (the installed console script), its
  stderr captured to a log file the leak scan reads.
- NHS numbers: `valid_nhs_numbers(n)` (Modulus 11), `spellings(number)`, `USED_NHS_NUMBERS` (every
  number any reliability test sends; the leak scan looks for each in every spacing).
- `Artifacts`: every log file, data dir and database the suite produced, for the final leak scan.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SLACK_TESTS = HERE.parent / "slack"
if str(SLACK_TESTS) not in sys.path:
    sys.path.insert(0, str(SLACK_TESTS))

from pg_cluster import PostgresServer, free_port  # noqa: E402,F401  (re-exported for the suite)
from slack_emulator import BOT_TOKEN, SIGNING_SECRET  # noqa: E402
from waiting import wait_until  # noqa: E402

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy for 127.0.0.1

# Environment variables a developer's shell may hold that must not reach a subprocess under test.
_SCRUBBED_PREFIXES = ("SLACK_", "GPBOT_", "CHROMA_", "DATABASE_URL", "REVIEW", "ALLOWED_CHANNEL", "LLM_",
                      "EMBEDDING_MODEL", "RETENTION_DAYS", "LOG_LEVEL")
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy"}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_SCRUBBED_PREFIXES) and k.lower() not in _PROXY_VARS}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               HF_HUB_DISABLE_PROGRESS_BARS="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def http_get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with _opener.open(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", errors="replace")


# ------------------------------------------------------------------ PostgreSQL: see tests/pg_cluster.py
# ------------------------------------------------------------------ Chroma
class ChromaServer:
    def __init__(self, root: Path, name: str = "chroma"):
        self.path = root / f"{name}-data"
        self.log = root / f"{name}.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "ChromaServer":
        chroma = Path(sys.executable).parent / "chroma"
        if not chroma.exists():
            found = shutil.which("chroma")
            if not found:
                raise RuntimeError("the `chroma` CLI (chromadb) is not installed: cannot start a Chroma server")
            chroma = Path(found)
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=clean_env(RUST_LOG="warn"), start_new_session=True,
            )

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                status, _ = http_get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2)
                return status == 200
            except OSError:
                return False

        wait_until(up, timeout, 0.2, "the Chroma server")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


# ------------------------------------------------------------------ gpbot serve --http
@dataclass
class Replica:
    name: str
    port: int
    log: Path
    data_dir: Path
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def healthz(self) -> int:
        try:
            return http_get(self.url + "/healthz", timeout=5)[0]
        except OSError:
            return 0

    def ready(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"replica {self.name} exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            return http_get(self.url + "/readyz", timeout=5)[0] == 200
        except OSError:
            return False

    def metrics(self) -> str:
        status, body = http_get(self.url + "/metrics", timeout=10)
        assert status == 200, status
        return body

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_replica(name: str, root: Path, env: dict[str, str]) -> Replica:
    """`gpbot serve --http --port N` (the real CLI) with the given environment; returns at once."""
    port = free_port()
    data_dir = root / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = root / f"{name}.log"
    env = {**env, "GPBOT_DATA_DIR": str(data_dir)}
    gpbot = Path(sys.executable).parent / "gpbot"  # the installed console script, as in the image
    cmd = [str(gpbot) if gpbot.exists() else shutil.which("gpbot") or "gpbot",
           "serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "ab") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=str(root),
                                start_new_session=True)
    return Replica(name, port, log, data_dir, proc)


# ------------------------------------------------------------------ NHS numbers
def nhs_check_digit(nine: str) -> int | None:
    total = sum(int(c) * w for c, w in zip(nine, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def valid_nhs_numbers(count: int, start: int = 999_000_100) -> list[str]:
    """`count` valid NHS numbers in the 999 test range (never issued to a patient)."""
    out: list[str] = []
    n = start
    while len(out) < count:
        nine = f"{n:09d}"
        check = nhs_check_digit(nine)
        if check is not None:
            out.append(nine + str(check))
        n += 7
    return out


def spellings(number: str) -> list[str]:
    d = number
    groups = (d[:3], d[3:6], d[6:])
    return [d, " ".join(groups), "-".join(groups), "\u00a0".join(groups), f"{d[:3]} {d[3:]}", f"{d[:6]} {d[6:]}"]


USED_NHS_NUMBERS: set[str] = set()


def use_nhs_numbers(count: int, start: int) -> list[str]:
    numbers = valid_nhs_numbers(count, start)
    USED_NHS_NUMBERS.update(numbers)
    return numbers


def number_pattern(number: str) -> re.Pattern[bytes]:
    """The number's digits with up to two separator characters (any non-digit) between each: every spacing."""
    return re.compile(rb"(?<![0-9])" + rb"[^0-9]{0,2}".join(re.escape(c.encode()) for c in number) + rb"(?![0-9])")


# ------------------------------------------------------------------ the leak scan
@dataclass
class Artifacts:
    files: list[Path] = field(default_factory=list)  # single files (logs, SQLite databases)
    dirs: list[Path] = field(default_factory=list)  # scanned recursively (data dirs, Chroma dirs)
    postgres: list[PostgresServer] = field(default_factory=list)

    def add_file(self, path: Path) -> None:
        self.files.append(Path(path))

    def add_dir(self, path: Path) -> None:
        self.dirs.append(Path(path))

    def every_file(self) -> list[Path]:
        seen: dict[Path, None] = {}
        for f in self.files:
            if f.is_file():
                seen[f] = None
        for d in self.dirs:
            if d.is_dir():
                for f in d.rglob("*"):
                    if f.is_file():
                        seen[f] = None
        return list(seen)


def leak_patterns(secrets: dict[str, str]) -> dict[str, re.Pattern[bytes]]:
    patterns = {f"NHS number {n}": number_pattern(n) for n in sorted(USED_NHS_NUMBERS)}
    for label, value in secrets.items():
        patterns[label] = re.compile(re.escape(value.encode()))
    return patterns


def scan_bytes(data: bytes, patterns: dict[str, re.Pattern[bytes]]) -> list[str]:
    return [label for label, pattern in patterns.items() if pattern.search(data)]


def default_secrets() -> dict[str, str]:
    return {"the bot token": BOT_TOKEN, "the signing secret": SIGNING_SECRET}


def jsonify(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


# ------------------------------------------------------------------ Slack requests
from slack_emulator import BOT_USER_ID  # noqa: E402
from slack_requests import post_signed  # noqa: E402

QUESTIONS = [
    "How do I switch on prospective access in SystmOne?",
    "What does the 104 code do?",
    "How do I undo a 104 code?",
    "When does EMIS read the enhanced review codes?",
    "Do we need a DPIA for online record access?",
    "What should we do if a patient is being coerced into sharing their record?",
    "Can parents get proxy access to a child's record?",
    "Are documents filed in Docman visible online?",
]


def mention_event(text: str, *, channel: str, ts: str, user: str = "U0USER", thread_ts: str | None = None) -> dict:
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
             "channel": channel, "event_ts": ts, "channel_type": "channel"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def send_event(url: str, payload, *, retry_num: int | None = None, headers: dict | None = None,
               content_type: str = "application/json", secret: str = SIGNING_SECRET,
               timestamp: int | None = None) -> tuple[int, str, dict]:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    extra = dict(headers or {})
    if retry_num:
        extra.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
    return post_signed(url.rstrip("/") + "/slack/events", body, secret, content_type=content_type,
                       timestamp=timestamp, headers=extra)


def replies_in(api, channel: str, thread_ts: str) -> list:
    return api.calls_to("chat.postMessage",
                        lambda c: c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts)


def metric_value(text: str, name: str, labels: dict | None = None) -> float:
    """Sum of the samples called `name` whose labels include `labels` (Prometheus text format)."""
    total = 0.0
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if not match or match.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if labels and any(got.get(k) != v for k, v in labels.items()):
            continue
        total += float(match.group(3))
    return total


def post_oversized(url: str, body: bytes, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, str]:
    """POST a body the server may refuse before reading it (413 on Content-Length): if the server answers
    and closes while the body is still being written, the answer it sent is read anyway."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        try:
            conn.request("POST", parts.path or "/", body=body, headers={**headers, "Content-Length": str(len(body))})
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            resp = conn.getresponse()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return 0, "connection closed without a response"
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()
