"""`gpbot sources check` against a local HTTP server serving unchanged, changed, moved, missing and
self-dated pages; review cards through the local Slack Web API emulator."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug import Response

from ingest.sources_cli import run_sources_check, sources_app
from ingest_helpers import ingest_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slack"))
from slack_emulator import SlackEmulator  # noqa: E402

REVIEWED = "2025-01-01"


def _page(main: str, *, menu: str = "Home About", date_line: str = "") -> str:
    return (f"<html><head><title>A page - NHS England</title></head><body><nav>{menu}</nav><main><article>"
            f"<h1>A page</h1><p>{main}</p><p>{date_line}</p></article></main><footer>Privacy</footer></body></html>")


STEADY = "Practices switch on prospective access for every patient unless a clinician decides otherwise for a reason."
FIRST = "A practice records the reason why a record is held back, and reviews the decision whenever it changes."
SECOND = "A practice records the reason why a record is held back, and reviews the decision every six months."


class Site:
    """The upstream site: what each path serves can change between checks; requests are recorded."""

    def __init__(self, server):
        self.server, self.changing, self.menu = server, FIRST, "Home About"
        self.requests: list[tuple[str, dict]] = []
        html = {"content_type": "text/html"}
        routes = {
            "/steady": self.steady,
            "/changing": lambda r: Response(_page(self.changing), **html),
            "/old-place": lambda r: Response("", status=301, headers={"Location": server.url_for("/new-place")}),
            "/new-place": lambda r: Response(_page(STEADY), **html),
            "/gone": lambda r: Response("Not found", status=404),
            "/dated": lambda r: Response(_page(STEADY, date_line="Page last reviewed: 3 March 2025"), **html),
        }
        for path, respond in routes.items():
            server.expect_request(path).respond_with_handler(self._logged(respond))

    def _logged(self, respond):
        def handler(request):
            self.requests.append((request.path, dict(request.headers)))
            return respond(request)

        return handler

    def steady(self, request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        # a new menu every time, the same main text: not a change
        return Response(_page(STEADY, menu=self.menu), content_type="text/html", headers={"ETag": '"v1"'})


@pytest.fixture
def corpus(tmp_path, httpserver):
    root = tmp_path / "knowledge"
    root.mkdir()
    for name in ("steady", "changing", "old-place", "gone", "dated"):
        (root / f"{name}.md").write_text(
            f"---\ntitle: Guide {name}\nsource_urls: [{httpserver.url_for('/' + name)}]\nlast_reviewed: {REVIEWED}\n"
            f"---\n# Guide {name}\n\nSome guidance text about online access that is long enough to read.\n")
    (root / "local-only.md").write_text("---\ntitle: Local\nlast_reviewed: 2025-01-01\n---\n# Local\n\nNo web source.\n")
    return root


def _by_doc(report) -> dict[str, list[str]]:
    return {Path(d.doc_id).stem: [u.status for u in d.urls] for d in report.documents}


def test_changed_unchanged_moved_missing_and_cards(tmp_path, httpserver, corpus):
    site = Site(httpserver)
    api = SlackEmulator().start()
    try:
        settings = ingest_settings(tmp_path / "data", corpus, sources_check_interval_seconds=0.0,
                                   review_channel="C0REVIEW", slack_bot_token="xoxb-test", slack_api_url=api.base_url,
                                   reviewer_user_ids="UREV1")
        report, failed = run_sources_check(settings)
        assert not failed
        assert _by_doc(report) == {"steady": ["unchanged"], "changing": ["unchanged"], "old-place": ["moved"],
                                   "gone": ["missing"], "dated": ["changed"]}  # the page says it changed after review
        moved = next(d for d in report.documents if d.doc_id.endswith("old-place.md")).urls[0]
        assert moved.new_url == httpserver.url_for("/new-place")
        dated = next(d for d in report.documents if d.doc_id.endswith("dated.md")).urls[0]
        assert dated.changed_on == "2025-03-03"
        cards = api.wait_for("chat.postMessage", count=3)
        assert report.cards_posted == 3 and {c.params["channel"] for c in cards} == {"C0REVIEW"}
        texts = " ".join(json.dumps(c.params.get("blocks")) for c in cards)
        assert "Guide gone" in texts and "Guide old-place" in texts and "Guide dated" in texts
        assert "new-place" in texts and "gone (404/410)" in texts

        # the second check: conditional request for the steady page; the changing page has new text
        site.changing, site.menu = SECOND, "Home About Contact"
        site.requests.clear()
        report, _ = run_sources_check(settings)
        steady_headers = next(h for p, h in site.requests if p == "/steady")
        assert steady_headers.get("If-None-Match") == '"v1"'
        statuses = _by_doc(report)
        assert statuses["steady"] == ["unchanged"] and statuses["changing"] == ["changed"]
        assert report.cards_posted == 1  # only the new change: the three earlier ones are not carded again
        assert len(api.calls_to("chat.postMessage")) == 4

        # a menu change (no ETag match) is not a change of the main text
        site.menu = "Completely different navigation"
        state = json.loads((tmp_path / "data" / "ingest" / "source_watch.json").read_text())
        state["urls"][httpserver.url_for("/steady")]["etag"] = None
        (tmp_path / "data" / "ingest" / "source_watch.json").write_text(json.dumps(state))
        report, _ = run_sources_check(settings)
        assert _by_doc(report)["steady"] == ["unchanged"]
        assert report.cards_posted == 0

        # a reviewer marks the card for the missing page as checked: the card shows it, the change is kept
        _click_checked(settings, api, "gone.md")
    finally:
        api.stop()


def _click_checked(settings, api, doc_name: str) -> None:
    from types import SimpleNamespace

    from slack_sdk import WebClient

    from bot.review.service import ReviewService
    from bot.slack.metrics import Metrics
    from bot.slack.listeners.review.resolution import handle_review_action
    from bot.slack.review_blocks import item_value
    from bot.slack.reviewers import Reviewers

    review = ReviewService.from_settings(settings)
    try:
        services = SimpleNamespace(settings=settings, review=review, metrics=Metrics(), reviewers=Reviewers())
        item = next(i for i in review.list_reviews(status="open", reason="source_changed")
                    if json.loads(i["note"])["doc_id"].endswith(doc_name))
        button = {"action_id": "review_approve", "value": item_value(item["id"])}  # signed, as on the card
        body = {"user": {"id": "UREV1"}, "channel": {"id": "C0REVIEW"}, "message": {"ts": item["card_ts"]},
                "actions": [button]}
        handle_review_action(WebClient(token="xoxb-test", base_url=api.base_url), services, body)
        done = review.get_review(item["id"])
        assert done.status == "approved" and done.reviewer == "UREV1"
        assert json.loads(done.note)["doc_id"].endswith(doc_name)  # resolving kept the change
        update = api.wait_for("chat.update")[-1]
        assert update.params["ts"] == item["card_ts"] and "Checked" in json.dumps(update.params.get("blocks"))
    finally:
        review.close()


def test_reviewing_the_document_clears_it_and_cli_json(tmp_path, httpserver, corpus, monkeypatch):
    site = Site(httpserver)
    settings = ingest_settings(tmp_path / "data", corpus, sources_check_interval_seconds=0.0)
    run_sources_check(settings)
    site.changing = SECOND
    report, _ = run_sources_check(settings)
    assert _by_doc(report)["changing"] == ["changed"] and report.cards_posted == 0  # no REVIEW_CHANNEL: no cards
    # the maintainer re-reads the page and updates last_reviewed: no longer listed
    doc = corpus / "changing.md"
    doc.write_text(doc.read_text().replace(f"last_reviewed: {REVIEWED}", "last_reviewed: 2099-01-01"))
    monkeypatch.setenv("GPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GPBOT_KNOWLEDGE_DIR", str(corpus))
    monkeypatch.setenv("SOURCES_CHECK_INTERVAL_SECONDS", "0")
    result = CliRunner().invoke(sources_app, ["check", "--json"])
    assert result.exit_code == 1  # something still needs review
    out = json.loads(result.stdout.strip().splitlines()[-1])
    listed = {Path(d["doc_id"]).stem: [u["status"] for u in d["urls"]] for d in out["changed"]}
    assert listed == {"old-place": ["moved"], "gone": ["missing"], "dated": ["changed"]}
    assert out["documents"] == 5 and out["urls"] == 5 and out["errors"] == []


def test_a_first_check_reads_each_page_once(tmp_path, httpserver, corpus, monkeypatch):
    """The page's text (fingerprinted) and its own date (trusted on a first check) come from one reading."""
    import ingest.watch as watch

    Site(httpserver)
    reads: list[str] = []
    read = watch.reader_for_download

    def counted(url, content_type, body):
        reads.append(url)
        return read(url, content_type, body)

    monkeypatch.setattr(watch, "reader_for_download", counted)
    report, _ = run_sources_check(ingest_settings(tmp_path / "data", corpus, sources_check_interval_seconds=0.0))
    assert _by_doc(report)["dated"] == ["changed"]  # the page's own date was read
    served = ("/steady", "/changing", "/old-place", "/dated")  # served with a 200 (old-place after its redirect)
    assert sorted(reads) == sorted(httpserver.url_for(p) for p in served)
