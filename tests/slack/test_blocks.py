"""Answer → Block Kit: mrkdwn conversion, limits, buttons, labels, and no identifiers."""

from __future__ import annotations

import datetime as dt
import json

from bot import prompts
from bot.slack import blocks
from bot.slack.review_blocks import parse_value
from bot.types import Answer, AnswerKind, Citation, VerifiedAnswer

CITE = Citation(number=1, chunk_id="c1", doc_id="d1", title="Switch-on <guide> & more", section="Steps",
                url="https://example.org/a?x=1&y=2", publisher="NHS England", published="2025-10-01")


def _answer(**kw) -> Answer:
    base = dict(question="How do I switch on access?", text="Tick the box [1].", kind=AnswerKind.answered,
                citations=[CITE])
    base.update(kw)
    return Answer(**base)


def test_markdown_to_mrkdwn():
    md = "# Steps\n**Open** the [guide](https://example.org/g?a=1&b=2) & tick <this> [1][2]\n- one\n* two\n~~old~~ `a<b`"
    out = blocks.to_mrkdwn(md)
    assert "*Steps*" in out and "*Open*" in out
    assert "<https://example.org/g?a=1&b=2|guide>" in out
    assert "&amp; tick &lt;this&gt; [1][2]" in out
    assert "• one" in out and "• two" in out and "~old~" in out and "`a&lt;b`" in out
    assert blocks.to_mrkdwn("see https://example.org/x.") == "see <https://example.org/x>."
    assert blocks.to_mrkdwn("<!channel> hi") == "&lt;!channel&gt; hi"


def test_link_labels_cannot_break_out():
    out = blocks.to_mrkdwn("[a|b>c](https://example.org)")
    assert out == "<https://example.org|a¦b&gt;c>"


def test_long_answers_are_split_into_sections_under_the_limit():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 300 for i in range(8))
    _, bl = blocks.answer_message(_answer(text=text), answer_id="a1", channel="C1", thread_ts="1.2")
    sections = [b for b in bl if b["type"] == "section"]
    assert len(sections) > 1 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert len(bl) <= 50
    assert sum(len(json.dumps(b)) for b in bl) < 13000
    for piece in blocks.split_sections("x" * 7000):
        assert len(piece) <= 3000


def test_answer_message_layout_and_button_values():
    text, bl = blocks.answer_message(_answer(text="**Open** it [1]."), answer_id="a1", channel="C1", thread_ts="1.2")
    assert text.startswith("Open it [1].") and "Sources: [1]" in text
    types = [b["type"] for b in bl]
    assert types == ["section", "context", "context_actions", "actions"]
    src = bl[1]["elements"][0]["text"]
    assert src.startswith("*Sources*\n[1] <https://example.org/a?x=1&y=2|Switch-on &lt;guide&gt; &amp; more>")
    assert "NHS England" in src and "2025-10-01" in src
    fb = bl[2]["elements"][0]
    assert fb["type"] == "feedback_buttons" and fb["action_id"] == "feedback"
    assert parse_value(fb["positive_button"]["value"]) == {"a": "a1", "v": "up"}
    assert parse_value(fb["negative_button"]["value"]) == {"a": "a1", "v": "down"}
    esc = bl[3]["elements"][0]
    assert esc["action_id"] == "escalate" and parse_value(esc["value"]) == {"a": "a1", "c": "C1", "t": "1.2"}


def test_not_covered_lists_the_closest_sources_and_offers_the_support_team():
    ans = _answer(text=prompts.NOT_COVERED, kind=AnswerKind.not_covered, citations=[], closest=[CITE])
    text, bl = blocks.answer_message(ans, answer_id="a1", channel="C1", thread_ts="1.2")
    dumped = json.dumps(bl)
    assert "doesn't cover" in text and "Closest sources" in text
    assert "*Closest sources*" in dumped and "escalate" in dumped and "Ask the support team" in dumped


def test_verified_label():
    verified = VerifiedAnswer(verified_id="v1", question="q", answer="a", author="U0REVIEWER",
                              created=dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc))
    ans = _answer(kind=AnswerKind.verified, verified=verified, answerer="verified")
    text, bl = blocks.answer_message(ans, answer_id="a1", channel="C1", thread_ts="1.2")
    assert bl[0]["type"] == "context"
    assert bl[0]["elements"][0]["text"] == "✅ Verified by the support team (<@U0REVIEWER>, 4 Mar 2026)"
    assert text.startswith("✅ Verified by the support team")


def test_without_an_answer_id_there_are_no_feedback_buttons_but_escalation_remains():
    _, bl = blocks.answer_message(_answer(), answer_id=None, channel="C1", thread_ts="1.2")
    assert "context_actions" not in [b["type"] for b in bl]
    assert parse_value(bl[-1]["elements"][0]["value"]) == {"a": None, "c": "C1", "t": "1.2"}


def test_error_message_and_command_message():
    text, bl = blocks.error_message("C1", "1.2")
    assert "Sorry" in text and bl[-1]["elements"][0]["action_id"] == "escalate"
    text, bl = blocks.command_message(_answer(question="How <b> & c?"), answer_id="a1", channel="C1")
    assert bl[0]["text"]["text"] == "You asked: _How &lt;b&gt; &amp; c?_"
    ids = [e["action_id"] for b in bl if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["share_answer", "escalate"]


def test_pii_warning_names_kinds_but_never_values():
    ans = _answer(question="patient [NHS number] access?", pii_warning=True, pii_kinds=["nhs_number", "date_of_birth"])
    warning = blocks.pii_warning_text(ans.pii_kinds)
    assert "NHS number, date of birth" in warning and "delete" in warning.lower()
    text, bl = blocks.command_message(ans, answer_id="a1", channel="C1")
    assert "[NHS number]" in text


def test_home_view():
    class Info:
        chunks, documents, newest_reviewed, oldest_reviewed, last_ingest = 10, 3, "2026-11-23", "2025-01-02", "2026-12-01T09:30:00+00:00"

    view = blocks.home_view(Info()).to_dict()
    dumped = json.dumps(view)
    assert view["type"] == "home" and "2026-11-23" in dumped and "2025-01-02" in dumped and "2026-12-01 09:30" in dumped
    assert "not loaded" in json.dumps(blocks.home_view(None).to_dict())


def test_a_share_value_fits_a_button_whatever_the_question_is_written_in():
    from bot.slack.blocks import BUTTON_VALUE_LIMIT, command_message, share_value
    from bot.slack.signed_values import parse_signed

    for question in ("é" * 1500, "😀" * 1500, "plain words " * 200):
        value = share_value("a1", "C1", question)
        assert len(value) <= BUTTON_VALUE_LIMIT
        fields = parse_signed(value)
        assert fields["a"] == "a1" and question.startswith(fields["q"].rstrip("…"))
        assert json.loads(value)["q"] == fields["q"]
    answer = Answer(question="é" * 1500, text="An answer.", kind=AnswerKind.answered, confidence=0.5)
    command_message(answer, answer_id="a1", channel="C1")  # builds: no value over Slack's limit
