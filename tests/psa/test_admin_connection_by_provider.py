"""The PSA connection in Django admin for Autotask and HaloPSA: each page shows only the chosen provider's
fields (the provider chosen by a link, no JavaScript), secrets as empty password inputs, "Test connection"
calls that PSA's simulator, and the account settings offer its live, active statuses.
ConnectWise's admin: test_admin_connection.py."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import AccountSettings
from psa.models import PsaConnection
from psa.specs import PROVIDERS
from tests.support.psas import AUTOTASK, HALOPSA, OTHER_PSA_IDS, OTHER_PSAS

ADD = reverse("admin:psa_psaconnection_add")
CHANGELIST = reverse("admin:psa_psaconnection_changelist")
ALL_FIELDS = {field.name for spec in PROVIDERS.values() for field in spec.fields} | {"board_id", "notify_customer"}


@pytest.fixture(autouse=True)
def allow_private_hosts(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture(params=OTHER_PSAS, ids=OTHER_PSA_IDS)
def psa(request):
    return request.param


@pytest.fixture
def simulator(psa):
    with psa.running() as running:
        yield running


@pytest.fixture
def connected(psa, simulator, account_a):
    return psa.connect(account_a, simulator)


def change_url(connection):
    return reverse("admin:psa_psaconnection_change", args=[connection.pk])


def controls(html: str) -> set[str]:
    """The names of the connection form's controls."""
    return set(re.findall(r'<(?:input|select)[^>]*name="([a-z_]+)"', html)) & ALL_FIELDS


