"""`gpbot eval`: score a question file per retrieval mode, split (dev/validation) and category.

Each line: {"id", "question", "must_contain": [...], "sources": [...], "split"?: "dev"|"validation",
"category"?: str, "history"?: [earlier questions of the thread], "expect_refusal"?: bool,
"expect_pii_warning"?: bool, "must_not_contain"?: [...]}. Items with `history` are answered as thread
follow-ups. Citation precision compares URLs by their last path segment (mirror hosts share it).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot import prompts
from bot.claims import split_claims
from bot.index import analyze
from bot.pipeline import Assistant
from bot.repeats import says_in_full
from bot.specifics import CITATION
from bot.types import AnswerKind

DECLINES = {AnswerKind.not_covered, AnswerKind.out_of_scope}
# What a reader takes in first: the must-contain text within this many characters of the answer's start (the measure
# sessions 18-23 judged openings by, eval/reranker_trials.md; about two sentences of guidance)
OPENING_CHARS = 300
SAFEGUARDING_CATEGORY = "safeguarding"


def url_key(url: str) -> str:
    """Host-independent form of a URL: mirrors of digital.nhs.uk share the path."""
    parsed = urlparse(url.strip())
    path = "/" + "/".join(p for p in parsed.path.split("/") if p)
    key = path.rstrip("/").lower()
    if parsed.query:
        key += "?" + parsed.query.lower()
    return key or "/"


def url_tail(url: str) -> str:
    """A URL's last path segment (lower case): how citation precision compares a citation with a source."""
    path = url.strip().split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return (path.rsplit("/", 1)[-1] if "/" in path else path).lower()


def normalised(text) -> str:
    """Lower case with every run of white space one space: how a must-contain string is looked for in an answer."""
    return " ".join(str(text).lower().split())


def parse_question_line(line: str) -> tuple[dict, list[str]]:
    """One line of a question file, as `gpbot eval` and `gpbot ask --jsonl` both read it: a JSON object with a
    string "question" and, for a thread follow-up, "history" (the thread's earlier questions; null or absent:
    none). Returns the item and its history; raises ValueError with the problem in words."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(prompts.QUESTION_LINE_NOT_JSON.format(error=exc.msg)) from None
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        raise ValueError(prompts.QUESTION_LINE_NEEDS_QUESTION)
    history = item.get("history")
    history = [] if history is None else history
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise ValueError(prompts.QUESTION_LINE_BAD_HISTORY)
    return item, history


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item, _ = parse_question_line(line)
        except ValueError as exc:
            raise ValueError(prompts.QUESTION_FILE_LINE.format(path=path, number=number, problem=exc)) from None
        questions.append(item)
    return questions


@dataclass
class ItemResult:
    """What one question's answer got right and wrong (None: the measure does not apply to it)."""

    id: object
    split: str
    category: str
    kind: str
    expect_refusal: bool
    declined: bool
    rank: int | None = None  # first retrieved chunk citing one of the sources (None: not found / not asked)
    retrieval_scored: bool = False
    must_ok: bool | None = None
    must_in_opening: bool | None = None  # all of must_contain within OPENING_CHARS
    says_a_line_twice: bool | None = None  # an answered question's answer holds a line another of its lines says in full
    cite_ok: bool | None = None
    safeguarding_line: bool | None = None
    pii_expected: bool = False
    pii_warned: bool = False
    leaks: int = 0
    latency_ms: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass
class ModeReport:
    mode: str
    split: str = "all"
    questions: int = 0
    recall_at_5: float | str = "n/a"  # n/a when no question names its sources
    mrr: float | str = "n/a"
    must_contain: float | str = "n/a"
    must_contain_in_opening: float | str = "n/a"  # of the answerable questions with must_contain
    answers_saying_a_line_twice: str = ""  # of the answered questions
    citation_precision: float | str = "n/a"
    decline_accuracy: float = 0.0
    decline_precision: float | str = "n/a"  # of the declined questions, the share that should be declined
    decline_recall: float | str = "n/a"  # of the questions that should be declined, the share declined
    refusals_declined: str = ""
    answerable_declined: int = 0
    safeguarding_line: str = ""
    pii_warned: str = ""
    pii_false_alarms: int = 0
    identifier_leaks: int = 0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    categories: dict[str, dict] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    # --mode llm: what the language-model answerer did (hybrid retrieval)
    llm_outcomes: dict[str, int] = field(default_factory=dict)
    llm_sentences_dropped: dict[str, int] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


def _share(hits: int, total: int) -> float | str:
    return round(hits / total, 3) if total else "n/a"


