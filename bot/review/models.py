"""The review store's tables (SQLAlchemy 2 typed ORM).

The schema itself is created and changed only by the Alembic migrations in `bot/review/migrations/`;
these classes must match them (a test compares the two).

Times are stored as naive UTC and read back as timezone-aware UTC (`UTCDateTime`), so SQLite and
PostgreSQL behave the same.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class DedupeKey(Base):
    """A Slack event id or channel:ts that has been handled; the UNIQUE key makes claim() atomic."""

    __tablename__ = "review_dedupe_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AnswerRecord(Base):
    """One answered question, as the user saw it."""

    __tablename__ = "review_answers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    team_id: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)  # identifiers redacted
    answer_text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    chunk_ids: Mapped[list[Any]] = mapped_column(default=list)
    source_urls: Mapped[list[Any]] = mapped_column(default=list)
    citations: Mapped[list[Any]] = mapped_column(default=list)  # Citation dicts (title, url, …) for cards
    answerer: Mapped[str] = mapped_column(String(128), default="extractive")
    latency_ms: Mapped[float | None] = mapped_column(Float)
    pii_warning: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_id: Mapped[str | None] = mapped_column(String(32))  # when the answer was a verified answer

    feedback: Mapped[list["Feedback"]] = relationship(back_populates="answer", cascade="all, delete-orphan")


class Feedback(Base):
    """One vote per user per answer (changeable), with an optional comment."""

    __tablename__ = "review_feedback"
    __table_args__ = (UniqueConstraint("answer_id", "user_id", name="uq_review_feedback_answer_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("review_answers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    vote: Mapped[str] = mapped_column(String(8))  # up | down
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    answer: Mapped[AnswerRecord] = relationship(back_populates="feedback")


class ReviewItem(Base):
    """Something for the support team to look at: a 👎, a not-covered answer, an escalation, a stale verified answer."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    answer_id: Mapped[str | None] = mapped_column(ForeignKey("review_answers.id", ondelete="CASCADE"), index=True)
    verified_id: Mapped[str | None] = mapped_column(String(32))  # stale items; and the result of a correction
    reason: Mapped[str] = mapped_column(String(32))  # thumbs_down | not_covered | escalated | stale_verified
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | approved | corrected | dismissed
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str | None] = mapped_column(String(64))
    card_channel: Mapped[str | None] = mapped_column(String(64))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    corrected_text: Mapped[str | None] = mapped_column(Text)


class VerifiedRecord(Base):
    """A verified answer: the source of truth (the Chroma collection is its searchable copy)."""

    __tablename__ = "review_verified"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    cited_doc_ids: Mapped[list[Any]] = mapped_column(default=list)
    cited_doc_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active | needs_review | retired
    source_answer_id: Mapped[str | None] = mapped_column(String(32))
    stale_doc_ids: Mapped[list[Any]] = mapped_column(default=list)
    stale_since: Mapped[dt.datetime | None] = mapped_column()
