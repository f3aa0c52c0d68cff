"""`gpbot review …` through typer's CliRunner, on a SQLite store in a temp data dir."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bot.review import cli
from bot.review.service import ReviewService
from review_helpers import FakeEmbedder, citation, make_answer, make_settings

runner = CliRunner()


@pytest.fixture
def store(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("GPBOT_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)  # no stray .env
    settings = make_settings(data)
    service = ReviewService.from_settings(settings)

    def ask(question, kind="answered", latency=200.0):
        return service.record_answer(make_answer(question, kind=kind), team_id="T", channel_id="C", thread_ts="1.1",
                                     user_id="U", latency_ms=latency)

    ids = {
        "a1": ask("Can a parent see a 12 year old's record?", latency=100),
        "a2": ask("How do I see my dog's vet record?", kind="not_covered", latency=300),
        "a3": ask("Can I view my pet's veterinary records?", kind="not_covered", latency=500),
        "a4": ask("What does a proxy mean?"),
    }
    service.record_feedback(ids["a1"], "U1", "up")
    service.record_feedback(ids["a4"], "U1", "down", comment="too vague")
    service.open_review(ids["a4"], "thumbs_down")
    service.open_review(ids["a2"], "not_covered")
    yield service, ids
    service.close()


def run(*args):
    result = runner.invoke(cli.review_app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_list(store):
    out = run("list", "--status", "open")
    assert "thumbs_down" in out and "not_covered" in out
    items = json.loads(run("list", "--status", "open", "--json"))
    assert {i["reason"] for i in items} == {"thumbs_down", "not_covered"}
    assert json.loads(run("list", "--status", "corrected", "--json")) == []


def test_verified_commands(store, monkeypatch):
    service, ids = store
    from bot.index import Index

    monkeypatch.setattr(cli, "_service", lambda with_index=False: ReviewService(
        service.engine, service.settings, Index(service.settings, embedder=FakeEmbedder()) if with_index else None))
    v = service.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV1")
    assert v.verified_id[:8] in run("verified")
    assert json.loads(run("verified", "list", "--json"))[0]["status"] == "active"
    stamp = Index(service.settings, embedder=FakeEmbedder()).current_version().get("version")
    assert "Retired" in run("verified", "retire", v.verified_id[:8])
    # the query adapter learns from active answers only: retiring refits it at once (the version stamp moves)
    assert Index(service.settings, embedder=FakeEmbedder()).current_version().get("version") != stamp
    assert json.loads(run("verified", "list", "--status", "retired", "--json"))[0]["verified_id"] == v.verified_id
    assert "Reinstated" in run("verified", "reinstate", v.verified_id)
    assert service.get_verified(v.verified_id).status == "active"
    stamp = Index(service.settings, embedder=FakeEmbedder()).current_version().get("version")
    assert "1 verified" in run("verified", "reindex")
    # the query adapter learns from verified answers: reindex refits it by moving the version stamp
    assert Index(service.settings, embedder=FakeEmbedder()).current_version().get("version") not in (None, "", stamp)
    bad = runner.invoke(cli.review_app, ["verified", "retire", "nope"])
    assert bad.exit_code == 1
    missing = runner.invoke(cli.review_app, ["verified", "retire"])
    assert missing.exit_code == 2


def test_export(store, tmp_path):
    service, ids = store
    lines = run("export", "--format", "jsonl").strip().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == [ids["a1"], ids["a2"], ids["a3"], ids["a4"]]
    assert rows[3]["down"] == 1 and rows[3]["comments"] == ["too vague"]
    table = list(csv.DictReader(io.StringIO(run("export", "--format", "csv"))))
    assert len(table) == 4 and table[0]["question"].startswith("Can a parent") and table[0]["up"] == "1"
    # --since: age one answer, it drops out
    with service.session() as s:
        s.execute(text("UPDATE review_answers SET created_at = :t WHERE id = :i"), {"t": dt.datetime(2020, 1, 1), "i": ids["a1"]})
    since = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    assert len(run("export", "--format", "jsonl", "--since", since).strip().splitlines()) == 3
    out_file = tmp_path / "x.csv"
    run("export", "--format", "csv", "--output", str(out_file))
    assert len(list(csv.DictReader(out_file.open()))) == 4
    assert runner.invoke(cli.review_app, ["export", "--since", "last tuesday"]).exit_code == 2


def test_stats(store):
    data = json.loads(run("stats", "--json"))
    total = data["total"]
    assert total["questions"] == 4 and total["answered"] == 2 and total["not_covered"] == 2
    assert total["up"] == 1 and total["down"] == 1 and total["up_rate"] == 0.5
    assert total["median_latency_ms"] == 250.0 and total["open_reviews"] == 2
    assert data["by_week"][0]["week"].startswith(str(dt.date.today().isocalendar()[0]))
    out = run("stats")
    assert "total" in out and "50%" in out


def test_gaps_groups_similar_questions(store, monkeypatch, shared_embedder):
    """The real embedding model: the two pet-record questions form the largest group."""
    service, ids = store
    monkeypatch.setattr(cli, "_embedder", lambda settings: shared_embedder)
    groups = json.loads(run("gaps", "--json"))
    assert groups[0]["size"] == 2
    assert set(groups[0]["answer_ids"]) == {ids["a2"], ids["a3"]}
    assert groups[0]["reasons"] == {"not_covered": 2}
    assert [g["size"] for g in groups] == [2, 1]
    assert groups[1]["answer_ids"] == [ids["a4"]] and groups[1]["reasons"] == {"thumbs_down": 1}
    assert "Gaps" in run("gaps")


def test_cluster_questions_greedy():
    import numpy as np

    vecs = np.array([[1, 0], [0, 1], [0.99, 0.14], [0.1, 0.99], [0.98, 0.2]], dtype=np.float32)
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    assert cli.cluster_questions(vecs, 0.9) == [[0, 2, 4], [1, 3]]


def test_purge(store):
    service, ids = store
    with service.session() as s:
        s.execute(text("UPDATE review_answers SET created_at = :t WHERE id = :i"), {"t": dt.datetime(2000, 1, 1), "i": ids["a4"]})
    out = run("purge")
    assert "1 answers" in out and "1 votes" in out and "1 review items" in out
    assert service.get_answer(ids["a4"]) is None and service.get_answer(ids["a1"]) is not None
    assert "0 answers" in run("purge", "--days", "30")
