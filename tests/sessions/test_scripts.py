"""The rendering rules beneath script generation."""

import pytest
from django.core.exceptions import ValidationError

from flowpilot.errors import InvalidInput
from sessions.scripts import render_script, validate_template
from tests.conftest import PARAMETER_SCHEMA, TEMPLATE_BODY

PARAMETERS = PARAMETER_SCHEMA["parameters"]


def test_it_fills_placeholders_with_or_without_spaces():
    rendered = render_script(
        body="{{a}}-{{ a }}-{{  a  }}",
        parameters=[{"key": "a", "field_type": "text"}],
        values={"a": "x"},
    )
    assert rendered.script == "x-x-x"


def test_it_does_not_render_placeholders_inside_values():
    values = {"share": "{{ password }}", "letter": "S", "password": "pw"}
    rendered = render_script(body=TEMPLATE_BODY, parameters=PARAMETERS, values=values)
    assert rendered.script.startswith("net use S: {{ password }} /user:svc pw")


def test_numbers_are_normalised_and_must_be_finite():
    values = {"share": "s", "letter": "S", "password": "pw"}
    assert render_script(body="{{ retries }}", parameters=PARAMETERS, values={**values, "retries": 3}).script == "3"
    assert (
        render_script(body="{{ retries }}", parameters=PARAMETERS, values={**values, "retries": "2.5"}).script == "2.5"
    )
    for bad in ("NaN", "Infinity", "1e", True, [1]):
        with pytest.raises(InvalidInput):
            render_script(body="", parameters=PARAMETERS, values={**values, "retries": bad})


def test_an_empty_password_is_not_reported_as_redacted():
    parameters = [{"key": "pw", "field_type": "password", "required": False}]
    rendered = render_script(body="[{{ pw }}]", parameters=parameters, values={})
    assert rendered.parameters_used == {"pw": ""}


def test_values_must_be_text_without_nul_and_not_too_long():
    parameters = [{"key": "a", "field_type": "text"}]
    for bad in ({"a": 5}, {"a": "x\x00"}, {"a": "x" * 1001}, {"a": {"b": 1}}):
        with pytest.raises(InvalidInput) as caught:
            render_script(body="", parameters=parameters, values=bad)
        assert "a" in caught.value.errors["parameters"]


def test_a_valid_template_passes():
    validate_template(body=TEMPLATE_BODY, parameters_schema=PARAMETER_SCHEMA)
    validate_template(body="echo hi", parameters_schema={})


def test_a_select_needs_options_and_options_need_a_select():
    with pytest.raises(ValidationError):
        validate_template(body="", parameters_schema={"parameters": [{"key": "a", "field_type": "select"}]})
    with pytest.raises(ValidationError):
        validate_template(body="", parameters_schema={"parameters": [{"key": "a", "options": ["x"]}]})
    with pytest.raises(ValidationError):
        validate_template(body="", parameters_schema={"parameters": [{"key": "a", "required": "yes"}]})
