"""However malformed the request, the API answers 4xx with a message, never 500, and writes nothing."""

import pytest
from django.urls import reverse

from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix

WRITES = [
    ("POST", "api-sessions", []),
    ("PATCH", "api-session", ["session"]),
    ("POST", "api-facts", ["session"]),
    ("PATCH", "api-fact", ["session", "fact"]),
    ("POST", "api-checks", ["session"]),
    ("POST", "api-fixes", ["session"]),
    ("PATCH", "api-fix", ["session", "fix"]),
    ("POST", "api-script-generations", ["session"]),
    ("POST", "api-script-templates", []),
    ("PATCH", "api-account-settings", []),
    ("POST", "api-token", []),
]

GARBAGE = {
    "malformed json": '{"title": ',
    "a json array": "[1, 2, 3]",
    "a json string": '"hello"',
    "json null": "null",
    "a number": "42",
    "nested nonsense": '{"title": {"a": [{"b": null}]}, "text": [], "confidence_pct": {}, "parameters": 7}',
    "nul bytes": '{"title": "a\\u0000b", "text": "a\\u0000b", "name": "a\\u0000b", "slug": "a\\u0000b"}',
    "invalid utf-8": b'{"title": "\xff\xfe"}',
}


def snapshot():
    return [
        m.objects.count() for m in (Session, Fact, DiagnosticCheck, SuggestedFix, ScriptGeneration, ScriptTemplate)
    ] + [list(Session.objects.values_list("state_version", flat=True))]


@pytest.mark.parametrize(("method", "name", "parts"), WRITES, ids=[f"{m} {n}" for m, n, _ in WRITES])
def test_garbage_is_a_clear_4xx_and_writes_nothing(
    alice_api, method, name, parts, session_a, fact_a, fix_a, template_a
):
    objects = {"session": session_a.pk, "fact": fact_a.pk, "fix": fix_a.pk}
    url = reverse(name, args=[objects[p] for p in parts])
    before = snapshot()
    for label, body in GARBAGE.items():
        response = alice_api.generic(method, url, data=body, content_type="application/json")
        assert 400 <= response.status_code < 500, (label, response.status_code)
        assert response.json(), label
    assert snapshot() == before


def test_an_oversize_body_is_refused(bob_api, session_a):
    response = bob_api.generic(
        "POST",
        reverse("api-facts", args=[session_a.pk]),
        data='{"text": "' + "x" * 1_100_000 + '"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Fact.objects.exists()


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("api-facts", {"text": "Late fact"}),
        ("api-checks", {"name": "ping", "result": "passed"}),
        ("api-fixes", {"title": "Late fix", "confidence_pct": 50}),
        (
            "api-script-generations",
            {"template": "map-drive", "parameters": {"share": "s", "letter": "S", "password": "p"}},
        ),
    ],
)
def test_a_closed_session_refuses_new_work_with_409(bob_api, session_a, template_a, name, body):
    Session.objects.filter(pk=session_a.pk).update(status=Session.Status.ESCALATED, closed_as="escalated_local")
    before = snapshot()
    response = bob_api.post(reverse(name, args=[session_a.pk]), body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "session_closed"
    assert snapshot() == before


def test_a_check_is_recorded_and_listed(bob_api, session_a):
    url = reverse("api-checks", args=[session_a.pk])
    body = {"name": "DNS lookup", "command": "Resolve-DnsName autodiscover.acme.com", "result": "failed"}
    response = bob_api.post(url, body, format="json")
    assert response.status_code == 201
    assert bob_api.get(url).json()["results"][0]["result"] == "failed"
    assert bob_api.post(url, {"name": "x", "result": "meh"}, format="json").status_code == 400