def score_item(assistant: Assistant, item: dict, mode: str) -> ItemResult:
    question, history = item["question"], item.get("history") or []
    expect_refusal = bool(item.get("expect_refusal"))
    result = ItemResult(id=item.get("id"), split=str(item.get("split") or "all"),
                        category=str(item.get("category") or "none"), kind="", expect_refusal=expect_refusal,
                        declined=False)
    sources = {url_key(u) for u in item.get("sources", [])}
    if sources and not expect_refusal:
        result.retrieval_scored = True
        _, query = assistant.prepare(question, history)
        ranked = assistant.retriever.retrieve(query, k=10, mode=mode).results
        result.rank = next((i for i, r in enumerate(ranked, start=1)
                            if sources & {url_key(u) for u in r.chunk.source_urls}), None)
    started = time.perf_counter()
    answer = assistant.answer(question, history=history, mode=mode)
    result.latency_ms = (time.perf_counter() - started) * 1000
    result.kind = answer.kind.value
    result.declined = answer.kind in DECLINES
    text = normalised(answer.text)
    if expect_refusal and not result.declined:
        result.problems.append(prompts.EVAL_PROBLEM_SHOULD_DECLINE.format(kind=answer.kind.value))
    elif result.declined and not expect_refusal:
        result.problems.append(prompts.EVAL_PROBLEM_DECLINED.format(kind=answer.kind.value))
    must = item.get("must_contain") or []
    if must and not expect_refusal:
        missing = [m for m in must if normalised(m) not in text]
        result.must_ok = not missing
        opening = normalised(answer.text[:OPENING_CHARS])
        result.must_in_opening = all(normalised(m) in opening for m in must)
        if missing:
            result.problems.append(prompts.EVAL_PROBLEM_MISSING.format(missing=missing))
    if answer.kind == AnswerKind.answered:
        result.says_a_line_twice = says_line_twice(answer.text)
    if answer.kind == AnswerKind.answered and item.get("sources"):
        wanted = {url_tail(u) for u in item["sources"]}
        result.cite_ok = bool(wanted & {url_tail(c.url) for c in answer.citations if c.url})
        if not result.cite_ok:
            result.problems.append(prompts.EVAL_PROBLEM_NO_SOURCE)
    if result.category == SAFEGUARDING_CATEGORY and not expect_refusal:
        result.safeguarding_line = answer.safeguarding and (
            result.declined or normalised(prompts.SAFEGUARDING_PREFIX) in text)
        if not result.safeguarding_line:
            result.problems.append(prompts.EVAL_PROBLEM_NO_SAFEGUARDING_LINE)
    result.pii_expected = bool(item.get("expect_pii_warning"))
    result.pii_warned = answer.pii_warning
    if result.pii_expected and not answer.pii_warning:
        result.problems.append(prompts.EVAL_PROBLEM_NOT_WARNED)
    elif not result.pii_expected and answer.pii_warning:
        result.problems.append(prompts.EVAL_PROBLEM_FALSE_ALARM.format(kinds=answer.pii_kinds))
    rendered = json.dumps(answer.model_dump(mode="json")).lower()
    result.leaks = sum(m.lower() in rendered for m in item.get("must_not_contain") or [])
    if result.leaks:
        result.problems.append(prompts.EVAL_PROBLEM_REPEATED)
    return result


def says_line_twice(answer_text: str, min_words: int = 4) -> bool:
    """Whether a written answer holds a line (a sentence or list item, `claims.split_claims`, without its [n]
    markers) that another of its lines says in full (`repeats.says_in_full`). Lines of fewer than `min_words` words
    ("Steps:") are not counted. What `gpbot eval` reports as "answers saying a line twice"."""
    lines = [CITATION.sub("", piece).strip() for piece in split_claims(answer_text)]
    lines = [line for line in lines if len(analyze(line)) >= min_words]
    return any(says_in_full(other, line) for i, line in enumerate(lines) for j, other in enumerate(lines) if i != j)


