"""Confirm & post through a real Celery worker process, against the simulator over real HTTP: the
happy path with its verified status, Retry-After honoured, twenty simultaneous posts making one
handoff and one note, and a worker SIGKILLed in the middle of a handoff (while ConnectWise is slow to
take the note, whether or not it had applied it, and while it is slow to change the status) whose
task is redelivered and finishes the handoff with exactly one note."""

import time

import pytest
from django.urls import reverse

from handoff.models import Handoff
from sessions.models import Session
from tests.support.clients import post_all_at_once, wait_for
from tests.support.data import RESOLVED_STATUS_ID
from tests.support.workers import RESOLUTION_TEXT, queue, wait_until_finished

THREADS = 20
STILL_WAITING_SECONDS = 30  # a slow call that is still unanswered when the worker is killed


@pytest.fixture
def worker_env():
    # The kill must land while the slow call is still waiting: no read timeout may end it first.
    return {"FLOWPILOT_PSA_READ_TIMEOUT_SECONDS": str(STILL_WAITING_SECONDS * 2)}


def test_a_worker_posts_and_verifies_the_status(celery_worker, bob_api, session_a, psa_connected, simulator):
    simulator.set_faults(latency_ms=300)  # the post takes over a second: it cannot have ended when the answer is read
    queued = queue(bob_api, session_a)

    handoff = wait_until_finished(bob_api, queued["id"])

    # Answered before the post ended: the worker runs it, not the request (which may see the worker begin).
    assert queued["state"] in ("queued", "posting")
    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["psa"]["status"] == {"target_id": 5, "id": 5, "name": "Resolved", "verified": True}
    assert len(simulator.notes_for(1001)) == 1
    assert Session.objects.get(pk=session_a.pk).closed_as == "resolved"


def test_the_worker_retries_a_rate_limit_after_retry_after(celery_worker, bob_api, session_a, psa_connected, simulator):
    simulator.set_faults(rate_limit={"count": 2, "retry_after": 1, "methods": ["POST"]})
    started = time.monotonic()

    queued = queue(bob_api, session_a)
    handoff = wait_until_finished(bob_api, queued["id"])

    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["attempts"] == 3
    assert time.monotonic() - started >= 2  # two waits of Retry-After: 1
    assert len(simulator.notes_for(1001)) == 1


def kill_and_restart(worker, simulator):
    worker.kill()  # SIGKILL: the task is unacknowledged, so the broker redelivers it to the next worker
    simulator.set_faults()
    worker.start()


def test_a_worker_killed_between_the_note_and_the_status_change_posts_no_second_note(
    celery_worker, bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(slow={"method": "PATCH", "route": "ticket", "seconds": STILL_WAITING_SECONDS})
    queued = queue(bob_api, session_a)
    wait_for(lambda: Handoff.objects.get(pk=queued["id"]).note_id, timeout=30, what="the note to be recorded")
    wait_for(lambda: simulator.state()["requests"].get("PATCH ticket"), timeout=10, what="the status change")

    kill_and_restart(celery_worker, simulator)  # mid-PATCH: the note is on the ticket, the status change unanswered
    handoff = wait_until_finished(bob_api, queued["id"])

    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["attempts"] == 2
    assert len(simulator.notes_for(1001)) == 1
    assert simulator.ticket(1001)["status"]["id"] == RESOLVED_STATUS_ID


@pytest.mark.parametrize(
    ("applied_before_the_kill", "note_posts"),
    [(False, 2), (True, 1)],
    ids=["not-yet-applied", "applied-answer-pending"],
)
def test_a_worker_killed_while_connectwise_is_slow_to_take_the_note_leaves_one_note_after_redelivery(
    celery_worker, bob_api, session_a, psa_connected, simulator, applied_before_the_kill, note_posts
):
    slow_note = {"method": "POST", "route": "notes", "seconds": STILL_WAITING_SECONDS}
    simulator.set_faults(slow={**slow_note, "after_apply": applied_before_the_kill})
    queued = queue(bob_api, session_a)
    wait_for(lambda: simulator.state()["requests"].get("POST notes"), timeout=30, what="the note to be sent")
    notes_at_the_kill = len(simulator.notes_for(1001))

    kill_and_restart(celery_worker, simulator)  # the note's answer never reaches the worker, applied or not
    handoff = wait_until_finished(bob_api, queued["id"])

    assert notes_at_the_kill == (1 if applied_before_the_kill else 0)
    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["attempts"] == 2
    (note,) = simulator.notes_for(1001)
    assert handoff["psa"]["note_id"] == note["id"]
    # Applied: the redelivered task found it on the ticket. Not applied: ConnectWise dropped it with the
    # dead worker's connection, and the redelivered task posted it (its one note).
    assert simulator.state()["requests"]["POST notes"] == note_posts
    assert simulator.ticket(1001)["status"]["id"] == RESOLVED_STATUS_ID


def test_twenty_simultaneous_posts_make_one_handoff_and_one_note(
    celery_worker, bob, session_a, psa_connected, simulator
):
    url = reverse("api-resolution-post", args=[session_a.pk])
    responses = post_all_at_once(bob, url, {"markdown": RESOLUTION_TEXT}, count=THREADS)
    answers = [(response.status_code, response.json().get("code")) for response in responses]
    (handoff,) = Handoff.objects.filter(session=session_a)
    wait_for(lambda: Handoff.objects.get(pk=handoff.pk).is_finished, timeout=30, what="the handoff")

    assert sorted(status for status, _ in answers) == [202] + [409] * (THREADS - 1)
    assert {code for status, code in answers if status == 409} <= {"handoff_in_progress", "session_closed"}
    assert Handoff.objects.get(pk=handoff.pk).state == Handoff.State.SUCCEEDED
    assert len(simulator.notes_for(1001)) == 1
