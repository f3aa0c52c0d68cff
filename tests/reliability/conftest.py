"""Fixtures for the reliability suite: real servers on 127.0.0.1, started once per session.

- `pg`: a PostgreSQL 15 cluster (initdb/pg_ctl; FAILS loudly when the binaries are missing).
- `slack_cluster_api`: the Slack Web API emulator the replicas post to (tests/slack/slack_emulator.py).
- `cluster`: a `chroma run` server holding the fixture corpus (ingested through CHROMA_HOST), a fresh
  PostgreSQL database, and two `gpbot serve --http` replicas started together on both.
- `artifacts`: every log, data dir and database the suite produces; `test_zz_leak_scan.py` scans them
  all at the very end of the session (this conftest moves that test last).
- A log file capturing the test process's own log records from the first reliability test onwards.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from reliability_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Artifacts,
    ChromaServer,
    PostgresServer,
    clean_env,
    start_replica,
)
from waiting import wait_until
from slack_emulator import SlackEmulator

FIXTURE_CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
REVIEW_CHANNEL = "C0REVIEW"
REVIEWER = "U0REVIEWER"
LEAK_SCAN_TEST = "test_zz_leak_scan.py"
_CHATTY = ("httpx", "httpcore", "chromadb", "bm25s", "urllib3", "sentence_transformers", "werkzeug")


def pytest_collection_modifyitems(session, config, items):
    """The leak scan looks at what every other test left behind: run it after the whole suite."""
    last = [item for item in items if item.nodeid.split("::")[0].endswith(LEAK_SCAN_TEST)]
    if last:
        rest = [item for item in items if item not in last]
        items[:] = rest + last


@pytest.fixture(scope="session")
def rel_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reliability")


@pytest.fixture(scope="session")
def artifacts(rel_root) -> Artifacts:
    return Artifacts()


@pytest.fixture(scope="session", autouse=True)
def captured_log(rel_root, artifacts):
    """The test process's own log records, to a file the leak scan reads: from the first reliability test to
    the end of the session. The handler carries the same scrubbing filter `gpbot serve` installs on every
    root handler (bot.slack.log_scrubbing.install_log_scrubbing), so the file holds what production would write."""
    from bot.slack.log_scrubbing import ScrubFilter

    path = rel_root / "test-process.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter((BOT_TOKEN, SIGNING_SECRET)))
    root = logging.getLogger()
    root.addHandler(handler)
    artifacts.add_file(path)
    yield path
    root.removeHandler(handler)
    handler.close()


@pytest.fixture(autouse=True)
def _info_logging_during_reliability_tests():
    """INFO from the code under test while a reliability test runs (as LOG_LEVEL=INFO does in production);
    the root level is restored afterwards so other suites see the logging they expect."""
    root = logging.getLogger()
    previous = root.level
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    quiet = {name: logging.getLogger(name).level for name in _CHATTY}
    for name in _CHATTY:  # every HTTP request to Chroma is an INFO line
        logging.getLogger(name).setLevel(logging.WARNING)
    yield
    root.setLevel(previous)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session")
def pg(artifacts):
    server = PostgresServer()
    if not server.available:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, /usr/local/bin or "
            "/usr/lib/postgresql/*/bin: the scale-out reliability tests CANNOT RUN without a real PostgreSQL. "
            "Install Debian's postgresql package (.ci/run does).",
            pytrace=False,
        )
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.remove()
        pytest.fail(f"could not start PostgreSQL for the reliability tests: {exc.stderr or exc.stdout}", pytrace=False)
    artifacts.postgres.append(server)
    artifacts.add_file(server.log)
    yield server
    server.stop()
    server.remove()


@pytest.fixture(scope="session")
def slack_cluster_api():
    api = SlackEmulator().start()
    yield api
    api.stop()


def _ingest_into(chroma: ChromaServer, data_dir: Path, embedder, corpus: Path = FIXTURE_CORPUS):
    from bot.index import Index
    from bot.settings import Settings
    from ingest.pipeline import run_ingest

    settings = Settings(_env_file=None, gpbot_data_dir=data_dir, gpbot_knowledge_dir=corpus,
                        chroma_host="127.0.0.1", chroma_port=chroma.port)
    index = Index(settings, embedder=embedder)
    summary = run_ingest(settings, [str(corpus)], index=index, progress=False)
    assert not summary.failed, summary.failed
    assert summary.chunks > 0
    return settings, index, summary


@pytest.fixture(scope="session")
def cluster(rel_root, artifacts, pg, slack_cluster_api, shared_embedder):
    """Two `gpbot serve --http` replicas sharing a Chroma server and a PostgreSQL database."""
    root = rel_root / "cluster"
    root.mkdir()
    chroma = ChromaServer(root, "chroma").start()
    artifacts.add_dir(chroma.path)
    artifacts.add_file(chroma.log)
    replicas = []
    try:
        ingest_dir = root / "ingest-data"
        settings, index, summary = _ingest_into(chroma, ingest_dir, shared_embedder)
        artifacts.add_dir(ingest_dir)
        database = pg.create_database("cluster")
        env = clean_env(
            GPBOT_KNOWLEDGE_DIR=str(FIXTURE_CORPUS), CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma.port),
            DATABASE_URL=pg.url(database), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack_cluster_api.base_url, REVIEW_CHANNEL=REVIEW_CHANNEL, REVIEWER_USER_IDS=REVIEWER,
            LOG_LEVEL="INFO",
        )
        # started together, on a database with no schema yet: migrations must run exactly once
        replicas = [start_replica(name, root, env) for name in ("replica-a", "replica-b")]
        for replica in replicas:
            artifacts.add_file(replica.log)
            artifacts.add_dir(replica.data_dir)
        for replica in replicas:
            wait_until(replica.ready, 180, 0.25, f"{replica.name} to be ready")
        yield SimpleNamespace(api=slack_cluster_api, chroma=chroma, pg=pg, database=database, replicas=replicas,
                              a=replicas[0], b=replicas[1], index=index, settings=settings, env=env, root=root,
                              chunks=summary.chunks)
    finally:
        for replica in replicas:
            replica.stop()
        chroma.stop()


@pytest.fixture
def api(cluster):
    """The cluster's emulator, emptied before the test (faults and records)."""
    cluster.api.reset()
    yield cluster.api
    cluster.api.reset()

