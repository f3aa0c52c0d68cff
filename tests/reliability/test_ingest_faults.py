"""Ingest faults against a real `chroma run` server while the real Assistant keeps answering from it.

The ingest helper's own test (tests/ingest/test_ingest_cli_and_crash.py::test_sigkill_mid_ingest_then_converges)
proves the index converges after a SIGKILL on an embedded Chroma. This extends it to the deployment that
allows a separate ingest process -- a Chroma server -- and to what a user sees: the bot's `Assistant`, on
its own `Index` instance, answers with citations before, DURING (the ingest frozen half-way) and after
the kill, and after the next run, which converges to exactly what a clean run builds.

Also: a document that grows tenfold, a document deleted, and a URL source that starts failing
(500, 404, a timeout) and later recovers.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reliability_helpers import ChromaServer, clean_env

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ingest"))
from ingest_helpers import doc_text, para  # noqa: E402  (the ingest helper's corpus builders)

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]

FIXTURE_CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"

# Runs the real run_ingest in its own process against the Chroma server, and freezes right after its
# first write (an upsert of a few new chunks) so the test can look at, and answer from, a half-done index.
DRIVER = textwrap.dedent(
    """
    import sys, time
    from bot.index import Index
    from bot.settings import load_settings
    from ingest.pipeline import run_ingest

    settings = load_settings()
    index = Index(settings)
    original = index.upsert_chunks
    def upsert(chunks, embeddings=None):
        original(chunks, embeddings)
        print("UPSERTED", len(chunks), flush=True)
        time.sleep(120)
    index.upsert_chunks = upsert
    run_ingest(settings, [sys.argv[1]], index=index, progress=False, batch_size=4)
    print("FINISHED", flush=True)
    """
)

GROWN = "enhanced-review-codes.md"
REMOVED = "dpia.md"


@pytest.fixture(scope="module")
def ingest_chroma(rel_root, artifacts):
    root = rel_root / "ingest-faults"
    root.mkdir()
    server = ChromaServer(root, "chroma").start()
    artifacts.add_dir(server.path)
    artifacts.add_file(server.log)
    yield root, server
    server.stop()


def _settings(data_dir: Path, corpus: Path, port: int | None):
    from bot.settings import Settings

    extra = {"chroma_host": "127.0.0.1", "chroma_port": port} if port else {}
    return Settings(_env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=corpus, **extra)


def _expected(corpus: Path) -> set[str]:
    from ingest.chunking import chunk_document
    from ingest.loaders import discover, load_file

    return {c.chunk_id for p in discover(corpus) for c in chunk_document(load_file(p))}


def _consistent(index) -> dict[str, dict]:
    """Every stored chunk is whole (id, document, hash, source), and the keyword index holds exactly Chroma's ids."""
    refs = index.chunk_refs()
    assert refs, "the index is empty"
    for chunk_id, ref in refs.items():
        assert ref["doc_id"] and ref["content_hash"] and ref["source"], (chunk_id, ref)
    index.ensure_fresh(force=True)
    assert set(index.keyword_ids()) == set(refs), "keyword and vector indexes disagree"
    return refs


def _answers(assistant, question: str, doc_hint: str):
    from bot.types import AnswerKind

    answer = assistant.answer(question)
    assert answer.kind in (AnswerKind.answered, AnswerKind.verified), (question, answer.kind, answer.text[:200])
    assert any(doc_hint in c.doc_id or doc_hint in (c.url or "") for c in answer.citations), \
        (question, [c.doc_id for c in answer.citations])
    return answer


def _grow_tenfold(path: Path) -> None:
    original = path.read_text()
    extra = "".join(
        f"\n## Worked example {i}: the {word} practice\n"
        + para(f"{word} practice enhanced review", 9) + f" The {word} practice added the 104 code in example {i}.\n"
        for i, word in enumerate(["Alder", "Birch", "Cedar", "Damson", "Elder", "Fir", "Gorse", "Hazel", "Ivy",
                                  "Juniper", "Larch", "Maple", "Nettle"], start=1)
    )
    path.write_text(original + extra)
    assert len(path.read_text()) >= 10 * len(original)


