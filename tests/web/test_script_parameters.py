"""The scripts panel's parameter form: the hints a template gives (placeholder, pattern, default) reach the
inputs, and a value that does not match its pattern is refused next to its field, with and without HTMX."""

import pytest
from django.urls import reverse

from sessions import services
from sessions.models import ScriptGeneration, ScriptTemplate
from tests.support.html import Elements, hx_get, hx_post, region, text

SHARE = {
    "key": "share",
    "label": "Share path",
    "field_type": "text",
    "required": True,
    "pattern": r"\\\\[A-Za-z0-9._\-]+\\[^\\].*",
    "pattern_message": r"a UNC path like \\server\share",
    "placeholder": r"\\fs01\finance",
}
SCHEMA = {
    "parameters": [
        SHARE,
        {
            "key": "letter",
            "label": "Drive letter",
            "field_type": "select",
            "required": True,
            "options": ["S", "X"],
            "default": "X",
        },
        {"key": "wait", "label": "Seconds to wait", "field_type": "number", "required": True, "default": 10},
        {"key": "pin", "label": "PIN", "field_type": "password", "required": True, "pattern": "[0-9]{4}"},
    ]
}
BODY = "net use {{ letter }}: '{{ share }}' '{{ pin }}'; Start-Sleep -Seconds {{ wait }}"
PIN = "4921"
VALUES = {"template": "map-share", "param-share": r"\\fs01\finance", "param-letter": "S", "param-wait": "10"}


@pytest.fixture
def share_template(account_a):
    return services.template_create(
        account=account_a, name="Map a share", slug="map-share", body=BODY, parameters_schema=SCHEMA
    )


def scripts_url(session) -> str:
    return reverse("scripts", args=[session.pk])


def inputs(html: str) -> dict[str, dict]:
    """The form's inputs and selects by name, with their attributes."""
    return {attributes["name"]: attributes for attributes in Elements(html).all("input", "select")}


def selected_options(html: str, name: str) -> list[str]:
    select = region(html, f"param_{name}")
    return [option["value"] for option in Elements(select).all("option") if "selected" in option]


def test_the_form_shows_each_inputs_placeholder_pattern_and_default(bob_web, session_a, share_template):
    html = text(hx_get(bob_web, scripts_url(session_a), {"template": "map-share"}))

    fields = inputs(html)
    share = fields["param-share"]
    assert share["placeholder"] == r"\\fs01\finance"
    assert share["pattern"] == r"\\\\[A-Za-z0-9._\-]+\\[^\\].*"
    assert share["title"] == r"Expected a UNC path like \\server\share."
    assert "value" not in share
    assert fields["param-wait"]["value"] == "10"
    assert selected_options(html, "param-letter") == ["X"]
    pin = fields["param-pin"]
    assert (pin["type"], pin["pattern"]) == ("password", "[0-9]{4}")
    assert "value" not in pin


def test_a_password_default_saved_around_the_checks_is_never_shown(bob_web, session_a, account_a):
    # Saving validates (a password default is refused); a row written straight to the table still must not leak.
    ScriptTemplate.objects.create(
        account=account_a,
        name="Legacy",
        slug="legacy",
        body="echo '{{ pin }}'",
        parameters_schema={"parameters": [{"key": "pin", "field_type": "password", "default": "Winter-2026!"}]},
    )

    html = text(hx_get(bob_web, scripts_url(session_a), {"template": "legacy"}))

    assert "Winter-2026!" not in html
    assert "value" not in inputs(html)["param-pin"]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_value_off_its_pattern_is_refused_next_to_its_field(bob_web, session_a, share_template, htmx):
    data = {**VALUES, "param-share": "fs01/finance", "param-pin": PIN}

    response = hx_post(bob_web, scripts_url(session_a), data) if htmx else bob_web.post(scripts_url(session_a), data)

    html = text(response)
    assert response.status_code == (200 if htmx else 400)
    if htmx:
        assert html.strip().startswith('<section id="scripts"')
    else:
        assert "<html" in html
    share = html[html.index('<label for="param_param-share">') :]
    assert share.index(r"Expected a UNC path like \\server\share.") < share.index("</div>")
    assert inputs(html)["param-share"]["value"] == "fs01/finance"  # what was typed is kept to correct it
    assert PIN not in html  # a password typed is never sent back
    assert not ScriptGeneration.objects.exists()


def test_a_password_off_its_pattern_is_refused_without_echoing_it(bob_web, session_a, share_template):
    html = text(hx_post(bob_web, scripts_url(session_a), {**VALUES, "param-pin": "12ab-secret"}))

    pin = html[html.index('<label for="param_param-pin">') :]
    assert pin.index("Expected a value matching the pattern “[0-9]{4}”.") < pin.index("</div>")
    assert "12ab-secret" not in html
    assert not ScriptGeneration.objects.exists()


def test_matching_values_generate_the_script_and_the_form_comes_back_with_its_defaults(
    bob_web, session_a, share_template
):
    response = hx_post(bob_web, scripts_url(session_a), {**VALUES, "param-wait": "30", "param-pin": PIN})

    html = text(response)
    assert response.status_code == 200
    assert f"<code>net use S: &#x27;\\\\fs01\\finance&#x27; &#x27;{PIN}&#x27;; Start-Sleep -Seconds 30</code>" in html
    assert ScriptGeneration.objects.get(session=session_a).parameters_used["wait"] == "30"
    assert inputs(region(html, "script-form"))["param-wait"]["value"] == "10"
