"""The review listeners, called directly with a recording fake WebClient (no Bolt, no HTTP).

The end-to-end loop through the Slack emulator and signed payloads lives in test_review_loop.py.
"""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import pytest

from bot.slack import review_blocks as rb
from bot.slack.listeners import review as listeners
from review_helpers import NHS_NUMBER, make_answer


class FakeClient:
    def __init__(self, usergroup_users=()):
        self.calls: list[tuple[str, dict]] = []
        self._ts = itertools.count(1)
        self.usergroup_users = list(usergroup_users)

    def _record(self, method, kwargs):
        self.calls.append((method, kwargs))

    def chat_postMessage(self, **kw):
        self._record("chat.postMessage", kw)
        return {"ok": True, "channel": kw["channel"], "ts": f"900.{next(self._ts)}"}

    def chat_postEphemeral(self, **kw):
        self._record("chat.postEphemeral", kw)
        return {"ok": True}

    def chat_update(self, **kw):
        self._record("chat.update", kw)
        return {"ok": True, "ts": kw["ts"], "channel": kw["channel"]}

    def chat_getPermalink(self, **kw):
        self._record("chat.getPermalink", kw)
        return {"ok": True, "permalink": f"https://example.slack.com/archives/{kw['channel']}/p{kw['message_ts'].replace('.', '')}"}

    def views_open(self, **kw):
        self._record("views.open", kw)
        return {"ok": True}

    def usergroups_users_list(self, **kw):
        self._record("usergroups.users.list", kw)
        return {"ok": True, "users": self.usergroup_users}

    def of(self, method):
        return [kw for m, kw in self.calls if m == method]


@pytest.fixture
def env(review_env):
    from bot.slack.app import BotServices

    services = BotServices(settings=review_env.settings, assistant=None, review=review_env.review)
    yield SimpleNamespace(services=services, review=review_env.review, index=review_env.index, client=FakeClient())
    services.close()


def stale_item_id(review, verified_id: str) -> str:
    """The open stale_verified review item of a verified answer (exactly one)."""
    [item] = [i for i in review.list_reviews(status="open", reason="stale_verified") if i["verified_id"] == verified_id]
    return item["id"]


def asked(env, question="Can a parent see a 12 year old's record?", kind="answered", channel="CASK", thread="100.1"):
    answer = make_answer(question, kind=kind)
    answer_id = env.review.record_answer(answer, team_id="T1", channel_id=channel, thread_ts=thread, user_id="UASK",
                                         latency_ms=300)
    env.review.set_answer_message_ts(answer_id, "100.2")
    return answer_id


def action_body(action_id, value, user="UASK", channel="CASK", ts="100.2", thread_ts="100.1", action_type="button"):
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


def click_card(env, action_id, item_id, user="UREV1"):
    card = env.review.get_review(item_id)
    body, action = action_body(action_id, rb.item_value(item_id), user=user, channel="CREVIEW", ts=card.card_ts,
                               thread_ts=None)
    listeners.handle_review_action(env.client, env.services, body, action)


def submit_view(callback, metadata, values, user="UREV1"):
    view = {"callback_id": callback, "private_metadata": metadata, "state": {"values": values}}
    return {"type": "view_submission", "user": {"id": user}, "view": view}, view


class Ack:
    def __init__(self):
        self.calls = []

    def __call__(self, **kw):
        self.calls.append(kw)


def card_text(kw) -> str:
    return json.dumps(kw.get("blocks"), ensure_ascii=False) + kw.get("text", "")


# ------------------------------------------------------------------ values
def test_value_formats():
    assert rb.parse_value(rb.feedback_value("A1", "down")) == {"a": "A1", "v": "down"}
    assert rb.parse_value(rb.escalate_value("A1", "C1", "1.2")) == {"a": "A1", "c": "C1", "t": "1.2"}
    assert rb.parse_value(rb.item_value("I1")) == {"i": "I1"}
    assert set(json.loads(rb.item_value("I1"))) == {"i", "s"}  # compact JSON with the app's signature


@pytest.mark.parametrize("forged", [
    "legacy-id", json.dumps({"i": "I1"}), json.dumps({"i": "I1", "s": "AAAAAAAAAAAAAAAAAAAAAA"}), "[1, 2]", "",
])
def test_unsigned_forged_or_edited_values_are_refused(forged):
    assert rb.parse_value(forged) == {}
    signed = json.loads(rb.item_value("I1"))
    signed["i"] = "I2"  # edited after signing
    assert rb.parse_value(json.dumps(signed)) == {}


