"""The wrap-up ready before the click (issue 16), in a real browser with the model on the project's Claude stub
and background work in a thread of the live server: a fix marked as worked has its resolution note prepared in
the background, so Preview shows it at once and asks the model nothing; a draft nobody prepared streams into
the panel as it is written, then shows rendered; Confirm & post ends with the verified toast, brought by the
handoff's pushed end: the card's poll is slowed for that test so that only the push can bring it in time."""

import functools
import re
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from drafting.kinds import DraftKind
from drafting.previews import preview_key
from flowpilot.celery import enqueue_on_commit
from handoff import services as handoff_services
from handoff.models import Handoff
from sessions.models import Session
from tests.support.browser import (
    assert_same_document,
    click_and_settle,
    mark_document,
    open_preview,
    open_workspace,
    region,
    settled,
    signed_in,
)

PREPARE_DELAY_SECONDS = 0.3
# Preview click → rendered draft, when it was prepared before the click (about 100 ms here; the bound leaves room
# for a loaded machine). That the draft was not written on the click is proven apart: no "Drafting…", no model call.
AT_ONCE_MS = 1500
SLOW_FIRST_TOKEN_SECONDS = 1.0
SLOW_TOKENS_PER_SECOND = 15  # about eight seconds for the note below: time to watch it arrive in pieces
PSA_LATENCY_MS = 500  # each ConnectWise round trip: the post is still running when Confirm's answer is read
SLOW_POLL_SECONDS = 30  # the card's fallback poll, out of the way: a poll landing beside the push would race it
PUSHED_WITHIN_SECONDS = 5.0  # the handoff finished on the server → the toast in the page; the poll would take 30 s
HEADINGS = list(DraftKind.RESOLUTION_NOTE.headings)
RESOLUTION_NOTE = (
    "## Problem\n\nOutlook asked for the password every few minutes.\n\n"
    "## What we confirmed\n\nA stale MicrosoftOffice16 entry sat in Credential Manager.\n\n"
    "## Root cause\n\nOutlook kept offering the cached token the tenant refuses.\n\n"
    "## Resolution\n\nRemoved the cached Office credentials; Outlook signs in without prompting."
)
WORKED = '"outcome": "applied_success"'  # the fix as the draft request's session data has it
VERIFIED = "Posted the resolution note to ticket #1001. Status verified: the ticket now shows “Resolved”."

WATCH_THE_PANEL = """() => {
    const seen = window.__panel = {drafting: false, clickedAt: null, renderedAt: null};
    const look = () => {
        if (document.querySelector('#preview-panel [data-draft-stream]')) seen.drafting = true;
        if (seen.renderedAt === null && document.querySelector('#preview-panel article.rendered')) {
            seen.renderedAt = performance.now();
        }
    };
    new MutationObserver(look).observe(document.body, {childList: true, subtree: true});
    document.addEventListener('click', event => {
        if (seen.clickedAt === null && event.target.closest('.wrap-actions button')) seen.clickedAt = performance.now();
    }, true);
}"""

WATCH_THE_POST = """() => {
    const seen = window.__post = {statusTriggers: [], toastAt: null};
    document.body.addEventListener('htmx:configRequest', event => {
        if (event.detail.path.startsWith('/handoffs/') && !event.detail.path.endsWith('/retry/')) {
            seen.statusTriggers.push(event.detail.triggeringEvent ? event.detail.triggeringEvent.type : 'poll');
        }
    });
    new MutationObserver(() => {
        if (seen.toastAt === null && document.querySelector('#toasts .toast-success')) seen.toastAt = Date.now();
    }).observe(document.body, {childList: true, subtree: true});
}"""


@pytest.fixture
def drafting_in_the_background(model_on, live_server, background_in_a_thread):
    return model_on


@pytest.fixture
def preparing(settings):
    settings.FLOWPILOT_PREPARE_DRAFTS = True
    settings.FLOWPILOT_PREPARE_DELAY_SECONDS = PREPARE_DELAY_SECONDS


@pytest.fixture
def posts_off_the_request(monkeypatch):
    """The post runs away from the Confirm request, in a thread, as a worker runs it: on the embedded defaults it
    runs inside the request, whose answer is then the end itself and nothing is left to push."""
    monkeypatch.setattr(handoff_services, "enqueue_on_commit", functools.partial(enqueue_on_commit, background=True))


def draft_requests(stub) -> list[dict]:
    return [request["body"] for request in stub.requests if not request["body"].get("tools")]


def wait_for(check, *, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"Waited {timeout:.0f} s for {what}")


def rendered_headings(wrap_up):
    return wrap_up.locator("article.rendered").get_by_role("heading")


