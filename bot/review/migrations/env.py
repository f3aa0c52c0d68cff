"""Alembic environment for the review store.

Run programmatically by `bot.review.service.migrate()` (which passes an open connection in
`config.attributes["connection"]`, holding the migration lock), or by hand:
`alembic -c bot/review/migrations/alembic.ini -x url=sqlite:///data/gpbot.db upgrade head`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from bot.review.models import Base

VERSION_TABLE = "review_alembic_version"

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from bot.settings import load_settings

        url = load_settings().sqlalchemy_url
    return url


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, version_table=VERSION_TABLE, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
