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
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from flowpilot.celery import app
from tests.support.ci import skip_locally_fail_in_ci
from tests.support.workers import closed_port

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT_SECONDS = 2
READY_WITHIN_SECONDS = 60  # a worker's start, on a loaded machine
PSA_READ_TIMEOUT_SECONDS = 2  # the worker's wait for a ConnectWise answer; `slow` faults outlast it


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
        """Start the worker and wait until it answers a ping: a test's clock starts with a worker consuming, not
        with one still importing Django on a loaded machine."""
        command = [sys.executable, "-m", "celery", "-A", "flowpilot", "worker", "-P", "solo", "-Q", self.queue]
        command += ["-n", f"{self.queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        command += ["-l", "WARNING"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = READY_WITHIN_SECONDS) -> None:
        hostname = f"{self.queue}@{socket.gethostname()}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {self.process.returncode} before it was ready")
            if app.control.ping(destination=[hostname], timeout=0.5):
                return
        self.kill()
        raise RuntimeError(f"The Celery worker did not answer a ping within {timeout:.0f} s")

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


@pytest.fixture
def cache_down(settings):
    """Django's cache is a Redis that refuses the connection (for this process only; a worker keeps its own)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
