"""Web UI fixtures: signed-in browsers for bob (Acme engineer) and charlie (Globex), and small helpers
for HTMX requests, their response headers and the HTML a user would see."""

import pytest

from sessions import services


@pytest.fixture(autouse=True)
def offline_drafting(settings):
    """Drafts come from the offline drafter: no model is ever called from these tests."""
    settings.ANTHROPIC_API_KEY = ""


@pytest.fixture
def local_session(account_a, bob):
    """Bob's session with no linked ticket: wrapping it up closes it locally."""
    session = services.session_create(
        account=account_a, user=bob, title="Reception printer offline", intake_text="The printer shows offline."
    )
    services.fact_add(session=session, user=bob, text="The printer's IP changed after a DHCP renewal.")
    return session
