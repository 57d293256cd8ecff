"""Toasts where an engineer can use them: in the top bar's own slot, so a toast never covers a button or a
field (bounding boxes, on a laptop and on a phone), and one that goes away on its own only once the
engineer has been at the page for its lifetime — never while they looked away."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import click_and_settle, open_preview, open_workspace, region, signed_in

CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary"

OVERLAPS = """(selector) => {
  const toast = [...document.querySelectorAll('#toasts .toast')].find((t) => t.offsetParent !== null);
  if (!toast) return ['no toast is showing'];
  const t = toast.getBoundingClientRect();
  const bar = document.querySelector('.topbar');
  const barBottom = bar.getBoundingClientRect().bottom;
  const hits = [];
  for (const el of document.querySelectorAll(selector)) {
    if (toast.contains(el) || el.offsetParent === null) continue;
    const r = el.getBoundingClientRect();
    // What the engineer can see of it: the sticky top bar hides whatever has scrolled under it.
    const top = bar.contains(el) ? r.top : Math.max(r.top, barBottom);
    if (r.width === 0 || r.bottom <= top) continue;
    if (r.left < t.right && t.left < r.right && top < t.bottom && t.top < r.bottom) {
      const name = (el.innerText || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40);
      hits.push(`${el.tagName.toLowerCase()} "${name}"`);
    }
  }
  return hits;
}"""


def fail_a_post(page, bob, session_a, simulator):
    simulator.set_faults(silent_status_rejection=True)
    signed_in(page, bob)
    open_workspace(page, session_a)
    wrap_up = open_preview(page)
    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()
    click_and_settle(page, wrap_up.get_by_role("button", name="Confirm & post to #1001"))
    expect(page.locator("#toasts").get_by_role("alert")).to_be_visible()
    return region(page, "Wrap up")


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["laptop", "phone"])
def test_a_failure_toast_never_covers_a_control(page, bob, session_a, psa_connected, simulator, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    wrap_up = fail_a_post(page, bob, session_a, simulator)
    retry = wrap_up.get_by_role("button", name="Retry", exact=True)

    for place in ("the card's Retry", "the top of the page"):
        if place == "the top of the page":
            page.evaluate("window.scrollTo(0, 0)")
        else:
            retry.scroll_into_view_if_needed()
        assert page.evaluate(OVERLAPS, CONTROLS) == [], f"the toast covers controls at {place}"
        expect(page.locator("#toasts").get_by_role("alert")).to_be_in_viewport()


def test_a_success_toast_waits_for_an_engineer_who_looked_away(page, bob, session_a, psa_connected):
    page.clock.install()
    signed_in(page, bob)
    open_workspace(page, session_a)
    wrap_up = open_preview(page)
    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()
    wrap_up.get_by_role("button", name="Confirm & post to #1001").click()
    toast = page.locator("#toasts").get_by_role("status")
    expect(toast).to_contain_text("Posted the resolution note to ticket #1001.")

    page.clock.run_for(60_000)  # a minute away from the keyboard
    expect(toast).to_contain_text("Posted the resolution note to ticket #1001.")

    for _ in range(10):  # back at the page: its time runs while the engineer is there
        page.mouse.move(200, 300)
        page.mouse.move(220, 320)
        page.clock.run_for(1_000)
    expect(toast).to_have_count(0)


def test_a_toast_is_dismissed_with_its_button(page, bob, session_a, psa_connected, simulator):
    fail_a_post(page, bob, session_a, simulator)

    page.locator("#toasts").get_by_role("button", name="Dismiss this message").click()

    expect(page.locator("#toasts").get_by_role("alert")).to_have_count(0)
