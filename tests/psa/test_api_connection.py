"""The account's PSA connection over REST: admins only, the private key write-only and encrypted at
rest, the site URL guarded, and "test" calling the PSA (the project's simulator) for real."""

import base64
import json
import logging
import socket

import pytest
from django.urls import reverse

from devtools.connectwise.simulator import (
    SIMULATOR_COMPANY_ID,
    SIMULATOR_PRIVATE_KEY,
    SIMULATOR_PUBLIC_KEY,
    connection_fields,
)
from psa import site_url
from psa.models import PsaConnection

PRIVATE_KEY = "pk-Acme-0f3c9e77d2b1"
PUBLIC_HOST = "api-na.example.com"
REAL_GETADDRINFO = socket.getaddrinfo


def url():
    return reverse("api-psa-connection")


def check_url():
    return reverse("api-psa-connection-test")


def body(**overrides):
    """A full PUT body; an override of `...` leaves that field out."""
    fields = {
        "provider": "connectwise",
        "site_url": f"https://{PUBLIC_HOST}",
        "company_id": "acme",
        "public_key": "pub-acme",
        "private_key": PRIVATE_KEY,
        "client_id": "client-acme",
        "codebase": "v2025_1/",
        "board_id": 1,
        "notify_customer": True,
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not ...}


def field_errors(response) -> dict:
    """Serializer errors come as `{field: [...]}`, a service's as `{"detail", "code", "errors"}`."""
    data = response.json()
    return data.get("errors", data)


def put(client, **overrides):
    return client.put(url(), body(**overrides), format="json")


@pytest.fixture(autouse=True)
def public_dns(monkeypatch, settings):
    """The public PSA host resolves to a public address without asking real DNS."""
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False

    def getaddrinfo(host, port, *args, **kwargs):
        if host == PUBLIC_HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return REAL_GETADDRINFO(host, port, proto=socket.IPPROTO_TCP, flags=socket.AI_NUMERICHOST)

    monkeypatch.setattr(site_url.socket, "getaddrinfo", getaddrinfo)


def simulator_body(simulator, **overrides):
    fields = {**connection_fields(simulator.url), "codebase": "v4_6_release/", "notify_customer": False}
    return body(**{**fields, **overrides})


# Saving the connection


def test_it_creates_the_connection_and_returns_everything_but_the_private_key(alice_api, account_a):
    response = put(alice_api)

    assert response.status_code == 200
    data = dict(response.json())
    assert data.pop("updated_at")
    assert data == {
        "provider": "connectwise",
        "site_url": f"https://{PUBLIC_HOST}",
        "company_id": "acme",
        "public_key": "pub-acme",
        "has_private_key": True,
        "client_id": "client-acme",
        "codebase": "v2025_1/",
        "board_id": 1,
        "notify_customer": True,
    }
    assert PRIVATE_KEY not in response.content.decode()
    assert alice_api.get(url()).json() == response.json()
    assert PRIVATE_KEY not in alice_api.get(url()).content.decode()


def test_it_stores_the_private_key_encrypted(alice_api, account_a):
    put(alice_api)

    connection = PsaConnection.objects.get(account=account_a)
    assert connection.private_key_encrypted
    assert PRIVATE_KEY not in connection.private_key_encrypted
    assert base64.b64encode(PRIVATE_KEY.encode()).decode() not in connection.private_key_encrypted
    assert connection.connection_settings().private_key == PRIVATE_KEY
    assert connection.private_key_encrypted not in alice_api.get(url()).content.decode()


def test_it_normalises_the_site_url_and_codebase(alice_api):
    response = put(alice_api, site_url=f"HTTPS://{PUBLIC_HOST.upper()}/", codebase="v2025_1")

    assert (response.json()["site_url"], response.json()["codebase"]) == (f"https://{PUBLIC_HOST}", "v2025_1/")


def test_it_fills_in_the_defaults(alice_api):
    response = put(alice_api, provider=..., codebase=..., board_id=..., notify_customer=...)

    assert response.status_code == 200
    data = response.json()
    assert (data["provider"], data["codebase"], data["board_id"], data["notify_customer"]) == (
        "connectwise",
        "v4_6_release/",
        None,
        False,
    )


def test_it_keeps_the_stored_key_when_a_later_put_leaves_it_out(alice_api, account_a):
    put(alice_api)

    response = put(alice_api, private_key=..., company_id="acme-renamed", board_id=None)

    assert response.status_code == 200
    assert (response.json()["company_id"], response.json()["board_id"]) == ("acme-renamed", None)
    assert response.json()["has_private_key"] is True
    connection = PsaConnection.objects.get(account=account_a)
    assert connection.connection_settings().private_key == PRIVATE_KEY
    assert PsaConnection.objects.count() == 1


def test_it_replaces_the_key_when_a_new_one_is_sent(alice_api, account_a):
    put(alice_api)

    put(alice_api, private_key="pk-rotated-1234")

    assert PsaConnection.objects.get(account=account_a).connection_settings().private_key == "pk-rotated-1234"


