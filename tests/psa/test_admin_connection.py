"""The PSA connection and the account settings in Django admin, against the ConnectWise simulator:
the private key is write-only, the site URL guarded, "Test connection" and "Discover codebase" call
the PSA, and the settings offer the board's live statuses when the PSA answers."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import AccountSettings
from devtools.connectwise.simulator import (
    SIMULATOR_PRIVATE_KEY,
    connection_fields,
)
from llm.actions import known_models
from psa.models import PsaConnection
from tests.support.clients import web_client_for
from tests.support.data import ESCALATED_STATUS_ID, RESOLVED_STATUS_ID


@pytest.fixture
def allow_private_hosts(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True


def add_url():
    return reverse("admin:psa_psaconnection_add")


def changelist_url():
    return reverse("admin:psa_psaconnection_changelist")


def change_url(connection):
    return reverse("admin:psa_psaconnection_change", args=[connection.pk])


def settings_url(account):
    return reverse("admin:accounts_accountsettings_change", args=[account.settings.pk])


def connection_form(site_url, **overrides):
    form = {**connection_fields(site_url), "provider": "connectwise", "codebase": "v4_6_release/", "board_id": "1"}
    return {**form, **overrides}


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def shown_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def run_action(client, action, connection):
    return client.post(changelist_url(), {"action": action, "_selected_action": [connection.pk]}, follow=True)


def tag(html: str, name: str) -> str:
    """The form control named `name`: its opening tag, or a whole <select>."""
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>.*?</select>', html, re.S) or re.search(
        rf'<input[^>]*name="{name}"[^>]*>', html
    )
    assert match, f"no form control named {name}"
    return match.group(0)


# The connection form


def test_it_adds_the_connection_with_an_encrypted_key(alice_web, account_a, simulator, allow_private_hosts):
    response = alice_web.post(add_url(), connection_form(simulator.url), follow=True)

    assert response.redirect_chain == [(changelist_url(), 302)]
    connection = PsaConnection.objects.get(account=account_a)
    link = f'<a href="{change_url(connection)}">ConnectWise Manage for Acme MSP</a>'
    assert shown_messages(response) == [("success", f"The PSA connection “{link}” was added successfully.")]
    assert (connection.site_url, connection.company_id, connection.board_id) == (simulator.url, "flowpilot", 1)
    assert SIMULATOR_PRIVATE_KEY not in connection.private_key_encrypted
    assert connection.connection_settings().private_key == SIMULATOR_PRIVATE_KEY


def test_it_offers_a_blank_password_input_for_the_private_key(alice_web, account_a):
    html = alice_web.get(add_url()).content.decode()

    assert 'type="password"' in tag(html, "private_key")
    assert "value=" not in tag(html, "private_key")


def test_the_change_page_never_shows_the_key(alice_web, psa_connected):
    html = alice_web.get(change_url(psa_connected)).content.decode()

    assert 'type="password"' in tag(html, "private_key")
    assert "value=" not in tag(html, "private_key")
    assert SIMULATOR_PRIVATE_KEY not in html
    assert psa_connected.private_key_encrypted not in html
    assert "private_key_encrypted" not in html


def test_the_changelist_never_shows_the_key(alice_web, psa_connected):
    html = alice_web.get(changelist_url()).content.decode()

    assert psa_connected.site_url in html
    assert SIMULATOR_PRIVATE_KEY not in html
    assert psa_connected.private_key_encrypted not in html


def test_editing_with_an_empty_key_keeps_the_stored_one(alice_web, psa_connected, simulator):
    stored = PsaConnection.objects.get(pk=psa_connected.pk).private_key_encrypted

    response = alice_web.post(
        change_url(psa_connected), connection_form(simulator.url, private_key="", board_id="2", notify_customer="on")
    )

    assert response.status_code == 302
    connection = PsaConnection.objects.get(pk=psa_connected.pk)
    assert (connection.board_id, connection.notify_customer) == (2, True)
    assert connection.private_key_encrypted == stored
    assert connection.connection_settings().private_key == SIMULATOR_PRIVATE_KEY


def test_editing_with_a_new_key_replaces_it(alice_web, psa_connected, simulator):
    response = alice_web.post(change_url(psa_connected), connection_form(simulator.url, private_key="rotated-key"))

    assert response.status_code == 302
    assert PsaConnection.objects.get(pk=psa_connected.pk).connection_settings().private_key == "rotated-key"


def test_adding_needs_a_private_key(alice_web, simulator, allow_private_hosts):
    response = alice_web.post(add_url(), connection_form(simulator.url, private_key=""))

    assert response.status_code == 200
    assert form_errors(response)["private_key"] == ["A private key is required."]
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize(
    "site_url",
    ["http://127.0.0.1:8765", "https://127.0.0.1", "https://169.254.169.254", "https://10.0.0.5", "https://[::1"],
)
def test_a_private_site_url_is_a_form_error_without_the_opt_in(alice_web, account_a, settings, site_url):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False

    response = alice_web.post(add_url(), connection_form(site_url))

    assert response.status_code == 200
    assert "site_url" in form_errors(response)
    assert SIMULATOR_PRIVATE_KEY not in response.content.decode()
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize(("value", "field"), [("../admin", "codebase"), ("two", "board_id"), ("", "company_id")])
def test_bad_values_are_form_errors(alice_web, simulator, allow_private_hosts, value, field):
    response = alice_web.post(add_url(), connection_form(simulator.url, **{field: value}))

    assert response.status_code == 200
    assert field in form_errors(response)
    assert not PsaConnection.objects.exists()


def test_an_account_adds_one_connection_then_edits_it(alice_web, psa_connected):
    assert alice_web.get(add_url()).status_code == 403


# Actions


def test_test_connection_says_it_worked(alice_web, psa_connected):
    response = run_action(alice_web, "test_connection", psa_connected)

    assert response.status_code == 200
    assert shown_messages(response) == [
        ("success", "Acme MSP: Connected to ConnectWise v2025.1 (simulator); board 1 has 6 active statuses.")
    ]


def test_test_connection_says_when_the_keys_are_wrong(alice_web, psa_connected, simulator):
    alice_web.post(change_url(psa_connected), connection_form(simulator.url, private_key="not-the-key"), follow=True)

    response = run_action(alice_web, "test_connection", psa_connected)

    ((level, message),) = shown_messages(response)
    assert (level, message) == (
        "error",
        "Acme MSP: ConnectWise refused the credentials (HTTP 401); "
        "check the company id, public and private keys and client id",
    )
    assert "not-the-key" not in response.content.decode()


def test_test_connection_says_when_the_psa_is_down(alice_web, psa_connected, simulator):
    simulator.stop()

    ((level, message),) = shown_messages(run_action(alice_web, "test_connection", psa_connected))

    assert (level, message) == (
        "error",
        "Acme MSP: Could not reach ConnectWise: the connection was refused or dropped",
    )


def test_discover_codebase_sets_it_from_the_company_info(alice_web, psa_connected):
    PsaConnection.objects.filter(pk=psa_connected.pk).update(codebase="v2019_1/")

    response = run_action(alice_web, "discover_codebase", psa_connected)

    assert shown_messages(response) == [("success", "Acme MSP: codebase set to v4_6_release/.")]
    assert PsaConnection.objects.get(pk=psa_connected.pk).codebase == "v4_6_release/"


def test_discover_codebase_says_when_the_company_is_unknown(alice_web, psa_connected):
    PsaConnection.objects.filter(pk=psa_connected.pk).update(company_id="nobody", codebase="v2019_1/")

    ((level, message),) = shown_messages(run_action(alice_web, "discover_codebase", psa_connected))

    assert level == "error"
    assert "no such company" in message
    assert PsaConnection.objects.get(pk=psa_connected.pk).codebase == "v2019_1/"


def test_the_actions_refuse_a_private_url_once_the_opt_in_is_off(alice_web, psa_connected, settings, simulator):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False

    for action in ("test_connection", "discover_codebase"):
        ((level, message),) = shown_messages(run_action(alice_web, action, psa_connected))
        assert (level, message) == ("error", "Acme MSP: The saved site URL is not https; an admin must correct it.")
    assert simulator.state()["requests"] == {}


# Who may


def test_another_accounts_admin_cannot_see_acmes_connection(charlie, psa_connected):
    charlie_web = web_client_for(charlie)

    changelist = charlie_web.get(changelist_url())
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].queryset) == []
    assert psa_connected.site_url not in changelist.content.decode()
    assert charlie_web.get(change_url(psa_connected)).status_code == 404
    assert charlie_web.post(change_url(psa_connected), {"company_id": "x"}).status_code == 404


def test_another_accounts_admin_cannot_run_actions_on_acmes_connection(charlie, psa_connected, simulator):
    response = run_action(web_client_for(charlie), "test_connection", psa_connected)

    assert response.status_code == 200
    assert shown_messages(response) == []
    assert simulator.state()["requests"] == {}


def test_engineers_have_no_admin(bob, psa_connected, simulator):
    client = Client()
    client.force_login(bob)  # signed in as an engineer (the sign-in itself is tested in tests/accounts)

    for response in (client.get(changelist_url()), client.get(change_url(psa_connected))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    refused = client.post(changelist_url(), {"action": "test_connection", "_selected_action": [psa_connected.pk]})
    assert refused.status_code == 302
    assert simulator.state()["requests"] == {}


# Account settings: the board's live statuses


def settings_form(**overrides):
    form = {
        "cw_resolved_status_id": "",
        "cw_escalated_status_id": "",
        "resolution_note_model": "",
        "escalation_package_model": "",
        "background_drafts": "on",  # ticked, as the form shows it: a browser sends it
    }
    return {**form, **overrides}


def test_the_settings_offer_the_boards_active_statuses(alice_web, account_a, psa_connected):
    html = alice_web.get(settings_url(account_a)).content.decode()

    resolved = tag(html, "cw_resolved_status_id")
    assert resolved.startswith("<select")
    assert '<option value="5" selected>Resolved (id 5)</option>' in resolved
    for name in ("New (id 1)", "Escalated - Tier 2 (id 4)", "Closed (id 6)", "leave the ticket"):
        assert name in resolved
    assert "Old Resolved" not in resolved  # inactive
    assert "Done" not in resolved  # board 2
    assert '<option value="4" selected>Escalated - Tier 2 (id 4)</option>' in tag(html, "cw_escalated_status_id")
    assert "could not be read" not in html


def test_choosing_a_status_stores_its_id(alice_web, account_a, psa_connected):
    response = alice_web.post(
        settings_url(account_a), settings_form(cw_resolved_status_id="6", cw_escalated_status_id="")
    )

    assert response.status_code == 302
    preferences = AccountSettings.objects.get(account=account_a).preferences
    assert preferences["cw_resolved_status_id"] == 6
    assert "cw_escalated_status_id" not in preferences


@pytest.mark.parametrize("status_id", ["7", "21", "999", "abc"])
def test_a_status_the_board_does_not_offer_is_a_form_error(alice_web, account_a, psa_connected, status_id):
    response = alice_web.post(settings_url(account_a), settings_form(cw_resolved_status_id=status_id))

    assert response.status_code == 200
    assert "cw_resolved_status_id" in form_errors(response)
    assert AccountSettings.objects.get(account=account_a).preferences["cw_resolved_status_id"] == RESOLVED_STATUS_ID


def test_a_stored_status_the_board_no_longer_offers_stays_visible(alice_web, account_a, psa_connected):
    from accounts.services import account_settings_update

    account_settings_update(account=account_a, changes={"cw_resolved_status_id": 7})

    resolved = tag(alice_web.get(settings_url(account_a)).content.decode(), "cw_resolved_status_id")

    assert '<option value="7" selected>Status id 7 (not an active status of the board)</option>' in resolved


def test_the_settings_take_a_typed_id_when_the_psa_is_down(alice_web, account_a, psa_connected, simulator):
    simulator.stop()

    html = alice_web.get(settings_url(account_a)).content.decode()

    resolved = tag(html, "cw_resolved_status_id")
    assert resolved.startswith("<input") and 'type="number"' in resolved
    assert f'value="{RESOLVED_STATUS_ID}"' in resolved
    assert "(The PSA's statuses could not be read: type the id.)" in html

    response = alice_web.post(settings_url(account_a), settings_form(cw_resolved_status_id="42"))

    assert response.status_code == 302
    assert AccountSettings.objects.get(account=account_a).preferences == {"cw_resolved_status_id": 42}


def test_the_settings_take_a_typed_id_when_the_psa_is_unreachable(alice_web, account_a, psa_connected):
    PsaConnection.objects.filter(pk=psa_connected.pk).update(site_url="http://127.0.0.1:9")

    html = alice_web.get(settings_url(account_a)).content.decode()
    assert 'type="number"' in tag(html, "cw_escalated_status_id")

    response = alice_web.post(settings_url(account_a), settings_form(cw_escalated_status_id="17"))

    assert response.status_code == 302
    assert AccountSettings.objects.get(account=account_a).preferences == {"cw_escalated_status_id": 17}


def test_the_settings_take_a_typed_id_without_a_psa_connection(alice_web, account_a):
    html = alice_web.get(settings_url(account_a)).content.decode()

    assert 'type="number"' in tag(html, "cw_resolved_status_id")
    assert "could not be read" in html


@pytest.mark.parametrize("status_id", ["0", "-3", "abc"])
def test_a_typed_id_must_be_a_positive_integer(alice_web, account_a, status_id):
    response = alice_web.post(settings_url(account_a), settings_form(cw_resolved_status_id=status_id))

    assert response.status_code == 200
    assert "cw_resolved_status_id" in form_errors(response)
    assert AccountSettings.objects.get(account=account_a).preferences == {}


# Account settings: the model per action


def test_the_settings_offer_a_model_per_action(alice_web, account_a):
    html = alice_web.get(settings_url(account_a)).content.decode()

    for name in ("resolution_note_model", "escalation_package_model"):
        select = tag(html, name)
        assert select.startswith("<select")
        assert "Deployment default (" in select
        for model in known_models():
            assert f'<option value="{model}">' in select


def test_choosing_a_model_stores_it(alice_web, account_a, psa_connected):
    model = known_models()[-1]

    response = alice_web.post(
        settings_url(account_a),
        settings_form(cw_resolved_status_id="5", cw_escalated_status_id="4", escalation_package_model=model),
    )

    assert response.status_code == 302
    assert AccountSettings.objects.get(account=account_a).preferences == {
        "cw_resolved_status_id": RESOLVED_STATUS_ID,
        "cw_escalated_status_id": ESCALATED_STATUS_ID,
        "escalation_package_model": model,
    }
    assert f'<option value="{model}" selected>' in tag(
        alice_web.get(settings_url(account_a)).content.decode(), "escalation_package_model"
    )


def test_an_unknown_model_is_a_form_error(alice_web, account_a):
    response = alice_web.post(settings_url(account_a), settings_form(resolution_note_model="gpt-4o"))

    assert response.status_code == 200
    assert "resolution_note_model" in form_errors(response)
    assert AccountSettings.objects.get(account=account_a).preferences == {}


def test_another_accounts_admin_cannot_open_acmes_settings(charlie, account_a, psa_connected, simulator):
    assert web_client_for(charlie).get(settings_url(account_a)).status_code == 404
    assert simulator.state()["requests"] == {}


def test_unticking_background_drafts_turns_them_off_for_the_account(alice_web, account_a, settings):
    from drafting.preparation import background_drafts_on

    settings.FLOWPILOT_PREPARE_DRAFTS = True  # the deployment's switch (off in the other tests)
    form = settings_form()
    del form["background_drafts"]

    assert alice_web.post(settings_url(account_a), form).status_code == 302
    assert background_drafts_on(AccountSettings.objects.get(account=account_a)) is False
    assert alice_web.post(settings_url(account_a), settings_form()).status_code == 302
    assert background_drafts_on(AccountSettings.objects.get(account=account_a)) is True
