"""The local console: the same pipeline as the Slack bot, rendered as Slack would show it.

`make run` opens it when no Slack tokens are configured; `gpbot chat` opens it any time.
"""

from __future__ import annotations

import re
import sys

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel

from bot import prompts
from bot.settings import Settings
from bot.types import Answer, AnswerKind

def source_line(citation) -> str:
    parts = [f"[{citation.number}] {citation.title}"]
    if citation.section:
        parts.append(citation.section)
    if citation.publisher:
        parts.append(citation.publisher)
    if citation.published:
        parts.append(citation.published)
    elif citation.last_reviewed:
        parts.append(prompts.RENDERED_REVIEWED.format(date=citation.last_reviewed))
    line = " · ".join(parts)
    return f"{line}\n    {citation.url}" if citation.url else line


def render_answer(answer: Answer) -> str:
    """Plain text, the way the Slack message reads (used by `gpbot ask` and the console)."""
    lines = []
    if answer.pii_warning:
        kinds = ", ".join(k.replace("_", " ") for k in answer.pii_kinds)
        lines += [prompts.RENDERED_PII_WARNING.format(warning=prompts.PII_WARNING.format(kinds=kinds)), ""]
    if answer.kind is AnswerKind.verified and answer.verified is not None:
        lines += [prompts.RENDERED_VERIFIED.format(author=answer.verified.author,
                                                   date=f"{answer.verified.created:%d %b %Y}"), ""]
    lines.append(answer.text)
    for name, sources in answer.shown_sources:
        lines += ["", f"{prompts.SOURCE_LIST_HEADINGS[name]}:"]
        lines += [source_line(c) for c in sources]
    if answer.kind in (AnswerKind.answered, AnswerKind.verified, AnswerKind.not_covered):
        lines += ["", prompts.RENDERED_BUTTONS]
    return "\n".join(lines)


def run_console(settings: Settings, *, stdin=None, console: Console | None = None) -> int:
    from bot.index import Index
    from bot.pipeline import build_assistant

    console = console or Console()
    stdin = stdin or sys.stdin
    console.print(prompts.CONSOLE_BANNER, highlight=False)
    with console.status(prompts.CONSOLE_LOADING):
        index = Index(settings)
        info = index.info()
        review = _review_service(settings, index) if info.chunks else None  # records answers, gives verified ones
        assistant = build_assistant(settings, index=index,
                                    verified_lookup=review.get_verified if review is not None else None)
        assistant.warm_up()
    if info.chunks == 0:
        console.print(prompts.CONSOLE_INDEX_EMPTY)
        return 1
    console.print(prompts.CONSOLE_INDEX_INFO.format(
        documents=info.documents, chunks=info.chunks, oldest=info.oldest_reviewed, newest=info.newest_reviewed,
        last_ingest=info.last_ingest or prompts.CONSOLE_LAST_INGEST_UNKNOWN), highlight=False)
    from bot.llm import describe

    console.print(prompts.CONSOLE_ANSWERER.format(answerer=describe(assistant.answerer)), highlight=False)
    console.print(prompts.CONSOLE_HELP, style="dim", highlight=False)
    history: list[str] = []
    last_answer_id: str | None = None
    while True:
        console.print(prompts.CONSOLE_PROMPT, end="")
        line = stdin.readline()
        if not line:
            return 0
        question = line.strip()
        if not question:
            continue
        if question in {"/quit", "/exit", "/q"}:
            return 0
        if question in {"/good", "/bad", "/human"}:
            if last_answer_id is None or review is None:
                console.print(prompts.CONSOLE_NOTHING_TO_RATE if last_answer_id is None
                              else prompts.CONSOLE_NO_REVIEW_STORE)
                continue
            if question == "/human":
                review.open_review(last_answer_id, reason="escalated")
                console.print(prompts.CONSOLE_ESCALATED)
            else:
                vote = "up" if question == "/good" else "down"
                review.record_feedback(last_answer_id, "console", vote)
                if vote == "down":
                    review.open_review(last_answer_id, reason="thumbs_down")
                console.print(prompts.CONSOLE_THANKS)
            continue
        answer = assistant.answer(question, history=history)
        history.append(answer.question)
        text = render_answer(answer)
        style = {"answered": "green", "verified": "green", "not_covered": "yellow", "out_of_scope": "magenta"}
        console.print(Panel(Markdown(_markdown(text)), title=answer.kind.value.replace("_", " "),
                            border_style=style.get(answer.kind.value, "white"),
                            subtitle=f"{answer.timings_ms.get('total', 0):.0f} ms"))
        if review is not None:
            last_answer_id = review.record_answer(answer, team_id="console", channel_id="console",
                                                  thread_ts="console", user_id="console",
                                                  latency_ms=answer.timings_ms.get("total", 0.0))


def _markdown(text: str) -> str:
    # keep line breaks between sources in the Markdown rendering
    return re.sub(r"\n(?=\S)", "  \n", text)


def _review_service(settings: Settings, index):
    try:
        from bot.review.service import ReviewService

        return ReviewService.from_settings(settings, index=index)
    except Exception:  # the console still answers without a review store
        return None
