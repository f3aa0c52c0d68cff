"""Answer quality without the corpus's annotations (issue 10, item 3: documents ingested from elsewhere).

Our corpus carries what a real published page lacks: per-section `<!-- sources: ... | facts: ... -->` comments,
`questions.yaml` (staff-worded questions per section, indexed as extra vectors), `references.yaml` (each source
page's title, publisher and date) and the front-matter tags `topics`, `clinical_systems` and `audience`. This
script copies the corpus's documents to a temporary folder with all of that removed, keeping the metadata a real
page carries (title, publisher, source URLs and dates, review date) and every comment stripped from the body,
ingests the copy into its own data dir, and prints the shared scorer's summary line for it next to the line for
the annotated corpus's index (GPBOT_DATA_DIR, default ./data).

The shipped glossary and safeguarding situations (read from the knowledge dir at answer time, not indexed)
stay in use for both: they belong to the product, not to a document.

    PYTHONPATH=$PWD .venv/bin/python eval/plain_corpus.py [--split dev] [--plain-data DIR] [--only plain]
        [--keep questions,sources,references,tags] [--flat | --long-pages] [--misses]

`--plain-data DIR` keeps the plain index in DIR (ingest is incremental, so a second run only re-embeds what
changed; the copy of the corpus is kept in DIR/plain-knowledge); without it both live in a temporary folder
and are removed. The chunk memo does not notice a change to the chunking code: after one, remove DIR. `--flat`
also strips the markup of every heading below the title (text as a PDF without font cues gives it), a harder
variant. Reads ../shared (an eval script).

Figures (2026-12-06, dev split, this script): plain 111/140 must-contain, declines 12/13, wrong declines 0,
citation precision 73/142; annotated 113/140, 12/13, 0, 125/142. The plain copy's passages are exactly the
annotated corpus's (same chunks, same headings). `--keep` tells the annotations apart: questions alone 113/140
and 74/142; sources and references 111/140 and 123/142; tags 110/140 and 72/142; all four 113/140 and 125/142,
the annotated index's figures (a check of the copy). So the section questions are worth two dev questions of
must-contain, the sources comments nearly all of the citation precision. `--long-pages` (16 pages): 107/140
with the cap of two passages per document, 113/140 once it counts a page's topics apart (bot.retrieval.topic_of).
`--flat`: 112/140, one wrong decline.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"
SCORER = REPO.parent / "shared" / "eval" / "score.py"
BANK = REPO.parent / "shared" / "eval" / "question-bank.jsonl"
# What a published page's own metadata gives: its title, publisher, address(es) and date(s).
KEPT_FRONT_MATTER = ("title", "publisher", "source_urls", "source_dates", "last_reviewed")
TAGS = ("topics", "clinical_systems", "audience")
# Annotations `--keep` may leave in, to see what each is worth: the corpus files, and the two kinds in a document.
CORPUS_FILES = {"questions": "questions.yaml", "references": "references.yaml"}
ANNOTATIONS = (*CORPUS_FILES, "sources", "tags")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_COMMENT_LINE = re.compile(r"^[ \t]*<!--.*?-->[ \t]*\n", re.S | re.M)  # a comment on lines of its own
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SECTION_HEADING = re.compile(r"^#{2,6}[ \t]+", re.M)  # every heading below the title


def plain_document(text: str, flat: bool = False, keep: frozenset[str] = frozenset()) -> str:
    """A corpus document as a real page would arrive: page metadata only, no comments in the body. `flat`: its
    section headings also lost their markup (as in text taken from a PDF), their words kept as a line. `keep`:
    "sources" leaves the sources comments in, "tags" the topic and system tags."""
    match = _FRONT_MATTER.match(text)
    meta, body = ({}, text) if not match else (yaml.load(match.group(1), Loader=yaml.BaseLoader) or {},
                                               text[match.end():])
    fields = KEPT_FRONT_MATTER + (TAGS if "tags" in keep else ())
    kept = {k: meta[k] for k in fields if k in meta}
    if "sources" not in keep:
        body = _COMMENT.sub("", _COMMENT_LINE.sub("", body))
    if flat:
        body = _SECTION_HEADING.sub("", body)
    head = f"---\n{yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, width=10_000)}---\n" if kept else ""
    return head + body


def write_plain_corpus(target: Path, source: Path = KNOWLEDGE, flat: bool = False,
                       keep: frozenset[str] = frozenset()) -> int:
    """Copy every Markdown document under `source` (not its README or data files, except the corpus files
    `keep` names) to `target`; the number of documents."""
    target.mkdir(parents=True, exist_ok=True)
    for name, file in CORPUS_FILES.items():
        if name in keep and (source / file).is_file():
            shutil.copyfile(source / file, target / file)
    count = 0
    for path in sorted(source.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(plain_document(path.read_text(encoding="utf-8"), flat, keep), encoding="utf-8")
        count += 1
    return count


def merge_folders(corpus: Path) -> int:
    """Join each folder's documents into one long page (as a guidance hub publishes a topic): the folder's name
    is its title, each document's title a `##` section and its headings one level down; the page lists every
    document's source URLs, publishers and dates. The documents it joined are removed; the number of pages."""
    pages = 0
    for folder in sorted({p.parent for p in corpus.rglob("*.md")}):
        paths = sorted(folder.glob("*.md"))
        meta: dict[str, list] = {"publisher": [], "source_urls": [], "source_dates": []}
        parts, reviewed = [], []
        for path in paths:
            match = _FRONT_MATTER.match(path.read_text(encoding="utf-8"))
            text = path.read_text(encoding="utf-8")
            doc_meta = yaml.load(match.group(1), Loader=yaml.BaseLoader) or {} if match else {}
            body = text[match.end():] if match else text
            for key in ("publisher", "source_urls"):
                meta[key] += [v for v in doc_meta.get(key, []) if v not in meta[key]]
            reviewed.append(str(doc_meta.get("last_reviewed", "")))
            parts.append(re.sub(r"^(#{1,5})(?=[ \t])", r"#\1", body.strip(), flags=re.M))
            path.unlink()
        head = {"title": folder.name.replace("-", " ").capitalize(), "publisher": meta["publisher"],
                "source_urls": meta["source_urls"], "last_reviewed": max(reviewed)}
        page = f"---\n{yaml.safe_dump(head, sort_keys=False, width=10_000)}---\n# {head['title']}\n\n" + "\n\n".join(parts)
        (folder.parent / f"{folder.name}.md").write_text(page + "\n", encoding="utf-8")
        pages += 1
    return pages


