"""The review store's database: the engine (SQLite pragmas and write locking) and the Alembic migrations.

`make_engine(url)` opens SQLite (a file in the data dir, or in memory for tests) or PostgreSQL; `migrate(engine)`
brings the schema to the newest revision once per process and URL, under a PostgreSQL advisory lock or a file
lock beside the SQLite database, so replicas starting together migrate once.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ADVISORY_LOCK_KEY = 0x6770_626F_7472_7631 & 0x7FFF_FFFF_FFFF_FFFF  # "gpbotrv1"

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def _is_memory_sqlite(url) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)
    if _is_memory_sqlite(parsed):
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, poolclass=StaticPool, future=True
        )
    else:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, future=True)

    # pysqlite's own transaction handling defers BEGIN and never takes the write lock up front, so two
    # writers can deadlock on lock upgrade. Take it ourselves: BEGIN IMMEDIATE waits (busy timeout) instead.
    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA foreign_keys = ON")
        if not _is_memory_sqlite(parsed):
            cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextlib.contextmanager
def _file_lock(path: Path):
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")
    if connection.in_transaction():
        connection.commit()


def migrate(engine: Engine, *, force: bool = False) -> bool:
    """Bring the schema to head once per process and URL. Returns True when it ran (or checked) now.

    PostgreSQL: a session advisory lock serialises replicas starting together; SQLite: an flock on a
    file beside the database (plus BEGIN IMMEDIATE for every transaction).
    """
    key = engine.url.render_as_string(hide_password=False)
    with _migrate_lock:
        if key in _migrated and not force:
            return False
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
                conn.commit()
                try:
                    _upgrade(conn)
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                    conn.commit()
        elif engine.dialect.name == "sqlite" and not _is_memory_sqlite(engine.url):
            db_path = Path(engine.url.database).expanduser()
            with _file_lock(db_path.with_name(db_path.name + ".migrate.lock")):
                with engine.connect() as conn:
                    _upgrade(conn)
        else:
            with engine.connect() as conn:
                _upgrade(conn)
        _migrated.add(key)
        return True
