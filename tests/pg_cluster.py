"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests that need a real server (the review store,
the reliability suite). PostgreSQL refuses to run as root, so as root it runs through `runuser -u postgres`.
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in [f"/usr/local/bin/{name}", *sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)]:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class PostgresServer:
    """initdb + pg_ctl on 127.0.0.1 and a free port; the socket dir and data dir live in one temp dir."""

    def __init__(self):
        self.initdb, self.pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        self.dir = Path(tempfile.mkdtemp(prefix="gpbot-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.databases: list[str] = []

    @property
    def available(self) -> bool:
        return bool(self.initdb and self.pg_ctl)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresServer":
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c max_connections=120 -c full_page_writes=off -c log_statement=ddl")  # DDL in the log: migrations
        self._run(self.pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        except Exception:
            pass

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={database}", autocommit=True,
                               connect_timeout=10)

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return name

    def dump_text(self) -> str:
        """Every row of every table in every database this suite created, as text (for the leak scan)."""
        parts: list[str] = []
        for database in self.databases:
            with self.connect(database) as conn:
                tables = conn.execute(
                    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
                    "'information_schema')").fetchall()
                for schema, table in tables:
                    rows = conn.execute(f'SELECT t::text FROM "{schema}"."{table}" AS t').fetchall()
                    parts.append(f"-- {database}.{schema}.{table}\n" + "\n".join(r[0] for r in rows))
        return "\n".join(parts)

    def checkpoint(self) -> None:
        with self.connect() as conn:
            conn.execute("CHECKPOINT")
