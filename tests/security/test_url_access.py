"""Every URL of the API, the web UI and Django admin (tests/security/routes.py), tried by whoever should
not get through: anonymous callers are asked to sign in, another account's user finds none of account
A's objects (404, nothing changes, nothing listed), and an engineer gets no admin-only endpoint and no
Django admin. Methods and CSRF of the web UI: tests/web/test_web_access.py."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.conftest import ACME_MARKERS
from tests.security.routes import ADMIN, API, ROUTES, cases, request, sample_value, snapshot, surface, url_of
from tests.support.clients import api_client_for, web_client_for
from tests.support.mfa import verified_web_client_for

LOGIN, ADMIN_LOGIN = reverse("login"), reverse("admin:login")
# Parts that name one of account A's objects (the others name a kind of draft, an app or a page).
NOT_OBJECTS = {"kind", "app_label", "admin_path"}
PROTECTED = [name for name, route in ROUTES.items() if route.public_status is None]
OBJECT_ROUTES = [name for name in PROTECTED if set(ROUTES[name].parts) - NOT_OBJECTS]
OTHER_ROUTES = [name for name in PROTECTED if name not in OBJECT_ROUTES]


def url_patterns(resolver=None, prefix: str = "", namespace: str = ""):
    """(the key of the table for it, the pattern) for every pattern of the URLconf."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield (f"{namespace}{pattern.name}" if pattern.name else route), route


def shown(response) -> str:
    return response.content.decode(errors="replace")


def leaks(response) -> list[str]:
    """Which of account A's words the response shows."""
    return [marker for marker in ACME_MARKERS if marker in shown(response)]


def asks_to_sign_in(client, response, login: str) -> bool:
    """Whether the redirect goes to the sign-in page `login`, asking for the URL (admin's logout goes by
    the admin index, which asks)."""
    for _hop in range(2):
        if response.status_code != 302:
            return False
        if response["Location"].startswith(f"{login}?next="):
            return True
        response = client.get(response["Location"])
    return False


def client_for(user, name: str):
    return api_client_for(user) if surface(name) == API else web_client_for(user)


def test_the_table_covers_every_url_pattern():
    patterns = dict(url_patterns())

    assert set(patterns) - set(ROUTES) == set(), "URL patterns missing from tests/security/routes.py"
    assert set(ROUTES) - set(patterns) == set(), "routes.py lists URLs that no longer exist"


def test_every_route_names_as_many_sample_objects_as_its_pattern_takes():
    for key, route in url_patterns():
        assert len(ROUTES[key].parts) == route.count("<"), key


# Anonymous


@pytest.mark.parametrize("name", ROUTES)
def test_anonymous_callers_are_asked_to_sign_in_unless_the_url_is_public(acme, name):
    route = ROUTES[name]
    before = snapshot(acme)

    for method in route.methods:
        response = request(Client(), method, name, url_of(name, acme), acme)

        if route.public_status is not None and method in (route.public_methods or route.methods):
            assert response.status_code == route.public_status, method
            assert "next=" not in response.get("Location", ""), method
            continue
        if surface(name) == API:
            assert response.status_code == 401, method
            assert response["WWW-Authenticate"] == "Token"
        else:
            assert asks_to_sign_in(Client(), response, ADMIN_LOGIN if surface(name) == ADMIN else LOGIN), method
        assert not leaks(response), method
    if route.public_status is None:  # a public URL does its job (the token endpoint issues alice's token)
        assert snapshot(acme) == before


# Another account's user


# Globex's admin tries every object URL; its engineer those outside Django admin (which sends him to sign in).
OUTSIDER_CASES = [("admin", name) for name in OBJECT_ROUTES] + [
    ("engineer", name) for name in OBJECT_ROUTES if surface(name) != ADMIN
]


