"""Every screen an engineer meets, audited by axe-core in the real browser: labels, names, roles,
contrast, landmarks. Any violation fails the test, with what and where."""

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from sessions import services
from tests.support.browser import click_and_settle, open_preview, open_workspace, region, settled, signed_in

AXE = Axe()


def assert_accessible(page, screen: str) -> None:
    violations = AXE.run(page).response["violations"]
    found = [
        f"{screen}: {violation['id']} ({violation['impact']}): {violation['help']} at "
        f"{[node['target'] for node in violation['nodes']][:5]}"
        for violation in violations
    ]
    assert not found, "\n".join(found)


def test_every_screen_of_the_resolve_flow_passes_an_axe_audit(
    page, bob, session_a, template_a, simulator, psa_connected
):
    services.fact_add(session=session_a, user=bob, text="Only Outlook desktop prompts; OWA works.")
    services.fix_set(session=session_a, user=bob, title="Clear the cached credentials", confidence_pct=85)

    page.goto(reverse("login"))
    assert_accessible(page, "sign in")
    signed_in(page, bob)
    assert_accessible(page, "sessions list")
    page.goto(reverse("session-new"))
    assert_accessible(page, "new session")

    open_workspace(page, session_a)
    assert_accessible(page, "workspace")
    page.get_by_label("Template").select_option(template_a.slug)
    settled(page)
    expect(page.get_by_role("button", name="Generate script")).to_be_visible()
    assert_accessible(page, "script form")

    wrap_up = open_preview(page)
    expect(wrap_up.get_by_text("Customer-visible", exact=True)).to_be_visible()
    assert_accessible(page, "preview panel")
    click_and_settle(page, wrap_up.get_by_role("link", name="Edit"))
    expect(page.get_by_label("Text to post (Markdown)")).to_be_visible()
    assert_accessible(page, "draft editor")

    simulator.set_faults(silent_status_rejection=True)
    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()  # no fix marked as worked
    click_and_settle(page, wrap_up.get_by_role("button", name="Confirm & post to #1001"))
    expect(page.locator("#toasts").get_by_role("alert")).to_be_visible()
    assert_accessible(page, "failed post with its toast")

    simulator.set_faults()
    click_and_settle(page, region(page, "Wrap up").get_by_role("alert").get_by_role("button", name="Retry"))
    expect(page.locator("#session-header").get_by_text("Resolved (posted to the PSA)")).to_be_visible()
    assert_accessible(page, "closed session")


def test_form_errors_empty_states_and_a_local_escalation_pass_an_axe_audit(page, bob, account_a):
    empty = services.session_create(account=account_a, user=bob, title="Scanner to e-mail fails")
    signed_in(page, bob)
    page.goto(reverse("session-new"))
    page.get_by_role("button", name="Start session").click()  # no title: the form answers with its error
    expect(page.get_by_text("Give the session a title")).to_be_visible()
    assert_accessible(page, "new session with an error")

    open_workspace(page, empty)
    assert_accessible(page, "empty workspace")
    facts = region(page, "What we know")
    facts.get_by_text("Add a fact", exact=True).click()  # the add forms are folded until used
    facts.get_by_role("button", name="Add fact").click()  # nothing typed: the browser's own check stops it
    fix = region(page, "Suggested fix")
    fix.get_by_text("Set a fix", exact=True).click()
    fix.get_by_label("Fix to try").fill("Re-enter the SMTP relay password")
    fix.get_by_label("Confidence (%)").fill("140")
    fix.get_by_role("button", name="Set fix").click()  # out of range: the browser refuses, nothing is sent
    assert_accessible(page, "workspace with a refused form")
    assert not empty.facts.exists() and not empty.fixes.exists()

    wrap_up = open_preview(page, "Escalate instead")
    expect(wrap_up.get_by_text("Nothing is posted anywhere", exact=False)).to_be_visible()
    assert_accessible(page, "local escalation preview")
    click_and_settle(page, wrap_up.get_by_role("button", name="Confirm & escalate locally"))
    expect(page.locator("#session-header").get_by_text("Escalated locally")).to_be_visible()
    assert_accessible(page, "escalated locally")
