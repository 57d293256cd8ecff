"""What real ConnectWise does beyond the faults (DESIGN §7, "Real ConnectWise also does"), each through a
real worker against the simulator: plain-text notes, a security role that lacks a permission, a codebase
moved by a cloud upgrade mid-run, Cloudflare's HTML 429, a status the board refuses with a 400, and a
busy ticket on which a note whose answer was lost is far from the newest."""

import pytest
from django.urls import reverse

from accounts.services import account_settings_update
from psa.models import PsaConnection
from psa.plaintext import markdown_to_plain_text
from tests.support.workers import ESCALATION_TEXT, RESOLUTION_TEXT, post_and_wait, retry_and_wait

CUSTOMER_TEXT = (
    "## Problem\n\nOutlook asked for a **password** again and again.\n\n"
    "## What we confirmed\n\n- Outlook on the web worked\n- Only the *desktop* app asked\n\n"
    "## Root cause\n\nOld saved credentials.\n\n## Resolution\n\n1. Removed them\n2. Restarted Outlook"
)


def test_the_customer_reads_a_plain_text_note_with_no_markup(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator
):
    handoff = post_and_wait(bob_api, session_a, "resolution", CUSTOMER_TEXT)

    assert handoff["state"] == "succeeded", handoff["error"]
    (note,) = simulator.notes_for(1001)
    assert note["text"] == markdown_to_plain_text(CUSTOMER_TEXT) == handoff["psa"]["note_text"]
    assert "#" not in note["text"] and "**" not in note["text"] and "*desktop*" not in note["text"]
    assert note["text"].startswith("Problem\n\nOutlook asked for a password again and again.")
    assert "- Outlook on the web worked\n- Only the desktop app asked" in note["text"]
    assert (note["resolutionFlag"], note["internalAnalysisFlag"], note["detailDescriptionFlag"]) == (True, False, False)
    assert handoff["markdown"] == CUSTOMER_TEXT  # what the engineer confirmed is kept as written


def test_a_security_role_without_the_permission_says_what_to_grant(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(forbidden={"count": 1, "methods": ["POST"]})

    failed = post_and_wait(bob_api, session_a, "escalation")
    simulator.set_faults()  # the admin granted the permission
    retried = retry_and_wait(bob_api, failed["id"])

    assert (failed["state"], failed["error"]["code"]) == ("failed", "psa_permission_denied")
    assert "ConnectWise refused adding a note to ticket 1001 (HTTP 403)" in failed["error"]["message"]
    assert (
        "security role" in failed["error"]["message"] and "Service Tickets: Add and Edit" in failed["error"]["message"]
    )
    assert "keys" not in failed["error"]["message"]
    assert failed["attempts"] == 1  # not retried on its own: nothing changes until an admin acts
    assert retried["state"] == "succeeded", retried["error"]
    assert len(simulator.notes_for(1001)) == 1


@pytest.mark.parametrize("after_calls", [0, 1], ids=["before-the-post", "between-the-note-and-the-status"])
def test_a_codebase_moved_by_a_cloud_upgrade_is_found_and_kept_with_one_note(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator, after_calls
):
    if after_calls:
        simulator.set_faults(codebase_move={"after_calls": after_calls, "codebase": "v2025_2/"})
    else:
        simulator.move_codebase("v2025_2/")

    handoff = post_and_wait(bob_api, session_a, "escalation")

    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["psa"]["status"]["verified"] is True
    assert len(simulator.notes_for(1001)) == 1
    assert simulator.state()["requests"]["GET companyinfo"] == 1
    assert PsaConnection.objects.get(pk=psa_connected.pk).codebase == "v2025_2/"


def test_cloudflares_html_429_is_waited_out_then_the_post_succeeds(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(rate_limit={"count": 2, "retry_after": 0, "html": True})

    handoff = post_and_wait(bob_api, session_a, "escalation")

    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["attempts"] == 3
    assert simulator.state()["injected_faults"]["rate_limit"] == 2
    assert len(simulator.notes_for(1001)) == 1


def test_a_status_the_board_refuses_with_a_400_keeps_the_note_and_retry_uses_the_fixed_target(
    shared_celery_worker, alice_api, bob_api, account_a, session_a, psa_connected, simulator
):
    simulator.set_faults(refuse_invalid_status=True)
    account_settings_update(account=account_a, changes={"cw_escalated_status_id": 21})  # "Done" on another board

    failed = post_and_wait(bob_api, session_a, "escalation")
    fixed = alice_api.patch(reverse("api-account-settings"), {"cw_escalated_status_id": 4}, format="json")
    retried = retry_and_wait(bob_api, failed["id"])

    assert (failed["state"], failed["error"]["code"]) == ("failed", "psa_rejected")
    assert "ticket object is invalid: The status is not valid for this board" in failed["error"]["message"]
    assert failed["psa"]["note_id"] is not None
    assert fixed.status_code == 200
    assert retried["state"] == "succeeded", retried["error"]
    assert retried["psa"]["status"] == {"target_id": 4, "id": 4, "name": "Escalated - Tier 2", "verified": True}
    (note,) = simulator.notes_for(1001)
    assert retried["psa"]["note_id"] == note["id"]
    assert simulator.state()["requests"]["POST notes"] == 1


@pytest.mark.parametrize("others", [60, 150], ids=["60-notes", "150-notes-two-pages"])
def test_a_lost_answer_on_a_busy_ticket_is_found_however_many_notes_came_after(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator, others
):
    simulator.set_faults(
        drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]}, busy_ticket={"notes": others}
    )

    handoff = post_and_wait(bob_api, session_a, "resolution", RESOLUTION_TEXT)

    assert handoff["state"] == "succeeded", handoff["error"]
    ours = [note for note in simulator.notes_for(1001) if note["createdBy"] == "flowpilot-api"]
    assert len(ours) == 1
    assert handoff["psa"]["note_id"] == ours[0]["id"]
    assert len(simulator.notes_for(1001)) == 1 + others
    assert simulator.state()["requests"]["POST notes"] == 1
    assert handoff["attempts"] == 2


def test_an_internal_note_sets_only_the_internal_flag(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator
):
    handoff = post_and_wait(bob_api, session_a, "escalation", ESCALATION_TEXT)

    (note,) = simulator.notes_for(1001)
    assert handoff["state"] == "succeeded"
    assert (note["internalAnalysisFlag"], note["resolutionFlag"], note["detailDescriptionFlag"]) == (True, False, False)
    assert note["processNotifications"] is False
