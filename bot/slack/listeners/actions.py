"""Buttons owned by the Slack app (the review workflow owns `feedback`, `escalate` and `review_*`):

- `share_answer` ("Share in channel" under a /recordsaccess answer): posts the recorded answer in the
  channel, with who shared it and the (redacted) question, then replaces the ephemeral reply.
"""

from __future__ import annotations

import hashlib
import logging

from bot import prompts
from bot.slack import blocks
from bot.slack.calls import api_call
from bot.slack.clicks import user_of
from bot.slack.signed_values import parse_signed
from bot.specifics import CITATION
from bot.types import Answer, AnswerKind, Citation

log = logging.getLogger(__name__)


def _load_answer(services, answer_id: str | None, question: str) -> Answer | None:
    """The answer as recorded (so the channel sees what the user saw); re-answered if there is no record."""
    if answer_id and services.review is not None:
        try:
            rec = services.review.get_answer(answer_id)
        except Exception as exc:
            log.warning("loading the recorded answer failed: %s", type(exc).__name__)
            rec = None
        if rec is not None:
            kind = AnswerKind(rec.kind) if rec.kind in AnswerKind._value2member_map_ else AnswerKind.answered
            cites = [Citation.model_validate(c) for c in (rec.citations or [])]
            verified = None
            if rec.verified_id:
                try:
                    verified = services.review.get_verified(rec.verified_id)
                except Exception:
                    verified = None
            text = rec.answer_text or ""
            cited = {int(n) for n in CITATION.findall(text)} if kind is AnswerKind.not_covered else None
            return Answer(  # a declined answer's text cites only its safeguarding line's source: the rest are closest
                question=rec.question or question, text=text, kind=kind,
                citations=[c for c in cites if cited is None or c.number in cited],
                closest=[c for c in cites if cited is not None and c.number not in cited],
                confidence=rec.confidence or 0.0, verified=verified, safeguarding=cited is not None and bool(cited),
            )
    if not question:
        return None
    try:
        return services.assistant.answer(question)
    except Exception as exc:
        log.error("re-answering for share failed: %s", type(exc).__name__)
        return None


def register(app, services) -> None:
    @app.action(blocks.SHARE_ACTION)
    def on_share(ack, body: dict, action: dict, client, respond) -> None:
        ack()
        value = parse_signed(action.get("value"))  # signed by this app, or {}
        user = user_of(body)
        channel = value.get("c") or (body.get("channel") or {}).get("id")
        answer_id = value.get("a")
        if not value:
            respond(text=prompts.SHARE_UNREADABLE, response_type="ephemeral", replace_original=False)
            return
        # once per answer, channel and user: a double click or a replayed request shares nothing twice
        claim = f"share:{answer_id or hashlib.sha256(str(value.get('q')).encode()).hexdigest()[:16]}:{channel}:{user}"
        if not services.claim(claim):
            respond(text=prompts.SHARE_ALREADY_DONE.format(channel=channel), response_type="ephemeral",
                    replace_original=False)
            return
        answer = _load_answer(services, answer_id, services.redact(value.get("q") or "").text)
        if answer is None or not channel:
            services.release(claim)
            respond(text=prompts.SHARE_ANSWER_GONE, response_type="ephemeral", replace_original=False)
            return
        text, blocks_ = blocks.shared_message(answer, answer_id=answer_id, channel=channel, user=user)
        resp = api_call(services, client, "chat_postMessage", channel=channel, text=text, blocks=blocks_,
                        unfurl_links=False, unfurl_media=False)
        if resp is None:  # nothing was shared: a retry after inviting the bot must work
            services.release(claim)
            respond(text=prompts.SHARE_NOT_IN_CHANNEL, response_type="ephemeral", replace_original=False)
            return
        respond(text=prompts.SHARE_DONE.format(channel=channel), response_type="ephemeral", replace_original=True)
