"""The query adapter's refits after changes to the verified answers: in the background in the Slack server, again
at its next start when one was lost (the stamp's fingerprint of what the adapter learnt from), and never for a
change that alters nothing it learns from."""

from __future__ import annotations

from review_helpers import CODE_TEXT, PROXY_TEXT, citation, two_passages


def test_with_background_refits_every_change_to_the_active_answers_refits_the_adapter(review_env, monkeypatch):
    """The Slack server's store (`refit_in_background`): storing, correcting, retiring and reinstating each refit in
    the background (the version stamp moves), and each refit reads the labelled pairs as they are after the change,
    so a retired answer stops teaching the query adapter at once; the CLI's store (the default) leaves refitting to
    the command."""
    from bot.review.service import ReviewService

    review, index = review_env.review, review_env.index
    two_passages(index)
    assert review.adapter_refits is None
    before = index.current_version().get("version")
    review.create_verified("What does the 104 do?", CODE_TEXT, [citation("doc-code")], "UREV1")
    assert index.current_version().get("version") == before

    pairs_read = []  # the labelled pairs each fit read (`adapter_from_store` reads them through the store)
    verified_pairs = index.store.verified_pairs
    monkeypatch.setattr(index.store, "verified_pairs",
                        lambda: pairs_read.append(verified_pairs()[0]) or verified_pairs())
    server_store = ReviewService.from_settings(review_env.settings, index=index, refit_in_background=True)
    try:
        # the CLI store's change above was never refitted: the server's store does it as it opens
        assert server_store.adapter_refits.wait(30) and server_store.adapter_refits.fits == 1
        assert sorted(pairs_read[-1]) == ["doc-code#0"] and not index.adapter_missed_a_change()
        server_store.adapter_refits.delay_s = 0
        made = []
        actions = [  # (the change, the passages taught after it, whether that changed what teaches)
            (lambda: server_store.create_verified("Can mum see the notes?", PROXY_TEXT, [citation("doc-proxy")],
                                                  "UREV1"), ["doc-code#0", "doc-proxy#0"], True),
            (lambda: server_store.create_verified("Mum and the notes?", "Only with the child's agreement [1].",
                                                  [citation("doc-proxy")], "UREV1", replaces=made[0].verified_id),
             ["doc-code#0"], True),  # a correction in the reviewer's own words teaches nothing
            # retiring that correction changes nothing the adapter learns from: asked, but no fit
            (lambda: server_store.retire_verified(made[1].verified_id), ["doc-code#0"], False),
            (lambda: server_store.reinstate_verified(made[0].verified_id), ["doc-code#0", "doc-proxy#0"], True),
        ]
        for action, taught, moves in actions:
            version, reads = index.current_version().get("version"), len(pairs_read)
            made.append(action())
            assert server_store.adapter_refits.wait(30)
            assert (index.current_version().get("version") not in (None, "", version)) == moves
            assert (len(pairs_read) > reads) == moves  # a fit read the labelled pairs only when it ran
            assert sorted(pairs_read[-1]) == taught
        assert server_store.adapter_refits.fits == 1 + len(actions)
    finally:
        server_store.close()


def test_a_refit_lost_to_a_kill_is_done_when_the_server_next_opens_its_store(review_env):
    """The stamp keeps a fingerprint of the verified answers the adapter was fitted on: a change that no refit
    followed (the process killed first) is seen at the next start and refitted in the background, once; a store
    opened on an up-to-date stamp fits nothing."""
    from bot.review.service import ReviewService

    review, index = review_env.review, review_env.index
    two_passages(index)
    index.mark_changed()
    assert not index.adapter_missed_a_change()
    made = review.create_verified("What does the 104 do?", CODE_TEXT, [citation("doc-code")], "UREV1")
    assert index.adapter_missed_a_change()  # stored, never refitted: as if killed before the refit
    for expected_fits in (1, 0):  # the first start refits; the next finds the stamp up to date
        before = index.current_version()["version"]
        server_store = ReviewService.from_settings(review_env.settings, index=index, refit_in_background=True)
        try:
            assert server_store.adapter_refits.wait(30) and server_store.adapter_refits.fits == expected_fits
        finally:
            server_store.close()
        assert not index.adapter_missed_a_change()
        assert (index.current_version()["version"] != before) == bool(expected_fits)
    review.retire_verified(made.verified_id)  # a retired answer stops teaching: that too is a change
    assert index.adapter_missed_a_change()
    assert index.refit_if_out_of_date() == index.current_version()["version"]
    assert not index.adapter_missed_a_change()
    assert index.refit_if_out_of_date() == ""  # up to date: nothing to fit


def test_a_change_during_a_fit_or_a_failed_fit_leaves_the_stamp_out_of_date(review_env, monkeypatch):
    """The fingerprint is read before the fit: an answer verified while the adapter is being fitted is seen at the
    next start. A fit that fails is stamped as not done, so the next start fits again."""
    from bot.index import query_adapter

    review, index = review_env.review, review_env.index
    two_passages(index)
    index.mark_changed()
    verified_pairs, during = index.store.verified_pairs, []

    def verified_while_fitting():
        if not during:
            during.append(review.create_verified("What does the 104 do?", CODE_TEXT, [citation("doc-code")], "UREV1"))
        return verified_pairs()

    monkeypatch.setattr(index.store, "verified_pairs", verified_while_fitting)
    index.refit()
    assert during and index.adapter_missed_a_change()
    monkeypatch.undo()
    monkeypatch.setattr(query_adapter, "adapter_from_store", lambda *a: (_ for _ in ()).throw(RuntimeError("no")))
    index.refit()
    assert index.adapter_missed_a_change()  # the fit failed: not up to date, whatever it was fitted on
    monkeypatch.undo()
    index.refit()
    assert not index.adapter_missed_a_change()
    monkeypatch.setattr(index.store, "teaching_fingerprint", lambda: (_ for _ in ()).throw(OSError("down")))
    assert index.adapter_missed_a_change() is False  # asked at start-up: never raises
