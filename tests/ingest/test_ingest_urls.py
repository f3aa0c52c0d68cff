"""URL ingest against a local HTTP server: 200, conditional GET (304), 404, 5xx, timeout, unreachable."""

from __future__ import annotations

import socket
import time

import pytest
from ingest_helpers import embeds_for, ingest_settings
from werkzeug import Request, Response

from bot.index import Index
from ingest.pipeline import run_ingest

pytestmark = pytest.mark.slow

PAGE = """<html><head><title>Test results online</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<main><h1>Test results online</h1>
<p>Patients see new test results in the NHS App once the practice has filed them, unless a clinician hides the result first.</p>
<p>Practices should review abnormal results before they are released to the online record.</p></main>
<footer>Cookies</footer></body></html>"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_url_ingest_conditional_get_and_failures(tmp_path, httpserver, counting):
    seen: list[dict] = []
    state = {"status": 200}

    def page(request: Request) -> Response:
        seen.append(dict(request.headers))
        if state["status"] != 200:
            return Response("broken", status=state["status"])
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(PAGE, content_type="text/html; charset=utf-8", headers={"ETag": '"v1"'})

    httpserver.expect_request("/page").respond_with_handler(page)
    httpserver.expect_request("/missing").respond_with_data("nope", status=404)
    url, missing = httpserver.url_for("/page"), httpserver.url_for("/missing")
    unreachable = f"http://127.0.0.1:{_free_port()}/x"

    settings = ingest_settings(tmp_path / "data")
    index = Index(settings, embedder=counting)
    kw = dict(index=index, progress=False, http_timeout=2.0, http_retries=1, http_backoff=0.01)

    s = run_ingest(settings, [url, missing, unreachable], **kw)
    assert s.added == [url]
    reasons = {f.source: f.reason for f in s.failed}
    assert reasons[missing] == "HTTP 404"
    assert reasons[unreachable].startswith("unreachable")
    ids = set(index.chunk_refs())
    assert ids and {r["source"] for r in index.chunk_refs().values()} == {url}
    assert all(c.source_urls == [url] and c.title == "Test results online" for c in index.all_chunks())
    assert counting.reset() == embeds_for(index, ids)

    # unchanged page: conditional GET answered 304, not downloaded again, counted unchanged
    s = run_ingest(settings, [url], **kw)
    assert seen[-1].get("If-None-Match") == '"v1"'
    assert s.unchanged == [url] and s.not_modified == [url] and counting.reset() == 0

    # the server breaks: a failure that keeps what was indexed for the page (after a bounded retry)
    state["status"] = 503
    before = len(seen)
    s = run_ingest(settings, [url], **kw)
    assert [(f.source, f.reason) for f in s.failed] == [(url, "HTTP 503")]
    assert len(seen) - before == 2  # one try + one retry
    assert set(index.chunk_refs()) == ids and not s.deleted


def test_url_timeout(tmp_path, httpserver, counting):
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(PAGE, content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    url = httpserver.url_for("/slow")
    settings = ingest_settings(tmp_path / "data")
    index = Index(settings, embedder=counting)
    started = time.monotonic()
    s = run_ingest(settings, [url], index=index, progress=False, http_timeout=0.2, http_retries=0)
    assert [(f.source, f.reason) for f in s.failed] == [(url, "timed out after 0.2s")]
    assert time.monotonic() - started < 5
    assert index.count() == 0


def test_default_run_reads_sources_yaml(tmp_path, httpserver, counting):
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    url = httpserver.url_for("/page")
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "a.md").write_text("# Local doc\n\nA local document about proxy access for carers and parents.\n")
    (knowledge / "sources.yaml").write_text(f"sources:\n  - url: {url}\n    title: Test results\n")
    settings = ingest_settings(tmp_path / "data", knowledge)
    index = Index(settings, embedder=counting)
    s = run_ingest(settings, None, index=index, progress=False, http_retries=0)
    assert sorted(s.added) == sorted([url, str(knowledge / "a.md")]) and not s.failed
    # the URL is removed from sources.yaml: the default run deletes it (it was ingested as part of the set)
    (knowledge / "sources.yaml").write_text("sources: []\n")
    s = run_ingest(settings, None, index=index, progress=False, http_retries=0)
    assert s.deleted == [url]
    assert {r["doc_id"] for r in index.chunk_refs().values()} == {str(knowledge / "a.md")}
