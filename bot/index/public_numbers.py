"""The identifier allow-list derived from the corpus: what the guidance itself quotes (help-line numbers,
the full names of the people it quotes, its email addresses) and so is never a patient's identifier.

Computed from every chunk whenever the index is refreshed and handed to the identifier detector
(`bot.identifiers`) as its `public_numbers`. What counts as public is `identifiers.public_identifiers`'s
decision; this module only gathers it over the corpus.
"""

from __future__ import annotations

from typing import Iterable

from bot import identifiers


def corpus_public_identifiers(texts: Iterable[str]) -> frozenset[str]:
    """Everything the identifier detector must not flag because these guidance texts quote it."""
    return frozenset().union(*(identifiers.public_identifiers(text) for text in texts))