def summarize(results: list[ItemResult], mode: str, split: str = "all", *, categories: bool = True) -> ModeReport:
    report = ModeReport(mode=mode, split=split, questions=len(results))
    scored = [r for r in results if r.retrieval_scored]
    if scored:
        report.recall_at_5 = round(sum(r.rank is not None and r.rank <= 5 for r in scored) / len(scored), 3)
        report.mrr = round(sum(1.0 / r.rank for r in scored if r.rank) / len(scored), 3)
    musts = [r.must_ok for r in results if r.must_ok is not None]
    report.must_contain = _share(sum(musts), len(musts))
    openings = [r.must_in_opening for r in results if r.must_in_opening is not None]
    report.must_contain_in_opening = _share(sum(openings), len(openings))
    twice = [r.says_a_line_twice for r in results if r.says_a_line_twice is not None]
    report.answers_saying_a_line_twice = f"{sum(twice)}/{len(twice)}"
    cites = [r.cite_ok for r in results if r.cite_ok is not None]
    report.citation_precision = _share(sum(cites), len(cites))
    declined = [r for r in results if r.declined]
    refusals = [r for r in results if r.expect_refusal]
    report.decline_accuracy = round(sum(r.declined == r.expect_refusal for r in results) / len(results), 3) if results else 0.0
    report.decline_precision = _share(sum(r.expect_refusal for r in declined), len(declined))
    report.decline_recall = _share(sum(r.declined for r in refusals), len(refusals))
    report.refusals_declined = f"{sum(r.declined for r in refusals)}/{len(refusals)}"
    report.answerable_declined = sum(r.declined and not r.expect_refusal for r in results)
    lines = [r.safeguarding_line for r in results if r.safeguarding_line is not None]
    report.safeguarding_line = f"{sum(lines)}/{len(lines)}"
    pii = [r for r in results if r.pii_expected]
    report.pii_warned = f"{sum(r.pii_warned for r in pii)}/{len(pii)}"
    report.pii_false_alarms = sum(r.pii_warned and not r.pii_expected for r in results)
    report.identifier_leaks = sum(r.leaks for r in results)
    latencies = [r.latency_ms for r in results]
    report.latency_p50_ms = round(statistics.median(latencies), 1) if latencies else 0.0
    report.latency_p95_ms = round(percentile(latencies, 0.95), 1)
    if categories:
        for category in sorted({r.category for r in results}):
            part = summarize([r for r in results if r.category == category], mode, split, categories=False)
            report.categories[category] = {
                "questions": part.questions, "must_contain": part.must_contain,
                "citation_precision": part.citation_precision, "answerable_declined": part.answerable_declined,
                "refusals_declined": part.refusals_declined,
            }
    report.failures = [{"id": r.id, "split": r.split, "category": r.category, "kind": r.kind, "problems": r.problems}
                       for r in results if r.problems]
    return report


def splits_of(questions: list[dict]) -> list[str]:
    """The splits present, dev first: every item without a split counts as "all"."""
    present = {str(q.get("split") or "all") for q in questions}
    order = ["dev", "validation"]
    return [s for s in order if s in present] + sorted(present - set(order))


def evaluate(assistant: Assistant, questions: list[dict], mode: str) -> list[ModeReport]:
    """One report per split present in the file (dev, then validation, then any other). `mode` is a
    retrieval mode, or "llm": hybrid retrieval with the configured language model, whose outcomes and
    dropped sentences are added to each report."""
    stats = getattr(assistant.answerer, "stats", None) if mode == "llm" else None
    reports = []
    for split in splits_of(questions):
        items = [item for item in questions if str(item.get("split") or "all") == split]
        before = stats.snapshot() if stats is not None else ({}, {})
        results = [score_item(assistant, item, "hybrid" if mode == "llm" else mode) for item in items]
        report = summarize(results, mode, split)
        if stats is not None:
            after = stats.snapshot()
            report.llm_outcomes = _grown(before[0], after[0])
            report.llm_sentences_dropped = _grown(before[1], after[1])
        reports.append(report)
    return reports


def _grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def column_name(report: ModeReport) -> str:
    return report.mode if report.split == "all" else f"{report.mode} {report.split}"


def category_cell(figures: dict | None) -> str:
    """must-contain share, with the wrong declines or the refusals when there are any."""
    if not figures:
        return ""
    cell = str(figures["must_contain"])
    if figures["answerable_declined"]:
        cell += prompts.EVAL_CELL_DECLINED.format(count=figures["answerable_declined"])
    if figures["refusals_declined"] != "0/0":
        cell = prompts.EVAL_CELL_REFUSALS.format(refusals=figures["refusals_declined"])
    return prompts.EVAL_CELL_COUNT.format(cell=cell, count=figures["questions"])


def as_json(reports: list[ModeReport]) -> dict:
    """{mode: figures} for a file without splits, else {mode: {split: figures}}."""
    out: dict = {}
    nested = any(r.split != "all" for r in reports)
    for report in reports:
        if nested:
            out.setdefault(report.mode, {})[report.split] = asdict(report)
        else:
            out[report.mode] = asdict(report)
    return out
