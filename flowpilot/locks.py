"""One process at a time for a piece of work that a task queue may deliver twice."""

import uuid
from contextlib import contextmanager

from django.db import connection


@contextmanager
def exclusive_run(work_id):
    """True when no other process is running the work with this UUID. A PostgreSQL advisory lock belongs to
    its connection, so a worker that dies releases it at once; elsewhere (SQLite, one process) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = uuid.UUID(str(work_id)).int >> 65  # 63 bits: a positive bigint
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
