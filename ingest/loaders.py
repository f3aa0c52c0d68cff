"""Loaders: turn a file or a URL into a `SourceDocument`, or fail with a one-line reason.

- Markdown with YAML front matter (title, publisher, source_urls, source_dates, last_reviewed, topics,
  clinical_systems, audience; a list may be given as a scalar). Without front matter the title comes from
  the first heading or the file name and the source URL is the path, or the URL of a `SOURCE: <url>` first
  line (a saved page).
- HTML: trafilatura main-text extraction (navigation and boilerplate dropped), headings kept as `#` lines.
- PDF: pypdf. A corrupt or password-protected PDF, or one with no text layer, is a failure.
- Plain text.
- http(s) URLs: httpx with timeouts, bounded retries with back-off, and conditional GET (ETag /
  Last-Modified) whose validators and last body are kept under `<data dir>/ingest/http/`, so an unchanged
  page (304) is not downloaded again and is reported as not modified.

Every failure is a `LoadError` whose `str()` is the reason shown to the maintainer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from bot.types import SourceDocument

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".pdf", ".txt"}
SKIPPED_NAMES = {"readme.md"}
_SOURCE_LINE = re.compile(r"^\s*(?:<!--\s*)?SOURCE:\s*(\S+?)\s*(?:-->)?\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
# Every front-matter value ends up a string, so the base loader (no implicit typing: dates stay
# "2026-11-23") is enough; with libyaml it is several times faster than safe_load on a large corpus.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_LIST_FIELDS = ("publisher", "source_urls", "source_dates", "topics", "clinical_systems", "audience")


class LoadError(Exception):
    """A source could not be read. `str(exc)` is the reason reported in the ingest summary."""


# --------------------------------------------------------------------------------------------
# ids and discovery
# --------------------------------------------------------------------------------------------
def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def abspath(path: str | os.PathLike) -> str:
    """Absolute, normalised, symlinks not resolved (the same on both sides of every comparison)."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))


def doc_id_for_path(path: str | os.PathLike) -> str:
    """The path relative to the current working directory when it lies inside it, else the absolute path."""
    full = abspath(path)
    cwd = abspath(os.getcwd())
    if full == cwd or full.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(full, cwd)).as_posix()
    return full


