"""SQLite with an orderly queue for writers.

Every transaction here begins with BEGIN IMMEDIATE (settings: transaction_mode), so it takes
SQLite's write lock at its start. While the lock is taken, SQLite's busy handler makes the other
writers sleep and retry in growing steps (1, 2, 5, 10 … 100 ms): under a workshop's autosaves the
threads that keep losing that race sleep for tens to hundreds of milliseconds although the lock
is held for a few milliseconds (bench/README.md: save p99 350 ms at 300 users). So before BEGIN
a writer takes its turn at the database file's turnstile, in two steps: the threads of one server
process queue on a lock of that process, and the one thread at its head takes an exclusive
flock() of a file next to the database, shared by all server processes on the machine (SQLite
needs one machine anyway). Both hand the turn on the moment it is given back — at COMMIT or
ROLLBACK, when the connection closes, or when the process ends — without the busy handler's
sleeps. (Polling a non-blocking flock instead was measured: save p95 at 400 users 78 → 137 ms,
more CPU.)

The whole wait is bounded by the busy timeout (OPTIONS["timeout"]), after which the writer gets
"database is locked", as with SQLite's own locking: the process lock with a timeout, and the
flock() — which has no timeout of its own — is taken without blocking when it is free, or else
by a helper thread of the turnstile while the writer waits at most the rest of its time (a turn
granted after the writer gave up is handed back at once).

One turnstile per database file and process: a second database (another alias) has its own.
After fork() the child starts with no turnstiles (never the parent's locks or file). A read-only
transaction queues like any other: BEGIN IMMEDIATE takes SQLite's write lock for it anyway, so
queueing it only orders what SQLite would make wait. Writes outside a transaction (a single
UPDATE) do not queue; SQLite's busy handler still covers them. If the turn file cannot be opened
(another owner), the queue is skipped with a warning and SQLite's own locking alone applies.
"""

import contextlib
import fcntl
import logging
import os
import queue
import threading
import time
import weakref

from django.db import OperationalError
from django.db.backends.sqlite3 import base, creation

logger = logging.getLogger(__name__)

TURN_FILE_SUFFIX = "-writers"


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        super()._destroy_test_db(test_database_name, verbosity)
        if test_database_name and not self.is_in_memory_db(test_database_name):
            forget_turnstile(f"{test_database_name}{TURN_FILE_SUFFIX}")
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{test_database_name}{TURN_FILE_SUFFIX}")


class _Request:
    """One writer's wait for the flock, handed to the turnstile's helper thread."""

    def __init__(self):
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.granted = False
        self.abandoned = False
        self.error = None


class Turnstile:
    """The writer queue of one database file in this process."""

    def __init__(self, path: str, fd: int):
        self.path = path
        self.fd = fd
        self.process_turn = threading.Lock()
        self._requests = queue.SimpleQueue()
        self._unfinished = 0  # requests the helper thread has not finished yet
        self._unfinished_lock = threading.Lock()
        self._helper = None

    def take(self, timeout: float):
        """Wait for the turn, at most `timeout` seconds in all."""
        deadline = time.monotonic() + timeout
        if not self.process_turn.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            self._take_flock(deadline)
        except BaseException:
            self.process_turn.release()
            raise

    def give_back(self):
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.process_turn.release()

    def _take_flock(self, deadline: float):
        # The helper may still be waiting for a turn that a writer gave up on: then this writer
        # queues behind it (a flock() taken here meanwhile would be given back by the helper).
        with self._unfinished_lock:
            queued = self._unfinished > 0
        if not queued:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
        request = _Request()
        with self._unfinished_lock:
            self._unfinished += 1
        self._start_helper()
        self._requests.put(request)
        request.done.wait(max(0.0, deadline - time.monotonic()))
        with request.lock:
            if request.error is not None:
                raise request.error
            if request.granted:
                return
            request.abandoned = True
        raise OperationalError("database is locked")

    def _start_helper(self):
        if self._helper is None or not self._helper.is_alive():
            self._helper = threading.Thread(
                target=self._serve, name=f"sqlite-turnstile {self.path}", daemon=True
            )
            self._helper.start()

    def _serve(self):
        while True:
            request = self._requests.get()
            error = None
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            except OSError as exc:
                error = OperationalError(f"database is locked ({exc})")
            with request.lock:
                if error is not None:
                    request.error = error
                elif request.abandoned:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)  # the writer gave up: hand it on
                else:
                    request.granted = True
            # Only now: until the abandoned turn is handed on, a writer of this process must
            # not take the flock itself (it is the same open file: it would seem to succeed).
            with self._unfinished_lock:
                self._unfinished -= 1
            request.done.set()


_turnstiles: dict[str, Turnstile] = {}
_turnstiles_lock = threading.Lock()


def turnstile_for(path: str) -> Turnstile | None:
    with _turnstiles_lock:
        turnstile = _turnstiles.get(path)
        if turnstile is None:
            try:
                # Read-only is enough for flock(), and lets every user who can use the
                # database take turns, whoever created the file.
                fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                logger.warning("SQLite writer queue off: cannot open %s (%s)", path, error)
                return None
            turnstile = _turnstiles[path] = Turnstile(path, fd)
        return turnstile


def forget_turnstile(path: str):
    with _turnstiles_lock:
        turnstile = _turnstiles.pop(path, None)
    if turnstile is not None:
        with contextlib.suppress(OSError):
            os.close(turnstile.fd)


def _after_fork_in_child():
    # The child must never use the parent's locks (one may have been held at fork time) nor
    # its turn file: flock() belongs to the open file, which the child shares with the parent,
    # so unlocking it here would hand the parent's turn away. Fresh turnstiles on first use.
    global _turnstiles_lock
    _turnstiles_lock = threading.Lock()
    for turnstile in _turnstiles.values():
        with contextlib.suppress(OSError):
            os.close(turnstile.fd)
    _turnstiles.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _give_back_if_held(turnstile: Turnstile, state: dict):
    if state["held"]:  # a connection dropped halfway through a transaction
        state["held"] = False
        turnstile.give_back()


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    _turnstile = None

    def _turn_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() or not name else name + TURN_FILE_SUFFIX

    def _get_turnstile(self) -> Turnstile | None:
        path = self._turn_path()
        if path is None:
            return None
        turnstile = turnstile_for(path)
        if turnstile is not self._turnstile:  # first use, or a new one after fork()
            self._turnstile = turnstile
            self._turn = {"held": False}
            if turnstile is not None:
                # Also for a connection object that is dropped without close().
                weakref.finalize(self, _give_back_if_held, turnstile, self._turn)
        return turnstile

    def _start_transaction_under_autocommit(self):
        turnstile = self._get_turnstile()
        if turnstile is not None:
            turnstile.take(timeout=self.settings_dict["OPTIONS"].get("timeout", 5))
            self._turn["held"] = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_back_turn()
            raise

    def _set_autocommit(self, autocommit):
        try:
            super()._set_autocommit(autocommit)
        finally:
            if autocommit:  # the transaction ended: committed or rolled back
                self._give_back_turn()

    def _close(self):
        try:
            super()._close()
        finally:
            self._give_back_turn()

    def _give_back_turn(self):
        if self._turnstile is not None and self._turn["held"]:
            self._turn["held"] = False
            self._turnstile.give_back()
