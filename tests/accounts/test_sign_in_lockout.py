"""Failed sign-ins are throttled (DESIGN §2, django-axes): per username and per username + address after
AXES_FAILURE_LIMIT failures, per address alone only at a far higher bar; a locked-out attempt is refused before
any password is checked, with the wait in words, and the same words whether or not the username exists. The
sign-in page, Django admin's sign-in and the token endpoint share the count."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.auth_lockout import client_ip, wait_in_words
from tests.support.data import PASSWORD

LOGIN, ADMIN_LOGIN, TOKEN = reverse("login"), reverse("admin:login"), reverse("api-token")
LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED = re.compile(r"Too many failed sign-ins for this username or from this address\. Try again in (\d+) minutes?\.")


@pytest.fixture
def password_checks(monkeypatch):
    """How many times a password was actually checked."""
    calls = []
    real = AbstractBaseUser.check_password

    def counting(user, raw_password):
        calls.append(user.get_username())
        return real(user, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", counting)
    return calls


def sign_in(client, username, password="wrong-password-1", url=LOGIN):
    return client.post(url, {"username": username, "password": password})


def shown(response) -> str:
    return response.content.decode()


def the_lock_passes():
    """Time travel: every failure recorded becomes older than the cool-off."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)


def test_the_20th_wrong_password_is_refused_without_checking_it_and_the_real_one_waits(bob, password_checks):
    client = Client()

    answers = [sign_in(client, "bob") for _ in range(20)]

    assert [answer.status_code for answer in answers[: LIMIT - 1]] == [200] * (LIMIT - 1)  # the form, with its error
    assert all(answer.status_code == 429 for answer in answers[LIMIT - 1 :])
    assert password_checks == ["bob"] * LIMIT  # the 6th to the 20th were never checked
    last = answers[-1]
    assert LOCKED.search(shown(last)).group(1) == "15"
    assert last["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))

    right = sign_in(client, "bob", PASSWORD)
    assert right.status_code == 429
    assert password_checks == ["bob"] * LIMIT
    assert "_auth_user_id" not in client.session

    the_lock_passes()
    right = sign_in(client, "bob", PASSWORD)
    assert right.status_code == 302
    assert right["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_the_wait_shown_is_what_is_left_of_the_cool_off(bob):
    client = Client()
    for _ in range(LIMIT):
        sign_in(client, "bob")
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME * 2 / 3)

    answer = sign_in(client, "bob", PASSWORD)

    assert LOCKED.search(shown(answer)).group(1) == "5"
    assert 240 < int(answer["Retry-After"]) <= 300


def test_one_colleagues_typos_never_lock_out_another_at_the_same_address(alice, bob):
    office = Client()
    for _ in range(LIMIT):
        sign_in(office, "bob")
    assert sign_in(office, "bob", PASSWORD).status_code == 429

    assert sign_in(Client(), "alice", PASSWORD).status_code == 302


def test_an_address_alone_is_locked_out_only_at_its_far_higher_bar(alice):
    bar = settings.FLOWPILOT_SIGNIN_ADDRESS_FAILURE_LIMIT
    assert bar >= 10 * LIMIT
    client = Client()
    for number in range(bar - 1):
        assert sign_in(client, f"engineer{number}").status_code == 200  # one typo each: no username is locked

    assert sign_in(Client(), "alice", PASSWORD).status_code == 302
    assert sign_in(client, "one-more").status_code == 200  # the bar's last failure

    refused = sign_in(Client(), "alice", PASSWORD)
    assert refused.status_code == 429
    assert LOCKED.search(shown(refused))


def test_the_lockout_says_the_same_for_a_username_that_does_not_exist(bob):
    pages = {}
    for username in ("bob", "nobody-by-this-name"):
        client = Client()
        for _ in range(LIMIT):
            sign_in(client, username)
        pages[username] = sign_in(client, username)

    real, unknown = pages["bob"], pages["nobody-by-this-name"]
    assert real.status_code == unknown.status_code == 429
    assert real["Retry-After"] == unknown["Retry-After"]
    assert LOCKED.search(shown(real)).group(0) == LOCKED.search(shown(unknown)).group(0)

    def without_the_typed_username_and_token(response, username):
        html = shown(response).replace(f'value="{username}"', 'value=""')
        html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert without_the_typed_username_and_token(real, "bob") == without_the_typed_username_and_token(
        unknown, "nobody-by-this-name"
    )


def test_djangos_admin_sign_in_counts_and_is_refused_the_same_way(alice, password_checks):
    client = Client()
    for _ in range(LIMIT):
        sign_in(client, "alice", url=ADMIN_LOGIN)

    refused = sign_in(client, "alice", PASSWORD, url=ADMIN_LOGIN)

    assert refused.status_code == 429
    assert LOCKED.search(shown(refused))
    assert f'name="next" value="{reverse("admin:index")}"' in shown(refused)
    assert sign_in(Client(), "alice", PASSWORD).status_code == 429  # the same lock on the sign-in page
    assert password_checks == ["alice"] * LIMIT


def test_the_token_endpoint_shares_the_count(bob):
    api = APIClient()
    wrong = [api.post(TOKEN, {"username": "bob", "password": "wrong-password-1"}, format="json") for _ in range(LIMIT)]
    assert [answer.status_code for answer in wrong] == [400] * (LIMIT - 1) + [429]  # the last failure locks

    locked = api.post(TOKEN, {"username": "bob", "password": PASSWORD}, format="json")

    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert LOCKED.search(locked.json()["detail"]).group(1) == "15"
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert sign_in(Client(), "bob", PASSWORD).status_code == 429


def test_a_successful_sign_in_forgets_the_users_earlier_typos(bob):
    client = Client()
    for _ in range(LIMIT - 1):
        sign_in(client, "bob")
    assert sign_in(client, "bob", PASSWORD).status_code == 302

    fresh = Client()
    for _ in range(LIMIT - 1):
        assert sign_in(fresh, "bob").status_code == 200
    assert sign_in(fresh, "bob", PASSWORD).status_code == 302


def test_signing_in_starts_a_new_session(bob):
    client = Client()
    before = client.session  # a session (and its cookie) from before signing in, as a fixation attack plants
    before["planted"] = "yes"
    before.save()

    assert sign_in(client, "bob", PASSWORD).status_code == 302

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before.session_key
    assert not SessionStore().exists(before.session_key)
    assert SessionStore(session_key=after)["_auth_user_id"] == str(bob.pk)


def test_the_address_comes_from_the_proxy_header_only_when_configured(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")

    assert client_ip(request) == "10.0.0.5"
    settings.FLOWPILOT_CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_ip(request) == "203.0.113.9"  # the entry the proxy added, not the one the client sent
    spoofed = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(spoofed) == "10.0.0.5"


def test_waits_read_as_words():
    assert [wait_in_words(s) for s in (0.2, 1, 45, 60, 61, 900)] == [
        "1 second",
        "1 second",
        "45 seconds",
        "1 minute",
        "2 minutes",
        "15 minutes",
    ]


def test_the_password_validators_are_on(db):
    from django.contrib.auth.password_validation import get_default_password_validators

    names = {type(validator).__name__ for validator in get_default_password_validators()}

    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }
