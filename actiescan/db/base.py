"""SQLite with an orderly queue for writers.

Every transaction here begins with BEGIN IMMEDIATE (settings: transaction_mode), so it takes
SQLite's write lock at its start. While the lock is taken, SQLite's busy handler makes the other
writers sleep and retry in growing steps (1, 2, 5, 10 … 100 ms): under a workshop's autosaves the
threads that keep losing that race sleep for tens to hundreds of milliseconds although the lock
is held for a few milliseconds (bench/README.md: save p99 350 ms at 300 users). So before BEGIN
a writer takes its turn, in two steps: the threads of one server process queue on a lock of that
process (waiting at most the busy timeout, then "database is locked", as SQLite itself would), and
the one thread at its head waits on an exclusive flock() of a file next to the database, shared by
all server processes on the machine (SQLite needs one machine anyway). Both hand the turn on the
moment it is given back — at COMMIT or ROLLBACK, when the connection closes, or when the process
ends — without the busy handler's sleeps. (Polling a non-blocking flock instead was measured:
save p95 at 400 users 78 → 137 ms, more CPU.) Writes outside a transaction (a single UPDATE) do
not queue; SQLite's busy handler still covers them. If the turn file cannot be opened (another
owner), the queue is skipped with a warning and SQLite's own locking alone applies.
"""

import contextlib
import fcntl
import logging
import os
import threading
import weakref

from django.db import OperationalError
from django.db.backends.sqlite3 import base, creation

logger = logging.getLogger(__name__)

TURN_FILE_SUFFIX = "-writers"


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        super()._destroy_test_db(test_database_name, verbosity)
        if test_database_name and not self.is_in_memory_db(test_database_name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{test_database_name}{TURN_FILE_SUFFIX}")


# The threads of this process queue here; only the thread holding it waits on the flock().
_process_turn = threading.Lock()


def _close_turn_file(turn_file: int, state: dict):
    if state["held"]:  # a connection dropped halfway through a transaction
        state["held"] = False
        _process_turn.release()
    os.close(turn_file)  # gives back the flock as well


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    _turn_file = None  # file descriptor of the turn file, per connection (= per thread)

    def _turn_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() or not name else name + TURN_FILE_SUFFIX

    def _open_turn_file(self) -> int | None:
        if self._turn_file is None:
            path = self._turn_path()
            if path is None:
                return None
            try:
                # Read-only is enough for flock(), and lets every user who can use the
                # database take turns, whoever created the file.
                self._turn_file = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                logger.warning("SQLite writer queue off: cannot open %s (%s)", path, error)
                return None
            self._turn = {"held": False}
            # Also for a connection object that is dropped without close().
            weakref.finalize(self, _close_turn_file, self._turn_file, self._turn)
        return self._turn_file

    def _start_transaction_under_autocommit(self):
        turn_file = self._open_turn_file()
        if turn_file is not None:
            if not _process_turn.acquire(timeout=self.settings_dict["OPTIONS"].get("timeout", 5)):
                raise OperationalError("database is locked")
            self._turn["held"] = True
            try:
                fcntl.flock(turn_file, fcntl.LOCK_EX)
            except BaseException:
                self._give_back_turn()
                raise
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
        if self._turn_file is not None and self._turn["held"]:
            self._turn["held"] = False
            try:
                fcntl.flock(self._turn_file, fcntl.LOCK_UN)
            finally:
                _process_turn.release()
