"""A bounded fuzz run of the save and sync endpoints (bench/fuzz.py) in CI: 300 random and
mutated requests with a fixed seed, as moderator, notulist and phone; not one 5xx."""

from bench import fuzz


def test_300_fuzzed_requests_get_no_server_error(running_session, moderator, notulist):
    counts, failures = fuzz.fuzz(session=running_session, moderator=moderator,
                                 notulist=notulist, requests=300, seed=13)
    assert sum(counts.values()) == 300
    assert failures == [], fuzz.summary(counts)
    # The run reached the views, not only the refusals: saves were stored and syncs answered.
    assert counts[("save", 200)] > 0 and counts[("sync", 200)] > 0
    assert counts[("phone sync", 200)] > 0
