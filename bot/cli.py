"""`gpbot`: ingest, search, ask, chat, serve, eval, review, run.

    gpbot ingest [PATH|URL ...]     refresh the index from knowledge/ (and sources.yaml) or the given sources
    gpbot search "query"            the top passages with score, title, section and source URL
    gpbot ask "question"            the answer as a person would read it (--jsonl: one JSON per stdin line)
    gpbot chat                      the local console over the same pipeline as the Slack bot
    gpbot serve [--http --port N]   the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP)
    gpbot eval FILE.jsonl           score a question file: retrieval, answers, declines, identifiers, latency
    gpbot review …                  the support team's record: list, verified, export, gaps, stats, purge
    gpbot sources check             corpus documents whose upstream pages changed, moved or disappeared
    gpbot embedder export|info      export the embedding model to ONNX (set-up), or show the one in use
    gpbot run                       what `make run` does: bring the index up to date, then serve or chat
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from bot import prompts
from bot.settings import Settings
from bot.startup import settings_or_exit

app = typer.Typer(help="Answers GP practice staff's questions about online access to GP records, from cited guidance.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
log = logging.getLogger(__name__)
err = Console(stderr=True)
out = Console(soft_wrap=True)  # URLs stay whole, for copying


def assistant_or_exit(settings: Settings):
    """The answering pipeline over the configured index, with its verified answers; exit 1 with a clear line
    when nothing is indexed."""
    from bot.index import Index
    from bot.pipeline import build_assistant
    from bot.settings import ConfigError

    try:
        index = Index(settings)
        assistant = build_assistant(settings, index=index, verified_lookup=verified_lookup(settings, index))
    except ConfigError as exc:  # a language model that cannot be used
        err.print(str(exc), highlight=False, markup=False)
        raise typer.Exit(2)
    if assistant.index.count() == 0:
        err.print(prompts.CLI_INDEX_EMPTY)
        raise typer.Exit(1)
    return assistant


def verified_lookup(settings: Settings, index):
    """What gives the assistant verified answers: the index finds them, the review store holds their text. The
    store is opened only when the index holds any (a fresh checkout gets no database from `gpbot ask`); None
    without any, or when the store does not open."""
    try:
        if index.verified_count() == 0:
            return None
        from bot.review.service import ReviewService

        return ReviewService.from_settings(settings, index=index).get_verified
    except Exception as exc:  # answers still come from the guidance
        log.warning("verified answers are off: the review store did not open (%s)", type(exc).__name__)
        return None


# --- ingest ---
from ingest.cli import ingest_command  # noqa: E402  (light import: heavy modules load when it runs)

app.command("ingest", help="Bring the index into step with its sources (default: knowledge/ and sources.yaml).")(ingest_command)

from ingest.sources_cli import sources_app  # noqa: E402  (light import, like ingest)

app.add_typer(sources_app, name="sources")


# --- search ---
@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(5, "-k", help="How many passages."),
    mode: str = typer.Option("hybrid", help="bm25, dense or hybrid."),
) -> None:
    """Print the top passages with score, title, heading path and source URL."""
    assistant = assistant_or_exit(settings_or_exit())
    _, prepared = assistant.prepare(query)
    results = assistant.retriever.retrieve(prepared, k=k, mode=mode).results
    for rank, hit in enumerate(results, start=1):
        chunk = hit.chunk
        out.print(f"[bold]{rank}. {hit.score:.3f}[/bold]  {chunk.title}", highlight=False)
        if len(chunk.heading_path) > 1:
            out.print(prompts.CLI_SEARCH_SECTION.format(section=" > ".join(chunk.heading_path[1:])), highlight=False)
        out.print(prompts.CLI_SEARCH_SOURCE.format(source=chunk.url or chunk.source, reviewed=chunk.last_reviewed or "?"),
                  highlight=False)
        snippet = " ".join(chunk.text.split())
        out.print(f"   {snippet[:240]}{'…' if len(snippet) > 240 else ''}", style="dim", highlight=False)


# --- ask ---
@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="The question. Omit with --jsonl."),
    jsonl: bool = typer.Option(False, "--jsonl", help='Read {"id", "question", "history"?} lines from stdin '
                               '(history: the thread\'s earlier questions); write one JSON answer per line.'),
) -> None:
    """Answer a question as a person would read it, or many as JSON lines."""
    from bot.console import render_answer
    from bot.evaluation import parse_question_line

    settings = settings_or_exit(answering=True)
    if not jsonl and not question:
        err.print(prompts.CLI_ASK_NOTHING)
        raise typer.Exit(2)
    assistant = assistant_or_exit(settings)
    assistant.warm_up()
    if not jsonl:
        out.print(render_answer(assistant.answer(question)), highlight=False, markup=False)
        return
    failed = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item, history = parse_question_line(line)
        except ValueError as exc:
            failed += 1
            err.print(prompts.CLI_ASK_LINE_SKIPPED.format(number=number, error=exc), highlight=False)
            print(json.dumps({"id": None, "line": number, "error": str(exc)}), flush=True)
            continue
        answer = assistant.answer(item["question"], history=history)
        print(json.dumps(jsonl_record(item.get("id"), answer), ensure_ascii=False), flush=True)
    if failed:
        raise typer.Exit(1)


def _sources(citations) -> list[dict]:
    return [{"number": c.number, "title": c.title, "url": c.url, "published": c.published,
             "last_reviewed": c.last_reviewed} for c in citations]


def jsonl_record(item_id, answer) -> dict:
    """One answer as a JSON line; `closest`: the sources a "not covered" answer points to (its text says they are
    listed), [] otherwise. Each source carries its [n] number: a declined story's closest sources follow the
    number its safeguarding line cites."""
    return {
        "id": item_id,
        "question": answer.question,
        "kind": answer.kind.value,
        "text": answer.text,
        "citations": _sources(answer.citations),
        "closest": _sources(answer.closest),
        "pii_warning": answer.pii_warning,
        "safeguarding": answer.safeguarding,
        "confidence": answer.confidence,
        "latency_ms": answer.timings_ms.get("total", 0.0),
    }


# --- chat ---
@app.command()
def chat() -> None:
    """The local console over the same pipeline (what `make run` opens without Slack tokens)."""
    from bot.console import run_console

    raise typer.Exit(run_console(settings_or_exit(answering=True)))


# --- eval ---
@app.command("eval")
def eval_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Questions, one JSON object per line."),
    mode: str = typer.Option("all", help="bm25, dense, hybrid or all (side by side); llm: hybrid with the configured language model."),
    json_output: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
    show_failures: bool = typer.Option(False, "--failures", help="List each question that missed."),
) -> None:
    """Score a question file per mode and split (dev/validation): recall@5, MRR, must-contain, citation
    precision, declines, the safeguarding line, identifier warnings, latency; then must-contain per category."""
    from bot.evaluation import as_json, category_cell, column_name, evaluate, load_questions

    settings = settings_or_exit(answering=True)
    modes = ["bm25", "dense", "hybrid"] if mode == "all" else [mode]
    if any(m not in {"bm25", "dense", "hybrid", "llm"} for m in modes):
        err.print(prompts.CLI_EVAL_UNKNOWN_MODE.format(mode=mode))
        raise typer.Exit(2)
    if mode == "llm" and not settings.llm.configured:
        err.print(prompts.CLI_EVAL_NEEDS_LLM)
        raise typer.Exit(2)
    try:
        questions = load_questions(file)
    except ValueError as exc:
        err.print(str(exc))
        raise typer.Exit(2)
    assistant = assistant_or_exit(settings)
    assistant.warm_up()
    reports = [report for m in modes for report in evaluate(assistant, questions, m)]
    if json_output:
        print(json.dumps(as_json(reports)))
        return
    table = Table(title=prompts.EVAL_TABLE_TITLE.format(file=file.name, count=len(questions)))
    table.add_column(prompts.EVAL_METRIC_COLUMN)
    for report in reports:
        table.add_column(column_name(report), justify="right")
    for label, attr in prompts.EVAL_ROWS + (prompts.EVAL_LLM_ROWS if mode == "llm" else []):
        table.add_row(label, *[str(getattr(r, attr)) for r in reports])
    out.print(table)
    by_category = Table(title=prompts.EVAL_CATEGORY_TITLE)
    by_category.add_column(prompts.EVAL_CATEGORY_COLUMN)
    for report in reports:
        by_category.add_column(column_name(report), justify="right")
    for category in sorted({c for r in reports for c in r.categories}):
        by_category.add_row(category, *[category_cell(r.categories.get(category)) for r in reports])
    out.print(by_category)
    if show_failures:
        for report in reports:
            for failure in report.failures:
                out.print(f"{column_name(report)} {failure['id']} [{failure['category']}] ({failure['kind']}): "
                          f"{'; '.join(failure['problems'])}", highlight=False, markup=False)


# --- serve ---
from bot.slack.cli import serve_command  # noqa: E402

app.command("serve", help="Run the Slack bot (Socket Mode with SLACK_APP_TOKEN; --http for the Events API).")(serve_command)

# --- review ---
from bot.review.cli import review_app  # noqa: E402

app.add_typer(review_app, name="review", help="The support team's record of questions, answers and reviews.")


# --- embedder (set-up) ---
embedder_app = typer.Typer(help="The embedding model: export it to ONNX (set-up), or say which one is in use.",
                           no_args_is_help=True)
app.add_typer(embedder_app, name="embedder")


@embedder_app.command("export")
def embedder_export(force: bool = typer.Option(False, "--force", help="Export again even when the export is intact.")) -> None:
    """Export the sentence-transformers model to ONNX (run by `make install` and the image build; imports torch)."""
    from bot.index.embedder import onnx_dir, packaged_model_path
    from bot.index.embedder_export import export_onnx

    settings = settings_or_exit()
    source = settings.index.embedding_model_path or packaged_model_path()
    directory, exported = export_onnx(source, onnx_dir(settings), force=force)
    done = prompts.CLI_EMBEDDER_EXPORTED if exported else prompts.CLI_EMBEDDER_UP_TO_DATE
    err.print(done.format(directory=directory), highlight=False, soft_wrap=True)


@embedder_app.command("info")
def embedder_info() -> None:
    """The embedder this configuration loads, and its fingerprint (stored with the index's vectors)."""
    from bot.index.embedder import load_embedder

    embedder = load_embedder(settings_or_exit())
    out.print(f"{type(embedder).__name__} {embedder.fingerprint}", highlight=False)


# --- run (make run) ---
@app.command()
def run() -> None:
    """Bring the index up to date with knowledge/ (and sources.yaml), then serve Slack or open the console."""
    from bot.console import run_console
    from ingest.cli import ingest_and_flag, print_summary

    settings = settings_or_exit(answering=True)
    err.print(prompts.CLI_RUN_CHECKING, highlight=False)
    summary, flagged = ingest_and_flag(settings, None, progress=None)
    print_summary(summary, err, flagged, max_failures=3)
    if summary.failed:
        err.print(prompts.CLI_RUN_CARRYING_ON, highlight=False)
    if summary.chunks == 0:
        err.print(prompts.CLI_RUN_NOTHING_INDEXED, style="red")
        raise typer.Exit(1)
    if settings.slack.configured:
        serve_command(http=settings.slack.slack_app_token is None, port=3000, refresh_every=None)
        return
    if settings.slack.slack_bot_token is None:
        err.print(prompts.CLI_RUN_CONSOLE, highlight=False)
    raise typer.Exit(run_console(settings))


def main() -> None:
    from bot.settings import ConfigError

    try:
        app()
    except ConfigError as exc:  # any configuration error found after start-up: one line, exit 2
        print(str(exc), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
