"""`gpbot sources check`: have the pages behind the corpus changed since each document was last reviewed?

For every corpus document, each http(s) source URL is fetched (conditional GET with the ETag/Last-Modified
of the previous check, at most one request per `interval` seconds) and its main text — what the format's
reader extracts, so a new cookie banner or menu is not a change — is fingerprinted. Per URL the verdict is

- `unchanged`: 304, or the same fingerprint as last time;
- `changed`: the fingerprint differs from the one recorded (the day it was first seen is kept, so the
  document stays listed until its `last_reviewed` is on or after that day), or, on a first check, the page
  says (Last-Modified, or its own "Updated …" / "Page last reviewed …" date) that it changed after the
  document's `last_reviewed`;
- `moved`: the server redirected to another URL (the new one is reported);
- `missing`: 404 or 410;
- `error`: anything else (timeouts, 5xx): reported, never taken for a change.

Fingerprints, validators and the change each card was posted for persist in
`<data dir>/ingest/source_watch.json`; nothing else is written.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.types import SourceDocument
from ingest.loaders import discover, load_file
from ingest.readers import LoadError, reader_for_download

log = logging.getLogger(__name__)

STATE_FILE = "source_watch.json"
NEEDS_REVIEW = ("changed", "moved", "missing")


@dataclass
class UrlCheck:
    url: str
    status: str  # unchanged | changed | moved | missing | error
    http_status: int | None = None
    new_url: str = ""  # where a moved page now lives
    changed_on: str = ""  # the day a new fingerprint was first seen, or the page's own date
    detail: str = ""


@dataclass
class DocumentCheck:
    doc_id: str
    title: str
    last_reviewed: str
    urls: list[UrlCheck] = field(default_factory=list)

    @property
    def needs_review(self) -> bool:
        return any(u.status in NEEDS_REVIEW for u in self.urls)

    def signature(self) -> str:
        """What a review card is about: the same change is carded once."""
        key = [(u.url, u.status, u.new_url, u.changed_on) for u in self.urls if u.status in NEEDS_REVIEW]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]

    def to_json(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "last_reviewed": self.last_reviewed,
                "urls": [{k: v for k, v in asdict(u).items() if v not in ("", None)} for u in self.urls]}


@dataclass
class CheckReport:
    documents: list[DocumentCheck] = field(default_factory=list)
    cards_posted: int = 0

    @property
    def needing_review(self) -> list[DocumentCheck]:
        return [d for d in self.documents if d.needs_review]

    def to_json(self) -> dict:
        urls = [u for d in self.documents for u in d.urls]
        return {
            "documents": len(self.documents),
            "urls": len({u.url for u in urls}),
            "changed": [d.to_json() for d in self.needing_review],
            "errors": [asdict(u) for u in urls if u.status == "error"],
            "cards_posted": self.cards_posted,
        }


def read_page(url: str, content_type: str, body: bytes) -> SourceDocument | None:
    """The page as its format's reader reads it (main text, its own date); None when the reader cannot."""
    try:
        return reader_for_download(url, content_type, body)(body, url, url)
    except LoadError:
        return None


def fingerprint(page: SourceDocument | None, body: bytes) -> str:
    """Hash of the page's main text (`read_page`), whitespace and case folded (boilerplate is not part of it);
    of the raw body when the page could not be read."""
    text = page.text if page is not None else body.decode("utf-8", "replace")
    return hashlib.sha256(re.sub(r"\s+", " ", text).strip().lower().encode()).hexdigest()


def _page_date(page: SourceDocument | None, last_modified: str | None) -> str:
    """The newest date the page gives itself (its text's labelled date, else Last-Modified), or ""."""
    if page is not None and page.last_reviewed:
        return page.last_reviewed
    if last_modified:
        try:
            return email.utils.parsedate_to_datetime(last_modified).date().isoformat()
        except (TypeError, ValueError):
            return ""
    return ""


