"""The Slack layer: everything that knows Slack exists.

It owns the Bolt app and its listeners (`app`, `listeners/`), the HTTP server and Socket Mode (`server`,
`socket_mode`), the guards that run on a raw request before Bolt parses it (body limit, timestamp and
signature, payload shape), redaction of every text that comes in from Slack (`services.BotServices.redact`,
on the raw text, before `mrkdwn.strip_slack_markup` turns Slack's markup into the plain text the core reads),
what a message carries besides its words, read only for the identifier warning (`shared_content`: file names,
forwarded messages), the messages it posts (`blocks`, `review_blocks`, `mrkdwn`), dedupe, thread memory, metrics and
log scrubbing.

It talks to the answering core (an `Assistant`'s `answer(question, history=...)`: plain text in, a
`bot.types.Answer` out; `bot.identifiers` for redaction; `bot.prompts`, `bot.settings`) and to the review
store (`bot.review`) only. It must not import Chroma, the index package's internals (`bot.index`) or the
retrieval modules; and nothing outside `bot/slack/` (the core least of all) imports it, except the CLI and
ingest entry points that start it or post its cards.
"""
