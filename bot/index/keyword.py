"""The keyword index: text analysis (`analyze`) and BM25 (bm25s) over the analysed chunk texts.

`analyze` is also the answering code's notion of a term (coverage, idf weights, the decline model), so the
keyword index and the answerer always agree on what a word is.

The analysis is a short stop-word list and a light suffix stemmer, digits kept (codes). bm25s's own
tokenizer (its token pattern and English stop words) with PyStemmer's English stemmer was measured against
it on the question bank's dev split (issue 13) and not kept, because dev figures dropped: must-contain rose
112 -> 113/140 and wrong declines fell 1 -> 0, but declines of out-of-scope questions fell 9 -> 8/13 and
hybrid must@1 without section questions 0.63 -> 0.61 (the decline model's thresholds were calibrated on
this analysis). Our token pattern with bm25s's stop words and PyStemmer gave the same score.py figures;
our stop words with PyStemmer alone dropped must-contain to 109/140.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

# Names the analysis in the derived-data cache key: change it whenever `analyze` changes.
ANALYZER = "stoplist-suffix-2"
TERMS_FILE = "terms.json"  # in a saved keyword index's folder: chunk ids and document frequencies
BM25_DIR = "bm25"  # bm25s's own files

_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does doing for from had has have having he her
    hers him his how i if in into is it its just me my no nor not of on or our ours she should so some such
    than that the their them then there these they this those to too up us very was we were what when where
    which while who whom why will with would you your yours""".split()
    # titles before a person's name: in guidance "Dr" only ever introduces someone quoted ("Dr Kiren Collison"), while
    # staff write "the dr" for their own doctor, so the two never mean the same thing
    + ["dr", "mr", "mrs"]
)
_TOKEN = re.compile(r"[a-z0-9]+")
# (suffix, replacement), first match wins; a stem keeps at least three letters, short words and numbers
# are left alone
_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", ""))


def _stem(token: str) -> str:
    if token.isdigit() or len(token) <= 3:
        return token
    for suffix, repl in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)] + repl
    return token


def analyze(text: str) -> list[str]:
    """Lower-case word tokens with stop words dropped and a light suffix stemmer; digits kept (codes)."""
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


class KeywordIndex:
    """BM25 over chunk texts, with the non-zero top-k selection (fast at 100k chunks)."""

    def __init__(self, ids: list[str], document_frequency: dict[str, int], retriever=None):
        self.ids = ids
        self._df = document_frequency
        self._retriever = retriever  # a bm25s.BM25, None for an empty index

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "KeywordIndex":
        import bm25s

        token_lists = [analyze(t) for t in texts]
        document_frequency: dict[str, int] = {}
        for tokens in token_lists:
            for token in set(tokens):
                document_frequency[token] = document_frequency.get(token, 0) + 1
        retriever = None
        if ids:
            retriever = bm25s.BM25()
            retriever.index([tokens or ["_empty_"] for tokens in token_lists], show_progress=False)
        return cls(ids, document_frequency, retriever)

    def save(self, directory: Path) -> None:
        """Chunk ids and document frequencies as JSON, the BM25 matrices in bm25s's own format (no pickle)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / TERMS_FILE).write_text(json.dumps({"ids": self.ids, "df": self._df}), encoding="utf-8")
        if self._retriever is not None:
            self._retriever.save(str(directory / BM25_DIR), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> "KeywordIndex":
        import bm25s

        terms = json.loads((directory / TERMS_FILE).read_text(encoding="utf-8"))
        retriever = None
        if terms["ids"]:
            retriever = bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False)
        return cls(terms["ids"], terms["df"], retriever)

    def document_frequency(self, term: str) -> int:
        """How many chunks hold this analysed term (0: the corpus never mentions it)."""
        return self._df.get(term, 0)

    def idf(self, term: str) -> float:
        """Inverse document frequency of an analysed term (BM25's smoothed form)."""
        n = max(1, len(self.ids))
        df = self._df.get(term, 0)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if self._retriever is None:
            return []
        tokens = [t for t in analyze(query) if t in self._retriever.vocab_dict]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        nonzero = np.flatnonzero(scores)
        if len(nonzero) > k:
            nonzero = nonzero[np.argpartition(-scores[nonzero], k)[:k]]
        top = nonzero[np.argsort(-scores[nonzero], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top]
