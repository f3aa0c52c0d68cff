"""`gpbot ask` and `gpbot ask --jsonl` as a person and a script would run them, on a small index."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GPBOT = str(Path(sys.executable).with_name("gpbot"))


@pytest.fixture
def env(shared_index_dir, tmp_path, fixture_corpus_dir):
    data = tmp_path / "data"
    shutil.copytree(shared_index_dir, data)
    return {**os.environ, "GPBOT_DATA_DIR": str(data), "GPBOT_KNOWLEDGE_DIR": str(fixture_corpus_dir),
            "HF_HUB_OFFLINE": "1"}


def run(args, env, stdin=""):
    return subprocess.run([GPBOT, *args], input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def test_ask_jsonl_answers_every_line(env):
    lines = [
        {"id": "q1", "question": "we coded someone 104 by mistake, how do we undo it?"},
        {"id": "q2", "question": "whats the wifi password"},
        {"id": "q3", "question": "Ms Sara Sample, NHS number 999 030 8241 - her partner is forcing her to share her app, what can we do?"},
    ]
    result = run(["ask", "--jsonl"], env, "\n".join(json.dumps(l) for l in lines) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(l) for l in result.stdout.splitlines() if l.strip()]
    assert [r["id"] for r in records] == ["q1", "q2", "q3"]
    expected_keys = {"id", "question", "kind", "text", "citations", "closest", "pii_warning", "safeguarding", "confidence",
                     "latency_ms"}
    assert all(set(r) == expected_keys for r in records)
    assert records[0]["kind"] == "answered" and records[0]["citations"][0]["url"].startswith("https://")
    assert records[1]["kind"] == "out_of_scope"
    assert records[2]["pii_warning"] and records[2]["safeguarding"]
    assert "999 030 8241" not in result.stdout and "9990308241" not in result.stdout
    assert "[NHS number]" in records[2]["question"]
    assert "999 030 8241" not in result.stderr


def test_a_jsonl_decline_lists_the_closest_sources_its_text_points_to():
    from bot import prompts
    from bot.cli import jsonl_record
    from bot.types import Answer, AnswerKind, Citation

    near = Citation(number=1, chunk_id="c1", doc_id="d1", title="Proxy access", url="https://example.org/proxy",
                    publisher="NHS England", published="2023-08-10")
    declined = jsonl_record("n1", Answer(question="q", text=prompts.NOT_COVERED, kind=AnswerKind.not_covered,
                                         closest=[near]))
    assert "listed below" in declined["text"]
    assert declined["closest"] == [{"number": 1, "title": "Proxy access", "url": "https://example.org/proxy",
                                    "published": "2023-08-10", "last_reviewed": ""}]
    answered = jsonl_record("a1", Answer(question="q", text="Yes. [1]", kind=AnswerKind.answered, citations=[near]))
    assert answered["closest"] == [] and answered["citations"][0]["url"] == "https://example.org/proxy"


def test_ask_jsonl_reports_bad_lines_and_keeps_going(env):
    result = run(["ask", "--jsonl"], env, 'not json\n{"id": 2, "question": "how do I hide a letter in docman"}\n')
    assert result.returncode == 1
    records = [json.loads(l) for l in result.stdout.splitlines()]
    assert records[0]["error"] and records[1]["kind"] == "answered"


def test_ask_prints_a_readable_answer(env):
    result = run(["ask", "how do I stop a letter being visible when filing in docman?"], env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Visible to patient (via Online Services)" in result.stdout
    assert "Sources:" in result.stdout and "[1] Hiding letters when filing in Docman" in result.stdout


def test_ask_gives_a_verified_answer_kept_in_the_review_store(env, shared_embedder):
    """The index finds the verified answer's id; `gpbot ask` reads its text from the review store."""
    from bot.index import Index
    from bot.review.service import ReviewService
    from tests.conftest import make_settings

    question = "How do we switch off online access for a patient who asks us to?"
    settings = make_settings(Path(env["GPBOT_DATA_DIR"]))
    store = ReviewService.from_settings(settings, index=Index(settings, embedder=shared_embedder))
    store.create_verified(question, "Switch it off in the clinical system, then tell the patient. [1]", [], "UREV1")
    store.close()
    result = run(["ask", "--jsonl"], env, json.dumps({"id": "v1", "question": question}) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    [record] = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert record["kind"] == "verified" and record["text"].startswith("Switch it off in the clinical system")