def test_sigkill_mid_ingest_on_a_chroma_server_keeps_answering_and_the_next_run_converges(
        ingest_chroma, shared_embedder, tmp_path):
    from bot.index import Index
    from bot.pipeline import build_assistant
    from ingest.pipeline import run_ingest

    root, chroma = ingest_chroma
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = _settings(tmp_path / "ingest-data", corpus, chroma.port)
    first = run_ingest(settings, [str(corpus)], index=Index(settings, embedder=shared_embedder), progress=False)
    assert not first.failed and first.chunks == len(_expected(corpus))

    # the bot: its own settings (own data dir for the keyword cache), same Chroma server
    bot_settings = _settings(tmp_path / "bot-data", corpus, chroma.port)
    assistant = build_assistant(bot_settings, index=Index(bot_settings, embedder=shared_embedder))
    assistant.warm_up()
    _answers(assistant, "What does the 104 code do?", "enhanced-review")
    _answers(assistant, "Do we need a DPIA for online access?", "dpia")

    # the corpus changes: one document grows tenfold, one is deleted, one is new
    _grow_tenfold(corpus / GROWN)
    (corpus / REMOVED).unlink()
    (corpus / "kestrel-audit.md").write_text(doc_text(
        "Kestrel audit", {"What the Kestrel audit checks": para("Kestrel audit", 3)}))
    old_refs = set(assistant.index.chunk_refs())

    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = clean_env(GPBOT_DATA_DIR=str(tmp_path / "ingest-data"), GPBOT_KNOWLEDGE_DIR=str(corpus),
                    CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma.port))
    log_path = root / "driver.log"
    with open(log_path, "ab") as log:
        # the same working directory as this process: document ids are relative to it (see the last test)
        proc = subprocess.Popen([sys.executable, str(driver), str(corpus)], stdout=subprocess.PIPE, stderr=log,
                                text=True, env=env, cwd=os.getcwd(), start_new_session=True)
    try:
        line = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("UPSERTED"):
                break
        assert line.startswith("UPSERTED"), f"the ingest never wrote: {line!r}\n{log_path.read_text()[-2000:]}"

        # DURING: the ingest has written a few new chunks and nothing else; the bot notices and still answers
        during = _consistent(assistant.index)
        assert old_refs < set(during), "the frozen ingest should have added chunks and deleted none"
        _answers(assistant, "What does the 104 code do?", "enhanced-review")
        _answers(assistant, "Do we need a DPIA for online access?", "dpia")  # deletion has not happened yet

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    # AFTER the kill: still consistent, still answering
    _consistent(assistant.index)
    _answers(assistant, "What does the 104 code do?", "enhanced-review")

    # the next run converges to exactly what a clean run builds
    again = run_ingest(settings, [str(corpus)], index=Index(settings, embedder=shared_embedder), progress=False)
    assert not again.failed
    assert again.deleted == [str(corpus / REMOVED)] or any(REMOVED in d for d in again.deleted), again.deleted
    clean_settings = _settings(tmp_path / "clean", corpus, None)  # an embedded Chroma, built from scratch
    clean = Index(clean_settings, embedder=shared_embedder)
    run_ingest(clean_settings, [str(corpus)], index=clean, progress=False)
    converged = _consistent(assistant.index)
    assert set(converged) == _expected(corpus) == set(clean.chunk_refs())
    assert converged == clean.chunk_refs(), "same ids but different metadata than a clean run"
    assert sum(1 for r in converged.values() if GROWN in r["source"]) >= 5, "the grown document is not all there"

    # answering follows the new state: the grown and the new documents answer, the deleted one is gone
    _answers(assistant, "What did the Juniper practice do in the worked example?", "enhanced-review")
    _answers(assistant, "What does the Kestrel audit check?", "kestrel")
    dpia = assistant.answer("Do we need a DPIA for online access?")
    assert not any("dpia" in c.doc_id for c in dpia.citations)

    # and a further run has nothing to do
    idle = run_ingest(settings, [str(corpus)], index=Index(settings, embedder=shared_embedder), progress=False)
    assert not idle.added and not idle.updated and not idle.deleted and idle.chunks_embedded == 0


