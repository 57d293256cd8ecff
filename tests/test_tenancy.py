"""alice (admin, Acme), bob (engineer, Acme) and charlie (admin, Globex): lists never show another
account's objects, and what is created lands in the caller's account. Every URL of another account's
objects answering 404, whatever the method and whoever asks: tests/security/test_url_access.py."""

import pytest
from django.urls import reverse

from sessions.models import Fact, Session


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
