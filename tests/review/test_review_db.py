"""The review database: the migrations create exactly the models, once per process (bot.review.db)."""

from __future__ import annotations

from sqlalchemy import inspect, text

from bot.review.db import make_engine, migrate
from bot.review.models import Base

HEAD = "0002_stale_card_from_item"


def test_migration_creates_exactly_the_models(review_env):
    """The Alembic head and the ORM models agree (no pending autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = review_env.review.engine
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": "review_alembic_version", "compare_type": False})
        diff = [d for d in compare_metadata(ctx, Base.metadata) if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "review_alembic_version")]
        assert diff == []
        assert conn.execute(text("SELECT version_num FROM review_alembic_version")).scalars().all() == [HEAD]
    assert set(inspect(engine).get_table_names()) >= {
        "review_answers", "review_feedback", "review_items", "review_verified", "review_dedupe_keys"
    }


def test_migrate_is_idempotent(db_url):
    engine = make_engine(db_url)
    migrate(engine, force=True)
    migrate(engine, force=True)  # at head: a no-op, no error
    assert migrate(engine) is False  # once per process and URL
    engine.dispose()
