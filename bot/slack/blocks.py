"""An `Answer` as a Slack message: Block Kit built with slack_sdk's model classes, plus plain text.

    answer_message(answer, answer_id=…, channel=…, thread_ts=…) -> (text, blocks)

Layout (top to bottom): a "Verified by the support team" label when it applies; the answer in mrkdwn
sections (each ≤ 3,000 characters, the whole answer capped well under Slack's message limits); the
sources as a context block `[n] <url|title> · publisher · date`, and when the guidance does not cover the
question the closest sources in a block of their own (`Answer.shown_sources`); the native 👍/👎 `feedback_buttons` (action id `feedback`) in a
`context_actions` block; an actions block with "Ask the support team" (action id `escalate`).
`text` is always a plain fallback for notifications and screen readers.

Nothing here sees the raw question: only `Answer`, whose question is already redacted by the core.
"""

from __future__ import annotations

from typing import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextActionsBlock,
    ContextBlock,
    DividerBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import prompts
from bot.slack.mrkdwn import (  # noqa: F401 (re-exported)
    SECTION_LIMIT,
    escape,
    is_user_id,
    link_label,
    source_line,
    split_sections,
    to_mrkdwn,
    to_plain,
    truncate,
)
from bot.slack.review_blocks import ESCALATE_ACTION, FEEDBACK_ACTION, escalate_value, feedback_value
from bot.slack.signed_values import signed_json
from bot.types import Answer, AnswerKind, Citation

SHARE_ACTION = "share_answer"

ANSWER_LIMIT = 9000  # the whole answer body; keeps the message far from the ~13k cumulative limit
FALLBACK_LIMIT = 3000
MAX_SOURCES = 10


# ------------------------------------------------------------------ pieces
def sources_block(citations: Sequence[Citation], heading: str, block_id: str) -> ContextBlock | None:
    if not citations:
        return None
    lines = [source_line(c) for c in citations[:MAX_SOURCES]]
    elements: list[MarkdownTextObject] = []
    current = f"*{heading}*"
    for line in lines:
        line = truncate(line, 1000)
        if len(current) + 1 + len(line) > 2900:
            elements.append(MarkdownTextObject(text=current))
            current = line
        else:
            current += "\n" + line
    elements.append(MarkdownTextObject(text=current))
    return ContextBlock(block_id=block_id, elements=elements[:10])


def verified_label(answer: Answer) -> str | None:
    if answer.kind is not AnswerKind.verified or answer.verified is None:
        return None
    author = (answer.verified.author or "").strip()
    who = f"<@{author}>" if is_user_id(author) else escape(author)
    when = answer.verified.created.strftime("%-d %b %Y")
    details = ", ".join(x for x in (who, when) if x)
    return f"{prompts.VERIFIED_LABEL} ({details})" if details else prompts.VERIFIED_LABEL


def feedback_block(answer_id: str) -> ContextActionsBlock:
    return ContextActionsBlock(
        block_id="feedback",
        elements=[
            FeedbackButtonsElement(
                action_id=FEEDBACK_ACTION,
                positive_button=FeedbackButtonObject(
                    text="👍", accessibility_label=prompts.FEEDBACK_UP_LABEL, value=feedback_value(answer_id, "up")
                ),
                negative_button=FeedbackButtonObject(
                    text="👎",
                    accessibility_label=prompts.FEEDBACK_DOWN_LABEL,
                    value=feedback_value(answer_id, "down"),
                ),
            )
        ],
    )


def escalate_block(answer_id: str | None, channel: str | None, thread_ts: str | None) -> ActionsBlock:
    return ActionsBlock(
        block_id="escalate",
        elements=[
            ButtonElement(
                text=prompts.ESCALATE_LABEL,
                action_id=ESCALATE_ACTION,
                value=escalate_value(answer_id, channel, thread_ts),
            )
        ],
    )


def _body_sections(answer: Answer) -> list[SectionBlock]:
    body = to_mrkdwn(truncate(answer.text or "", ANSWER_LIMIT))
    return [SectionBlock(text=MarkdownTextObject(text=piece or " ")) for piece in split_sections(body)][:30]


def _fallback(answer: Answer, prefix: str = "") -> str:
    lines = [prefix + to_plain(answer.text or "")]
    for name, sources in answer.shown_sources:
        lines.append(f"{prompts.SOURCE_LIST_HEADINGS[name]}: " + "; ".join(f"[{c.number}] {escape(c.title)}" for c in sources[:MAX_SOURCES]))
    return truncate("\n\n".join(lines), FALLBACK_LIMIT)


# ------------------------------------------------------------------ messages
def answer_blocks(
    answer: Answer,
    *,
    answer_id: str | None,
    channel: str | None,
    thread_ts: str | None,
    preamble: Sequence[Block] = (),
    extra_actions: Sequence[ButtonElement] = (),
) -> list[Block]:
    blocks: list[Block] = list(preamble)
    label = verified_label(answer)
    if label:
        blocks.append(ContextBlock(block_id="verified", elements=[MarkdownTextObject(text=label)]))
    blocks.extend(_body_sections(answer))
    for name, sources in answer.shown_sources:
        blocks.append(sources_block(sources, prompts.SOURCE_LIST_HEADINGS[name], block_id=name))
    if answer_id:
        blocks.append(feedback_block(answer_id))
    actions = escalate_block(answer_id, channel, thread_ts)
    if extra_actions:
        actions.elements = [*extra_actions, *actions.elements]
    blocks.append(actions)
    return blocks


