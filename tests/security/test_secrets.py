"""The PSA private key and a script's password never leave where they belong. One whole flow — the key
saved in Django admin and over REST, the connection tested both ways, a script generated with a
password (API and page), drafts by the Claude stub, Confirm & post to the ConnectWise simulator — with
every response, every log record (DEBUG, every logger, SQL included) and every model request kept:
neither secret is in any of them, nor in the database except the key, encrypted."""

import base64
import json
import logging

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from accounts.models import AuditEvent
from devtools.connectwise.simulator import (
    SIMULATOR_CLIENT_ID,
    SIMULATOR_COMPANY_ID,
    SIMULATOR_PUBLIC_KEY,
    ConnectWiseSimulator,
)
from drafting.kinds import DraftKind
from psa.models import PsaConnection
from sessions.models import ScriptGeneration
from tests.support.clients import api_client_for, web_client_for
from tests.support.data import RESOLVED_STATUS_ID

PSA_PRIVATE_KEY = "cwPrivKey-7Qx2Lm9Vt4Rz8Nw3"
SCRIPT_PASSWORD = "scriptPw-Hk5Jd8Wq2Ys6Tb1"
MEMBER_PASSWORD = "memberPw-Zr4Kc7Np1Uv9Qe"
BASIC_CREDENTIALS = base64.b64encode(
    f"{SIMULATOR_COMPANY_ID}+{SIMULATOR_PUBLIC_KEY}:{PSA_PRIVATE_KEY}".encode()
).decode()
SECRETS = {
    "the PSA private key": PSA_PRIVATE_KEY,
    "the PSA key in base64": base64.b64encode(PSA_PRIVATE_KEY.encode()).decode(),
    "the Basic auth header's credentials": BASIC_CREDENTIALS,
    "the script password": SCRIPT_PASSWORD,
    "the script password in base64": base64.b64encode(SCRIPT_PASSWORD.encode()).decode(),
    "a new member's password": MEMBER_PASSWORD,
}
# The one place the password may be: the script itself, shown once to the engineer who generated it.
SHOWN_ONCE = {("POST", "api-script-generations"), ("POST", "scripts")}


def found_in(text: str) -> list[str]:
    return [what for what, secret in SECRETS.items() if secret in text]


@pytest.fixture
def simulator():
    with ConnectWiseSimulator(port=0, private_key=PSA_PRIVATE_KEY) as sim:
        yield sim


