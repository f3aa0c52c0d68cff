"""Review items and their cards (bot.review.reviews)."""

from __future__ import annotations

import threading

import pytest

from bot.review.service import AlreadyResolved
from review_helpers import record


def test_review_items(review_env):
    review = review_env.review
    a1, a2 = record(review), record(review, question="How do I redact third-party info?", kind="not_covered")
    item = review.open_review(a1, "thumbs_down", opened_by="UASK")
    assert item.status == "open" and item.reason == "thumbs_down"
    assert review.open_review(a1, "escalated").id == item.id  # one open item (and card) per answer
    other = review.open_review(a2, "not_covered", card_channel="CREVIEW", card_ts="5.5")
    assert other.card_ts == "5.5"
    assert {i["id"] for i in review.list_reviews(status="open")} == {item.id, other.id}

    assert review.claim_review_card(item.id) is True
    assert review.claim_review_card(item.id) is False
    review.set_review_card(item.id, "CREVIEW", "9.9")
    assert review.get_review(item.id).card_ts == "9.9"

    done = review.resolve_review(item.id, "dismissed", "UREV1", note="fine as is")
    assert done.status == "dismissed" and done.reviewer == "UREV1" and done.resolved_at is not None
    with pytest.raises(AlreadyResolved):
        review.resolve_review(item.id, "corrected", "UREV2")
    with pytest.raises(ValueError):
        review.resolve_review(other.id, "maybe", "UREV1")
    with pytest.raises(ValueError):
        review.open_review(a1, "because")
    listed = review.list_reviews(status="dismissed")
    assert [i["id"] for i in listed] == [item.id] and listed[0]["question"].startswith("Can a parent")
    assert review.open_review(a1, "thumbs_down").id != item.id  # a closed item does not swallow new ones


def test_a_released_card_is_claimed_again_and_a_reopened_item_resolved_again(review_env):
    review = review_env.review
    item = review.open_review(record(review), "thumbs_down")
    assert review.claim_review_card(item.id) is True
    review.release_review_card(item.id)  # posting failed
    assert review.claim_review_card(item.id) is True
    review.resolve_review(item.id, "corrected", "UREV1", corrected_text="Better [1].")
    review.reopen_review(item.id)  # its follow-up failed
    reopened = review.get_review(item.id)
    assert reopened.status == "open" and reopened.reviewer is None and reopened.corrected_text is None
    assert review.resolve_review(item.id, "dismissed", "UREV2").reviewer == "UREV2"


def test_only_one_reviewer_wins_a_race(review_env):
    review = review_env.review
    item = review.open_review(record(review), "thumbs_down")
    barrier = threading.Barrier(3)
    results = []

    def resolve(user):
        barrier.wait()
        try:
            review.resolve_review(item.id, "corrected", user)
            results.append(user)
        except AlreadyResolved:
            pass

    threads = [threading.Thread(target=resolve, args=(f"UREV{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 1
    assert review.get_review(item.id).reviewer == results[0]
