"""Structural and safety checks for the knowledge corpus under knowledge/.

Stdlib + PyYAML only. Locates knowledge/ relative to this file (never reads anything outside the repo).

Checks:
- every *.md under knowledge/ except README.md has YAML front matter with all required fields,
  at least one https source URL, source_dates parallel to source_urls with valid values,
  an ISO last_reviewed date, clinical_systems within {emis, systmone, any},
  a "# " title heading and at least one "## " section;
- no two documents share a title;
- every 9-18 digit number in the documents and glossary (outside URLs) is a code in codes.yaml,
  and each occurrence in a document has that code's exact description in the same paragraph;
- every codes.yaml entry has an https source_url;
- glossary.yaml is a mapping of str -> non-empty list of str;
- sources annotations (issue 10, format in knowledge/README.md): directly under the title and under every
  ##/### heading a `<!-- sources: URL ... | facts: ID ... -->` line; every URL in such a line is in
  references.yaml and in the document's source_urls; every fact id is in fact-sources.yaml, and the URLs
  of a line are among the URLs fact-sources.yaml gives for its facts (compared by host-less path, so a
  mirror host counts); every references.yaml entry has a title, a publisher and a date that is "" or ISO.

Every failure message names the file and the problem. The helper functions take explicit paths so the
checks can be exercised on a copy of the corpus (see test_checker_catches_a_wrong_code).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

REQUIRED_FIELDS = (
    "title",
    "publisher",
    "source_urls",
    "source_dates",
    "last_reviewed",
    "topics",
    "clinical_systems",
    "audience",
)
LIST_FIELDS = ("publisher", "source_urls", "source_dates", "topics", "clinical_systems", "audience")
ALLOWED_SYSTEMS = {"emis", "systmone", "any"}
DATE_VALUE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
URL = re.compile(r"https?://\S+")
LONG_NUMBER = re.compile(r"(?<!\d)\d{9,18}(?!\d)")
NOT_DOCUMENTS = {"README.md"}


# ---------------------------------------------------------------------------------------------------
# helpers (pure functions over a knowledge directory, so they can be tested on a tmp copy)


def document_paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.name not in NOT_DOCUMENTS)


def rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Return (front matter text, body) or (None, text) when there is no front matter block."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None, text
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    return None, text


def valid_source_date(value: object) -> bool:
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str):
        return False
    if value == "undated":
        return True
    m = DATE_VALUE.match(value)
    if not m:
        return False
    year, month, day = m.groups()
    try:
        dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        return False
    return True


def valid_iso_date(value: object) -> bool:
    if isinstance(value, dt.datetime):
        return False
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def document_problems(path: Path, root: Path) -> list[str]:
    """Every structural problem with one document, as messages that name the file."""
    name = rel(path, root)
    text = path.read_text(encoding="utf-8")
    fm_text, body = split_front_matter(text)
    if fm_text is None:
        return [f"{name}: no YAML front matter (file must start with a '---' line and close it with '---')"]
    try:
        fm = yaml.safe_load(fm_text)
    except yaml.YAMLError as exc:
        return [f"{name}: front matter is not valid YAML: {exc}"]
    if not isinstance(fm, dict):
        return [f"{name}: front matter is not a YAML mapping"]

    problems: list[str] = []
    for field in REQUIRED_FIELDS:
        if field not in fm or fm[field] in (None, "", []):
            problems.append(f"{name}: front matter field '{field}' is missing or empty")
    for field in LIST_FIELDS:
        if field in fm and fm[field] is not None and not isinstance(fm[field], list):
            problems.append(f"{name}: front matter field '{field}' must be a list")
    if problems:
        return problems

    if not isinstance(fm["title"], str) or not fm["title"].strip():
        problems.append(f"{name}: title must be a non-empty string")

    urls = fm["source_urls"]
    for url in urls:
        if not isinstance(url, str) or not re.fullmatch(r"https?://\S+", url):
            problems.append(f"{name}: source_urls entry {url!r} is not a URL")
    if not any(isinstance(u, str) and u.startswith("https://") for u in urls):
        problems.append(f"{name}: source_urls has no https:// URL")

    dates = fm["source_dates"]
    if len(dates) != len(urls):
        problems.append(
            f"{name}: source_dates has {len(dates)} entries but source_urls has {len(urls)} (must be parallel)"
        )
    for d in dates:
        if not valid_source_date(d):
            problems.append(f"{name}: source_dates value {d!r} is not YYYY-MM-DD, YYYY-MM or 'undated'")

    if not valid_iso_date(fm["last_reviewed"]):
        problems.append(f"{name}: last_reviewed {fm['last_reviewed']!r} is not an ISO date (YYYY-MM-DD)")

    bad_systems = [s for s in fm["clinical_systems"] if s not in ALLOWED_SYSTEMS]
    if bad_systems:
        problems.append(f"{name}: clinical_systems {bad_systems} not in {sorted(ALLOWED_SYSTEMS)}")

    for field in ("publisher", "topics", "audience"):
        bad = [v for v in fm[field] if not isinstance(v, str) or not v.strip()]
        if bad:
            problems.append(f"{name}: {field} has non-string or empty entries {bad}")

    body_lines = body.splitlines()
    if not any(line.startswith("# ") for line in body_lines):
        problems.append(f"{name}: body has no '# ' title heading")
    if not any(line.startswith("## ") for line in body_lines):
        problems.append(f"{name}: body has no '## ' section heading")
    return problems


def load_codes(root: Path) -> dict[str, dict]:
    data = yaml.safe_load((root / "codes.yaml").read_text(encoding="utf-8"))
    entries = data.get("codes") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise AssertionError("knowledge/codes.yaml: expected a top-level 'codes:' list")
    codes: dict[str, dict] = {}
    for entry in entries:
        if not isinstance(entry, dict) or "id" not in entry:
            raise AssertionError(f"knowledge/codes.yaml: entry without an id: {entry!r}")
        codes[str(entry["id"])] = entry
    return codes


def codes_yaml_problems(root: Path) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for code, entry in load_codes(root).items():
        where = f"knowledge/codes.yaml: code {code}"
        if not isinstance(entry["id"], str):
            problems.append(f"{where}: id must be a quoted string (YAML would otherwise read it as a number)")
        if not re.fullmatch(r"\d{6,18}", code):
            problems.append(f"{where}: id is not a SNOMED CT numeric ID")
        if code in seen:
            problems.append(f"{where}: listed twice")
        seen.add(code)
        for field in ("nickname", "description", "source_url"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                problems.append(f"{where}: missing or empty '{field}'")
        url = entry.get("source_url")
        if isinstance(url, str) and not url.startswith("https://"):
            problems.append(f"{where}: source_url {url!r} is not an https URL")
    return problems


def paragraphs(body: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", body) if p.strip()]


def code_problems(root: Path) -> list[str]:
    """Unknown codes anywhere in documents/glossary, and code mentions lacking the exact description."""
    codes = load_codes(root)
    problems: list[str] = []
    for path in document_paths(root):
        name = rel(path, root)
        fm_text, body = split_front_matter(path.read_text(encoding="utf-8"))
        if fm_text is not None:
            for number in LONG_NUMBER.findall(URL.sub(" ", fm_text)):
                if number not in codes:
                    problems.append(f"{name}: front matter has number {number}, which is not a code in codes.yaml")
        for para in paragraphs(body):
            scan = URL.sub(" ", para)
            for number in LONG_NUMBER.findall(scan):
                if number not in codes:
                    problems.append(
                        f"{name}: {number} is not a code listed in knowledge/codes.yaml "
                        f"(wrong digits? paragraph starts {para.strip()[:60]!r})"
                    )
                    continue
                desc = codes[number]["description"]
                if desc not in para:
                    problems.append(
                        f"{name}: code {number} appears without its exact description {desc!r} "
                        f"in the same paragraph (paragraph starts {para.strip()[:60]!r})"
                    )
    glossary = root / "glossary.yaml"
    if glossary.exists():
        for number in LONG_NUMBER.findall(URL.sub(" ", glossary.read_text(encoding="utf-8"))):
            if number not in codes:
                problems.append(f"knowledge/glossary.yaml: {number} is not a code listed in knowledge/codes.yaml")
    return problems


def glossary_problems(root: Path) -> list[str]:
    path = root / "glossary.yaml"
    if not path.exists():
        return ["knowledge/glossary.yaml: file is missing"]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [f"knowledge/glossary.yaml: not valid YAML: {exc}"]
    if not isinstance(data, dict) or not data:
        return ["knowledge/glossary.yaml: must be a non-empty mapping of term -> list of expansions"]
    problems = []
    for term, expansions in data.items():
        if not isinstance(term, str) or not term.strip():
            problems.append(f"knowledge/glossary.yaml: term {term!r} is not a string (quote it)")
        if not isinstance(expansions, list) or not expansions:
            problems.append(f"knowledge/glossary.yaml: term {term!r} must map to a non-empty list")
            continue
        bad = [e for e in expansions if not isinstance(e, str) or not e.strip()]
        if bad:
            problems.append(f"knowledge/glossary.yaml: term {term!r} has non-string/empty expansions {bad} (quote numbers)")
    return problems


def duplicate_title_problems(root: Path) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for path in document_paths(root):
        fm_text, _ = split_front_matter(path.read_text(encoding="utf-8"))
        try:
            fm = yaml.safe_load(fm_text) if fm_text is not None else None
        except yaml.YAMLError:
            continue  # reported by test_document_front_matter_and_structure
        if not isinstance(fm, dict) or not isinstance(fm.get("title"), str):
            continue
        key = " ".join(fm["title"].split()).casefold()
        name = rel(path, root)
        if key in seen:
            problems.append(f"{name}: title {fm['title']!r} is already used by {seen[key]}")
        else:
            seen[key] = name
    return problems


# ---------------------------------------------------------------------------------------------------
# sources annotations (issue 10): section comments, references.yaml, fact-sources.yaml

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


def fail_if(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# ---------------------------------------------------------------------------------------------------
# tests on the real corpus

DOCS = document_paths(KNOWLEDGE) if KNOWLEDGE.is_dir() else []


def test_knowledge_folder_has_documents():
    assert KNOWLEDGE.is_dir(), f"{KNOWLEDGE} does not exist"
    assert DOCS, "knowledge/ contains no *.md documents"
    for required in ("codes.yaml", "glossary.yaml", "README.md"):
        assert (KNOWLEDGE / required).is_file(), f"knowledge/{required} is missing"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: rel(p, KNOWLEDGE))
def test_document_front_matter_and_structure(path):
    fail_if(document_problems(path, KNOWLEDGE))


def test_titles_are_unique():
    fail_if(duplicate_title_problems(KNOWLEDGE))


def test_codes_yaml_entries():
    fail_if(codes_yaml_problems(KNOWLEDGE))


def test_every_code_is_known_and_described():
    fail_if(code_problems(KNOWLEDGE))


def test_glossary_shape():
    fail_if(glossary_problems(KNOWLEDGE))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: rel(p, KNOWLEDGE))
def test_every_section_cites_pages_the_dossier_gives_for_its_facts(path):
    fail_if(sources_problems(path, KNOWLEDGE))


def test_references_yaml_entries():
    fail_if(references_problems(KNOWLEDGE))


def test_fact_sources_yaml_shape():
    facts = load_fact_sources(KNOWLEDGE)
    assert facts, "knowledge/fact-sources.yaml is empty"
    bad = [k for k, urls in facts.items() if not FACT_ID.match(k) or not all(re.fullmatch(r"https?://\S+", u) for u in urls)]
    assert not bad, f"knowledge/fact-sources.yaml: bad ids or URLs for {bad}"


# ---------------------------------------------------------------------------------------------------
# the checks themselves catch mistakes (run on a tmp copy, never on the real files)


def _copy_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    return root


def _first_doc_with(root: Path, needle: str) -> Path:
    for path in document_paths(root):
        if needle in path.read_text(encoding="utf-8"):
            return path
    pytest.skip(f"no document mentions {needle}")


def test_checker_catches_a_wrong_code(tmp_path):
    root = _copy_corpus(tmp_path)
    doc = _first_doc_with(root, "1364731000000104")
    text = doc.read_text(encoding="utf-8")
    doc.write_text(text.replace("1364731000000104", "1364731000000105", 1), encoding="utf-8")
    problems = code_problems(root)
    assert any("1364731000000105" in p and doc.name in p for p in problems), problems


def test_checker_catches_a_code_without_its_description(tmp_path):
    root = _copy_corpus(tmp_path)
    doc = _first_doc_with(root, "1364731000000104")
    text = doc.read_text(encoding="utf-8")
    text = text.replace("Enhanced review indicated before granting access to own health record (situation)", "enhanced review")
    doc.write_text(text, encoding="utf-8")
    problems = code_problems(root)
    assert any("without its exact description" in p and doc.name in p for p in problems), problems


def test_checker_catches_bad_front_matter(tmp_path):
    root = _copy_corpus(tmp_path)
    bad = root / "bad.md"
    bad.write_text(
        '---\ntitle: "x"\npublisher: [NHS England]\nsource_urls:\n  - http://example.org\n'
        'source_dates: ["2023-13-01", "undated"]\nlast_reviewed: 23/11/2026\ntopics: [a]\n'
        "clinical_systems: [vision]\naudience: [GPs]\n---\nno headings\n",
        encoding="utf-8",
    )
    joined = "\n".join(document_problems(bad, root))
    for expected in ("no https://", "parallel", "2023-13-01", "last_reviewed", "vision", "'# '", "'## '"):
        assert expected in joined, f"expected a problem mentioning {expected!r}, got:\n{joined}"
    assert "bad.md" in joined


def test_checker_catches_unknown_number_in_glossary(tmp_path):
    root = _copy_corpus(tmp_path)
    glossary = root / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + '\n"999 code": ["123456789012"]\n', encoding="utf-8")
    assert any("123456789012" in p and "glossary.yaml" in p for p in code_problems(root))


def _sources_line(doc: Path) -> tuple[str, str]:
    """The first section sources comment of a copied document that cites exactly one URL, and that URL."""
    for line in doc.read_text(encoding="utf-8").splitlines():
        match = SOURCES_LINE.match(line.strip())
        if match and len(match["urls"].split()) == 1:
            return line, match["urls"].split()[0]
    pytest.skip(f"{doc.name} has no single-URL sources comment")


def test_checker_catches_a_url_the_dossier_does_not_give_for_the_facts(tmp_path):
    root = _copy_corpus(tmp_path)
    doc = document_paths(root)[0]
    line, url = _sources_line(doc)
    text = doc.read_text(encoding="utf-8")
    fm = yaml.safe_load(split_front_matter(text)[0])
    match = SOURCES_LINE.match(line.strip())
    facts = match["facts"].split()
    supported = {page_key(u) for f in facts for u in load_fact_sources(root)[f]}
    # a page that is listed in the document and in references.yaml, but is not one the dossier gives for these facts
    wrong = next(u for u in fm["source_urls"] if page_key(u) not in supported)
    doc.write_text(text.replace(line, line.replace(url, wrong), 1), encoding="utf-8")
    problems = sources_problems(doc, root)
    assert any(wrong in p and "not a page the dossier gives" in p for p in problems), problems


def test_checker_catches_a_missing_or_unknown_source(tmp_path):
    root = _copy_corpus(tmp_path)
    doc = document_paths(root)[0]
    line, url = _sources_line(doc)
    text = doc.read_text(encoding="utf-8")
    unknown = "https://example.org/not-a-source"
    doc.write_text(text.replace(line, line.replace(url, unknown), 1), encoding="utf-8")
    problems = sources_problems(doc, root)
    assert any(unknown in p and "references.yaml" in p for p in problems), problems
    assert any(unknown in p and "source_urls" in p for p in problems), problems
    headings = [l for l in text.splitlines() if l.startswith("## ")]
    stripped = re.sub(r"(?m)^(" + re.escape(headings[0]) + r")\n<!-- sources:.*-->$", r"\1", text, count=1)
    doc.write_text(stripped, encoding="utf-8")
    assert any(headings[0] in p and "not directly followed" in p for p in sources_problems(doc, root))


def test_checker_catches_a_mirror_host_as_the_same_page():
    assert page_key("https://nhsd-proxy.dokku3.ebmdatalab.net/services/x/y") == page_key("https://digital.nhs.uk/services/x/y/")
    assert page_key("https://digital.nhs.uk//services/a") == page_key("https://digital.nhs.uk/services/a")
    assert page_key("https://a.example/p?id=1") != page_key("https://a.example/p?id=2")


def test_checker_catches_a_canonical_address_that_is_not_the_same_page(tmp_path):
    root = _copy_corpus(tmp_path)
    path = root / "references.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  canonical: https://digital.nhs.uk/" in text
    path.write_text(text.replace("  canonical: https://digital.nhs.uk/", "  canonical: https://digital.nhs.uk/x", 1),
                    encoding="utf-8")
    assert any("canonical" in p for p in references_problems(root))


def test_checker_catches_a_bad_reference_entry(tmp_path):
    root = _copy_corpus(tmp_path)
    refs = root / "references.yaml"
    refs.write_text(
        refs.read_text(encoding="utf-8")
        + '- url: https://example.org/page\n  title: ""\n  publisher: X\n  date: "7 Dec 2022"\n  title_source: guess\n',
        encoding="utf-8",
    )
    entries = yaml.safe_load(refs.read_text(encoding="utf-8"))
    entries[0]["date"] = "1999-01-01"  # no document gives this date for that page
    refs.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    joined = "\n".join(references_problems(root))
    for expected in ("'title'", "7 Dec 2022", "title_source", "not a source_urls entry", "'1999-01-01'"):
        assert expected in joined, f"expected a problem mentioning {expected!r}, got:\n{joined}"


def test_fact_sources_script_reads_the_dossier_shorthand():
    """eval/fact_sources.py on a made-up dossier (the real one is outside the repo and never read here)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fact_sources", KNOWLEDGE.parent / "eval" / "fact_sources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dossier = "\n".join([
        "- **F01** Redaction hides. Source: https://a.example/redact/ (v1.1, 12 May 2023)",
        "- **F02** Same principles. Source: same as F01.",
        "- **N01** Two pages. Source: https://b.example/guide/bulk ; .../opt-in",
        "- **A03** Early adopters. Source: a page stored via a redirect, date not shown.",
        "- **M05** Long-reads. Source: URLs in F01, N01 and https://c.example/register/",
        "- **T03 Bulk coding.** NHSE advises against (F02); a blogger disagreed (https://d.example/blog/).",
        "- **K06** Mirror. Source: https://nhsd-proxy.dokku3.ebmdatalab.net/services/x ; https://digital.nhs.uk//services/y",
    ])
    facts = module.resolve(module.parse_facts(dossier))
    assert facts["F01"] == ["https://a.example/redact/"]
    assert facts["F02"] == ["https://a.example/redact/"]
    assert facts["N01"] == ["https://b.example/guide/bulk", "https://b.example/guide/opt-in"]
    assert facts["A03"] == []
    assert facts["M05"] == ["https://c.example/register/", "https://a.example/redact/",
                            "https://b.example/guide/bulk", "https://b.example/guide/opt-in"]
    assert facts["T03"] == ["https://d.example/blog/", "https://a.example/redact/"]
    assert facts["K06"] == ["https://nhsd-proxy.dokku3.ebmdatalab.net/services/x", "https://digital.nhs.uk//services/y"]
