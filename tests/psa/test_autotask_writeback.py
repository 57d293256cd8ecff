"""One post to the Autotask simulator over real HTTP through `psa.writeback.write_to_ticket`: the note in the
right visibility, the status moved and verified, the zone found and followed, and exactly one note when an
answer is lost."""

from datetime import UTC, datetime

import pytest

from devtools.autotask.simulator import AutotaskSimulator, connection_fields
from psa.providers.autotask import AutotaskProvider, AutotaskSettings
from psa.providers.base import NoteKind, PsaTransientError, StatusVerificationFailed
from psa.writeback import Post, write_to_ticket

COMPLETE, ESCALATE = 5, 11


@pytest.fixture
def sim(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with AutotaskSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def saved():
    return []


@pytest.fixture
def provider_for(sim, saved):
    """A new provider per attempt, as each handoff attempt makes one, starting from what the connection saved."""

    def make():
        fields = connection_fields(sim.url)
        settings = AutotaskSettings(
            username=fields["username"],
            secret=fields["secret"],
            integration_code=fields["integration_code"],
            api_url=saved[-1]["api_url"] if saved else fields["api_url"],
            zone_lookup_url=fields["zone_lookup_url"],
        )
        return AutotaskProvider(settings, timeout=(2, 5), on_settings_changed=saved.append)

    return make


def post(kind=NoteKind.RESOLUTION, target=COMPLETE, started_at=None, **changes):
    text = "## Resolution\n\n- Removed the **old** saved credentials\n- Restarted Outlook"
    started_at = started_at or datetime.now(UTC)
    return Post(ticket_id=1001, text=text, kind=kind, started_at=started_at, target_status_id=target, **changes)


def test_a_resolution_lands_once_customer_visible_as_plain_text_and_the_ticket_is_complete(sim, provider_for, saved):
    recorded = []

    written = write_to_ticket(provider_for(), post(), on_note_posted=recorded.append)

    (note,) = sim.notes_for(1001)
    assert note["text"] == "Resolution\n\n- Removed the old saved credentials\n- Restarted Outlook"
    assert (note["publish"], note["internal"]) == (1, False)
    assert recorded[0].id == note["id"] and recorded[0].resolution is True
    assert written.ticket.status.id == COMPLETE and written.ticket.closed is True
    assert sim.ticket(1001)["status"] == COMPLETE
    assert saved == [{"api_url": sim.api_url}]  # the zone was discovered and handed back to be kept


def test_an_escalation_is_internal_only(sim, provider_for):
    written = write_to_ticket(provider_for(), post(NoteKind.INTERNAL, ESCALATE), on_note_posted=lambda note: None)

    (note,) = sim.notes_for(1001)
    assert (note["publish"], note["internal"]) == (2, True)
    assert written.ticket.status.name == "Escalate"


def test_a_status_change_autotask_silently_ignores_fails_verification_with_the_note_kept(sim, provider_for):
    sim.set_faults(silent_status_rejection=True)
    recorded = []

    with pytest.raises(StatusVerificationFailed) as failed:
        write_to_ticket(provider_for(), post(), on_note_posted=recorded.append)

    assert failed.value.expected_status_id == COMPLETE and failed.value.actual.name == "New"
    assert "Autotask kept the ticket at New (id 1" in failed.value.message
    assert len(sim.notes_for(1001)) == len(recorded) == 1


def test_an_inactive_target_status_is_named_when_verification_fails(sim, provider_for):
    with pytest.raises(StatusVerificationFailed, match="“Waiting Parts \\(retired\\)” \\(id 14\\), which is inactive"):
        write_to_ticket(provider_for(), post(target=14), on_note_posted=lambda note: None)


def test_a_dropped_answer_after_the_note_was_applied_is_found_on_retry_and_never_posted_twice(sim, provider_for):
    sim.set_faults(drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]})
    first = post()

    with pytest.raises(PsaTransientError):
        write_to_ticket(provider_for(), first, on_note_posted=lambda note: None)
    recorded = []
    written = write_to_ticket(
        provider_for(), post(started_at=first.started_at, answer_may_be_lost=True), on_note_posted=recorded.append
    )

    (note,) = sim.notes_for(1001)
    assert recorded[0].id == note["id"]
    assert written.ticket.status.id == COMPLETE
    assert sim.state()["requests"]["POST notes"] == 1


def test_a_database_moved_mid_post_is_followed_to_its_new_zone_and_kept(sim, provider_for, saved):
    sim.set_faults(zone_move={"after_calls": 4})  # lands between the note and the status change

    written = write_to_ticket(provider_for(), post(), on_note_posted=lambda note: None)

    assert written.ticket.status.id == COMPLETE
    assert len(sim.notes_for(1001)) == 1
    assert saved[-1] == {"api_url": sim.api_url} and "webservices14" in sim.api_url
    assert sim.state()["requests"]["GET zoneInformation"] == 2
