"""Tests that need a real service: skipped with the reason on a bare machine, failed under CI."""

import os

import pytest
from django.db import connection


def skip_locally_fail_in_ci(reason: str) -> None:
    """A test that needs a real service: skipped with the reason on a bare machine, failed under CI
    (.ci/run sets CI=true and provides PostgreSQL and Redis), so nothing silently skips there."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_postgresql(what: str) -> None:
    """Row locks and advisory locks are PostgreSQL's."""
    if connection.vendor != "postgresql":
        skip_locally_fail_in_ci(f"{what} needs PostgreSQL (set DATABASE_URL, or run .ci/run)")
