"""Migrations run once when several processes (replicas) start together on one database."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from bot.review.db import alembic_config
from bot.review.redaction import redact_nhs_numbers

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
HEAD = "0002_stale_card_from_item"

STARTER = textwrap.dedent(
    """
    import json, logging, sys, time
    url, start_at = sys.argv[1], float(sys.argv[2])
    applied = []

    class Catch(logging.Handler):
        def emit(self, record):
            if "Running upgrade" in record.getMessage():
                applied.append(record.getMessage())

    logger = logging.getLogger("alembic.runtime.migration")
    logger.setLevel(logging.INFO)
    logger.addHandler(Catch())
    from bot.review.service import ReviewService, make_engine
    engine = make_engine(url)
    while time.time() < start_at:
        time.sleep(0.001)
    service = ReviewService(engine)
    service.claim("started")
    print(json.dumps({"applied": applied}))
    """
)


def _start_together(url: str, n: int = 3) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["PYTHONPATH"] = str(ROOT)
    start_at = time.time() + 6.0  # all imports done well before; then they race
    procs = [
        subprocess.Popen([sys.executable, "-c", STARTER, url, str(start_at)], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _check(url: str, results: list[dict]) -> None:
    applied = [r["applied"] for r in results if r["applied"]]
    assert len(applied) == 1 and len(applied[0]) == 2, applied  # one process applied 0001 and 0002; the others found head
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM review_alembic_version")).scalars().all() == [HEAD]
        assert conn.execute(text("SELECT count(*) FROM review_dedupe_keys")).scalar() == 1
    engine.dispose()


@pytest.mark.slow
def test_sqlite_replicas_migrate_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    _check(url, _start_together(url))


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_replicas_migrate_once(postgres_url):
    _check(postgres_url, _start_together(postgres_url))


def test_a_database_from_before_0002_keeps_its_due_stale_cards(db_url):
    """0002 drops the verified answers' `stale_card_due` flag: a flagged answer's card is still due (through a
    review item, opened when it had none), a carded one is not; downgrading sets the flag again."""
    import datetime as dt

    import sqlalchemy as sa
    from alembic import command

    from bot.review.db import make_engine, migrate
    from bot.review.service import ReviewService

    engine = make_engine(db_url)
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0001_initial")
        conn.commit()
    now = dt.datetime(2026, 11, 1)
    verified = sa.table("review_verified", *(sa.column(c) for c in (
        "id", "question", "answer", "author", "created_at", "updated_at", "status", "stale_card_due")),
        *(sa.column(c, sa.JSON()) for c in ("citations", "cited_doc_ids", "cited_doc_hashes", "stale_doc_ids")))
    items = sa.table("review_items", *(sa.column(c) for c in (
        "id", "verified_id", "reason", "status", "created_at", "card_channel", "card_ts")))
    with engine.begin() as conn:
        for vid, status, due in (("v-flagged", "needs_review", True), ("v-carded", "needs_review", False),
                                 ("v-active", "active", False)):
            conn.execute(verified.insert().values(
                id=vid, question="q", answer="a", author="U1", created_at=now, updated_at=now, status=status,
                stale_card_due=due, citations=[], cited_doc_ids=["doc-a"], cited_doc_hashes={}, stale_doc_ids=[]))
        conn.execute(items.insert().values(id="i-carded", verified_id="v-carded", reason="stale_verified",
                                           status="open", created_at=now, card_channel="CREVIEW", card_ts="1.1"))
    migrate(engine, force=True)
    review = ReviewService(engine)
    [due] = review.due_stale_cards()
    assert review.get_review(due).verified_id == "v-flagged" and review.get_review(due).status == "open"
    review.close()
    with engine.begin() as conn:  # a card whose post was claimed but never finished (channel set, no ts)
        conn.execute(verified.insert().values(
            id="v-mid-post", question="q", answer="a", author="U1", created_at=now, updated_at=now,
            status="needs_review", citations=[], cited_doc_ids=["doc-a"], cited_doc_hashes={}, stale_doc_ids=[]))
        conn.execute(items.insert().values(id="i-mid-post", verified_id="v-mid-post", reason="stale_verified",
                                           status="open", created_at=now, card_channel="(posting)"))
    with engine.connect() as conn:
        command.downgrade(alembic_config(conn), "0001_initial")
        conn.commit()
        flags = dict(conn.execute(sa.text("SELECT id, stale_card_due FROM review_verified")).all())
    assert {k: bool(v) for k, v in flags.items()} == {"v-flagged": True, "v-carded": False, "v-active": False,
                                                       "v-mid-post": True}
    engine.dispose()


def _offline_ddl(url: str, revision: str) -> list[str]:
    """The SQL alembic would run to reach `revision` on an empty database (offline mode: no server)."""
    from alembic import command

    config = alembic_config()
    config.cmd_opts = SimpleNamespace(x=[f"url={url}"])
    config.output_buffer = io.StringIO()
    command.upgrade(config, revision, sql=True)
    return [line.rstrip() for line in config.output_buffer.getvalue().splitlines()]


@pytest.mark.parametrize("dialect, url", [("sqlite", "sqlite:///never-opened.db"),
                                          ("postgresql", "postgresql+psycopg://gpbot@127.0.0.1/never-opened")])
def test_0001_still_emits_the_ddl_existing_databases_ran(dialect, url):
    """Databases in use have run 0001, so its DDL is frozen: the fixtures were written from 0001 as it stood
    before its Python was restructured (one helper per nullability instead of a line a column). A schema change
    is a new revision, never an edit of this one."""
    recorded = json.loads((FIXTURES / "migration_0001_ddl.json").read_text())[dialect]
    assert "CREATE TABLE review_verified (" in recorded
    assert _offline_ddl(url, "0001_initial") == recorded


@pytest.mark.parametrize("url", ["sqlite:///never-opened.db", "postgresql+psycopg://gpbot@127.0.0.1/never-opened"])
def test_every_revision_renders_offline(url):
    """`alembic upgrade head --sql` works: 0002's data step is one INSERT ... SELECT, its column dropped in place."""
    lines = _offline_ddl(url, "head")
    assert any(line.startswith("INSERT INTO review_items") for line in lines)
    assert "ALTER TABLE review_verified DROP COLUMN stale_card_due;" in lines


def test_own_nhs_number_check():
    assert redact_nhs_numbers("nhs 999 186 0916 and 999-186-0916 or 9991860916.") == (
        "nhs [NHS number removed] and [NHS number removed] or [NHS number removed]."
    )
    assert redact_nhs_numbers("SNOMED 1234567890 and 9991860917") == "SNOMED 1234567890 and 9991860917"


def test_second_pass_catches_a_number_the_guard_missed(monkeypatch):
    """Defence in depth: even if the guard's patterns stopped matching, no valid NHS number is written."""
    from bot.review import redaction

    class Blind:
        def __init__(self, text):
            self.text = text

    monkeypatch.setattr(redaction.identifiers, "redact", lambda text, public_numbers=(): Blind(text))
    assert redaction.redact("patient 9991860916") == "patient [NHS number removed]"
    # help-line numbers are kept by the guard only: the NHS-number pass still runs on them
    assert redaction.redact("patient 9991860916", public_numbers={"9991860916"}) == "patient [NHS number removed]"
    assert redaction.redact("nul\x00byte") == "nul byte"