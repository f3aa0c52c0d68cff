"""A stale verified answer's card is due while its open review item has no card: the `stale_card_due` flag,
which repeated the review item's own card claim, is dropped.

Existing rows keep working: a verified answer whose flag was set gets an open `stale_verified` review item if
it had none (the running bot posts that item's card, as it would have posted the flagged one). Downgrading
sets the flag again for every needs-review answer whose open item has no posted card. Both run offline too.

Revision ID: 0002_stale_card_from_item
Revises: 0001_initial
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.review.models import UTCDateTime

revision = "0002_stale_card_from_item"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_verified = sa.table("review_verified", sa.column("id", sa.String(32)), sa.column("status", sa.String(16)),
                     sa.column("stale_card_due", sa.Boolean()), sa.column("stale_since", UTCDateTime()),
                     sa.column("updated_at", UTCDateTime()))
_items = sa.table("review_items", sa.column("id", sa.String(32)), sa.column("verified_id", sa.String(32)),
                  sa.column("reason", sa.String(32)), sa.column("status", sa.String(16)),
                  sa.column("created_at", UTCDateTime()), sa.column("card_ts", sa.String(32)))


def _open_stale_items():
    return sa.select(_items.c.verified_id).where(_items.c.reason == "stale_verified", _items.c.status == "open")


def upgrade() -> None:
    # one statement (it also renders offline, `alembic upgrade --sql`): the new item takes the verified answer's
    # id (unique among items: theirs are fresh uuids) and the time it was flagged
    flagged = (
        sa.select(_verified.c.id, _verified.c.id, sa.literal("stale_verified"), sa.literal("open"),
                  sa.func.coalesce(_verified.c.stale_since, _verified.c.updated_at))
        .where(_verified.c.stale_card_due.is_(True), _verified.c.status == "needs_review",
               _verified.c.id.not_in(_open_stale_items().where(_items.c.verified_id.is_not(None))),
               _verified.c.id.not_in(sa.select(_items.c.id)))
    )
    op.execute(_items.insert().from_select(["id", "verified_id", "reason", "status", "created_at"], flagged))
    # SQLite drops a column in place (3.35 and later) once its index is gone: no table copy, and it renders offline
    op.drop_index("ix_review_verified_stale_card_due", table_name="review_verified")
    op.drop_column("review_verified", "stale_card_due")


def downgrade() -> None:
    op.add_column("review_verified", sa.Column("stale_card_due", sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.create_index("ix_review_verified_stale_card_due", "review_verified", ["stale_card_due"])
    # no card posted: never claimed, or claimed by a post that has not finished (its channel set, no ts yet); a
    # card posted twice after a downgrade is better than one never posted
    uncarded = _open_stale_items().where(_items.c.card_ts.is_(None))
    op.execute(_verified.update()
               .where(_verified.c.status == "needs_review", _verified.c.id.in_(uncarded))
               .values(stale_card_due=True))
