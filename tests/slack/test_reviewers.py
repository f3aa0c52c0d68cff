"""Who may act on review cards (bot.slack.reviewers): listed users, and the reviewer group's members."""

from __future__ import annotations

from bot.settings import Settings
from bot.slack.reviewers import Reviewers


class GroupClient:
    """The one Web API method the check uses, counting calls (fails on demand)."""

    def __init__(self, users):
        self.users, self.calls, self.fail = users, 0, False

    def usergroups_users_list(self, usergroup):
        self.calls += 1
        assert usergroup == "SGROUP"
        if self.fail:
            raise RuntimeError("slack unavailable")
        return {"ok": True, "users": self.users}


def settings(**overrides) -> Settings:
    return Settings(_env_file=None, reviewer_user_ids="UREV1, UREV2", **overrides)


def test_is_reviewer():
    reviewers = Reviewers()
    listed = settings()
    assert reviewers.is_reviewer(listed, "UREV1") and reviewers.is_reviewer(listed, "UREV2")
    assert not reviewers.is_reviewer(listed, "UOTHER") and not reviewers.is_reviewer(listed, "")
    grouped = settings(reviewer_usergroup="SGROUP")
    client = GroupClient(["UGRP"])
    assert reviewers.is_reviewer(grouped, "UGRP", client) and not reviewers.is_reviewer(grouped, "UOTHER", client)
    assert client.calls == 1  # cached
    assert not reviewers.is_reviewer(grouped, "UGRP")  # no client, no group lookup


def test_the_group_is_asked_again_after_the_cache_time_and_its_last_members_stand_when_slack_fails():
    reviewers = Reviewers()
    uncached = settings(reviewer_usergroup="SGROUP", reviewer_group_cache_seconds=0)
    client = GroupClient(["UGRP"])
    assert reviewers.is_reviewer(uncached, "UGRP", client)
    client.users = ["UNEW"]
    assert reviewers.is_reviewer(uncached, "UNEW", client) and not reviewers.is_reviewer(uncached, "UGRP", client)
    client.fail = True
    assert reviewers.is_reviewer(uncached, "UNEW", client)  # the last known members
    assert not Reviewers().is_reviewer(uncached, "UNEW", client)  # none known yet: nobody from the group
