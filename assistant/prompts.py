"""What the model is sent each turn (DESIGN §10): one cacheable system block, the tools, the transcript so
far, and a last user message holding the session's state, rebuilt every turn, and the engineer's words.

Cache breakpoints sit after the system block and after the transcript so far, so turn n reads turns
1..n-1 from the prompt cache: the earlier turns are replayed exactly as they were sent (their text, tool
uses and tool results; never an old state block), and only the state and the new message are new.
Everything is redacted before it is built: the engineer's messages are stored redacted, the state here.
"""

import json
from functools import cache
from pathlib import Path

from assistant.models import Message
from llm.redaction import redact_everywhere
from sessions.models import Session

CACHED = {"type": "ephemeral"}
# About 100,000 tokens of transcript at four characters a token: well inside the model's context window with the
# system block, the state and a long pasted log beside it.
TRANSCRIPT_BUDGET_CHARS = 400_000


@cache
def system_prompt() -> str:
    return (Path(__file__).with_name("system_prompt.md")).read_text()


def system_blocks() -> list[dict]:
    return [{"type": "text", "text": system_prompt(), "cache_control": CACHED}]


def session_state(session: Session, templates) -> dict:
    """What the engineer has accepted, as plain data; never a password value (templates give keys only)."""
    active = next(iter(session.active_fixes), None)
    state = {
        "ticket": session.ticket_ref or None,
        "title": session.title,
        "problem_summary": session.problem_summary,
        "intake": session.intake_text,
        "facts": [{"text": fact.text, "source": fact.source_type} for fact in session.live_facts],
        "checks": [
            {"name": check.name, "command": check.command, "result": check.result, "output": check.output_summary}
            for check in session.live_checks
        ],
        "active_fix": (
            {
                "title": active.title,
                "description": active.description,
                "confidence_pct": active.confidence_pct,
                "outcome": active.outcome,
            }
            if active
            else None
        ),
        "script_templates": [
            {
                "slug": template.slug,
                "name": template.name,
                "parameters": [
                    {"key": p["key"], "secret": p.get("field_type") == "password"} for p in template.parameters
                ],
            }
            for template in templates
        ],
    }
    return redact_everywhere(state)


def _text_block(text: str) -> dict:
    return {"type": "text", "text": text or "(no text)"}  # the API refuses an empty text block


def transcript(history: list[Message]) -> list[dict]:
    """The conversation before this turn as Messages turns: roles alternate (an engineer's messages whose
    replies failed join the next), and each reply's tool uses are answered by its tool results at the
    start of the next user turn."""
    turns: list[dict] = []
    for message in history:
        if message.role == Message.Role.ENGINEER:
            if turns and turns[-1]["role"] == "user":
                turns[-1]["content"].append(_text_block(message.text))
            else:
                turns.append({"role": "user", "content": [_text_block(message.text)]})
            continue
        if message.state != Message.State.COMPLETE or not turns:
            continue
        content = [block for block in message.content if block.get("type") != "text" or block.get("text")]
        turns.append({"role": "assistant", "content": content or [_text_block(message.text)]})
        if message.tool_results:
            turns.append({"role": "user", "content": list(message.tool_results)})
    return turns


def _within_budget(history: list[Message]) -> list[Message]:
    """The transcript, its oldest exchanges left out once it outgrows TRANSCRIPT_BUDGET_CHARS: cut back to three
    quarters of it at once, so the cached prefix then stays the same for many turns rather than shifting each
    time. An exchange starts at an engineer's message, so the transcript still starts with one."""
    size = sum(len(message.text) + len(json.dumps(message.content)) for message in history)
    if size <= TRANSCRIPT_BUDGET_CHARS:
        return history
    starts = [i for i, message in enumerate(history) if message.role == Message.Role.ENGINEER]
    for start in starts:
        kept = history[start:]
        if sum(len(m.text) + len(json.dumps(m.content)) for m in kept) <= TRANSCRIPT_BUDGET_CHARS * 3 // 4:
            return kept
    return history[starts[-1] :] if starts else []


def turn_messages(*, history: list[Message], state: dict, engineer_text: str) -> list[dict]:
    """The whole `messages` of a turn, with the second cache breakpoint on the last block of the history."""
    turns = transcript(_within_budget(history))
    if turns:
        last = turns[-1]["content"][-1]
        turns[-1]["content"][-1] = {**last, "cache_control": CACHED}
    new = [
        {"type": "text", "text": f"<session_state>\n{json.dumps(state, indent=1)}\n</session_state>"},
        _text_block(engineer_text),
    ]
    if turns and turns[-1]["role"] == "user":
        turns[-1]["content"].extend(new)
    else:
        turns.append({"role": "user", "content": new})
    return turns


PROMOTE_SYSTEM = (
    "You turn a piece of troubleshooting text into one fact for an MSP ticket's 'What we know' list: one plain "
    "sentence stating what the text establishes, no speculation, no secrets, no preamble. Answer with the "
    "sentence only."
)


def promote_request(selected: str) -> tuple[list[dict], list[dict]]:
    """The system blocks and messages of "Promote to fact" for the selected (redacted) text."""
    return [{"type": "text", "text": PROMOTE_SYSTEM}], [
        {"role": "user", "content": f"Rewrite as one fact line: {selected}"}
    ]
