"""`gpbot ingest` output and exit codes; an ingest killed with SIGKILL; ingest into a real `chroma run`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from ingest_helpers import doc_text, ingest_settings, para
from typer.testing import CliRunner

from bot.index import Index
from ingest.chunking import chunk_document
from ingest.cli import ingest_command
from ingest.loaders import discover, load_file
from ingest.pipeline import run_ingest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reliability"))
from reliability_helpers import ChromaServer  # noqa: E402  (the reliability suite's `chroma run` on 127.0.0.1)

pytestmark = pytest.mark.slow
VENV_BIN = Path(sys.executable).parent


def expected_ids(root: Path) -> set[str]:
    return {c.chunk_id for p in discover(root) for c in chunk_document(load_file(p))}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(ingest_command)
    return app


def test_cli_json_last_line_dry_run_and_exit_codes(tmp_path, monkeypatch, ingest_embedder):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "a.md").write_text(doc_text("Alpha guide", {"Redaction": para("redaction", 2)}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GPBOT_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setattr("bot.index.index.load_embedder", lambda *a, **k: ingest_embedder)
    runner = CliRunner()

    result = runner.invoke(_app(), ["--json", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"added": 1, "updated": 0, "unchanged": 0, "deleted": 0, "failed": [], "chunks": 1, "stale": [],
                   "skipped": []}
    assert not (tmp_path / "data" / "chroma").exists() or Index(ingest_settings(tmp_path / "data")).count() == 0

    result = runner.invoke(_app(), ["--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout.strip().splitlines()[-1])["added"] == 1
    assert "1 added" in result.stderr

    (knowledge / "empty.md").write_text("")
    result = runner.invoke(_app(), ["--json"])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    out = json.loads(lines[-1])
    assert out["failed"] == [{"source": "knowledge/empty.md", "reason": "empty document"}]
    assert out["unchanged"] == 1 and out["chunks"] == 1
    assert "knowledge/empty.md: empty document" in result.stderr

    monkeypatch.setenv("CHROMA_PORT", "not-a-port")
    result = runner.invoke(_app(), ["--json"])
    assert result.exit_code == 2 and "CHROMA_PORT" in result.stderr


DRIVER = textwrap.dedent(
    """
    import shutil, sys, time
    from pathlib import Path
    from bot.settings import Settings
    from bot.index import Index
    from ingest.pipeline import run_ingest

    data, corpus, v2 = sys.argv[1:4]
    settings = Settings(_env_file=None, gpbot_data_dir=data, gpbot_knowledge_dir=corpus)
    index = Index(settings)
    run_ingest(settings, [corpus], index=index, progress=False)
    print("BUILT", flush=True)
    shutil.rmtree(corpus)
    shutil.copytree(v2, corpus)
    original = index.upsert_chunks
    def upsert(chunks, embeddings=None):
        original(chunks, embeddings)
        print("UPSERTED", flush=True)
        time.sleep(120)
    index.upsert_chunks = upsert
    run_ingest(settings, [corpus], index=index, progress=False, batch_size=1)
    print("FINISHED", flush=True)
    """
)


def _corpus(root: Path, version: int) -> None:
    root.mkdir(parents=True)
    if version == 1:
        (root / "a.md").write_text(doc_text("Alpha guide", {"Redaction": para("redaction", 4), "Proxy": para("proxy", 4)}))
        (root / "b.md").write_text(doc_text("Beta guide", {"Codes": para("codes", 3)}))
        (root / "c.md").write_text(doc_text("Gamma guide", {"Coercion": para("coercion", 3)}))
    else:  # a changed, b gone, c unchanged, d new
        (root / "a.md").write_text(doc_text("Alpha guide", {"Redaction": para("redaction again", 4)}))
        (root / "c.md").write_text(doc_text("Gamma guide", {"Coercion": para("coercion", 3)}))
        (root / "d.md").write_text(doc_text("Delta guide", {"Switching": para("switching", 3), "Apps": para("apps", 3)}))


def test_sigkill_mid_ingest_then_converges(tmp_path, ingest_embedder):
    corpus, v2 = tmp_path / "corpus", tmp_path / "v2"
    _corpus(corpus, 1)
    _corpus(v2, 2)
    data = tmp_path / "data"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(data), str(corpus), str(v2)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.strip() == "UPSERTED":
                break
        assert lines[-2:] == ["BUILT", "UPSERTED"], lines
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    settings = ingest_settings(data, corpus)
    index = Index(settings, embedder=ingest_embedder)
    # half-done: old and one new chunk side by side, and it still answers, by keyword and by vector
    assert index.count() > 0
    assert index.keyword_search("redaction rule staff check", 3)
    assert index.dense_search(ingest_embedder.embed_query("redaction rule"), 3)

    s = run_ingest(settings, [str(corpus)], index=index, progress=False)
    assert not s.failed
    clean_settings = ingest_settings(tmp_path / "clean", corpus)
    clean = Index(clean_settings, embedder=ingest_embedder)
    run_ingest(clean_settings, [str(corpus)], index=clean, progress=False)
    want = expected_ids(corpus)
    assert set(index.chunk_refs()) == set(clean.chunk_refs()) == want
    assert index.chunk_refs() == clean.chunk_refs()  # the same metadata too
    assert set(index.keyword_ids()) == want
    assert set(Index(settings, embedder=ingest_embedder).keyword_ids()) == want


@pytest.mark.chroma_server
def test_against_chroma_server(tmp_path, counting):
    if not (VENV_BIN / "chroma").exists() and not shutil.which("chroma"):
        pytest.skip("the chroma CLI is not installed")
    server = ChromaServer(tmp_path, "chroma")
    try:
        server.start()
        corpus = tmp_path / "corpus"
        _corpus(corpus, 1)
        settings = ingest_settings(tmp_path / "data", corpus, chroma_host="127.0.0.1", chroma_port=server.port)
        index = Index(settings, embedder=counting)
        s = run_ingest(settings, [str(corpus)], index=index, progress=False)
        assert len(s.added) == 3
        want = expected_ids(corpus)
        assert set(index.chunk_refs()) == set(index.keyword_ids()) == want
        assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally

        shutil.rmtree(corpus)
        _corpus(corpus, 2)
        counting.reset()
        s = run_ingest(settings, [str(corpus)], index=index, progress=False)
        assert (sorted(s.added), s.updated, s.unchanged, s.deleted) == (
            [str(corpus / "d.md")], [str(corpus / "a.md")], [str(corpus / "c.md")], [str(corpus / "b.md")])
        want = expected_ids(corpus)
        fresh = Index(settings, embedder=counting)
        assert set(fresh.chunk_refs()) == set(fresh.keyword_ids()) == want
    finally:
        server.stop()


@pytest.mark.parametrize("flagged", [0, 2])
def test_flagged_verified_answers_leave_the_query_adapter_at_once(monkeypatch, flagged):
    """The adapter learns from active verified answers: the ingest that flags some needs-review (after it fitted
    the adapter) fits it again without them, and only then."""
    import ingest.cli as cli
    import ingest.pipeline as pipeline

    refits = []
    index = SimpleNamespace(refit=lambda: refits.append(1))
    summary = SimpleNamespace(changed_doc_ids=["doc-a"], doc_hashes={"doc-a": "h2"})
    monkeypatch.setattr(pipeline, "run_ingest", lambda *a, **k: summary)
    monkeypatch.setattr(cli, "flag_verified_answers", lambda *a, **k: flagged)
    assert cli.ingest_and_flag(settings=None, index=index) == (summary, flagged)
    assert len(refits) == (1 if flagged else 0)
