"""The same guidance as plain text, HTML, PDF and Word: does each format answer as well as plain text?

    PYTHONPATH=$PWD .venv/bin/python eval/formats.py [--keep DIR]

For each of the four pages in eval/format_pages.py it writes the page as a saved web page (cookie banner,
navigation, footer, canonical link), as a browser-printed PDF (time stamp, "Classification: Official",
URL and page numbers on every page; hyphenated line ends), as a .docx (headings, bullets, a table; title and
date in the document properties) and as plain text. Each format is ingested into its own data dir with
`gpbot ingest DIR --json`, the questions are asked with `gpbot ask --jsonl`, and it prints per format:

- must-contain: answered questions whose answer contains every must-contain string, over all questions;
- ratio: that rate over the plain-text rate (target >= 0.90, and the rate itself >= 0.75);
- cited right: answers whose citation of the page that answers shows its real title and date (and for
  HTML and PDF the page's URL; for Word and text the file, which is all they say about where they live);
- boilerplate: passages (from the same reader and chunker as the index) holding a line of page furniture.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from format_pages import BOILERPLATE, PAGES, QUESTIONS  # noqa: E402  (puts tests/ingest on the path)
from format_files import docx_page, html_page, pdf_page, text_page  # noqa: E402

FORMATS = {"txt": text_page, "html": html_page, "pdf": pdf_page, "docx": docx_page}
GPBOT = str(ROOT / ".venv" / "bin" / "gpbot")


def _slug(title: str) -> str:
    return "-".join(title.lower().split()[:4])


def write_files(base: Path) -> dict[str, Path]:
    dirs = {}
    for ext, make in FORMATS.items():
        folder = base / ext
        folder.mkdir(parents=True, exist_ok=True)
        for page in PAGES:
            content = make(page)
            path = folder / f"{_slug(page.title)}.{ext}"
            path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
        dirs[ext] = folder
    return dirs


def expected_date(page) -> str:
    """The page's date as written on it ("… 12 May 2023"), parsed here, not by the reader under test."""
    import datetime as dt

    return dt.datetime.strptime(" ".join(page.date_line.split()[-3:]), "%d %B %Y").date().isoformat()


def boilerplate_passages(folder: Path) -> list[str]:
    from ingest.chunking import chunk_document
    from ingest.loaders import discover, load_file

    bad = []
    for path in discover(folder):
        for chunk in chunk_document(load_file(path)):
            bad += [f"{path.name}: {line!r}" for line in BOILERPLATE if line in chunk.text]
    return bad


def run_format(ext: str, folder: Path, data_dir: Path) -> dict:
    env = dict(os.environ, GPBOT_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    ingest = subprocess.run([GPBOT, "ingest", str(folder), "--json"], capture_output=True, text=True, env=env,
                            timeout=900)
    summary = json.loads(ingest.stdout.strip().splitlines()[-1])
    feed = "".join(json.dumps({"id": i, "question": q}) + "\n" for i, (q, _, _) in enumerate(QUESTIONS))
    asked = subprocess.run([GPBOT, "ask", "--jsonl"], input=feed, capture_output=True, text=True, env=env,
                           timeout=900)
    answers = {a["id"]: a for a in map(json.loads, filter(None, asked.stdout.splitlines()))}
    must_ok = cited_ok = 0
    misses = []
    for i, (question, must, page_index) in enumerate(QUESTIONS):
        answer = answers.get(i, {})
        text = " ".join(answer.get("text", "").lower().split())
        if answer.get("kind") == "answered" and all(m.lower() in text for m in must):
            must_ok += 1
        else:
            misses.append(f"{question} -> {answer.get('kind')}: {answer.get('text', '')[:140]!r}")
        page = PAGES[page_index]
        want_url = page.url if ext in ("html", "pdf") else ""
        for citation in answer.get("citations", []):
            if citation.get("title") == page.title:
                dated = expected_date(page) in (citation.get("published"), citation.get("last_reviewed"))
                if dated and (not want_url or citation.get("url") == want_url):
                    cited_ok += 1
                break
    return {"format": ext, "failed": summary.get("failed"), "skipped": summary.get("skipped"),
            "must": must_ok / len(QUESTIONS), "must_ok": must_ok, "cited_ok": cited_ok, "misses": misses,
            "boilerplate": boilerplate_passages(folder)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Write the files and data dirs here (kept) instead of a temp dir.")
    parser.add_argument("-v", "--verbose", action="store_true", help="Print the missed answers.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        dirs = write_files(base / "files")
        results = [run_format(ext, folder, base / f"data-{ext}") for ext, folder in dirs.items()]
    text_rate = results[0]["must"]
    print(f"{len(PAGES)} pages x {len(QUESTIONS)} questions per format")
    print(f"{'format':8} {'must-contain':>14} {'ratio to txt':>13} {'cited right':>12} {'boilerplate':>12}")
    ok = True
    for r in results:
        ratio = r["must"] / text_rate if text_rate else 0.0
        print(f"{r['format']:8} {r['must_ok']:>3}/{len(QUESTIONS)} = {r['must']:.2f} {ratio:>13.2f} "
              f"{r['cited_ok']:>5}/{len(QUESTIONS):<6} {len(r['boilerplate']):>12}")
        ok &= r["must"] >= 0.75 and ratio >= 0.9 and not r["boilerplate"] and not r["failed"]
        for line in r["boilerplate"]:
            print(f"   boilerplate {line}")
        if args.verbose:
            for miss in r["misses"]:
                print(f"   miss {miss}")
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
