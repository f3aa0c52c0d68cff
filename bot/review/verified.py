"""Verified answers: a reviewer's approved or corrected answer, given again for the same question.

SQL holds each verified answer (the one copy of its text, citations and status); the guidance index holds
only what search needs: its id, the question's vector and its status (`Index.upsert_verified` and friends), and
the cited passage its answer rests on, from which the query adapter learns (`_answer_chunk`; recomputed
whenever an answer becomes active again, and by `reindex_verified`).
A new one is searchable at once; retiring, reinstating and ingest's `flag_stale_verified` change the status
in both. `reindex_verified` embeds every question again into the index (after a rebuild or a new embedder).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot import prompts
from bot.review.models import VerifiedRecord, new_id, utcnow
from bot.review.store import ReviewError, StoreBase
from bot.types import Citation, VerifiedAnswer

if TYPE_CHECKING:
    from bot.index.background_refit import BackgroundRefit

log = logging.getLogger(__name__)

VERIFIED_STATUSES = ("active", "needs_review", "retired")
# An answer rests on a cited passage when they share a run of this many words (normalised: lower case, letters and
# digits): about a clause, which two texts share by chance only when one quotes the other. Set by hand.
SUPPORT_RUN = 8
MIN_PREFIX = 4  # a verified id may be given by a unique prefix this long (CLI convenience)


def word_runs(text: str, n: int = SUPPORT_RUN) -> set[tuple[str, ...]]:
    """Every run of n consecutive words of the text (lower case, letters and digits)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


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


