"""Steps a person takes in the browser tests: sign in, open a workspace or a preview, click and wait for
htmx to settle, tab to a control; and checks that no full page load happened."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from tests.support.data import PASSWORD

TIMEOUT_MS = 10_000  # the longest any one step may take; steps normally take well under a second


def signed_in(page, user, password: str = PASSWORD):
    """Sign in through the real form (labelled fields), landing on the session list."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to FlowPilot")).to_be_visible()
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()
    return page


NO_RELOAD = "window.__sameDocument"  # set before an action: still there afterwards means no full page load


def open_workspace(page, session):
    page.goto(reverse("workspace", args=[session.pk]))
    expect(page.get_by_role("heading", name=session.title, level=1)).to_be_visible()


def open_preview(page, button: str = "Preview resolve note"):
    """Draft from the wrap-up (Preview resolve note, or Escalate instead); the Wrap up region, panel open."""
    wrap_up = region(page, "Wrap up")
    click_and_settle(page, wrap_up.get_by_role("button", name=button))
    return wrap_up


def mark_document(page):
    page.evaluate(f"{NO_RELOAD} = 'still here'")


def assert_same_document(page):
    assert page.evaluate(NO_RELOAD) == "still here", "the page was reloaded instead of swapping a region"


def click_and_settle(page, target) -> None:
    """Click, then wait for the swap htmx makes in answer (see `settled`)."""
    target.click()
    settled(page)


def settled(page):
    """Wait until htmx has finished swapping and settling. Swapped-in content gets its htmx behaviour
    when it settles (20 ms after the swap): typing or clicking before that would go unnoticed by htmx,
    or submit a plain form. A person cannot act that fast; a test can."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-added, .htmx-settling')"
    )


def region(page, name):
    """A card of the workspace by its heading (each is a <section aria-labelledby>)."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(name)}"))


def tab_to(page, target, *, max_tabs: int = 80):
    """Press Tab until `target` has the focus (it must be reachable by keyboard alone)."""
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} was not reached with {max_tabs} presses of Tab")
