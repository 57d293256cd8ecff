"""Every fault of the reliability suite (DESIGN §7) through a real worker process, on Autotask's simulator and on
HaloPSA's, over real HTTP: the ConnectWise cases of test_worker_faults.py, struck at the same calls of each PSA.

A transient fault (429 with Retry-After, 5xx, a dropped connection before or after the PSA applied the call,
a note the PSA applied only after the worker gave up waiting for its answer) ends in success with
exactly one note: the worker retries, and after a lost answer it finds the note on the ticket instead of
posting it again. A permanent one (credentials refused, an unknown ticket, a refusal in the PSA's own words, a
status change silently ignored) fails the handoff in words and keeps its text; once the cause is fixed, Retry
finishes it with one note. A storm of random transient faults over ten handoffs leaves one note each.
"""

import time

import pytest

from psa.services import psa_connection_save
from sessions import services
from sessions.models import Session
from tests.reliability.conftest import PSA_READ_TIMEOUT_SECONDS
from tests.support.psas import OTHER_PSA_IDS, OTHER_PSAS
from tests.support.workers import ESCALATION_TEXT, post, post_and_wait, retry_and_wait, wait_until_finished

TICKET = 1001  # session_a's ticket, seeded by every simulator
SLOWER_THAN_THE_WORKER_WAITS = PSA_READ_TIMEOUT_SECONDS + 0.5
SLOW_NOTE = {"method": "POST", "route": "notes", "seconds": SLOWER_THAN_THE_WORKER_WAITS}
NOTE_CALLS = {"methods": ["POST"]}  # every PSA's first POST of a handoff is its note (a token is no API call)


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


def assert_one_escalation_note(psa, simulator, handoff, ticket_id=TICKET, markdown=ESCALATION_TEXT):
    """The ticket holds exactly one note, FlowPilot's, internal, as the PSA renders it; the status verified
    and shown by its name."""
    (note,) = simulator.notes_for(ticket_id)
    assert psa.is_internal(note) is True
    assert psa.note_text(note) == psa.rendered(markdown)
    assert handoff["psa"]["note_id"] == note["id"]
    status_id, status_name = psa.escalated_status
    status = handoff["psa"]["status"]
    assert (status["target_id"], status["id"], status["verified"]) == (status_id, status_id, True)
    assert status["name"] == status_name
    assert psa.status_of(simulator, ticket_id) == status_id


# Each case: the faults, given the PSA (where a fault must strike its status change), the attempts the handoff
# takes, and how many times the note was POSTed (a note found on the ticket after a lost answer is not posted).
TRANSIENT = {
    "500": (lambda psa: {"server_error": {"count": 2, "status": 500}}, 3, 1),
    "503-on-the-status-change": (
        lambda psa: {"server_error": {"count": 1, "status": 503, **psa.status_change_calls}},
        2,
        1,
    ),
    "dropped-before-the-note": (lambda psa: {"drop_connection": {"count": 1, **NOTE_CALLS}}, 2, 2),
    "dropped-after-the-note": (lambda psa: {"drop_connection": {"count": 1, "after_apply": True, **NOTE_CALLS}}, 2, 1),
    "dropped-after-the-status-change": (
        lambda psa: {"drop_connection": {"count": 1, "after_apply": True, **psa.status_change_calls}},
        2,
        1,
    ),
    "note-applied-after-the-client-gave-up": (
        lambda psa: {"slow": {**SLOW_NOTE, "count": 1, "apply_late": True}},
        2,
        1,
    ),
}


@pytest.mark.parametrize(("faults", "attempts", "note_posts"), TRANSIENT.values(), ids=TRANSIENT.keys())
def test_transient_faults_end_in_success_with_one_internal_note(
    shared_celery_worker, bob_api, session_a, psa, simulator, connected, faults, attempts, note_posts
):
    simulator.set_faults(**faults(psa))

    handoff = post_and_wait(bob_api, session_a, "escalation")

    assert handoff["state"] == "succeeded", handoff["error"]
    assert_one_escalation_note(psa, simulator, handoff)
    # The fault really struck, and a note whose answer was lost was found on the ticket, not posted again.
    assert handoff["attempts"] == attempts
    assert simulator.state()["requests"]["POST notes"] == note_posts
    assert Session.objects.get(pk=session_a.pk).closed_as == "escalated"


def test_a_429_with_retry_after_is_waited_out_then_the_note_posted_once(
    shared_celery_worker, bob_api, session_a, psa, simulator, connected
):
    simulator.set_faults(rate_limit={"count": 2, "retry_after": 0.75, **NOTE_CALLS})
    started = time.monotonic()

    handoff = post_and_wait(bob_api, session_a, "escalation")

    assert handoff["state"] == "succeeded", handoff["error"]
    assert (handoff["attempts"], simulator.state()["requests"]["POST notes"]) == (3, 3)
    assert time.monotonic() - started >= 1.5  # twice Retry-After, not the 0.2 s and 0.4 s of the backoff
    assert_one_escalation_note(psa, simulator, handoff)


def wrong_credentials(*, psa, simulator, account, session):
    psa_connection_save(account=account, **{**psa.fields(simulator.url), psa.secrets[0]: "not-the-secret"})
    return lambda: psa_connection_save(account=account, **psa.fields(simulator.url))


def unknown_ticket(*, psa, simulator, account, session):
    Session.objects.filter(pk=session.pk).update(psa_ticket_id=424242)
    return lambda: simulator.add_ticket(424242, "Created in the PSA after the post failed")


def rejected_note(*, psa, simulator, account, session):
    simulator.set_faults(reject={**NOTE_CALLS, "message": "Notes cannot be added to a ticket being merged"})
    return simulator.set_faults


