"""Helpers shared by the review tests (importable: pytest puts tests/review on sys.path)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

NHS_NUMBER = "9991860916"


def make_settings(data_dir: Path, **overrides):
    from bot.settings import Settings

    return Settings(_env_file=None, gpbot_data_dir=data_dir, **overrides)


class FakeEmbedder:
    """Deterministic bag-of-words vectors: questions sharing words are similar. No model load."""

    dim = 384

    def embed(self, texts, batch_size: int = 32):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in "".join(ch.lower() if ch.isalnum() else " " for ch in text).split():
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[row, h % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def embed_query(self, text):
        return self.embed([text])[0]


def seed_chunks(index, docs: dict[str, str]) -> None:
    """Put one chunk per doc into the index: doc id -> content hash."""
    from bot.types import Chunk

    chunks = [
        Chunk(chunk_id=f"{doc}#0", doc_id=doc, text=f"Guidance text of {doc}.", title=doc.title(),
              source_urls=[f"https://example.org/{doc}"], content_hash=h)
        for doc, h in docs.items()
    ]
    index.upsert_chunks(chunks)


def citation(doc: str, number: int = 1):
    from bot.types import Citation

    return Citation(number=number, chunk_id=f"{doc}#0", doc_id=doc, title=doc.title(), url=f"https://example.org/{doc}")


def make_answer(question: str, text: str = "You can give access [1].", kind: str = "answered", docs=("doc-a",), **kw):
    from bot.types import Answer, AnswerKind

    cites = [citation(d, i + 1) for i, d in enumerate(docs)]
    if kind == "not_covered":
        return Answer(question=question, text=text, kind=AnswerKind(kind), closest=cites, confidence=0.1, **kw)
    return Answer(question=question, text=text, kind=AnswerKind(kind), citations=cites, confidence=0.8, **kw)


# ------------------------------------------------------------------ driving the review listeners
def asked(env, question="Can a parent see a 12 year old's record?", kind="answered", channel="CASK", thread="100.1"):
    """A recorded answer (as the event listener records it), replied at ts 100.2 in thread 100.1."""
    answer = make_answer(question, kind=kind)
    answer_id = env.review.record_answer(answer, team_id="T1", channel_id=channel, thread_ts=thread, user_id="UASK",
                                         latency_ms=300)
    env.review.set_answer_message_ts(answer_id, "100.2")
    return answer_id


def action_body(action_id, value, user="UASK", channel="CASK", ts="100.2", thread_ts="100.1", action_type="button"):
    """(block_actions body, action) as Bolt passes them to a listener."""
    action = {"action_id": action_id, "value": value, "type": action_type, "block_id": "b"}
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel, "message_ts": ts},
        "message": {"ts": ts, "thread_ts": thread_ts},
        "trigger_id": "trig-1",
        "actions": [action],
    }, action


def submit_view(callback, metadata, values, user="UREV1"):
    """(view_submission body, view) for a modal with `values` typed in."""
    view = {"callback_id": callback, "private_metadata": metadata, "state": {"values": values}}
    return {"type": "view_submission", "user": {"id": user}, "view": view}, view


class Ack:
    """Records what a listener acknowledged a view submission with."""

    def __init__(self):
        self.calls = []

    def __call__(self, **kw):
        self.calls.append(kw)


def card_text(params: dict) -> str:
    """Everything a posted message shows (blocks and fallback text), for `in` checks."""
    return json.dumps(params.get("blocks"), ensure_ascii=False) + params.get("text", "")


def stale_item_id(review, verified_id: str) -> str:
    """The open stale_verified review item of a verified answer (exactly one)."""
    [item] = [i for i in review.list_reviews(status="open", reason="stale_verified") if i["verified_id"] == verified_id]
    return item["id"]


def sent(env, method: str) -> list[dict]:
    """The params of every call the listeners made to Web API `method` (as the emulator received them)."""
    return [c.params for c in env.api.calls_to(method)]


def posted_ts(env, channel: str) -> list[str]:
    """The ts the emulator gave each message posted in `channel`, in order."""
    return [m["ts"] for m in env.api.messages if m.get("channel") == channel]


def click_card(env, action_id, item_id, user="UREV1"):
    """A reviewer's click on a posted review card's button."""
    from bot.slack import review_blocks as rb
    from bot.slack.listeners.review.resolution import handle_review_action

    card = env.review.get_review(item_id)
    body, action = action_body(action_id, rb.item_value(item_id), user=user, channel="CREVIEW", ts=card.card_ts,
                               thread_ts=None)
    handle_review_action(env.client, env.services, body, action)


def record(review, question="Can a parent see a 12 year old's record?", **kw) -> str:
    """Record an answer as the Slack layer would; returns its id."""
    return review.record_answer(make_answer(question, **kw), team_id="T1", channel_id="C1", thread_ts="100.1",
                                user_id="UASK", latency_ms=250.0)


CODE_TEXT = "Adding the enhanced review code stops automatic access to new entries until a clinician has looked."
PROXY_TEXT = "A parent with proxy access sees a child's record only with the child's agreement once the child is eleven."


def two_passages(index):
    from bot.types import Chunk

    index.upsert_chunks([Chunk(chunk_id=f"{doc}#0", doc_id=doc, text=text, title=doc.title(), content_hash="h1",
                               source_urls=[f"https://example.org/{doc}"])
                         for doc, text in (("doc-code", CODE_TEXT), ("doc-proxy", PROXY_TEXT))])
