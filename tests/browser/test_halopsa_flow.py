"""HaloPSA from a new admin's first click to a verified note, in a real browser: the account admin points
the connection at HaloPSA in Django admin (only Halo's fields shown), tests it, picks the target statuses
from Halo's live list, and an engineer posts a resolution (customer-visible HTML) and an escalation
(hidden from the user), each landing once with the status verified."""

import re

import pytest
from playwright.sync_api import expect

from devtools.halopsa.simulator import HaloSimulator, connection_fields
from sessions import services
from tests.support.browser import click_and_settle, open_preview, open_workspace, region, signed_in

RESOLVED, ESCALATED = "Resolved (id 8)", "Escalated - 2nd Line (id 21)"


@pytest.fixture
def halo(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with HaloSimulator(port=0) as simulator:
        yield simulator


def admin_connects_halopsa(page, alice, account_a, halo):
    fields = connection_fields(halo.url)
    signed_in(page, alice)
    page.goto("/admin/psa/psaconnection/add/?provider=halopsa")
    expect(page.get_by_label("Site URL")).to_be_visible()
    expect(page.get_by_label("Company id")).to_have_count(0)  # ConnectWise's fields are not offered
    page.get_by_label("Site URL").fill(fields["site_url"])
    page.get_by_label("Client id").fill(fields["client_id"])
    page.get_by_label("Client secret").fill(fields["client_secret"])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    page.get_by_label("Action:").select_option(label="Test connection")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist .success")).to_contain_text("HaloPSA")

    page.goto(f"/admin/accounts/accountsettings/{account_a.settings.pk}/change/")
    page.get_by_label("HaloPSA status when resolved").select_option(label=RESOLVED)
    page.get_by_label("HaloPSA status when escalated").select_option(label=ESCALATED)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")


def test_an_admin_connects_halopsa_and_an_engineer_resolves_and_escalates_on_it(
    page, browser, live_server, alice, bob, account_a, session_a, halo
):
    admin_connects_halopsa(page, alice, account_a, halo)

    engineer = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url).new_page()
    signed_in(engineer, bob)
    open_workspace(engineer, session_a)
    wrap_up = open_preview(engineer)
    expect(wrap_up.get_by_text(re.compile(r"as HTML"))).to_be_visible()  # the preview shows what lands
    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()
    click_and_settle(engineer, wrap_up.get_by_role("button", name="Confirm & post to #1001"))
    expect(region(engineer, "Outcome").get_by_role("status")).to_contain_text(
        "Status verified: the ticket now shows “Resolved”."
    )

    escalated = services.session_create(account=account_a, user=bob, title="VPN drops", psa_ticket_id=1002)
    open_workspace(engineer, escalated)
    wrap_up = open_preview(engineer, "Escalate instead")
    click_and_settle(engineer, wrap_up.get_by_role("button", name="Confirm & post to #1002"))
    expect(region(engineer, "Outcome").get_by_role("status")).to_contain_text(
        "Status verified: the ticket now shows “Escalated - 2nd Line”."
    )

    (resolution,) = halo.notes_for(1001)
    (escalation,) = halo.notes_for(1002)
    assert resolution["hiddenfromuser"] is False and "<h2>" in resolution["note_html"]
    assert escalation["hiddenfromuser"] is True
