"""DESIGN §4: one open session per ticket per account. Two open sessions on one ticket end as two notes
to the customer, so the second is refused in words that point to the first — by the service, the API,
the database, and under a race."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from sessions import services
from sessions.errors import TicketInUse
from sessions.models import Session
from tests.support.ci import require_postgresql

LIST = "/api/ai-sessions/"


def test_a_second_open_session_on_a_ticket_is_refused_naming_the_first(account_a, alice, session_a):
    with pytest.raises(TicketInUse) as refused:
        services.session_create(account=account_a, user=alice, title="Second look", psa_ticket_id=1001)

    assert refused.value.session_id == session_a.pk
    assert f"open session “{session_a.title}”, started by bob" in refused.value.message
    assert Session.objects.filter(psa_ticket_id=1001).count() == 1


def test_the_same_ticket_number_in_another_account_is_another_ticket(account_b, charlie, session_a):
    other = services.session_create(account=account_b, user=charlie, title="Globex 1001", psa_ticket_id=1001)
    assert other.psa_ticket_id == 1001


def test_the_database_itself_refuses_a_second_open_session_on_a_ticket(account_a, bob, session_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(account=account_a, created_by=bob, title="Rogue", psa_ticket_id=1001)


def test_closed_sessions_do_not_hold_the_ticket(account_a, bob, session_a):
    Session.objects.filter(pk=session_a.pk).update(status="escalated", closed_as="escalated")
    again = services.session_create(account=account_a, user=bob, title="Came back", psa_ticket_id=1001)
    assert again.is_open


def test_the_api_answers_409_ticket_in_use_with_the_open_sessions_id(bob_api, session_a):
    response = bob_api.post(LIST, {"title": "Second look", "psa_ticket_id": 1001}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["session"]) == ("ticket_in_use", str(session_a.pk))
    assert "Ticket #1001 is already being worked in the open session" in body["detail"]


def test_linking_a_ticket_another_open_session_works_is_refused_too(bob_api, account_a, bob, session_a):
    other = services.session_create(account=account_a, user=bob, title="No ticket yet")

    response = bob_api.patch(f"{LIST}{other.pk}/", {"psa_ticket_id": 1001}, format="json")

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["session"]) == ("ticket_in_use", str(session_a.pk))
    assert Session.objects.get(pk=other.pk).psa_ticket_id is None


def test_a_session_may_keep_its_own_ticket_when_edited(bob_api, session_a):
    response = bob_api.patch(f"{LIST}{session_a.pk}/", {"psa_ticket_id": 1001, "title": "Renamed"}, format="json")
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_creates_at_once_on_one_ticket_make_one_session_and_one_refusal(account_a, bob):
    require_postgresql("Racing creates against the partial unique index")
    barrier = threading.Barrier(2)
    outcomes = []

    def create(n):
        try:
            barrier.wait()
            services.session_create(account=account_a, user=bob, title=f"Racer {n}", psa_ticket_id=5150)
            outcomes.append("created")
        except TicketInUse as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "ticket_in_use"]
    assert Session.objects.filter(account=account_a, psa_ticket_id=5150).count() == 1
