"""What the benchmark runs on: PostgreSQL and Redis, which must already be up, and the processes it
starts itself on free loopback ports (gunicorn, a Celery worker, the PSA simulators)."""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url
import psycopg
import redis
import requests
from cryptography.fernet import Fernet
from psycopg import sql

from flowpilot.env import redact_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/flowpilot_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


# How long a process may take to answer its first request: gunicorn's workers all import Django at once, which on
# a busy two-core machine has taken more than 30 s.
BOOT_SECONDS = 90


class ServiceMissing(Exception):
    pass


def _missing(service: str, url: str, variable: str, default: str, error: Exception) -> ServiceMissing:
    """What went wrong, and how to fix it: start the service where the URL points, or point elsewhere."""
    if url == default:
        fix = f"Start it (on this kind of machine: {HOW_TO_START[service]}), or point {variable} at one."
    else:
        fix = f"Start {service} where {variable} points, or unset {variable} to use {redact_url(default)}."
    return ServiceMissing(f"make bench needs {service} at {redact_url(url)}: {error}\n  {fix}")


def database_ready(url: str) -> None:
    """PostgreSQL reachable, and the bench's own database created if it is missing."""
    try:
        config = dj_database_url.parse(url)
    except ValueError as error:
        raise ServiceMissing(f"BENCH_DATABASE_URL is not a database URL ({error}): {redact_url(url)}") from None
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ServiceMissing(f"BENCH_DATABASE_URL must be a PostgreSQL URL (postgres://…), not {redact_url(url)}")
    server = {"host": config["HOST"] or "127.0.0.1", "port": config["PORT"] or 5432, "user": config["USER"]}
    if config["PASSWORD"]:
        server["password"] = config["PASSWORD"]
    try:
        with psycopg.connect(dbname="postgres", connect_timeout=3, autocommit=True, **server) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
            if not exists:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    except psycopg.OperationalError as error:
        message = " ".join(str(error).split())
        if any(sign in message for sign in ("Connection refused", "Is the server running", "timeout expired")):
            raise _missing("PostgreSQL", url, "BENCH_DATABASE_URL", DEFAULT_DATABASE_URL, "nothing answers") from None
        raise ServiceMissing(f"PostgreSQL at {redact_url(url)} refused the bench: {message}") from None
    except psycopg.Error as error:  # e.g. no right to create the database
        raise ServiceMissing(f"PostgreSQL at {redact_url(url)} refused the bench: {error}") from None


def redis_ready(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except ValueError as error:
        raise ServiceMissing(f"BENCH_REDIS_URL is not a Redis URL ({error}): {redact_url(url)}") from None
    except redis.RedisError as error:
        raise _missing("Redis", url, "BENCH_REDIS_URL", DEFAULT_REDIS_URL, error) from None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_environment(*, database_url: str, redis_url: str, claude_url: str, run_id: str, static_root: Path) -> dict:
    """The environment of every process of the run: production settings (DEBUG off) on the real services."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FLOWPILOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "BENCH_QUEUE": f"flowpilot-bench-{run_id}",
        "FLOWPILOT_CACHE_KEY_PREFIX": f"flowpilot-bench-{run_id}",
        "FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS": "1",  # the simulator is on loopback
        "ANTHROPIC_API_KEY": "bench-stub-key",
        "ANTHROPIC_BASE_URL": claude_url,
        "BENCH_STATIC_ROOT": str(static_root),
        "PYTHONUNBUFFERED": "1",
    }


class Process:
    """A child process with its output in a log file, stopped for sure when the run ends."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_http(self, url: str, timeout: float = BOOT_SECONDS) -> None:
        """Wait until something answers at `url`; a process that never does is stopped (the caller never gets
        it to stop) before the error is raised."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self.log_path}")
            try:
                requests.get(url, timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer at {url} within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def gunicorn(env: dict, log_dir: Path, *, port: int, workers: int, threads: int) -> Process:
    command = [str(BIN / "gunicorn"), "flowpilot.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads)]
    command += ["--keep-alive", "5", "--log-level", "warning"]
    process = Process(f"gunicorn-{workers}x{threads}", command, env, log_dir)
    process.wait_http(f"http://127.0.0.1:{port}/accounts/login/")
    return process


def celery_worker(env: dict, log_dir: Path, *, concurrency: int) -> Process:
    command = [str(BIN / "celery"), "-A", "flowpilot", "worker", "--pool", "prefork"]
    command += ["--concurrency", str(concurrency), "--queues", env["BENCH_QUEUE"], "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return Process("celery", command, env, log_dir)


def simulator(env: dict, log_dir: Path, *, command: str, port: int) -> Process:
    """A PSA simulator served by its manage.py command (`cw_simulator`, `autotask_simulator`, `halo_simulator`)."""
    # The simulators are development tools: their commands exist only where devtools is installed.
    arguments = [sys.executable, "manage.py", command, "--port", str(port)]
    process = Process(command.replace("_", "-"), arguments, {**env, "FLOWPILOT_DEVTOOLS": "1"}, log_dir)
    process.wait_http(f"http://127.0.0.1:{port}/__simulator/state")
    return process
