"""Drafting fixtures: a Claude stub on 127.0.0.1 the real SDK talks to, and a session with everything
a draft reads — including secrets that must never leave the process."""

import pytest

from handoff import llm
from handoff.claude_stub import ClaudeStub
from sessions import services
from sessions.models import DiagnosticCheck, Fact, SuggestedFix

FACT_PASSWORD = "Hunter2-Winter!"
FACT_API_KEY = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123456789"
SCRIPT_PASSWORD = "Sup3r-Secret-Param"


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
