"""Background work as on the embedded defaults: in a thread of the process, beside the request."""

import pytest
from django.db import connection as db_connection
from django.db.backends.signals import connection_created


def _readers_never_wait(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = true")


@pytest.fixture
def background_in_a_thread(settings):
    """Replies and prepared drafts run in a thread (FLOWPILOT_BACKGROUND_IN=thread), as `make run` runs them.

    On SQLite the test database lives in memory in shared-cache mode: the live server's request threads share
    the test's connection while the background thread opens its own, and shared-cache table locks do not wait
    for each other. A page reading the transcript while a reply writes its text so far would fail with "database
    table is locked" (a file database, as in production, waits instead). Reading uncommitted rows takes no
    table lock, so here, as there, a read never fails because something is being written."""
    settings.FLOWPILOT_BACKGROUND_IN = "thread"
    if db_connection.vendor != "sqlite":
        yield
        return
    connection_created.connect(_readers_never_wait)
    _readers_never_wait(None, db_connection)
    yield
    connection_created.disconnect(_readers_never_wait)
    with db_connection.cursor() as cursor:  # the test's connection outlives the test
        cursor.execute("PRAGMA read_uncommitted = false")
