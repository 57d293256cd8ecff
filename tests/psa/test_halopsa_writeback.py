"""One post written to the HaloPSA simulator over real HTTP through `psa.writeback.write_to_ticket`, as the
handoff run makes it: the note once, in the right visibility and as HTML, the status moved and verified."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache.backends.locmem import LocMemCache

from devtools.halopsa.simulator import SIMULATOR_CLIENT_ID, SIMULATOR_CLIENT_SECRET, HaloSimulator
from psa.providers.base import NoteKind, PsaTransientError, StatusVerificationFailed
from psa.providers.halopsa import HaloProvider, HaloSettings
from psa.writeback import Post, TicketClosed, write_to_ticket

RESOLVED = 8  # "Resolved"
ESCALATED = 21  # "Escalated - 2nd Line"
RESOLUTION = "## Resolution\n\nCleared the **cached** credentials.  \nOutlook no longer prompts."


@pytest.fixture
def simulator(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with HaloSimulator(port=0) as sim:
        yield sim


@pytest.fixture
def token_cache():
    return LocMemCache(f"halo-writeback-{uuid.uuid4()}", {})


def provider_for(simulator, token_cache):
    settings = HaloSettings(
        site_url=simulator.url, client_id=SIMULATOR_CLIENT_ID, client_secret=SIMULATOR_CLIENT_SECRET
    )
    return HaloProvider(settings, timeout=(1, 3), token_cache=token_cache)


def post(kind=NoteKind.RESOLUTION, text=RESOLUTION, target=RESOLVED, **changes):
    started = datetime.now(UTC) - timedelta(seconds=1)
    return Post(ticket_id=1001, text=text, kind=kind, started_at=started, target_status_id=target, **changes)


def test_a_resolution_lands_once_as_customer_visible_html_and_the_status_is_verified(simulator, token_cache):
    recorded = []

    written = write_to_ticket(provider_for(simulator, token_cache), post(), on_note_posted=recorded.append)

    (note,) = simulator.notes_for(1001)
    assert note["note_html"] == (
        "<h2>Resolution</h2>\n<p>Cleared the <strong>cached</strong> credentials.<br />\nOutlook no longer prompts.</p>"
    )
    assert (note["hiddenfromuser"], note["outcome"], note["sendemail"]) == (False, "Resolution", False)
    assert [found.id for found in recorded] == [note["id"]]
    assert (written.ticket.status.id, written.ticket.status.name) == (RESOLVED, "Resolved")
    assert simulator.ticket(1001)["status_id"] == RESOLVED
    assert simulator.state()["tokens_issued"] == 1


def test_an_escalation_is_hidden_from_the_user(simulator, token_cache):
    write_to_ticket(
        provider_for(simulator, token_cache),
        post(kind=NoteKind.INTERNAL, text="Needs 2nd line.", target=ESCALATED, notify_customer=True),
        on_note_posted=lambda note: None,
    )

    (note,) = simulator.notes_for(1001)
    assert (note["hiddenfromuser"], note["sendemail"]) == (True, False)
    assert simulator.ticket(1001)["status_id"] == ESCALATED


@pytest.mark.parametrize("fault", [{"silent_status_rejection": True}, {}], ids=["rejected", "inactive-status"])
def test_a_status_halo_ignored_fails_verification_with_the_note_kept(simulator, token_cache, fault):
    simulator.set_faults(**fault)
    target = RESOLVED if fault else 30  # 30: "With Supplier (retired)", inactive

    with pytest.raises(StatusVerificationFailed) as caught:
        write_to_ticket(provider_for(simulator, token_cache), post(target=target), on_note_posted=lambda note: None)

    assert "HaloPSA kept the ticket at New (id 1)" in caught.value.message
    if not fault:
        assert "“With Supplier (retired)” (id 30), which is inactive" in caught.value.message
    assert len(simulator.notes_for(1001)) == 1


def test_a_dropped_answer_after_the_note_was_applied_is_found_on_retry_and_never_posted_twice(simulator, token_cache):
    simulator.set_faults(
        drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]}, busy_ticket={"notes": 3}
    )
    first = post()

    with pytest.raises(PsaTransientError):
        write_to_ticket(provider_for(simulator, token_cache), first, on_note_posted=lambda note: None)
    recorded = []
    retry = Post(**{**first.__dict__, "answer_may_be_lost": True})
    written = write_to_ticket(provider_for(simulator, token_cache), retry, on_note_posted=recorded.append)

    ours = [note for note in simulator.notes_for(1001) if note["who"] == "FlowPilot API"]
    assert len(ours) == 1
    assert [note.id for note in recorded] == [ours[0]["id"]]
    assert written.ticket.status.id == RESOLVED
    assert simulator.state()["requests"]["POST notes"] == 1


def test_a_token_that_expired_mid_run_is_refreshed_once(simulator, token_cache):
    provider = provider_for(simulator, token_cache)
    provider.get_ticket(1001)
    simulator.expire_tokens()

    write_to_ticket(provider, post(), on_note_posted=lambda note: None)

    assert simulator.state()["tokens_issued"] == 2
    assert len(simulator.notes_for(1001)) == 1


def test_a_closed_ticket_is_not_written_to(simulator, token_cache):
    simulator.add_ticket(1001, "Test ticket 1001", status_id=9)

    with pytest.raises(TicketClosed, match="already closed in HaloPSA"):
        write_to_ticket(provider_for(simulator, token_cache), post(), on_note_posted=lambda note: None)

    assert simulator.notes_for(1001) == []
