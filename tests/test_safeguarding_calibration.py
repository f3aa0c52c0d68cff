"""eval/safeguarding_calibration.py: the safeguarding line's threshold is the F-beta choice of which stories to
catch, placed halfway between the weakest story caught and the strongest missed. Made-up rows; nothing is read."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.safeguarding_calibration import SAFEGUARDING_MARGIN, safeguarding_threshold  # noqa: E402


def _row(similarity: float, story: bool) -> dict:
    return {"item": {"category": "safeguarding" if story else "codes"}, "safeguarding": similarity, "routine": 0.0,
            "evidence": 0.0, "keyword": False, "clinical": False}


def test_the_threshold_sits_halfway_between_the_weakest_story_caught_and_the_strongest_missed():
    # twenty ordinary questions between 0.3 and 0.7: catching the 0.2 story would cost all of them
    ordinary = [_row(0.3 + 0.02 * i, story=False) for i in range(20)]
    rows = [_row(0.9, story=True), _row(0.8, story=True), _row(0.2, story=True), *ordinary]
    weight, threshold, margin = safeguarding_threshold(rows)
    assert weight == 0.0 and margin == 0.0  # ties go to the lower weight and the smaller margin
    assert threshold == pytest.approx(0.5)  # not 0.79, just under the 0.8 story


def test_with_no_story_missed_the_threshold_stays_just_under_the_weakest_caught():
    rows = [_row(0.9, story=True), _row(0.8, story=True), _row(0.3, story=False), _row(0.1, story=False)]
    assert safeguarding_threshold(rows)[1] == pytest.approx(0.8 - SAFEGUARDING_MARGIN / 2)
