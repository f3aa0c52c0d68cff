"""The review workflow's Slack listeners: feedback and escalation, reviewers' card buttons, corrections,
and the stale verified-answer check.

    feedback.py      👍/👎, the "what was wrong?" modal, *Ask the support team*
    resolution.py    a reviewer's approve / correct / dismiss on a review card, and the correction modal's
                     submission (a verified answer, posted in the asker's thread)
    stale.py         posts cards for verified answers an ingest marked needs-review (at most once a minute)

`register(app, services)` adds them all to a Bolt App. Cards themselves are rendered and posted by
`bot.slack.review_cards` (also used by the event listener and the CLI). These modules import that, the
review store's errors, `bot.slack` helpers and `bot.prompts`. They must not import another listener module
outside this package, the index or the answering core.
"""

from __future__ import annotations

from bot.slack.listeners.review import feedback, resolution, stale


def register(app, services) -> None:
    for module in (feedback, resolution, stale):
        module.register(app, services)
