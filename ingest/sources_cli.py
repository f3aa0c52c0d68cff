"""`gpbot sources check [PATH ...] [--json]` (registered on the `gpbot` app by bot.cli).

Lists the corpus documents whose upstream pages changed since their `last_reviewed`, moved or disappeared
(see ingest.watch); with REVIEW_CHANNEL and a bot token set, posts one review card per such document.
Exit 0 when nothing needs review, 1 when something does, 2 on a configuration error."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer

log = logging.getLogger(__name__)

MAX_LISTED = 10  # unreachable URLs shown on the terminal; --json has them all

sources_app = typer.Typer(help="Watch the pages the corpus cites.", no_args_is_help=True, add_completion=False)


@sources_app.callback()
def sources_group() -> None:
    """Watch the pages the corpus cites."""


def run_sources_check(settings, roots: list[Path] | None = None, *, services=None, client=None, transport=None):
    """Check the corpus's source URLs, post review cards when review is on, save the watch state.
    Returns (report, files that failed to load). `services`/`client`: the running bot's (serve), else built
    from the settings when REVIEW_CHANNEL and SLACK_BOT_TOKEN are set."""
    from ingest.watch import STATE_FILE, SourceWatch, corpus_documents

    documents, failed = corpus_documents(roots or [settings.knowledge_dir])
    watch = SourceWatch(settings.data_dir / "ingest" / STATE_FILE, interval=settings.sources.sources_check_interval_seconds,
                        transport=transport)
    report = watch.check(documents)
    if report.needing_review and settings.slack.review_channel:
        report.cards_posted = _post_cards(settings, watch, report, services, client)
    watch.save()
    return report, failed


def _post_cards(settings, watch, report, services, client) -> int:
    from bot.slack.review_cards import post_source_change_cards

    review = None
    try:
        if services is None:
            from types import SimpleNamespace

            from bot.review.service import ReviewService
            from bot.slack.metrics import Metrics

            review = ReviewService.from_settings(settings)
            services = SimpleNamespace(settings=settings, review=review, metrics=Metrics())
        if client is None:
            if settings.slack.slack_bot_token is None:
                log.warning("REVIEW_CHANNEL is set but SLACK_BOT_TOKEN is not: no review cards posted")
                return 0
            from slack_sdk import WebClient

            client = WebClient(token=settings.slack.slack_bot_token.get_secret_value(), base_url=settings.slack.slack_api_url)
        return post_source_change_cards(client, services, watch, report)
    except Exception as exc:  # the check's result stands without the cards
        log.warning("posting source-change review cards failed: %s", exc)
        return 0
    finally:
        if review is not None:
            review.close()


def print_report(report, failed, console) -> None:
    from bot import prompts
    from ingest.summary import print_listed

    needing = report.needing_review
    cards = prompts.SOURCES_CARDS_POSTED.format(count=report.cards_posted) if report.cards_posted else ""
    console.print(prompts.SOURCES_CHECKED.format(documents=len(report.documents), needing=len(needing), cards=cards),
                  highlight=False, markup=False)
    for check in needing:
        console.print(prompts.SOURCES_DOCUMENT_LINE.format(
            title=check.title, doc_id=check.doc_id, last_reviewed=check.last_reviewed or prompts.SOURCES_NEVER_REVIEWED),
            highlight=False, markup=False)
        for url in check.urls:
            if url.status in ("changed", "moved", "missing"):
                extra = (prompts.SOURCES_MOVED_TO.format(url=url.new_url) if url.new_url else
                         prompts.SOURCES_CHANGED_SINCE.format(date=url.changed_on) if url.changed_on else "")
                console.print(prompts.SOURCES_URL_LINE.format(status=url.status, url=url.url, extra=extra),
                              highlight=False, markup=False)
    errors = list({u.url: u for d in report.documents for u in d.urls if u.status == "error"}.values())
    if errors:
        console.print(prompts.SOURCES_UNREACHABLE_HEAD.format(count=len(errors)), style="yellow", highlight=False)
    print_listed(console, errors, prompts.SOURCES_UNREACHABLE_MORE, MAX_LISTED,
                 lambda url: prompts.SOURCES_UNREACHABLE_LINE.format(url=url.url, detail=url.detail))
    for path, reason in failed:
        console.print(prompts.SOURCES_UNREADABLE.format(path=path, reason=reason), style="yellow", highlight=False,
                      markup=False)


@sources_app.command("check")
def check_command(
    paths: Optional[List[Path]] = typer.Argument(None, help="Corpus folders or files (default: the knowledge dir)."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as one JSON object on stdout."),
) -> None:
    """List corpus documents whose upstream pages changed since last_reviewed, moved or disappeared."""
    from rich.console import Console

    from bot.startup import settings_or_exit

    settings = settings_or_exit()
    report, failed = run_sources_check(settings, list(paths or []) or None)
    print_report(report, failed, Console(stderr=True, soft_wrap=True))
    if json_output:
        data = report.to_json()
        data["failed"] = [{"source": p, "reason": r} for p, r in failed]
        sys.stdout.flush()
        print(json.dumps(data, ensure_ascii=False), flush=True)
    if report.needing_review:
        raise typer.Exit(1)
