"""Comfort in the real browser: the dark palette (axe-audited for contrast), the session list on a phone, and
the keyboard shortcuts with their help, which never take over typing and are absent without JavaScript."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from sessions import services
from sessions.models import Fact, Session
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import open_preview, open_workspace, region, settled, signed_in

PHONE = {"width": 390, "height": 844}


def sessions_of_every_status(account, user) -> list[Session]:
    long_title = "Shared mailbox for accounts-payable@example.com stops syncing on the CFO's laptop every morning"
    create = services.session_create
    sessions = [
        create(account=account, user=user, title=long_title, problem_domain="email", psa_ticket_id=2001),
        create(account=account, user=user, title="VPN drops every hour", psa_ticket_id=2002),
        create(account=account, user=user, title="Scanner to e-mail fails"),
    ]
    Session.objects.filter(pk=sessions[1].pk).update(status=Session.Status.RESOLVED)
    Session.objects.filter(pk=sessions[2].pk).update(status=Session.Status.ESCALATED)
    return sessions


def within_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


# Dark mode


def test_in_dark_mode_the_sign_in_the_list_and_a_workspace_pass_an_axe_audit(page, shot, bob, account_a, rich_session):
    sessions_of_every_status(account_a, bob)
    for source in (Fact.SourceType.AI, Fact.SourceType.PSA, Fact.SourceType.DIAGNOSTIC_CHECK):
        services.fact_add(session=rich_session, user=bob, text=f"A fact from {source.label}", source_type=source)
    page.emulate_media(color_scheme="dark")

    page.goto(reverse("login"))
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 22, 30)"
    assert_accessible(page, "sign in, dark")
    signed_in(page, bob)
    page.goto(reverse("home") + "?scope=all&status=")
    expect(page.get_by_role("link", name="VPN drops every hour")).to_be_visible()
    assert_accessible(page, "sessions list, dark")
    page.set_viewport_size(PHONE)
    assert_accessible(page, "sessions list on a phone, dark")

    page.set_viewport_size({"width": 1366, "height": 900})
    open_workspace(page, rich_session)
    assert_accessible(page, "workspace, dark")
    shot("workspace-dark")
    region(page, "What we know").get_by_text("Add a fact", exact=True).click()
    wrap_up = open_preview(page)
    expect(wrap_up.get_by_role("button", name=re.compile("^Confirm"))).to_be_visible()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert_accessible(page, "workspace with an open form, a preview and the shortcuts' help, dark")
    shot("workspace-preview-help-dark")


# The session list on a phone


def test_on_a_phone_the_session_list_shows_each_session_as_a_card_without_scrolling_sideways(
    page, shot, bob, account_a, session_a
):
    sessions = [session_a, *sessions_of_every_status(account_a, bob)]
    page.set_viewport_size(PHONE)
    signed_in(page, bob)
    page.goto(reverse("home") + "?scope=all&status=")
    shot("phone-list")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    results = page.locator("#results")
    for session in sessions:
        row = results.get_by_role("row").filter(has=page.get_by_role("link", name=session.title))
        for part in (row.get_by_role("link", name=session.title), row.locator(".status")):
            expect(part).to_be_visible()
            assert within_viewport(page, part), f"{part} runs off the screen"
        if session.ticket_ref:
            ticket = row.get_by_role("cell", name=session.ticket_ref)
            expect(ticket).to_be_visible()
            assert within_viewport(page, ticket)
    # Still a table to a screen reader: a header row, and a cell knows its column
    expect(results.get_by_role("row")).to_have_count(len(sessions) + 1)
    expect(results.get_by_role("columnheader", name="Ticket")).to_have_count(1)

    search = page.get_by_role("search")
    controls = [*search.get_by_role("link").all(), page.get_by_label("Search by title or ticket number")]
    controls.append(search.get_by_role("button", name="Search"))
    for control in controls:
        expect(control).to_be_visible()
        assert within_viewport(page, control), f"{control} runs off the screen"

    page.emulate_media(color_scheme="dark")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("phone-list-dark")


# Keyboard shortcuts


def test_slash_focuses_the_search_and_typing_n_there_searches_instead_of_starting_a_session(page, bob, session_a):
    signed_in(page, bob)
    search = page.get_by_label("Search by title or ticket number")

    page.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the slash focused the box, it was not typed into it
    page.keyboard.type("n")
    page.wait_for_url(re.compile(r"q=n"))  # the list's own live search ran
    settled(page)

    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
    expect(search).to_have_value("n")
    assert page.url.split("?")[0].endswith(reverse("home"))


def test_n_opens_a_new_session_but_not_with_a_modifier_held(page, bob, session_a):
    signed_in(page, bob)

    page.keyboard.press("Alt+n")
    page.keyboard.press("Control+Shift+n")
    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
    page.keyboard.press("n")

    expect(page.get_by_role("heading", name="New session", level=1)).to_be_visible()
    assert page.url.endswith(reverse("session-new"))


def test_f_opens_the_folded_add_fact_form_and_focuses_its_field(page, bob, session_a):
    signed_in(page, bob)
    open_workspace(page, session_a)
    facts = region(page, "What we know")
    expect(facts.get_by_label("Fact", exact=True)).to_be_hidden()  # folded until used

    page.keyboard.press("f")

    field = facts.get_by_label("Fact", exact=True)
    expect(field).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    expect(field).to_have_attribute("aria-keyshortcuts", "f")


def test_question_mark_toggles_the_help_and_escape_or_close_closes_it(page, shot, bob, session_a):
    signed_in(page, bob)
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_role("listitem")).to_have_count(4)
    assert_accessible(page, "shortcuts help")
    shot("help")
    page.keyboard.press("n")  # the help is modal: other shortcuts wait until it closes
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()

    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("?")
    expect(help_dialog).to_be_hidden()

    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_focused()


def test_without_javascript_there_are_no_shortcuts_and_no_help(browser, live_server, bob, session_a):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    try:
        signed_in(page, bob)
        page.keyboard.press("/")
        page.keyboard.press("?")

        expect(page.get_by_label("Search by title or ticket number")).not_to_be_focused()
        expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_hidden()
        expect(page.get_by_role("dialog")).to_be_hidden()
    finally:
        context.close()
