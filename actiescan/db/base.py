"""SQLite with an orderly queue for writers.

Every transaction here begins with BEGIN IMMEDIATE (settings: transaction_mode), so it takes
SQLite's write lock at its start. While the lock is taken, SQLite's busy handler makes the other
writers sleep and retry in growing steps (1, 2, 5, 10 … 100 ms): under a workshop's autosaves the
threads that keep losing that race sleep for tens to hundreds of milliseconds although the lock
is held for a few milliseconds (bench/README.md: save p99 350 ms at 300 users). So before BEGIN
a writer takes its turn from an exclusive flock() on a file next to the database. It is shared
by all threads and all server processes on the machine (SQLite needs one machine anyway); the
kernel wakes a waiting writer the moment the turn is given back, at COMMIT or ROLLBACK, or when
the holder's connection or process ends. flock() releases the GIL while it waits.
"""

import contextlib
import fcntl
import os

from django.db.backends.sqlite3 import base, creation

TURN_FILE_SUFFIX = "-writers"


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        super()._destroy_test_db(test_database_name, verbosity)
        if test_database_name and not self.is_in_memory_db(test_database_name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{test_database_name}{TURN_FILE_SUFFIX}")


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    _turn_file = None  # file descriptor of the turn file, per connection (= per thread)
    _has_turn = False

    def _turn_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        return None if self.is_in_memory_db() or not name else name + TURN_FILE_SUFFIX

    def _start_transaction_under_autocommit(self):
        path = self._turn_path()
        if path:
            if self._turn_file is None:
                self._turn_file = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._turn_file, fcntl.LOCK_EX)
            self._has_turn = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_back_turn()
            raise

    def _set_autocommit(self, autocommit):
        super()._set_autocommit(autocommit)
        if autocommit:  # the transaction ended: committed or rolled back
            self._give_back_turn()

    def _close(self):
        try:
            super()._close()
        finally:
            self._give_back_turn()
            if self._turn_file is not None:
                os.close(self._turn_file)
                self._turn_file = None

    def _give_back_turn(self):
        if self._has_turn:
            self._has_turn = False
            fcntl.flock(self._turn_file, fcntl.LOCK_UN)
