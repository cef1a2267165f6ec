"""SQLite's writer queue (actiescan/db/base.py): concurrent transactions wait their turn instead
of sleeping in SQLite's busy handler or failing, and every way a transaction ends gives the turn
back. Real threads with their own connections on the real test database file."""

import os
import threading
import time

import pytest
from django.conf import settings
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


# --- Several processes, several files, fork ----------------------------------------------------

HOLD_AND_WRITE = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "actiescan.settings")
django.setup()
from django.db import connection, transaction, OperationalError
from sessions.models import Initiative
connection.settings_dict["OPTIONS"]["timeout"] = float(sys.argv[2])
started = time.monotonic()
try:
    with transaction.atomic():
        Initiative.objects.create(name=sys.argv[1])
        print("inside", time.monotonic() - started, flush=True)
        if sys.argv[3] == "until-told":
            sys.stdin.readline()
    print("committed", time.monotonic() - started, flush=True)
except OperationalError as error:
    print("refused", time.monotonic() - started, error, flush=True)
"""


def run_writer(name, *, timeout, hold=""):
    import subprocess
    import sys

    env = {**os.environ, "SQLITE_PATH": str(connection.settings_dict["NAME"])}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WRITE, name, str(timeout), hold],
        cwd=settings.BASE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )


def test_writers_in_two_server_processes_take_turns_and_a_stuck_one_does_not_hang_the_other():
    holder = run_writer("Proces een", timeout=20, hold="until-told")
    assert holder.stdout.readline().startswith("inside")
    # A second process with a short busy timeout: refused after it, not stuck for ever.
    impatient = run_writer("Ongeduldig", timeout=1)
    out, err = impatient.communicate(timeout=30)
    assert out.startswith("refused"), out + err
    assert 0.8 <= float(out.split()[1]) < 2.4  # bounded by its own timeout, not the holder's
    # A patient one waits its turn and is stored after the first commits.
    patient = run_writer("Geduldig", timeout=20)
    time.sleep(1)
    holder_out, holder_err = holder.communicate("commit\n", timeout=30)
    assert "committed" in holder_out, holder_out + holder_err
    out, err = patient.communicate(timeout=30)
    assert out.startswith("inside"), out + err
    names = set(Initiative.objects.values_list("name", flat=True))
    assert {"Proces een", "Geduldig"} <= names and "Ongeduldig" not in names


def other_database(path, timeout=1):
    """Another connection object for a database file (not a registered alias: tests may open
    those), with its own busy timeout."""
    from actiescan.db.base import DatabaseWrapper

    return DatabaseWrapper({
        **connection.settings_dict, "NAME": str(path),
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "timeout": timeout},
    }, alias="other")


def begin(db):
    """BEGIN (IMMEDIATE) on `db` the way transaction.atomic() does it: after the writer's turn."""
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def commit(db):
    db.commit()
    db.set_autocommit(True)


def test_a_second_database_file_has_its_own_queue(tmp_path):
    other = other_database(tmp_path / "andere.sqlite3")
    try:
        with other.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x integer)")
        with transaction.atomic():
            Initiative.objects.create(name="In de eerste database")
            started = time.monotonic()
            # A transaction on the other file, in the same thread: its own turn, no wait (with
            # one queue for both it would wait here until its timeout and fail).
            begin(other)
            with other.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (1)")
            commit(other)
            assert time.monotonic() - started < 0.5
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            assert cursor.fetchone()[0] == 1
    finally:
        other.close()


def test_a_forked_process_never_takes_or_gives_away_the_parents_turn(tmp_path):
    """After fork() the child has its own turnstile: while the parent holds the turn the child
    waits (and is refused after its timeout), the parent's turn stays the parent's, and once the
    parent gives it back the child gets it (a lock inherited in the held state would keep the
    child out for ever). Checked on the turnstile itself: SQLite forbids using a connection
    that was open in a transaction across fork(), so a server forks before it connects."""
    import multiprocessing

    from django.db import OperationalError

    from actiescan.db.base import turnstile_for

    path = str(tmp_path / "db.sqlite3-writers")

    def try_a_turn():
        try:
            turnstile_for(path).take(timeout=1)
        except OperationalError:
            return "refused"
        turnstile_for(path).give_back()
        return "got a turn"

    def child(answers, go):
        try:
            answers.send(try_a_turn())
            go.recv()  # the parent has given its turn back
            answers.send(try_a_turn())
        except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails
            answers.send(repr(error))
        finally:
            os._exit(0)

    context = multiprocessing.get_context("fork")
    answers, child_answers = context.Pipe(duplex=False)
    child_go, go = context.Pipe(duplex=False)
    turnstile = turnstile_for(path)
    turnstile.take(timeout=1)
    process = context.Process(target=child, args=(child_answers, child_go))
    process.start()  # forked while this thread holds the turn
    assert answers.poll(15) and answers.recv() == "refused"
    # Still the parent's turn: another thread of the parent waits for it too.
    waiter, outcome = in_thread(lambda: turnstile_for(path).take(timeout=0.3))
    waiter.join(5)
    assert isinstance(outcome.get("error"), OperationalError)
    turnstile.give_back()
    go.send("go")
    assert answers.poll(15) and answers.recv() == "got a turn"
    process.join(10)