def ingest(corpus: Path, data_dir: Path) -> dict:
    env = dict(os.environ, GPBOT_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "gpbot"), "ingest", str(corpus), "--json"], cwd=REPO,
                          env=env, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"ingest of the plain corpus failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def score(data_dir: Path, split: str, show_misses: bool) -> str:
    """The scorer's summary line for the index in `data_dir` (its MISS lines printed when asked)."""
    env = dict(os.environ, GPBOT_DATA_DIR=str(data_dir))
    proc = subprocess.run([sys.executable, str(SCORER), str(BANK), "--split", split], cwd=REPO, env=env,
                          capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    if show_misses:
        print("\n".join(line for line in lines if line.startswith(("MISS", "LEAK"))))
    summary = [line for line in lines if line.startswith("answers")]
    if not summary:
        sys.exit(f"the scorer printed no summary:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return summary[-1]


def _annotation_names(value: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in value.split(",") if n.strip())
    if names - set(ANNOTATIONS):
        raise argparse.ArgumentTypeError(f"unknown: {', '.join(sorted(names - set(ANNOTATIONS)))}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev", help="question-bank split to score (tune on dev only)")
    parser.add_argument("--plain-data", type=Path, help="keep the plain corpus's index here (default: temporary)")
    parser.add_argument("--annotated-data", type=Path,
                        default=Path(os.environ.get("GPBOT_DATA_DIR", REPO / "data")),
                        help="the annotated corpus's built index (default: GPBOT_DATA_DIR or ./data)")
    parser.add_argument("--only", choices=("plain", "annotated"), help="score one corpus only")
    parser.add_argument("--flat", action="store_true",
                        help="also strip the markup of section headings (text as a PDF gives it): a harder plain corpus")
    parser.add_argument("--keep", type=_annotation_names, default=frozenset(),
                        help=f"annotations to leave in, comma-separated, to see what each is worth: {', '.join(ANNOTATIONS)}")
    parser.add_argument("--long-pages", action="store_true",
                        help="join each folder's documents into one long page (as a guidance hub publishes a topic)")
    parser.add_argument("--misses", action="store_true", help="print the scorer's MISS lines too")
    args = parser.parse_args()
    if not SCORER.exists():
        sys.exit(f"{SCORER} not found")
    lines: dict[str, str] = {}
    if args.only != "annotated":
        with tempfile.TemporaryDirectory(prefix="gpbot-plain-") as tmp:
            data_dir = (args.plain_data or Path(tmp) / "data").resolve()
            # a kept index keeps its copy beside it, at the same path every run, so ingest replaces in place
            corpus = data_dir / "plain-knowledge"
            shutil.rmtree(corpus, ignore_errors=True)
            documents = write_plain_corpus(corpus, flat=args.flat, keep=args.keep)
            if args.long_pages:
                documents = merge_folders(corpus)
            summary = ingest(corpus, data_dir)
            print(f"plain corpus: {documents} documents, {summary.get('chunks')} chunks in {data_dir}", file=sys.stderr)
            if args.misses:
                print("# plain corpus")
            lines["plain"] = score(data_dir, args.split, args.misses)
    if args.only != "plain":
        if args.misses:
            print("# annotated corpus")
        lines["annotated"] = score(args.annotated_data.resolve(), args.split, args.misses)
    for name, line in lines.items():
        print(f"{args.split:<10} {name:<9} {line}")


if __name__ == "__main__":
    main()
