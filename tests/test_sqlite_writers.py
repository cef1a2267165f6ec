"""SQLite's writer queue (actiescan/db/base.py): concurrent transactions wait their turn instead
of sleeping in SQLite's busy handler or failing, and every way a transaction ends gives the turn
back. Real threads with their own connections on the real test database file."""

import threading
import time

import pytest
from django.db import connection, transaction

from sessions.models import Initiative

from .helpers import in_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the writer queue is SQLite's"),
]


def test_a_second_writer_waits_for_the_first_to_commit_and_both_are_stored():
    """What users rely on: concurrent saves wait their turn and are all stored, none fails with
    "database is locked". (SQLite's own locking gives the same order, only with longer sleeps:
    the speed is measured in bench/, not here.)"""
    inside, release = threading.Event(), threading.Event()
    times = {}

    def first():
        with transaction.atomic():
            Initiative.objects.create(name="Eerste")
            inside.set()
            release.wait(5)
            times["first_commits"] = time.monotonic()

    def second():
        with transaction.atomic():
            times["second_begins"] = time.monotonic()
            Initiative.objects.create(name="Tweede")
            return Initiative.objects.filter(name="Eerste").exists()

    one, one_outcome = in_thread(first)
    assert inside.wait(5)
    two, two_outcome = in_thread(second)
    time.sleep(0.3)
    assert two.is_alive()  # waiting for its turn, not failing with "database is locked"
    release.set()
    one.join(5)
    two.join(5)
    assert "error" not in one_outcome and "error" not in two_outcome
    assert times["second_begins"] >= times["first_commits"]
    assert two_outcome["value"] is True  # it began after the first had committed
    assert set(Initiative.objects.values_list("name", flat=True)) >= {"Eerste", "Tweede"}


def test_a_rolled_back_transaction_gives_the_turn_back():
    def failing():
        with transaction.atomic():
            Initiative.objects.create(name="Teruggedraaid")
            raise ValueError("fout halverwege")

    thread, outcome = in_thread(failing)
    thread.join(5)
    assert isinstance(outcome["error"], ValueError)
    # The failed thread keeps its connection open (persistent connections); the turn must
    # not stay with it.
    with transaction.atomic():
        Initiative.objects.create(name="Daarna")
    assert not Initiative.objects.filter(name="Teruggedraaid").exists()
    assert Initiative.objects.filter(name="Daarna").exists()


def test_a_connection_closed_inside_a_transaction_gives_the_turn_back():
    holder_started, holder_done = threading.Event(), threading.Event()

    def close_halfway():
        try:
            with transaction.atomic():
                Initiative.objects.create(name="Afgebroken")
                holder_started.set()
                connection.close()  # e.g. a worker that is shut down mid-request
        except Exception:  # noqa: BLE001 - Django refuses to commit a closed connection
            pass
        holder_done.set()
        time.sleep(2)  # stay alive: the turn must not depend on the thread ending

    thread, _ = in_thread(close_halfway)
    assert holder_started.wait(5) and holder_done.wait(5)
    writer, outcome = in_thread(lambda: Initiative.objects.create(name="Na het sluiten").pk)

    def atomic_write():
        with transaction.atomic():
            return Initiative.objects.create(name="In een transactie").pk

    atomic_writer, atomic_outcome = in_thread(atomic_write)
    writer.join(5)
    atomic_writer.join(5)
    assert not atomic_writer.is_alive(), "the turn stayed with the closed connection"
    assert "value" in outcome and "value" in atomic_outcome
    thread.join(5)


def test_waiting_for_a_turn_ends_after_the_busy_timeout_like_sqlite(monkeypatch):
    """A stuck transaction must not hang every other writer for ever: after the busy timeout the
    waiting writer fails with "database is locked", as with SQLite's own locking."""
    from django.db import OperationalError

    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 1)
    inside, release = threading.Event(), threading.Event()

    def stuck():
        with transaction.atomic():
            Initiative.objects.create(name="Vastgelopen")
            inside.set()
            release.wait(20)

    holder, _ = in_thread(stuck)
    try:
        assert inside.wait(5)
        started = time.monotonic()

        def write():
            with transaction.atomic():
                Initiative.objects.create(name="Wacht op zijn beurt")

        writer, outcome = in_thread(write)
        writer.join(10)
        assert not writer.is_alive(), "the writer waited for ever"
        assert isinstance(outcome.get("error"), OperationalError)
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join(10)
    assert not Initiative.objects.filter(name="Wacht op zijn beurt").exists()
