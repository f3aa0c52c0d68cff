"""Fixtures for the review store: SQLite, a real PostgreSQL server, an index with a fake embedder.

PostgreSQL: the session starts its own server (initdb + pg_ctl, 127.0.0.1, a free port) from the
binaries on PATH, /usr/local/bin or /usr/lib/postgresql/*/bin. When they are missing the PostgreSQL
tests FAIL with that reason; set GPBOT_ALLOW_NO_POSTGRES=1 to turn the failure into a loud skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from review_helpers import FakeEmbedder, make_settings, seed_chunks



# ------------------------------------------------------------------ PostgreSQL
def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in [f"/usr/local/bin/{name}", *sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)]:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self.dir = Path(tempfile.mkdtemp(prefix="gpbot-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    if not (server.initdb and server.pg_ctl):
        reason = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, /usr/local/bin or "
            "/usr/lib/postgresql/*/bin: the review store's PostgreSQL tests DID NOT RUN. "
            "Install Debian's postgresql package (.ci/run does)."
        )
        if os.environ.get("GPBOT_ALLOW_NO_POSTGRES") == "1":
            pytest.skip(reason)
        pytest.fail(reason + " (Set GPBOT_ALLOW_NO_POSTGRES=1 to skip instead.)")
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.stop()
        pytest.fail(f"could not start PostgreSQL for the tests: {exc.stderr or exc.stdout}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    return postgres_server.create_database()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'review.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.db'}"
    return request.getfixturevalue("postgres_server").create_database()


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def review_env(tmp_path, db_url, fake_embedder):
    """(settings, index, review) on a fresh database and a fresh Chroma dir."""
    from bot.index import Index
    from bot.review.service import ReviewService

    settings = make_settings(
        tmp_path / "data", database_url=db_url, review_channel="CREVIEW", reviewer_user_ids="UREV1, UREV2"
    )
    index = Index(settings, embedder=fake_embedder)
    seed_chunks(index, {"doc-a": "hash-a1", "doc-b": "hash-b1"})
    service = ReviewService.from_settings(settings, index=index)
    yield SimpleNamespace(settings=settings, index=index, review=service, url=db_url)
    service.close()
