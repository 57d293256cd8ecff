"""Drafts prepared before the click (drafting.preparation): once per likely final state, after the last of a
burst of writes, joined by a concurrent click, never for a closed session or an account that turned it off."""

import time

import pytest
from django.core.cache import cache

from accounts.services import account_settings_for
from drafting import preparation
from drafting import services as drafting_services
from drafting.kinds import DraftKind
from drafting.previews import lock_key, preview_key
from sessions import services
from sessions.models import Session
from tests.support.clients import wait_for

RESOLUTION = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


@pytest.fixture
def preparing(settings):
    settings.FLOWPILOT_PREPARE_DRAFTS = True


def preview_url(session, kind="resolution-note"):
    return f"/api/ai-sessions/{session.pk}/{kind}/preview"


def draft_requests(stub) -> int:
    return sum(1 for request in stub.requests if not request["body"].get("tools"))


def test_a_fix_marked_as_worked_prepares_the_resolution_note_and_preview_is_served_from_the_cache(
    bob_api, session_a, fix_a, model_on, preparing
):
    model_on.reply_with({"text": RESOLUTION})

    services.fix_record_outcome(fix=fix_a, outcome="applied_success")

    state = Session.objects.get(pk=session_a.pk).state_version
    prepared = cache.get(preview_key(DraftKind.RESOLUTION_NOTE, session_a.pk, state))
    assert prepared is not None and prepared["prepared_in_background"] is True
    assert draft_requests(model_on) == 1
    body = bob_api.post(preview_url(session_a), {}, format="json").json()
    assert (body["from_cache"], body["state_version"]) == (True, state)
    assert draft_requests(model_on) == 1  # nothing more on Preview


def test_a_fix_marked_as_failed_prepares_the_escalation_package(session_a, fix_a, model_off, preparing):
    services.fix_record_outcome(fix=fix_a, outcome="applied_failed")

    state = Session.objects.get(pk=session_a.pk).state_version
    assert cache.get(preview_key(DraftKind.ESCALATION_PACKAGE, session_a.pk, state)) is not None
    assert cache.get(preview_key(DraftKind.RESOLUTION_NOTE, session_a.pk, state)) is None


def test_nothing_is_prepared_while_the_work_goes_on(bob, session_a, fix_a, model_on, preparing):
    services.fact_add(session=session_a, user=bob, text="The user is on the VPN.")
    services.fix_record_outcome(fix=fix_a, outcome="applied_pending")

    assert model_on.call_count == 0


def test_once_per_kind_and_state_however_often_it_is_asked(session_a, fix_a, model_on, preparing):
    services.fix_record_outcome(fix=fix_a, outcome="applied_success")
    session = Session.objects.get(pk=session_a.pk)

    for _ in range(3):
        drafting_services.preview_prepare(session=session, kind=DraftKind.RESOLUTION_NOTE, delay=0)

    assert draft_requests(model_on) == 1


def test_a_click_already_drafting_is_joined_not_doubled(session_a, fix_a, model_on, settings, preparing):
    settings.FLOWPILOT_PREPARE_DRAFTS = False  # the fix is marked without preparing, as if the click came first
    services.fix_record_outcome(fix=fix_a, outcome="applied_success")
    settings.FLOWPILOT_PREPARE_DRAFTS = True
    session = Session.objects.get(pk=session_a.pk)
    cache.add(lock_key(DraftKind.RESOLUTION_NOTE, session.pk, session.state_version), "generating", 60)

    assert (
        preparation.preview_prepared_generate(
            session_id=session.pk, kind=DraftKind.RESOLUTION_NOTE, state_version=session.state_version
        )
        is None
    )
    assert model_on.call_count == 0


def test_a_closed_session_or_an_account_that_turned_it_off_prepares_nothing(
    alice, account_a, session_a, fix_a, model_on, preparing
):
    preparation.account_background_drafts_update(account=account_a, enabled=False, actor=alice)
    services.fix_record_outcome(fix=fix_a, outcome="applied_success")
    assert model_on.call_count == 0
    assert preparation.background_drafts_on(account_settings_for(account_a)) is False

    preparation.account_background_drafts_update(account=account_a, enabled=True, actor=alice)
    session = Session.objects.get(pk=session_a.pk)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.RESOLVED)
    session.refresh_from_db()
    assert drafting_services.preview_prepare(session=session, kind=DraftKind.RESOLUTION_NOTE) is False
    assert (
        preparation.preview_prepared_generate(
            session_id=session.pk, kind=DraftKind.RESOLUTION_NOTE, state_version=session.state_version
        )
        is None
    )
    assert model_on.call_count == 0


def test_a_state_that_moved_on_before_its_turn_is_not_prepared(session_a, fix_a, model_on, preparing):
    services.fix_record_outcome(fix=fix_a, outcome="applied_success")
    session = Session.objects.get(pk=session_a.pk)

    assert (
        preparation.preview_prepared_generate(
            session_id=session.pk, kind=DraftKind.RESOLUTION_NOTE, state_version=session.state_version - 1
        )
        is None
    )


def test_a_burst_of_writes_prepares_once_after_the_last(
    transactional_db, bob, session_a, fix_a, model_on, settings, preparing, background_in_a_thread
):
    """Through the embedded defaults' background thread, with the debounce as configured."""
    # The six writes below must all commit within one debounce of the first, or an earlier state would find
    # itself still current and be drafted too: 2 s leaves them ample time on a loaded machine, 0.5 s did not.
    settings.FLOWPILOT_PREPARE_DELAY_SECONDS = 2.0
    model_on.reply_with(*[{"text": RESOLUTION}] * 3)

    services.fix_record_outcome(fix=fix_a, outcome="applied_success")
    for n in range(5):
        services.fact_add(session=session_a, user=bob, text=f"One more thing we saw: {n}.")
    final = Session.objects.get(pk=session_a.pk).state_version

    wait_for(
        lambda: cache.get(preview_key(DraftKind.RESOLUTION_NOTE, session_a.pk, final)),
        timeout=10,
        what="the prepared draft of the last state",
    )
    time.sleep(1.0)  # every earlier state's preparation has had its turn by now
    assert draft_requests(model_on) == 1


def test_the_wrap_up_coming_into_view_prepares_its_draft_once_a_fix_was_applied(
    bob_web, session_a, fix_a, model_on, settings, preparing
):
    prepare = f"/sessions/{session_a.pk}/wrap-up/prepare/"
    assert bob_web.post(prepare, HTTP_HX_REQUEST="true").status_code == 204
    assert model_on.call_count == 0  # a fix proposed, none applied: opening the workspace costs nothing

    settings.FLOWPILOT_PREPARE_DRAFTS = False  # applied without the state's own trigger, as if it came earlier
    services.fix_record_outcome(fix=fix_a, outcome="applied_pending")
    settings.FLOWPILOT_PREPARE_DRAFTS = True
    assert bob_web.post(prepare, HTTP_HX_REQUEST="true").status_code == 204

    state = Session.objects.get(pk=session_a.pk).state_version
    assert cache.get(preview_key(DraftKind.RESOLUTION_NOTE, session_a.pk, state)) is not None


def test_the_panel_says_the_draft_was_prepared_in_the_background(bob_web, session_a, fix_a, model_off, preparing):
    services.fix_record_outcome(fix=fix_a, outcome="applied_success")

    page = bob_web.get(f"/sessions/{session_a.pk}/?preview=resolution-note").content.decode()

    assert "prepared in the background" in page
    assert 'hx-trigger="intersect once"' in page