@pytest.mark.parametrize("private_key", [..., ""])
def test_it_needs_a_private_key_the_first_time(alice_api, private_key):
    response = put(alice_api, private_key=private_key)

    assert response.status_code == 400
    assert "private_key" in field_errors(response)
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize(
    "site",
    [
        "https://127.0.0.1",
        "https://169.254.169.254",
        "https://10.0.0.5",
        "https://localhost:8443",
        f"http://{PUBLIC_HOST}",
        f"https://{PUBLIC_HOST}/v4_6_release/apis/3.0",
        f"https://user:pw@{PUBLIC_HOST}",
        "https://[::1",
        "https://[zz]",
    ],
)
def test_it_refuses_a_site_url_that_is_not_a_public_https_origin(alice_api, site):
    response = put(alice_api, site_url=site)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["site_url"]
    assert PRIVATE_KEY not in response.content.decode()
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize("site", ["http://[::1", "http://[zz]:8765", "http://127.0.0.1:8765/apis"])
def test_it_refuses_a_malformed_site_url_with_the_opt_in_too(alice_api, settings, site):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True

    response = put(alice_api, site_url=site)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["site_url"]
    assert not PsaConnection.objects.exists()


def test_it_refuses_a_private_site_url_on_an_existing_connection_and_keeps_the_old_one(alice_api, account_a):
    put(alice_api)

    response = put(alice_api, site_url="https://169.254.169.254")

    assert response.status_code == 400
    assert PsaConnection.objects.get(account=account_a).site_url == f"https://{PUBLIC_HOST}"


@pytest.mark.parametrize("codebase", ["../../admin", "v4 6 release/", "a/b/", "x" * 70, "v4_6_release/?q=1"])
def test_it_refuses_a_bad_codebase(alice_api, codebase):
    response = put(alice_api, codebase=codebase)

    assert response.status_code == 400
    assert "codebase" in field_errors(response)
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"board_id": "1"}, "board_id"),
        ({"board_id": True}, "board_id"),
        ({"board_id": 0}, "board_id"),
        ({"board_id": 2**31}, "board_id"),
        ({"notify_customer": "yes"}, "notify_customer"),
        ({"notify_customer": 1}, "notify_customer"),
        ({"company_id": 42}, "company_id"),
        ({"private_key": ["a", "b"]}, "private_key"),
        ({"site_url": None}, "site_url"),
        ({"provider": "freshdesk"}, "provider"),
        ({"provider": 3}, "provider"),
        ({"site_url": ...}, "site_url"),
        ({"client_id": ...}, "client_id"),
        ({"public_key": "k" * 201}, "public_key"),
    ],
)
def test_it_refuses_wrong_types_and_missing_fields(alice_api, overrides, field):
    response = put(alice_api, **overrides)

    assert response.status_code == 400
    assert field in field_errors(response)
    assert PRIVATE_KEY not in response.content.decode()
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize("field", ["has_private_key", "updated_at", "private_key_encrypted", "account", "colour"])
def test_it_refuses_unknown_and_read_only_fields(alice_api, field):
    response = put(alice_api, **{field: "x"})

    assert response.status_code == 400
    assert response.json() == {field: ["Unknown or read-only field."]}
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"', "null"])
def test_it_refuses_a_body_that_is_not_an_object(alice_api, raw):
    response = alice_api.put(url(), raw, content_type="application/json")

    assert response.status_code == 400
    assert not PsaConnection.objects.exists()


def test_it_says_when_there_is_no_connection_yet(alice_api):
    for response in (alice_api.get(url()), alice_api.post(check_url())):
        assert response.status_code == 404
        assert response.json()["code"] == "psa_not_configured"


# Who may


def test_an_engineer_gets_403_everywhere(bob_api, alice_api, account_a):
    put(alice_api)

    assert bob_api.get(url()).status_code == 403
    assert bob_api.put(url(), body(company_id="bob-was-here"), format="json").status_code == 403
    assert bob_api.post(check_url()).status_code == 403
    assert PsaConnection.objects.get(account=account_a).company_id == "acme"


def test_anonymous_callers_get_401(anon_api):
    assert anon_api.get(url()).status_code == 401
    assert anon_api.put(url(), body(), format="json").status_code == 401
    assert anon_api.post(check_url()).status_code == 401
    assert not PsaConnection.objects.exists()


def test_another_accounts_admin_never_sees_acmes_connection(alice_api, charlie_api, account_a):
    put(alice_api)

    for response in (charlie_api.get(url()), charlie_api.post(check_url())):
        assert response.status_code == 404
        assert response.json()["code"] == "psa_not_configured"
        for acme_value in ("acme", "pub-acme", "client-acme", PUBLIC_HOST, "v2025_1"):
            assert acme_value not in response.content.decode()


