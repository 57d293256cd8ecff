"""The PSA connection per provider (DESIGN §11) over REST: Autotask's and HaloPSA's own fields, their secrets
write-only and encrypted, every URL guarded like ConnectWise's site URL, missing fields named, a switch from
one PSA to another keeping nothing of the old one, and "test" calling each one's simulator for real.
ConnectWise's own connection: test_api_connection.py."""

import json
import logging

import pytest
import responses
from django.urls import reverse

from flowpilot.errors import DomainError
from psa.models import PsaConnection
from psa.services import note_as_it_lands, ticket_lookup
from tests.support.psas import AUTOTASK, HALOPSA, OTHER_PSA_IDS, OTHER_PSAS

URL = reverse("api-psa-connection")
CHECK_URL = reverse("api-psa-connection-test")
PUBLIC = "psa.example.com"  # tests/support/dns.py answers it with a public address
AUTOTASK_BODY = {
    "provider": "autotask",
    "username": "api@acme.example",
    "secret": "at-Secret-5d8e1c",
    "integration_code": "ATINTEGRATIONCODE7Q2",
    "api_url": f"https://{PUBLIC}/ATServicesRest",
    "impersonation_resource_id": "29683012",
}
HALO_BODY = {
    "provider": "halopsa",
    "site_url": f"https://{PUBLIC}",
    "auth_url": "",
    "client_id": "acme-halo-client",
    "client_secret": "halo-Secret-99a1f0",
    "tenant": "acme",
}
BODIES = {"autotask": AUTOTASK_BODY, "halopsa": HALO_BODY}
SECRETS = {"autotask": ("at-Secret-5d8e1c", "ATINTEGRATIONCODE7Q2"), "halopsa": ("halo-Secret-99a1f0",)}


@pytest.fixture(autouse=True)
def no_private_hosts(settings, fake_dns):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False


@pytest.fixture(params=OTHER_PSAS, ids=OTHER_PSA_IDS)
def psa(request):
    return request.param


@pytest.fixture
def simulator(psa):
    with psa.running() as running:
        yield running


@pytest.fixture
def connected(psa, simulator, settings, account_a):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    return psa.connect(account_a, simulator)


def put(client, body):
    return client.put(URL, body, format="json")


def without(body: dict, *names) -> dict:
    return {key: value for key, value in body.items() if key not in names}


def errors(response) -> dict:
    data = response.json()
    return data.get("errors", data)


# Saving each provider's fields


def test_an_autotask_connection_answers_its_fields_and_never_its_secrets(alice_api, account_a):
    response = put(alice_api, AUTOTASK_BODY)

    assert response.status_code == 200, response.json()
    data = dict(response.json())
    assert data.pop("updated_at")
    assert data == {
        "provider": "autotask",
        "username": "api@acme.example",
        "has_secret": True,
        "has_integration_code": True,
        "api_url": f"https://{PUBLIC}/ATServicesRest",
        "impersonation_resource_id": "29683012",
        "zone_lookup_url": "https://webservices.autotask.net/atservicesrest",
    }
    assert alice_api.get(URL).json() == response.json()


def test_a_halopsa_connection_answers_its_fields_and_never_its_secret(alice_api, account_a):
    response = put(alice_api, {**HALO_BODY, "notify_customer": True})

    assert response.status_code == 200, response.json()
    data = dict(response.json())
    assert data.pop("updated_at")
    assert data == {
        "provider": "halopsa",
        "site_url": f"https://{PUBLIC}",
        "auth_url": "",
        "client_id": "acme-halo-client",
        "has_client_secret": True,
        "tenant": "acme",
        "notify_customer": True,
    }
    assert alice_api.get(URL).json() == response.json()


@pytest.mark.parametrize("provider", OTHER_PSA_IDS)
def test_the_secrets_are_stored_encrypted_and_read_back_by_the_provider(alice_api, account_a, provider):
    put(alice_api, BODIES[provider])

    connection = PsaConnection.objects.get(account=account_a)
    stored = json.dumps(connection.options) + connection.secrets_encrypted + connection.private_key_encrypted
    for secret in SECRETS[provider]:
        assert secret not in stored
        assert secret not in alice_api.get(URL).content.decode()
    settings = connection.connection_settings()
    assert type(settings).__name__ == {"autotask": "AutotaskSettings", "halopsa": "HaloSettings"}[provider]
    assert [
        getattr(settings, name) for name in ("secret", "integration_code", "client_secret") if hasattr(settings, name)
    ] == list(SECRETS[provider])
    for secret in SECRETS[provider]:
        assert secret not in repr(settings)


