"""The server-rendered pages: sign in, the session list, sign out."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions import services
from sessions.models import Fact, Session
from tests.support.clients import web_client_for
from tests.support.data import PASSWORD

HOME = reverse("home")
LOGIN = reverse("login")


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"


def test_the_sign_in_page_has_a_labelled_form_with_a_csrf_token(db):
    html = Client().get(LOGIN).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html


def test_bob_signs_in_and_sees_his_sessions(session_a):
    client = Client()
    response = client.post(LOGIN, {"username": "bob", "password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert session_a.title in response.content.decode()
    assert "#1001" in response.content.decode()


def test_a_wrong_password_shows_an_error_and_no_sessions(session_a):
    response = Client().post(LOGIN, {"username": "bob", "password": "not-his-password"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "Please enter a correct username and password" in html
    assert session_a.title not in html


def test_mine_is_the_default_and_all_shows_the_accounts_sessions_but_never_another_accounts(
    bob_web, session_a, session_b, alice
):
    services.session_create(account=session_a.account, user=alice, title="Alice's firewall change")
    mine = bob_web.get(HOME).content.decode()
    assert session_a.title in mine
    assert "Alice&#x27;s firewall change" not in mine
    everyone = bob_web.get(HOME, {"scope": "all"}).content.decode()
    assert session_a.title in everyone
    assert "Alice&#x27;s firewall change" in everyone
    assert session_b.title not in everyone


def test_status_and_search_filter_the_list(bob_web, session_a, account_a, bob):
    closed = services.session_create(account=account_a, user=bob, title="Closed printer ticket", psa_ticket_id=2002)
    Session.objects.filter(pk=closed.pk).update(status=Session.Status.RESOLVED, closed_as="resolved_local")
    open_page = bob_web.get(HOME).content.decode()
    assert session_a.title in open_page
    assert "Closed printer ticket" not in open_page
    closed_page = bob_web.get(HOME, {"status": "closed"}).content.decode()
    assert "Closed printer ticket" in closed_page
    assert session_a.title not in closed_page
    for query in ("Outlook", "1001", "#1001"):
        html = bob_web.get(HOME, {"q": query}).content.decode()
        assert session_a.title in html, query
    assert session_a.title not in bob_web.get(HOME, {"q": "VPN"}).content.decode()


def test_sign_out_is_a_post_protected_by_csrf(bob):
    client = web_client_for(bob, enforce_csrf_checks=True)
    assert client.post(reverse("logout")).status_code == 403  # no CSRF token
    assert client.get(HOME).status_code == 200
    token = client.get(HOME).context["csrf_token"]
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": str(token)}).status_code == 302
    assert client.get(HOME).status_code == 302


def test_sign_in_without_a_csrf_token_is_refused(bob):
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 403


def test_a_user_outside_every_account_is_told_so(db):
    loner = get_user_model().objects.create_user("loner", password=PASSWORD)
    client = web_client_for(loner)
    assert "belongs to no FlowPilot account" in client.get(HOME).content.decode()


def test_the_list_costs_the_same_queries_with_5_or_500_facts(bob_web, account_a, bob):
    sessions = [services.session_create(account=account_a, user=bob, title=f"S{n}") for n in range(3)]
    Fact.objects.bulk_create(Fact(session=sessions[0], text=f"f{i}") for i in range(5))
    with CaptureQueriesContext(connection) as small:
        bob_web.get(HOME)
    for session in sessions:
        Fact.objects.bulk_create(Fact(session=session, text=f"f{i}") for i in range(500))
    with CaptureQueriesContext(connection) as large:
        html = bob_web.get(HOME).content.decode()
    assert len(small) == len(large)
    assert 'data-label="Facts">505</td>' in html
