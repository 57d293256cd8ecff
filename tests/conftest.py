"""Shared fixtures: alice (admin of Acme, account A), bob (engineer at Acme) and charlie (admin of
Globex, account B). API clients authenticate with real tokens."""

import os
import socket
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.services import account_create, member_create
from devtools.claude_stub import ClaudeStub
from llm import client as llm
from sessions import services
from sessions.models import DiagnosticCheck, Fact, SuggestedFix
from tests.support import commits
from tests.support.background import background_in_a_thread  # noqa: F401 — a fixture
from tests.support.clients import api_client_for, web_client_for
from tests.support.data import (
    ESCALATED_STATUS_ID,
    FACT_API_KEY,
    FACT_PASSWORD,
    PARAMETER_SCHEMA,
    PASSWORD,
    RESOLVED_STATUS_ID,
    SCRIPT_PASSWORD,
    TEMPLATE_BODY,
)
from tests.support.dns import FakeDns


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
    # Assistant replies run inside the request in tests (their rows are in the test's transaction); the tests
    # of streaming on the embedded defaults ask for the thread they run in there.
    settings.FLOWPILOT_BACKGROUND_IN = "inline"
    # Drafts prepared in the background would add model calls to every test that marks a fix; the tests of
    # preparation (tests/drafting/test_preparation.py) turn it on.
    settings.FLOWPILOT_PREPARE_DRAFTS = False
    # Tasks run inline unless a test starts a real worker (tests/reliability); CI has a broker URL set.
    from flowpilot.celery import app

    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def commits_as_in_production():
    """`transaction.on_commit` callbacks run as they would in production, not never (tests/support/commits.py).
    A patch of its own, so a test's `monkeypatch.undo()` leaves it in place."""
    with pytest.MonkeyPatch.context() as patch:
        commits.install(patch)
        yield


@pytest.fixture(autouse=True)
def fresh_sign_in_throttles(monkeypatch):
    """Each test starts with no sign-in counted, under the real limits: django-axes keeps its failures in the
    database (rolled back after each test), and the token endpoint's request rates get a cache of the test's own."""
    from django.core.cache.backends.locmem import LocMemCache

    from accounts.auth_lockout import SignInThrottle

    monkeypatch.setattr(SignInThrottle, "cache", LocMemCache(f"sign-in-{uuid.uuid4().hex}", {}))


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
    from devtools.connectwise.simulator import ConnectWiseSimulator

    with ConnectWiseSimulator(port=0) as sim:
        yield sim


@pytest.fixture
def psa_connected(settings, account_a, simulator):
    """Acme's PSA connection points at the simulator, with target statuses for both outcomes."""
    from accounts.services import account_settings_update
    from devtools.connectwise.simulator import connection_fields
    from psa.services import psa_connection_save

    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    connection = psa_connection_save(account=account_a, **connection_fields(simulator.url), board_id=1)
    account_settings_update(
        account=account_a,
        changes={"cw_resolved_status_id": RESOLVED_STATUS_ID, "cw_escalated_status_id": ESCALATED_STATUS_ID},
    )
    return connection


# Claude: the project's stub on 127.0.0.1, which the real SDK talks to


@pytest.fixture
def claude_stub():
    with ClaudeStub() as stub:
        yield stub


@pytest.fixture
def model_on(settings, claude_stub):
    """Drafting through the real SDK against the stub: key set, base URL on 127.0.0.1, fast limits."""
    settings.ANTHROPIC_API_KEY = "test-key-not-real"
    settings.ANTHROPIC_BASE_URL = claude_stub.url
    settings.FLOWPILOT_DRAFT_TIMEOUT_SECONDS = 2.0
    settings.FLOWPILOT_DRAFT_MAX_RETRIES = 1
    llm._client.cache_clear()
    yield claude_stub
    llm._client.cache_clear()


@pytest.fixture
def model_off(settings):
    settings.ANTHROPIC_API_KEY = ""


@pytest.fixture
def rich_session(session_a, bob, template_a):
    """Bob's session with live and deleted facts, a check, a script generation and a fix."""
    services.fact_add(session=session_a, user=bob, text="Only Outlook desktop prompts; OWA works.")
    services.fact_add(
        session=session_a,
        user=bob,
        text=f"Service account set with password={FACT_PASSWORD} and key {FACT_API_KEY}",
        source_type=Fact.SourceType.SCRIPT_OUTPUT,
    )
    deleted = services.fact_add(session=session_a, user=bob, text="Deleted fact: blame the firewall")
    services.fact_delete(fact=deleted)
    services.check_record(
        session=session_a,
        name="List stored credentials",
        command="cmdkey /list",
        result=DiagnosticCheck.Result.FAILED,
        output_summary="Stale MicrosoftOffice16 entry found.",
    )
    services.script_generate(
        session=session_a,
        user=bob,
        template=template_a,
        parameters={"share": r"\\fs01\finance", "letter": "S", "password": SCRIPT_PASSWORD},
    )
    fix = services.fix_set(session=session_a, user=bob, title="Remove cached Office credentials", confidence_pct=90)
    services.fix_record_outcome(fix=fix, outcome=SuggestedFix.Outcome.APPLIED_SUCCESS)
    session_a.refresh_from_db()
    return session_a