@pytest.fixture
def responses(monkeypatch) -> list:
    """Every response any test client receives (API and browser alike, redirects followed included)."""
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
    """Every record of every logger at DEBUG, SQL with its parameters included."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
            monkeypatch.setattr(logger, "propagate", True)
            monkeypatch.setattr(logger, "disabled", False)
    with CaptureQueriesContext(connection):  # django.db.backends logs each query with its parameters
        yield caplog.records


@pytest.fixture
def flow(settings, simulator, model_on, alice, bob, session_a, fact_a, template_a, responses, log_records):
    """The whole flow: alice connects the PSA (admin form, then REST) and tests it; bob generates a script
    with a password, drafts (the Claude stub answers), posts to the simulator and reads the ticket."""
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    connection_fields = {
        "provider": "connectwise",
        "site_url": simulator.url,
        "company_id": SIMULATOR_COMPANY_ID,
        "public_key": SIMULATOR_PUBLIC_KEY,
        "private_key": PSA_PRIVATE_KEY,
        "client_id": SIMULATOR_CLIENT_ID,
        "codebase": "v4_6_release/",
        "board_id": 1,
    }
    alice_web, alice_api = web_client_for(alice), api_client_for(alice)
    bob_web, bob_api = web_client_for(bob), api_client_for(bob)
    session = [session_a.pk]

    assert alice_web.post(reverse("admin:psa_psaconnection_add"), connection_fields).status_code == 302
    tested = alice_web.post(
        reverse("admin:psa_psaconnection_changelist"),
        {"action": "test_connection", "_selected_action": [PsaConnection.objects.get().pk]},
        follow=True,
    )
    assert "Connected to ConnectWise" in tested.content.decode()
    assert alice_api.put(reverse("api-psa-connection"), connection_fields, format="json").status_code == 200
    assert alice_api.post(reverse("api-psa-connection-test")).json()["ok"] is True
    alice_api.get(reverse("api-psa-connection"))
    alice_api.patch(reverse("api-account-settings"), {"cw_resolved_status_id": RESOLVED_STATUS_ID}, format="json")
    member = {"username": "erin", "role": "engineer", "password": MEMBER_PASSWORD}
    assert alice_api.post(reverse("api-members"), member, format="json").status_code == 201
    alice_web.post(reverse("people"), {**member, "username": "fay"})

    parameters = {"share": r"\\fs01\finance", "letter": "S", "password": SCRIPT_PASSWORD}
    generated = bob_api.post(
        reverse("api-script-generations", args=session),
        {"template": "map-drive", "parameters": parameters},
        format="json",
    )
    assert SCRIPT_PASSWORD in generated.json()["script"]
    form = {"template": "map-drive", **{f"param-{key}": value for key, value in parameters.items()}}
    shown = bob_web.post(reverse("scripts", args=session), form, HTTP_HX_REQUEST="true")
    assert SCRIPT_PASSWORD in shown.content.decode()
    bob_api.get(reverse("api-script-generations", args=session))
    bob_api.get(reverse("api-session", args=session))

    drafted = bob_api.post(reverse("api-resolution-preview", args=session), {}, format="json").json()
    assert drafted["drafted_by"] != "offline"
    bob_api.get(reverse("api-resolution-preview", args=session))
    bob_web.post(reverse("preview", args=[*session, DraftKind.ESCALATION_PACKAGE]), HTTP_HX_REQUEST="true")
    bob_web.get(reverse("workspace", args=session), {"preview": "resolution-note"})
    bob_web.get(reverse("ticket-status", args=session), HTTP_HX_REQUEST="true")
    posted = bob_api.post(
        reverse("api-resolution-post", args=session), {"markdown": drafted["markdown"]}, format="json"
    )
    assert posted.json()["state"] == "succeeded"
    assert bob_api.get(reverse("api-handoff", args=[posted.json()["id"]])).json()["psa"]["status"]["verified"] is True
    assert len(model_on.requests) == 2
    alice_api.get(reverse("api-audit"))
    alice_web.get(reverse("audit"))
    return {"responses": responses, "log_records": log_records, "model_requests": model_on.requests}


def test_no_response_log_record_or_model_request_holds_a_secret(flow, caplog):
    for response in flow["responses"]:
        method, path = response.request["REQUEST_METHOD"], response.request["PATH_INFO"]
        body = response.content.decode(errors="replace")
        if (method, resolve(path).url_name) in SHOWN_ONCE:
            assert body.count(SCRIPT_PASSWORD) == 1, path  # the script, and nowhere else
            body = body.replace(SCRIPT_PASSWORD, "")
        assert found_in(body) == [], f"{method} {path}"
        assert found_in(json.dumps(sorted(response.items())) + str(response.cookies)) == [], f"{method} {path}"
    assert len(flow["responses"]) >= 15

    records = flow["log_records"]
    assert {"django", "urllib3", "anthropic"} <= {record.name.split(".")[0] for record in records}  # SQL and HTTP
    assert found_in(caplog.text) == []
    for record in records:
        assert found_in(record.getMessage()) == [], record.name
        assert found_in(json.dumps(record.__dict__, default=repr)) == [], record.name

    for request in flow["model_requests"]:
        assert found_in(json.dumps(request)) == []
    assert "[REDACTED]" in json.dumps(flow["model_requests"][0]["body"])


def test_the_database_keeps_the_key_encrypted_and_no_password(flow, account_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM psa_psaconnection")
        (row,) = cursor.fetchall()
    assert found_in(repr(row)) == []
    stored = PsaConnection.objects.get(account=account_a)
    assert stored.private_key_encrypted in row
    assert stored.connection_settings().private_key == PSA_PRIVATE_KEY

    generations = list(ScriptGeneration.objects.values("parameters_used", "redacted_script"))
    assert len(generations) == 2
    for generation in generations:
        assert generation["parameters_used"]["password"] == "[REDACTED]"
        assert "/user:svc [REDACTED]" in generation["redacted_script"]
    for model in apps.get_models():
        assert found_in(repr(list(model.objects.values_list()))) == [], model._meta.label


def test_the_audit_trail_records_the_flow_and_no_secret(flow, account_a):
    events = list(AuditEvent.objects.filter(account=account_a))
    assert {"psa_connection.saved", "settings.changed", "member.added", "handoff.posted"} <= {e.action for e in events}
    saved = next(event for event in events if event.action == "psa_connection.saved")
    assert saved.details["secrets_changed"] == ["private_key"]
    assert found_in(repr(list(AuditEvent.objects.values_list()))) == []