def answer_message(
    answer: Answer, *, answer_id: str | None, channel: str | None, thread_ts: str | None
) -> tuple[str, list[dict]]:
    """(fallback text, blocks as dicts) for the threaded answer."""
    blocks = answer_blocks(answer, answer_id=answer_id, channel=channel, thread_ts=thread_ts)
    prefix = f"{prompts.VERIFIED_LABEL}: " if verified_label(answer) else ""
    return _fallback(answer, prefix), to_dicts(blocks)


def question_block(question: str, who: str | None = None) -> SectionBlock:
    q = truncate(" ".join((question or "").split()), 500)
    lead = prompts.SOMEONE_ASKED.format(user=who) if who else prompts.YOU_ASKED
    return SectionBlock(block_id="question", text=MarkdownTextObject(text=f"{lead}: _{escape(q)}_"))


BUTTON_VALUE_LIMIT = 2000  # Slack's limit on a button's value, counted after JSON escaping


def share_value(answer_id: str | None, channel: str, question: str) -> str:
    """Signed (`signed_values`); `question` is the redacted question of the answer, shortened until the value
    fits a button (characters outside ASCII take up to six characters each once escaped)."""
    q = truncate(question, 1200)
    while True:
        value = signed_json({"a": answer_id, "c": channel, "q": q})
        if len(value) <= BUTTON_VALUE_LIMIT or not q:
            return value
        q = truncate(q, max(1, len(q) - (len(value) - BUTTON_VALUE_LIMIT) // 2 - 1))


def command_message(answer: Answer, *, answer_id: str | None, channel: str) -> tuple[str, list[dict]]:
    """The ephemeral reply to /recordsaccess: the question restated, the answer, and "Share in channel"."""
    share = ButtonElement(
        text=prompts.SHARE_BUTTON,
        action_id=SHARE_ACTION,
        value=share_value(answer_id, channel, answer.question),
        style="primary",
    )
    blocks = answer_blocks(
        answer,
        answer_id=answer_id,
        channel=channel,
        thread_ts=None,
        preamble=[question_block(answer.question)],
        extra_actions=[share],
    )
    text = _fallback(answer, prefix=f"{prompts.YOU_ASKED}: {escape(truncate(answer.question, 300))}\n\n")
    return text, to_dicts(blocks)


def shared_message(answer: Answer, *, answer_id: str | None, channel: str, user: str | None) -> tuple[str, list[dict]]:
    """The answer as posted in the channel by "Share in channel"."""
    blocks = answer_blocks(
        answer, answer_id=answer_id, channel=channel, thread_ts=None, preamble=[question_block(answer.question, user)]
    )
    who = prompts.SOMEONE_SHARED.format(user=user) if user else prompts.SHARED
    return _fallback(answer, prefix=f"{who}: {escape(truncate(answer.question, 300))}\n\n"), to_dicts(blocks)


def error_message(channel: str | None, thread_ts: str | None) -> tuple[str, list[dict]]:
    """The visible apology when answering failed, with the escalate button."""
    blocks = [
        SectionBlock(block_id="error", text=MarkdownTextObject(text=f":warning: {prompts.ANSWER_FAILED}")),
        escalate_block(None, channel, thread_ts),
    ]
    return to_plain(prompts.ANSWER_FAILED), to_dicts(blocks)


def kinds_text(kinds: Sequence[str]) -> str:
    words = [prompts.PII_KIND_NAMES.get(k, k.replace("_", " ")) for k in kinds] or [prompts.PII_KINDS_UNKNOWN]
    return ", ".join(words)


def pii_warning_text(kinds: Sequence[str], template: str = prompts.PII_WARNING) -> str:
    """The ephemeral warning to whoever posted identifiers (kinds only, never the details)."""
    return ":warning: " + template.format(kinds=kinds_text(kinds))


# ------------------------------------------------------------------ App Home
def home_view(info, *, review_enabled: bool = False) -> View:
    """The App Home tab: what the bot covers and doesn't, how it treats patient details, and freshness."""

    def section(text: str) -> SectionBlock:
        return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))

    if info is not None and getattr(info, "chunks", 0):
        freshness = prompts.HOME_FRESHNESS.format(
            documents=info.documents, chunks=info.chunks, newest=escape(info.newest_reviewed or prompts.HOME_UNKNOWN),
            oldest=escape(info.oldest_reviewed or prompts.HOME_UNKNOWN), refreshed=escape(_short_time(info.last_ingest)))
    else:
        freshness = prompts.HOME_NOT_LOADED
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=prompts.HOME_TITLE)),
        section(prompts.HOME_COVERS.format(scope=escape(prompts.SCOPE_SUMMARY))),
        section(prompts.HOME_DOES_NOT),
        section(prompts.HOME_PATIENT_DETAILS),
        section(prompts.HOME_FRESHNESS_HEADING + freshness),
        DividerBlock(),
        section(prompts.HOME_HOW_TO_ASK + (prompts.HOME_REVIEW_ON if review_enabled else prompts.HOME_REVIEW_OFF)),
    ]
    return View(type="home", blocks=blocks)


def _short_time(value: str) -> str:
    if not value:
        return prompts.HOME_UNKNOWN
    return value.replace("T", " ")[:16] + (" UTC" if "T" in value else "")


def to_dicts(blocks: Sequence[Block]) -> list[dict]:
    return [b.to_dict() if hasattr(b, "to_dict") else b for b in blocks]
