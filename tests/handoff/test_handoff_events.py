"""The push that ends a post's wait: a handoff's `done` on its event stream, the moment it finishes."""

from drafting.kinds import DraftKind
from handoff import run, services
from handoff.models import Handoff

TEXT = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


def events_url(handoff):
    return f"/api/handoffs/{handoff.pk}/events"


def test_a_running_handoff_says_done_the_moment_it_finishes(
    bob_api, bob, session_a, psa_connected, simulator, monkeypatch
):
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda handoff, **options: None)  # the test runs it
    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)
    response = bob_api.get(events_url(handoff), HTTP_ACCEPT="text/event-stream")
    events = iter(response.streaming_content)

    assert response["Content-Type"] == "text/event-stream"
    assert next(events) == b": connected\n\n"
    run.handoff_run(handoff_id=handoff.pk)

    assert next(events) == b'event: done\ndata: {"state": "succeeded"}\n\n'
    assert list(events) == []


def test_a_finished_handoff_says_done_at_once(bob_api, bob, session_a, psa_connected, simulator):
    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)
    assert Handoff.objects.get(pk=handoff.pk).state == "succeeded"

    body = b"".join(bob_api.get(events_url(handoff)).streaming_content)

    assert b'event: done\ndata: {"state": "succeeded"}' in body


def test_another_accounts_handoff_events_are_404(charlie_api, bob, session_a, psa_connected, simulator):
    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    assert charlie_api.get(events_url(handoff), HTTP_ACCEPT="text/event-stream").status_code == 404


def test_the_card_listens_for_the_end_while_it_polls(bob_web, bob, session_a, psa_connected, simulator, monkeypatch):
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda handoff, **options: None)
    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    page = bob_web.get(f"/sessions/{session_a.pk}/").content.decode()

    assert f'data-handoff-events="/api/handoffs/{handoff.pk}/events"' in page
    assert 'hx-trigger="every 1s, handoff-finished"' in page
