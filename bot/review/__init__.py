"""The review store: the support team's record of what the bot answered and what they did about it.

It owns the review database (SQLAlchemy models, Alembic migrations, engine set-up), Slack event dedupe keys,
the answer record and feedback, review items, verified answers (the one copy of their text, in SQL), the
reports and retention purge of `gpbot review`, and the redaction of everything it writes.

It must not import the Slack layer (`bot.slack`: reviewer checks and Slack API calls live there) or Chroma
(the guidance index is handed in as an object; only `bot.index` talks to Chroma).
"""
