"""slack/manifest.yaml asks for exactly what the code uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.listeners.commands import COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yaml"


def test_manifest_scopes_events_and_features():
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "assistant:write", "channels:history", "chat:write", "commands", "groups:history",
        "im:history", "usergroups:read",
    }
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened", "app_mention", "assistant_thread_context_changed", "assistant_thread_started",
        "message.channels", "message.groups", "message.im", "app_uninstalled", "tokens_revoked",
    }
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "assistant_view" in manifest["features"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_every_subscribed_event_has_a_listener(slack_api, make_slack_bot, fake_assistant):
    """Unhandled events would get a 404 and be redelivered by Slack."""
    from slack_requests import event_callback

    bot = make_slack_bot(fake_assistant)
    events = [
        {"type": "app_home_opened", "user": "U0USER", "tab": "messages", "channel": "D0DM"},
        {"type": "assistant_thread_context_changed", "assistant_thread": {"channel_id": "D0DM", "thread_ts": "1.1"}},
        {"type": "message", "subtype": "message_deleted", "channel": "C0GENERAL", "channel_type": "channel", "ts": "1.2"},
        {"type": "message", "subtype": "channel_join", "user": "U0USER", "channel": "C0GENERAL",
         "channel_type": "channel", "ts": "1.3", "text": "joined"},
        {"type": "message", "user": "U0USER", "channel": "C0GENERAL", "channel_type": "channel", "ts": "1.4",
         "text": "chatter"},
        {"type": "message", "user": "U0USER", "channel": "G0GROUP", "channel_type": "mpim", "ts": "1.5", "text": "hi"},
        {"type": "message", "subtype": "message_changed", "channel": "C0GENERAL", "channel_type": "channel",
         "ts": "1.6", "message": {"type": "message", "user": "U0USER", "text": "edited", "ts": "1.4"}},
        {"type": "tokens_revoked", "tokens": {"oauth": ["U0USER"]}},  # user tokens only: the bot carries on
    ]
    for event in events:
        assert bot.send(event_callback(event))[0] == 200, event
    slack_api.settle()
    assert not slack_api.calls_to("chat.postMessage") and fake_assistant.questions == []
