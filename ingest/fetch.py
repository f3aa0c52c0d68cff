"""Downloads: `UrlFetcher` (httpx with timeouts, bounded retries with back-off, and conditional GET with
ETag / Last-Modified whose validators and last body are kept under `<data dir>/ingest/http/`, so an unchanged
page (304) is not downloaded again and is reported as not modified), and the URL list of `sources.yaml`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import prompts
from bot.types import SourceDocument
from ingest.readers import LoadError, reader_for_download
from ingest.readers.common import _YAML_LOADER

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------
@dataclass
class Fetched:
    document: SourceDocument
    not_modified: bool  # the server answered 304 and the cached body was used


_NAME_NOT_RESOLVED = re.compile(r"Name or service not known|nodename nor servname|No address associated", re.I)


class UrlFetcher:
    """GET with timeouts, bounded retries with back-off and conditional requests.

    The validators (ETag / Last-Modified) and the last body of each URL are kept under `state_dir`; only
    when both are there is a conditional request made, so a 304 can always be turned back into a document.
    With `persist=False` (a dry run) nothing is written.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        timeout: float = 20.0,
        retries: int = 2,
        backoff: float = 0.5,
        persist: bool = True,
        transport=None,
    ):
        self.state_dir = Path(state_dir)
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.persist = persist
        self._transport = transport
        self._client = None

    # --- cache files ---
    def _key(self, url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest()[:32]

    def _meta_path(self, url: str) -> Path:
        return self.state_dir / f"{self._key(url)}.json"

    def _body_path(self, url: str) -> Path:
        return self.state_dir / f"{self._key(url)}.body"

    def _cached(self, url: str) -> tuple[dict, bytes] | None:
        try:
            meta = json.loads(self._meta_path(url).read_text())
            body = self._body_path(url).read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("url") != url or hashlib.sha256(body).hexdigest() != meta.get("sha256"):
            return None
        return meta, body

    def _store(self, url: str, response, body: bytes) -> None:
        if not self.persist:
            return
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if not etag and not modified:
            return
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            body_tmp = self._body_path(url).with_suffix(".body.tmp")
            body_tmp.write_bytes(body)
            body_tmp.replace(self._body_path(url))
            meta = {
                "url": url,
                "etag": etag,
                "last_modified": modified,
                "content_type": response.headers.get("content-type", ""),
                "sha256": hashlib.sha256(body).hexdigest(),
                "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }
            meta_tmp = self._meta_path(url).with_suffix(".json.tmp")
            meta_tmp.write_text(json.dumps(meta, indent=1))
            meta_tmp.replace(self._meta_path(url))
        except OSError as exc:
            log.warning("could not cache %s: %s", url, exc)

    # --- HTTP ---
    @property
    def client(self):
        import httpx

        if self._client is None:
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=True,
                headers={"User-Agent": "gpbot-ingest/0.1 (+https://github.com/)"},
                transport=self._transport,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def fetch(self, url: str) -> Fetched:
        import httpx

        cached = self._cached(url)
        headers = {}
        if cached:
            if cached[0].get("etag"):
                headers["If-None-Match"] = cached[0]["etag"]
            if cached[0].get("last_modified"):
                headers["If-Modified-Since"] = cached[0]["last_modified"]
        reason = "unreachable"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                response = self.client.get(url, headers=headers)
            except httpx.TimeoutException:
                reason = f"timed out after {self.timeout:g}s"
                continue
            except httpx.HTTPError as exc:
                reason = f"unreachable ({type(exc).__name__}: {exc})" if str(exc) else "unreachable"
                if _NAME_NOT_RESOLVED.search(str(exc)):
                    break  # the host name does not resolve: retrying will not change that
                continue
            status = response.status_code
            if status == 304 and cached:
                meta, body = cached
                return Fetched(self._parse(url, body, meta.get("content_type", "")), not_modified=True)
            if status == 200:
                body = response.content
                document = self._parse(url, body, response.headers.get("content-type", ""))
                self._store(url, response, body)
                return Fetched(document, not_modified=False)
            reason = f"HTTP {status}"
            if status in (429,) or status >= 500:
                continue  # transient: retry
            raise LoadError(reason)
        raise LoadError(reason)

    @staticmethod
    def _parse(url: str, body: bytes, content_type: str) -> SourceDocument:
        if not body.strip():
            raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
        return reader_for_download(url, content_type, body)(body, url, url)


def load_targets_file(path: Path) -> list[str]:
    """URLs listed in `sources.yaml`: `sources: [{url: ..., title: ...}]`, `sources: [url, ...]` or a plain
    list. A missing file is no URLs; a malformed one raises LoadError."""
    if not path.exists():
        return []
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LoadError(f"invalid sources file: {first}") from None
    if data is None:
        return []
    if isinstance(data, dict):
        data = data.get("sources") or data.get("urls") or []
    if not isinstance(data, list):
        raise LoadError("invalid sources file: expected a list of URLs")
    urls: list[str] = []
    for item in data:
        url = item.get("url") if isinstance(item, dict) else item
        if isinstance(url, str) and url.strip():
            urls.append(url.strip())
    return list(dict.fromkeys(urls))
