"""Structural and safety checks for the knowledge corpus under knowledge/: pure functions over a knowledge
directory, so they run on the real corpus (tests/test_corpus.py) and on a tmp copy with a planted mistake.

Stdlib + PyYAML only. Locates knowledge/ relative to this file (never reads anything outside the repo).
The sources-annotation checks (issue 10) are in tests/corpus_source_checks.py.

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

Every failure message names the file and the problem.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

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
    shorthand = data.pop("shorthand", {})
    if not isinstance(shorthand, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip() for k, v in shorthand.items()):
        problems.append("knowledge/glossary.yaml: 'shorthand' must map each shorthand (a string) to the word it stands for")
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



DOCS = document_paths(KNOWLEDGE) if KNOWLEDGE.is_dir() else []  # the real corpus's documents


def fail_if(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def copy_corpus(tmp_path: Path) -> Path:
    """A copy of knowledge/ under tmp_path, for planting a mistake (never on the real files)."""
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    return root


def first_doc_with(root: Path, needle: str) -> Path:
    for path in document_paths(root):
        if needle in path.read_text(encoding="utf-8"):
            return path
    pytest.skip(f"no document mentions {needle}")
