from django.urls import reverse

from sessions import services
from sessions.models import Session

LIST = reverse("api-sessions")


def detail(session):
    return reverse("api-session", args=[session.pk])


class TestCreate:
    def test_it_creates_a_session_in_my_account(self, bob_api, bob, account_a):
        body = {
            "title": "VPN drops every 10 minutes",
            "problem_summary": "Users on the Meraki VPN lose the tunnel.",
            "problem_domain": "network",
            "intake_content": {"text": "Reported by three remote users."},
            "psa_ticket_id": 4242,
        }
        response = bob_api.post(LIST, body, format="json")
        assert response.status_code == 201
        data = response.json()
        assert data["title"] == "VPN drops every 10 minutes"
        assert data["intake_content"] == {"text": "Reported by three remote users."}
        assert data["psa_ticket_id"] == 4242
        assert data["status"] == "open"
        assert data["closed_as"] == ""
        assert data["state_version"] == 1
        session = Session.objects.get(pk=data["id"])
        assert session.account == account_a
        assert session.created_by == bob

    def test_it_needs_only_a_title(self, bob_api):
        response = bob_api.post(LIST, {"title": "Printer offline"}, format="json")
        assert response.status_code == 201
        assert response.json()["psa_ticket_id"] is None
        assert response.json()["intake_content"] == {"text": ""}

    def test_it_refuses_a_missing_or_blank_title(self, bob_api):
        for body in ({}, {"title": ""}, {"title": "   "}):
            response = bob_api.post(LIST, body, format="json")
            assert response.status_code == 400
            assert "title" in response.json()
        assert Session.objects.count() == 0

    def test_it_refuses_a_ticket_id_that_is_not_a_positive_integer(self, bob_api):
        for bad in (0, -3, "abc", "12", 1.5, True, 2**31, [1], {"id": 1}):
            response = bob_api.post(LIST, {"title": "T", "psa_ticket_id": bad}, format="json")
            assert response.status_code == 400, bad
            assert "psa_ticket_id" in response.json(), bad
        assert Session.objects.count() == 0

    def test_it_refuses_oversize_text(self, bob_api):
        for field, size in (("title", 201), ("problem_summary", 5001), ("problem_domain", 65)):
            response = bob_api.post(LIST, {"title": "T", field: "x" * size}, format="json")
            assert response.status_code == 400
            assert field in response.json()
        response = bob_api.post(LIST, {"title": "T", "intake_content": {"text": "x" * 20_001}}, format="json")
        assert response.status_code == 400
        assert "intake_content" in response.json()

    def test_it_refuses_read_only_and_unknown_fields(self, bob_api):
        for field, value in (("status", "resolved"), ("state_version", 99), ("account", 1), ("colour", "red")):
            response = bob_api.post(LIST, {"title": "T", field: value}, format="json")
            assert response.status_code == 400
            assert response.json()[field] == ["Unknown or read-only field."]

    def test_it_refuses_malformed_intake_content(self, bob_api):
        for bad in ("just text", {"text": 5}, {"text": "ok", "extra": 1}, {"text": "nul\x00byte"}):
            response = bob_api.post(LIST, {"title": "T", "intake_content": bad}, format="json")
            assert response.status_code == 400, bad
            assert "intake_content" in response.json()

    def test_it_answers_malformed_json_with_400(self, bob_api):
        response = bob_api.generic("POST", LIST, "{not json", content_type="application/json")
        assert response.status_code == 400
        assert "JSON parse error" in response.json()["detail"]

    def test_it_answers_a_json_array_with_400(self, bob_api):
        response = bob_api.post(LIST, [{"title": "T"}], format="json")
        assert response.status_code == 400

    def test_it_refuses_non_json_bodies(self, bob_api):
        response = bob_api.post(LIST, "title=T", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 415


class TestList:
    def test_it_lists_my_accounts_sessions_newest_first_with_fact_counts(self, bob_api, session_a, fact_a, alice):
        newer = services.session_create(account=session_a.account, user=alice, title="Newer")
        response = bob_api.get(LIST)
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["title"] for r in results] == ["Newer", session_a.title]
        assert results[1]["fact_count"] == 1
        assert response.json()["count"] == 2
        assert newer

    def test_it_filters_mine_status_and_search(self, bob_api, session_a, alice):
        services.session_create(account=session_a.account, user=alice, title="Alice's printer", psa_ticket_id=77)
        assert [r["title"] for r in bob_api.get(LIST, {"mine": "true"}).json()["results"]] == [session_a.title]
        assert bob_api.get(LIST, {"status": "closed"}).json()["count"] == 0
        assert bob_api.get(LIST, {"status": "open"}).json()["count"] == 2
        assert [r["title"] for r in bob_api.get(LIST, {"q": "printer"}).json()["results"]] == ["Alice's printer"]
        assert [r["title"] for r in bob_api.get(LIST, {"q": "#77"}).json()["results"]] == ["Alice's printer"]

    def test_it_refuses_an_unknown_status_filter(self, bob_api):
        response = bob_api.get(LIST, {"status": "sideways"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert "status" in response.json()["detail"]

    def test_it_paginates(self, bob_api, account_a, bob):
        for n in range(3):
            services.session_create(account=account_a, user=bob, title=f"S{n}")
        page = bob_api.get(LIST, {"page_size": 2}).json()
        assert page["count"] == 3
        assert len(page["results"]) == 2
        assert page["next"]
        assert bob_api.get(LIST, {"page": 99}).status_code == 404


class TestDetail:
    def test_it_shows_the_session_with_its_live_facts_checks_fix_and_scripts(self, bob_api, session_a, fact_a, fix_a):
        deleted = services.fact_add(session=session_a, user=None, text="Deleted fact")
        services.fact_delete(fact=deleted)
        data = bob_api.get(detail(session_a)).json()
        assert data["id"] == str(session_a.pk)
        assert [f["text"] for f in data["facts"]] == [fact_a.text]
        assert data["active_fix"]["title"] == fix_a.title
        assert data["diagnostic_checks"] == []
        assert data["script_generations"] == []
        assert data["state_version"] == 5  # fact, fix, fact added, fact deleted

    def test_it_edits_fields_with_patch(self, bob_api, session_a):
        body = {"title": "Renamed", "intake_content": {"text": "New intake"}, "psa_ticket_id": None}
        response = bob_api.patch(detail(session_a), body, format="json")
        assert response.status_code == 200
        data = response.json()
        assert (data["title"], data["intake_content"], data["psa_ticket_id"]) == (
            "Renamed",
            {"text": "New intake"},
            None,
        )
        assert data["state_version"] == 2

    def test_it_refuses_put_and_delete(self, bob_api, session_a):
        assert bob_api.put(detail(session_a), {"title": "X"}, format="json").status_code == 405
        assert bob_api.delete(detail(session_a)).status_code == 405
        assert Session.objects.filter(pk=session_a.pk).exists()

    def test_a_closed_session_refuses_edits_with_409(self, bob_api, session_a):
        Session.objects.filter(pk=session_a.pk).update(status=Session.Status.RESOLVED, closed_as="resolved_local")
        response = bob_api.patch(detail(session_a), {"title": "Too late"}, format="json")
        assert response.status_code == 409
        assert response.json() == {
            "detail": "This session is closed: Resolved locally. It can no longer change.",
            "code": "session_closed",
        }
        assert Session.objects.get(pk=session_a.pk).title != "Too late"

    def test_an_unknown_id_is_404(self, bob_api):
        assert bob_api.get("/api/ai-sessions/00000000-0000-0000-0000-000000000000/").status_code == 404
        assert bob_api.get("/api/ai-sessions/not-a-uuid/").status_code == 404


# Linking a ticket: the API keeps the rule the page keeps (sessions.services.session_edit)

NO_SUCH_TICKET = "ConnectWise has no ticket 999999 that these credentials can see"


def test_linking_a_ticket_the_psa_does_not_know_is_refused_as_on_the_page(bob_api, bob_web, session_a, psa_connected):
    response = bob_api.patch(detail(session_a), {"psa_ticket_id": 999999}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "psa_ticket_not_found"
    assert response.json()["errors"] == {"psa_ticket_id": [NO_SUCH_TICKET]}
    assert Session.objects.get(pk=session_a.pk).psa_ticket_id == 1001
    page = bob_web.post(
        reverse("session-edit", args=[session_a.pk]), {"title": session_a.title, "psa_ticket_id": "999999"}
    )
    assert NO_SUCH_TICKET in page.content.decode()


def test_linking_a_ticket_the_psa_knows_answers_no_warnings(bob_api, session_a, psa_connected):
    response = bob_api.patch(detail(session_a), {"psa_ticket_id": 1002}, format="json")

    assert response.status_code == 200
    assert (response.json()["psa_ticket_id"], response.json()["warnings"]) == (1002, [])


def test_a_ticket_the_psa_cannot_confirm_is_linked_with_a_warning(bob_api, session_a, psa_connected, simulator):
    simulator.set_faults(server_error={"count": 10})

    response = bob_api.patch(detail(session_a), {"psa_ticket_id": 1002}, format="json")

    assert response.status_code == 200
    assert response.json()["psa_ticket_id"] == 1002
    [warning] = response.json()["warnings"]
    assert warning.startswith("Ticket #1002 is linked, but the PSA could not confirm it: ")


def test_without_a_psa_connection_a_ticket_is_linked_unchecked(bob_api, session_a):
    response = bob_api.patch(detail(session_a), {"psa_ticket_id": 424242}, format="json")

    assert (response.status_code, response.json()["warnings"]) == (200, [])
    assert Session.objects.get(pk=session_a.pk).psa_ticket_id == 424242
