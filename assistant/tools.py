"""The four proposals the assistant makes by tool use: each tool's JSON schema for the model, and one
validation per kind that both a tool call and an engineer's edit before Accept go through.

Model output is untrusted: a call with an unknown name, a field of the wrong type, an empty text, a
confidence outside 0-100, an unknown template or a password value is refused with the reason, which the
model is told in the tool result and the engineer's edit is answered with (400 naming the field).
"""

from dataclasses import dataclass

from assistant.models import Proposal
from flowpilot.errors import InvalidInput
from llm.redaction import redact_secrets
from sessions.models import ScriptTemplate

# The same limits as the manual forms' (sessions.serializers): a card's editor accepts what the form would.
FACT_MAX = 2000
SOURCE_MAX = 500
NAME_MAX = 200
LONG_TEXT_MAX = 5000


@dataclass(frozen=True)
class Tool:
    name: str
    kind: str
    description: str
    properties: dict
    required: tuple[str, ...]

    def definition(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": {
                "type": "object",
                "properties": self.properties,
                "required": list(self.required),
                "additionalProperties": False,
            },
        }


TOOLS = (
    Tool(
        "propose_fact",
        Proposal.Kind.FACT,
        "Propose one fact for the session's 'What we know' list: something the engineer's output or words "
        "establish, in one plain sentence. The engineer accepts, edits or dismisses it.",
        {
            "text": {"type": "string", "description": "The fact, one sentence, no secrets."},
            "source_summary": {"type": "string", "description": "Where it comes from, e.g. 'ipconfig output'."},
        },
        ("text",),
    ),
    Tool(
        "propose_check",
        Proposal.Kind.CHECK,
        "Propose one diagnostic check for the engineer to run: what to run and what a healthy result shows.",
        {
            "name": {"type": "string", "description": "A short name, e.g. 'DNS resolves the mail server'."},
            "command": {"type": "string", "description": "The exact command to run."},
            "expected": {"type": "string", "description": "What the output shows when this part is healthy."},
        },
        ("name", "command", "expected"),
    ),
    Tool(
        "suggest_fix",
        Proposal.Kind.FIX,
        "Suggest the fix you currently believe in, with your confidence. It replaces the session's active fix "
        "once the engineer accepts it.",
        {
            "title": {"type": "string", "description": "The fix in a few words."},
            "description": {"type": "string", "description": "The steps, briefly."},
            "confidence_pct": {"type": "integer", "minimum": 0, "maximum": 100},
        },
        ("title", "confidence_pct"),
    ),
    Tool(
        "suggest_script",
        Proposal.Kind.SCRIPT,
        "Suggest running one of the account's script templates (listed in the session state by slug with "
        "their parameter keys). Give only non-secret parameters: the engineer types passwords themselves.",
        {
            "template_slug": {"type": "string"},
            "parameters": {"type": "object", "description": "Parameter key to value; never a password."},
        },
        ("template_slug",),
    ),
)
TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}


def tool_definitions() -> list[dict]:
    return [tool.definition() for tool in TOOLS]


def _text(payload: dict, field: str, *, limit: int, required: bool) -> str:
    value = payload.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.", field=field)
    if "\x00" in value:
        raise InvalidInput(f"{field} holds a NUL character, which is not text.", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{field} must not be empty.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters.", field=field)
    return redact_secrets(value)


def _confidence(payload: dict) -> int:
    value = payload.get("confidence_pct")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput("confidence_pct must be a whole number from 0 to 100.", field="confidence_pct")
    return value


def _script(payload: dict, templates: dict[str, ScriptTemplate]) -> dict:
    slug = payload.get("template_slug")
    template = templates.get(slug) if isinstance(slug, str) else None
    if template is None:
        raise InvalidInput("template_slug is not one of the account's script templates.", field="template_slug")
    parameters = payload.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InvalidInput("parameters must be an object of key to value.", field="parameters")
    fields = {parameter["key"]: parameter for parameter in template.parameters}
    kept = {}
    for key, value in parameters.items():
        if key not in fields:
            raise InvalidInput(f"{key!r} is not a parameter of {slug}.", field="parameters")
        if fields[key].get("field_type") == "password":
            raise InvalidInput(
                f"{key!r} is a password: the engineer types it, never the assistant.", field="parameters"
            )
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise InvalidInput(f"{key!r} must be a plain value.", field="parameters")
        kept[key] = redact_secrets(str(value))[:NAME_MAX]
    return {"template_slug": slug, "template_name": template.name, "parameters": kept}


def validate_payload(kind: str, payload, *, templates: dict[str, ScriptTemplate]) -> dict:
    """The proposal's fields as FlowPilot keeps them, or InvalidInput naming the field that is wrong."""
    if not isinstance(payload, dict):
        raise InvalidInput("The proposal's fields must be an object.", field="payload")
    if kind == Proposal.Kind.FACT:
        return {
            "text": _text(payload, "text", limit=FACT_MAX, required=True),
            "source_summary": _text(payload, "source_summary", limit=SOURCE_MAX, required=False),
        }
    if kind == Proposal.Kind.CHECK:
        return {
            "name": _text(payload, "name", limit=NAME_MAX, required=True),
            "command": _text(payload, "command", limit=LONG_TEXT_MAX, required=False),
            "expected": _text(payload, "expected", limit=LONG_TEXT_MAX, required=False),
        }
    if kind == Proposal.Kind.FIX:
        return {
            "title": _text(payload, "title", limit=NAME_MAX, required=True),
            "description": _text(payload, "description", limit=LONG_TEXT_MAX, required=False),
            "confidence_pct": _confidence(payload),
        }
    if kind == Proposal.Kind.SCRIPT:
        return _script(payload, templates)
    raise InvalidInput(f"Unknown proposal kind {kind!r}.", field="kind")
