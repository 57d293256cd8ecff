from django.urls import reverse

from sessions.models import SuggestedFix


def fixes_url(session):
    return reverse("api-fixes", args=[session.pk])


def fix_url(fix):
    return reverse("api-fix", args=[fix.session_id, fix.pk])


def test_posting_a_fix_makes_it_the_active_one(bob_api, session_a):
    body = {
        "title": "Rebuild the Outlook profile",
        "description": "New profile, re-add the mailbox.",
        "confidence_pct": 75,
    }
    response = bob_api.post(fixes_url(session_a), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["outcome"] == "proposed"
    assert data["superseded_at"] is None
    assert bob_api.get(reverse("api-session", args=[session_a.pk])).json()["active_fix"]["id"] == data["id"]


def test_a_new_fix_supersedes_the_old_one(bob_api, fix_a):
    response = bob_api.post(fixes_url(fix_a.session), {"title": "Another idea", "confidence_pct": 60}, format="json")
    assert response.status_code == 201
    fix_a.refresh_from_db()
    assert fix_a.superseded_at is not None
    listed = bob_api.get(fixes_url(fix_a.session)).json()["results"]
    assert [(f["title"], f["superseded_at"] is None) for f in listed] == [("Another idea", True), (fix_a.title, False)]
    assert SuggestedFix.objects.filter(session=fix_a.session, superseded_at__isnull=True).count() == 1


def test_it_records_an_outcome(bob_api, fix_a):
    response = bob_api.patch(fix_url(fix_a), {"outcome": "applied_success"}, format="json")
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied_success"


def test_a_partial_outcome_needs_notes(bob_api, fix_a):
    response = bob_api.patch(fix_url(fix_a), {"outcome": "applied_partial"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "outcome_notes" in response.json()["errors"]
    response = bob_api.patch(
        fix_url(fix_a), {"outcome": "applied_partial", "outcome_notes": "Works on wired, not Wi-Fi."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["outcome_notes"] == "Works on wired, not Wi-Fi."


def test_a_superseded_fix_refuses_an_outcome_with_409(bob_api, fix_a, bob):
    from sessions import services

    services.fix_set(session=fix_a.session, user=bob, title="Newer", confidence_pct=10)
    response = bob_api.patch(fix_url(fix_a), {"outcome": "applied_success"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "fix_superseded"


def test_it_refuses_bad_fixes_with_the_field_named(bob_api, session_a):
    cases = [
        ({"title": "T", "confidence_pct": 101}, "confidence_pct"),
        ({"title": "T", "confidence_pct": -1}, "confidence_pct"),
        ({"title": "T", "confidence_pct": "high"}, "confidence_pct"),
        ({"title": "T"}, "confidence_pct"),
        ({"confidence_pct": 50}, "title"),
        ({"title": "T", "confidence_pct": 50, "outcome": "applied_success"}, "outcome"),
    ]
    for body, field in cases:
        response = bob_api.post(fixes_url(session_a), body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), body
    assert not SuggestedFix.objects.exists()


def test_it_refuses_an_unknown_outcome(bob_api, fix_a):
    for body in ({"outcome": "worked-ish"}, {}, {"outcome": "applied_success", "title": "sneaky"}):
        assert bob_api.patch(fix_url(fix_a), body, format="json").status_code == 400
    fix_a.refresh_from_db()
    assert fix_a.outcome == "proposed"
