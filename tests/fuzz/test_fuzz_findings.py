"""What fuzzing the API found (tests/fuzz/test_api_fuzz.py), each pinned where a client meets it: a REST
call whose answer is checked against what /api/schema/ documents."""

import uuid

import pytest
from django.urls import reverse

from flowpilot.errors import ServiceUnavailable
from sessions.models import ScriptTemplate, Session
from tests.fuzz.app_schema import assert_documented, schema

SESSIONS = reverse("api-sessions")
TEMPLATES = reverse("api-script-templates")


class TestErrorAnswers:
    def test_an_unknown_id_is_a_documented_404_with_detail_and_code(self, alice_api):
        response = alice_api.get(reverse("api-session", args=[uuid.uuid4()]))
        assert response.status_code == 404
        assert response.json() == {"detail": "No Session matches the given query.", "code": "not_found"}
        assert_documented(response, "GET", "/api/ai-sessions/{session_id}/")

    def test_an_id_that_is_no_uuid_is_a_json_404_too(self, alice_api):
        response = alice_api.get("/api/ai-sessions/not-a-uuid/facts/")  # was Django's HTML page
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found.", "code": "not_found"}

    def test_pages_outside_the_api_keep_the_html_404(self, alice_web):
        response = alice_web.get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")

    def test_a_page_past_the_end_is_a_documented_404(self, alice_api, session_a):
        response = alice_api.get(SESSIONS, {"page": 9})
        assert response.status_code == 404
        assert response.json() == {"detail": "Invalid page.", "code": "not_found"}
        assert_documented(response, "GET", "/api/ai-sessions/")

    def test_a_missing_token_is_a_documented_401_with_a_code(self, anon_api):
        response = anon_api.get(SESSIONS)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert_documented(response, "GET", "/api/ai-sessions/")

    def test_an_engineer_on_an_admin_endpoint_is_a_documented_403_with_a_code(self, bob_api):
        response = bob_api.get(reverse("api-account-settings"))
        assert response.status_code == 403
        assert response.json() == {"detail": "Only an account admin may do this.", "code": "permission_denied"}
        assert_documented(response, "GET", "/api/account/settings/")

    def test_malformed_json_is_a_documented_400_with_a_code(self, alice_api):
        response = alice_api.generic("POST", SESSIONS, '{"title": ', content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"
        assert_documented(response, "POST", "/api/ai-sessions/")

    def test_a_body_that_is_not_json_is_a_documented_415(self, alice_api):
        response = alice_api.generic("POST", SESSIONS, "title=VPN", content_type="text/plain")
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"
        assert_documented(response, "POST", "/api/ai-sessions/")

    def test_field_errors_are_a_documented_400(self, alice_api):
        response = alice_api.post(SESSIONS, {"title": ""}, format="json")
        assert response.status_code == 400
        assert response.json() == {"title": ["This field may not be blank."]}
        assert_documented(response, "POST", "/api/ai-sessions/")

    def test_a_closed_session_is_a_documented_409(self, alice_api, session_a):
        Session.objects.filter(pk=session_a.pk).update(status=Session.Status.RESOLVED, closed_as="resolved_local")
        response = alice_api.post(reverse("api-facts", args=[session_a.pk]), {"text": "Late"}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "session_closed"
        assert_documented(response, "POST", "/api/ai-sessions/{session_id}/facts/")

    def test_an_account_without_a_psa_connection_is_a_documented_404(self, alice_api):
        response = alice_api.get(reverse("api-psa-connection"))
        assert response.status_code == 404
        assert response.json()["code"] == "psa_not_configured"
        assert_documented(response, "GET", "/api/account/psa-connection/")

    def test_reading_the_draft_of_a_closed_session_is_a_documented_409(self, alice_api, session_a):
        Session.objects.filter(pk=session_a.pk).update(status=Session.Status.RESOLVED, closed_as="resolved_local")
        response = alice_api.get(reverse("api-resolution-preview", args=[session_a.pk]))
        assert response.status_code == 409
        assert_documented(response, "GET", "/api/ai-sessions/{session_id}/resolution-note/preview")

    def test_a_task_queue_that_is_down_is_a_documented_503(self, alice_api, session_a, psa_connected, monkeypatch):
        def queue_down(task, *args):
            raise ServiceUnavailable("The task queue is unavailable right now, so nothing was started.")

        monkeypatch.setattr("flowpilot.celery.enqueue", queue_down)
        url = reverse("api-resolution-post", args=[session_a.pk])
        response = alice_api.post(url, {"markdown": "## Problem\nOutlook prompts."}, format="json")
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
        assert_documented(response, "POST", "/api/ai-sessions/{session_id}/resolution-note/post")


class TestSessionAnswersMatchTheSchema:
    def test_a_new_session_has_a_fact_count(self, alice_api):
        response = alice_api.post(SESSIONS, {"title": "Printer offline"}, format="json")  # fact_count was missing
        assert response.status_code == 201
        assert response.json()["fact_count"] == 0
        assert_documented(response, "POST", "/api/ai-sessions/")

    def test_an_open_session_is_closed_as_blank_as_documented(self, alice_api, session_a):
        response = alice_api.get(reverse("api-session", args=[session_a.pk]))  # "" was outside the documented enum
        assert response.json()["closed_as"] == ""
        assert_documented(response, "GET", "/api/ai-sessions/{session_id}/")


class TestTextNoDatabaseHolds:
    @pytest.mark.parametrize(
        ("url", "body"),
        [
            (SESSIONS, '{"title": "VPN", "\\ud800": 1}'),  # echoed back as an unknown key: 500 on rendering
            (TEMPLATES, '{"name": "N", "slug": "n", "body": "x", "parameters_schema": {"x": "\\udfff"}}'),
        ],
    )
    def test_an_unpaired_surrogate_is_a_parse_error(self, alice_api, url, body):
        response = alice_api.generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"
        assert_documented(response, "POST", url)
        assert not ScriptTemplate.objects.exists()

    def test_an_unpaired_surrogate_in_a_script_parameter_is_a_parse_error(self, alice_api, session_a, template_a):
        body = '{"template": "map-drive", "parameters": {"share": "s", "letter": "S", "password": "p\\ud800"}}'
        url = reverse("api-script-generations", args=[session_a.pk])
        response = alice_api.generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400
        assert not session_a.script_generations.exists()

    def test_a_nul_in_a_template_parameter_schema_is_a_400(self, alice_api):
        body = {
            "name": "Say",
            "slug": "say",
            "body": "Write-Output '{{ value }}'",
            "parameters_schema": {"parameters": [{"key": "value", "label": "a\x00b"}]},  # PostgreSQL: 500
        }
        response = alice_api.post(TEMPLATES, body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"parameters_schema": ["Null characters are not allowed."]}
        assert_documented(response, "POST", TEMPLATES)
        assert not ScriptTemplate.objects.exists()

    @pytest.mark.parametrize("query", ["a\x00b", "\u00b2", "#\u00b2"])  # PostgreSQL refuses NUL; int("²") fails
    def test_a_search_for_text_no_title_holds_finds_nothing(self, alice_api, alice_web, session_a, query):
        response = alice_api.get(SESSIONS, {"q": query})
        assert response.status_code == 200
        assert response.json()["count"] == 0
        assert alice_web.get(reverse("home"), {"q": query, "scope": "all"}).status_code == 200

    @pytest.mark.parametrize("query", ["1001", "#1001", "\u0661\u0660\u0660\u0661"])
    def test_a_search_by_ticket_number_still_finds_the_session(self, alice_api, session_a, query):
        assert [s["id"] for s in alice_api.get(SESSIONS, {"q": query}).json()["results"]] == [str(session_a.pk)]


class TestTheSchemaSaysWhatInputIsRefused:
    def test_unknown_keys_are_documented_as_refused(self, alice_api):
        request_body = schema.raw_schema["components"]["schemas"]["SessionRequest"]
        assert request_body["additionalProperties"] is False
        assert alice_api.post(SESSIONS, {"title": "VPN", "colour": "red"}, format="json").status_code == 400

    def test_page_numbers_are_documented_from_1(self):
        parameters = schema.raw_schema["paths"]["/api/ai-sessions/"]["get"]["parameters"]
        (page,) = [parameter for parameter in parameters if parameter["name"] == "page"]
        assert page["schema"]["minimum"] == 1


class TestEachPsasConnectionMatchesTheSchema:
    """The connection's JSON is polymorphic on `provider` (DESIGN §11): each PSA's answer is one the schema
    documents, its secrets only as `has_…` flags."""

    @pytest.mark.parametrize(
        "body",
        [
            {
                "provider": "connectwise",
                "site_url": "https://psa.example.com",
                "company_id": "acme",
                "public_key": "pub",
                "private_key": "priv",
                "client_id": "client",
            },
            {
                "provider": "autotask",
                "username": "api@acme.example",
                "secret": "s",
                "integration_code": "c",
                "api_url": "https://psa.example.com/ATServicesRest",
            },
            {
                "provider": "halopsa",
                "site_url": "https://psa.example.com",
                "client_id": "client",
                "client_secret": "s",
                "tenant": "acme",
            },
        ],
        ids=["connectwise", "autotask", "halopsa"],
    )
    def test_put_and_get_answer_as_documented(self, alice_api, body):
        put = alice_api.put(reverse("api-psa-connection"), body, format="json")
        assert put.status_code == 200, put.json()
        assert_documented(put, "PUT", "/api/account/psa-connection/")
        got = alice_api.get(reverse("api-psa-connection"))
        assert got.json()["provider"] == body["provider"]
        assert_documented(got, "GET", "/api/account/psa-connection/")

    def test_a_field_of_another_psa_is_a_documented_400(self, alice_api):
        body = {"provider": "halopsa", "site_url": "https://psa.example.com", "client_id": "c", "company_id": "x"}
        response = alice_api.put(reverse("api-psa-connection"), body, format="json")
        assert response.status_code == 400
        assert response.json()["company_id"] == ["Unknown or read-only field."]
        assert_documented(response, "PUT", "/api/account/psa-connection/")

    def test_the_settings_answer_both_names_as_documented(self, alice_api):
        response = alice_api.patch(reverse("api-account-settings"), {"resolved_status_id": 5}, format="json")
        assert response.json()["cw_resolved_status_id"] == 5
        assert_documented(response, "PATCH", "/api/account/settings/")
