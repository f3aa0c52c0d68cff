"""Checks of the corpus's sources annotations (issue 10, format in knowledge/README.md).

Directly under the title and under every ##/### heading a `<!-- sources: URL ... | facts: ID ... -->` line;
every URL in such a line is in references.yaml and in the document's source_urls; every fact id is in
fact-sources.yaml, and the URLs of a line are among the URLs fact-sources.yaml gives for its facts (compared
by host-less path, so a mirror host counts); every references.yaml entry has a title, a publisher and a date
that is "" or ISO. Pure functions over a knowledge directory, like tests/corpus_checks.py.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from corpus_checks import document_paths, rel, split_front_matter, valid_source_date


SOURCES_LINE = re.compile(r"^<!-- sources:(?P<urls>[^|]*)\| facts:(?P<facts>[^|]*?)-->$")
HEADING = re.compile(r"^(#{1,3}) \S")
FACT_ID = re.compile(r"^[A-T]\d{2}$")
TITLE_SOURCES = {"dossier", "url"}


def page_key(url: str) -> tuple[str, str]:
    """A URL without its host: mirror copies (another host, same path) and a doubled slash count as one page."""
    parts = urlsplit(url)
    return re.sub(r"/{2,}", "/", parts.path).rstrip("/"), parts.query


@functools.lru_cache(maxsize=16)
def _parsed_yaml(path: str, mtime_ns: int, size: int) -> object:
    """A YAML file parsed once per version (the key changes when a test edits its copy)."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def read_yaml(path: Path) -> object:
    stat = path.stat()
    return _parsed_yaml(str(path), stat.st_mtime_ns, stat.st_size)


def load_fact_sources(root: Path) -> dict[str, list[str]]:
    data = read_yaml(root / "fact-sources.yaml")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(u, str) for u in v) for k, v in data.items()
    ):
        raise AssertionError("knowledge/fact-sources.yaml: expected a mapping of fact id -> list of URLs")
    return data


def load_references(root: Path) -> list:
    data = read_yaml(root / "references.yaml")
    if not isinstance(data, list):
        raise AssertionError("knowledge/references.yaml: expected a top-level list of entries")
    return data


def valid_reference_date(value: object) -> bool:
    return value == "" or (isinstance(value, str) and value != "undated" and valid_source_date(value))


# the copies of digital.nhs.uk pages the dossier read ("the digital.nhs.uk path is the same after the host name")
DIGITAL_MIRRORS = {"nhsd-proxy.dokku3.ebmdatalab.net", "production-like.nhsd.io"}


def references_problems(root: Path) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for entry in load_references(root):
        url = entry.get("url") if isinstance(entry, dict) else None
        where = f"knowledge/references.yaml: entry {url or entry!r}"
        if not isinstance(url, str) or not re.fullmatch(r"https?://\S+", url):
            problems.append(f"{where}: 'url' is missing or not a URL")
            continue
        if url in seen:
            problems.append(f"{where}: listed twice")
        seen.add(url)
        for field in ("title", "publisher"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                problems.append(f"{where}: missing or empty '{field}'")
        if "date" not in entry or not valid_reference_date(entry["date"]):
            problems.append(f"{where}: date {entry.get('date')!r} is not \"\" or an ISO date (YYYY-MM-DD or YYYY-MM)")
        if entry.get("title_source") not in TITLE_SOURCES:
            problems.append(f"{where}: title_source must be one of {sorted(TITLE_SOURCES)}")
        canonical = entry.get("canonical")
        if canonical is not None:  # only a mirror copy of digital.nhs.uk, and only to the same path there
            host, _, path = url.split("://", 1)[1].partition("/")
            if host not in DIGITAL_MIRRORS or canonical != f"https://digital.nhs.uk/{path}":
                problems.append(f"{where}: canonical must be the digital.nhs.uk page with the same path, for a mirror")
    dates = {e["url"]: e.get("date") for e in load_references(root) if isinstance(e, dict) and "url" in e}
    used = set()
    for path in document_paths(root):
        fm_text, _ = split_front_matter(path.read_text(encoding="utf-8"))
        fm = (yaml.safe_load(fm_text) if fm_text else None) or {}
        for url, date in zip(fm.get("source_urls") or [], fm.get("source_dates") or []):
            used.add(url)
            if url not in seen:
                problems.append(f"{rel(path, root)}: source_urls entry {url} has no entry in references.yaml")
            elif str(date) != (dates[url] or "undated"):
                problems.append(
                    f"{rel(path, root)}: source_dates gives {date!r} for {url}, references.yaml {dates[url]!r}"
                )
    for url in sorted(seen - used):
        problems.append(f"knowledge/references.yaml: {url} is not a source_urls entry of any document")
    return problems


def sources_problems(path: Path, root: Path) -> list[str]:
    """Missing, malformed or unsupported sources comments in one document."""
    name = rel(path, root)
    fm_text, body = split_front_matter(path.read_text(encoding="utf-8"))
    fm = (yaml.safe_load(fm_text) if fm_text else None) or {}
    doc_urls = set(fm.get("source_urls") or [])
    references = {e.get("url") for e in load_references(root) if isinstance(e, dict)}
    fact_sources = load_fact_sources(root)
    lines = body.splitlines()
    problems: list[str] = []
    for i, line in enumerate(lines):
        if HEADING.match(line):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not SOURCES_LINE.match(following.strip()):
                problems.append(f"{name}: heading {line!r} is not directly followed by a '<!-- sources: ... | facts: ... -->' line")
        stripped = line.strip()
        if not stripped.startswith("<!-- sources"):
            continue
        match = SOURCES_LINE.match(stripped)
        if not match:
            problems.append(f"{name}: malformed sources comment {stripped[:80]!r} (want '<!-- sources: URL ... | facts: ID ... -->')")
            continue
        urls, facts = match["urls"].split(), match["facts"].split()
        where = f"{name}: sources comment on body line {i + 1}"
        if not facts:
            problems.append(f"{where}: lists no fact ids")
        supported: set[tuple[str, str]] = set()
        for fact in facts:
            if not FACT_ID.match(fact) or fact not in fact_sources:
                problems.append(f"{where}: fact id {fact!r} is not in knowledge/fact-sources.yaml")
                continue
            supported.update(page_key(u) for u in fact_sources[fact])
        if not urls and any(fact_sources.get(f) for f in facts):
            problems.append(f"{where}: lists no URL, though the dossier gives URLs for {facts}")
        for url in urls:
            if url not in references:
                problems.append(f"{where}: {url} is not in knowledge/references.yaml")
            if url not in doc_urls:
                problems.append(f"{where}: {url} is not in the document's source_urls")
            if page_key(url) not in supported:
                problems.append(f"{where}: {url} is not a page the dossier gives for facts {facts}")
    return problems

