import logging

import pytest
from django.urls import reverse

from sessions import services
from sessions.models import ScriptGeneration, ScriptTemplate
from tests.support.data import PARAMETER_SCHEMA

TEMPLATES = reverse("api-script-templates")
# The map-drive fixture uses {{ password }} unquoted, where only plain values (no "!") are allowed.
SECRET = "Hunter2-Sup3r-Secret"


def generations_url(session):
    return reverse("api-script-generations", args=[session.pk])


class TestGenerate:
    def test_it_renders_the_script_once_and_stores_it_redacted(self, bob_api, session_a, template_a):
        body = {"template": "map-drive", "parameters": {"share": "\\\\fs01\\hr", "letter": "S", "password": SECRET}}
        response = bob_api.post(generations_url(session_a), body, format="json")
        assert response.status_code == 201
        data = response.json()
        assert data["script"] == f"net use S: \\\\fs01\\hr /user:svc {SECRET} # retries="
        generation = data["generation"]
        assert generation["template"] == "map-drive"
        assert generation["parameters_used"] == {
            "share": "\\\\fs01\\hr",
            "letter": "S",
            "password": "[REDACTED]",
            "retries": "",
        }
        assert generation["redacted_script"] == "net use S: \\\\fs01\\hr /user:svc [REDACTED] # retries="

    def test_the_password_never_reaches_the_database_the_api_output_or_the_logs(
        self, bob_api, session_a, template_a, caplog
    ):
        caplog.set_level(logging.DEBUG)
        body = {"template": "map-drive", "parameters": {"share": "\\\\fs01\\hr", "letter": "S", "password": SECRET}}
        assert bob_api.post(generations_url(session_a), body, format="json").status_code == 201
        # a refused request (bad select value) must not echo the password either
        bad = {**body, "parameters": {**body["parameters"], "letter": "Q"}}
        refused = bob_api.post(generations_url(session_a), bad, format="json")
        assert refused.status_code == 400
        assert SECRET not in refused.content.decode()

        stored = list(ScriptGeneration.objects.values_list("parameters_used", "redacted_script"))
        assert stored and SECRET not in repr(stored)
        for url in (generations_url(session_a), reverse("api-session", args=[session_a.pk])):
            assert SECRET not in bob_api.get(url).content.decode()
        assert SECRET not in caplog.text
        assert all(SECRET not in str(record.__dict__) for record in caplog.records)

    def test_it_names_each_bad_parameter(self, bob_api, session_a, template_a):
        body = {"template": "map-drive", "parameters": {"letter": "Z", "retries": "lots", "colour": "red"}}
        response = bob_api.post(generations_url(session_a), body, format="json")
        assert response.status_code == 400
        data = response.json()
        assert data["code"] == "invalid_parameters"
        assert data["errors"]["parameters"] == {
            "colour": ["Unknown parameter for this template."],
            "share": ["This parameter is required."],
            "letter": ["Must be one of: S, X."],
            "password": ["This parameter is required."],
            "retries": ["Must be a number."],
        }
        assert "Share path: this parameter is required." in data["detail"]
        assert not ScriptGeneration.objects.exists()

    def test_it_refuses_an_unknown_template_or_malformed_parameters(self, bob_api, session_a, template_a):
        response = bob_api.post(generations_url(session_a), {"template": "nope", "parameters": {}}, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "invalid")
        assert "template" in response.json()["errors"]
        for parameters in ("S", ["S"], None):
            response = bob_api.post(
                generations_url(session_a), {"template": "map-drive", "parameters": parameters}, format="json"
            )
            assert response.status_code == 400
            assert "parameters" in response.json()
        assert not ScriptGeneration.objects.exists()

    def test_it_cannot_use_another_accounts_template(self, bob_api, session_a, template_b):
        body = {"template": "map-drive", "parameters": {"share": "x", "letter": "S", "password": "p"}}
        response = bob_api.post(generations_url(session_a), body, format="json")
        assert response.status_code == 400
        assert "template" in response.json()["errors"]

    def test_it_lists_the_sessions_generations_redacted(self, bob_api, session_a, template_a):
        body = {"template": "map-drive", "parameters": {"share": "s", "letter": "X", "password": SECRET, "retries": 3}}
        bob_api.post(generations_url(session_a), body, format="json")
        results = bob_api.get(generations_url(session_a)).json()["results"]
        assert [(g["template_name"], g["parameters_used"]["retries"]) for g in results] == [("Map drive", "3")]


