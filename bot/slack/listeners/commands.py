"""`/recordsaccess <question>`: acknowledged at once, answered ephemerally with the question restated and a
"Share in channel" button (handled in `actions`)."""

from __future__ import annotations

import logging

from bot import prompts
from bot.slack.answering import Where, answer_and_post

log = logging.getLogger(__name__)

COMMAND = "/recordsaccess"


def register(app, services) -> None:
    @app.command(COMMAND)
    def on_command(ack, command: dict, respond, client, context) -> None:
        ack()  # an empty 200 within Slack's 3 seconds; the answer follows through response_url
        text = (command.get("text") or "").strip()
        if not text:
            respond(text=prompts.EMPTY_QUESTION_TEXT, response_type="ephemeral")
            return
        channel = command.get("channel_id") or ""
        channel_type = "im" if (command.get("channel_name") == "directmessage" or channel.startswith("D")) else None
        if not services.channel_allowed(channel, channel_type):
            respond(text=prompts.REFUSAL_TEXT, response_type="ephemeral")
            return
        # slash commands have no message ts: the trigger id is unique per invocation
        where = Where(
            channel=channel, message_ts=f"command:{command.get('trigger_id') or id(command)}",
            reply_thread_ts=None, origin_thread_ts=None, user=command.get("user_id"),
            team=command.get("team_id") or context.team_id, surface="command", channel_type=channel_type,
        )
        answer_and_post(services, client, where, text, history=(), respond=respond)
