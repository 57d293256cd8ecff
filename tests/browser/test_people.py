"""Account → People in the real browser: an admin invites an engineer, who opens the link in a browser of
their own, sets a password and lands on the sessions list. Each new screen passes an axe audit."""

from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import TIMEOUT_MS, settled, signed_in
from tests.support.data import PASSWORD


def test_an_admin_invites_an_engineer_who_sets_a_password_and_lands_on_the_sessions_list(
    page, browser, live_server, alice, bob
):
    signed_in(page, alice)
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People of Acme MSP")).to_be_visible()
    assert_accessible(page, "people")

    page.get_by_label("Username").fill("erin")
    page.get_by_label("E-mail").fill("erin@acme.example")
    page.get_by_label("Role", exact=True).select_option("engineer")
    page.get_by_role("button", name="Add member").click()
    settled(page)
    expect(page.get_by_text("Invite link for erin", exact=True)).to_be_visible()
    expect(page.locator("#member-" + str(alice.pk))).to_be_visible()
    assert_accessible(page, "people with an invite link")
    link = page.locator("#invite-once").inner_text().strip()
    assert link.startswith(f"{live_server.url}/accounts/invite/")

    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)  # erin's own browser
    context.set_default_timeout(TIMEOUT_MS)
    try:
        erin = context.new_page()
        erin.goto(link)
        expect(erin.get_by_role("heading", name="Welcome to FlowPilot")).to_be_visible()
        assert_accessible(erin, "invite")
        erin.get_by_label("New password").fill(PASSWORD)
        erin.get_by_label("The same password again").fill(PASSWORD)
        erin.get_by_role("button", name="Set password and sign in").click()
        expect(erin.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
        expect(erin.get_by_role("link", name="New session")).to_be_visible()

        erin.goto(link)  # the link is used up
        expect(erin.get_by_role("heading", name="This invite link cannot be used")).to_be_visible()
        assert_accessible(erin, "used invite")
    finally:
        context.close()

    page.goto(reverse("audit"))
    expect(page.get_by_role("cell", name="Invite accepted")).to_be_visible()
    assert_accessible(page, "audit")
