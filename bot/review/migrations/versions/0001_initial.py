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


def upgrade() -> None:
    op.create_table(
        "review_dedupe_keys",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_review_dedupe_keys_created_at", "review_dedupe_keys", ["created_at"])

    op.create_table(
        "review_answers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("team_id", sa.String(64)),
        sa.Column("channel_id", sa.String(64)),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("user_id", sa.String(64)),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("chunk_ids", sa.JSON(), nullable=False),
        sa.Column("source_urls", sa.JSON(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("answerer", sa.String(128), nullable=False),
        sa.Column("latency_ms", sa.Float()),
        sa.Column("pii_warning", sa.Boolean(), nullable=False),
        sa.Column("verified_id", sa.String(32)),
    )
    op.create_index("ix_review_answers_created_at", "review_answers", ["created_at"])
    op.create_index("ix_review_answers_kind", "review_answers", ["kind"])

    op.create_table(
        "review_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "answer_id", sa.String(32), sa.ForeignKey("review_answers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("answer_id", "user_id", name="uq_review_feedback_answer_user"),
    )
    op.create_index("ix_review_feedback_answer_id", "review_feedback", ["answer_id"])

    op.create_table(
        "review_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("answer_id", sa.String(32), sa.ForeignKey("review_answers.id", ondelete="CASCADE")),
        sa.Column("verified_id", sa.String(32)),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(64)),
        sa.Column("card_channel", sa.String(64)),
        sa.Column("card_ts", sa.String(32)),
        sa.Column("reviewer", sa.String(64)),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("note", sa.Text()),
        sa.Column("corrected_text", sa.Text()),
    )
    op.create_index("ix_review_items_answer_id", "review_items", ["answer_id"])
    op.create_index("ix_review_items_status_created", "review_items", ["status", "created_at"])

    op.create_table(
        "review_verified",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("cited_doc_ids", sa.JSON(), nullable=False),
        sa.Column("cited_doc_hashes", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_answer_id", sa.String(32)),
        sa.Column("stale_doc_ids", sa.JSON(), nullable=False),
        sa.Column("stale_since", UTCDateTime()),
        sa.Column("stale_card_due", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_review_verified_status", "review_verified", ["status"])
    op.create_index("ix_review_verified_stale_card_due", "review_verified", ["stale_card_due"])


def downgrade() -> None:
    op.drop_table("review_verified")
    op.drop_table("review_items")
    op.drop_table("review_feedback")
    op.drop_table("review_answers")
    op.drop_table("review_dedupe_keys")
