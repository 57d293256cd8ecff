"""Commits as in production inside pytest-django's `db` tests.

Those tests run inside a transaction of the test case's own that is rolled back at the end, so
`transaction.on_commit` callbacks would never run there: a post enqueued on commit would never be
posted. This makes the test case's own atomic blocks invisible to `on_commit`, exactly as production has
none: a callback registered outside any atomic block of the code runs at once (autocommit), and one
registered inside runs when the code's outermost atomic block exits without an error. Tests on
`transactional_db` commit for real and are untouched.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import Atomic


def _code_blocks(connection) -> list:
    """The atomic blocks the code opened, not the test case's."""
    return [block for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False)]


def install(monkeypatch) -> None:
    real_on_commit = BaseDatabaseWrapper.on_commit
    real_exit = Atomic.__exit__

    def on_commit(connection, func, robust=False):
        if connection.in_atomic_block and not _code_blocks(connection):
            func()  # only the test's transaction is open: production would be in autocommit here
            return
        real_on_commit(connection, func, robust)

    def exit_(atomic, exc_type, exc_value, traceback):
        connection = connections[atomic.using or DEFAULT_DB_ALIAS]
        outermost = not getattr(atomic, "_from_testcase", False) and len(_code_blocks(connection)) == 1
        result = real_exit(atomic, exc_type, exc_value, traceback)
        if outermost and exc_type is None and connection.in_atomic_block:
            callbacks, connection.run_on_commit = connection.run_on_commit, []
            for _savepoints, func, _robust in callbacks:
                func()  # as after a real commit; an error propagates to the caller, as Django does
        return result

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    monkeypatch.setattr(Atomic, "__exit__", exit_)
