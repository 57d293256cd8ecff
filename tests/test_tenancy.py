"""alice (admin, Acme), bob (engineer, Acme) and charlie (admin, Globex) across every endpoint:
another account's objects are 404 (never 403, never listed), whatever the method."""

import json

import pytest
from django.urls import reverse

from sessions.models import Fact, Session, SuggestedFix

OBJECT_URLS = [
    ("GET", "api-session", ["session"]),
    ("PATCH", "api-session", ["session"]),
    ("GET", "api-facts", ["session"]),
    ("POST", "api-facts", ["session"]),
    ("GET", "api-fact", ["session", "fact"]),
    ("PATCH", "api-fact", ["session", "fact"]),
    ("DELETE", "api-fact", ["session", "fact"]),
    ("GET", "api-checks", ["session"]),
    ("POST", "api-checks", ["session"]),
    ("GET", "api-fixes", ["session"]),
    ("POST", "api-fixes", ["session"]),
    ("GET", "api-fix", ["session", "fix"]),
    ("PATCH", "api-fix", ["session", "fix"]),
    ("GET", "api-script-generations", ["session"]),
    ("POST", "api-script-generations", ["session"]),
]

VALID_BODIES = {
    "api-session": {"title": "Hijacked"},
    "api-facts": {"text": "Injected"},
    "api-fact": {"text": "Injected"},
    "api-checks": {"name": "ping", "result": "passed"},
    "api-fixes": {"title": "Injected", "confidence_pct": 1},
    "api-fix": {"outcome": "dismissed"},
    "api-script-generations": {"template": "map-drive", "parameters": {"share": "s", "letter": "S", "password": "p"}},
}


@pytest.mark.parametrize(("method", "name", "parts"), OBJECT_URLS, ids=[f"{m} {n}" for m, n, _ in OBJECT_URLS])
@pytest.mark.parametrize("who", ["alice_api", "bob_api"])
def test_another_accounts_objects_are_404(request, who, method, name, parts, session_b, fact_b, fix_b, template_a):
    client = request.getfixturevalue(who)
    objects = {"session": session_b.pk, "fact": fact_b.pk, "fix": fix_b.pk}
    url = reverse(name, args=[objects[p] for p in parts])
    response = client.generic(method, url, data=json.dumps(VALID_BODIES[name]), content_type="application/json")
    assert response.status_code == 404
    # nothing of Globex's changed
    session_b.refresh_from_db()
    assert session_b.title == "Globex VPN drops"
    assert session_b.state_version == 3
    assert Fact.objects.filter(session=session_b, deleted_at__isnull=True).count() == 1
    assert SuggestedFix.objects.get(pk=fix_b.pk).outcome == "proposed"


@pytest.mark.parametrize("who", ["alice_api", "bob_api"])
def test_another_accounts_sessions_and_templates_are_never_listed(request, who, session_a, session_b, template_b):
    client = request.getfixturevalue(who)
    listed = client.get(reverse("api-sessions")).json()["results"]
    assert [s["id"] for s in listed] == [str(session_a.pk)]
    assert client.get(reverse("api-script-templates")).json()["results"] == []
    assert client.get(reverse("api-sessions"), {"q": "Globex"}).json()["results"] == []


def test_my_own_objects_answer_normally(bob_api, session_a, fact_a, fix_a):
    for name, args in (
        ("api-session", [session_a.pk]),
        ("api-fact", [session_a.pk, fact_a.pk]),
        ("api-fix", [session_a.pk, fix_a.pk]),
    ):
        assert bob_api.get(reverse(name, args=args)).status_code == 200


def test_charlie_cannot_reach_acme_through_a_fact_id_under_his_own_session(charlie_api, session_b, fact_a):
    url = reverse("api-fact", args=[session_b.pk, fact_a.pk])
    assert charlie_api.get(url).status_code == 404
    assert charlie_api.delete(url).status_code == 404
    assert Fact.objects.get(pk=fact_a.pk).deleted_at is None


def test_sessions_created_land_in_the_callers_account(charlie_api, account_b):
    response = charlie_api.post(reverse("api-sessions"), {"title": "Mine"}, format="json")
    assert Session.objects.get(pk=response.json()["id"]).account == account_b
