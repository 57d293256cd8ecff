from django.urls import reverse

from sessions.models import Fact, Session


def facts_url(session):
    return reverse("api-facts", args=[session.pk])


def fact_url(fact):
    return reverse("api-fact", args=[fact.session_id, fact.pk])


def test_it_adds_a_fact_with_its_source(bob_api, session_a, bob):
    body = {
        "text": "DNS resolves autodiscover correctly.",
        "source_type": "diagnostic_check",
        "source_summary": "nslookup",
    }
    response = bob_api.post(facts_url(session_a), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert {k: data[k] for k in body} == body
    assert set(data) == {"id", "text", "source_type", "source_summary", "created_at"}
    assert Fact.objects.get(pk=data["id"]).created_by == bob


def test_it_defaults_the_source_to_the_engineer(bob_api, session_a):
    assert bob_api.post(facts_url(session_a), {"text": "x"}, format="json").json()["source_type"] == "engineer"


def test_it_lists_only_live_facts(bob_api, fact_a):
    gone = Fact.objects.create(session=fact_a.session, text="gone", deleted_at=fact_a.created_at)
    texts = [f["text"] for f in bob_api.get(facts_url(fact_a.session)).json()["results"]]
    assert texts == [fact_a.text]
    assert bob_api.get(fact_url(gone)).status_code == 404


def test_it_edits_a_fact(bob_api, fact_a):
    response = bob_api.patch(fact_url(fact_a), {"text": "Edited", "source_type": "psa"}, format="json")
    assert response.status_code == 200
    assert (response.json()["text"], response.json()["source_type"]) == ("Edited", "psa")


def test_it_soft_deletes_a_fact(bob_api, fact_a):
    assert bob_api.delete(fact_url(fact_a)).status_code == 204
    fact_a.refresh_from_db()
    assert fact_a.deleted_at is not None
    assert bob_api.delete(fact_url(fact_a)).status_code == 404
    assert bob_api.patch(fact_url(fact_a), {"text": "back"}, format="json").status_code == 404


def test_it_refuses_bad_facts_with_the_field_named(bob_api, session_a):
    cases = [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": 5}, "text"),
        ({"text": ["a"]}, "text"),
        ({"text": "ok", "source_type": "rumour"}, "source_type"),
        ({"text": "ok", "source_summary": "x" * 501}, "source_summary"),
        ({"text": "ok", "deleted_at": "2026-01-01T00:00:00Z"}, "deleted_at"),
    ]
    for body, field in cases:
        response = bob_api.post(facts_url(session_a), body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), body
    assert Session.objects.get(pk=session_a.pk).state_version == 1


def test_a_fact_of_another_session_is_404_under_this_one(bob_api, session_a, account_a, bob):
    from sessions import services

    other = services.session_create(account=account_a, user=bob, title="Other")
    fact = services.fact_add(session=other, user=bob, text="Other's fact")
    assert bob_api.get(reverse("api-fact", args=[session_a.pk, fact.pk])).status_code == 404


def test_a_huge_fact_id_is_404_not_500(bob_api, session_a):
    response = bob_api.get(f"/api/ai-sessions/{session_a.pk}/facts/99999999999999999999999/")
    assert response.status_code == 404