def control(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


def shown_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def expected_controls(provider: str) -> set[str]:
    spec = PROVIDERS[provider]
    extras = {"board_id"} if spec.uses_board else set()
    return {field.name for field in spec.fields} | extras | ({"notify_customer"} if spec.notifies_customer else set())


def test_the_add_page_shows_connectwises_fields_and_links_to_the_others(alice_web, account_a):
    html = alice_web.get(ADD).content.decode()

    assert controls(html) == expected_controls("connectwise")
    assert 'href="?provider=autotask"' in html and 'href="?provider=halopsa"' in html


def test_the_add_page_for_a_provider_shows_only_its_fields(alice_web, account_a, psa):
    html = alice_web.get(ADD, {"provider": psa.provider}).content.decode()

    assert controls(html) == expected_controls(psa.provider)
    for secret in psa.secrets:
        assert 'type="password"' in control(html, secret)
        assert "value=" not in control(html, secret)
    assert f'<option value="{psa.provider}" selected>' in html


def test_an_admin_adds_a_connection_to_the_provider(alice_web, account_a, psa, simulator):
    response = alice_web.post(ADD, psa.fields(simulator.url), follow=True)

    assert response.redirect_chain == [(CHANGELIST, 302)], response.context["adminform"].form.errors
    connection = PsaConnection.objects.get(account=account_a)
    assert connection.provider == psa.provider
    fields = psa.fields(simulator.url)
    for secret in psa.secrets:
        assert getattr(connection.connection_settings(), secret) == fields[secret]
        assert fields[secret] not in connection.secrets_encrypted


def test_posting_another_providers_choice_shows_its_fields_with_what_is_missing(alice_web, account_a, psa):
    response = alice_web.post(ADD, {"provider": psa.provider})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.spec.key == psa.provider
    required = {field.name for field in PROVIDERS[psa.provider].fields if field.required or field.secret}
    assert set(form.errors) == required
    assert controls(response.content.decode()) == expected_controls(psa.provider)
    assert not PsaConnection.objects.exists()


def test_the_change_page_shows_the_stored_fields_and_never_a_secret(alice_web, connected, psa, simulator):
    html = alice_web.get(change_url(connected)).content.decode()

    assert controls(html) == expected_controls(psa.provider)
    fields = psa.fields(simulator.url)
    for secret in psa.secrets:
        assert fields[secret] not in html
        assert "value=" not in control(html, secret)
    assert connected.secrets_encrypted not in html
    visible = next(name for name in ("username", "client_id") if name in fields)
    assert f'value="{fields[visible]}"' in control(html, visible)


def test_saving_with_empty_secrets_keeps_them(alice_web, connected, psa, simulator):
    form = {**psa.fields(simulator.url), **dict.fromkeys(psa.secrets, "")}

    response = alice_web.post(change_url(connected), form)

    assert response.status_code == 302
    stored = PsaConnection.objects.get(pk=connected.pk).connection_settings()
    for secret in psa.secrets:
        assert getattr(stored, secret) == psa.fields(simulator.url)[secret]


def test_a_private_url_is_a_form_error_without_the_opt_in(alice_web, account_a, psa, settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False
    url_field = "zone_lookup_url" if psa is AUTOTASK else "site_url"

    response = alice_web.post(ADD, {**psa.fields("http://127.0.0.1:8767"), url_field: "https://10.0.0.5"})

    assert response.status_code == 200
    assert "10.0.0.5" in response.context["adminform"].form.errors[url_field][0]
    assert not PsaConnection.objects.exists()


def test_switching_a_connectwise_connection_to_halopsa(alice_web, psa_connected):
    with HALOPSA.running() as halo:
        page = alice_web.get(change_url(psa_connected), {"provider": "halopsa"}).content.decode()
        response = alice_web.post(change_url(psa_connected), HALOPSA.fields(halo.url))

    assert controls(page) == expected_controls("halopsa")
    assert response.status_code == 302
    connection = PsaConnection.objects.get(pk=psa_connected.pk)
    assert (connection.provider, connection.private_key_encrypted, connection.board_id) == ("halopsa", "", None)


def test_test_connection_says_it_worked(alice_web, connected, psa):
    response = alice_web.post(
        CHANGELIST, {"action": "test_connection", "_selected_action": [connected.pk]}, follow=True
    )

    ((level, message),) = shown_messages(response)
    assert level == "success"
    assert message.startswith(f"Acme MSP: Connected to {connected.spec.provider_class.display_name}")
    assert message.endswith(f"{psa.active_statuses} active ticket statuses.")


def test_discover_codebase_says_it_is_connectwises(alice_web, connected, psa):
    response = alice_web.post(
        CHANGELIST, {"action": "discover_codebase", "_selected_action": [connected.pk]}, follow=True
    )

    assert shown_messages(response) == [
        ("error", f"Acme MSP: Only ConnectWise has a codebase; this connection is to {connected.spec.label}.")
    ]


def test_another_accounts_admin_cannot_open_it(charlie_web, connected, simulator):
    assert charlie_web.get(change_url(connected)).status_code == 404
    assert charlie_web.post(change_url(connected), {"provider": "halopsa"}).status_code == 404
    assert simulator.state()["requests"] == {}


# Account settings: the PSA's live statuses


def settings_url(account):
    return reverse("admin:accounts_accountsettings_change", args=[account.settings.pk])


def test_the_settings_offer_the_psas_active_statuses(alice_web, account_a, connected, psa):
    html = alice_web.get(settings_url(account_a)).content.decode()

    resolved = re.search(r'<select[^>]*name="cw_resolved_status_id"[^>]*>.*?</select>', html, re.S).group(0)
    status_id, name = psa.resolved_status
    assert f'<option value="{status_id}" selected>{name} (id {status_id})</option>' in resolved
    assert resolved.count("<option") == psa.active_statuses + 1  # and "leave the ticket's status unchanged"
    assert "retired" not in resolved
    assert f"{connected.spec.provider_class.display_name} status when resolved" in html


def test_choosing_a_status_stores_it(alice_web, account_a, connected, psa):
    status_id, _name = psa.escalated_status
    form = {"cw_resolved_status_id": "", "cw_escalated_status_id": str(status_id)}
    form |= {"resolution_note_model": "", "escalation_package_model": "", "background_drafts": "on"}

    response = alice_web.post(settings_url(account_a), form)

    assert response.status_code == 302
    assert AccountSettings.objects.get(account=account_a).preferences == {"cw_escalated_status_id": status_id}
