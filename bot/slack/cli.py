"""`gpbot serve`: the Slack bot.

    gpbot serve                  Socket Mode (SLACK_BOT_TOKEN + SLACK_APP_TOKEN); health on 127.0.0.1:--port
    gpbot serve --http --port N  Events API + interactivity at /slack/events (SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET)
    --refresh-every 24h          also run the default ingest in-process on that schedule

With no Slack tokens at all it says so in one line and opens the local console instead.
"""

from __future__ import annotations

import logging
import re
import signal
import sys
import threading
import time

import typer

from bot import prompts

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: str) -> float:
    """'24h', '30m', '1d', '3600s' or '3600' → seconds (at least one minute)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value or "", re.I)
    if not match:
        raise ValueError(prompts.SERVE_BAD_INTERVAL.format(value=value))
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if seconds < 60:
        raise ValueError(prompts.SERVE_INTERVAL_TOO_SHORT)
    return seconds


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def serve_command(
    http: bool = typer.Option(False, "--http", help="Serve the Events API over HTTP instead of Socket Mode."),
    port: int = typer.Option(3000, "--port", help="HTTP port (in Socket Mode: the health/metrics port)."),
    refresh_every: str | None = typer.Option(
        None, "--refresh-every", help="e.g. 24h: run the default ingest in-process on a schedule"
    ),
    host: str = typer.Option("0.0.0.0", "--host", help="Interface for HTTP mode (Socket Mode's health port is always 127.0.0.1)."),
) -> None:
    """Run the Slack bot: Socket Mode with SLACK_APP_TOKEN, or HTTP with --http."""
    from bot.startup import settings_or_exit

    if not isinstance(host, str):  # called as a function (gpbot run) rather than through typer
        host = "0.0.0.0"

    settings = settings_or_exit(answering=True)
    if settings.slack.slack_bot_token is None and settings.slack.slack_app_token is None and settings.slack.slack_signing_secret is None:
        from bot.console import run_console

        typer.echo(prompts.SERVE_NO_TOKENS, err=True)
        raise typer.Exit(run_console(settings))
    if settings.slack.slack_bot_token is None:
        _fail(prompts.CONFIG_SLACK_TOKEN_REQUIRED)
    use_http = http or settings.slack.slack_app_token is None
    if use_http and settings.slack.slack_signing_secret is None:
        _fail(prompts.CONFIG_SIGNING_SECRET_REQUIRED + ("" if http else prompts.CONFIG_OR_SOCKET_MODE))
    interval = None
    if refresh_every:
        try:
            interval = parse_interval(refresh_every)
        except ValueError as exc:
            _fail(f"--refresh-every: {exc}")

    # The index and the embedding model (Chroma's and onnxruntime's native code) load in a thread while the
    # Slack and web libraries import here: a replica is ready sooner.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="warm-up") as pool:
        warming = pool.submit(warm_assistant, settings)
        from bot.slack.app import build_app
        from bot.slack.log_scrubbing import install_log_scrubbing
        from bot.slack.server import BotHttpServer

        install_log_scrubbing(settings)
        warmed = warming.result()
    services = build_services(settings, warmed)
    app = build_app(services, socket_mode=not use_http)
    stop = threading.Event()
    if interval:
        start_refresh(services, app.client, interval, stop)

    if use_http:
        server = BotHttpServer(services, app, host=host, port=port)
        typer.echo(prompts.SERVE_HTTP_MODE.format(host=host, port=port), err=True)
        server.run()  # uvicorn handles SIGINT/SIGTERM
        stop.set()
        services.close()  # a reviewer's last change may still be refitting the adapter
        return

    from bot.slack.socket_mode import connect, is_connected

    handler = connect(app, settings.slack.slack_app_token.get_secret_value())
    health = BotHttpServer(services, None, host="127.0.0.1", port=port, is_connected=lambda: is_connected(handler))
    try:
        health.start()
    except Exception as exc:  # the port is taken: the bot still runs
        typer.echo(prompts.SERVE_HEALTH_NOT_STARTED.format(port=port, error=type(exc).__name__), err=True)
        health = None
    typer.echo(prompts.SERVE_SOCKET_MODE.format(port=port), err=True)

    def _stop(*_):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    stop.wait()
    handler.close()
    if health is not None:
        health.stop()
    services.close()


def warm_assistant(settings):
    """(the answering core, warmed up: index opened, embedding model loaded; the review store, None if it will
    not open). The store is opened first: the core is built with its verified answers."""
    from bot.index import Index
    from bot.pipeline import build_assistant

    index = Index(settings)
    review = None
    try:
        from bot.review.service import ReviewService

        # a reviewer's approve, correct, retire or reinstate teaches the query adapter at once, off the click's path
        review = ReviewService.from_settings(settings, index=index, refit_in_background=True)
    except Exception as exc:
        log.error("the review store could not be opened (%s): answers are not recorded", type(exc).__name__)
    assistant = build_assistant(settings, index=index, verified_lookup=review.get_verified if review is not None else None)
    try:
        assistant.warm_up()
    except Exception as exc:
        log.warning("warm-up failed (%s); the first question will be slower", type(exc).__name__)
    return assistant, review


def build_services(settings, warmed=None):
    """The real services: the answering core (warmed up) and the review store (None if it will not open);
    `warmed`: what `warm_assistant` returned, when it already ran."""
    from bot.slack.services import BotServices

    assistant, review = warmed or warm_assistant(settings)
    return BotServices(settings=settings, assistant=assistant, review=review)


def start_refresh(services, client, interval: float, stop: threading.Event) -> threading.Thread:
    """Run the default ingest every `interval` seconds in a daemon thread; then post due stale-answer cards
    and check the corpus's upstream pages (`gpbot sources check`)."""
    from bot.slack.review_cards import post_due_stale_cards

    def loop() -> None:
        while not stop.wait(interval):
            started = time.monotonic()
            try:
                from ingest.cli import ingest_and_flag

                summary, _ = ingest_and_flag(services.settings, None, index=services.assistant.index, progress=False)
                log.info("scheduled ingest: %s passages, %d added, %d updated, %d deleted, %d failed in %.0f s",
                         summary.chunks, len(summary.added), len(summary.updated), len(summary.deleted),
                         len(summary.failed), time.monotonic() - started)
            except Exception as exc:
                log.error("scheduled ingest failed: %s", type(exc).__name__)
                continue
            try:  # now, not at the next scheduled check: the cards this ingest just marked due
                post_due_stale_cards(client, services)
            except Exception as exc:
                log.warning("posting stale-answer cards failed: %s", type(exc).__name__)
            try:  # the pages behind the corpus: changed, moved or gone since last reviewed (cards when review is on)
                from ingest.sources_cli import run_sources_check

                report, _ = run_sources_check(services.settings, services=services, client=client)
                log.info("scheduled sources check: %d of %d documents need review, %d card(s) posted",
                         len(report.needing_review), len(report.documents), report.cards_posted)
            except Exception as exc:
                log.warning("scheduled sources check failed: %s", type(exc).__name__)

    thread = threading.Thread(target=loop, name="gpbot-refresh", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":  # pragma: no cover
    typer.run(serve_command)
    sys.exit(0)