def test_a_fix_marked_as_worked_has_its_resolution_note_ready_at_once_on_preview(
    page, shot, bob, session_a, fix_a, drafting_in_the_background, preparing
):
    stub = drafting_in_the_background
    stub.reply_with({"text": RESOLUTION_NOTE}, {"text": RESOLUTION_NOTE})  # the wrap-up in view prepares one too
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)

    fix = region(page, "Suggested fix")
    fix.get_by_text("Record how it went").click()
    fix.get_by_label("Record the outcome").select_option(label="Applied — fixed it")
    click_and_settle(page, fix.get_by_role("button", name="Record outcome"))
    expect(fix.get_by_text("Outcome: Applied — fixed it")).to_be_visible()

    marked = Session.objects.get(pk=session_a.pk).state_version
    wait_for(
        lambda: any(WORKED in str(body["messages"]) for body in draft_requests(stub)),
        what="the draft of the fix marked as worked to reach the model",
    )
    prepared = wait_for(
        lambda: cache.get(preview_key(DraftKind.RESOLUTION_NOTE, session_a.pk, marked)),
        what="the prepared draft to be kept",
    )
    assert prepared["prepared_in_background"] is True
    assert sum(WORKED in str(body["messages"]) for body in draft_requests(stub)) == 1
    asked_before_click = len(draft_requests(stub))
    shot("fix-marked-draft-prepared")

    page.evaluate(WATCH_THE_PANEL)
    wrap_up = open_preview(page)
    expect(rendered_headings(wrap_up)).to_have_text(HEADINGS)
    seen = page.evaluate("window.__panel")
    click_to_rendered_ms = seen["renderedAt"] - seen["clickedAt"]
    assert click_to_rendered_ms <= AT_ONCE_MS, f"the prepared draft took {click_to_rendered_ms:.0f} ms to show"
    assert not seen["drafting"], "Preview showed “Drafting…” for a draft prepared before the click"
    expect(wrap_up.locator("#prepared")).to_have_text(re.compile(r"^prepared in the background "))
    expect(wrap_up.locator("article.rendered")).to_contain_text("Removed the cached Office credentials")
    assert_same_document(page)
    shot("preview-at-once")
    assert len(draft_requests(stub)) == asked_before_click, "Preview asked the model again for a prepared draft"


def test_a_draft_nobody_prepared_streams_into_the_panel_then_shows_rendered(
    page, shot, bob, session_a, drafting_in_the_background
):
    stub = drafting_in_the_background
    stub.first_token_delay_seconds = SLOW_FIRST_TOKEN_SECONDS
    stub.tokens_per_second = SLOW_TOKENS_PER_SECOND
    stub.reply_with({"text": RESOLUTION_NOTE})
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)

    wrap_up = region(page, "Wrap up")
    wrap_up.get_by_role("button", name="Preview resolve note").click()
    expect(wrap_up.get_by_text("Drafting the resolution note…")).to_be_visible()
    shot("drafting")

    streamed = wrap_up.locator("pre[data-draft-text]")
    lengths = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = page.evaluate("document.querySelector('#preview-panel pre[data-draft-text]')?.textContent ?? null")
        if text is None:  # the finished panel replaced the drafting one
            break
        if text and (not lengths or len(text) != lengths[-1]):
            assert RESOLUTION_NOTE.startswith(text), f"the streamed draft is out of order or doubled: {text!r}"
            assert not lengths or len(text) > lengths[-1], f"the streamed draft shrank to {text!r}"
            lengths.append(len(text))
            if len(lengths) == 3:
                expect(streamed).to_contain_text("## Problem")
                shot("draft-streaming")
        page.wait_for_timeout(100)
    assert len(lengths) >= 3, f"the draft did not arrive in pieces: lengths seen {lengths}"
    assert lengths[0] < len(RESOLUTION_NOTE)

    expect(rendered_headings(wrap_up)).to_have_text(HEADINGS)
    expect(wrap_up.get_by_text("Drafting the resolution note…")).to_have_count(0)
    expect(wrap_up.locator("#prepared")).to_have_count(0)
    expect(wrap_up.locator("article.rendered")).to_contain_text("Removed the cached Office credentials")
    settled(page)
    assert_same_document(page)
    shot("draft-rendered")
    assert len(draft_requests(stub)) == 1


def test_confirm_and_post_ends_on_the_verified_toast_pushed_when_the_post_finishes(
    page, shot, bob, session_a, psa_connected, simulator, drafting_in_the_background, posts_off_the_request, settings
):
    settings.FLOWPILOT_HANDOFF_POLL_SECONDS = SLOW_POLL_SECONDS
    simulator.set_faults(latency_ms=PSA_LATENCY_MS)
    signed_in(page, bob)
    open_workspace(page, session_a)
    wrap_up = open_preview(page)
    expect(wrap_up.get_by_text("Customer-visible", exact=True)).to_be_visible()
    mark_document(page)

    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()  # no fix marked as worked
    page.evaluate(WATCH_THE_POST)
    progress = page.locator("#wrap-up").get_by_role("status").filter(has_text="Posting the resolution note")
    with page.expect_request(re.compile(r"/api/handoffs/[0-9a-f-]{36}/events$")) as events_request:
        wrap_up.get_by_role("button", name="Confirm & post to #1001").click()
        expect(progress).to_be_visible()
    shot("posting")

    toast = page.locator("#toasts").get_by_role("status")
    expect(toast).to_contain_text(VERIFIED)
    expect(region(page, "Outcome").get_by_role("heading", name="Resolved (posted to the PSA)")).to_be_visible()
    assert_same_document(page)
    shot("verified-toast")

    handoff = Handoff.objects.get(session=session_a)
    assert handoff.state == Handoff.State.SUCCEEDED
    assert events_request.value.url.endswith(f"/api/handoffs/{handoff.pk}/events")
    seen = page.evaluate("window.__post")
    finished_to_toast = seen["toastAt"] / 1000 - handoff.finished_at.timestamp()
    assert finished_to_toast <= PUSHED_WITHIN_SECONDS, f"the toast came {finished_to_toast:.2f} s after the post ended"
    assert seen["statusTriggers"] == ["handoff-finished"], (
        f"the status was asked for other than once, by the pushed end: {seen['statusTriggers']}"
    )
    assert len(simulator.notes_for(1001)) == 1
