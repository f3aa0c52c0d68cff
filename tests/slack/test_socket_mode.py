"""Socket Mode against a local WebSocket server: apps.connections.open on the emulator returns its ws:// URL;
the server says hello, sends an events_api envelope (and a redelivery of it), and gets the acks; the reply
is posted once."""

from __future__ import annotations

import json
import queue
import threading
import time

import pytest
from websockets.sync.server import serve

from slack_emulator import APP_TOKEN, BOT_TOKEN, BOT_USER_ID
from slack_requests import event_callback, user_ts

pytestmark = pytest.mark.slow


class SocketServer:
    def __init__(self, envelopes: list[dict]):
        self.envelopes = envelopes
        self.received: "queue.Queue[dict]" = queue.Queue()
        self.server = serve(self.handle, "127.0.0.1", 0)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, ws) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "local"},
                            "connection_info": {"app_id": "A0APP"}}))
        for envelope in self.envelopes:
            ws.send(json.dumps(envelope))
            time.sleep(0.05)
        try:
            for message in ws:
                self.received.put(json.loads(message))
        except Exception:
            pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


def test_socket_mode_acks_and_replies_once(slack_api, tmp_path, real_assistant):
    from pydantic import SecretStr

    from bot.settings import Settings
    from bot.slack.app import build_app
    from bot.slack.client import make_client
    from bot.slack.services import BotServices
    from bot.slack.socket_mode import connect, is_connected

    ts = user_ts()
    event = {"type": "app_mention", "user": "U0USER", "text": f"<@{BOT_USER_ID}> How do I switch on prospective "
             "access in SystmOne?", "ts": ts, "channel": "C0SOCKET", "event_ts": ts}
    payload = event_callback(event)
    envelopes = [
        {"envelope_id": "env-1", "payload": payload, "type": "events_api", "accepts_response_payload": False,
         "retry_attempt": 0, "retry_reason": ""},
        {"envelope_id": "env-2", "payload": payload, "type": "events_api", "accepts_response_payload": False,
         "retry_attempt": 1, "retry_reason": "timeout"},
    ]
    values = real_assistant.settings.model_dump()
    values.update(slack_bot_token=SecretStr(BOT_TOKEN), slack_app_token=SecretStr(APP_TOKEN),
                  slack_api_url=slack_api.base_url, database_url=f"sqlite:///{tmp_path / 'gpbot.db'}")
    settings = Settings(_env_file=None, **values)
    from bot.review.service import ReviewService

    services = BotServices(settings=settings, assistant=real_assistant, review=ReviewService.from_settings(settings))
    app = build_app(services, client=make_client(settings, services.metrics), socket_mode=True)
    with SocketServer(envelopes) as ws_server:
        slack_api.socket_mode_url = f"ws://127.0.0.1:{ws_server.port}/link/?ticket=t1&app_id=A0APP"
        handler = connect(app, APP_TOKEN)
        try:
            acks = {ws_server.received.get(timeout=15)["envelope_id"], ws_server.received.get(timeout=15)["envelope_id"]}
            assert acks == {"env-1", "env-2"}
            assert is_connected(handler)
            reply = slack_api.wait_for("chat.postMessage")[0]
            assert reply.params["channel"] == "C0SOCKET" and reply.params["thread_ts"] == ts
            slack_api.settle(quiet=1.0)
            assert len(slack_api.calls_to("chat.postMessage")) == 1
            opened = slack_api.calls_to("apps.connections.open")[0]
            assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
        finally:
            handler.close()
            services.close()
            services.review.close()