def _md(title: str, topic: str, n: int = 3) -> str:
    return doc_text(title, {f"About {topic}": para(topic, n)})


def test_a_url_source_that_starts_failing_keeps_its_indexed_version_until_it_recovers(
        ingest_chroma, shared_embedder, tmp_path):
    from pytest_httpserver import HTTPServer
    from werkzeug import Response

    from bot.index import Index
    from bot.pipeline import build_assistant
    from ingest.pipeline import run_ingest

    root, chroma = ingest_chroma
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        url = server.url_for("/guidance/osprey-register.md")
        settings = _settings(tmp_path / "url-data", FIXTURE_CORPUS, chroma.port)
        assistant = build_assistant(settings, index=Index(settings, embedder=shared_embedder))

        def ingest(**kw):
            return run_ingest(settings, [url], index=Index(settings, embedder=shared_embedder), progress=False,
                              http_retries=1, http_backoff=0.05, **kw)

        server.expect_request("/guidance/osprey-register.md").respond_with_data(
            _md("Osprey register", "Osprey register"), content_type="text/markdown")
        s = ingest()
        assert s.added == [url] and not s.failed
        kept = {cid for cid, r in assistant.index.chunk_refs().items() if r["doc_id"] == url}
        assert kept
        _answers(assistant, "What is the Osprey register?", "osprey")

        failures = [
            ("a 500", lambda: server.expect_request("/guidance/osprey-register.md").respond_with_data(
                "boom", status=500), {}),
            ("a 404", lambda: server.expect_request("/guidance/osprey-register.md").respond_with_data(
                "gone", status=404), {}),
            ("a timeout", lambda: server.expect_request("/guidance/osprey-register.md").respond_with_handler(
                lambda request: (time.sleep(1.5), Response("late", content_type="text/markdown"))[1]),
             {"http_timeout": 0.5}),
        ]
        for label, arrange, kw in failures:
            server.clear()
            arrange()
            s = ingest(**kw)
            assert [f.source for f in s.failed] == [url], (label, s.failed)
            assert s.failed[0].reason, label
            assert not s.deleted, f"{label}: a failing source deleted its indexed version"
            now = {cid for cid, r in _consistent(assistant.index).items() if r["doc_id"] == url}
            assert now == kept, label
            _answers(assistant, "What is the Osprey register?", "osprey")

        # it recovers with new content: updated, and the old chunks are gone
        server.clear()
        server.expect_request("/guidance/osprey-register.md").respond_with_data(
            _md("Osprey register", "Osprey register renamed the Heron list", 4), content_type="text/markdown")
        s = ingest()
        assert s.updated == [url] and not s.failed
        refs = _consistent(assistant.index)
        assert {cid for cid, r in refs.items() if r["doc_id"] == url}.isdisjoint(kept)
        _answers(assistant, "What is the Heron list?", "osprey")
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def test_an_ingest_from_another_working_directory_converges(tmp_path, shared_embedder, monkeypatch):
    """The same corpus ingested from two working directories must still be one copy of each document."""
    from bot.index import Index
    from ingest.pipeline import run_ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(_md("Alpha guide", "alpha redaction"))
    settings = _settings(tmp_path / "data", corpus, None)
    monkeypatch.chdir(tmp_path)  # corpus lies inside the cwd: ids are relative ("corpus/a.md")
    run_ingest(settings, [str(corpus)], index=Index(settings, embedder=shared_embedder), progress=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # now outside the cwd: ids are absolute
    run_ingest(settings, [str(corpus)], index=Index(settings, embedder=shared_embedder), progress=False)
    refs = Index(settings, embedder=shared_embedder).chunk_refs()
    assert set(refs) == _expected(corpus), "one copy of each document, whichever directory ingest ran from"