"""Migrations run once when several processes (replicas) start together on one database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.review.redaction import redact_nhs_numbers

ROOT = Path(__file__).resolve().parents[2]

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
    applied = [line for r in results for line in r["applied"]]
    assert len(applied) == 1, applied  # exactly one process applied 0001; the others found head
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM review_alembic_version")).scalars().all() == ["0001_initial"]
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