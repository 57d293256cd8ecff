"""An account admin cannot point FlowPilot's PSA calls (which carry the account's credentials) at a
private, loopback or link-local address, through the REST API or Django admin: a 400, or a form error,
naming the address; nothing is saved. With FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS (the simulator, tests)
the same URLs are accepted. The URL rules themselves: tests/psa/test_site_url.py."""

import pytest
from django.urls import reverse

from psa.models import PsaConnection

# (what the admin types, the address FlowPilot refuses to call)
NOT_PUBLIC = [
    ("https://10.0.0.5", "10.0.0.5"),
    ("https://172.16.0.1", "172.16.0.1"),
    ("https://192.168.1.1", "192.168.1.1"),
    ("https://127.0.0.1:8765", "127.0.0.1"),
    ("https://169.254.169.254", "169.254.169.254"),  # the cloud metadata service
    ("https://[::1]", "::1"),
    ("https://[fe80::1]", "fe80::1"),
    ("https://[fc00::1]", "fc00::1"),
    ("https://0.0.0.0", "0.0.0.0"),
    ("https://localhost", ("127.0.0.1", "::1")),
    ("https://intranet.example.com", "10.1.2.3"),  # a public-looking name whose DNS answers privately
]
IDS = [url.removeprefix("https://") for url, _address in NOT_PUBLIC]
FIELDS = {
    "provider": "connectwise",
    "company_id": "acme",
    "public_key": "acme-public",
    "private_key": "acme-private",
    "client_id": "acme-client",
    "codebase": "v4_6_release/",
}


@pytest.fixture(autouse=True)
def dns(fake_dns, settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False


@pytest.fixture
def opted_in(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True


def put(client, url: str):
    return client.put(reverse("api-psa-connection"), {**FIELDS, "site_url": url}, format="json")


def add_in_admin(client, url: str):
    return client.post(reverse("admin:psa_psaconnection_add"), {**FIELDS, "site_url": url})


def names_the_address(message: str, address) -> bool:
    addresses = address if isinstance(address, tuple) else (address,)
    return any(
        message == f"The site URL's host resolves to {each}, a private, loopback or link-local address; "
        "FlowPilot only calls public PSA hosts."
        for each in addresses
    )


@pytest.mark.parametrize(("url", "address"), NOT_PUBLIC, ids=IDS)
def test_the_api_refuses_a_host_that_is_not_public_with_a_clear_400(alice_api, url, address):
    response = put(alice_api, url)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    (message,) = body["errors"]["site_url"]
    assert names_the_address(message, address), message
    assert message in body["detail"]
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize(("url", "address"), NOT_PUBLIC, ids=IDS)
def test_the_admin_form_refuses_a_host_that_is_not_public(alice_web, url, address):
    response = add_in_admin(alice_web, url)

    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["site_url"]
    assert names_the_address(message, address), message
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not PsaConnection.objects.exists()


def test_a_saved_connection_cannot_be_moved_to_a_private_host(alice_api, account_a, settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    assert put(alice_api, "https://10.0.0.5").status_code == 200
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False

    assert put(alice_api, "https://169.254.169.254").status_code == 400
    assert PsaConnection.objects.get(account=account_a).site_url == "https://10.0.0.5"


@pytest.mark.parametrize(("url", "_address"), NOT_PUBLIC, ids=IDS)
def test_with_the_opt_in_the_api_accepts_them(opted_in, alice_api, account_a, url, _address):
    response = put(alice_api, url)

    assert response.status_code == 200
    assert PsaConnection.objects.get(account=account_a).site_url == response.json()["site_url"]


@pytest.mark.parametrize(("url", "_address"), NOT_PUBLIC, ids=IDS)
def test_with_the_opt_in_the_admin_form_accepts_them(opted_in, alice_web, account_a, url, _address):
    response = add_in_admin(alice_web, url)

    assert response.status_code == 302
    assert PsaConnection.objects.filter(account=account_a).exists()