@pytest.mark.parametrize(("outsider", "name"), OUTSIDER_CASES, indirect=["outsider"])
def test_another_accounts_user_gets_404_for_each_object_and_changes_nothing(outsider, template_b, acme, name):
    """Globex has a template of the same slug as Acme's: a script POST still finds nothing of Acme's."""
    client = client_for(outsider, name)
    url = url_of(name, acme)
    before = snapshot(acme)

    for method in ROUTES[name].methods:
        answers = [request(client, method, name, url, acme, follow=True)]
        if surface(name) not in (API, ADMIN):
            answers.append(request(client, method, name, url, acme, HTTP_HX_REQUEST="true"))

        for response in answers:
            assert response.status_code == 404, method
            assert not leaks(response), method
    assert snapshot(acme) == before


@pytest.mark.parametrize("label", ["accounts.account", "auth.user", "auth.group", "authtoken.tokenproxy"])
def test_an_account_admin_cannot_tell_which_ids_of_superuser_only_models_exist(charlie, acme, label):
    client = web_client_for(charlie)

    for page in ("change", "delete", "history"):
        name = f"admin:{label.replace('.', '_')}_{page}"
        real = client.get(reverse(name, args=[sample_value(acme[label])]))
        unknown = client.get(reverse(name, args=[999_999]))

        assert real.status_code == unknown.status_code == 404, page
        assert real.content == unknown.content, page


@pytest.mark.parametrize("name", OTHER_ROUTES)
def test_another_accounts_user_never_sees_or_changes_account_a_objects(charlie, acme, name):
    """Lists, account-wide endpoints and pages: whatever they answer is about charlie's own account."""
    client = client_for(charlie, name)
    before = snapshot(acme)

    for method in ROUTES[name].methods:
        response = request(client, method, name, url_of(name, acme), acme, follow=True)

        assert response.status_code < 500, method
        assert not leaks(response), method
        assert str(acme["session"].pk) not in shown(response), method
    assert snapshot(acme) == before


# An engineer where an account admin is needed


ADMIN_ONLY_API = [(name, method) for name in PROTECTED for method in ROUTES[name].admin_only]
DJANGO_ADMIN = [name for name in PROTECTED if surface(name) == ADMIN]


@pytest.mark.parametrize(("name", "method"), ADMIN_ONLY_API)
def test_an_engineer_gets_403_from_admin_only_endpoints_and_changes_nothing(bob, acme, name, method):
    before = snapshot(acme)

    response = request(api_client_for(bob), method, name, url_of(name, acme), acme)

    assert response.status_code == 403
    assert response.json()["detail"] == "Only an account admin may do this."
    assert snapshot(acme) == before


def test_an_engineer_is_sent_to_the_admin_sign_in_from_every_admin_url_and_changes_nothing(bob, acme):
    client = verified_web_client_for(bob)  # bob has an authenticator app (acme): he signed in with a code
    before = snapshot(acme)

    for name, method in cases(DJANGO_ADMIN):
        response = request(client, method, name, url_of(name, acme), acme)

        assert asks_to_sign_in(client, response, ADMIN_LOGIN), (name, method)
    assert len(DJANGO_ADMIN) > 60
    assert snapshot(acme) == before


def test_an_engineer_at_the_admin_sign_in_is_told_so_and_sees_no_admin_data(bob, acme):
    page = verified_web_client_for(bob).get(reverse("admin:index"), follow=True)

    assert page.redirect_chain == [(f"{ADMIN_LOGIN}?next={reverse('admin:index')}", 302)]
    assert "You are authenticated as bob, but are not authorized to access this page." in shown(page)
    assert not leaks(page)


def test_an_account_admin_is_not_offered_the_superuser_only_models(alice, acme):
    html = shown(web_client_for(alice).get(reverse("admin:index")))

    assert reverse("admin:ai_sessions_session_changelist") in html
    for model in ("accounts_account", "auth_user", "auth_group", "authtoken_tokenproxy"):
        assert reverse(f"admin:{model}_changelist") not in html
