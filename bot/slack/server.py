"""HTTP mode: Events API and interactivity at `POST /slack/events`, plus `GET /healthz`, `GET /readyz`
(the guidance index is loaded) and `GET /metrics` (Prometheus text).

Starlette under uvicorn. In front of Bolt, on the raw request: the streaming body limit (413), the timestamp
and signature check (401) and the payload's shape (400); identifiers are found later in the raw text, before
any markup is removed (`bot.slack.answering`). Bolt's own Starlette adapter converts the request and the
response (`slack_bolt.adapter.starlette.handler`); its `SlackRequestHandler.handle` is not used because it
calls the sync `App.dispatch` on the event loop: here dispatch (dedupe claim, ack) runs in a worker thread
(`anyio.to_thread`), and the answering itself runs on Bolt's listener pool after the ack, so a slow answer
never holds up another request.

    server = BotHttpServer(services, app, host="127.0.0.1", port=0)
    port = server.start()      # in a background thread (tests)
    server.stop()
    BotHttpServer(...).run()   # in the foreground until SIGINT/SIGTERM (gpbot serve --http)
"""

from __future__ import annotations

import logging
import threading
import time

import anyio
import uvicorn
from anyio import to_thread
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.payloads import shape_error
from bot.slack.services import BotServices

log = logging.getLogger(__name__)


def readiness(services: BotServices) -> tuple[bool, dict]:
    index = getattr(services.assistant, "index", None)
    if index is None:
        return False, {"ready": False, "reason": "no index"}
    try:
        chunks = int(index.count())
    except Exception as exc:
        return False, {"ready": False, "reason": type(exc).__name__}
    detail = {"ready": chunks > 0, "chunks": chunks}
    answerer = getattr(services.assistant, "answerer", None)
    if answerer is not None:
        from bot.llm import describe

        detail["answerer"] = describe(answerer)
    return chunks > 0, detail


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (Content-Length or not, chunked or not): never
    more than `limit` plus one chunk is held in memory."""
    length = request.headers.get("content-length")
    if length and (not length.isdigit() or int(length) > limit):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def make_signature_check(services: BotServices):
    """Slack's v0 signature over the raw body, with the 5-minute replay window (as Bolt checks it)."""
    from slack_sdk.signature import SignatureVerifier

    secret = services.settings.slack.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret is not None else None

    def valid(body: str, headers) -> bool:
        timestamp = headers.get("x-slack-request-timestamp", "")
        if verifier is None or not timestamp.isascii() or not timestamp.isdigit():
            return False  # "abc", "", "-1", "1e9": 401, never an exception
        try:
            return verifier.is_valid(body=body, timestamp=timestamp, signature=headers.get("x-slack-signature", ""))
        except Exception:
            return False

    return valid


def create_web_app(services: BotServices, bolt_app: App | None, *, is_connected=None) -> Starlette:
    """The ASGI app. `bolt_app=None` serves only the health and metrics routes (Socket Mode's sidecar)."""
    limiter = anyio.CapacityLimiter(services.settings.slack.slack_dispatch_threads)
    max_body_bytes = services.settings.slack.slack_max_body_bytes

    signature_valid = make_signature_check(services)

    async def slack_events(request: Request) -> Response:
        body = await read_limited(request, max_body_bytes)
        if body is None:
            return JSONResponse({"error": "payload too large"}, status_code=413, headers={"Connection": "close"})
        text = body.decode("utf-8", errors="replace")
        # 1. the signature, before anything reads the body or the headers' values
        if not signature_valid(text, request.headers):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        # 2. parsing and the payload's shape
        try:
            bolt_req = to_bolt_request(request, body)
            problem = shape_error(bolt_req.body)
        except Exception:
            problem = "unreadable body"
        if problem:
            log.warning("a signed request was rejected: %s", problem)
            return JSONResponse({"error": "bad request"}, status_code=400)
        try:
            bolt_resp = await to_thread.run_sync(bolt_app.dispatch, bolt_req, limiter=limiter)
        except Exception as exc:  # malformed payloads that get past the checks
            log.warning("request could not be dispatched: %s", type(exc).__name__)
            return JSONResponse({"error": "bad request"}, status_code=400)
        if bolt_resp.status >= 500:  # a listener failed before acknowledging: Slack must not retry it
            log.error("a listener failed before acknowledging (Bolt answered %s)", bolt_resp.status)
            return JSONResponse({"error": "bad request"}, status_code=400)
        return to_starlette_response(bolt_resp)

    async def healthz(request: Request) -> Response:
        if is_connected is not None:
            connected = bool(is_connected())
            return JSONResponse({"status": "ok" if connected else "disconnected"}, status_code=200 if connected else 503)
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        ready, detail = await to_thread.run_sync(readiness, services, limiter=limiter)
        return JSONResponse(detail, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        data = await to_thread.run_sync(generate_latest, services.metrics.registry, limiter=limiter)
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if bolt_app is not None:
        routes.append(Route("/slack/events", slack_events, methods=["POST"]))
    return Starlette(routes=routes)


class BotHttpServer:
    """uvicorn serving `create_web_app`, in the foreground (`run`) or a background thread (`start`)."""

    def __init__(self, services: BotServices, bolt_app: App | None, *, host: str = "127.0.0.1", port: int = 3000,
                 is_connected=None):
        self.services = services
        self.web_app = create_web_app(services, bolt_app, is_connected=is_connected)
        self.config = uvicorn.Config(
            self.web_app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
            log_config=None,  # uvicorn's records go through the root handlers (and their scrubbing)
            server_header=False, timeout_keep_alive=30,
        )
        self.server = uvicorn.Server(self.config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        servers = getattr(self.server, "servers", None) or []
        for server in servers:
            for sock in server.sockets:
                return sock.getsockname()[1]
        return self.config.port

    def start(self, timeout: float = 10.0) -> int:
        self._thread = threading.Thread(target=self.server.run, name="gpbot-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.02)
        return self.port

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        self.server.run()
