"""The engineer's Confirm & post in a real browser, run by a real Celery worker: the page shows progress
while the worker writes to a slow ConnectWise, polls, and ends on the verified status."""

import re

from playwright.sync_api import expect

from tests.support.browser import open_preview, open_workspace, region, signed_in

SLOW_PSA_MS = 700  # each of the three round trips (note, status, re-read): long enough to watch the progress


def test_a_post_run_by_the_worker_shows_progress_then_the_verified_status(
    shared_celery_worker, page, bob, session_a, psa_connected, simulator
):
    simulator.set_faults(latency_ms=SLOW_PSA_MS)
    signed_in(page, bob)
    open_workspace(page, session_a)
    wrap_up = open_preview(page)  # drafted by the worker too
    expect(wrap_up.get_by_text("Customer-visible", exact=True)).to_be_visible()

    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()  # no fix marked as worked
    wrap_up.get_by_role("button", name="Confirm & post to #1001").click()

    progress = page.locator("#wrap-up").get_by_role("status").filter(has_text="Posting the resolution note")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("re-reading the ticket to check it stuck")
    outcome = region(page, "Outcome")
    expect(outcome.get_by_role("status")).to_contain_text(
        "Status verified: the ticket now shows “Resolved”.", timeout=20_000
    )
    expect(page.locator("#toasts").get_by_role("status")).to_contain_text(re.compile(r"ticket #1001"))
    expect(page.locator("#session-header").get_by_text("Resolved (posted to the PSA)")).to_be_visible()
    assert len(simulator.notes_for(1001)) == 1
