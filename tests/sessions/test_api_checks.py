"""Diagnostic checks over REST: listed, edited and (softly) deleted like facts, inside one's own account."""

import pytest
from django.urls import reverse

from sessions import services
from sessions.models import DiagnosticCheck, Session


@pytest.fixture
def check_a(session_a):
    return services.check_record(
        session=session_a, name="List stored credentials", command="cmdkey /list", result="failed"
    )


def checks_url(session):
    return reverse("api-checks", args=[session.pk])


def check_url(check, session=None):
    return reverse("api-check", args=[(session or check.session).pk, check.pk])


def version(session) -> int:
    return Session.objects.get(pk=session.pk).state_version


def test_it_reads_one_check(bob_api, check_a):
    response = bob_api.get(check_url(check_a))

    assert response.status_code == 200
    assert response.json()["name"] == "List stored credentials"
    assert set(response.json()) == {"id", "name", "command", "result", "output_summary", "created_at"}


def test_it_edits_a_check_and_the_session_moves_on(bob_api, check_a):
    before = version(check_a.session)

    response = bob_api.patch(
        check_url(check_a), {"result": "passed", "output_summary": "No stale entries left."}, format="json"
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["result"], data["output_summary"]) == (
        "List stored credentials",
        "passed",
        "No stale entries left.",
    )
    check_a.refresh_from_db()
    assert (check_a.result, check_a.edited_at is not None) == ("passed", True)
    assert version(check_a.session) == before + 1


def test_an_edit_that_changes_nothing_leaves_the_session_as_it_was(bob_api, check_a):
    before = version(check_a.session)

    response = bob_api.patch(check_url(check_a), {"name": check_a.name}, format="json")

    assert response.status_code == 200
    assert version(check_a.session) == before
    check_a.refresh_from_db()
    assert check_a.edited_at is None


def test_it_refuses_a_bad_edit_with_the_field_named(bob_api, check_a):
    for body, field in (
        ({"name": ""}, "name"),
        ({"result": "maybe"}, "result"),
        ({"command": 5}, "command"),
        ({"deleted_at": None}, "deleted_at"),
    ):
        response = bob_api.patch(check_url(check_a), body, format="json")

        assert response.status_code == 400, body
        assert field in response.json(), body
    check_a.refresh_from_db()
    assert (check_a.name, check_a.result) == ("List stored credentials", "failed")


def test_it_soft_deletes_a_check_which_then_is_gone_from_the_api(bob_api, check_a):
    before = version(check_a.session)

    assert bob_api.delete(check_url(check_a)).status_code == 204

    check_a.refresh_from_db()
    assert check_a.deleted_at is not None
    assert version(check_a.session) == before + 1
    assert bob_api.get(checks_url(check_a.session)).json()["results"] == []
    assert bob_api.get(reverse("api-session", args=[check_a.session_id])).json()["diagnostic_checks"] == []
    assert bob_api.get(check_url(check_a)).status_code == 404
    assert bob_api.patch(check_url(check_a), {"name": "back"}, format="json").status_code == 404
    assert bob_api.delete(check_url(check_a)).status_code == 404


def test_a_closed_session_refuses_edits_and_deletes(bob_api, check_a):
    Session.objects.filter(pk=check_a.session_id).update(status="resolved", closed_as="resolved_local")

    edited = bob_api.patch(check_url(check_a), {"name": "Changed"}, format="json")
    deleted = bob_api.delete(check_url(check_a))

    for response in (edited, deleted):
        assert response.status_code == 409
        assert response.json()["code"] == "session_closed"
    check_a.refresh_from_db()
    assert (check_a.name, check_a.deleted_at) == ("List stored credentials", None)


def test_another_accounts_check_is_404_and_stays_as_it_was(charlie_api, session_b, check_a):
    for url in (check_url(check_a), check_url(check_a, session_b)):  # under Acme's session, and under his own
        assert charlie_api.get(url).status_code == 404
        assert charlie_api.patch(url, {"name": "Hijacked"}, format="json").status_code == 404
        assert charlie_api.delete(url).status_code == 404
    check_a.refresh_from_db()
    assert (check_a.name, check_a.deleted_at) == ("List stored credentials", None)


def test_a_check_of_another_session_of_the_account_is_404_under_this_one(bob_api, session_a, account_a, bob):
    other = services.session_create(account=account_a, user=bob, title="Other")
    check = services.check_record(session=other, name="Ping", result="passed")

    assert bob_api.get(check_url(check, session_a)).status_code == 404
    assert bob_api.delete(check_url(check, session_a)).status_code == 404
    assert DiagnosticCheck.objects.live().filter(pk=check.pk).exists()


def test_a_huge_check_id_is_404_not_500(bob_api, session_a):
    response = bob_api.get(f"/api/ai-sessions/{session_a.pk}/diagnostic-checks/99999999999999999999999/")

    assert response.status_code == 404
