"""`psa.services.ticket_context`: the ticket's context read through the account's connection and kept for a
minute per account and ticket; failures in plain words, never kept."""

from unittest import mock

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.services import account_create
from devtools.connectwise.simulator import ConnectWiseSimulator, connection_fields
from flowpilot.errors import DomainError
from psa import services as psa_services
from psa.services import PsaNotConfigured, psa_connection_save, ticket_context
from tests.support.data import PASSWORD


def psa_reads(simulator) -> int:
    requests = simulator.state()["requests"]
    return requests.get("GET ticket", 0) + requests.get("GET notes", 0)


def test_it_reads_the_ticket_and_its_notes_in_two_calls(account_a, psa_connected, simulator):
    simulator.add_history_note(1001, "Outlook asks for my password every few minutes.", hours_ago=3)

    context = ticket_context(account=account_a, ticket_id=1001)

    assert (context.id, context.company_name) == (1001, "Contoso Ltd")
    assert context.description.text == "Outlook asks for my password every few minutes."
    assert psa_reads(simulator) == 2


def test_a_second_look_within_the_minute_asks_the_psa_nothing(account_a, psa_connected, simulator):
    first = ticket_context(account=account_a, ticket_id=1001)
    simulator.add_ticket(1001, "Renamed meanwhile")

    again = ticket_context(account=account_a, ticket_id=1001)

    assert again == first
    assert psa_reads(simulator) == 2


def test_after_the_minute_the_psa_is_asked_again(account_a, psa_connected, simulator):
    ticket_context(account=account_a, ticket_id=1001)
    simulator.add_ticket(1001, "Renamed meanwhile")

    with mock.patch.object(cache, "get", return_value=None):  # as the cache answers once the entry expired
        again = ticket_context(account=account_a, ticket_id=1001)

    assert again.summary == "Renamed meanwhile"
    assert psa_reads(simulator) == 4


def test_it_is_kept_for_about_a_minute(account_a, psa_connected):
    with mock.patch.object(cache, "set", wraps=cache.set) as kept:
        ticket_context(account=account_a, ticket_id=1001)

    (_key, _value, seconds), _ = kept.call_args
    assert 30 <= seconds <= 120


def test_each_ticket_is_kept_apart(account_a, psa_connected, simulator):
    assert ticket_context(account=account_a, ticket_id=1001).id == 1001
    assert ticket_context(account=account_a, ticket_id=1002).id == 1002
    assert psa_reads(simulator) == 4


def test_another_account_never_reads_what_one_account_kept(settings, account_a, psa_connected, simulator):
    ticket_context(account=account_a, ticket_id=1001)
    with ConnectWiseSimulator(port=0) as theirs:
        theirs.add_ticket(1001, "Globex's own ticket 1001")
        globex = account_create(name="Globex MSP", admin_username="charlie", admin_password=PASSWORD)
        psa_connection_save(account=globex, **connection_fields(theirs.url))

        context = ticket_context(account=globex, ticket_id=1001)

        assert context.summary == "Globex's own ticket 1001"
        assert psa_reads(theirs) == 2


def test_a_new_connection_is_never_answered_from_the_old_ones_reads(account_a, psa_connected, simulator):
    ticket_context(account=account_a, ticket_id=1001)
    with ConnectWiseSimulator(port=0) as moved:
        moved.add_ticket(1001, "On the new site")
        psa_connection_save(account=account_a, **connection_fields(moved.url))

        assert ticket_context(account=account_a, ticket_id=1001).summary == "On the new site"


def test_a_failure_is_said_in_plain_words_and_not_kept(account_a, psa_connected, simulator):
    simulator.set_faults(server_error={"count": 1, "status": 503})

    with pytest.raises(DomainError) as failed:
        ticket_context(account=account_a, ticket_id=1001)

    assert failed.value.code == "psa_unavailable"
    assert "ConnectWise is unavailable (HTTP 503)" in failed.value.message
    assert ticket_context(account=account_a, ticket_id=1001).id == 1001  # asked again, and answered


def test_an_unknown_ticket_says_so(account_a, psa_connected):
    with pytest.raises(DomainError) as failed:
        ticket_context(account=account_a, ticket_id=999999)

    assert failed.value.code == "psa_ticket_not_found"
    assert "ConnectWise has no ticket 999999" in failed.value.message


def test_without_a_connection_it_says_an_admin_must_add_one(account_a):
    with pytest.raises(PsaNotConfigured, match="no PSA connection yet"):
        ticket_context(account=account_a, ticket_id=1001)


def test_with_the_cache_down_the_psa_is_simply_asked(account_a, psa_connected, simulator):
    down = RedisConnectionError("Connection refused")
    with mock.patch.object(cache, "get", side_effect=down), mock.patch.object(cache, "set", side_effect=down):
        assert ticket_context(account=account_a, ticket_id=1001).id == 1001
        assert ticket_context(account=account_a, ticket_id=1001).id == 1001

    assert psa_reads(simulator) == 4


def test_it_asks_for_the_recent_notes_the_workspace_shows(account_a, psa_connected, simulator):
    for number in range(8):
        simulator.add_history_note(1001, f"Note {number}", hours_ago=10 - number)

    context = ticket_context(account=account_a, ticket_id=1001)

    assert len(context.recent_notes) == psa_services.RECENT_NOTES
    assert context.recent_notes[0].text == "Note 7"