class TestTemplates:
    def test_engineers_and_admins_read_their_accounts_templates(self, bob_api, alice_api, template_a, template_b):
        for client in (bob_api, alice_api):
            results = client.get(TEMPLATES).json()["results"]
            assert len(results) == 1
            assert results[0] == {
                "name": "Map drive",
                "slug": "map-drive",
                "language": "powershell",
                "description": "",
                "body": template_a.body,
                "parameters_schema": PARAMETER_SCHEMA,
            }

    def test_an_admin_adds_a_template(self, alice_api, account_a):
        body = {
            "name": "Flush DNS",
            "slug": "flush-dns",
            "language": "cmd",
            "body": "ipconfig /flushdns & nslookup {{ host }}",
            "parameters_schema": {"parameters": [{"key": "host", "label": "Host", "field_type": "text"}]},
        }
        response = alice_api.post(TEMPLATES, body, format="json")
        assert response.status_code == 201
        assert ScriptTemplate.objects.get(slug="flush-dns").account == account_a

    def test_an_engineer_cannot_add_a_template(self, bob_api):
        response = bob_api.post(TEMPLATES, {"name": "X", "slug": "x", "body": "echo"}, format="json")
        assert response.status_code == 403
        assert not ScriptTemplate.objects.exists()

    def test_a_slug_is_unique_per_account_only(self, alice_api, template_a, template_b):
        response = alice_api.post(TEMPLATES, {"name": "Again", "slug": "map-drive", "body": "echo"}, format="json")
        assert response.status_code == 400
        assert "slug" in response.json()["errors"]
        assert ScriptTemplate.objects.filter(slug="map-drive").count() == 2  # Acme's and Globex's

    def test_it_refuses_bad_schemas_and_undeclared_placeholders(self, alice_api):
        cases = [
            ({"parameters": [{"key": "x", "field_type": "colour"}]}, "echo {{ x }}", "parameters_schema"),
            ({"parameters": [{"key": "x"}, {"key": "x"}]}, "echo {{ x }}", "parameters_schema"),
            ({"parameters": [{"key": "bad key"}]}, "echo", "parameters_schema"),
            ({"parameters": [{"key": "x", "field_type": "select"}]}, "echo {{ x }}", "parameters_schema"),
            ({"parameters": "x"}, "echo", "parameters_schema"),
            ([], "echo", "parameters_schema"),
            ({"parameters": []}, "echo {{ undeclared }}", "body"),
        ]
        for schema, body, field in cases:
            response = alice_api.post(
                TEMPLATES, {"name": "T", "slug": "t", "body": body, "parameters_schema": schema}, format="json"
            )
            assert response.status_code == 400, schema
            assert field in response.json()["errors"], schema
        assert not ScriptTemplate.objects.exists()


SHARE_SCHEMA = {
    "parameters": [
        {
            "key": "share_path",
            "label": "Share path",
            "field_type": "text",
            "required": True,
            "pattern": r"\\\\[A-Za-z0-9._\-]+\\[^\\].*",
            "pattern_message": r"a UNC path like \\server\share",
            "placeholder": r"\\fs01\finance",
        },
        {"key": "wait_seconds", "label": "Seconds to wait", "field_type": "number", "required": True, "default": 10},
    ]
}


