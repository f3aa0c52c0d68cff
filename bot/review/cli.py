"""`gpbot review …`: the support team's record, from the command line.

    gpbot review list [--status open] [--json]
    gpbot review verified [list|retire ID|reinstate ID|reindex]
    gpbot review export --format csv|jsonl [--since DATE] [--output FILE]
    gpbot review gaps [--since DATE] [--threshold 0.72] [--json]
    gpbot review stats [--since DATE] [--json]
    gpbot review purge [--days N]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from enum import Enum
from typing import TYPE_CHECKING, Any, Optional, Sequence

import typer
from rich.console import Console
from rich.table import Table

from bot import prompts
from bot.settings import Settings
from bot.startup import settings_or_exit

if TYPE_CHECKING:  # the store (SQLAlchemy) loads when a command runs, not for `gpbot --help`
    from bot.review.service import ReviewService

review_app = typer.Typer(help="Review the bot's answers: feedback, verified answers, gaps and statistics.", no_args_is_help=True)
console = Console()


def _settings() -> Settings:
    return settings_or_exit()


def _service(with_index: bool = False) -> "ReviewService":
    from bot.review.service import ReviewService

    settings = _settings()
    index = None
    if with_index:
        from bot.index import Index

        index = Index(settings)
    return ReviewService.from_settings(settings, index=index)


def _since(value: Optional[str]) -> Optional[dt.date]:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(prompts.REVIEW_CLI_BAD_SINCE.format(value=value), err=True)
        raise typer.Exit(2)


def _short(text: str | None, n: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ------------------------------------------------------------------ list
@review_app.command("list")
def list_items(
    status: Optional[str] = typer.Option(None, "--status", help="open, approved, corrected or dismissed."),
    reason: Optional[str] = typer.Option(None, "--reason", help="thumbs_down, not_covered, escalated, stale_verified."),
    limit: int = typer.Option(200, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json", help="One JSON array on stdout."),
) -> None:
    """Review items, newest first."""
    items = _service().list_reviews(status=status, reason=reason, limit=limit)
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    if not items:
        none = prompts.REVIEW_CLI_NO_ITEMS_WITH_STATUS.format(status=status) if status else prompts.REVIEW_CLI_NO_ITEMS
        console.print(none)
        return
    table = Table(title=prompts.REVIEW_CLI_ITEMS_TITLE.format(count=len(items)))
    for col in ("id", "created", "reason", "status", "question", "reviewer"):
        table.add_column(col, overflow="fold")
    for item in items:
        table.add_row(item["id"][:8], item["created_at"][:16], item["reason"], item["status"],
                      _short(item["question"]), item["reviewer"] or "")
    console.print(table)


# ------------------------------------------------------------------ verified
class VerifiedAction(str, Enum):
    list = "list"
    retire = "retire"
    reinstate = "reinstate"
    reindex = "reindex"


@review_app.command("verified")
def verified(
    action: VerifiedAction = typer.Argument(VerifiedAction.list),
    verified_id: Optional[str] = typer.Argument(None, metavar="ID", help="Verified answer id (or a unique prefix)."),
    status: Optional[str] = typer.Option(None, "--status", help="For list: active, needs_review or retired."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List verified answers, retire or reinstate one, or write them all into the index again."""
    if action is VerifiedAction.list:
        rows = _service().list_verified(status=status)
        if as_json:
            typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
            return
        if not rows:
            console.print(prompts.REVIEW_CLI_NO_VERIFIED)
            return
        table = Table(title=prompts.REVIEW_CLI_VERIFIED_TITLE.format(count=len(rows)))
        for col in ("id", "status", "created", "author", "question", "cites"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(r.verified_id[:8], r.status, r.created.isoformat(timespec="minutes"), r.author,
                          _short(r.question), ", ".join(r.cited_doc_ids)[:60])
        console.print(table)
        return
    from bot.review.service import ReviewError

    service = _service(with_index=True)
    try:
        if action is VerifiedAction.reindex:
            n = service.reindex_verified()
            _refit(service)  # the query adapter learns from the active verified answers
            console.print(prompts.REVIEW_CLI_REINDEXED.format(count=n))
            return
        if not verified_id:
            typer.echo(prompts.REVIEW_CLI_ID_NEEDED.format(action=action.value), err=True)
            raise typer.Exit(2)
        if action is VerifiedAction.retire:
            done = service.retire_verified(verified_id)
            console.print(prompts.REVIEW_CLI_RETIRED.format(verified_id=done.verified_id))
        else:
            done = service.reinstate_verified(verified_id)
            console.print(prompts.REVIEW_CLI_REINSTATED.format(verified_id=done.verified_id))
        _refit(service)  # the query adapter learns from active answers only: at once, not at the next ingest
    except ReviewError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1)


def _refit(service) -> None:
    """Refit the query adapter; a failure is said (the review store is already right) and does not fail the command."""
    try:
        service.index.refit()
    except Exception as exc:
        typer.echo(prompts.REVIEW_CLI_REFIT_FAILED.format(error=exc), err=True)


# ------------------------------------------------------------------ export
class ExportFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


EXPORT_COLUMNS = (
    "id", "created_at", "team_id", "channel_id", "thread_ts", "message_ts", "user_id", "question", "answer",
    "kind", "confidence", "answerer", "latency_ms", "pii_warning", "verified_id", "chunk_ids", "source_urls",
    "up", "down", "comments", "reviews",
)


