"""Block Kit for the review workflow, built with slack_sdk's models.

Button values (agreed with the Slack app, which builds the answer message's buttons):
- `feedback` (the `feedback_buttons` element in a `context_actions` block): each button's value is
  `feedback_value(answer_id, vote)` = compact JSON `{"a": "<answer id>", "v": "up"|"down"}`.
- `escalate` ("Ask the support team" button): `escalate_value(answer_id, channel, thread_ts)` =
  `{"a": "<answer id or null>", "c": "<channel id>", "t": "<thread ts or null>"}`.
- review card buttons `review_approve` / `review_correct` / `review_dismiss`: `{"i": "<review item id>"}`.
Modals carry their ids in `private_metadata` (JSON, same short keys). Every value and metadata is signed
by the app (an "s" field, `bot.slack.signed_values`); `parse_value` refuses unsigned or edited ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import prompts
from bot.slack.mrkdwn import (
    SECTION_LIMIT,
    as_citation,
    escape,
    is_user_id,
    source_line,
    split_sections,
    to_mrkdwn,
    truncate,
)
from bot.slack.signed_values import parse_signed, signed_json
from bot.types import Citation

FEEDBACK_ACTION = "feedback"
ESCALATE_ACTION = "escalate"
APPROVE_ACTION = "review_approve"
CORRECT_ACTION = "review_correct"
DISMISS_ACTION = "review_dismiss"
CORRECTION_CALLBACK = "review_correction"
COMMENT_CALLBACK = "review_feedback_comment"
ANSWER_BLOCK = "answer"
ANSWER_INPUT = "answer"
COMMENT_BLOCK = "comment"
COMMENT_INPUT = "comment"
CARD_SOURCES = 8
INPUT_LIMIT = 3000
STATUS_WORDS = prompts.REVIEW_STATUS_WORDS


# ------------------------------------------------------------------ values
def _compact(data: dict) -> str:
    """Compact JSON signed by the app (`signed_values`): `parse_value` refuses anything else."""
    return signed_json(data)


def feedback_value(answer_id: str, vote: str) -> str:
    if vote not in ("up", "down"):
        raise ValueError("vote must be 'up' or 'down'")
    return _compact({"a": answer_id, "v": vote})


def escalate_value(answer_id: str | None, channel: str | None, thread_ts: str | None) -> str:
    return _compact({"a": answer_id, "c": channel, "t": thread_ts})


def item_value(item_id: str) -> str:
    return _compact({"i": item_id})


def parse_value(value: Any) -> dict[str, Any]:
    """Decode one of our signed button values or modal metadata; {} for anything unsigned or forged."""
    return parse_signed(value)


# ------------------------------------------------------------------ text helpers
def quote(text: str, limit: int = SECTION_LIMIT) -> str:
    return "\n".join("> " + line for line in truncate(text, limit - 200).splitlines() or [""])


def slack_date(when: dt.datetime) -> str:
    epoch = int(when.timestamp())
    fallback = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def sources_text(citations: Sequence[Citation | dict]) -> str:
    """One `source_line` per citation (stored dicts or models), or "_no sources_"."""
    lines = [source_line(as_citation(c, n)) for n, c in enumerate(citations[:CARD_SOURCES], start=1)]
    return "\n".join(lines) if lines else prompts.REVIEW_CARD["no_sources"]


# ------------------------------------------------------------------ the review card
def review_card(
    *,
    item: dict,
    question: str,
    answer_text: str,
    citations: Sequence[Citation | dict],
    kind: str | None = None,
    confidence: float | None = None,
    answerer: str | None = None,
    asker: str | None = None,
    channel: str | None = None,
    permalink: str | None = None,
    votes: dict[str, int] | None = None,
    comments: Sequence[tuple[str, str]] = (),
    stale_doc_ids: Sequence[str] = (),
    verified_author: str | None = None,
) -> tuple[str, list]:
    """(fallback text, blocks) for a review card in its current state (open, or resolved: who, when)."""
    reason = item["reason"]
    stale = reason == "stale_verified"
    card = prompts.REVIEW_CARD
    title = prompts.REVIEW_REASON_TITLES.get(reason, prompts.REVIEW_CARD["title"])
    blocks: list = [HeaderBlock(text=PlainTextObject(text=truncate(title, 150)))]
    blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(card["question"].format(
        question=quote(escape(question))), SECTION_LIMIT))))
    label = card["verified_answer"] if stale else card["answer"]
    blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(label.format(
        answer=quote(to_mrkdwn(answer_text))), SECTION_LIMIT))))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(card["sources"].format(
        sources=sources_text(citations)), SECTION_LIMIT))))

    facts = []
    if stale:
        if stale_doc_ids:
            facts.append(card["changed_docs"].format(docs=", ".join(f"`{escape(d)}`" for d in stale_doc_ids[:10])))
        if verified_author:
            who = f"<@{verified_author}>" if is_user_id(verified_author) else escape(verified_author)
            facts.append(card["verified_by"].format(who=who))
        facts.append(prompts.STALE_CARD_NOTE)
    else:
        if kind:
            facts.append(card["kind"].format(kind=kind))
        if confidence is not None:
            facts.append(card["confidence"].format(confidence=confidence))
        if answerer:
            facts.append(card["answerer"].format(answerer=escape(answerer)))
        if asker:
            facts.append(card["asked_by"].format(asker=asker) + (card["asked_in"].format(channel=channel) if channel else ""))
        if permalink:
            facts.append(card["thread"].format(permalink=permalink))
        if votes and (votes.get("up") or votes.get("down")):
            facts.append(card["votes"].format(up=votes.get("up", 0), down=votes.get("down", 0)))
    if facts:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(" · ".join(facts), 2900))]))

    if comments:
        lines = "\n".join(f"<@{user}>: {escape(text)}" for user, text in comments[-5:])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(card["comments"].format(lines=lines), SECTION_LIMIT))))

    blocks.append(DividerBlock())
    status = item.get("status", "open")
    if status == "open":
        value = item_value(item["id"])
        approve, correct, dismiss = prompts.REVIEW_BUTTONS_STALE if stale else prompts.REVIEW_BUTTONS
        blocks.append(
            ActionsBlock(
                block_id="review",
                elements=[
                    ButtonElement(text=approve, action_id=APPROVE_ACTION, value=value, style="primary"),
                    ButtonElement(text=correct, action_id=CORRECT_ACTION, value=value),
                    ButtonElement(text=dismiss, action_id=DISMISS_ACTION, value=value, style="danger"),
                ],
            )
        )
    else:
        word = STATUS_WORDS.get(status, status)
        if stale and status == "approved":
            word = card["reinstated"]
        elif stale and status == "dismissed":
            word = card["retired"]
        when = item.get("resolved_at")
        when_text = ""
        if when:
            when_dt = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
            when_text = card["resolved_on"].format(date=slack_date(when_dt))
        line = card["resolved_by"].format(word=word, reviewer=item.get("reviewer")) + when_text
        if item.get("verified_id") and status in ("approved", "corrected") and not (stale and status == "approved"):
            line += card["now_verified"]
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=line)]))

    fallback = f"{title}: {truncate(question, 200)}"
    if status != "open":
        fallback += f" ({STATUS_WORDS.get(status, status)})"
    return fallback, blocks


# ------------------------------------------------------------------ modals
def correction_modal(
    *, item_id: str, question: str, answer_text: str, citations: Sequence[Citation | dict], card_channel: str | None,
    card_ts: str | None,
) -> View:
    return _modal(
        CORRECTION_CALLBACK, prompts.CORRECTION_MODAL, _compact({"i": item_id, "cc": card_channel, "ct": card_ts}),
        SectionBlock(text=MarkdownTextObject(text=truncate(prompts.REVIEW_CARD["question"].format(
            question=quote(escape(question))), SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=truncate(prompts.REVIEW_CARD["sources"].format(
            sources=sources_text(citations)), 2900))]),
        InputBlock(
            block_id=ANSWER_BLOCK,
            label=prompts.CORRECTION_MODAL["label"],
            hint=prompts.CORRECTION_HINT,
            optional=False,
            element=PlainTextInputElement(
                action_id=ANSWER_INPUT,
                multiline=True,
                initial_value=truncate(answer_text, INPUT_LIMIT) if answer_text else None,
                max_length=INPUT_LIMIT,
            ),
        ),
    )


def comment_modal(*, answer_id: str, item_id: str | None, channel: str | None, thread_ts: str | None) -> View:
    return _modal(
        COMMENT_CALLBACK, prompts.COMMENT_MODAL, _compact({"a": answer_id, "i": item_id, "c": channel, "t": thread_ts}),
        SectionBlock(text=MarkdownTextObject(text=prompts.COMMENT_MODAL_INTRO)),
        InputBlock(
            block_id=COMMENT_BLOCK,
            label=prompts.COMMENT_MODAL["label"],
            optional=True,
            element=PlainTextInputElement(action_id=COMMENT_INPUT, multiline=True, max_length=2000),
        ),
    )


def _modal(callback_id: str, texts: dict[str, str], metadata: str, *blocks) -> View:
    """A modal with its title, submit and close labels from `prompts` and its state in private_metadata."""
    return View(type="modal", callback_id=callback_id, title=texts["title"], submit=texts["submit"],
                close=texts["close"], private_metadata=metadata, blocks=list(blocks))


# ------------------------------------------------------------------ messages to the asker
def corrected_reply(answer_text: str, citations: Sequence[Citation | dict], reviewer: str | None = None) -> tuple[str, list]:
    body = to_mrkdwn(answer_text)
    blocks: list = [SectionBlock(text=MarkdownTextObject(text=f"*{prompts.CORRECTED_LABEL}*"))]
    for piece in split_sections(body)[:40]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=piece or " ")))
    if citations:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(sources_text(citations), 2900))]))
    if reviewer:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=prompts.REVIEW_CARD["reviewed_by"].format(reviewer=reviewer))]))
    return f"{prompts.CORRECTED_LABEL}: {truncate(answer_text, 3500)}", blocks


def escalated_reply(user_id: str | None) -> str:
    return prompts.ESCALATED_REPLY.format(who=f"<@{user_id}> " if user_id else "")


# ------------------------------------------------------------------ a source page changed upstream
SOURCE_CHANGED_TITLE = prompts.SOURCE_CHANGED_TITLE
SOURCE_STATUS_WORDS = prompts.SOURCE_STATUS_WORDS


def source_change_card(*, item: dict, change: dict) -> tuple[str, list]:
    """(fallback text, blocks) for a `source_changed` item: the corpus document, each upstream URL that
    changed, moved or disappeared, and buttons to mark it checked (the corpus still says the right thing)
    or dismiss it."""
    card = prompts.REVIEW_CARD
    title = change.get("title") or change.get("doc_id") or card["document"]
    lines = []
    for url in change.get("urls", []):
        status = url.get("status", "")
        if status not in SOURCE_STATUS_WORDS:
            continue
        line = f"• <{url['url']}|{escape(truncate(url['url'], 120))}> — *{SOURCE_STATUS_WORDS[status]}*"
        if url.get("new_url"):
            line += f" → <{url['new_url']}|{escape(truncate(url['new_url'], 120))}>"
        if url.get("changed_on"):
            line += card["since"].format(date=escape(url["changed_on"]))
        lines.append(line)
    reviewed = change.get("last_reviewed") or card["never_reviewed"]
    blocks: list = [
        HeaderBlock(text=PlainTextObject(text=SOURCE_CHANGED_TITLE)),
        SectionBlock(text=MarkdownTextObject(text=truncate(
            card["last_reviewed"].format(title=escape(title), doc_id=escape(change.get("doc_id", "")),
                                         reviewed=escape(reviewed)), SECTION_LIMIT))),
        SectionBlock(text=MarkdownTextObject(text=truncate(card["upstream"].format(
            lines="\n".join(lines) or card["no_upstream"]), SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=prompts.SOURCE_CHANGE_STEPS)]),
        DividerBlock(),
    ]
    status = item.get("status", "open")
    if status == "open":
        value = item_value(item["id"])
        blocks.append(ActionsBlock(block_id="review", elements=[
            ButtonElement(text=prompts.SOURCE_CHANGE_BUTTONS[0], action_id=APPROVE_ACTION, value=value, style="primary"),
            ButtonElement(text=prompts.SOURCE_CHANGE_BUTTONS[1], action_id=DISMISS_ACTION, value=value),
        ]))
    else:
        word = card["checked"] if status == "approved" else STATUS_WORDS.get(status, status)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=card["resolved_by"].format(word=word, reviewer=item.get("reviewer")))]))
    return f"{SOURCE_CHANGED_TITLE}: {truncate(title, 200)}", blocks
