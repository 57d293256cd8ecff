"""`fact_from_ticket_note`: the linked ticket's description or a recent note becomes a fact from the PSA,
through the fact service (state_version moves), saying whose note it was and when."""

import pytest

from flowpilot.errors import DomainError, InvalidInput
from sessions import services
from sessions.models import Fact, Session


def state_version(session) -> int:
    return Session.objects.values_list("state_version", flat=True).get(pk=session.pk)


def test_a_note_becomes_a_psa_fact_and_feeds_the_next_draft(session_a, bob, psa_connected, simulator):
    note = simulator.add_history_note(1001, "  The VPN drops every hour.\n  ", kind="internal", by="Tom Becker")
    before = state_version(session_a)

    fact = services.fact_from_ticket_note(session=session_a, user=bob, note_id=note["id"])

    assert (fact.text, fact.source_type, fact.created_by) == ("The VPN drops every hour.", Fact.SourceType.PSA, bob)
    assert fact.source_summary.startswith("Ticket #1001 note by Tom Becker, ")
    assert state_version(session_a) == before + 1


def test_a_session_without_a_ticket_has_no_note_to_take(account_a, bob, psa_connected):
    local = services.session_create(account=account_a, user=bob, title="Printer offline")

    with pytest.raises(InvalidInput, match="no linked ticket"):
        services.fact_from_ticket_note(session=local, user=bob, note_id=1)


def test_a_closed_session_takes_no_fact(session_a, bob, psa_connected, simulator):
    note = simulator.add_history_note(1001, "It broke again.")
    Session.objects.filter(pk=session_a.pk).update(status=Session.Status.ESCALATED)

    with pytest.raises(DomainError) as refused:
        services.fact_from_ticket_note(session=session_a, user=bob, note_id=note["id"])

    assert refused.value.code == "session_closed"
    assert not Fact.objects.filter(session=session_a).exists()