def test_another_accounts_admin_saves_her_own_connection_and_acmes_is_unchanged(
    alice_api, charlie_api, account_a, account_b
):
    put(alice_api)
    acme_before = PsaConnection.objects.values().get(account=account_a)

    response = put(charlie_api, company_id="globex", public_key="pub-globex", private_key="pk-globex")

    assert response.status_code == 200
    assert response.json()["company_id"] == "globex"
    assert PsaConnection.objects.values().get(account=account_a) == acme_before
    globex = PsaConnection.objects.get(account=account_b)
    assert globex.connection_settings().private_key == "pk-globex"
    assert alice_api.get(url()).json()["company_id"] == "acme"


# Testing the connection against the simulator


def test_it_reports_a_working_connection_with_the_boards_active_statuses(alice_api, psa_connected):
    response = alice_api.post(check_url())

    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "message": "Connected to ConnectWise v2025.1 (simulator); board 1 has 6 active statuses.",
        "code": "",
    }


def test_it_reports_a_working_connection_without_a_board(alice_api, settings, simulator):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    assert alice_api.put(url(), simulator_body(simulator, board_id=None), format="json").status_code == 200

    response = alice_api.post(check_url())

    assert response.json() == {"ok": True, "message": "Connected to ConnectWise v2025.1 (simulator).", "code": ""}


def test_it_reports_wrong_keys(alice_api, psa_connected, simulator):
    saved = alice_api.put(url(), simulator_body(simulator, private_key="not-the-key"), format="json")
    assert saved.status_code == 200

    response = alice_api.post(check_url())

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert response.json()["code"] == "psa_auth_failed"
    assert "not-the-key" not in response.content.decode()


def test_it_reports_a_board_the_psa_does_not_have(alice_api, psa_connected, simulator):
    alice_api.put(url(), simulator_body(simulator, board_id=99), format="json")

    response = alice_api.post(check_url())

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert "board 99" in response.json()["message"]


def test_it_reports_a_stopped_psa_as_unavailable(alice_api, psa_connected, simulator):
    simulator.stop()

    response = alice_api.post(check_url())

    assert response.status_code == 200
    assert (response.json()["ok"], response.json()["code"]) == (False, "psa_unavailable")


def test_it_reports_a_port_nothing_listens_on_as_unavailable(alice_api, settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    assert put(alice_api, site_url="http://127.0.0.1:9").status_code == 200

    response = alice_api.post(check_url())

    assert response.status_code == 200
    assert (response.json()["ok"], response.json()["code"]) == (False, "psa_unavailable")


def test_it_refuses_to_call_a_saved_url_once_the_opt_in_is_off(alice_api, settings, simulator):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    alice_api.put(url(), simulator_body(simulator), format="json")
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False

    response = alice_api.post(check_url())

    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert response.json()["message"] == "The saved site URL is not https; an admin must correct it."
    assert simulator.state()["requests"] == {}


def test_it_never_logs_the_private_key(alice_api, settings, simulator, caplog):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    basic = base64.b64encode(f"{SIMULATOR_COMPANY_ID}+{SIMULATOR_PUBLIC_KEY}:{SIMULATOR_PRIVATE_KEY}".encode()).decode()

    with caplog.at_level(logging.DEBUG):
        saved = alice_api.put(url(), simulator_body(simulator), format="json")
        worked = alice_api.post(check_url())
        alice_api.put(url(), simulator_body(simulator, private_key=PRIVATE_KEY), format="json")
        refused = alice_api.post(check_url())
        alice_api.put(url(), simulator_body(simulator, private_key=PRIVATE_KEY, board_id="1"), format="json")

    assert (saved.status_code, worked.json()["ok"], refused.json()["code"]) == (200, True, "psa_auth_failed")
    assert caplog.records  # the calls did log (requests, urllib3, django.request)
    for secret in (SIMULATOR_PRIVATE_KEY, PRIVATE_KEY, basic):
        assert secret not in caplog.text
        assert secret not in json.dumps([record.__dict__ for record in caplog.records], default=repr)


def test_an_error_report_never_shows_the_private_key(rf, settings, account_a):
    """Django's 500 reports (DEBUG off) list each frame's local variables; the key is scrubbed there."""
    import sys

    from django.views.debug import ExceptionReporter

    from psa import services as psa_services

    settings.DEBUG = False
    secret = "priv-in-a-traceback-123"
    try:
        psa_services.psa_connection_save(
            account=account_a, site_url="ftp://x", company_id="c", public_key="p", private_key=secret, client_id="i"
        )
    except Exception:
        reporter = ExceptionReporter(rf.post("/"), *sys.exc_info())

    frames = reporter.get_traceback_data()["frames"]
    (save_frame,) = [frame for frame in frames if frame["function"] == "psa_connection_save"]
    local_vars = dict(save_frame["vars"])
    assert set(local_vars["fields"].strip("'")) == {"*"}  # the provider's fields, shown as '********************'
    assert secret not in repr(
        [frame["vars"] for frame in frames if frame["function"] != "test_an_error_report_never_shows_the_private_key"]
    )
