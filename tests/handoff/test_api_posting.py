"""Confirm & post over REST, with tasks inline and ConnectWise served over real HTTP by the simulator."""

import pytest
from django.urls import reverse

from accounts.services import account_settings_update
from devtools.connectwise.simulator import connection_fields
from handoff.models import Handoff
from psa.models import PsaConnection
from psa.plaintext import markdown_to_plain_text
from psa.services import psa_connection_save
from sessions import services
from sessions.models import Session
from tests.support.data import ESCALATED_STATUS_ID, RESOLVED_STATUS_ID

TEXT = (
    "## Problem\n\nOutlook prompted for a password.\n\n## What we confirmed\n\n- Stale credentials.\n\n"
    "## Root cause\n\nA cached credential.\n\n## Resolution\n\nCleared it."
)


def post_url(session, kind="resolution"):
    return reverse(f"api-{kind}-post", args=[session.pk])


def handoff_url(handoff_id, retry=False):
    return reverse("api-handoff-retry" if retry else "api-handoff", args=[handoff_id])


def post(client, session, kind="resolution", markdown=TEXT):
    return client.post(post_url(session, kind), {"markdown": markdown}, format="json")


def test_resolve_posts_a_resolution_note_and_verifies_the_status(bob_api, session_a, psa_connected, simulator):
    response = post(bob_api, session_a)

    assert response.status_code == 202
    handoff = bob_api.get(handoff_url(response.json()["id"])).json()
    assert (handoff["state"], handoff["outcome"], handoff["error"]) == ("succeeded", "resolved", None)
    (note,) = simulator.notes_for(1001)
    assert note["text"] == markdown_to_plain_text(TEXT)
    assert (note["resolutionFlag"], note["internalAnalysisFlag"], note["detailDescriptionFlag"]) == (True, False, False)
    assert handoff["psa"] == {
        "provider": "connectwise",
        "ticket_id": 1001,
        "note_id": note["id"],
        "note_kind": "resolution",
        "note_text": note["text"],
        "status": {"target_id": RESOLVED_STATUS_ID, "id": RESOLVED_STATUS_ID, "name": "Resolved", "verified": True},
        "status_transition_skipped_reason": "",
    }
    assert simulator.ticket(1001)["status"]["id"] == RESOLVED_STATUS_ID
    session_a.refresh_from_db()
    assert (session_a.status, session_a.closed_as) == ("resolved", "resolved")
    assert handoff["markdown"] == TEXT


def test_escalate_posts_an_internal_note(bob_api, session_a, psa_connected, simulator):
    response = post(bob_api, session_a, "escalation")

    assert response.json()["state"] == "succeeded"
    (note,) = simulator.notes_for(1001)
    assert (note["internalAnalysisFlag"], note["resolutionFlag"], note["customerUpdatedFlag"]) == (True, False, False)
    assert response.json()["psa"]["status"]["name"] == "Escalated - Tier 2"
    assert response.json()["psa"]["status"]["id"] == ESCALATED_STATUS_ID
    assert Session.objects.get(pk=session_a.pk).closed_as == "escalated"


def test_a_session_without_a_ticket_closes_locally_without_any_http(bob_api, account_a, bob, psa_connected, simulator):
    session = services.session_create(account=account_a, user=bob, title="Printer jam")

    response = post(bob_api, session, "escalation")

    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["outcome"], body["psa"]["ticket_id"]) == ("succeeded", "escalated_local", None)
    assert simulator.state()["requests"] == {}
    assert Session.objects.get(pk=session.pk).closed_as == "escalated_local"


def test_without_a_target_status_the_post_succeeds_and_says_why_it_skipped(
    bob_api, account_a, session_a, psa_connected, simulator
):
    account_settings_update(account=account_a, changes={"cw_resolved_status_id": None})

    body = post(bob_api, session_a).json()

    assert body["state"] == "succeeded"
    assert "No target status is configured" in body["psa"]["status_transition_skipped_reason"]
    assert body["psa"]["status"]["verified"] is None
    assert simulator.ticket(1001)["status"]["name"] == "New"
    assert len(simulator.notes_for(1001)) == 1


