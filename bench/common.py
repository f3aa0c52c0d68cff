"""What the benchmark scripts share: the questions they ask and how they summarise latencies."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.evaluation import percentile  # noqa: E402,F401  (one definition of p95 for eval and benches)

# Questions as staff type them (not the dev questions), one of each kind the bot meets.
QUESTIONS = [
    "we coded someone 104 by mistake, how do we undo it?",
    "how do I switch on prospective access in SystmOne?",
    "can a parent keep proxy access when their child turns 11?",
    "what does the BMA say about doing a DPIA?",
    "how do I hide a letter from the patient when filing in Docman?",
    "a patient's partner is forcing her to show him her app, what should we do?",
    "can a patient see my comment when I file a result in SystmOne?",
    "who do we contact for help switching on access?",
    "what is the wifi password",
    "Mr Test Person NHS 999 186 0916 wants his historic record, how long do we have?",
]
