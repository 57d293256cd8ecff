"""Settings come from the environment; bad values fail at start-up with a clear message; the real
services are in use whenever they are configured (as in CI)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from flowpilot.env import broker_url, database_config, env_bool, redact_url, redis_url

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_on_the_real_services():
    if os.environ.get("CI"):
        assert os.environ.get("DATABASE_URL", "").startswith("postgres"), "CI must run on PostgreSQL"
        assert os.environ.get("REDIS_URL", "").startswith("redis"), "CI must run on Redis"


@pytest.mark.django_db
def test_the_database_is_the_configured_one():
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_the_cache_is_the_configured_one():
    expected = "RedisCache" if os.environ.get("REDIS_URL") else "LocMemCache"
    cache = caches["default"]
    assert type(cache).__name__ == expected
    cache.set("settings-probe", {"ok": True}, 30)
    assert cache.get("settings-probe") == {"ok": True}
    cache.delete("settings-probe")


def test_celery_is_eager_only_without_a_broker():
    broker = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not broker)
    assert settings.CELERY_BROKER_URL == (broker or "")


def test_postgres_connections_are_kept_open_between_requests():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60


def test_env_bool_accepts_the_usual_spellings_and_refuses_the_rest(monkeypatch):
    for raw, expected in (("1", True), ("True", True), ("on", True), ("0", False), ("no", False), ("", False)):
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG") is expected
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG")


def test_database_config_refuses_unsupported_urls_without_leaking_the_password():
    with pytest.raises(ImproperlyConfigured) as caught:
        database_config("mysql://app:s3cret@db/flowpilot", conn_max_age=0)
    assert "postgres://" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        database_config("postgres://app@db", conn_max_age=0)
    assert database_config("postgres://app@db:5433/fp", conn_max_age=60)["PORT"] == 5433


def test_redis_url_must_be_a_redis_url():
    assert redis_url("REDIS_URL", "redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be a redis://"):
        redis_url("REDIS_URL", "127.0.0.1:6379")
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be"):
        redis_url("REDIS_URL", "amqp://guest:guest@127.0.0.1:5672//")


def test_the_broker_may_be_redis_or_rabbitmq():
    assert broker_url("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//").startswith("amqp://")
    assert broker_url("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    with pytest.raises(ImproperlyConfigured, match=r"CELERY_BROKER_URL must be a redis://.* or amqps:// URL"):
        broker_url("CELERY_BROKER_URL", "sqs://queue")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "oracle://db/x", "DATABASE_URL must start with"),
        ("REDIS_URL", "localhost", "REDIS_URL must be a redis://"),
        ("DEBUG", "perhaps", "DEBUG='perhaps' is not a boolean"),
        ("FLOWPILOT_HANDOFF_POLL_SECONDS", "0", "FLOWPILOT_HANDOFF_POLL_SECONDS must be 1 or more"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(variable, value, message):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env[variable] = value
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_production_needs_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_url_shown_in_a_message_hides_only_a_password():
    assert redact_url("postgres://app:s3cret@db:5432/fp") == "postgres://app:***@db:5432/fp"
    assert redact_url("postgres://app@db:5432/fp") == "postgres://app@db:5432/fp"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
