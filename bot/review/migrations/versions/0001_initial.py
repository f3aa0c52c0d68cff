"""The review store: answers, feedback, review items, verified answers, dedupe keys.

Revision ID: 0001_initial
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.review.models import UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _required(**types: sa.types.TypeEngine) -> list[sa.Column]:
    """NOT NULL columns, in the order given (the order is part of the schema)."""
    return [sa.Column(name, type_, nullable=False) for name, type_ in types.items()]


def _optional(**types: sa.types.TypeEngine) -> list[sa.Column]:
    """Nullable columns, in the order given."""
    return [sa.Column(name, type_) for name, type_ in types.items()]


def upgrade() -> None:
    # Existing databases have run this: the DDL it emits must never change (tests/review/test_review_migrations.py
    # compares it with tests/fixtures/migration_0001_ddl.json). A change of schema is a new revision.
    op.create_table(
        "review_dedupe_keys",
        sa.Column("key", sa.String(255), primary_key=True),
        *_required(created_at=UTCDateTime()),
    )
    op.create_index("ix_review_dedupe_keys_created_at", "review_dedupe_keys", ["created_at"])

    op.create_table(
        "review_answers",
        sa.Column("id", sa.String(32), primary_key=True),
        *_required(created_at=UTCDateTime()),
        *_optional(team_id=sa.String(64), channel_id=sa.String(64), thread_ts=sa.String(32),
                   message_ts=sa.String(32), user_id=sa.String(64)),
        *_required(question=sa.Text(), answer_text=sa.Text(), kind=sa.String(32), confidence=sa.Float(),
                   chunk_ids=sa.JSON(), source_urls=sa.JSON(), citations=sa.JSON(), answerer=sa.String(128)),
        *_optional(latency_ms=sa.Float()),
        *_required(pii_warning=sa.Boolean()),
        *_optional(verified_id=sa.String(32)),
    )
    op.create_index("ix_review_answers_created_at", "review_answers", ["created_at"])
    op.create_index("ix_review_answers_kind", "review_answers", ["kind"])

    op.create_table(
        "review_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "answer_id", sa.String(32), sa.ForeignKey("review_answers.id", ondelete="CASCADE"), nullable=False
        ),
        *_required(user_id=sa.String(64), vote=sa.String(8)),
        *_optional(comment=sa.Text()),
        *_required(created_at=UTCDateTime(), updated_at=UTCDateTime()),
        sa.UniqueConstraint("answer_id", "user_id", name="uq_review_feedback_answer_user"),
    )
    op.create_index("ix_review_feedback_answer_id", "review_feedback", ["answer_id"])

    op.create_table(
        "review_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("answer_id", sa.String(32), sa.ForeignKey("review_answers.id", ondelete="CASCADE")),
        *_optional(verified_id=sa.String(32)),
        *_required(reason=sa.String(32), status=sa.String(16), created_at=UTCDateTime()),
        *_optional(opened_by=sa.String(64), card_channel=sa.String(64), card_ts=sa.String(32),
                   reviewer=sa.String(64), resolved_at=UTCDateTime(), note=sa.Text(), corrected_text=sa.Text()),
    )
    op.create_index("ix_review_items_answer_id", "review_items", ["answer_id"])
    op.create_index("ix_review_items_status_created", "review_items", ["status", "created_at"])

    op.create_table(
        "review_verified",
        sa.Column("id", sa.String(32), primary_key=True),
        *_required(question=sa.Text(), answer=sa.Text(), citations=sa.JSON(), cited_doc_ids=sa.JSON(),
                   cited_doc_hashes=sa.JSON(), author=sa.String(128), created_at=UTCDateTime(),
                   updated_at=UTCDateTime(), status=sa.String(16)),
        *_optional(source_answer_id=sa.String(32)),
        *_required(stale_doc_ids=sa.JSON()),
        *_optional(stale_since=UTCDateTime()),
        *_required(stale_card_due=sa.Boolean()),
    )
    op.create_index("ix_review_verified_status", "review_verified", ["status"])
    op.create_index("ix_review_verified_stale_card_due", "review_verified", ["stale_card_due"])


def downgrade() -> None:
    op.drop_table("review_verified")
    op.drop_table("review_items")
    op.drop_table("review_feedback")
    op.drop_table("review_answers")
    op.drop_table("review_dedupe_keys")
