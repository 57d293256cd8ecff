"""The rules beneath a turn: what a tool call may propose, and how the transcript is replayed to the model."""

import pytest

from assistant import prompts
from assistant.models import Message
from assistant.tools import TOOLS, tool_definitions, validate_payload
from flowpilot.errors import InvalidInput
from sessions.models import ScriptTemplate


def templates(*items: ScriptTemplate) -> dict:
    return {template.slug: template for template in items}


def test_the_four_tools_have_object_schemas_naming_their_required_fields():
    definitions = {tool["name"]: tool for tool in tool_definitions()}

    assert set(definitions) == {"propose_fact", "propose_check", "suggest_fix", "suggest_script"}
    for tool in TOOLS:
        schema = definitions[tool.name]["input_schema"]
        assert schema["type"] == "object"
        assert set(schema["required"]) <= set(schema["properties"])
    assert definitions["suggest_fix"]["input_schema"]["properties"]["confidence_pct"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 100,
    }


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("fact", {"text": "   "}, "text"),
        ("fact", {"text": 42}, "text"),
        ("fact", {"text": "x" * 2001}, "text"),
        ("check", {"name": "", "command": "ping"}, "name"),
        ("fix", {"title": "Reboot", "confidence_pct": 101}, "confidence_pct"),
        ("fix", {"title": "Reboot", "confidence_pct": -1}, "confidence_pct"),
        ("fix", {"title": "Reboot", "confidence_pct": True}, "confidence_pct"),
        ("fix", {"title": "Reboot", "confidence_pct": "high"}, "confidence_pct"),
        ("script", {"template_slug": "no-such-template"}, "template_slug"),
        ("fact", ["not", "an", "object"], "payload"),
    ],
)
def test_invalid_fields_are_refused_naming_the_field(kind, payload, field):
    with pytest.raises(InvalidInput) as refused:
        validate_payload(kind, payload, templates={})
    assert refused.value.field == field


def test_a_script_proposal_never_carries_a_password_value(template_a):
    with pytest.raises(InvalidInput, match="password"):
        validate_payload(
            "script", {"template_slug": "map-drive", "parameters": {"password": "x"}}, templates=templates(template_a)
        )
    with pytest.raises(InvalidInput, match="not a parameter"):
        validate_payload(
            "script", {"template_slug": "map-drive", "parameters": {"nope": "x"}}, templates=templates(template_a)
        )

    kept = validate_payload(
        "script",
        {"template_slug": "map-drive", "parameters": {"share": r"\\fs01\data", "letter": "S"}},
        templates=templates(template_a),
    )
    assert kept == {
        "template_slug": "map-drive",
        "template_name": "Map drive",
        "parameters": {"share": r"\\fs01\data", "letter": "S"},
    }


def test_secrets_in_a_proposed_fact_are_redacted():
    kept = validate_payload("fact", {"text": "The service account uses password=Winter2026!"}, templates={})
    assert "Winter2026" not in kept["text"]


def message(seq, role, text, *, state="complete", content=(), tool_results=()):
    return Message(seq=seq, role=role, text=text, state=state, content=list(content), tool_results=list(tool_results))


def test_the_transcript_alternates_roles_and_answers_every_tool_use():
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "propose_fact", "input": {"text": "A"}}
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Shown"}
    history = [
        message(1, "engineer", "first"),
        message(2, "assistant", "", state="failed"),  # a failed reply is left out, its question joins the next
        message(3, "engineer", "second"),
        message(
            4, "assistant", "Answer", content=[{"type": "text", "text": "Answer"}, tool_use], tool_results=[result]
        ),
    ]

    turns = prompts.turn_messages(history=history, state={"facts": []}, engineer_text="third")

    assert [turn["role"] for turn in turns] == ["user", "assistant", "user"]
    assert [block["text"] for block in turns[0]["content"]] == ["first", "second"]
    assert turns[1]["content"][1]["type"] == "tool_use"
    last = turns[2]["content"]
    assert last[0]["type"] == "tool_result" and last[0]["tool_use_id"] == "toolu_1"
    assert last[0]["cache_control"] == {"type": "ephemeral"}  # the end of the transcript so far
    assert last[1]["text"].startswith("<session_state>")
    assert last[2]["text"] == "third"
    cached = [block for turn in turns for block in turn["content"] if "cache_control" in block]
    assert len(cached) == 1


def test_the_first_turn_has_only_the_system_breakpoint():
    turns = prompts.turn_messages(history=[], state={}, engineer_text="hello")

    assert turns == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "<session_state>\n{}\n</session_state>"},
                {"type": "text", "text": "hello"},
            ],
        }
    ]
    assert prompts.system_blocks()[0]["cache_control"] == {"type": "ephemeral"}


def test_the_system_block_is_long_enough_to_be_cached():
    # Sonnet caches nothing under about 1,024-2,048 tokens; at four characters a token this is well over.
    assert len(prompts.system_prompt()) / 4 > 2500


def test_the_state_names_template_parameters_but_never_a_password(rich_session, template_a):
    from sessions.selectors import session_detail_queryset

    session = session_detail_queryset(account=rich_session.account).get(pk=rich_session.pk)
    state = prompts.session_state(session, [template_a])

    assert state["script_templates"][0]["slug"] == "map-drive"
    assert {"key": "password", "secret": True} in state["script_templates"][0]["parameters"]
    assert state["facts"] and state["active_fix"]
