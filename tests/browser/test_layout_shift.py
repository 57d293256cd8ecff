"""The demo workspace does not jump while its late regions load (the ticket's live status in the header,
"On the ticket" in the left column): the layout-shift entries the browser records, summed as CLS counts
them (shifts not caused by the engineer's own input), stay at or below 0.05 — on a laptop and on a phone,
with a PSA that answers quickly, slowly, or not at all. A failure names what moved, and when."""

import pytest
from playwright.sync_api import expect

from devtools.connectwise.simulator import ConnectWiseSimulator, connection_fields
from devtools.demo import demo_seed
from psa.services import psa_connection_save
from sessions.models import Session
from tests.support.browser import signed_in

CLS_BUDGET = 0.05

# Each shift not caused by input, with when it came (ms after navigation) and what moved (the nearest region with
# an id, and its top before → after). A page narrowed by a scrollbar appearing moves sideways: top unchanged.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  const shifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      shifts.push({at: Math.round(entry.startTime), value: entry.value, moved: (entry.sources || []).map((source) => {
        const node = source.node, element = node && (node.nodeType === 1 ? node : node.parentElement);
        const region = element && element.closest("[id]");
        const [from, to] = [source.previousRect.y, source.currentRect.y].map(Math.round);
        return `${region ? "#" + region.id : "?"} ${from}→${to}px`;
      })});
    }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(shifts), 300);
})"""


@pytest.fixture
def demo_workspace(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with ConnectWiseSimulator(port=0, ticket_history=True) as simulator:
        account = demo_seed()
        psa_connection_save(account=account, **connection_fields(simulator.url), board_id=1)
        session = Session.objects.get(account=account, psa_ticket_id=48227)  # the S: drive session
        engineer = account.memberships.get(user__username="demo").user
        yield simulator, session, engineer


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
@pytest.mark.parametrize("psa", ["quick", "slow", "down"])
def test_the_demo_workspace_does_not_jump_while_its_late_regions_load(page, demo_workspace, viewport, psa):
    simulator, session, engineer = demo_workspace
    simulator.set_faults(
        **{"quick": {}, "slow": {"latency_ms": 600}, "down": {"server_error": {"count": 100, "status": 503}}}[psa]
    )
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    signed_in(page, engineer, password="flowpilot-demo")

    page.goto(f"/sessions/{session.pk}/")
    context = page.locator("#ticket-context")
    expect(context).not_to_have_attribute("aria-busy", "true", timeout=15_000)
    expect(page.locator("#ticket-status")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(500)  # anything the swaps set off has settled

    shifts = page.evaluate(LAYOUT_SHIFT)
    total = sum(shift["value"] for shift in shifts)
    assert total <= CLS_BUDGET, f"the workspace shifted by {total:.3f} (budget {CLS_BUDGET}): {shifts}"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]  # nothing runs off the side
