"""Confirm & post to Autotask and to HaloPSA through a real Celery worker process, against each one's simulator
over real HTTP: a resolution lands once, customer-visible, and an escalation once, internal, each in the
PSA's format (Autotask plain text, HaloPSA sanitised HTML), with the ticket's status verified by re-reading
it; and a status change the PSA silently ignores fails the handoff loudly, its note posted once."""

import pytest

from sessions.models import Session
from tests.support.psas import AUTOTASK, OTHER_PSA_IDS, OTHER_PSAS
from tests.support.workers import ESCALATION_TEXT, RESOLUTION_TEXT, post_and_wait

TICKET = 1001  # session_a's ticket, seeded by every simulator


@pytest.fixture(params=OTHER_PSAS, ids=OTHER_PSA_IDS)
def psa(request):
    return request.param


@pytest.fixture
def simulator(psa):
    with psa.running() as running:
        yield running


@pytest.fixture
def connected(psa, simulator, settings, account_a):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    return psa.connect(account_a, simulator)


@pytest.mark.parametrize(
    ("kind", "markdown", "is_internal", "outcome"),
    [("resolution", RESOLUTION_TEXT, False, "resolved"), ("escalation", ESCALATION_TEXT, True, "escalated")],
    ids=["resolution", "escalation"],
)
def test_a_worker_posts_one_note_with_the_right_visibility_and_verifies_the_status(
    shared_celery_worker, bob_api, session_a, psa, simulator, connected, kind, markdown, is_internal, outcome
):
    handoff = post_and_wait(bob_api, session_a, kind, markdown)

    assert handoff["state"] == "succeeded", handoff["error"]
    status_id, status_name = psa.resolved_status if kind == "resolution" else psa.escalated_status
    assert handoff["psa"]["status"] == {"target_id": status_id, "id": status_id, "name": status_name, "verified": True}
    assert handoff["psa"]["provider"] == psa.provider
    (note,) = simulator.notes_for(TICKET)
    assert psa.is_internal(note) is is_internal
    assert psa.note_text(note) == psa.rendered(markdown)
    assert handoff["psa"]["note_id"] == note["id"]
    assert Session.objects.get(pk=session_a.pk).closed_as == outcome


def test_halopsa_notes_are_html_and_autotask_notes_plain_text(
    shared_celery_worker, bob_api, session_a, psa, simulator, connected
):
    handoff = post_and_wait(bob_api, session_a, "resolution", RESOLUTION_TEXT)

    assert handoff["state"] == "succeeded", handoff["error"]
    (note,) = simulator.notes_for(TICKET)
    if psa is AUTOTASK:
        assert note["text"].startswith("Problem\n\nA.") and "#" not in note["text"] and "<" not in note["text"]
    else:
        assert note["note_html"].startswith("<h2>Problem</h2>")


def test_a_status_change_the_psa_silently_ignores_fails_loudly_with_one_note(
    shared_celery_worker, bob_api, session_a, psa, simulator, connected
):
    simulator.set_faults(silent_status_rejection=True)

    handoff = post_and_wait(bob_api, session_a, "resolution")

    assert (handoff["state"], handoff["error"]["code"]) == ("failed", "status_verification_failed")
    display_name = connected.spec.provider_class.display_name
    assert f"The note was posted, but {display_name} kept the ticket at" in handoff["error"]["message"]
    assert handoff["psa"]["status"]["verified"] is False
    assert len(simulator.notes_for(TICKET)) == 1
    assert Session.objects.get(pk=session_a.pk).status == Session.Status.OPEN
