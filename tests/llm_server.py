"""A canned OpenAI-compatible chat server on 127.0.0.1, for driving the real langchain-openai client.

    server = CannedLLMServer().start()          # LLM_BASE_URL=server.base_url
    server.script(grounded, Status(429, retry_after=1), Hang(30))   # one behaviour per request, then the default
    server.requests                              # every chat request body received (JSON)
    server.stop()
    with CannedLLMServer() as server: ...        # the same, stopped on leaving the block

A behaviour is a reply (`str`), a function of the passages and question the prompt carried (→ `str`),
`Status(code, retry_after)` or `Hang(seconds)`. The canned answers are built from the prompt's own passages,
so they work with any corpus:

    grounded      the first sentences of passages [1] and [2], cited correctly
    wrong_code    a grounded sentence plus one whose code/number/date was altered, cited to its passage
    uncited       a grounded sentence plus one without a citation
    out_of_range  a grounded sentence plus one citing a passage that was not supplied

Run standalone for `gpbot eval --mode llm`:  python tests/llm_server.py --port 8011  (cycles the four answers).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Union

MODEL = "canned-model"
_PASSAGE = re.compile(r"^\[(\d+)\] \((.*)\)$", re.M)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass
class Status:
    code: int
    retry_after: float | None = None


@dataclass
class Hang:
    seconds: float


Behaviour = Union[str, Callable[[dict, str], str], Status, Hang]


def parse_prompt(text: str) -> tuple[dict[int, str], str]:
    """The numbered passages and the question of a grounding prompt."""
    question = text.rsplit("Question:", 1)[-1].split("\n\n", 1)[0].strip() if "Question:" in text else ""
    body = text.rsplit("Question:", 1)[0]
    marks = list(_PASSAGE.finditer(body))
    passages = {}
    for mark, following in zip(marks, marks[1:] + [None]):
        end = following.start() if following else len(body)
        passages[int(mark.group(1))] = body[mark.end():end].strip()
    return passages, question


def sentences(passage: str) -> list[str]:
    out = []
    for line in passage.splitlines():
        line = re.sub(r"^\s*(?:\d+[.)]|[-*+])\s+", "", line.strip())
        if line and not line.startswith("#"):
            out += [s.strip() for s in _SENTENCE.split(line) if len(s.split()) >= 4]
    return out


def _cited(sentence: str, n: int) -> str:
    return f"{sentence.rstrip('.')} [{n}]."


def grounded(passages: dict, question: str) -> str:
    picked = [(n, sentences(p)[0]) for n, p in sorted(passages.items())[:2] if sentences(p)]
    return " ".join(_cited(s, n) for n, s in picked)


def altered(sentence: str) -> tuple[str, str] | None:
    """The sentence with its first number changed (each digit +1 mod 10), and the new number."""
    match = re.search(r"\d+", sentence)
    if not match:
        return None
    new = "".join(str((int(d) + 1) % 10) for d in match.group(0))
    return sentence[:match.start()] + new + sentence[match.end():], new


def wrong_code(passages: dict, question: str) -> str:
    for n, passage in sorted(passages.items()):
        for sentence in sentences(passage):
            changed = altered(sentence)
            if changed:
                return grounded(passages, question) + " " + _cited(changed[0], n)
    return grounded(passages, question)


def uncited(passages: dict, question: str) -> str:
    return grounded(passages, question) + " You can also ring the helpdesk on a weekday to switch it on."


def out_of_range(passages: dict, question: str) -> str:
    return grounded(passages, question) + f" Practices must also publish a notice [{len(passages) + 4}]."


SCENARIOS = {"grounded": grounded, "wrong_code": wrong_code, "uncited": uncited, "out_of_range": out_of_range}


class CannedLLMServer:
    def __init__(self, default: Behaviour = grounded, *, model: str = MODEL, api_key: str | None = None,
                 port: int = 0):
        self.default = default
        self.model = model
        self.api_key = api_key
        self.port = port
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.replies: list[str] = []
        self._script: list[Behaviour] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def script(self, *behaviours: Behaviour) -> "CannedLLMServer":
        with self._lock:
            self._script.extend(behaviours)
        return self

    def _next(self) -> Behaviour:
        with self._lock:
            return self._script.pop(0) if self._script else self.default

    def start(self) -> "CannedLLMServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _json(self, code: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a hang past its timeout)
                    self.close_connection = True

            def _authorised(self) -> bool:
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    self._json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                               "code": "invalid_api_key"}})
                    return False
                return True

            def do_GET(self):
                if not self._authorised():
                    return
                if self.path.split("?")[0].rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model", "created": 0,
                                                                 "owned_by": "tests"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self._authorised():
                    return
                if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found"}})
                    return
                with server._lock:
                    server.requests.append(body)
                    server.paths.append(self.path)
                behaviour = server._next()
                if isinstance(behaviour, Hang):
                    server._stopping.wait(behaviour.seconds)
                    behaviour = Status(504)
                if isinstance(behaviour, Status):
                    headers = {"Retry-After": f"{behaviour.retry_after:g}"} if behaviour.retry_after is not None else {}
                    self._json(behaviour.code, {"error": {"message": f"canned {behaviour.code}", "type": "server_error"}},
                               headers)
                    return
                prompt = "\n".join(m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user")
                text = behaviour if isinstance(behaviour, str) else behaviour(*parse_prompt(prompt))
                with server._lock:
                    server.replies.append(text)
                self._json(200, {
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", server.model),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                })

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, name="canned-llm", daemon=True).start()
        return self

    def __enter__(self) -> "CannedLLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


if __name__ == "__main__":  # pragma: no cover - a manual run for `gpbot eval --mode llm`
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8011)
    args = parser.parse_args()
    cycle = itertools.cycle(SCENARIOS.values())
    server = CannedLLMServer(lambda passages, question: next(cycle)(passages, question), port=args.port).start()
    print(f"LLM_BASE_URL={server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