@pytest.mark.parametrize("provider", OTHER_PSA_IDS)
def test_a_secret_left_out_keeps_the_stored_one_and_a_new_one_replaces_it(alice_api, account_a, provider):
    put(alice_api, BODIES[provider])
    secret_names = {"autotask": ("secret", "integration_code"), "halopsa": ("client_secret",)}[provider]

    kept = put(alice_api, without(BODIES[provider], *secret_names))
    replaced = put(alice_api, {**without(BODIES[provider], *secret_names), secret_names[0]: "rotated-1234"})

    assert kept.status_code == replaced.status_code == 200
    assert all(kept.json()[f"has_{name}"] for name in secret_names)
    settings = PsaConnection.objects.get(account=account_a).connection_settings()
    assert getattr(settings, secret_names[0]) == "rotated-1234"
    if len(secret_names) > 1:
        assert getattr(settings, secret_names[1]) == SECRETS[provider][1]  # the one left out is kept
    assert PsaConnection.objects.count() == 1


def test_the_optional_autotask_fields_take_their_defaults(alice_api):
    response = put(alice_api, without(AUTOTASK_BODY, "api_url", "impersonation_resource_id"))

    assert response.status_code == 200
    assert (response.json()["api_url"], response.json()["impersonation_resource_id"]) == ("", "")
    assert response.json()["zone_lookup_url"] == "https://webservices.autotask.net/atservicesrest"


@pytest.mark.parametrize(
    ("provider", "left_out", "field", "words"),
    [
        ("autotask", "username", "username", "This field is required."),
        ("autotask", "secret", "secret", "A secret is required."),
        ("autotask", "integration_code", "integration_code", "An integration code is required."),
        ("halopsa", "site_url", "site_url", "This field is required."),
        ("halopsa", "client_id", "client_id", "This field is required."),
        ("halopsa", "client_secret", "client_secret", "A client secret is required."),
    ],
)
def test_a_missing_field_is_a_400_that_names_it(alice_api, provider, left_out, field, words):
    response = put(alice_api, without(BODIES[provider], left_out))

    assert response.status_code == 400
    assert errors(response)[field] == [words]
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize(
    ("provider", "field", "value"),
    [
        ("autotask", "api_url", "https://10.0.0.5/ATServicesRest"),
        ("autotask", "api_url", "https://169.254.169.254/latest"),
        ("autotask", "api_url", f"http://{PUBLIC}/ATServicesRest"),
        ("autotask", "api_url", f"https://user:pw@{PUBLIC}/ATServicesRest"),
        ("autotask", "api_url", f"https://{PUBLIC}/ATServicesRest?x=1"),
        ("autotask", "zone_lookup_url", "https://127.0.0.1:8767"),
        ("autotask", "zone_lookup_url", "https://localhost/atservicesrest"),
        ("halopsa", "site_url", "https://192.168.1.1"),
        ("halopsa", "site_url", f"https://{PUBLIC}/api"),
        ("halopsa", "site_url", "https://[::1"),
        ("halopsa", "auth_url", "https://10.1.2.3/auth"),
        ("halopsa", "auth_url", "ftp://auth.example.com/auth"),
    ],
)
def test_a_url_that_is_not_public_https_is_refused_with_its_name(alice_api, provider, field, value):
    response = put(alice_api, {**BODIES[provider], field: value})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    for secret in SECRETS[provider]:
        assert secret not in response.content.decode()
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize(
    ("provider", "field", "value", "words"),
    [
        ("autotask", "username", "api\u2019s@acme.example", "The username holds a character (“\u2019”) an HTTP header"),
        ("autotask", "secret", "at-Secret-5d8e\u20191c", "The secret holds a character an HTTP header"),
        ("autotask", "integration_code", "ATINTEGRATIONCODE7Q2\u2019", "The integration code holds a character an"),
        ("connectwise", "client_id", "c1ient-ïd", "The client id holds a character (“ï”) an HTTP header"),
    ],
)
def test_a_credential_sent_in_a_header_refuses_what_a_header_cannot_carry(alice_api, provider, field, value, words):
    """A pasted curly quote would fail in http.client on every call: it is refused when saved, by name."""
    body = BODIES.get(provider) or {
        "provider": "connectwise",
        "site_url": f"https://{PUBLIC}",
        "company_id": "acme",
        "public_key": "pub",
        "private_key": "priv-Secret-1",
        "client_id": "client",
    }
    response = put(alice_api, {**body, field: value})

    assert response.status_code == 400
    (message,) = response.json()["errors"][field]
    assert message.startswith(words) and "type it again in plain characters" in message
    if field in ("secret", "integration_code"):
        assert value not in response.content.decode()
    assert not PsaConnection.objects.exists()


