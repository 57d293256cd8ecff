"""The reliability suite's tools: a real Celery worker process, the services it depends on taken
down, and the post-and-wait steps every test takes.

The worker is `celery -A flowpilot worker` in a subprocess, pointed at this test run's database and
at a queue of its own, so parallel test workers never take each other's tasks. It needs a database
two processes can share, and a broker: PostgreSQL and Redis, as `.ci/run` provides. Locally, with
nothing set, these tests are skipped with that reason; under CI a missing service fails them.
Its retries back off from 0.2 s and it gives a ConnectWise call 2 s to answer, so a fault costs
a test a second or two, not minutes.
"""

import os
import signal
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from flowpilot.celery import app
from tests.conftest import skip_locally_fail_in_ci, wait_for

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT_SECONDS = 2
PSA_READ_TIMEOUT_SECONDS = 2  # the worker's wait for a ConnectWise answer; `slow` faults outlast it

RESOLUTION_TEXT = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."
ESCALATION_TEXT = (
    "## Problem\n\nA.\n\n## What we've confirmed\n\n- B\n\n## What we've tried\n\nC.\n\n## Current hypothesis\n\nD."
    "\n\n## Suggested next steps\n\n1. E."
)
TEXTS = {"resolution": RESOLUTION_TEXT, "escalation": ESCALATION_TEXT}


def _require_services():
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL)")
    if not settings.CELERY_BROKER_URL:
        missing.append("a broker (REDIS_URL or CELERY_BROKER_URL)")
    if missing:
        skip_locally_fail_in_ci(f"a real Celery worker needs {' and '.join(missing)}; .ci/run provides them")


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """Start, kill and restart `celery worker` processes consuming one queue."""

    def __init__(self, queue: str, extra_env: dict | None = None):
        self.queue = queue
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "REDIS_URL": settings.REDIS_URL,
            "FLOWPILOT_CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
            "FLOWPILOT_ENCRYPTION_KEY": settings.FLOWPILOT_ENCRYPTION_KEY,
            "FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS": "1",
            "FLOWPILOT_POST_RETRY_BASE_SECONDS": "0.2",
            "FLOWPILOT_PSA_READ_TIMEOUT_SECONDS": str(PSA_READ_TIMEOUT_SECONDS),
            "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
            "CELERY_UNACKED_RESTORE_INTERVAL_SECONDS": "1",
            "DEBUG": "1",
            **(extra_env or {}),
        }

    def start(self) -> "Worker":
        command = [sys.executable, "-m", "celery", "-A", "flowpilot", "worker", "-P", "solo", "-Q", self.queue]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        return self

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no ack, the task stays unacknowledged on the broker."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """The test is over: a warm shutdown, cut short. On RabbitMQ an idle worker did not exit within 10 s
        of SIGTERM (or SIGQUIT) here; waiting for it would only slow the suite."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_env():
    """Extra environment for the worker process; a test overrides this fixture to add to it."""
    return {}


@contextmanager
def _tasks_to(queue: str):
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_always_eager = True
        app.conf.task_default_queue = "celery"


def _new_queue() -> str:
    return f"flowpilot-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def celery_worker(transactional_db, worker_env):
    """A worker process of this test's own (to kill, or with its own environment)."""
    _require_services()
    queue = _new_queue()
    worker = Worker(queue, worker_env).start()
    try:
        with _tasks_to(queue):
            yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="session")
def _shared_worker(django_db_setup):
    _require_services()
    worker = Worker(_new_queue()).start()
    yield worker
    worker.stop()


@pytest.fixture
def shared_celery_worker(transactional_db, _shared_worker):
    """One worker process for every test of this test process that needs no worker of its own."""
    with _tasks_to(_shared_worker.queue):
        yield _shared_worker


# Posting through the API and waiting for the worker


def post(client, session, kind: str = "resolution", markdown: str | None = None):
    """Confirm & post through the REST API; the response as it came."""
    url = reverse(f"api-{kind}-post", args=[session.pk])
    return client.post(url, {"markdown": markdown or TEXTS[kind]}, format="json")


def finished(client, handoff_id) -> dict | None:
    body = client.get(reverse("api-handoff", args=[handoff_id])).json()
    return body if body["state"] in ("succeeded", "failed") else None


def wait_until_finished(client, handoff_id, *, timeout: float = 60) -> dict:
    return wait_for(lambda: finished(client, handoff_id), timeout=timeout, what="the handoff to finish")


def queue(client, session, kind: str = "resolution", markdown: str | None = None) -> dict:
    """Confirm & post, which must be accepted (202); the queued handoff."""
    queued = post(client, session, kind, markdown)
    assert queued.status_code == 202, queued.json()
    return queued.json()


def post_and_wait(client, session, kind: str = "resolution", markdown: str | None = None) -> dict:
    return wait_until_finished(client, queue(client, session, kind, markdown)["id"])


def retry_and_wait(client, handoff_id) -> dict:
    retried = client.post(reverse("api-handoff-retry", args=[handoff_id]), format="json")
    assert retried.status_code == 202, retried.json()
    return wait_until_finished(client, handoff_id)


# Services taken down


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _publish_to(broker_url: str) -> None:
    app.conf.broker_url = broker_url
    app._after_fork()  # Celery's own reset of its connection and producer pools: the next publish reconnects


@contextmanager
def broker_unreachable():
    """Tasks published meanwhile go to a Redis broker that refuses the connection; then back to the real one."""
    real = app.conf.broker_url
    _publish_to(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        yield
    finally:
        _publish_to(real)


@pytest.fixture
def cache_down(settings):
    """Django's cache is a Redis that refuses the connection (for this process only; a worker keeps its own)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
