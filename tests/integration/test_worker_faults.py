"""Every ConnectWise fault of DESIGN §7, posted through a real worker process: it ends in success
with one note, or in a clear failed handoff with its text kept."""

import pytest
from django.urls import reverse

from psa.services import psa_connection_save
from psa.simulator import connection_fields
from sessions import services
from sessions.models import Session
from tests.conftest import wait_for

TEXT = (
    "## Problem\n\nA.\n\n## What we've confirmed\n\n- B\n\n## What we've tried\n\nC.\n\n## Current hypothesis\n\nD."
    "\n\n## Suggested next steps\n\n1. E."
)


def post_and_wait(client, session, kind="escalation"):
    queued = client.post(reverse(f"api-{kind}-post", args=[session.pk]), {"markdown": TEXT}, format="json")
    assert queued.status_code == 202, queued.json()
    return wait_until_finished(client, queued.json()["id"])


def wait_until_finished(client, handoff_id):
    def finished():
        body = client.get(reverse("api-handoff", args=[handoff_id])).json()
        return body if body["state"] in ("succeeded", "failed") else None

    return wait_for(finished, timeout=60, what="the handoff")


@pytest.mark.parametrize(
    "faults",
    [
        {"rate_limit": {"count": 2, "retry_after": 0}},
        {"server_error": {"count": 2, "status": 500}},
        {"server_error": {"count": 1, "status": 503, "methods": ["PATCH"]}},
        {"drop_connection": {"count": 1}},
        {"drop_connection": {"count": 1, "after_apply": True, "methods": ["POST"]}},
        {"latency_ms": 200},
        {"transient_rate": 0.3, "seed": 11},
    ],
    ids=["429", "500", "503-on-status", "dropped", "dropped-after-the-note", "slow", "mixed"],
)
def test_transient_faults_end_in_success_with_one_internal_note(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator, faults
):
    simulator.set_faults(**faults)

    handoff = post_and_wait(bob_api, session_a)

    assert handoff["state"] == "succeeded", handoff["error"]
    (note,) = simulator.notes_for(1001)
    assert (note["internalAnalysisFlag"], note["resolutionFlag"]) == (True, False)
    assert handoff["psa"]["status"] == {"target_id": 4, "id": 4, "name": "Escalated - Tier 2", "verified": True}
    assert Session.objects.get(pk=session_a.pk).closed_as == "escalated"


def test_a_silent_status_rejection_fails_loudly_and_the_retry_posts_no_second_note(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(silent_status_rejection=True)
    failed = post_and_wait(bob_api, session_a, "resolution")
    simulator.set_faults()

    bob_api.post(reverse("api-handoff-retry", args=[failed["id"]]), format="json")
    retried = wait_for(
        lambda: (
            (body := bob_api.get(reverse("api-handoff", args=[failed["id"]])).json())["state"] == "succeeded" and body
        ),
        timeout=60,
        what="the retry",
    )

    assert failed["error"]["code"] == "status_verification_failed"
    assert failed["psa"]["note_id"] is not None
    assert retried["state"] == "succeeded"
    assert retried["psa"]["note_id"] == failed["psa"]["note_id"]
    assert len(simulator.notes_for(1001)) == 1


def test_wrong_keys_and_an_unknown_ticket_fail_clearly(
    shared_celery_worker, bob_api, account_a, bob, session_a, psa_connected, simulator
):
    other = services.session_create(account=account_a, user=bob, title="Ghost ticket", psa_ticket_id=999999)
    not_found = post_and_wait(bob_api, other)
    psa_connection_save(account=account_a, **{**connection_fields(simulator.url), "private_key": "not-the-key"})
    refused = post_and_wait(bob_api, session_a)

    assert (not_found["state"], not_found["error"]["code"]) == ("failed", "psa_ticket_not_found")
    assert (refused["state"], refused["error"]["code"]) == ("failed", "psa_auth_failed")
    assert refused["markdown"] == TEXT
    assert simulator.state()["notes"] == []
