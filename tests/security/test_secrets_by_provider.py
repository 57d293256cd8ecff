"""Autotask's secret and integration code and HaloPSA's client secret never leave where they belong, as
ConnectWise's private key never does (test_secrets.py). For each PSA one whole flow — the connection saved
in Django admin and over REST, read back, tested both ways (with the right secrets and a wrong one), the
target statuses set, a resolution posted to the PSA's simulator and read — with every response and every
log record (DEBUG, every logger, SQL included) kept: no secret is in any of them, nor in the database
except encrypted."""

import base64
import http.client
import json
import logging

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.debug import ExceptionReporter

from psa import services as psa_services
from psa.models import PsaConnection
from tests.support.clients import api_client_for, web_client_for
from tests.support.psas import AUTOTASK, HALOPSA, OTHER_PSA_IDS, OTHER_PSAS
from tests.support.workers import RESOLUTION_TEXT

# The secrets of each PSA's connection, as its simulator is started with them.
SECRETS = {
    "autotask": {"secret": "atSecret-Vq8Lm2Rx5Tz9", "integration_code": "ATCODE-Kp3Wd7Ny1Hs4"},
    "halopsa": {"client_secret": "haloSecret-Jf6Bc0Qe8Ua2"},
}
WRONG_SECRET = "wrongSecret-Zt4Xn7Gm1"


def table(provider: str) -> dict[str, str]:
    """What must never be shown: each secret, in base64 too, and the wrong one tried."""
    found = {}
    for name, secret in SECRETS[provider].items():
        found[f"the {provider} {name}"] = secret
        found[f"the {provider} {name} in base64"] = base64.b64encode(secret.encode()).decode()
    return found | {"the wrong secret tried": WRONG_SECRET}


def found_in(text: str, secrets: dict[str, str]) -> list[str]:
    return [what for what, secret in secrets.items() if secret in text]


@pytest.fixture(params=OTHER_PSAS, ids=OTHER_PSA_IDS)
def psa(request):
    return request.param


@pytest.fixture
def simulator(psa):
    credentials = SECRETS[psa.provider]
    with psa.running(**credentials) as running:
        yield running


@pytest.fixture
def responses(monkeypatch) -> list:
    received = []
    original = Client.request

    def request(self, **kwargs):
        response = original(self, **kwargs)
        received.append(response)
        return response

    monkeypatch.setattr(Client, "request", request)
    return received


@pytest.fixture
def log_records(caplog, monkeypatch) -> list[logging.LogRecord]:
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
            monkeypatch.setattr(logger, "propagate", True)
            monkeypatch.setattr(logger, "disabled", False)
    with CaptureQueriesContext(connection):
        yield caplog.records


@pytest.fixture
def flow(settings, psa, simulator, alice, bob, session_a, responses, log_records):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    fields = {**psa.fields(simulator.url), **SECRETS[psa.provider]}
    alice_web, alice_api, bob_api = web_client_for(alice), api_client_for(alice), api_client_for(bob)

    added = alice_web.post(reverse("admin:psa_psaconnection_add"), fields)
    assert added.status_code == 302, added.context["adminform"].form.errors
    pk = PsaConnection.objects.get().pk
    alice_web.get(reverse("admin:psa_psaconnection_change", args=[pk]))
    tested = alice_web.post(
        reverse("admin:psa_psaconnection_changelist"),
        {"action": "test_connection", "_selected_action": [pk]},
        follow=True,
    )
    assert "Connected to" in tested.content.decode()
    assert alice_api.put(reverse("api-psa-connection"), fields, format="json").status_code == 200
    assert alice_api.post(reverse("api-psa-connection-test")).json()["ok"] is True
    wrong = {**fields, psa.secrets[0]: WRONG_SECRET}
    assert alice_api.put(reverse("api-psa-connection"), wrong, format="json").status_code == 200
    assert alice_api.post(reverse("api-psa-connection-test")).json()["code"] == "psa_auth_failed"
    alice_web.post(reverse("admin:psa_psaconnection_change", args=[pk]), fields)
    alice_api.get(reverse("api-psa-connection"))
    alice_web.get(reverse("admin:accounts_accountsettings_change", args=[alice.membership.account.settings.pk]))
    status_id = psa.resolved_status[0]
    alice_api.patch(reverse("api-account-settings"), {"resolved_status_id": status_id}, format="json")

    posted = bob_api.post(
        reverse("api-resolution-post", args=[session_a.pk]), {"markdown": RESOLUTION_TEXT}, format="json"
    )
    handoff = bob_api.get(reverse("api-handoff", args=[posted.json()["id"]])).json()
    assert handoff["state"] == "succeeded", handoff["error"]
    assert handoff["psa"]["status"]["verified"] is True
    return {"responses": responses, "log_records": log_records, "secrets": table(psa.provider)}


def test_no_response_or_log_record_holds_a_secret(flow, caplog):
    secrets = flow["secrets"]
    for response in flow["responses"]:
        where = f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}"
        assert found_in(response.content.decode(errors="replace"), secrets) == [], where
        assert found_in(json.dumps(sorted(response.items())) + str(response.cookies), secrets) == [], where
    assert len(flow["responses"]) >= 12

    records = flow["log_records"]
    assert {"django", "urllib3"} <= {record.name.split(".")[0] for record in records}  # SQL and HTTP
    assert found_in(caplog.text, secrets) == []
    for record in records:
        assert found_in(record.getMessage(), secrets) == [], record.name
        assert found_in(json.dumps(record.__dict__, default=repr), secrets) == [], record.name


def test_the_database_keeps_the_secrets_encrypted(flow, psa, account_a):
    secrets = flow["secrets"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM psa_psaconnection")
        (row,) = cursor.fetchall()
    assert found_in(repr(row), secrets) == []
    stored = PsaConnection.objects.get(account=account_a)
    assert stored.secrets_encrypted in row
    for name, secret in SECRETS[psa.provider].items():
        assert getattr(stored.connection_settings(), name) == secret
    for model in apps.get_models():
        assert found_in(repr(list(model.objects.values_list())), secrets) == [], model._meta.label


@pytest.mark.parametrize("psa_under_test", [AUTOTASK, HALOPSA], ids=OTHER_PSA_IDS)
def test_an_error_report_never_shows_a_secret(rf, settings, monkeypatch, account_a, psa_under_test):
    """Django's 500 reports (DEBUG off) list each frame's local variables, the HTTP library's too: an unexpected
    failure while the credentials are being sent (Autotask's headers, Halo's token form) shows none of them."""
    settings.DEBUG = False
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    nowhere = "http://127.0.0.1:9"
    fields = {**psa_under_test.fields(nowhere), **SECRETS[psa_under_test.provider]}
    if psa_under_test is AUTOTASK:
        fields["api_url"] = f"{nowhere}/webservices5/ATServicesRest"  # the zone is known: the first call carries them
    connection = psa_services.psa_connection_save(account=account_a, **fields)

    def putheader(self, header, *values):
        raise RuntimeError("a bug while sending the headers")

    monkeypatch.setattr(http.client.HTTPConnection, "putheader", putheader)
    with pytest.raises(RuntimeError) as raised:
        psa_services.psa_connection_test(connection=connection)
    reporter = ExceptionReporter(rf.post("/"), raised.type, raised.value, raised.tb)

    frames = reporter.get_traceback_data()["frames"]
    assert any(frame["function"] == "send" and "requests" in frame["filename"] for frame in frames)
    shown = repr(
        [frame["vars"] for frame in frames if frame["function"] != "test_an_error_report_never_shows_a_secret"]
    )
    assert found_in(shown, table(psa_under_test.provider)) == []
