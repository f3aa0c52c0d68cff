"""Derive the English words the identifier detector knows are no surname (bot/identifiers/english_words.txt.gz).

    pip install wordfreq==3.1.1
    PYTHONPATH=$PWD .venv/bin/python eval/derive_english_words.py

wordfreq (Apache-2.0; its data CC BY-SA 4.0) ranks words by how often English text uses them. A word is kept when its
Zipf frequency is at least MIN_ZIPF, it is written in ASCII letters (an apostrophe or hyphen allowed), and it is
among the TOP_N words wordfreq lists. The detector reads the list where a cue says a person follows but the words are
in lower case ("spoke to nigel thorogood" against "spoke to tom earlier", "had sarah asap on the phone"): the second
word is a surname only when it is no English word.

MIN_ZIPF 2.5 (session 21, chosen before any set was scored with it): chat shorthand staff write after a colleague's
name lies above it ("asap" 3.8, "fyi" 3.5, "abt" 3.2, "fwiw" 2.5, "innit" 2.7), uncommon British surnames below it
("thorogood" 1.9, "blenkinsop" 1.9); "hca" (2.49) and "tmrw" (1.8) fall below, a known gap.
"""

from __future__ import annotations

import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_ZIPF = 2.5
TOP_N = 150_000
OUT = ROOT / "bot" / "identifiers" / "english_words.txt.gz"


def main() -> None:
    from wordfreq import top_n_list, zipf_frequency

    words = sorted({w for w in top_n_list("en", TOP_N) if zipf_frequency(w, "en") >= MIN_ZIPF and w.isascii()
                    and w.replace("'", "").replace("-", "").isalpha()})
    with gzip.GzipFile(OUT, "wb", mtime=0) as out:  # mtime 0: the same input gives the same bytes
        out.write(("\n".join(words) + "\n").encode())
    print(len(words), "words;", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
