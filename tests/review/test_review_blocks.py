"""The review workflow's Block Kit and button values (bot.slack.review_blocks): no Slack, no store.

The answer message's own buttons and mrkdwn conversion are tested in tests/slack/test_blocks.py.
"""

from __future__ import annotations

import json

import pytest

from bot.slack import review_blocks as rb


def test_value_formats():
    assert rb.parse_value(rb.feedback_value("A1", "down")) == {"a": "A1", "v": "down"}
    assert rb.parse_value(rb.escalate_value("A1", "C1", "1.2")) == {"a": "A1", "c": "C1", "t": "1.2"}
    assert rb.parse_value(rb.item_value("I1")) == {"i": "I1"}
    assert set(json.loads(rb.item_value("I1"))) == {"i", "s"}  # compact JSON with the app's signature
    with pytest.raises(ValueError):
        rb.feedback_value("A1", "meh")


@pytest.mark.parametrize("forged", [
    "legacy-id", json.dumps({"i": "I1"}), json.dumps({"i": "I1", "s": "AAAAAAAAAAAAAAAAAAAAAA"}), "[1, 2]", "",
])
def test_unsigned_forged_or_edited_values_are_refused(forged):
    assert rb.parse_value(forged) == {}
    signed = json.loads(rb.item_value("I1"))
    signed["i"] = "I2"  # edited after signing
    assert rb.parse_value(json.dumps(signed)) == {}


def test_verified_by_a_name_is_not_a_mention():
    item = {"id": "I1", "reason": "stale_verified", "status": "open"}
    for author, shown in (("Wendy", "Verified by Wendy"), ("W0REVIEW", "Verified by <@W0REVIEW>"),
                          ("U0REV", "Verified by <@U0REV>")):
        _text, blocks = rb.review_card(item=item, question="q", answer_text="a", citations=[], verified_author=author)
        assert shown in json.dumps([b.to_dict() for b in blocks])
    _text, blocks = rb.review_card(item=item, question="q", answer_text="a", citations=[], verified_author="Wendy")
    assert "<@Wendy>" not in json.dumps([b.to_dict() for b in blocks])


def test_review_sources_use_the_answer_source_line():
    from bot.slack.blocks import source_line
    from bot.types import Citation

    cite = Citation(number=2, chunk_id="c", doc_id="d", title="A|B <guide>", section="Steps", url="https://x.org/a?b=1&c=2",
                    publisher="NHS England", last_reviewed="2025-01-02")
    assert rb.sources_text([cite.model_dump()]) == rb.sources_text([cite]) == source_line(cite)
    assert source_line(cite) == ("[2] <https://x.org/a?b=1&c=2|A¦B &lt;guide&gt;> — Steps · NHS England · "
                                 "reviewed 2025-01-02")
    assert rb.sources_text([]) == "_no sources_"


def test_long_corrections_are_split_without_breaking_links_or_entities():
    link = "[the NHS England guidance on proxy access](https://example.org/guidance?a=1&b=2)"
    text = " ".join(f"Step {i} & {link}." for i in range(120))
    _fallback, blocks = rb.corrected_reply(text, [])
    sections = [b.to_dict()["text"]["text"] for b in blocks[1:]]
    assert len(sections) > 1 and all(len(t) <= 3000 for t in sections)
    for piece in sections:
        assert piece.count("<") == piece.count(">") == piece.count("|")  # every link whole
        assert "&amp" not in piece.replace("&amp;", "")  # every entity whole
    assert "".join(sections).count("<https://example.org/guidance?a=1&b=2|") == 120


def test_escalated_reply_names_the_asker_only_when_known():
    assert rb.escalated_reply("U1").startswith("<@U1> I've asked the support team")
    assert rb.escalated_reply(None).startswith("I've asked the support team")
