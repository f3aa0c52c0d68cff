"""`gpbot eval`: score a question file (the format of the dev questions) per retrieval mode.

Each line: {"id", "question", "must_contain": [...], "sources": [...], "expect_refusal"?: bool,
"expect_pii_warning"?: bool, "must_not_contain"?: [...]}.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot.pipeline import Assistant
from bot.types import AnswerKind

DECLINES = {AnswerKind.not_covered, AnswerKind.out_of_scope}


def url_key(url: str) -> str:
    """Host-independent form of a URL: mirrors of digital.nhs.uk share the path."""
    parsed = urlparse(url.strip())
    path = "/" + "/".join(p for p in parsed.path.split("/") if p)
    key = path.rstrip("/").lower()
    if parsed.query:
        key += "?" + parsed.query.lower()
    return key or "/"


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if "question" not in item:
            raise ValueError(f"{path}:{number}: no 'question' field")
        questions.append(item)
    return questions


@dataclass
class ModeReport:
    mode: str
    questions: int = 0
    recall_at_5: float | str = "n/a"  # n/a when no question names its sources
    mrr: float | str = "n/a"
    must_contain: float = 0.0
    decline_accuracy: float = 0.0
    refusals_declined: str = ""
    answerable_declined: int = 0
    pii_warned: str = ""
    pii_false_alarms: int = 0
    identifier_leaks: int = 0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
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


def evaluate(assistant: Assistant, questions: list[dict], mode: str) -> ModeReport:
    """`mode` is a retrieval mode, or "llm": hybrid retrieval with the configured language model, whose
    outcomes and dropped sentences are added to the report."""
    report = ModeReport(mode=mode, questions=len(questions))
    stats = getattr(assistant.answerer, "stats", None) if mode == "llm" else None
    before = stats.snapshot() if stats is not None else ({}, {})
    mode = "hybrid" if mode == "llm" else mode
    recall_hits, reciprocal, retrieval_n = 0, 0.0, 0
    contain_ok, contain_n = 0, 0
    decline_ok = 0
    refusals, refusals_declined = 0, 0
    pii_expected, pii_warned = 0, 0
    latencies: list[float] = []
    for item in questions:
        question = item["question"]
        sources = {url_key(u) for u in item.get("sources", [])}
        expect_refusal = bool(item.get("expect_refusal"))
        # retrieval quality
        if sources and not expect_refusal:
            retrieval_n += 1
            _, query = assistant.prepare(question)
            results = assistant.retriever.retrieve(query, k=10, mode=mode).results
            rank = next(
                (i for i, r in enumerate(results, start=1) if sources & {url_key(u) for u in r.chunk.source_urls}),
                None,
            )
            if rank is not None and rank <= 5:
                recall_hits += 1
            if rank is not None:
                reciprocal += 1.0 / rank
        # the answer
        started = time.perf_counter()
        answer = assistant.answer(question, mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        text = answer.text.lower()
        declined = answer.kind in DECLINES
        problems = []
        if expect_refusal:
            refusals += 1
            refusals_declined += declined
            if not declined:
                problems.append(f"answered ({answer.kind.value}) but should decline")
        elif declined:
            report.answerable_declined += 1
            problems.append(f"declined ({answer.kind.value})")
        decline_ok += declined == expect_refusal
        must = item.get("must_contain") or []
        if must and not expect_refusal:
            contain_n += 1
            missing = [m for m in must if m.lower() not in text]
            if missing:
                problems.append(f"missing {missing}")
            else:
                contain_ok += 1
        if item.get("expect_pii_warning"):
            pii_expected += 1
            pii_warned += answer.pii_warning
            if not answer.pii_warning:
                problems.append("identifier not warned")
        elif answer.pii_warning:
            report.pii_false_alarms += 1
            problems.append(f"false identifier alarm {answer.pii_kinds}")
        rendered = json.dumps(answer.model_dump(mode="json"))
        leaks = [m for m in item.get("must_not_contain") or [] if m.lower() in rendered.lower()]
        if leaks:
            report.identifier_leaks += len(leaks)
            problems.append("identifier repeated")
        if problems:
            report.failures.append({"id": item.get("id"), "kind": answer.kind.value, "problems": problems})
    if retrieval_n:
        report.recall_at_5 = round(recall_hits / retrieval_n, 3)
        report.mrr = round(reciprocal / retrieval_n, 3)
    report.must_contain = round(contain_ok / contain_n, 3) if contain_n else 0.0
    report.decline_accuracy = round(decline_ok / len(questions), 3) if questions else 0.0
    report.refusals_declined = f"{refusals_declined}/{refusals}"
    report.pii_warned = f"{pii_warned}/{pii_expected}"
    report.latency_p50_ms = round(statistics.median(latencies), 1) if latencies else 0.0
    report.latency_p95_ms = round(percentile(latencies, 0.95), 1)
    if stats is not None:
        after = stats.snapshot()
        report.llm_outcomes = {k: v - before[0].get(k, 0) for k, v in after[0].items() if v - before[0].get(k, 0)}
        report.llm_sentences_dropped = {k: v - before[1].get(k, 0) for k, v in after[1].items()
                                        if v - before[1].get(k, 0)}
    return report


ROWS = [
    ("recall@5", "recall_at_5"),
    ("MRR", "mrr"),
    ("must-contain", "must_contain"),
    ("decline accuracy", "decline_accuracy"),
    ("refusals declined", "refusals_declined"),
    ("answerable declined", "answerable_declined"),
    ("identifiers warned", "pii_warned"),
    ("identifier false alarms", "pii_false_alarms"),
    ("identifier leaks", "identifier_leaks"),
    ("latency p50 ms", "latency_p50_ms"),
    ("latency p95 ms", "latency_p95_ms"),
]


LLM_ROWS = [
    ("LLM answers used / fallbacks", "llm_outcomes"),
    ("LLM sentences dropped", "llm_sentences_dropped"),
]


def as_json(reports: list[ModeReport]) -> dict:
    return {r.mode: asdict(r) for r in reports}