def test_a_silent_status_rejection_fails_loudly_and_a_retry_posts_no_second_note(
    bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(silent_status_rejection=True)

    failed = post(bob_api, session_a).json()

    assert failed["state"] == "failed"
    assert failed["error"]["code"] == "status_verification_failed"
    assert "kept the ticket at New" in failed["error"]["message"]
    assert failed["psa"]["note_id"] == simulator.notes_for(1001)[0]["id"]
    assert failed["psa"]["status"] == {"target_id": 5, "id": 1, "name": "New", "verified": False}
    assert Session.objects.get(pk=session_a.pk).is_open

    simulator.set_faults()
    retried = bob_api.post(handoff_url(failed["id"], retry=True), format="json")

    assert retried.status_code == 202
    assert retried.json()["state"] == "succeeded"
    assert retried.json()["attempts"] == 2
    assert len(simulator.notes_for(1001)) == 1
    assert Session.objects.get(pk=session_a.pk).closed_as == "resolved"


def test_a_status_of_another_board_is_caught_by_the_verification(bob_api, account_a, session_a, psa_connected):
    account_settings_update(account=account_a, changes={"cw_resolved_status_id": 21})  # "Done" on Projects

    body = post(bob_api, session_a).json()

    assert body["error"]["code"] == "status_verification_failed"
    assert "instead of moving it to status 21, which is not a status of the ticket's board." in body["error"]["message"]


def test_an_inactive_status_is_caught_and_named_as_inactive(bob_api, account_a, session_a, psa_connected):
    account_settings_update(account=account_a, changes={"cw_resolved_status_id": 7})  # "Old Resolved", inactive

    body = post(bob_api, session_a).json()

    assert body["error"]["code"] == "status_verification_failed"
    assert "instead of moving it to “Old Resolved” (id 7), which is inactive." in body["error"]["message"]


@pytest.mark.parametrize(
    "faults",
    [
        {"rate_limit": {"count": 2, "retry_after": 0}},
        {"server_error": {"count": 2, "status": 503}},
        {"drop_connection": {"count": 1}},
        {"drop_connection": {"count": 1, "after_apply": True, "methods": ["POST"]}},
        {"server_error": {"count": 1, "status": 502, "methods": ["PATCH"]}},
    ],
)
def test_transient_faults_end_in_success_with_one_note(bob_api, session_a, psa_connected, simulator, faults):
    simulator.set_faults(**faults)

    body = post(bob_api, session_a).json()
    handoff = bob_api.get(handoff_url(body["id"])).json()

    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["attempts"] >= 2
    assert len(simulator.notes_for(1001)) == 1
    assert handoff["psa"]["status"]["verified"] is True


def test_transient_faults_that_outlast_the_retries_fail_with_the_text_kept(
    bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(server_error={"count": 100, "status": 503})

    body = post(bob_api, session_a).json()

    assert body["state"] == "failed"
    assert body["error"]["code"] == "psa_unavailable"
    assert body["attempts"] == 3  # eager tasks wait inside the request: two quick retries, then Retry is the user's
    assert body["error"]["message"].endswith("(gave up after 3 attempts)")
    assert body["markdown"] == TEXT
    assert Session.objects.get(pk=session_a.pk).is_open


def test_wrong_keys_are_psa_auth_failed(bob_api, account_a, session_a, psa_connected, simulator):
    psa_connection_save(account=account_a, **{**connection_fields(simulator.url), "private_key": "wrong-private-key"})

    body = post(bob_api, session_a).json()

    assert (body["state"], body["error"]["code"]) == ("failed", "psa_auth_failed")
    assert "wrong-private-key" not in str(body)
    assert simulator.notes_for(1001) == []


def test_an_unknown_ticket_is_psa_ticket_not_found(bob_api, session_a, psa_connected):
    services.session_update(session=session_a, changes={"psa_ticket_id": 999999})

    body = post(bob_api, session_a).json()

    assert body["error"]["code"] == "psa_ticket_not_found"
    assert "999999" in body["error"]["message"]


def test_a_rejected_note_shows_connectwises_own_message(bob_api, session_a, psa_connected, simulator):
    simulator.set_faults(server_error={"count": 0, "status": 500})
    response = post(bob_api, session_a, markdown="   ")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert simulator.notes_for(1001) == []


# Refusals


def test_a_closed_session_is_409(bob_api, session_a, psa_connected):
    post(bob_api, session_a)

    again = post(bob_api, session_a)

    assert again.status_code == 409
    assert again.json()["code"] == "session_closed"


def test_a_post_while_another_is_in_flight_is_409(bob_api, session_a, psa_connected, bob):
    Handoff.objects.create(session=session_a, kind="resolution_note", markdown="x", created_by=bob)

    response = post(bob_api, session_a)

    assert response.status_code == 409
    assert response.json()["code"] == "handoff_in_progress"


def test_a_ticket_without_a_psa_connection_is_409(bob_api, session_a):
    response = post(bob_api, session_a)

    assert response.status_code == 409
    assert response.json()["code"] == "psa_not_configured"
    assert not Handoff.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"markdown": ""}, "markdown"),
        ({"markdown": "x" * 20_001}, "markdown"),
        ({"markdown": 42}, "markdown"),
        ({}, "markdown"),
        ({"markdown": "ok", "extra": 1}, "extra"),
    ],
)
def test_bad_text_is_400(bob_api, session_a, psa_connected, payload, field):
    response = bob_api.post(post_url(session_a), payload, format="json")

    assert response.status_code == 400
    assert field in response.json().get("errors", response.json())
    assert not Handoff.objects.exists()


def test_only_a_failed_handoff_can_be_retried(bob_api, session_a, psa_connected):
    body = post(bob_api, session_a).json()

    response = bob_api.post(handoff_url(body["id"], retry=True), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "handoff_not_failed"


def test_another_accounts_session_and_handoff_are_404(bob_api, charlie_api, session_a, psa_connected):
    handoff_id = post(bob_api, session_a).json()["id"]

    assert post(charlie_api, session_a).status_code == 404
    assert charlie_api.get(handoff_url(handoff_id)).status_code == 404
    assert charlie_api.post(handoff_url(handoff_id, retry=True), format="json").status_code == 404


def test_a_site_url_refused_after_saving_fails_the_handoff_clearly(settings, bob_api, session_a, psa_connected):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False  # the simulator's 127.0.0.1 is now refused

    body = post(bob_api, session_a).json()

    assert (body["state"], body["error"]["code"]) == ("failed", "psa_not_configured")
    assert "site URL is not https" in body["error"]["message"]


@pytest.mark.parametrize(("kind", "notified"), [("resolution", True), ("escalation", False)])
def test_only_a_resolution_note_asks_connectwise_to_email_the_customer(
    bob_api, session_a, psa_connected, simulator, kind, notified
):
    PsaConnection.objects.filter(pk=psa_connected.pk).update(notify_customer=True)

    post(bob_api, session_a, kind)

    assert simulator.notes_for(1001)[0]["processNotifications"] is notified


def test_a_down_task_queue_is_a_clear_503_and_leaves_no_handoff(bob_api, session_a, psa_connected, monkeypatch):
    from kombu.exceptions import OperationalError

    from handoff import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.post_handoff, "delay", broker_down)

    response = post(bob_api, session_a)

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert not Handoff.objects.exists()
    assert Session.objects.get(pk=session_a.pk).is_open
