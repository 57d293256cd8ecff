"""Production settings (DEBUG off) leave the development tools out — the simulators, the Claude stub, the
demo data and their commands — and the app still starts and serves without them, over HTTPS only: plain HTTP
is redirected, HSTS is sent, and `manage.py check --deploy` finds nothing to warn about."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

SERVE = """
import os, sys
import django
from django.conf import settings

settings.STATIC_ROOT = os.environ["TEST_STATIC_ROOT"]
django.setup()
from django.core.management import get_commands, call_command
from django.test import Client
from django.test.utils import setup_test_environment

print("devtools installed:", "devtools" in settings.INSTALLED_APPS)
print("commands:", sorted(name for name in get_commands() if name in ("cw_simulator", "claude_stub", "seed_demo")))
if "serve" in sys.argv:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    setup_test_environment()
    client = Client()
    for path in ("/accounts/login/", "/api/schema/", "/"):
        print(path, client.get(path, secure=True).status_code)
    plain = client.get("/accounts/login/")
    print("http:", plain.status_code, plain.get("Location"))
    print("hsts:", client.get("/accounts/login/", secure=True).get("Strict-Transport-Security"))
"""


def production_environment(tmp_path, **env) -> dict:
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "production-settings-test-" + "x" * 40,
        "FLOWPILOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "ALLOWED_HOSTS": "testserver",
        "TEST_STATIC_ROOT": str(tmp_path / "static"),
    }
    for name in (
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests set it for their own process; production never does
        "FLOWPILOT_DEVTOOLS",  # production's default: DEBUG decides
        *("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"),
        *("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER"),
    ):
        environment.pop(name, None)
    environment.update(env)
    return environment


def run_with(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SERVE, *args],
        cwd=ROOT,
        env=production_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_leave_devtools_out_and_still_serve(tmp_path):
    result = run_with(tmp_path, "serve")

    assert result.returncode == 0, result.stderr
    assert "devtools installed: False" in result.stdout
    assert "commands: []" in result.stdout
    assert "/accounts/login/ 200" in result.stdout
    assert "/api/schema/ 200" in result.stdout
    assert "/ 302" in result.stdout  # the session list sends a stranger to sign in
    assert "http: 301 https://testserver/accounts/login/" in result.stdout
    assert "hsts: max-age=31536000; includeSubDomains; preload" in result.stdout


def test_the_deployment_checks_pass_without_a_warning(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_site_on_plain_http_can_turn_https_only_off(tmp_path):
    """A staging host without TLS: the environment turns the redirect, HSTS and secure cookies off."""
    off = {
        name: "0"
        for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    }
    result = run_with(tmp_path, "serve", SECURE_PROXY_SSL_HEADER="", **off)

    assert result.returncode == 0, result.stderr
    assert "http: 200 None" in result.stdout
    assert "hsts: None" in result.stdout


def test_devtools_can_be_asked_for_explicitly(tmp_path):
    """The benchmark runs production settings with its simulator process alone asking for devtools."""
    result = run_with(tmp_path, FLOWPILOT_DEVTOOLS="1")

    assert result.returncode == 0, result.stderr
    assert "devtools installed: True" in result.stdout
    assert "commands: ['claude_stub', 'cw_simulator', 'seed_demo']" in result.stdout
