"""Shared fixtures: alice (admin of Acme, account A), bob (engineer at Acme) and charlie (admin of
Globex, account B). API clients authenticate with real tokens."""

import os
import socket
import uuid

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.services import account_create, member_create
from sessions import services
from sessions.models import Fact
from tests.dns import FakeDns

PASSWORD = "correct-horse-battery"

PARAMETER_SCHEMA = {
    "parameters": [
        {"key": "share", "label": "Share path", "field_type": "text", "required": True},
        {"key": "letter", "label": "Drive letter", "field_type": "select", "required": True, "options": ["S", "X"]},
        {"key": "password", "label": "Password", "field_type": "password", "required": True},
        {"key": "retries", "label": "Retries", "field_type": "number", "required": False},
    ]
}
TEMPLATE_BODY = "net use {{ letter }}: {{ share }} /user:svc {{ password }} # retries={{ retries }}"


def pytest_configure(config):
    # Parallel workers, and test runs side by side, share one Redis: keep their cache keys apart.
    from django.conf import settings

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    settings.CACHES["default"]["KEY_PREFIX"] = f"flowpilot-test-{run[:8]}-{worker}"
    # Hashing strength is not under test; PBKDF2's cost would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Inline retries sleep their backoff; tests keep it short (Retry-After is still honoured).
    settings.FLOWPILOT_POST_RETRY_BASE_SECONDS = 0.01
    # Tasks run inline unless a test starts a real worker (tests/reliability); CI has a broker URL set.
    from flowpilot.celery import app

    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """No test resolves a name through real DNS (the PSA site-URL guard looks names up): names the fake
    knows answer as it says, `localhost` and literal addresses as usual, and any other name not at all."""
    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def account_a(db):
    return account_create(name="Acme MSP", admin_username="alice", admin_password=PASSWORD)


@pytest.fixture
def account_b(db):
    return account_create(name="Globex MSP", admin_username="charlie", admin_password=PASSWORD)


@pytest.fixture
def alice(account_a):
    return account_a.memberships.get(user__username="alice").user


@pytest.fixture
def bob(account_a):
    return member_create(account=account_a, username="bob", password=PASSWORD, role=Membership.Role.ENGINEER).user


@pytest.fixture
def charlie(account_b):
    return account_b.memberships.get(user__username="charlie").user


def api_client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def web_client_for(user, **options) -> Client:
    """A browser-like client signed in as `user` (a session cookie; `options` such as enforce_csrf_checks)."""
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def alice_web(alice):
    return web_client_for(alice)


@pytest.fixture
def bob_web(bob):
    return web_client_for(bob)


@pytest.fixture
def charlie_web(charlie):
    return web_client_for(charlie)


@pytest.fixture
def alice_api(alice):
    return api_client_for(alice)


@pytest.fixture
def bob_api(bob):
    return api_client_for(bob)


@pytest.fixture
def charlie_api(charlie):
    return api_client_for(charlie)


@pytest.fixture
def anon_api(db):
    return APIClient()


@pytest.fixture
def session_a(account_a, bob):
    """Bob's open session at Acme, linked to ticket 1001."""
    return services.session_create(
        account=account_a,
        user=bob,
        title="Outlook prompts for a password in a loop",
        problem_summary="Outlook keeps asking for credentials.",
        problem_domain="email",
        intake_text="User says Outlook asks for the password every few minutes.",
        psa_ticket_id=1001,
    )


@pytest.fixture
def session_b(account_b, charlie):
    return services.session_create(account=account_b, user=charlie, title="Globex VPN drops")


@pytest.fixture
def fact_a(session_a, bob):
    return services.fact_add(session=session_a, user=bob, text="Modern auth is enabled on the tenant.")


@pytest.fixture
def fix_a(session_a, bob):
    return services.fix_set(session=session_a, user=bob, title="Clear cached credentials", confidence_pct=70)


@pytest.fixture
def template_a(account_a):
    return services.template_create(
        account=account_a, name="Map drive", slug="map-drive", body=TEMPLATE_BODY, parameters_schema=PARAMETER_SCHEMA
    )


@pytest.fixture
def template_b(account_b):
    return services.template_create(
        account=account_b, name="Map drive", slug="map-drive", body=TEMPLATE_BODY, parameters_schema=PARAMETER_SCHEMA
    )


@pytest.fixture
def fact_b(session_b, charlie):
    return services.fact_add(session=session_b, user=charlie, text="Globex secret fact", source_type=Fact.SourceType.AI)


@pytest.fixture
def fix_b(session_b, charlie):
    return services.fix_set(session=session_b, user=charlie, title="Globex fix", confidence_pct=40)


# ConnectWise: the project's simulator on 127.0.0.1, and Acme connected to it


@pytest.fixture
def simulator():
    from psa.simulator import ConnectWiseSimulator

    with ConnectWiseSimulator(port=0) as sim:
        yield sim


RESOLVED_STATUS_ID = 5  # "Resolved" on the simulator's Help Desk board
ESCALATED_STATUS_ID = 4  # "Escalated - Tier 2"


@pytest.fixture
def psa_connected(settings, account_a, simulator):
    """Acme's PSA connection points at the simulator, with target statuses for both outcomes."""
    from accounts.services import account_settings_update
    from psa.services import psa_connection_save
    from psa.simulator import connection_fields

    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    connection = psa_connection_save(account=account_a, **connection_fields(simulator.url), board_id=1)
    account_settings_update(
        account=account_a,
        changes={"cw_resolved_status_id": RESOLVED_STATUS_ID, "cw_escalated_status_id": ESCALATED_STATUS_ID},
    )
    return connection


def skip_locally_fail_in_ci(reason: str) -> None:
    """A test that needs a real service: skipped with the reason on a bare machine, failed under CI
    (.ci/run sets CI=true and provides PostgreSQL and Redis), so nothing silently skips there."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_postgresql(what: str) -> None:
    """Row locks and advisory locks are PostgreSQL's."""
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_locally_fail_in_ci(f"{what} needs PostgreSQL (set DATABASE_URL, or run .ci/run)")


def post_all_at_once(user, url: str, body: dict, *, count: int = 20) -> list:
    """`count` API clients of `user` POST the same request released together at a barrier, each in
    its own thread (and database connection); returns the responses."""
    import threading

    from django.db import connection

    clients = [api_client_for(user) for _ in range(count)]
    barrier = threading.Barrier(count)
    responses = []

    def post(client):
        barrier.wait()
        try:
            responses.append(client.post(url, body, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def wait_for(predicate, *, timeout: float, what: str):
    """Poll `predicate` until it returns something truthy (and return that), or fail naming `what`."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
