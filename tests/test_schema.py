from django.core.management import call_command
from django.test import Client
from django.urls import reverse


def test_the_openapi_schema_describes_the_api(db):
    response = Client().get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/auth/token/",
        "/api/ai-sessions/",
        "/api/ai-sessions/{session_id}/",
        "/api/ai-sessions/{session_id}/facts/{fact_id}/",
        "/api/ai-sessions/{session_id}/suggested-fixes/{fix_id}/",
        "/api/ai-sessions/{session_id}/script-generations/",
        "/api/script-templates/",
        "/api/account/settings/",
        "/api/ai-sessions/{session_id}/resolution-note/preview",
        "/api/ai-sessions/{session_id}/escalation-package/preview",
        "/api/ai-sessions/{session_id}/resolution-note/post",
        "/api/ai-sessions/{session_id}/escalation-package/post",
        "/api/handoffs/{handoff_id}/",
        "/api/handoffs/{handoff_id}/retry",
        "/api/account/psa-connection/",
        "/api/account/psa-connection/test",
    ):
        assert path in schema["paths"], path
    assert {"get", "patch"} <= set(schema["paths"]["/api/ai-sessions/{session_id}/"])
    assert not {"put", "delete"} & set(schema["paths"]["/api/ai-sessions/{session_id}/"])


def test_the_docs_page_is_served_without_a_cdn(db):
    response = Client().get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


def test_the_schema_generates_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "private_key" in (tmp_path / "schema.yaml").read_text()  # documented as write-only input
