"""An account admin cannot point FlowPilot's PSA calls (which carry the account's credentials) at a
private, loopback or link-local address, through the REST API or Django admin: a 400, or a form error,
naming the address; nothing is saved. With FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS (the simulator, tests)
the same URLs are accepted. The URL rules themselves: tests/psa/test_site_url.py.

A name that answers a public address when checked and a private one a moment later (DNS rebinding) is
refused when FlowPilot connects, by "Test connection" and by a post alike, and nothing reaches the
private address. The guarded connection itself: tests/psa/test_http.py."""

import socket

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.services import account_settings_update
from psa.models import PsaConnection
from sessions.models import Session
from tests.support.data import RESOLVED_STATUS_ID
from tests.support.dns import PUBLIC_ADDRESS

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


# DNS rebinding: public when checked, private when connecting

REBINDING_HOST = "rebind.example.com"
NOTE = (
    "## Problem\n\nOutlook prompted.\n\n## What we confirmed\n\nA stale credential.\n\n"
    "## Root cause\n\nA cached credential.\n\n## Resolution\n\nCleared it."
)


class LoopbackListener:
    """A port on 127.0.0.1 that accepts TCP connections and never answers; `connections()` counts them."""

    def __init__(self):
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.setblocking(False)
        self.port = self._socket.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                accepted, _address = self._socket.accept()
            except BlockingIOError:
                return count
            accepted.close()
            count += 1

    def close(self):
        self._socket.close()


@pytest.fixture
def loopback_listener():
    listener = LoopbackListener()
    yield listener
    listener.close()


@pytest.fixture
def rebinding_connection(alice_api, fake_dns, loopback_listener, settings):
    """Acme saved https://rebind.example.com:PORT while it answered a public address; from now on it answers
    a public address once more (to the check before connecting) and then 127.0.0.1, where the listener is."""
    settings.FLOWPILOT_PSA_READ_TIMEOUT_SECONDS = 2  # were the guard to fail, the call would not hang long
    fake_dns.names[REBINDING_HOST] = [PUBLIC_ADDRESS]
    site = f"https://{REBINDING_HOST}:{loopback_listener.port}"
    assert put(alice_api, site).status_code == 200
    fake_dns.asked.clear()
    fake_dns.rebind(REBINDING_HOST, first=PUBLIC_ADDRESS, then="127.0.0.1")
    return PsaConnection.objects.get(site_url=site)


def refused_at_connect_time(message: str) -> bool:
    return names_the_address(message, "127.0.0.1")


def test_test_connection_refuses_a_rebinding_name_when_it_connects(
    alice_api, rebinding_connection, fake_dns, loopback_listener
):
    response = alice_api.post(reverse("api-psa-connection-test"))

    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["code"]) == (False, "psa_not_configured")
    assert refused_at_connect_time(body["message"]), body["message"]
    assert fake_dns.asked == [REBINDING_HOST, REBINDING_HOST]  # checked (public), then connecting (refused)
    assert loopback_listener.connections() == 0


@pytest.mark.parametrize("action", ["test_connection", "discover_codebase"])
def test_the_admin_actions_refuse_a_rebinding_name_when_they_connect(
    alice_web, rebinding_connection, fake_dns, loopback_listener, action
):
    response = alice_web.post(
        reverse("admin:psa_psaconnection_changelist"),
        {"action": action, "_selected_action": [rebinding_connection.pk]},
        follow=True,
    )

    ((level, message),) = [(shown.level_tag, shown.message) for shown in get_messages(response.wsgi_request)]
    assert level == "error"
    assert message.startswith("Acme MSP: ")
    assert refused_at_connect_time(message.removeprefix("Acme MSP: ")), message
    assert fake_dns.asked == [REBINDING_HOST, REBINDING_HOST]
    assert loopback_listener.connections() == 0
    assert PsaConnection.objects.get(pk=rebinding_connection.pk).codebase == "v4_6_release/"


def test_a_post_to_a_rebinding_name_fails_with_a_clear_error_and_sends_nothing(
    bob_api, account_a, session_a, rebinding_connection, fake_dns, loopback_listener
):
    account_settings_update(account=account_a, changes={"cw_resolved_status_id": RESOLVED_STATUS_ID})

    response = bob_api.post(reverse("api-resolution-post", args=[session_a.pk]), {"markdown": NOTE}, format="json")

    assert response.status_code == 202
    handoff = response.json()
    assert handoff["state"] == "failed"
    assert handoff["error"]["code"] == "psa_not_configured"
    assert refused_at_connect_time(handoff["error"]["message"]), handoff["error"]["message"]
    assert handoff["psa"]["note_id"] is None
    assert fake_dns.asked == [REBINDING_HOST, REBINDING_HOST]
    assert loopback_listener.connections() == 0
    assert Session.objects.get(pk=session_a.pk).is_open
