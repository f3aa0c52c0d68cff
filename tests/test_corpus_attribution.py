"""Attributions in the corpus text match the pages cited for them: a line ending in "(RCGP toolkit)" must
cite an RCGP page, not a trade-press report of it ("(RCGP toolkit, as reported by Pulse)" then says so)."""

import re
from pathlib import Path

import yaml

from bot.citations import named, publisher_names
from ingest.annotations import source_segments

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
_TRAILING = re.compile(r"\(([^()]*)\)[.;:,]?\s*(?:<!--.*-->)?\s*$")
# "X, as reported by Y", "X, via Y", "Y, reproducing X", "X cited by Y": the line credits X through page Y
_RELAYED = re.compile(r"\b(?:reported by|via|reproducing|cited by|citing)\b")


def publisher_name_set(references: list[dict]) -> set[str]:
    """The names the text may use for the corpus's publishers; a bare name that starts a longer one ("NHS"
    of "NHS England") is left out, since the text uses it in other names ("NHS App", "NHS login")."""
    all_names = {n for entry in references for n in publisher_names(str(entry.get("publisher", ""))) if n}
    return {n for n in all_names if not any(other != n and other.startswith(n + " ") for other in all_names)}


def attribution_problems(path: Path, references: list[dict]) -> list[str]:
    """Lines whose closing parenthesis credits a publisher none of the line's cited pages is from."""
    publisher_of = {str(e["url"]): str(e.get("publisher", "")) for e in references}
    known = publisher_name_set(references)
    problems = []
    _, segments = source_segments(path.read_text(encoding="utf-8"))
    for segment in segments:
        cited = {n for url in segment.urls for n in publisher_names(publisher_of.get(url, "")) if n}
        if not segment.urls:
            continue
        for line in segment.text.splitlines():
            match = _TRAILING.search(line.strip())
            if not match:
                continue
            credited = named(match.group(1), known)
            if not credited:
                continue
            relayed = _RELAYED.search(match.group(1)) is not None
            wrong = sorted(credited - cited)
            if (relayed and not credited & cited) or (not relayed and wrong):
                problems.append(f"{path.relative_to(path.parents[1]).as_posix()}: credits {wrong} but cites "
                                f"{sorted(cited)}: {line.strip()[:120]}")
    return problems


def _references(root: Path) -> list[dict]:
    return yaml.safe_load((root / "references.yaml").read_text(encoding="utf-8")) or []


def test_every_credited_publisher_is_a_cited_page():
    references = _references(KNOWLEDGE)
    documents = [p for p in sorted(KNOWLEDGE.rglob("*.md")) if p.name != "README.md"]  # the README shows the format
    problems = [p for path in documents for p in attribution_problems(path, references)]
    assert not problems, "\n".join(problems)


def test_checker_catches_a_credit_to_a_page_not_cited(tmp_path):
    references = [{"url": "https://news.example.com/feed/", "publisher": "Pulse"},
                  {"url": "https://elearning.example.org/toolkit", "publisher": "RCGP"},
                  {"url": "https://digital.example.uk/faq", "publisher": "NHS Digital (now NHS England)"},
                  {"url": "https://nhs.example.uk/", "publisher": "NHS (nhs.uk)"}]
    doc = tmp_path / "folder" / "doc.md"
    doc.parent.mkdir()
    doc.write_text("# Doc\n<!-- sources: https://news.example.com/feed/ | facts: J16 -->\n"
                   "1. Discuss with the leads (RCGP toolkit).\n"
                   "2. Discuss with the leads (RCGP toolkit, as reported by Pulse).\n"
                   "3. Do not delete the account (NHS England troubleshooting guide).\n"
                   "4. Use the NHS App (Pulse).\n", encoding="utf-8")
    problems = attribution_problems(doc, references)
    assert len(problems) == 2
    assert "['RCGP']" in problems[0] and "['NHS England']" in problems[1]
