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

HELP = "Type a question. /good or /bad rates the last answer, /human asks the support team, /quit leaves."


def source_line(citation) -> str:
    parts = [f"[{citation.number}] {citation.title}"]
    if citation.section:
        parts.append(citation.section)
    if citation.publisher:
        parts.append(citation.publisher)
    if citation.published:
        parts.append(citation.published)
    elif citation.last_reviewed:
        parts.append(f"reviewed {citation.last_reviewed}")
    line = " · ".join(parts)
    return f"{line}\n    {citation.url}" if citation.url else line


def render_answer(answer: Answer) -> str:
    """Plain text, the way the Slack message reads (used by `gpbot ask` and the console)."""
    lines = []
    if answer.pii_warning:
        kinds = ", ".join(k.replace("_", " ") for k in answer.pii_kinds)
        lines += [f"⚠ (only you see this) {prompts.PII_WARNING.format(kinds=kinds)}", ""]
    if answer.kind is AnswerKind.verified and answer.verified is not None:
        lines += [f"✔ Verified by the support team ({answer.verified.author}, {answer.verified.created:%d %b %Y})", ""]
    lines.append(answer.text)
    sources = answer.citations or answer.closest
    if sources:
        lines += ["", "Sources:" if answer.citations else "Closest sources:"]
        lines += [source_line(c) for c in sources]
    if answer.kind in (AnswerKind.answered, AnswerKind.verified, AnswerKind.not_covered):
        lines += ["", "[👍 Helpful] [👎 Not helpful] [Ask the support team]"]
    return "\n".join(lines)


def run_console(settings: Settings, *, stdin=None, console: Console | None = None) -> int:
    from bot.pipeline import build_assistant

    console = console or Console()
    stdin = stdin or sys.stdin
    console.print("[bold]gpbot[/bold] — local console (no Slack tokens configured).", highlight=False)
    with console.status("Loading the guidance index…"):
        assistant = build_assistant(settings)
        assistant.warm_up()
        info = assistant.index.info()
    if info.chunks == 0:
        console.print("[red]The index is empty.[/red] Run `gpbot ingest` first.")
        return 1
    console.print(
        f"{info.documents} documents, {info.chunks} passages; guidance reviewed {info.oldest_reviewed} – "
        f"{info.newest_reviewed}; last ingest {info.last_ingest or 'unknown'}.",
        highlight=False,
    )
    from bot.llm import describe

    console.print(f"Answers: {describe(assistant.answerer)}.", highlight=False)
    console.print(HELP, style="dim", highlight=False)
    review = _review_service(settings, assistant)
    if review is not None:
        assistant.verified_lookup = review.get_verified
    history: list[str] = []
    last_answer_id: str | None = None
    while True:
        console.print("\n[bold cyan]You>[/bold cyan] ", end="")
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
                console.print("Nothing to rate yet." if last_answer_id is None else "The review store is not available.")
                continue
            if question == "/human":
                review.open_review(last_answer_id, reason="escalated")
                console.print("The support team has been asked; they will follow up.")
            else:
                vote = "up" if question == "/good" else "down"
                review.record_feedback(last_answer_id, "console", vote)
                if vote == "down":
                    review.open_review(last_answer_id, reason="thumbs_down")
                console.print("Thanks for the feedback.")
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


def _review_service(settings: Settings, assistant):
    try:
        from bot.review.service import ReviewService

        return ReviewService.from_settings(settings, index=assistant.index)
    except Exception:  # the console still answers without a review store
        return None