def test_halos_client_id_and_secret_travel_in_a_form_so_any_character_is_kept(alice_api):
    response = put(alice_api, {**HALO_BODY, "client_id": "client-ïd", "client_secret": "halo-Secret-\u2019"})

    assert response.status_code == 200
    assert PsaConnection.objects.get().connection_settings().client_secret == "halo-Secret-\u2019"


def test_a_stored_credential_a_header_cannot_carry_fails_in_words_not_a_500(alice_api, account_a, settings):
    """A connection saved before the check: Test connection and the ticket lookup say what is wrong."""

    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with AUTOTASK.running() as simulator:
        connection = AUTOTASK.connect(account_a, simulator)
        connection.set_fields(connection.spec, connection.field_values(), {"secret": "pasted\u2019secret"})
        connection.save()

        check = alice_api.post(CHECK_URL)
        with pytest.raises(DomainError) as looked_up:
            ticket_lookup(account=account_a, ticket_id=1001)

    assert check.status_code == 200
    assert (check.json()["ok"], check.json()["code"]) == (False, "psa_rejected")
    assert "a credential holds a character an HTTP header cannot carry" in check.json()["message"]
    assert "pasted\u2019secret" not in check.content.decode()
    assert "HTTP header cannot carry" in looked_up.value.message


def test_a_private_url_names_the_address_it_resolves_to(alice_api):
    response = put(alice_api, {**HALO_BODY, "auth_url": "https://10.1.2.3/auth"})

    assert response.json()["errors"]["auth_url"] == [
        "The authorisation URL's host resolves to 10.1.2.3, a private, loopback or link-local address; "
        "FlowPilot only calls public PSA hosts."
    ]


def test_a_url_is_normalised(alice_api):
    response = put(alice_api, {**AUTOTASK_BODY, "api_url": f" HTTPS://{PUBLIC.upper()}/ATServicesRest/ "})

    assert response.json()["api_url"] == f"https://{PUBLIC}/ATServicesRest"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**AUTOTASK_BODY, "company_id": "acme"}, "company_id"),
        ({**AUTOTASK_BODY, "board_id": 1}, "board_id"),
        ({**AUTOTASK_BODY, "notify_customer": True}, "notify_customer"),
        ({**AUTOTASK_BODY, "has_secret": False}, "has_secret"),
        ({**AUTOTASK_BODY, "secret": 12345}, "secret"),
        ({**AUTOTASK_BODY, "impersonation_resource_id": "ravi"}, "impersonation_resource_id"),
        ({**AUTOTASK_BODY, "username": "u" * 256}, "username"),
        ({**HALO_BODY, "private_key": "x"}, "private_key"),
        ({**HALO_BODY, "client_secret": ["a"]}, "client_secret"),
        ({**HALO_BODY, "tenant": None}, "tenant"),
        ({**HALO_BODY, "provider": "halo"}, "provider"),
    ],
)
def test_a_field_of_another_psa_or_of_the_wrong_type_is_a_400(alice_api, body, field):
    response = put(alice_api, body)

    assert response.status_code == 400
    assert field in errors(response)
    assert not PsaConnection.objects.exists()


