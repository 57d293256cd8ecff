"""The engineer's key flows in a real browser: sign in, facts, the fix, scripts, and wrap-up (preview,
edit, Confirm & post) against the ConnectWise simulator, with a keyboard-only pass."""

import re

import pytest
from playwright.sync_api import expect

from devtools.connectwise.simulator import STATUSES
from psa.plaintext import markdown_to_plain_text
from sessions import services
from sessions.models import Fact, ScriptGeneration, Session, SuggestedFix
from tests.support.browser import (
    assert_same_document,
    click_and_settle,
    mark_document,
    open_preview,
    open_workspace,
    region,
    settled,
    signed_in,
    tab_to,
)
from tests.support.data import RESOLVED_STATUS_ID

RESOLVED_NAME = next(status[2] for status in STATUSES if status[0] == RESOLVED_STATUS_ID)  # "Resolved"


@pytest.fixture
def local_session(account_a, bob):
    """Bob's open session with no linked ticket: it resolves or escalates locally."""
    return services.session_create(
        account=account_a,
        user=bob,
        title="Printer offline at reception",
        intake_text="The reception printer shows offline for everyone.",
    )


def test_bob_signs_in_sees_his_sessions_and_opens_one_by_its_title(page, shot, bob, session_a):
    signed_in(page, bob)
    sessions = page.get_by_role("table")
    expect(sessions.get_by_role("link", name=session_a.title)).to_be_visible()
    expect(sessions.get_by_role("cell", name="#1001")).to_be_visible()
    shot("sessions-list")

    sessions.get_by_role("link", name=session_a.title).click()
    expect(page.get_by_role("heading", name=session_a.title, level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/sessions/{session_a.pk}/$"))
    expect(page.get_by_text("Ticket #1001")).to_be_visible()
    expect(region(page, "What we know")).to_contain_text("Nothing confirmed yet")
    shot("workspace")


def test_a_fact_is_added_and_edited_inline_without_a_page_reload(page, shot, bob, session_a):
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)
    facts = region(page, "What we know")
    expect(facts.get_by_label("Fact", exact=True)).to_be_hidden()  # folded until used

    facts.get_by_text("Add a fact", exact=True).click()
    facts.get_by_label("Fact", exact=True).fill("Only Outlook desktop prompts; OWA works.")
    click_and_settle(page, facts.get_by_role("button", name="Add fact"))
    expect(facts.get_by_role("listitem").filter(has_text="Only Outlook desktop prompts; OWA works.")).to_be_visible()
    expect(facts.get_by_role("heading")).to_have_text("What we know 1")
    expect(facts.get_by_label("Fact", exact=True)).to_have_value("")  # a fresh form for the next fact
    expect(facts.get_by_label("Fact", exact=True)).to_be_focused()  # still open, to type the next one
    assert_same_document(page)
    shot("fact-added")

    click_and_settle(page, facts.get_by_role("link", name="Edit fact: Only Outlook desktop prompts; OWA works."))
    editor = facts.get_by_role("listitem").filter(has=page.get_by_role("button", name="Save fact"))
    expect(editor.get_by_label("Fact", exact=True)).to_have_value("Only Outlook desktop prompts; OWA works.")
    shot("fact-editor")
    editor.get_by_label("Fact", exact=True).fill("Only Outlook desktop prompts; OWA and mobile work.")
    click_and_settle(page, editor.get_by_role("button", name="Save fact"))

    expect(facts.get_by_text("Only Outlook desktop prompts; OWA and mobile work.")).to_be_visible()
    expect(facts.get_by_text("Only Outlook desktop prompts; OWA works.")).to_have_count(0)
    expect(page.get_by_role("button", name="Save fact")).to_have_count(0)
    assert_same_document(page)
    shot("fact-edited")
    assert list(Fact.objects.filter(session=session_a).values_list("text", flat=True)) == [
        "Only Outlook desktop prompts; OWA and mobile work."
    ]


def test_a_suggested_fix_is_set_and_its_outcome_recorded(page, shot, bob, session_a):
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)
    fix = region(page, "Suggested fix")
    expect(fix.get_by_text("No working hypothesis yet.")).to_be_visible()

    fix.get_by_text("Set a fix", exact=True).click()  # the form is folded until used
    fix.get_by_label("Fix to try").fill("Clear the cached Office credentials")
    fix.get_by_label("Confidence (%)").fill("80")
    click_and_settle(page, fix.get_by_role("button", name="Set fix"))
    expect(fix.get_by_role("heading", name="Clear the cached Office credentials")).to_be_visible()
    expect(fix.get_by_text("80% confident")).to_be_visible()
    expect(fix.get_by_role("meter", name="Confidence")).to_have_attribute("value", "80")
    expect(fix.get_by_text("Outcome: Proposed")).to_be_visible()
    shot("fix-set")

    fix.get_by_text("Record how it went").click()  # folded until used
    fix.get_by_label("Record the outcome").select_option(label="Applied — fixed it")
    fix.get_by_label("Notes").fill("Outlook stopped prompting after the credentials were removed.")
    click_and_settle(page, fix.get_by_role("button", name="Record outcome"))
    expect(fix.get_by_text("Outcome: Applied — fixed it")).to_be_visible()
    expect(
        fix.get_by_role("paragraph").filter(has_text="Outlook stopped prompting after the credentials were removed.")
    ).to_be_visible()
    assert_same_document(page)
    shot("fix-outcome")
    saved = SuggestedFix.objects.get(session=session_a)
    assert (saved.title, saved.confidence_pct, saved.outcome) == (
        "Clear the cached Office credentials",
        80,
        SuggestedFix.Outcome.APPLIED_SUCCESS,
    )


