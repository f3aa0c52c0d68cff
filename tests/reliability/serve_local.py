"""Run the real `gpbot` CLI (e.g. `serve --http --port N`) with every HTTP server bound to 127.0.0.1.

`gpbot serve --http` binds 0.0.0.0 (right in a container); the tests must keep all traffic on the
loopback interface, and the CLI has no --host option, so this wrapper pins `BotHttpServer`'s host and
then hands over to `bot.cli.main` unchanged.

    python tests/reliability/serve_local.py serve --http --port 3000
"""

from __future__ import annotations

import sys

from bot.slack import server as _server

_original_init = _server.BotHttpServer.__init__


def _loopback_init(self, services, bolt_app, *, host: str = "127.0.0.1", port: int = 3000, is_connected=None):
    _original_init(self, services, bolt_app, host="127.0.0.1", port=port, is_connected=is_connected)


_server.BotHttpServer.__init__ = _loopback_init

if __name__ == "__main__":
    from bot.cli import main

    sys.argv = ["gpbot", *sys.argv[1:]]
    main()