def rejected_status(*, psa, simulator, account, session):
    simulator.set_faults(reject={**psa.status_change_calls, "message": "The status requires a closing time entry"})
    return simulator.set_faults


def silently_refused_status(*, psa, simulator, account, session):
    simulator.set_faults(silent_status_rejection=True)
    return simulator.set_faults


# What each PSA's failure says, in its own words (and never the secret).
WORDS = {
    "autotask": {
        "credentials": "Autotask refused the credentials (HTTP 401); check the API user's username, secret and "
        "integration code",
        "ticket": "Autotask has no ticket 424242 that this API user can see",
        "rejected": "Autotask refused the request: ",
        "silent": "Autotask kept the ticket at New (id 1) instead of moving it to “Escalate” (id 11)",
    },
    "halopsa": {
        "credentials": "HaloPSA refused the client credentials (HTTP 400, invalid_client); check the client id and "
        "secret (and tenant)",
        "ticket": "HaloPSA has no ticket 424242 that these credentials can see",
        "rejected": "HaloPSA rejected the request: ",
        "silent": "HaloPSA kept the ticket at New (id 1) instead of moving it to “Escalated - 2nd Line” (id 21)",
    },
}


@pytest.mark.parametrize(
    ("break_it", "code", "words", "said", "note_posted", "note_posts"),
    [
        (wrong_credentials, "psa_auth_failed", "credentials", "", False, 1),
        (unknown_ticket, "psa_ticket_not_found", "ticket", "", False, 1),
        (rejected_note, "psa_rejected", "rejected", "Notes cannot be added to a ticket being merged", False, 2),
        (rejected_status, "psa_rejected", "rejected", "The status requires a closing time entry", True, 1),
        (silently_refused_status, "status_verification_failed", "silent", "", True, 1),
    ],
    ids=["credentials-refused", "unknown-ticket", "note-rejected", "status-rejected", "silent-status-rejection"],
)
def test_permanent_faults_fail_clearly_keep_the_text_and_retry_after_the_fix_posts_one_note(
    shared_celery_worker,
    bob_api,
    account_a,
    session_a,
    psa,
    simulator,
    connected,
    break_it,
    code,
    words,
    said,
    note_posted,
    note_posts,
):
    fix = break_it(psa=psa, simulator=simulator, account=account_a, session=session_a)

    failed = post_and_wait(bob_api, session_a, "escalation")
    notes_after_the_failure = simulator.notes_for(failed["psa"]["ticket_id"])
    fix()
    retried = retry_and_wait(bob_api, failed["id"])

    assert (failed["state"], failed["error"]["code"]) == ("failed", code)
    assert WORDS[psa.provider][words] + said in failed["error"]["message"]
    assert "not-the-secret" not in failed["error"]["message"]
    assert failed["attempts"] == 1  # nothing to wait out: it fails at once
    assert failed["markdown"] == ESCALATION_TEXT
    assert len(notes_after_the_failure) == (1 if note_posted else 0)
    assert (failed["psa"]["note_id"] is not None) == note_posted
    assert retried["state"] == "succeeded", retried["error"]
    # Retry resumes where the failure stopped: a note already posted is not posted again.
    assert_one_escalation_note(psa, simulator, retried, ticket_id=failed["psa"]["ticket_id"])
    assert simulator.state()["requests"]["POST notes"] == note_posts


HANDOFFS = 10  # one per ticket of the simulators: 1001 to 1010


def test_a_storm_of_transient_faults_over_ten_handoffs_ends_with_one_note_each(
    shared_celery_worker, bob_api, account_a, bob, psa, simulator, connected
):
    sessions = [
        services.session_create(account=account_a, user=bob, title=f"Ticket {ticket_id}", psa_ticket_id=ticket_id)
        for ticket_id in range(1001, 1001 + HANDOFFS)
    ]
    simulator.set_faults(
        transient_rate=0.1,  # 429, 503 and connections dropped before the call is applied, at random
        seed=7,
        rate_limit={"count": 2, "retry_after": 0},  # and each kind for sure, whatever the dice say
        server_error={"count": 2, "status": 503},
        drop_connection={"count": 3, "after_apply": True, "methods": ["POST", "PATCH"]},  # answers lost
    )
    texts = {session.pk: f"{ESCALATION_TEXT}\n\nTicket {session.psa_ticket_id}." for session in sessions}

    queued = [post(bob_api, session, "escalation", texts[session.pk]).json()["id"] for session in sessions]
    handoffs = [wait_until_finished(bob_api, handoff_id, timeout=120) for handoff_id in queued]
    # A handoff may use up its attempts (which one depends on how the worker interleaves the retries): it
    # fails with its text kept, and Retry is the way back.
    gave_up = [handoff for handoff in handoffs if handoff["state"] == "failed"]
    for _round in range(3):
        handoffs = [
            retry_and_wait(bob_api, handoff["id"]) if handoff["state"] == "failed" else handoff for handoff in handoffs
        ]

    assert [handoff["state"] for handoff in handoffs] == ["succeeded"] * HANDOFFS, [h["error"] for h in handoffs]
    assert all(handoff["error"]["code"] == "psa_unavailable" for handoff in gave_up)
    for session, handoff in zip(sessions, handoffs, strict=True):
        assert handoff["markdown"] == texts[session.pk]
        # HaloPSA's tickets carry a status id only: its name comes from /api/Status, and a transient fault on
        # that read retries the attempt, so the verified status always has its name.
        assert_one_escalation_note(psa, simulator, handoff, ticket_id=session.psa_ticket_id, markdown=texts[session.pk])
    injected = simulator.state()["injected_faults"]
    assert injected["drop_connection"] >= 3 and injected["rate_limit"] >= 2 and injected["server_error"] >= 2
    assert sum(handoff["attempts"] for handoff in handoffs) > HANDOFFS