def test_block_values():
    from bot.slack.blocks import feedback_block

    block = feedback_block("A1").to_dict()
    assert block["type"] == "context_actions" and block["elements"][0]["type"] == "feedback_buttons"
    assert block["elements"][0]["action_id"] == "feedback"
    assert rb.parse_value(block["elements"][0]["negative_button"]["value"]) == {"a": "A1", "v": "down"}
    with pytest.raises(ValueError):
        rb.feedback_value("A1", "meh")


def test_mrkdwn():
    assert rb.to_mrkdwn("**Yes** see [NHS England](https://x.org/a) & <b>") == "*Yes* see <https://x.org/a|NHS England> &amp; &lt;b&gt;"


# ------------------------------------------------------------------ feedback
def test_thumbs_up_records_and_thanks(env):
    answer_id = asked(env)
    body, action = action_body("feedback", rb.feedback_value(answer_id, "up"), action_type="feedback_buttons")
    listeners.handle_feedback(env.client, env.services, body, action)
    assert env.review.feedback_counts(answer_id) == {"up": 1, "down": 0}
    [eph] = env.client.of("chat.postEphemeral")
    assert eph["user"] == "UASK" and eph["thread_ts"] == "100.1" and "Thanks" in eph["text"]
    assert env.client.of("chat.postMessage") == []  # no card for 👍