def is_document_file(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENT_SUFFIXES and path.name.lower() not in SKIPPED_NAMES


def discover(root: Path) -> list[Path]:
    """Document files under a directory, recursively and sorted; hidden entries, README.md and YAML skipped."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if is_document_file(path):
                found.append(path)
    return found


# --------------------------------------------------------------------------------------------
# front matter and plain-text helpers
# --------------------------------------------------------------------------------------------
def _as_str(value: Any) -> str:
    if value is None or value in ("~", "null", "Null", "NULL"):
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) else value.date().isoformat()
    return str(value).strip()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [s for s in (_as_str(v) for v in value) if s]
    text = _as_str(value)
    return [text] if text else []


def split_front_matter(text: str) -> tuple[dict, str]:
    """(front matter, body). No front matter = ({}, text). Malformed YAML raises LoadError."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LoadError(f"invalid YAML front matter: {first}") from None
    if not isinstance(data, dict):
        raise LoadError("invalid YAML front matter: not a mapping")
    return data, text[match.end():]


def first_heading(text: str) -> str:
    for line in text.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            return match.group(2).strip()
    return ""


def title_from_name(path: str) -> str:
    stem = Path(path.rstrip("/")).stem or path
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else path


def pop_source_line(text: str) -> tuple[str | None, str]:
    """A saved page may start with `SOURCE: <url>` (or `<!-- SOURCE: <url> -->`): (url, rest of text)."""
    stripped = text.lstrip("\ufeff")
    first, _, rest = stripped.partition("\n")
    match = _SOURCE_LINE.match(first)
    if match:
        return match.group(1), rest
    return None, text


def make_document(
    *, doc_id: str, text: str, meta: dict | None = None, fallback_title: str = "", source_url: str | None = None
) -> SourceDocument:
    """Build a SourceDocument from a body and (possibly empty) front matter; fails on an empty body."""
    meta = meta or {}
    body = text.strip()
    if not body:
        raise LoadError("empty document")
    title = _as_str(meta.get("title")) or first_heading(body) or fallback_title or title_from_name(doc_id)
    fields: dict[str, Any] = {name: _as_list(meta.get(name)) for name in _LIST_FIELDS}
    if not fields["source_urls"]:
        fields["source_urls"] = [source_url or doc_id]
    if not fields["clinical_systems"]:
        fields["clinical_systems"] = ["any"]
    return SourceDocument(
        doc_id=doc_id,
        source=doc_id,
        title=title,
        text=body + "\n",
        last_reviewed=_as_str(meta.get("last_reviewed")),
        **fields,
    )


# --------------------------------------------------------------------------------------------
# per-format readers (from bytes, so files and downloads share them)
# --------------------------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_markdown(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    text = _decode(data)
    if not text.strip():
        raise LoadError("empty document")
    meta, body = split_front_matter(text)
    if not meta:
        url, body = pop_source_line(body)
        source_url = url or source_url
    return make_document(doc_id=doc_id, text=body, meta=meta, source_url=source_url)


def read_text(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    return read_markdown(data, doc_id, source_url)  # plain text is Markdown without markup


def _looks_like_prose(text: str) -> bool:
    """Main text has at least one line of real words, not only a menu of one- or two-word links."""
    words = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tokens = re.findall(r"[A-Za-z0-9][\w'’-]*", line)
        if len(tokens) >= 5:
            words += len(tokens)
    return words >= 8


def read_html(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    html = _decode(data)
    if not html.strip():
        raise LoadError("empty document")
    url, rest = pop_source_line(html)
    if url:
        source_url, html = url, rest
    else:
        match = re.search(r"<!--\s*SOURCE:\s*(\S+?)\s*-->", html[:2000], re.IGNORECASE)
        if match:
            source_url = match.group(1)
    import trafilatura  # heavy: imported on first HTML document

    try:
        text = trafilatura.extract(
            html,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_links=False,
            include_images=False,
            include_formatting=True,
            deduplicate=True,
        )
    except Exception as exc:  # lxml/trafilatura internals
        raise LoadError(f"could not parse HTML: {exc}") from None
    if not text or not _looks_like_prose(text):
        raise LoadError("no main text")
    title = ""
    try:
        meta = trafilatura.extract_metadata(html)
        title = (meta.title or "").strip() if meta else ""
    except Exception:
        title = ""
    if not title:
        match = re.search(r"<title[^>]*>(.*?)</title>", html, re.IGNORECASE | re.DOTALL)
        title = re.sub(r"\s+", " ", match.group(1)).strip() if match else ""
    title = title or first_heading(text)
    return make_document(doc_id=doc_id, text=text, meta={"title": title} if title else {}, source_url=source_url)


def read_pdf(data: bytes, doc_id: str, source_url: str | None = None) -> SourceDocument:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    if not data.strip():
        raise LoadError("empty document")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise LoadError(f"encrypted PDF (cannot decrypt: {exc})") from None
            if not opened:
                raise LoadError("encrypted PDF (password required)")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        info_title = ""
        try:
            info_title = ((reader.metadata or {}).get("/Title") or "").strip()
        except Exception:
            info_title = ""
    except LoadError:
        raise
    except FileNotDecryptedError:
        raise LoadError("encrypted PDF (password required)") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LoadError(f"corrupt PDF: {reason}") from None
    except Exception as exc:  # pypdf raises a zoo of errors on damaged files
        raise LoadError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise LoadError("no text in PDF (scanned image or empty pages)")
    meta = {"title": info_title} if info_title else {}
    return make_document(
        doc_id=doc_id, text=text, meta=meta, fallback_title=title_from_name(doc_id), source_url=source_url
    )


_READERS = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
}


def read_file_bytes(path: str | os.PathLike) -> bytes:
    """The raw bytes of a local document (LoadError when unreadable or of an unsupported type)."""
    path = Path(path)
    if path.suffix.lower() not in _READERS:
        raise LoadError(f"unsupported file type {path.suffix or '(none)'!r}")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LoadError("no such file") from None
    except IsADirectoryError:
        raise LoadError("is a directory") from None
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from None


def load_bytes(path: str | os.PathLike, data: bytes) -> SourceDocument:
    """A local document from bytes already read from `path`."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise LoadError(f"unsupported file type {path.suffix or '(none)'!r}")
    if not data.strip():
        raise LoadError("empty document")
    document = reader(data, doc_id_for_path(path))
    # `source` is where the file lives, absolute, so an ingest run from another working directory still
    # recognises (and replaces) what an earlier run indexed from the same place
    return document.model_copy(update={"source": abspath(path)})


def load_file(path: str | os.PathLike) -> SourceDocument:
    """Read one local document. Raises LoadError with the reason."""
    return load_bytes(path, read_file_bytes(path))


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
        kind = content_type.split(";")[0].strip().lower()
        path = url.split("?")[0].split("#")[0].lower()
        if not body.strip():
            raise LoadError("empty document")
        if kind == "application/pdf" or path.endswith(".pdf") or body[:5] == b"%PDF-":
            return read_pdf(body, url, url)
        if kind in ("text/markdown", "text/x-markdown") or path.endswith((".md", ".markdown")):
            return read_markdown(body, url, url)
        if kind == "text/plain" or path.endswith(".txt"):
            return read_text(body, url, url)
        return read_html(body, url, url)


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


def iter_unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