@review_app.command("export")
def export(
    fmt: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", "-f"),
    since: Optional[str] = typer.Option(None, "--since", help="Only answers on or after this date (YYYY-MM-DD)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
) -> None:
    """Every recorded answer with its votes and review outcome (questions are stored redacted)."""
    rows = _service().export_answers(since=_since(since))
    out = open(output, "w", newline="", encoding="utf-8") if output else io.StringIO()
    try:
        if fmt is ExportFormat.jsonl:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                flat = {k: (" | ".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()}
                writer.writerow(flat)
        if not output:
            sys.stdout.write(out.getvalue())
    finally:
        out.close()


# ------------------------------------------------------------------ gaps
def _embedder(settings: Settings):
    from bot.index.embedder import load_embedder

    return load_embedder(settings)


def cluster_questions(vectors, threshold: float) -> list[list[int]]:
    """Greedy cosine clustering of unit vectors: each question joins the most similar existing group
    (similarity to the group's mean direction ≥ threshold) or starts a new one. Largest groups first."""
    import numpy as np

    groups: list[list[int]] = []
    sums: list[Any] = []
    for i, vec in enumerate(vectors):
        best, best_sim = -1, threshold
        for g, total in enumerate(sums):
            centroid = total / (np.linalg.norm(total) or 1.0)
            sim = float(centroid @ vec)
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            groups.append([i])
            sums.append(np.array(vec, dtype=np.float32))
        else:
            groups[best].append(i)
            sums[best] = sums[best] + vec
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), groups[g][0]))
    return [groups[g] for g in order]


def gap_groups(service: "ReviewService", embedder, since=None, threshold: float = 0.72) -> list[dict[str, Any]]:

    gaps = service.gap_questions(since=since)
    if not gaps:
        return []
    vectors = embedder.embed([g["question"] for g in gaps])
    out = []
    for members in cluster_questions(vectors, threshold):
        centroid = vectors[members].mean(axis=0)
        rep = max(members, key=lambda i: float(vectors[i] @ centroid))
        reasons: dict[str, int] = {}
        for i in members:
            reasons[gaps[i]["reason"]] = reasons.get(gaps[i]["reason"], 0) + 1
        out.append(
            {
                "size": len(members),
                "representative": gaps[rep]["question"],
                "reasons": reasons,
                "questions": [gaps[i]["question"] for i in members],
                "answer_ids": [gaps[i]["answer_id"] for i in members],
                "last_asked": max(gaps[i]["created_at"] for i in members),
            }
        )
    return out


@review_app.command("gaps")
def gaps(
    since: Optional[str] = typer.Option(None, "--since"),
    threshold: float = typer.Option(0.72, "--threshold", min=0.0, max=1.0, help="Cosine similarity to join a group."),
    limit: int = typer.Option(30, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Not-covered and 👎 questions grouped by meaning, largest groups first: the guidance to write next."""
    from bot.review.service import ReviewService

    settings = _settings()
    service = ReviewService.from_settings(settings)
    groups = gap_groups(service, _embedder(settings), since=_since(since), threshold=threshold)[:limit]
    if as_json:
        typer.echo(json.dumps(groups, indent=2))
        return
    if not groups:
        console.print(prompts.REVIEW_CLI_NO_GAPS)
        return
    table = Table(title=prompts.REVIEW_CLI_GAPS_TITLE)
    for col in ("#", "asked", "question (most typical)", "why", "examples"):
        table.add_column(col, overflow="fold")
    for n, g in enumerate(groups, 1):
        why = ", ".join(f"{k} {v}" for k, v in sorted(g["reasons"].items()))
        others = [q for q in g["questions"] if q != g["representative"]][:2]
        table.add_row(str(n), str(g["size"]), _short(g["representative"], 90), why, "\n".join(_short(q, 60) for q in others))
    console.print(table)


# ------------------------------------------------------------------ stats
def _pct(value: Optional[float]) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _ms(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.0f}"


@review_app.command("stats")
def stats(
    since: Optional[str] = typer.Option(None, "--since"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Questions answered, not covered, 👍/👎 rate and median latency, in total and by ISO week."""
    data = _service().stats(since=_since(since))
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    total = data["total"]
    table = Table(title=prompts.REVIEW_CLI_STATS_TITLE)
    for col in ("week", "questions", "answered", "verified", "not covered", "out of scope", "👍", "👎", "👍 rate", "median ms"):
        table.add_column(col, justify="right")

    def row(label: str, d: dict) -> Sequence[str]:
        return (label, str(d["questions"]), str(d["answered"]), str(d["verified"]), str(d["not_covered"]),
                str(d["out_of_scope"]), str(d["up"]), str(d["down"]), _pct(d["up_rate"]), _ms(d["median_latency_ms"]))

    for week in data["by_week"]:
        table.add_row(*row(week["week"], week))
    table.add_row(*row("total", total), style="bold")
    console.print(table)
    console.print(prompts.REVIEW_CLI_STATS_FOOTER.format(open=total["open_reviews"], active=total["verified_active"]))


# ------------------------------------------------------------------ purge
@review_app.command("purge")
def purge(
    days: Optional[int] = typer.Option(None, "--days", min=1, help="Override RETENTION_DAYS."),
) -> None:
    """Delete answers, feedback and review items older than RETENTION_DAYS (verified answers are kept)."""
    service = _service()
    result = service.purge(retention_days=days)
    keep = days or service.setting("retention_days")
    console.print(prompts.REVIEW_CLI_PURGED.format(days=keep, **result))
