"""Script templates: checking a template's parameter schema and rendering `{{ key }}` placeholders.

Pure functions; `sessions.services.script_generate` stores the result.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from flowpilot.errors import InvalidInput

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
FIELD_TYPES = ("text", "password", "number", "select")
MAX_VALUE_LENGTH = 1000
REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class RenderedScript:
    script: str  # with real values: shown to the engineer once, never stored
    redacted_script: str  # password values replaced by [REDACTED]
    parameters_used: dict  # the values, password values replaced by [REDACTED]


def validate_template(*, body: str, parameters_schema) -> None:
    """Raise ValidationError naming the field when a template's schema or body is unusable."""
    errors = _schema_errors(parameters_schema)
    if errors:
        raise ValidationError({"parameters_schema": errors})
    declared = {parameter["key"] for parameter in parameters_schema.get("parameters", [])}
    undeclared = sorted(set(PLACEHOLDER.findall(body or "")) - declared)
    if undeclared:
        raise ValidationError({"body": [f"Placeholders not declared in parameters_schema: {', '.join(undeclared)}."]})


def _schema_errors(schema) -> list[str]:
    if not isinstance(schema, dict):
        return ['Must be an object: {"parameters": [...]}.']
    unknown = set(schema) - {"parameters"}
    if unknown:
        return [f"Unknown keys: {', '.join(sorted(unknown))}."]
    parameters = schema.get("parameters", [])
    if not isinstance(parameters, list):
        return ['"parameters" must be a list.']
    errors, seen = [], set()
    for index, parameter in enumerate(parameters):
        where = f"parameters[{index}]"
        if not isinstance(parameter, dict):
            errors.append(f"{where} must be an object.")
            continue
        key = parameter.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            errors.append(f"{where}.key must be a name of letters, digits and underscores.")
        elif key in seen:
            errors.append(f"{where}.key {key!r} is declared twice.")
        else:
            seen.add(key)
        if not isinstance(parameter.get("label", ""), str):
            errors.append(f"{where}.label must be text.")
        field_type = parameter.get("field_type", "text")
        if field_type not in FIELD_TYPES:
            errors.append(f"{where}.field_type must be one of {', '.join(FIELD_TYPES)}.")
        if not isinstance(parameter.get("required", False), bool):
            errors.append(f"{where}.required must be true or false.")
        options = parameter.get("options")
        if field_type == "select":
            if not isinstance(options, list) or not options or not all(isinstance(o, str) and o for o in options):
                errors.append(f"{where}.options must be a non-empty list of text for a select.")
        elif options not in (None, []):
            errors.append(f"{where}.options is only for field_type select.")
    return errors


def render_script(*, body: str, parameters: list[dict], values) -> RenderedScript:
    """Validate `values` against the template's parameters and render the script.

    Raises InvalidInput naming each bad parameter (`parameters.<key>`).
    """
    if not isinstance(values, dict):
        raise InvalidInput("parameters must be an object of key: value.", field="parameters")
    by_key = {parameter["key"]: parameter for parameter in parameters}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(values) - set(by_key)):
        errors[key] = ["Unknown parameter for this template."]

    clean: dict[str, str] = {}
    for key, parameter in by_key.items():
        try:
            clean[key] = _clean_value(parameter, values.get(key))
        except ValueError as exc:
            errors[key] = [str(exc)]
    if errors:
        detail = "; ".join(f"parameters.{key}: {' '.join(messages)}" for key, messages in errors.items())
        raise InvalidInput(detail, code="invalid_parameters", errors={"parameters": errors})

    secret_keys = {key for key, parameter in by_key.items() if parameter.get("field_type") == "password"}
    redacted = {key: (REDACTED if key in secret_keys and value else value) for key, value in clean.items()}
    return RenderedScript(
        script=_fill(body, clean),
        redacted_script=_fill(body, redacted),
        parameters_used=redacted,
    )


def _clean_value(parameter: dict, value) -> str:
    field_type = parameter.get("field_type", "text")
    if value is None or (isinstance(value, str) and not value.strip()):
        if parameter.get("required"):
            raise ValueError("This parameter is required.")
        return ""
    if field_type == "number":
        if isinstance(value, bool):
            raise ValueError("Must be a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("Must be a number.") from None
        if not number.is_finite():
            raise ValueError("Must be a number.")
        return str(number)
    if not isinstance(value, str):
        raise ValueError("Must be text.")
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"At most {MAX_VALUE_LENGTH} characters.")
    if field_type == "select" and value not in parameter.get("options", []):
        raise ValueError(f"Must be one of: {', '.join(parameter.get('options', []))}.")
    return value


def _fill(body: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), body)