# Switching provider


def test_switching_from_connectwise_keeps_nothing_of_it(alice_api, account_a):
    connectwise = {
        "site_url": f"https://{PUBLIC}",
        "company_id": "acme",
        "public_key": "pub-acme",
        "private_key": "cw-private-1",
        "client_id": "cw-client",
        "board_id": 1,
    }
    assert put(alice_api, connectwise).status_code == 200

    response = put(alice_api, HALO_BODY)

    assert response.status_code == 200
    assert response.json()["provider"] == "halopsa"
    connection = PsaConnection.objects.get(account=account_a)
    assert (connection.private_key_encrypted, connection.company_id, connection.board_id) == ("", "", None)
    back = put(alice_api, without({**connectwise}, "private_key"))
    assert back.status_code == 400
    assert errors(back)["private_key"] == ["A private key is required."]
    assert PsaConnection.objects.get(account=account_a).provider == "halopsa"


def test_switching_between_psas_needs_the_new_ones_secrets(alice_api, account_a):
    put(alice_api, AUTOTASK_BODY)

    refused = put(alice_api, without(HALO_BODY, "client_secret"))
    switched = put(alice_api, HALO_BODY)

    assert refused.status_code == 400
    assert errors(refused) == {"client_secret": ["A client secret is required."]}
    assert switched.status_code == 200
    connection = PsaConnection.objects.get(account=account_a)
    assert connection.options == without(HALO_BODY, "provider", "client_secret")
    assert set(json.loads(_decrypted(connection))) == {"client_secret"}  # Autotask's secrets are gone


def _decrypted(connection) -> str:
    from psa import crypto

    return crypto.decrypt(connection.secrets_encrypted)


# Who may


def test_another_accounts_admin_never_sees_or_tests_it(alice_api, charlie_api, bob_api):
    put(alice_api, AUTOTASK_BODY)

    for response in (charlie_api.get(URL), charlie_api.post(CHECK_URL)):
        assert response.status_code == 404
        assert "api@acme.example" not in response.content.decode()
    assert bob_api.get(URL).status_code == 403
    assert bob_api.put(URL, HALO_BODY, format="json").status_code == 403


# Testing the connection against each simulator


def test_it_reports_a_working_connection_with_the_active_statuses(alice_api, psa, connected):
    response = alice_api.post(CHECK_URL)

    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["code"]) == (True, "")
    assert body["message"].startswith(f"Connected to {connected.spec.provider_class.display_name}")
    assert body["message"].endswith(f"; {psa.active_statuses} active ticket statuses.")


def test_autotask_keeps_the_zone_it_discovered(alice_api, settings, account_a):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with AUTOTASK.running() as simulator:
        AUTOTASK.connect(account_a, simulator)
        assert alice_api.get(URL).json()["api_url"] == ""

        assert alice_api.post(CHECK_URL).json()["ok"] is True
        api_url = alice_api.get(URL).json()["api_url"]
        assert alice_api.post(CHECK_URL).json()["ok"] is True
        lookups = simulator.state()["requests"]["GET zoneInformation"]

    assert api_url.startswith(simulator.url) and api_url.lower().endswith("/atservicesrest")
    assert lookups == 1  # the second test started at the kept zone


@pytest.mark.parametrize(
    ("psa_under_test", "words"),
    [
        (AUTOTASK, "check the API user's username, secret and integration code"),
        (HALOPSA, "check the client id and secret"),
    ],
    ids=OTHER_PSA_IDS,
)
def test_it_reports_wrong_secrets_in_the_psas_words_without_echoing_them(
    alice_api, settings, account_a, psa_under_test, words
):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with psa_under_test.running() as simulator:
        wrong = {**psa_under_test.fields(simulator.url), psa_under_test.secrets[0]: "not-the-secret-42"}
        assert put(alice_api, wrong).status_code == 200

        response = alice_api.post(CHECK_URL)

    assert response.status_code == 200
    assert (response.json()["ok"], response.json()["code"]) == (False, "psa_auth_failed")
    assert words in response.json()["message"]
    assert "not-the-secret-42" not in response.content.decode()