class VerifiedAnswers(StoreBase):
    """Needs `open_review` (bot.review.reviews.ReviewItems) beside it: `ReviewService` has both."""

    # Asked to refit after every change to which answers are active (stored, retired, reinstated, replaced): the
    # query adapter learns from the active ones. The Slack server sets a `BackgroundRefit`
    # (bot.index.background_refit); None (the CLI, which refits in the foreground): nothing is asked.
    adapter_refits: BackgroundRefit | None = None

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
        """Store a verified answer and make it searchable at once (no restart). `replaces` retires an older one."""
        cites = [c if isinstance(c, Citation) else Citation.model_validate(c) for c in citations]
        doc_ids = list(dict.fromkeys(c.doc_id for c in cites if c.doc_id))
        hashes = self._doc_hashes(cites)
        now = utcnow()
        rec = VerifiedRecord(
            id=new_id(), question=self._redact(question.strip()) or "", answer=self._redact(answer_text.strip()) or "",
            citations=[c.model_dump() for c in cites], cited_doc_ids=doc_ids,
            cited_doc_hashes={d: hashes[d] for d in doc_ids if d in hashes}, author=author, created_at=now,
            updated_at=now, status="active", source_answer_id=source_answer_id, stale_doc_ids=[],
        )
        if not rec.question or not rec.answer:
            raise ReviewError(prompts.REVIEW_VERIFIED_NEEDS_TEXT)
        vector = self.index.embedder.embed_query(rec.question) if self.index is not None else None
        retired, was = None, None
        with self.session() as s:  # the new answer and the retirement of the one it replaces: one transaction
            s.add(rec)
            if replaces:
                old = self._get_verified_record(s, replaces)
                was = old.status
                old.status, old.updated_at = "retired", now
                s.flush()
                retired = verified_from_record(old)
        if vector is None:
            log.warning("verified answer %s stored but not searchable (no index attached)", rec.id)
        else:
            try:
                self.index.upsert_verified(rec.id, vector, rec.status, self._answer_chunk(rec.answer, cites))
            except Exception:
                with self.session() as s:  # a reviewer's action fails whole: nothing half-made to retry around
                    s.execute(delete(VerifiedRecord).where(VerifiedRecord.id == rec.id))
                    if replaces:
                        s.execute(update(VerifiedRecord).where(VerifiedRecord.id == replaces).values(status=was))
                raise
        if retired is not None:
            try:
                self._index_status(retired)
            except Exception as exc:  # SQL says retired, and the pipeline reads SQL; `verified reindex` repairs
                log.error("could not mark verified answer %s retired in the index: %s", replaces, type(exc).__name__)
        self._verified_changed()
        return verified_from_record(rec)

    def get_verified(self, verified_id: str) -> VerifiedAnswer | None:
        """The verified answer, redacted again on the way out (it is posted to every later asker)."""
        with self.session() as s:
            try:
                found = verified_from_record(self._get_verified_record(s, verified_id))
            except ReviewError:
                return None
        return found.model_copy(update={"question": self._redact(found.question) or "",
                                        "answer": self._redact(found.answer) or ""})

    def list_verified(self, status: str | None = None) -> list[VerifiedAnswer]:
        with self.session() as s:
            query = select(VerifiedRecord).order_by(VerifiedRecord.created_at)
            if status:
                query = query.where(VerifiedRecord.status == status)
            rows = [verified_from_record(r) for r in s.scalars(query)]
        # redacted again on the way out (`gpbot review verified list`), as the export is
        return [r.model_copy(update={"question": self._redact(r.question) or "", "answer": self._redact(r.answer) or ""})
                for r in rows]

    # ---------------------------------------------------------------- status
    def retire_verified(self, verified_id: str) -> VerifiedAnswer:
        return self._set_verified_status(verified_id, "retired")

    def reinstate_verified(self, verified_id: str) -> VerifiedAnswer:
        """Active again, re-approved against the documents as they are now (hashes refreshed)."""
        with self.session() as s:
            rec = self._get_verified_record(s, verified_id)
            cites = [Citation.model_validate(c) for c in rec.citations or []]
        hashes = self._doc_hashes(cites)
        extra: dict[str, Any] = {"stale_doc_ids": [], "stale_since": None}
        if hashes:
            extra["cited_doc_hashes"] = {d: hashes[d] for d in rec.cited_doc_ids or [] if d in hashes}
        return self._set_verified_status(rec.id, "active", **extra)

    # ---------------------------------------------------------------- the index
    def reindex_verified(self) -> int:
        """Embed every verified question into the index again, with its status (after the index was rebuilt
        or the embedder changed), and drop index entries SQL no longer has. Returns how many were written."""
        if self.index is None:
            raise ReviewError(prompts.REVIEW_NO_INDEX)
        records = self.list_verified()
        for verified in records:
            self._write_to_index(verified)
        for orphan in set(self.index.verified_statuses()) - {v.verified_id for v in records}:
            self.index.delete_verified(orphan)
        return len(records)

    def _index_status(self, verified: VerifiedAnswer) -> None:
        """Carry the SQL status into the index. An answer made active again is written whole, so the passage it
        rests on is read from the documents as they are now (and an answer verified before passages were
        recorded gains one); a question the index lost is embedded again."""
        if self.index is None:
            return
        if verified.status == "active":
            self._write_to_index(verified)
            return
        try:
            self.index.set_verified_status(verified.verified_id, verified.status)
        except KeyError:
            self._write_to_index(verified)

    def _write_to_index(self, verified: VerifiedAnswer) -> None:
        self.index.upsert_verified(verified.verified_id, self.index.embedder.embed_query(verified.question),
                                   verified.status, self._answer_chunk(verified.answer, verified.citations))

    def _answer_chunk(self, answer_text: str, citations: Sequence[Citation]) -> str:
        """The cited passage the answer rests on, which makes the verified question a labelled pair for the query
        adapter: of the cited passages the answer quotes (a run of SUPPORT_RUN words in common), the one whose
        vector is nearest the answer's; "" when it quotes none, or none is indexed. A correction keeps the
        citations of the answer it corrects, so a reviewer's own words teach nothing, while a correction that
        quotes the guidance teaches a passage it quotes. (The passage sharing the most runs was tried instead of
        the nearest: in eval/verified_adapter.py --plain it gained nothing, the nearest 3 questions on each set.)"""
        cited = list(dict.fromkeys(c.chunk_id for c in citations if c.chunk_id))
        runs = word_runs(answer_text)
        if not cited or not runs or self.index is None:
            return ""
        try:
            texts = {chunk.chunk_id: chunk.text for chunk in self.index.get_chunks(cited)}
            quoted = [chunk_id for chunk_id in cited if chunk_id in texts and runs & word_runs(texts[chunk_id])]
            if len(quoted) < 2:
                return quoted[0] if quoted else ""
            stored = self.index.vectors(quoted)
            answer_vector = self.index.embedder.embed([answer_text])[0]
            return max(quoted, key=lambda chunk_id: float(np.dot(stored[chunk_id], answer_vector))
                       if chunk_id in stored else -2.0)
        except Exception as exc:  # a missing pair only costs the adapter one example, never a reviewer's action
            log.warning("could not find the passage a verified answer rests on: %s", type(exc).__name__)
            return ""

    def _doc_hashes(self, citations: Sequence[Citation]) -> dict[str, str]:
        hashes: dict[str, str] = {}
        if self.index is None or not citations:
            return hashes
        try:
            for chunk in self.index.get_chunks([c.chunk_id for c in citations if c.chunk_id]):
                if chunk.content_hash:
                    hashes[chunk.doc_id] = chunk.content_hash
        except Exception as exc:
            log.warning("could not read content hashes for a verified answer: %s", type(exc).__name__)
        return hashes

    def _set_verified_status(self, verified_id: str, status: str, **extra) -> VerifiedAnswer:
        with self.session() as s:
            rec = self._get_verified_record(s, verified_id)
            rec.status = status
            rec.updated_at = utcnow()
            for name, value in extra.items():
                setattr(rec, name, value)
            s.flush()
        verified = verified_from_record(rec)
        self._index_status(verified)
        self._verified_changed()
        return verified

    def _verified_changed(self) -> None:
        """Ask for a refit; the reviewer's change is already stored, so nothing here may fail it."""
        if self.index is not None and self.adapter_refits is not None:
            try:
                self.adapter_refits.request()
            except Exception as exc:  # noqa: BLE001 — learnt at the next refit instead
                log.error("could not ask for a refit of the query adapter: %s", exc)

    @staticmethod
    def _get_verified_record(s: Session, verified_id: str) -> VerifiedRecord:
        rec = s.get(VerifiedRecord, verified_id)
        if rec is None:  # allow a unique prefix (CLI convenience)
            matches = list(s.scalars(select(VerifiedRecord).where(VerifiedRecord.id.startswith(verified_id)).limit(2)))
            if len(matches) == 1 and len(verified_id) >= MIN_PREFIX:
                rec = matches[0]
        if rec is None:
            raise ReviewError(prompts.REVIEW_NO_VERIFIED.format(verified_id=verified_id))
        return rec
