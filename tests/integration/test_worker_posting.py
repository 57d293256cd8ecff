"""Confirm & post through a real Celery worker process, against the simulator over real HTTP."""

import time

from django.urls import reverse

from handoff.models import Handoff
from sessions.models import Session
from tests.conftest import RESOLVED_STATUS_ID, post_all_at_once, wait_for

THREADS = 20
TEXT = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


def post_resolution(client, session):
    response = client.post(reverse("api-resolution-post", args=[session.pk]), {"markdown": TEXT}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()


def finished(client, handoff_id):
    body = client.get(reverse("api-handoff", args=[handoff_id])).json()
    return body if body["state"] in ("succeeded", "failed") else None


def test_a_worker_posts_and_verifies_the_status(celery_worker, bob_api, session_a, psa_connected, simulator):
    queued = post_resolution(bob_api, session_a)

    handoff = wait_for(lambda: finished(bob_api, queued["id"]), timeout=30, what="the handoff")

    assert queued["state"] == "queued"
    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["psa"]["status"] == {"target_id": 5, "id": 5, "name": "Resolved", "verified": True}
    assert len(simulator.notes_for(1001)) == 1
    assert Session.objects.get(pk=session_a.pk).closed_as == "resolved"


def test_the_worker_retries_a_rate_limit_after_retry_after(celery_worker, bob_api, session_a, psa_connected, simulator):
    simulator.set_faults(rate_limit={"count": 2, "retry_after": 1, "methods": ["POST"]})
    started = time.monotonic()

    queued = post_resolution(bob_api, session_a)
    handoff = wait_for(lambda: finished(bob_api, queued["id"]), timeout=30, what="the handoff")

    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["attempts"] == 3
    assert time.monotonic() - started >= 2  # two waits of Retry-After: 1
    assert len(simulator.notes_for(1001)) == 1


def test_a_worker_killed_between_the_note_and_the_status_change_posts_no_second_note(
    celery_worker, bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(slow={"method": "PATCH", "route": "ticket", "seconds": 30})
    queued = post_resolution(bob_api, session_a)
    wait_for(lambda: Handoff.objects.get(pk=queued["id"]).note_id, timeout=30, what="the note to be recorded")
    wait_for(lambda: simulator.state()["requests"].get("PATCH ticket"), timeout=10, what="the status change")

    celery_worker.kill()  # mid-PATCH: the note is on the ticket, the status change has no answer yet
    simulator.set_faults()
    celery_worker.start()
    handoff = wait_for(lambda: finished(bob_api, queued["id"]), timeout=60, what="redelivery and the rest")

    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["attempts"] == 2
    assert len(simulator.notes_for(1001)) == 1
    assert simulator.ticket(1001)["status"]["id"] == RESOLVED_STATUS_ID


def test_twenty_simultaneous_posts_make_one_handoff_and_one_note(
    celery_worker, bob, session_a, psa_connected, simulator
):
    url = reverse("api-resolution-post", args=[session_a.pk])
    responses = post_all_at_once(bob, url, {"markdown": TEXT}, count=THREADS)
    answers = [(response.status_code, response.json().get("code")) for response in responses]
    (handoff,) = Handoff.objects.filter(session=session_a)
    wait_for(lambda: Handoff.objects.get(pk=handoff.pk).is_finished, timeout=30, what="the handoff")

    assert sorted(status for status, _ in answers) == [202] + [409] * (THREADS - 1)
    assert {code for status, code in answers if status == 409} <= {"handoff_in_progress", "session_closed"}
    assert len(simulator.notes_for(1001)) == 1
