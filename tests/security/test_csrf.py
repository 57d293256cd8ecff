"""The API answers a browser's session cookie only with a CSRF token: every write through the cookie
without one is refused and changes nothing; with the token from the cookie it is accepted. A token
(`Authorization: Token …`) is no cookie a page could ride, so it needs none. The web forms' CSRF:
tests/web/test_web_access.py."""

import pytest
from django.urls import reverse

from tests.security.routes import API_ROUTES, cases, request, snapshot, url_of
from tests.support.clients import api_client_for, web_client_for

WRITES = cases(API_ROUTES, lambda methods: [method for method in methods if method not in ("GET", "HEAD")])


@pytest.fixture
def writable(settings, acme):
    """Acme's objects, with its PSA connection's site (127.0.0.1:9, where nothing listens) allowed."""
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    return acme


def accepted(response) -> bool:
    return 200 <= response.status_code < 300


def test_every_write_of_the_api_is_tried():
    assert len(WRITES) == 29  # the assistant adds five: send, retry, accept, dismiss, promote
    assert {method for _name, method in WRITES} == {"POST", "PATCH", "PUT", "DELETE"}


@pytest.mark.parametrize(("name", "method"), WRITES)
def test_a_session_write_without_a_csrf_token_is_refused_and_changes_nothing(alice, writable, name, method):
    browser = web_client_for(alice, enforce_csrf_checks=True)
    before = snapshot(writable)

    response = request(browser, method, name, url_of(name, writable), writable)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert snapshot(writable) == before


@pytest.mark.parametrize(("name", "method"), WRITES)
def test_a_session_write_with_the_csrf_token_from_the_cookie_is_accepted(alice, writable, name, method):
    browser = web_client_for(alice, enforce_csrf_checks=True)
    browser.get(reverse("home"))  # a page sets the cookie; its script sends the value back in a header

    response = request(
        browser, method, name, url_of(name, writable), writable, HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value
    )

    assert accepted(response), response.content


@pytest.mark.parametrize(("name", "method"), WRITES)
def test_a_token_write_needs_no_csrf_token(alice, writable, name, method):
    client = api_client_for(alice)
    client.handler.enforce_csrf_checks = True

    response = request(client, method, name, url_of(name, writable), writable)

    assert accepted(response), response.content
