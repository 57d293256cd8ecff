"""OpenAPI-driven fuzzing (DESIGN §8): schemathesis reads /api/schema/ from the app itself and sends
generated requests, valid and invalid, to every operation through the WSGI app, as an account admin
with real data behind the ids. Every answer must be a non-5xx whose status code, content type and
body the schema documents. Strings come now and then from a list of troublemakers (app_schema.py).

Nothing is excluded. Posting and the connection test reach the project's ConnectWise simulator on
127.0.0.1, never the internet; the token endpoint gets alice's real credentials some of the time, and its
throttles and lockout (429, documented) trip as they would for anyone. Each operation is its own test over
freshly seeded data, so one operation's writes (a session closed by a post) never decide another's answers.
"""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from drafting import services as drafting_services
from drafting.kinds import DraftKind
from handoff import services as handoff_services
from handoff.models import Handoff
from sessions import services as session_services
from tests.fuzz.app_schema import NAUGHTY_STRINGS, schema
from tests.support.data import PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 30

# Half the time or so, input valid in ways the schema cannot say (real credentials, a slug naming the account's
# template, a parameter schema that fits its body, a site URL that is an origin) with generated values
# inside, so the code past validation is fuzzed too.
any_text = st.sampled_from(NAUGHTY_STRINGS) | st.text(max_size=30)
plain_text = st.from_regex(r"[A-Za-z0-9_.\\]{1,20}", fullmatch=True)
VALID_BODIES = {
    "POST /api/auth/token/": st.fixed_dictionaries(
        {"username": st.just("alice"), "password": st.just(PASSWORD) | any_text},
        optional={
            "otp": st.from_regex(r"[0-9]{6}", fullmatch=True) | st.from_regex(r"[a-z2-7]{4}-[a-z2-7]{4}") | any_text
        },
    ),
    "POST /api/ai-sessions/{session_id}/script-generations/": st.fixed_dictionaries(
        {
            "template": st.just("map-drive"),
            "parameters": st.fixed_dictionaries(
                {
                    "share": plain_text | any_text,
                    "letter": st.sampled_from(["S", "X"]),
                    "password": plain_text | any_text,
                },
                optional={"retries": st.integers() | st.floats() | any_text},
            ),
        }
    ),
    "POST /api/script-templates/": st.fixed_dictionaries(
        {
            "name": plain_text | any_text,
            "slug": st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True),
            "body": st.just("Write-Output '{{ value }}'"),
            "parameters_schema": st.fixed_dictionaries(
                {
                    "parameters": st.tuples(
                        st.fixed_dictionaries(
                            {"key": st.just("value"), "label": any_text},
                            optional={"field_type": st.sampled_from(["text", "password", "number"])},
                        )
                    ).map(list)
                }
            ),
        }
    ),
    "PUT /api/account/psa-connection/": st.fixed_dictionaries(
        {
            "site_url": st.sampled_from(["https://psa.example.com", "http://127.0.0.1:8765"]),  # tests/support/dns.py
            "company_id": plain_text | any_text,
            "public_key": plain_text | any_text,
            "client_id": plain_text | any_text,
        },
        optional={"private_key": any_text, "board_id": st.integers(), "notify_customer": st.booleans()},
    )
    | st.fixed_dictionaries(
        {"provider": st.just("autotask"), "username": plain_text | any_text},
        optional={
            "secret": any_text,
            "integration_code": any_text,
            "api_url": st.sampled_from(["", "https://psa.example.com/ATServicesRest", "http://127.0.0.1:8767"])
            | any_text,
            "impersonation_resource_id": st.from_regex(r"[0-9]{1,10}", fullmatch=True) | any_text,
            "zone_lookup_url": st.sampled_from(["https://psa.example.com/atservicesrest", "http://127.0.0.1:8767"]),
        },
    )
    | st.fixed_dictionaries(
        {
            "provider": st.just("halopsa"),
            "site_url": st.sampled_from(["https://psa.example.com", "http://127.0.0.1:8768"]) | any_text,
            "client_id": plain_text | any_text,
        },
        optional={
            "client_secret": any_text,
            "auth_url": st.sampled_from(["", "https://psa.example.com/auth"]) | any_text,
            "tenant": plain_text | any_text,
            "notify_customer": st.booleans(),
        },
    ),
    "POST /api/account/members/": st.fixed_dictionaries(
        {"username": plain_text | any_text, "role": st.sampled_from(["engineer", "admin"]) | any_text},
        optional={"email": st.just("erin@acme.example") | any_text, "password": st.just(PASSWORD) | any_text},
    ),
    "PATCH /api/account/members/{member_id}/": st.fixed_dictionaries(
        {}, optional={"role": st.sampled_from(["engineer", "admin"]) | any_text, "is_active": st.booleans()}
    ),
    "PATCH /api/account/settings/": st.fixed_dictionaries(
        {},
        optional={
            name: st.none() | st.integers(min_value=-1, max_value=2**31)
            for name in ("resolved_status_id", "escalated_status_id", "cw_resolved_status_id", "cw_escalated_status_id")
        }
        | {"mfa_required": st.booleans() | st.none() | any_text},
    ),
}


@pytest.fixture
def in_test_transaction():
    """Django closes the database connection after each request, which would end the test's transaction.
    Its own test client keeps the connection the same way: by not listening for the request signals."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(session_a, fact_a, fix_a, template_a, psa_connected, simulator, settings, bob):
    """Bob's session at Acme (ticket 1001) with a fact, a check, an active fix, a drafted resolution note and a
    handoff that failed when ConnectWise refused the note; Acme has the map-drive template with its
    password parameter and a PSA connection to the simulator. Drafting is offline."""
    settings.ANTHROPIC_API_KEY = ""
    assert drafting_services.preview_request(session=session_a, kind=DraftKind.RESOLUTION_NOTE).ready
    simulator.set_faults(reject={"methods": ["POST"], "message": "Note refused"})
    handoff = handoff_services.handoff_post(
        session=session_a, kind=DraftKind.ESCALATION_PACKAGE, markdown="## Problem\nOutlook prompts.", user=bob
    )
    assert handoff.state == Handoff.State.FAILED
    check = session_services.check_record(session=session_a, name="Ping the mail host", result="passed")
    return {
        "session_id": session_a.pk,
        "fact_id": fact_a.pk,
        "check_id": check.pk,
        "fix_id": fix_a.pk,
        "handoff_id": handoff.pk,
        "member_id": bob.pk,
    }


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same requests on every run and in CI
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
def test_the_api_answers_every_request_as_documented(case, data, real_ids, alice, in_test_transaction):
    for name in case.path_parameters or {}:
        # Mostly real objects, so the operation gets past its lookup; otherwise a random id, which is a 404.
        if name in real_ids and data.draw(st.sampled_from([True, True, False]), label=f"a real {name}"):
            case.path_parameters[name] = real_ids[name]
    valid_body = VALID_BODIES.get(case.operation.label)
    if valid_body is not None and data.draw(st.sampled_from([True, False]), label="a valid body"):
        case.body = data.draw(valid_body, label="body")
    token, _ = Token.objects.get_or_create(user=alice)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)
