"""The review store and everything the support team does with it.

`ReviewService.from_settings(settings, index=None)` opens the database at `settings.sqlalchemy_url`
(SQLite in the data dir by default, PostgreSQL through DATABASE_URL), brings the schema to the newest
Alembic revision once per process (under a PostgreSQL advisory lock / a file lock for SQLite, so
replicas starting together migrate once), and offers:

- `claim(key)`: cross-process, cross-replica event deduplication (UNIQUE key insert);
- the answer record (`record_answer`, `get_answer`, `set_answer_message_ts`);
- feedback (one vote per user per answer, changeable, optional comment);
- review items (open → approved / corrected / dismissed);
- verified answers (SQL is the source of truth; each is indexed in Chroma at once via `Index`);
- `flag_stale_verified(changed_doc_ids)` for ingest; `claim_stale_card`, `stale_doc_ids`, `claim_review_card` and
  `release_review_card` for the Slack layer;
- `is_reviewer(user_id, client)`;
- reporting for `gpbot review`: list, export, gaps, stats, purge.

Everything written is redacted again (`bot.review.redaction.redact`), whatever the caller did.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import statistics
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import Engine, create_engine, delete, event, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.review.models import AnswerRecord, DedupeKey, Feedback, ReviewItem, VerifiedRecord, new_id, utcnow
from bot.review.redaction import redact
from bot.settings import Settings
from bot.types import Answer, Citation, VerifiedAnswer

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ADVISORY_LOCK_KEY = 0x6770_626F_7472_7631 & 0x7FFF_FFFF_FFFF_FFFF  # "gpbotrv1"
DEDUPE_TTL = dt.timedelta(days=1)
REVIEW_REASONS = ("thumbs_down", "not_covered", "escalated", "stale_verified", "source_changed")
RESOLVED_STATUSES = ("approved", "corrected", "dismissed")
VERIFIED_STATUSES = ("active", "needs_review", "retired")
USERGROUP_CACHE_SECONDS = 300.0


class ReviewError(Exception):
    """A review action that cannot be done (unknown id, wrong state)."""


class AlreadyResolved(ReviewError):
    def __init__(self, item: ReviewItem):
        super().__init__(f"review item {item.id} is already {item.status}")
        self.item = item


# --------------------------------------------------------------------------------------------
# Engine and migrations
# --------------------------------------------------------------------------------------------
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def _is_memory_sqlite(url) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str) -> Engine:
    from sqlalchemy.engine import make_url

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


# --------------------------------------------------------------------------------------------
# Conversions
# --------------------------------------------------------------------------------------------
def _as_citation(value: Citation | dict) -> Citation:
    return value if isinstance(value, Citation) else Citation.model_validate(value)


def verified_from_record(rec: VerifiedRecord) -> VerifiedAnswer:
    return VerifiedAnswer(
        verified_id=rec.id,
        question=rec.question,
        answer=rec.answer,
        author=rec.author,
        created=rec.created_at,
        citations=[Citation.model_validate(c) for c in rec.citations or []],
        cited_doc_ids=list(rec.cited_doc_ids or []),
        cited_doc_hashes=dict(rec.cited_doc_hashes or {}),
        status=rec.status,
    )


def answer_to_dict(rec: AnswerRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "created_at": rec.created_at.isoformat(timespec="seconds"),
        "team_id": rec.team_id,
        "channel_id": rec.channel_id,
        "thread_ts": rec.thread_ts,
        "message_ts": rec.message_ts,
        "user_id": rec.user_id,
        "question": rec.question,
        "answer": rec.answer_text,
        "kind": rec.kind,
        "confidence": rec.confidence,
        "chunk_ids": list(rec.chunk_ids or []),
        "source_urls": list(rec.source_urls or []),
        "answerer": rec.answerer,
        "latency_ms": rec.latency_ms,
        "pii_warning": rec.pii_warning,
        "verified_id": rec.verified_id,
    }


def item_to_dict(item: ReviewItem, answer: AnswerRecord | None = None, verified: VerifiedRecord | None = None) -> dict:
    out = {
        "id": item.id,
        "reason": item.reason,
        "status": item.status,
        "created_at": item.created_at.isoformat(timespec="seconds"),
        "answer_id": item.answer_id,
        "verified_id": item.verified_id,
        "opened_by": item.opened_by,
        "card_channel": item.card_channel,
        "card_ts": item.card_ts,
        "reviewer": item.reviewer,
        "resolved_at": item.resolved_at.isoformat(timespec="seconds") if item.resolved_at else None,
        "note": item.note,
        "question": None,
        "answer": None,
    }
    if answer is not None:
        out["question"], out["answer"] = answer.question, answer.answer_text
    elif verified is not None:
        out["question"], out["answer"] = verified.question, verified.answer
    return out


def _parse_since(since: dt.date | dt.datetime | str | None) -> dt.datetime | None:
    if since is None or since == "":
        return None
    if isinstance(since, str):
        since = dt.datetime.fromisoformat(since)
    if isinstance(since, dt.datetime):
        return since if since.tzinfo else since.replace(tzinfo=dt.timezone.utc)
    return dt.datetime(since.year, since.month, since.day, tzinfo=dt.timezone.utc)


def iso_week(when: dt.datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


# --------------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------------
class ReviewService:
    """The review store. Thread-safe: every method uses its own short session."""

    def __init__(self, engine: Engine, settings: Settings | None = None, index=None, *, run_migrations: bool = True):
        self.engine = engine
        self.settings = settings
        self.index = index  # bot.index.Index, or None (then verified answers are stored but not indexed)
        if run_migrations:
            migrate(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._last_dedupe_purge = 0.0
        self._usergroup_cache: tuple[float, frozenset[str]] | None = None
        self._usergroup_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, index=None) -> "ReviewService":
        return cls(make_engine(settings.sqlalchemy_url), settings, index)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            with session.begin():
                yield session

    # ---------------------------------------------------------------- redaction
    def _public_numbers(self) -> frozenset[str]:
        """The help-line numbers the guidance quotes (the index's allow-list); none without an index."""
        if self.index is None:
            return frozenset()
        try:
            return frozenset(self.index.public_numbers)
        except Exception as exc:  # fail safe: redact every number rather than fail the write
            log.warning("help-line numbers unavailable (%s); redacting every phone number", type(exc).__name__)
            return frozenset()

    def _redact(self, text: str | None) -> str | None:
        """`redact` with the guidance's help-line numbers kept (the bot's answers quote them)."""
        return redact(text, self._public_numbers())

    # ---------------------------------------------------------------- dedupe
    def claim(self, key: str) -> bool:
        """Record `key` (an event_id, or channel:ts); True the first time anywhere, False afterwards."""
        key = key[:255]
        dialect = self.engine.dialect.name
        now = utcnow()
        if dialect in ("postgresql", "sqlite"):
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            table = DedupeKey.__table__
            stmt = (
                insert(table)
                .values(key=key, created_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(table.c.key)  # rowcount is -1 for this statement under psycopg 3
            )
            with self.session() as s:
                claimed = s.connection().execute(stmt).scalar() is not None
        else:
            try:
                with self.session() as s:
                    s.add(DedupeKey(key=key, created_at=now))
                claimed = True
            except IntegrityError:
                claimed = False
        if time.monotonic() - self._last_dedupe_purge > 3600:
            self._last_dedupe_purge = time.monotonic()
            try:
                self.purge_dedupe_keys()
            except Exception as exc:  # purging is housekeeping; never fail a claim on it
                log.warning("purging old dedupe keys failed: %s", exc)
        return claimed

    def release(self, key: str) -> None:
        """Forget a claim whose work failed, so that a retry can claim it again."""
        with self.session() as s:
            s.execute(delete(DedupeKey).where(DedupeKey.key == key[:255]))

    def holds_key(self, key: str) -> bool:
        """True while `key` is claimed (until the dedupe TTL purges it)."""
        with self.session() as s:
            return s.get(DedupeKey, key[:255]) is not None

    def purge_dedupe_keys(self, older_than: dt.timedelta = DEDUPE_TTL) -> int:
        with self.session() as s:
            return s.execute(delete(DedupeKey).where(DedupeKey.created_at < utcnow() - older_than)).rowcount

    # ---------------------------------------------------------------- answers
    def record_answer(
        self,
        answer: Answer,
        *,
        team_id: str | None,
        channel_id: str | None,
        thread_ts: str | None,
        user_id: str | None,
        latency_ms: float | None,
        message_ts: str | None = None,
    ) -> str:
        kind = answer.kind.value if hasattr(answer.kind, "value") else str(answer.kind)
        citations = [c.model_dump() for c in answer.citations] or [c.model_dump() for c in answer.closest]
        rec = AnswerRecord(
            id=new_id(),
            created_at=utcnow(),
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            message_ts=message_ts,
            user_id=user_id,
            question=self._redact(answer.question) or "",
            answer_text=self._redact(answer.text) or "",
            kind=kind,
            confidence=float(answer.confidence or 0.0),
            chunk_ids=list(answer.chunk_ids),
            source_urls=list(answer.source_urls) or list(dict.fromkeys(c.url for c in answer.closest if c.url)),
            citations=citations,
            answerer=answer.answerer,
            latency_ms=latency_ms,
            pii_warning=bool(answer.pii_warning),
            verified_id=answer.verified.verified_id if answer.verified else None,
        )
        with self.session() as s:
            s.add(rec)
        return rec.id

    def get_answer(self, answer_id: str) -> AnswerRecord | None:
        with self.session() as s:
            return s.get(AnswerRecord, answer_id)

    def set_answer_message_ts(self, answer_id: str, ts: str) -> None:
        with self.session() as s:
            s.execute(update(AnswerRecord).where(AnswerRecord.id == answer_id).values(message_ts=ts))

    # ---------------------------------------------------------------- feedback
    def record_feedback(self, answer_id: str, user_id: str, vote: str, comment: str | None = None) -> Feedback:
        """One vote per user per answer; a second click changes it. Returns the stored row."""
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        comment = self._redact(comment.strip()) if comment and comment.strip() else None
        for attempt in range(3):
            try:
                with self.session() as s:
                    if s.get(AnswerRecord, answer_id) is None:
                        raise ReviewError(f"no answer {answer_id}")
                    row = s.scalar(select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id))
                    if row is None:
                        row = Feedback(answer_id=answer_id, user_id=user_id, vote=vote, comment=comment)
                        s.add(row)
                    else:
                        row.vote = vote
                        row.updated_at = utcnow()
                        if comment is not None:
                            row.comment = comment
                    s.flush()
                return row
            except IntegrityError:  # two clicks racing: the other insert won; update it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def add_feedback_comment(self, answer_id: str, user_id: str, comment: str) -> Feedback | None:
        """Add the "what was wrong?" text to the user's vote (appended when there is one already)."""
        comment = self._redact((comment or "").strip())
        if not comment:
            return None
        with self.session() as s:
            row = s.scalar(select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id))
            if row is None:
                if s.get(AnswerRecord, answer_id) is None:
                    return None
                row = Feedback(answer_id=answer_id, user_id=user_id, vote="down", comment=comment)
                s.add(row)
            else:
                row.comment = f"{row.comment}\n{comment}" if row.comment else comment
                row.updated_at = utcnow()
            s.flush()
            return row

    def get_feedback(self, answer_id: str) -> list[Feedback]:
        with self.session() as s:
            return list(s.scalars(select(Feedback).where(Feedback.answer_id == answer_id).order_by(Feedback.id)))

    def feedback_counts(self, answer_id: str) -> dict[str, int]:
        counts = {"up": 0, "down": 0}
        for row in self.get_feedback(answer_id):
            counts[row.vote] = counts.get(row.vote, 0) + 1
        return counts

    # ---------------------------------------------------------------- review items
    def open_review(
        self,
        answer_id: str | None,
        reason: str,
        card_channel: str | None = None,
        card_ts: str | None = None,
        *,
        opened_by: str | None = None,
        verified_id: str | None = None,
    ) -> ReviewItem:
        """Open a review item, or return the open one this answer already has (one card per answer)."""
        if reason not in REVIEW_REASONS:
            raise ValueError(f"unknown review reason {reason!r}")
        with self.session() as s:
            if answer_id is not None:
                if s.get(AnswerRecord, answer_id) is None:
                    raise ReviewError(f"no answer {answer_id}")
                existing = s.scalar(
                    select(ReviewItem)
                    .where(ReviewItem.answer_id == answer_id, ReviewItem.status == "open")
                    .order_by(ReviewItem.created_at)
                    .limit(1)
                )
                if existing is not None:
                    return existing
            elif verified_id is not None:
                existing = s.scalar(
                    select(ReviewItem)
                    .where(ReviewItem.verified_id == verified_id, ReviewItem.status == "open",
                           ReviewItem.reason == reason)
                    .limit(1)
                )
                if existing is not None:
                    return existing
            item = ReviewItem(
                id=new_id(),
                answer_id=answer_id,
                verified_id=verified_id,
                reason=reason,
                status="open",
                created_at=utcnow(),
                opened_by=opened_by,
                card_channel=card_channel,
                card_ts=card_ts,
            )
            s.add(item)
            return item

    def open_source_review(self, doc_id: str, change: dict) -> ReviewItem:
        """A review item for a corpus document whose upstream page changed, moved or disappeared; `change`
        (JSON) is kept in the item's note. A document has at most one open item: a new change updates it."""
        note = json.dumps({"doc_id": doc_id, **change}, ensure_ascii=False)
        with self.session() as s:
            for item in s.scalars(select(ReviewItem).where(ReviewItem.reason == "source_changed",
                                                           ReviewItem.status == "open")):
                try:
                    same = json.loads(item.note or "{}").get("doc_id") == doc_id
                except ValueError:
                    same = False
                if same:
                    item.note = note
                    return item
            item = ReviewItem(id=new_id(), reason="source_changed", status="open", created_at=utcnow(), note=note)
            s.add(item)
            return item

    def set_review_card(self, item_id: str, card_channel: str, card_ts: str) -> None:
        with self.session() as s:
            s.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(card_channel=card_channel, card_ts=card_ts))

    def claim_review_card(self, item_id: str) -> bool:
        """True for the one caller that should post this item's card (it has none yet)."""
        with self.session() as s:
            return (
                s.execute(
                    update(ReviewItem)
                    .where(ReviewItem.id == item_id, ReviewItem.card_ts.is_(None), ReviewItem.card_channel.is_(None))
                    .values(card_channel="(posting)")
                ).rowcount
                == 1
            )

    def release_review_card(self, item_id: str) -> None:
        """Forget the item's card (posting it failed), so a later event claims and posts it again."""
        with self.session() as s:
            s.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(card_channel=None, card_ts=None))

    def get_review(self, item_id: str) -> ReviewItem | None:
        with self.session() as s:
            return s.get(ReviewItem, item_id)

    def resolve_review(
        self,
        item_id: str,
        status: str,
        reviewer: str,
        note: str | None = None,
        *,
        corrected_text: str | None = None,
        verified_id: str | None = None,
    ) -> ReviewItem:
        """Close an open item, atomically: exactly one reviewer wins; a second gets AlreadyResolved."""
        if status not in RESOLVED_STATUSES:
            raise ValueError(f"status must be one of {RESOLVED_STATUSES}")
        values: dict[str, Any] = {"status": status, "reviewer": reviewer, "resolved_at": utcnow()}
        if note is not None:  # a source_changed item's note describes the change: resolving keeps it
            values["note"] = self._redact(note)
        if corrected_text is not None:
            values["corrected_text"] = self._redact(corrected_text)
        if verified_id is not None:
            values["verified_id"] = verified_id
        with self.session() as s:
            changed = s.execute(
                update(ReviewItem).where(ReviewItem.id == item_id, ReviewItem.status == "open").values(**values)
            ).rowcount
        item = self.get_review(item_id)
        if item is None:
            raise ReviewError(f"no review item {item_id}")
        if not changed:
            raise AlreadyResolved(item)
        return item

    def reopen_review(self, item_id: str) -> None:
        """Undo a resolve whose follow-up failed (e.g. the verified answer could not be written)."""
        with self.session() as s:
            s.execute(
                update(ReviewItem)
                .where(ReviewItem.id == item_id)
                .values(status="open", reviewer=None, resolved_at=None, corrected_text=None)
            )

    def set_review_verified(self, item_id: str, verified_id: str) -> None:
        with self.session() as s:
            s.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(verified_id=verified_id))

    def list_reviews(
        self, status: str | None = None, reason: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        with self.session() as s:
            query = select(ReviewItem).order_by(ReviewItem.created_at.desc())
            if status:
                query = query.where(ReviewItem.status == status)
            if reason:
                query = query.where(ReviewItem.reason == reason)
            if limit:
                query = query.limit(limit)
            items = list(s.scalars(query))
            answers = {
                a.id: a
                for a in s.scalars(select(AnswerRecord).where(AnswerRecord.id.in_({i.answer_id for i in items if i.answer_id})))
            }
            verified = {
                v.id: v
                for v in s.scalars(select(VerifiedRecord).where(VerifiedRecord.id.in_({i.verified_id for i in items if i.verified_id})))
            }
            return [item_to_dict(i, answers.get(i.answer_id), verified.get(i.verified_id)) for i in items]

    # ---------------------------------------------------------------- verified answers
    def _doc_hashes(self, citations: Sequence[Citation]) -> dict[str, str]:
        hashes: dict[str, str] = {}
        if self.index is None or not citations:
            return hashes
        try:
            for chunk in self.index.get_chunks([c.chunk_id for c in citations if c.chunk_id]):
                if chunk.content_hash:
                    hashes[chunk.doc_id] = chunk.content_hash
        except Exception as exc:
            log.warning("could not read content hashes for a verified answer: %s", exc)
        return hashes

    def _index_verified(self, verified: VerifiedAnswer) -> None:
        if self.index is None:
            log.warning("verified answer %s stored but not indexed (no index attached)", verified.verified_id)
            return
        self.index.upsert_verified(verified)

    def _index_put(self, verified: VerifiedAnswer) -> None:
        """Write the SQL record into the index, reusing the stored question vector (no re-embedding)."""
        if self.index is None:
            return
        vector = None
        try:
            got = self.index.verified.get(ids=[verified.verified_id], include=["embeddings"])
            if got["ids"] and got["embeddings"] is not None and len(got["embeddings"]):
                import numpy as np

                vector = np.asarray(got["embeddings"][0], dtype=np.float32)
        except Exception as exc:  # an index without our collection API: just embed again
            log.debug("could not reuse the verified question vector: %s", exc)
        self.index.upsert_verified(verified, vector)

    def create_verified(
        self,
        question: str,
        answer_text: str,
        citations: Iterable[Citation | dict],
        author: str,
        source_answer_id: str | None = None,
        *,
        replaces: str | None = None,
    ) -> VerifiedAnswer:
        """Store a verified answer and index it at once (no restart). `replaces` retires an older one."""
        cites = [_as_citation(c) for c in citations]
        doc_ids = list(dict.fromkeys(c.doc_id for c in cites if c.doc_id))
        hashes = self._doc_hashes(cites)
        rec = VerifiedRecord(
            id=new_id(),
            question=self._redact(question.strip()) or "",
            answer=self._redact(answer_text.strip()) or "",
            citations=[c.model_dump() for c in cites],
            cited_doc_ids=doc_ids,
            cited_doc_hashes={d: hashes[d] for d in doc_ids if d in hashes},
            author=author,
            created_at=utcnow(),
            updated_at=utcnow(),
            status="active",
            source_answer_id=source_answer_id,
            stale_doc_ids=[],
            stale_card_due=False,
        )
        if not rec.question or not rec.answer:
            raise ReviewError("a verified answer needs a question and an answer")
        with self.session() as s:
            s.add(rec)
        verified = verified_from_record(rec)
        try:
            self._index_verified(verified)
        except Exception:
            with self.session() as s:  # keep SQL and the index in step: no half-created verified answer
                s.execute(delete(VerifiedRecord).where(VerifiedRecord.id == rec.id))
            raise
        if replaces:
            self.retire_verified(replaces)
        return verified

    def _get_verified_record(self, s: Session, verified_id: str) -> VerifiedRecord:
        rec = s.get(VerifiedRecord, verified_id)
        if rec is None:  # allow a unique prefix (CLI convenience)
            matches = list(s.scalars(select(VerifiedRecord).where(VerifiedRecord.id.startswith(verified_id)).limit(2)))
            if len(matches) == 1 and len(verified_id) >= 4:
                rec = matches[0]
        if rec is None:
            raise ReviewError(f"no verified answer {verified_id}")
        return rec

    def get_verified(self, verified_id: str) -> VerifiedAnswer | None:
        with self.session() as s:
            try:
                return verified_from_record(self._get_verified_record(s, verified_id))
            except ReviewError:
                return None

    def _set_verified_status(self, verified_id: str, status: str, **extra) -> VerifiedAnswer:
        with self.session() as s:
            rec = self._get_verified_record(s, verified_id)
            rec.status = status
            rec.updated_at = utcnow()
            for name, value in extra.items():
                setattr(rec, name, value)
            s.flush()
        verified = verified_from_record(rec)
        self._index_put(verified)
        return verified

    def retire_verified(self, verified_id: str) -> VerifiedAnswer:
        return self._set_verified_status(verified_id, "retired", stale_card_due=False)

    def reinstate_verified(self, verified_id: str) -> VerifiedAnswer:
        """Active again, re-approved against the documents as they are now (hashes refreshed)."""
        with self.session() as s:
            rec = self._get_verified_record(s, verified_id)
            cites = [Citation.model_validate(c) for c in rec.citations or []]
        hashes = self._doc_hashes(cites)
        extra: dict[str, Any] = {"stale_doc_ids": [], "stale_since": None, "stale_card_due": False}
        if hashes:
            extra["cited_doc_hashes"] = {d: hashes[d] for d in rec.cited_doc_ids or [] if d in hashes}
        return self._set_verified_status(rec.id, "active", **extra)

    def list_verified(self, status: str | None = None) -> list[VerifiedAnswer]:
        with self.session() as s:
            query = select(VerifiedRecord).order_by(VerifiedRecord.created_at)
            if status:
                query = query.where(VerifiedRecord.status == status)
            return [verified_from_record(r) for r in s.scalars(query)]

    def flag_stale_verified(self, changed_doc_ids: Iterable[str]) -> list[VerifiedAnswer]:
        """Ingest calls this with the doc ids it changed or removed. Active verified answers citing any of
        them become needs_review (SQL and index: no longer preferred), a review item is opened for each,
        and a stale card is marked due (posted by the running bot: `bot.slack.listeners.review`)."""
        changed = set(changed_doc_ids)
        if not changed:
            return []
        flagged: list[VerifiedAnswer] = []
        with self.session() as s:
            for rec in s.scalars(select(VerifiedRecord).where(VerifiedRecord.status == "active")):
                hit = sorted(changed.intersection(rec.cited_doc_ids or []))
                if not hit:
                    continue
                rec.status = "needs_review"
                rec.stale_doc_ids = hit
                rec.stale_since = utcnow()
                rec.stale_card_due = True
                rec.updated_at = utcnow()
                flagged.append(verified_from_record(rec))
        for verified in flagged:
            try:
                self._index_put(verified)
            except Exception as exc:  # SQL says needs_review; `gpbot review verified reindex` repairs
                log.error("could not mark verified answer %s needs_review in the index: %s", verified.verified_id, exc)
            self.open_review(None, "stale_verified", verified_id=verified.verified_id)
        if flagged:
            log.info("%d verified answer(s) now need review: their sources changed", len(flagged))
        return flagged

    def due_stale_cards(self) -> list[tuple[VerifiedAnswer, list[str]]]:
        """Verified answers whose stale card has not been posted yet (cheap: an indexed boolean)."""
        with self.session() as s:
            recs = list(s.scalars(select(VerifiedRecord).where(VerifiedRecord.stale_card_due.is_(True))))
            return [(verified_from_record(r), list(r.stale_doc_ids or [])) for r in recs]

    def claim_stale_card(self, verified_id: str) -> bool:
        """True for exactly one caller (across replicas): that one posts the card."""
        with self.session() as s:
            return (
                s.execute(
                    update(VerifiedRecord)
                    .where(VerifiedRecord.id == verified_id, VerifiedRecord.stale_card_due.is_(True))
                    .values(stale_card_due=False)
                ).rowcount
                == 1
            )

    def stale_doc_ids(self, verified_id: str) -> list[str]:
        """The cited documents whose change made this verified answer need review ([] when none, or unknown)."""
        with self.session() as s:
            rec = s.get(VerifiedRecord, verified_id)
            return list(rec.stale_doc_ids or []) if rec is not None else []

    def reindex_verified(self) -> int:
        """Write every verified answer from SQL into the index again (after the index was rebuilt)."""
        if self.index is None:
            raise ReviewError("no index attached")
        records = self.list_verified()
        for verified in records:
            self._index_put(verified)
        return len(records)

    # ---------------------------------------------------------------- reviewers
    def is_reviewer(self, user_id: str, client=None) -> bool:
        if not user_id:
            return False
        settings = self.settings
        if settings is None:
            return False
        if user_id in settings.reviewer_ids:
            return True
        group = settings.reviewer_usergroup
        if not group or client is None:
            return False
        members = self._usergroup_members(group, client)
        return user_id in members

    def _usergroup_members(self, group: str, client) -> frozenset[str]:
        with self._usergroup_lock:
            cached = self._usergroup_cache
            if cached is not None and time.monotonic() - cached[0] < USERGROUP_CACHE_SECONDS:
                return cached[1]
            try:
                resp = client.usergroups_users_list(usergroup=group)
                members = frozenset(resp.get("users") or [])
            except Exception as exc:
                log.warning("usergroups.users.list failed for the reviewer group: %s", exc)
                return cached[1] if cached is not None else frozenset()
            self._usergroup_cache = (time.monotonic(), members)
            return members

    # ---------------------------------------------------------------- reporting
    def export_answers(self, since: dt.date | dt.datetime | str | None = None) -> Iterator[dict[str, Any]]:
        """Every recorded answer (oldest first) with its votes, comments and review outcome."""
        start = _parse_since(since)
        with self.session() as s:
            query = select(AnswerRecord).order_by(AnswerRecord.created_at)
            if start is not None:
                query = query.where(AnswerRecord.created_at >= start)
            answers = list(s.scalars(query))
            ids = [a.id for a in answers]
            votes: dict[str, dict[str, int]] = defaultdict(lambda: {"up": 0, "down": 0})
            comments: dict[str, list[str]] = defaultdict(list)
            reviews: dict[str, list[str]] = defaultdict(list)
            for chunk_start in range(0, len(ids), 500):
                part = ids[chunk_start : chunk_start + 500]
                for fb in s.scalars(select(Feedback).where(Feedback.answer_id.in_(part))):
                    votes[fb.answer_id][fb.vote] += 1
                    if fb.comment:
                        comments[fb.answer_id].append(fb.comment)
                for item in s.scalars(select(ReviewItem).where(ReviewItem.answer_id.in_(part))):
                    reviews[item.answer_id].append(f"{item.reason}:{item.status}")
        for rec in answers:
            row = answer_to_dict(rec)
            # redacted again on the way out: rows written before the detector learnt a form stay clean too
            row.update(
                question=self._redact(row["question"]),
                answer=self._redact(row["answer"]),
                up=votes[rec.id]["up"] if rec.id in votes else 0,
                down=votes[rec.id]["down"] if rec.id in votes else 0,
                comments=[self._redact(c) for c in comments.get(rec.id, [])],
                reviews=reviews.get(rec.id, []),
            )
            yield row

    def gap_questions(self, since: dt.date | dt.datetime | str | None = None) -> list[dict[str, Any]]:
        """Questions the guidance did not serve: not_covered answers and answers with a 👎."""
        start = _parse_since(since)
        with self.session() as s:
            downvoted = select(Feedback.answer_id).where(Feedback.vote == "down")
            query = select(AnswerRecord).where(
                (AnswerRecord.kind == "not_covered") | AnswerRecord.id.in_(downvoted)
            ).order_by(AnswerRecord.created_at)
            if start is not None:
                query = query.where(AnswerRecord.created_at >= start)
            return [
                {
                    "answer_id": a.id,
                    "question": a.question,
                    "reason": "not_covered" if a.kind == "not_covered" else "thumbs_down",
                    "created_at": a.created_at.isoformat(timespec="seconds"),
                }
                for a in s.scalars(query)
            ]

    def stats(self, since: dt.date | dt.datetime | str | None = None) -> dict[str, Any]:
        start = _parse_since(since)
        with self.session() as s:
            query = select(AnswerRecord.id, AnswerRecord.created_at, AnswerRecord.kind, AnswerRecord.latency_ms)
            if start is not None:
                query = query.where(AnswerRecord.created_at >= start)
            rows = s.execute(query).all()
            vote_rows = s.execute(
                select(Feedback.answer_id, Feedback.vote).join(AnswerRecord, AnswerRecord.id == Feedback.answer_id)
                .where(AnswerRecord.created_at >= start) if start is not None
                else select(Feedback.answer_id, Feedback.vote)
            ).all()
            open_items = s.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "open"))
            verified_active = s.scalar(
                select(func.count()).select_from(VerifiedRecord).where(VerifiedRecord.status == "active")
            )
        week_of = {r.id: iso_week(r.created_at) for r in rows}

        def summarise(items, votes) -> dict[str, Any]:
            latencies = [r.latency_ms for r in items if r.latency_ms is not None]
            up = sum(1 for v in votes if v == "up")
            down = sum(1 for v in votes if v == "down")
            kinds = defaultdict(int)
            for r in items:
                kinds[r.kind] += 1
            return {
                "questions": len(items),
                "answered": kinds["answered"] + kinds["verified"],
                "verified": kinds["verified"],
                "not_covered": kinds["not_covered"],
                "out_of_scope": kinds["out_of_scope"],
                "up": up,
                "down": down,
                "up_rate": round(up / (up + down), 3) if up + down else None,
                "median_latency_ms": round(statistics.median(latencies), 1) if latencies else None,
            }

        by_week_rows: dict[str, list] = defaultdict(list)
        for r in rows:
            by_week_rows[week_of[r.id]].append(r)
        by_week_votes: dict[str, list[str]] = defaultdict(list)
        for answer_id, vote in vote_rows:
            if answer_id in week_of:
                by_week_votes[week_of[answer_id]].append(vote)
        total = summarise(rows, [v for a, v in vote_rows if a in week_of])
        total.update(open_reviews=open_items or 0, verified_active=verified_active or 0)
        return {
            "total": total,
            "by_week": [{"week": w, **summarise(by_week_rows[w], by_week_votes[w])} for w in sorted(by_week_rows)],
        }

    def purge(self, retention_days: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
        """Delete answers (with their feedback and review items) older than RETENTION_DAYS, and dedupe keys
        older than a day. Verified answers are kept: they are the support team's work, not a record."""
        days = retention_days or (self.settings.retention_days if self.settings else 365)
        now = now or utcnow()
        cutoff = now - dt.timedelta(days=days)
        with self.session() as s:
            old = select(AnswerRecord.id).where(AnswerRecord.created_at < cutoff)
            feedback = s.execute(delete(Feedback).where(Feedback.answer_id.in_(old))).rowcount
            items = s.execute(delete(ReviewItem).where(ReviewItem.answer_id.in_(old))).rowcount
            items += s.execute(
                delete(ReviewItem).where(
                    ReviewItem.answer_id.is_(None), ReviewItem.status != "open", ReviewItem.created_at < cutoff
                )
            ).rowcount
            s.execute(
                update(VerifiedRecord).where(VerifiedRecord.source_answer_id.in_(old)).values(source_answer_id=None)
            )
            answers = s.execute(delete(AnswerRecord).where(AnswerRecord.created_at < cutoff)).rowcount
            keys = s.execute(delete(DedupeKey).where(DedupeKey.created_at < now - DEDUPE_TTL)).rowcount
        return {"answers": answers, "feedback": feedback, "review_items": items, "dedupe_keys": keys}
