"""Shared by the end-to-end Slack tests (test_slack_e2e.py, test_slack_delivery.py): the question they ask,
an NHS number to paste, `Spy` (the real assistant, recorded, able to fail; fixture `spy` in conftest.py),
and readers of what the bot posted or exposes."""

from __future__ import annotations

from slack_requests import get

QUESTION = "How do I switch on prospective access in SystmOne?"
NHS_NUMBER = "9991860916"
NHS_SPACED = "999 186 0916"


def action_ids(blocks: list[dict]) -> set[str]:
    ids = set()
    for block in blocks:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id"):
                ids.add(element["action_id"])
    return ids


class Spy:
    """Delegates to the real assistant; records the history each question came with; can be told to fail."""

    def __init__(self, real):
        self.real = real
        self.index = real.index
        self.settings = real.settings
        self.calls: list[tuple[str, list[str]]] = []
        self.fail_on: str | None = None

    def answer(self, question, *, history=()):
        self.calls.append((question, list(history)))
        if self.fail_on and self.fail_on in question:
            raise RuntimeError("simulated failure")
        return self.real.answer(question, history=history)


def metrics_showing(bot, line: str) -> str | None:
    """The bot's /metrics text when it is served and contains `line` (for `wait_until`), else None."""
    status, text = get(bot.url + "/metrics")
    return text if status == 200 and line in text else None
