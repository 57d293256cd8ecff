"""Tiny helpers that read settings from the environment and fail loudly on a bad value."""

import binascii
import os
from base64 import urlsafe_b64decode

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int)


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float)


def _env_number(name: str, default, kind):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a {kind.__name__}.") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name}={raw!r} must not be negative.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_config(url: str, *, conn_max_age: int) -> dict:
    """Parse DATABASE_URL; only PostgreSQL and SQLite are supported."""
    if not url.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres://, postgresql:// or sqlite:// (got {redact_url(url)!r})."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (expected …/dbname at the end).")
    return config


def _url_with_scheme(name: str, value: str, schemes: tuple[str, ...]) -> str:
    if value and not value.startswith(schemes):
        shown = ", ".join(schemes[:-1]) + f" or {schemes[-1]}"
        raise ImproperlyConfigured(f"{name} must be a {shown} URL (got {redact_url(value)!r}).")
    return value


def redis_url(name: str, value: str) -> str:
    return _url_with_scheme(name, value, ("redis://", "rediss://", "unix://"))


def broker_url(name: str, value: str) -> str:
    """Celery's broker: Redis, or RabbitMQ over AMQP."""
    return _url_with_scheme(name, value, ("redis://", "rediss://", "unix://", "amqp://", "amqps://"))


def redact_url(url: str) -> str:
    """Hide a password in a URL before it goes into an error message."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}{':***' if has_password else ''}@{host}"


def is_fernet_key(value: str) -> bool:
    try:
        return len(urlsafe_b64decode(value.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def env_proxy_ssl_header(name: str, default: str) -> tuple[str, str] | None:
    """Django's SECURE_PROXY_SSL_HEADER from "Header-Name: value" (`X-Forwarded-Proto: https`); empty → None,
    for a site reached without a proxy, where no client may claim HTTPS with a header of its own."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return None
    header, sep, value = raw.partition(":")
    header, value = header.strip(), value.strip()
    if not sep or not header or not value or not all(char.isalnum() or char == "-" for char in header):
        raise ImproperlyConfigured(
            f"{name}={raw!r} must read 'Header-Name: value' (X-Forwarded-Proto: https), or be empty."
        )
    return "HTTP_" + header.upper().replace("-", "_"), value