class SourceWatch:
    """Checks URLs politely and remembers what it saw (`state_path`, JSON)."""

    def __init__(self, state_path: Path, *, interval: float = 1.0, timeout: float = 20.0, today: dt.date | None = None,
                 transport=None):
        self.state_path = Path(state_path)
        self.interval = interval
        self.timeout = timeout
        self.today = (today or dt.date.today()).isoformat()
        self._transport = transport
        self._last_request = 0.0
        try:
            self.state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            self.state = {}
        self.state.setdefault("urls", {})
        self.state.setdefault("cards", {})

    def save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        tmp.replace(self.state_path)

    def _get(self, client, url: str, headers: dict):
        wait = self.interval - (time.monotonic() - self._last_request)
        if wait > 0:
            time.sleep(wait)
        try:
            return client.get(url, headers=headers)
        finally:
            self._last_request = time.monotonic()

    def check_url(self, client, url: str, last_reviewed: str) -> UrlCheck:
        import httpx

        seen = self.state["urls"].get(url, {})
        headers = {}
        if seen.get("etag"):
            headers["If-None-Match"] = seen["etag"]
        if seen.get("last_modified"):
            headers["If-Modified-Since"] = seen["last_modified"]
        try:
            response = self._get(client, url, headers)
        except httpx.HTTPError as exc:
            return UrlCheck(url, "error", detail=f"{type(exc).__name__}: {exc}"[:200])
        status = response.status_code
        if status in (404, 410):
            return UrlCheck(url, "missing", http_status=status)
        moved_to = str(response.url) if response.history and str(response.url) != url else ""
        if status == 304 and seen.get("fingerprint"):
            return self._verdict(url, seen, last_reviewed, moved_to, status)
        if status != 200:
            return UrlCheck(url, "error", http_status=status, detail=f"HTTP {status}")
        content_type = response.headers.get("content-type", "")
        body = response.content
        page = read_page(url, content_type, body)  # read once: its text is fingerprinted, its date trusted
        new_print = fingerprint(page, body)
        record = {
            "fingerprint": new_print,
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "checked": self.today,
            "changed_on": seen.get("changed_on", ""),
        }
        if seen.get("fingerprint") and seen["fingerprint"] != new_print:
            record["changed_on"] = self.today  # a change seen now
        elif not seen.get("fingerprint"):  # first check: trust the page's own date
            record["changed_on"] = _page_date(page, record["last_modified"])
        self.state["urls"][url] = record
        return self._verdict(url, record, last_reviewed, moved_to, status)

    @staticmethod
    def _verdict(url: str, record: dict, last_reviewed: str, moved_to: str, status: int) -> UrlCheck:
        changed_on = record.get("changed_on", "")
        if moved_to:
            return UrlCheck(url, "moved", http_status=status, new_url=moved_to, changed_on=changed_on)
        if changed_on and (not last_reviewed or changed_on[:10] > last_reviewed[:10]):
            return UrlCheck(url, "changed", http_status=status, changed_on=changed_on)
        return UrlCheck(url, "unchanged", http_status=status, changed_on=changed_on)

    def check(self, documents) -> CheckReport:
        """Check every http(s) source URL of `documents` (SourceDocuments); each URL is fetched once."""
        import httpx

        report = CheckReport()
        results: dict[str, UrlCheck] = {}
        with httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=True, transport=self._transport,
                          headers={"User-Agent": "gpbot-sources-check/0.1"}) as client:
            for document in documents:
                check = DocumentCheck(document.doc_id, document.title, document.last_reviewed)
                for url in dict.fromkeys(u for u in document.source_urls if u.startswith(("http://", "https://"))):
                    if url not in results:
                        results[url] = self.check_url(client, url, document.last_reviewed)
                    verdict = results[url]
                    if verdict.status in ("changed", "unchanged"):  # re-judged against this document's review
                        verdict = self._verdict(url, self.state["urls"].get(url, {}), document.last_reviewed,
                                                "", verdict.http_status or 200)
                    check.urls.append(verdict)
                if check.urls:
                    report.documents.append(check)
        return report

    def needs_card(self, check: DocumentCheck) -> bool:
        return check.needs_review and self.state["cards"].get(check.doc_id) != check.signature()

    def mark_carded(self, check: DocumentCheck) -> None:
        self.state["cards"][check.doc_id] = check.signature()


def corpus_documents(roots: list[Path]) -> tuple[list, list[tuple[str, str]]]:
    """(SourceDocuments of the corpus, [(path, reason)] for files that failed to load)."""
    documents, failed = [], []
    for root in roots:
        for path in (discover(root) if root.is_dir() else [root]):
            try:
                documents.append(load_file(path))
            except LoadError as exc:
                failed.append((str(path), str(exc)))
    return documents, failed