def test_it_reports_a_stopped_psa_as_unavailable(alice_api, connected, simulator):
    simulator.stop()

    response = alice_api.post(CHECK_URL)

    assert (response.json()["ok"], response.json()["code"]) == (False, "psa_unavailable")


def test_it_refuses_to_call_a_saved_url_once_the_opt_in_is_off(alice_api, connected, settings, simulator):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False

    response = alice_api.post(CHECK_URL)

    assert response.json()["ok"] is False
    assert response.json()["code"] == "psa_not_configured"
    assert "is not https; an admin must correct it." in response.json()["message"]
    assert simulator.state()["requests"] == {}


def test_no_secret_is_logged_while_saving_and_testing(alice_api, psa, simulator, settings, caplog):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    fields = psa.fields(simulator.url)
    secrets = [fields[name] for name in psa.secrets]

    with caplog.at_level(logging.DEBUG):
        assert put(alice_api, fields).status_code == 200
        assert alice_api.post(CHECK_URL).json()["ok"] is True
        put(alice_api, {**fields, psa.secrets[0]: "wrong-secret-77"})
        assert alice_api.post(CHECK_URL).json()["ok"] is False

    assert caplog.records
    for secret in [*secrets, "wrong-secret-77"]:
        assert secret not in caplog.text
        assert secret not in json.dumps([record.__dict__ for record in caplog.records], default=repr)


# The note as it lands


def test_a_halopsa_note_lands_as_sanitised_html_and_an_autotask_note_as_plain_text(alice_api, account_a):
    markdown = "## Problem\n\nOutlook asked for a **password**.<script>alert(1)</script>"
    put(alice_api, HALO_BODY)

    html_format, html = note_as_it_lands(PsaConnection.objects.get(account=account_a), markdown)
    put(alice_api, AUTOTASK_BODY)
    text_format, text = note_as_it_lands(PsaConnection.objects.get(account=account_a), markdown)

    assert html_format == "HTML"
    assert "<h2>Problem</h2>" in html and "<strong>password</strong>" in html
    assert "<script" not in html
    assert text_format == "plain text"
    assert text.startswith("Problem\n\nOutlook asked for a password.")


def test_the_preview_shows_the_halopsa_note_as_the_html_source_that_lands(settings, account_a, bob_web, session_a):
    from drafting import services as drafting_services
    from drafting.kinds import DraftKind

    settings.ANTHROPIC_API_KEY = ""
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    with HALOPSA.running() as simulator:
        HALOPSA.connect(account_a, simulator)
        assert drafting_services.preview_request(session=session_a, kind=DraftKind.RESOLUTION_NOTE).ready
        html = bob_web.get(reverse("workspace", args=[session_a.pk]), {"preview": "resolution-note"}).content.decode()

    assert "as <strong>HTML</strong>:" in html
    landing = html[html.index('<pre class="note-text"') :]
    landing = landing[: landing.index("</pre>")]
    assert "&lt;h2&gt;Problem&lt;/h2&gt;" in landing  # the HTML source, shown escaped: exactly what lands
    assert "<h2>" not in landing


@pytest.mark.parametrize(
    "zone",
    ["https://10.0.0.5/ATServicesRest", "https://user:pw@psa.example.com/ATServicesRest"],
    ids=["private", "userinfo"],
)
def test_a_discovered_zone_is_checked_like_a_typed_api_url_before_it_is_kept(alice_api, account_a, zone):
    lookup = f"https://{PUBLIC}/atservicesrest"
    assert put(alice_api, {**AUTOTASK_BODY, "api_url": "", "zone_lookup_url": lookup}).status_code == 200

    with responses.RequestsMock(assert_all_requests_are_fired=False) as autotask:
        autotask.get(f"{lookup}/v1.0/zoneInformation", json={"url": zone})
        check = alice_api.post(CHECK_URL).json()
        called = [call.request.url.split("?")[0] for call in autotask.calls]

    assert (check["ok"], check["code"]) == (False, "psa_rejected"), check
    assert "will not" in check["message"]
    assert PsaConnection.objects.get().field_values()["api_url"] == ""
    assert called == [f"{lookup}/v1.0/zoneInformation"]  # nothing was sent to the zone, credentials least of all