def test_a_script_shows_its_password_once_and_stores_it_redacted(page, shot, bob, session_a, template_a):
    secret = "Br0wser-Only-Secret"  # unquoted in the fixture template: no shell metacharacters
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)
    scripts = region(page, "Scripts")

    scripts.get_by_label("Template").select_option(label="Map drive (PowerShell)")
    settled(page)
    expect(scripts.get_by_label("Share path")).to_be_visible()
    password = scripts.get_by_label("Password")
    expect(password).to_have_attribute("type", "password")
    scripts.get_by_label("Share path").fill(r"\\fs01\finance")
    scripts.get_by_label("Drive letter").select_option("X")
    password.fill(secret)
    scripts.get_by_label("Retries").fill("3")
    shot("script-form")
    click_and_settle(page, scripts.get_by_role("button", name="Generate script"))

    rendered = rf"net use X: \\fs01\finance /user:svc {secret} # retries=3"
    result = scripts.get_by_role("status")
    expect(result.get_by_role("code")).to_have_text(rendered)
    expect(result.get_by_text("Shown once.")).to_be_visible()
    copy = result.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()
    expect(scripts.get_by_label("Password")).to_have_value("")  # never rendered back into the form
    assert_same_document(page)
    shot("script-generated")
    copy.click()
    expect(result.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == rendered

    generation = ScriptGeneration.objects.get(session=session_a)
    assert generation.redacted_script == r"net use X: \\fs01\finance /user:svc [REDACTED] # retries=3"
    assert generation.parameters_used["password"] == "[REDACTED]"
    assert secret not in str(generation.parameters_used)

    page.reload()  # shown once: after a reload only the redacted copy is on the page
    scripts.get_by_text(re.compile(r"^Map drive ·")).click()  # opens it under "Generated in this session"
    expect(scripts.get_by_text("[REDACTED]")).to_be_visible()
    assert secret not in page.content()
    shot("script-after-reload")


def test_a_resolution_note_is_previewed_edited_kept_across_a_reload_and_posted_once(
    page, shot, bob, session_a, simulator, psa_connected
):
    edited = "Cleared the cached Office credentials. Outlook signs in without prompting (edited in the browser)."
    signed_in(page, bob)
    open_workspace(page, session_a)
    expect(page.get_by_text("PSA: New on Help Desk")).to_be_visible()

    wrap_up = open_preview(page)
    expect(wrap_up.get_by_role("heading", name="Resolution note")).to_be_visible()
    expect(wrap_up.get_by_text("Customer-visible", exact=True)).to_be_visible()
    expect(wrap_up.get_by_text("Exactly as it will land on ticket #1001, as plain text:")).to_be_visible()
    expect(wrap_up.locator("pre.note-text")).to_contain_text("Problem")
    shot("resolution-preview")

    click_and_settle(page, wrap_up.get_by_role("link", name="Edit", exact=True))
    wrap_up.get_by_label("Text to post (Markdown)").fill(edited)
    expect(wrap_up.get_by_text(re.compile(r"^Edits saved at \d\d:\d\d:\d\d$"))).to_be_visible()
    shot("resolution-edited")

    page.reload()
    wrap_up = region(page, "Wrap up")
    expect(wrap_up.locator("pre.note-text")).to_have_text(markdown_to_plain_text(edited))
    expect(wrap_up.get_by_text(re.compile(r"Edited by bob"))).to_be_visible()
    shot("resolution-after-reload")
    mark_document(page)

    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()  # no fix marked as worked
    wrap_up.get_by_role("button", name="Confirm & post to #1001").click()
    verified = f"Posted the resolution note to ticket #1001. Status verified: the ticket now shows “{RESOLVED_NAME}”."
    expect(page.locator("#toasts").get_by_role("status")).to_contain_text(verified)
    expect(region(page, "Outcome").get_by_role("heading", name="Resolved (posted to the PSA)")).to_be_visible()
    header = page.locator("#session-header")
    expect(header.get_by_text("Resolved (posted to the PSA)")).to_have_class(re.compile(r"\bstatus-resolved\b"))
    expect(page.get_by_role("button", name="Preview resolve note")).to_have_count(0)
    assert_same_document(page)
    shot("resolution-posted")

    notes = simulator.notes_for(1001)
    assert [note["text"] for note in notes] == [markdown_to_plain_text(edited)]
    assert notes[0]["resolutionFlag"] is True
    assert simulator.ticket(1001)["status"] == {"id": RESOLVED_STATUS_ID, "name": RESOLVED_NAME, "_info": {}}
    session_a.refresh_from_db()
    assert session_a.status == Session.Status.RESOLVED


def test_a_session_without_a_ticket_escalates_locally_and_posts_nothing(page, shot, bob, local_session):
    signed_in(page, bob)
    open_workspace(page, local_session)
    expect(page.get_by_text("No linked ticket: this session resolves locally")).to_be_visible()

    wrap_up = open_preview(page, "Escalate instead")
    expect(wrap_up.get_by_role("heading", name="Escalation package")).to_be_visible()
    expect(wrap_up.get_by_text(re.compile(r"escalates this session locally\. Nothing is posted"))).to_be_visible()
    shot("escalation-preview")

    wrap_up.get_by_role("button", name="Confirm & escalate locally", exact=True).click()
    outcome = region(page, "Outcome")
    expect(outcome.get_by_role("heading", name="Escalated locally")).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("Escalated locally: no ticket is linked, so nothing was posted.")
    expect(page.locator("#session-header").get_by_text("Escalated locally")).to_be_visible()
    shot("escalated-locally")
    local_session.refresh_from_db()
    assert local_session.closed_as == Session.ClosedAs.ESCALATED_LOCAL


def test_a_silently_rejected_status_is_explained_and_retry_finishes_with_one_note(
    page, shot, bob, session_a, simulator, psa_connected
):
    simulator.set_faults(silent_status_rejection=True)
    signed_in(page, bob)
    open_workspace(page, session_a)
    wrap_up = open_preview(page)
    expect(wrap_up.get_by_text("Customer-visible", exact=True)).to_be_visible()
    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()  # no fix marked as worked
    click_and_settle(page, wrap_up.get_by_role("button", name="Confirm & post to #1001"))

    # In plain words, where the engineer is looking: the card in the wrap-up area, and a toast.
    rejected = (
        "The note was posted, but ConnectWise kept the ticket at New (id 1) instead of moving it to “Resolved” (id 5)."
    )
    failure = region(page, "Wrap up").get_by_role("alert")
    expect(failure.get_by_role("heading", name=re.compile(r"ticket #1001"))).to_be_visible()
    expect(failure).to_contain_text(rejected)
    expect(failure).to_contain_text("it never posts the note twice")
    retry = failure.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    expect(page.locator("#toasts").get_by_role("alert")).to_contain_text(rejected)
    expect(region(page, "Wrap up").get_by_role("button", name="Confirm & post to #1001")).to_have_count(0)
    shot("status-rejected")
    assert len(simulator.notes_for(1001)) == 1

    simulator.set_faults()
    click_and_settle(page, retry)
    verified = f"Status verified: the ticket now shows “{RESOLVED_NAME}”."
    expect(region(page, "Outcome").get_by_role("status")).to_contain_text(verified)
    expect(page.locator("#session-header").get_by_text("Resolved (posted to the PSA)")).to_be_visible()
    shot("retried")
    assert len(simulator.notes_for(1001)) == 1
    assert simulator.ticket(1001)["status"]["name"] == RESOLVED_NAME


def test_the_main_actions_work_from_the_keyboard_alone(page, shot, bob, local_session):
    signed_in(page, bob)
    open_workspace(page, local_session)
    mark_document(page)
    facts = region(page, "What we know")

    tab_to(page, facts.get_by_text("Add a fact", exact=True))
    page.keyboard.press("Enter")  # unfolds the form
    fact = facts.get_by_label("Fact", exact=True)
    tab_to(page, fact)
    page.keyboard.type("The printer answers ping but not on port 9100.")
    tab_to(page, facts.get_by_role("button", name="Add fact"))
    page.keyboard.press("Enter")
    settled(page)
    expect(facts.get_by_text("The printer answers ping but not on port 9100.")).to_be_visible()

    wrap_up = region(page, "Wrap up")
    tab_to(page, wrap_up.get_by_role("button", name="Preview resolve note"))
    shot("keyboard-focus-on-preview")
    page.keyboard.press("Enter")
    settled(page)
    expect(wrap_up.get_by_role("heading", name="Resolution note")).to_be_visible()
    expect(wrap_up.get_by_text(re.compile(r"confirming resolves this session locally"))).to_be_visible()

    tab_to(page, wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed"))
    page.keyboard.press("Space")  # no fix is marked as worked: the page asks first
    tab_to(page, wrap_up.get_by_role("button", name="Confirm & resolve locally", exact=True))
    page.keyboard.press("Enter")
    expect(region(page, "Outcome").get_by_role("heading", name="Resolved locally")).to_be_visible()
    assert_same_document(page)
    shot("keyboard-resolved")
    local_session.refresh_from_db()
    assert local_session.closed_as == Session.ClosedAs.RESOLVED_LOCAL


def test_a_fact_added_after_the_preview_warns_the_draft_is_stale_and_regenerate_includes_it(page, bob, local_session):
    signed_in(page, bob)
    open_workspace(page, local_session)
    mark_document(page)
    wrap_up = open_preview(page)
    expect(wrap_up.get_by_text("Nothing is posted anywhere", exact=False)).to_be_visible()
    expect(wrap_up.get_by_text("The session changed since this draft")).to_have_count(0)

    facts = region(page, "What we know")
    facts.get_by_text("Add a fact", exact=True).click()
    facts.get_by_label("Fact", exact=True).fill("The printer got a new IP from DHCP overnight.")
    click_and_settle(page, facts.get_by_role("button", name="Add fact"))
    # The panel heard the session change and re-read itself: the warning, and the draft still in place.
    expect(wrap_up.get_by_text("The session changed since this draft")).to_be_visible()
    expect(wrap_up.get_by_role("button", name="Confirm & resolve locally")).to_be_visible()

    click_and_settle(page, wrap_up.get_by_role("button", name="Regenerate"))
    expect(wrap_up.get_by_text("The session changed since this draft")).to_have_count(0)
    expect(wrap_up.locator("article")).to_contain_text("The printer got a new IP from DHCP overnight.")
    assert_same_document(page)