def test_thumbs_down_card_modal_and_comment(env):
    answer_id = asked(env)
    body, action = action_body("feedback", rb.feedback_value(answer_id, "down"), action_type="feedback_buttons")
    listeners.handle_feedback(env.client, env.services, body, action)

    [modal] = env.client.of("views.open")
    assert modal["trigger_id"] == "trig-1" and modal["view"]["callback_id"] == rb.COMMENT_CALLBACK
    [eph] = env.client.of("chat.postEphemeral")
    assert eph["user"] == "UASK" and eph["thread_ts"] == "100.1"
    [card] = env.client.of("chat.postMessage")
    assert card["channel"] == "CREVIEW"
    text = card_text(card)
    assert "Can a parent see a 12 year old" in text and "https://example.org/doc-a" in text
    assert "Confidence" in text and "https://example.slack.com/archives/CASK/p1002" in text
    actions = [b for b in card["blocks"] if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == ["review_approve", "review_correct", "review_dismiss"]
    item_id = json.loads(actions[0]["value"])["i"]
    assert env.review.get_review(item_id).card_ts == "900.1"

    # a second 👎 by someone else: no second card, the card is refreshed
    body2, action2 = action_body("feedback", rb.feedback_value(answer_id, "down"), user="UOTHER",
                                 action_type="feedback_buttons")
    listeners.handle_feedback(env.client, env.services, body2, action2)
    assert len(env.client.of("chat.postMessage")) == 1
    assert "👎 2" in card_text(env.client.of("chat.update")[-1])

    # the "what was wrong?" answer is added to the card (redacted)
    meta = json.loads(modal["view"]["private_metadata"])
    body3, view = submit_view(rb.COMMENT_CALLBACK, modal["view"]["private_metadata"],
                              {"comment": {"comment": {"type": "plain_text_input",
                                                       "value": f"It ignores proxies; patient {NHS_NUMBER}"}}},
                              user="UASK")
    listeners.handle_comment_submit(env.client, env.services, body3, view)
    assert meta["a"] == answer_id and meta["i"] == item_id
    update = env.client.of("chat.update")[-1]
    assert update["ts"] == "900.1" and "It ignores proxies" in card_text(update)
    assert NHS_NUMBER not in card_text(update)


def test_review_off_without_review_channel(env):
    env.services.settings = env.services.settings.model_copy(update={"review_channel": None})
    answer_id = asked(env)
    body, action = action_body("feedback", rb.feedback_value(answer_id, "down"), action_type="feedback_buttons")
    listeners.handle_feedback(env.client, env.services, body, action)
    assert env.review.feedback_counts(answer_id)["down"] == 1  # still on record
    assert env.client.of("chat.postMessage") == [] and env.client.of("views.open") == []
    assert listeners.post_review_card(env.client, env.services, answer_id) is None
    body, action = action_body("escalate", rb.escalate_value(answer_id, "CASK", "100.1"))
    listeners.handle_escalate(env.client, env.services, body, action)
    assert env.client.of("chat.postMessage") == [] and env.review.list_reviews() == []


# ------------------------------------------------------------------ escalation and not covered
def test_escalate(env):
    answer_id = asked(env)
    body, action = action_body("escalate", rb.escalate_value(answer_id, "CASK", "100.1"))
    listeners.handle_escalate(env.client, env.services, body, action)
    card, told = env.client.of("chat.postMessage")
    assert card["channel"] == "CREVIEW" and "asked for the support team" in card_text(card)
    assert told["channel"] == "CASK" and told["thread_ts"] == "100.1" and "support team" in told["text"]
    [item] = env.review.list_reviews(status="open")
    assert item["reason"] == "escalated" and item["opened_by"] == "UASK"


def test_escalate_without_a_recorded_answer(env):
    body, action = action_body("escalate", rb.escalate_value(None, "CASK", "100.1"))
    listeners.handle_escalate(env.client, env.services, body, action)
    card, told = env.client.of("chat.postMessage")
    assert card["channel"] == "CREVIEW" and told["thread_ts"] == "100.1"


def test_not_covered_card(env):
    answer_id = asked(env, question="Can I see my cat's vaccination record?", kind="not_covered")
    item_id = listeners.post_review_card(env.client, env.services, answer_id, reason="not_covered")
    [card] = env.client.of("chat.postMessage")
    assert "did not cover" in card_text(card) and env.review.get_review(item_id).reason == "not_covered"
    # Approve makes no sense for a not-covered answer: refused, item stays open
    click_card(env, "review_approve", item_id)
    assert env.review.get_review(item_id).status == "open"
    assert "Correct" in env.client.of("chat.postEphemeral")[-1]["text"]


# ------------------------------------------------------------------ reviewer actions
def _thumbs_down(env, **kw):
    answer_id = asked(env, **kw)
    body, action = action_body("feedback", rb.feedback_value(answer_id, "down"), action_type="feedback_buttons")
    listeners.handle_feedback(env.client, env.services, body, action)
    return answer_id, env.review.list_reviews(status="open")[0]["id"]


def test_non_reviewer_changes_nothing(env):
    _answer_id, item_id = _thumbs_down(env)
    before = len(env.client.calls)
    for action_id in ("review_approve", "review_correct", "review_dismiss"):
        click_card(env, action_id, item_id, user="UNOBODY")
    new = env.client.calls[before:]
    assert {m for m, _ in new} == {"chat.postEphemeral"}
    assert all(kw["user"] == "UNOBODY" and "Only the support team" in kw["text"] for _, kw in new)
    assert env.review.get_review(item_id).status == "open"
    assert env.review.list_verified() == []
    # a forged modal submission is refused too
    meta = rb.item_value(item_id)
    ack = Ack()
    body, view = submit_view(rb.CORRECTION_CALLBACK, meta, {"answer": {"answer": {"value": "forged"}}}, user="UNOBODY")
    listeners.handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls[0]["response_action"] == "errors" and env.review.get_review(item_id).status == "open"


def test_usergroup_member_can_review(env):
    env.services.settings = env.services.settings.model_copy(update={"reviewer_usergroup": "SREV"})
    env.review.settings = env.services.settings
    env.client.usergroup_users = ["UGROUPIE"]
    _answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_dismiss", item_id, user="UGROUPIE")
    assert env.review.get_review(item_id).status == "dismissed"
    assert env.client.of("usergroups.users.list")[0]["usergroup"] == "SREV"


def test_correct_flow(env):
    answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_correct", item_id)
    modal = env.client.of("views.open")[-1]["view"]
    assert modal["callback_id"] == "review_correction"
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert len(inputs) == 1 and inputs[0]["block_id"] == "answer" and inputs[0]["element"]["multiline"] is True
    assert inputs[0].get("optional") is False
    assert inputs[0]["element"]["initial_value"] == "You can give access [1]."
    assert "Can a parent see a 12 year old" in json.dumps(modal["blocks"][0])
    assert "https://example.org/doc-a" in json.dumps(modal["blocks"])

    # empty submission: error shown on the input, nothing changes
    ack = Ack()
    body, view = submit_view("review_correction", modal["private_metadata"], {"answer": {"answer": {"value": "  "}}})
    listeners.handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls == [{"response_action": "errors", "errors": {"answer": "Write the corrected answer."}}]

    corrected = "Not by default: a parent needs the child's consent or a competence assessment [1]."
    ack = Ack()
    body, view = submit_view("review_correction", modal["private_metadata"], {"answer": {"answer": {"value": corrected}}})
    listeners.handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls == [{}]
    reply = [kw for kw in env.client.of("chat.postMessage") if kw["channel"] == "CASK"][-1]
    assert reply["thread_ts"] == "100.1" and "Corrected by the support team" in reply["text"]
    assert "competence assessment" in card_text(reply)
    final = env.client.of("chat.update")[-1]
    assert final["channel"] == "CREVIEW" and "Corrected" in card_text(final) and "<@UREV1>" in card_text(final)
    assert "<!date^" in card_text(final)
    assert not [b for b in final["blocks"] if b["type"] == "actions"]  # no buttons in the final state

    item = env.review.get_review(item_id)
    assert item.status == "corrected" and item.reviewer == "UREV1" and item.verified_id
    verified = env.review.get_verified(item.verified_id)
    assert verified.answer == corrected and verified.status == "active" and verified.cited_doc_ids == ["doc-a"]
    hits = env.index.search_verified(env.index.embedder.embed_query("can a parent see a 12 year old's record"))
    assert hits[0][0] == verified.verified_id

    # a second submit (double click, another reviewer) changes nothing
    ack = Ack()
    listeners.handle_correction_submit(ack, env.client, env.services, body, view)
    assert ack.calls[0]["response_action"] == "errors" and len(env.review.list_verified()) == 1


def test_approve_promotes_to_verified(env):
    answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_approve", item_id, user="UREV2")
    item = env.review.get_review(item_id)
    assert item.status == "approved" and item.verified_id
    verified = env.review.get_verified(item.verified_id)
    assert verified.answer == "You can give access [1]." and verified.author == "UREV2"
    assert "Approved" in card_text(env.client.of("chat.update")[-1])
    # clicking again: refused politely, nothing new
    click_card(env, "review_dismiss", item_id, user="UREV1")
    assert env.review.get_review(item_id).status == "approved"
    assert "already approved" in env.client.of("chat.postEphemeral")[-1]["text"]


def test_dismiss(env):
    _answer_id, item_id = _thumbs_down(env)
    click_card(env, "review_dismiss", item_id)
    assert env.review.get_review(item_id).status == "dismissed" and env.review.list_verified() == []
    assert "Dismissed" in card_text(env.client.of("chat.update")[-1])


# ------------------------------------------------------------------ stale verified answers
def test_stale_cards(env):
    from review_helpers import citation

    verified = env.review.create_verified("What is a proxy?", "Someone acting for a patient [1].", [citation("doc-a")], "UREV1")
    assert listeners.post_due_stale_cards(env.client, env.services, force=True) == 0
    env.review.flag_stale_verified(["doc-a"])
    assert listeners.post_due_stale_cards(env.client, env.services, force=True) == 1
    [card] = env.client.of("chat.postMessage")
    assert card["channel"] == "CREVIEW" and "needs review" in card_text(card) and "doc-a" in card_text(card)
    assert listeners.post_due_stale_cards(env.client, env.services, force=True) == 0  # once
    # throttled: without force, a second call within the minute does nothing at all
    assert listeners.post_due_stale_cards(env.client, env.services) == 0

    item = env.review.get_review(stale_item_id(env.review, verified.verified_id))
    click_card(env, "review_correct", item.id)
    modal = env.client.of("views.open")[-1]["view"]
    assert modal["blocks"][2]["element"]["initial_value"] == "Someone acting for a patient [1]."
    ack = Ack()
    body, view = submit_view("review_correction", modal["private_metadata"],
                             {"answer": {"answer": {"value": "A proxy acts for a patient with their consent [1]."}}})
    listeners.handle_correction_submit(ack, env.client, env.services, body, view)
    assert env.review.get_verified(verified.verified_id).status == "retired"
    [active] = env.review.list_verified(status="active")
    assert active.answer.startswith("A proxy acts") and active.cited_doc_hashes == {"doc-a": "hash-a1"}
    assert [kw["channel"] for kw in env.client.of("chat.postMessage")] == ["CREVIEW"]  # no asker thread to post in


def test_stale_reinstate_and_retire(env):
    from review_helpers import citation

    v1 = env.review.create_verified("What is a proxy?", "Someone acting for a patient.", [citation("doc-a")], "UREV1")
    v2 = env.review.create_verified("Who can see coded data?", "The patient.", [citation("doc-b")], "UREV1")
    env.review.flag_stale_verified(["doc-a", "doc-b"])
    assert listeners.post_due_stale_cards(env.client, env.services, force=True) == 2
    click_card(env, "review_approve", stale_item_id(env.review, v1.verified_id))
    click_card(env, "review_dismiss", stale_item_id(env.review, v2.verified_id))
    assert env.review.get_verified(v1.verified_id).status == "active"
    assert env.review.get_verified(v2.verified_id).status == "retired"
    assert env.index.verified_statuses() == {v1.verified_id: "active", v2.verified_id: "retired"}
    texts = [card_text(kw) for kw in env.client.of("chat.update")]
    assert any("Reinstated" in t for t in texts) and any("Retired" in t for t in texts)


# ------------------------------------------------------------------ records gone, Slack failing
@pytest.mark.parametrize("record", ["answer", "verified"])
def test_correct_on_a_purged_record_says_so(env, monkeypatch, record):
    """The item's answer (or verified answer) was purged after the card went up: a polite ephemeral, no modal."""
    from review_helpers import citation

    if record == "answer":
        _answer_id, item_id = _thumbs_down(env)
        monkeypatch.setattr(env.review, "get_answer", lambda answer_id: None)
    else:
        verified = env.review.create_verified("What is a proxy?", "Someone acting for a patient [1].",
                                              [citation("doc-a")], "UREV1")
        env.review.flag_stale_verified(["doc-a"])
        assert listeners.post_due_stale_cards(env.client, env.services, force=True) == 1
        item_id = stale_item_id(env.review, verified.verified_id)
        monkeypatch.setattr(env.review, "get_verified", lambda verified_id: None)
    click_card(env, "review_correct", item_id)
    assert [v for v in env.client.of("views.open") if v["view"]["callback_id"] == rb.CORRECTION_CALLBACK] == []
    told = env.client.of("chat.postEphemeral")[-1]
    assert told["user"] == "UREV1" and told["text"] == listeners.NO_QUESTION
    assert env.review.get_review(item_id).status == "open"


class FailingPostClient(FakeClient):
    def chat_postMessage(self, **kw):
        self._record("chat.postMessage", kw)
        raise ConnectionError("Slack is down")


def test_a_card_that_failed_to_post_is_released_and_counted(env):
    answer_id = asked(env, kind="not_covered")
    failing = FailingPostClient()
    item_id = listeners.post_review_card(failing, env.services, answer_id, reason="not_covered")
    item = env.review.get_review(item_id)
    assert item.card_channel is None and item.card_ts is None  # a later event may post it
    assert env.services.metrics.slack_api_errors.labels(method="chat.postMessage", error="ConnectionError")._value.get() == 1
    # the next attempt claims and posts it
    assert listeners.post_review_card(env.client, env.services, answer_id, reason="escalated") == item_id
    [card] = env.client.of("chat.postMessage")
    item = env.review.get_review(item_id)
    assert card["channel"] == item.card_channel == "CREVIEW" and item.card_ts


# ------------------------------------------------------------------ review Block Kit
def test_verified_by_a_name_is_not_a_mention():
    item = {"id": "I1", "reason": "stale_verified", "status": "open"}
    for author, shown in (("Wendy", "Verified by Wendy"), ("W0REVIEW", "Verified by <@W0REVIEW>"),
                          ("U0REV", "Verified by <@U0REV>")):
        _text, blocks = rb.review_card(item=item, question="q", answer_text="a", citations=[], verified_author=author)
        assert shown in json.dumps([b.to_dict() for b in blocks])
    _text, blocks = rb.review_card(item=item, question="q", answer_text="a", citations=[], verified_author="Wendy")
    assert "<@Wendy>" not in json.dumps([b.to_dict() for b in blocks])


def test_review_sources_use_the_answer_source_line():
    from bot.slack.blocks import source_line
    from bot.types import Citation

    cite = Citation(number=2, chunk_id="c", doc_id="d", title="A|B <guide>", section="Steps", url="https://x.org/a?b=1&c=2",
                    publisher="NHS England", last_reviewed="2025-01-02")
    assert rb.sources_text([cite.model_dump()]) == rb.sources_text([cite]) == source_line(cite)
    assert source_line(cite) == ("[2] <https://x.org/a?b=1&c=2|A¦B &lt;guide&gt;> — Steps · NHS England · "
                                 "reviewed 2025-01-02")
    assert rb.sources_text([]) == "_no sources_"


def test_long_corrections_are_split_without_breaking_links_or_entities():
    link = "[the NHS England guidance on proxy access](https://example.org/guidance?a=1&b=2)"
    text = " ".join(f"Step {i} & {link}." for i in range(120))
    _fallback, blocks = rb.corrected_reply(text, [])
    sections = [b.to_dict()["text"]["text"] for b in blocks[1:]]
    assert len(sections) > 1 and all(len(t) <= 3000 for t in sections)
    for piece in sections:
        assert piece.count("<") == piece.count(">") == piece.count("|")  # every link whole
        assert "&amp" not in piece.replace("&amp;", "")  # every entity whole
    assert "".join(sections).count("<https://example.org/guidance?a=1&b=2|") == 120
