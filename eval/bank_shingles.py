"""Hash the question bank's 5-word runs so tests can keep corpus questions apart from its wording.

Reads `question-bank.jsonl` (and `dev-questions.jsonl` when present) from the shared eval folder, normalises
every question and every thread-history question (lower-case, words only: runs of letters and digits), and
writes the sorted, de-duplicated sha1 hex digests of their 5-word runs to
`tests/fixtures/bank-5gram-hashes.txt`, one a line. Only hashes are written and nothing is printed but counts,
so the bank's wording never enters the repository or a log.

    python eval/bank_shingles.py [SHARED_EVAL_DIR]

`normalised_words` and `five_gram_hashes` are the single definition of the normalisation; the corpus test
(`tests/test_corpus_questions.py`) imports nothing from here and repeats the same two lines so the product
tests stay inside the repository; a test there checks both give the same hashes for a sample sentence.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "bank-5gram-hashes.txt"
BANK_FILES = ("question-bank.jsonl", "dev-questions.jsonl")
N = 5
WORD = re.compile(r"[a-z0-9]+")


def normalised_words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def five_gram_hashes(text: str) -> set[str]:
    words = normalised_words(text)
    return {
        hashlib.sha1(" ".join(words[i : i + N]).encode()).hexdigest() for i in range(len(words) - N + 1)
    }


def shared_eval_dir() -> Path:
    """The shared eval folder beside the checkout."""
    candidate = REPO.parent / "shared" / "eval"
    if (candidate / BANK_FILES[0]).exists():
        return candidate
    raise SystemExit("question-bank.jsonl not found; pass the shared eval folder as the first argument")


def bank_texts(eval_dir: Path) -> list[str]:
    texts: list[str] = []
    for name in BANK_FILES:
        path = eval_dir / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            texts.append(str(row.get("question", "")))
            for turn in row.get("history") or []:
                texts.append(turn if isinstance(turn, str) else str(turn.get("question", turn)))
    return texts


def main(argv: list[str]) -> None:
    eval_dir = Path(argv[1]) if len(argv) > 1 else shared_eval_dir()
    texts = bank_texts(eval_dir)
    hashes: set[str] = set()
    for text in texts:
        hashes |= five_gram_hashes(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(f"{h}\n" for h in sorted(hashes)), encoding="utf-8")
    print(f"{len(texts)} bank questions -> {len(hashes)} five-word hashes in {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main(sys.argv)