@pytest.fixture
def share_template(account_a):
    return services.template_create(
        account=account_a,
        name="Open a share",
        slug="open-share",
        body="Start-Sleep -Seconds {{ wait_seconds }}\nSet-Location '{{ share_path }}'",
        parameters_schema=SHARE_SCHEMA,
    )


class TestParameterHints:
    def test_a_value_that_does_not_match_its_pattern_is_refused_naming_the_label_and_the_expected_form(
        self, bob_api, session_a, share_template
    ):
        body = {"template": "open-share", "parameters": {"share_path": "fs01/finance"}}
        response = bob_api.post(generations_url(session_a), body, format="json")

        assert response.status_code == 400
        data = response.json()
        assert data["code"] == "invalid_parameters"
        assert data["detail"] == r"Share path: expected a UNC path like \\server\share."
        assert data["errors"]["parameters"] == {"share_path": [r"Expected a UNC path like \\server\share."]}
        assert not ScriptGeneration.objects.exists()

    def test_a_matching_value_is_accepted_and_an_omitted_one_takes_its_default(
        self, bob_api, session_a, share_template
    ):
        body = {"template": "open-share", "parameters": {"share_path": r"\\fs01\finance"}}
        response = bob_api.post(generations_url(session_a), body, format="json")

        assert response.status_code == 201
        data = response.json()
        assert data["script"] == "Start-Sleep -Seconds 10\nSet-Location '\\\\fs01\\finance'"
        assert data["generation"]["parameters_used"] == {"share_path": r"\\fs01\finance", "wait_seconds": "10"}

    def test_a_value_given_wins_over_the_default(self, bob_api, session_a, share_template):
        body = {"template": "open-share", "parameters": {"share_path": r"\\fs01\hr", "wait_seconds": 3}}
        response = bob_api.post(generations_url(session_a), body, format="json")

        assert response.status_code == 201
        assert response.json()["script"].startswith("Start-Sleep -Seconds 3\n")

    def test_templates_list_their_hints(self, bob_api, share_template):
        (listed,) = bob_api.get(TEMPLATES).json()["results"]
        assert listed["parameters_schema"] == SHARE_SCHEMA

    @pytest.mark.parametrize(
        ("parameter", "message"),
        [
            (
                {"key": "pw", "field_type": "password", "default": "Winter2026"},
                "parameters[0].default is not allowed on a password: the page would show it.",
            ),
            (
                {"key": "pw", "field_type": "text", "pattern": "(unclosed"},
                "parameters[0].pattern is not a valid regular expression: missing ), unterminated subpattern at "
                "position 0.",
            ),
            (
                {"key": "pw", "field_type": "select", "options": ["S"], "pattern": "S"},
                "parameters[0].pattern is only for text and password fields.",
            ),
            (
                {"key": "pw", "field_type": "text", "pattern": "[A-Z]", "default": "s"},
                "parameters[0].default is not a value this parameter accepts: "
                "Expected a value matching the pattern “[A-Z]”.",
            ),
            (
                {"key": "pw", "field_type": "select", "options": ["S", "X"], "default": "Q"},
                "parameters[0].default is not a value this parameter accepts: Must be one of: S, X.",
            ),
            (
                {"key": "pw", "field_type": "text", "placeholder": 7},
                "parameters[0].placeholder must be text of 1 to 200 characters.",
            ),
        ],
        ids=[
            "password-default",
            "bad-regex",
            "select-pattern",
            "default-off-pattern",
            "default-off-options",
            "placeholder-type",
        ],
    )
    def test_an_admin_is_told_what_is_wrong_with_a_hint(self, alice_api, parameter, message):
        body = {"name": "T", "slug": "t", "body": "echo {{ pw }}", "parameters_schema": {"parameters": [parameter]}}
        response = alice_api.post(TEMPLATES, body, format="json")

        assert response.status_code == 400
        assert response.json()["errors"]["parameters_schema"] == [message]
        assert not ScriptTemplate.objects.exists()
