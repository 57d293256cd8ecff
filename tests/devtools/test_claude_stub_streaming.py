"""The Claude stub streams like the real Messages API (server-sent events, flushed as written, paced by a
first-token delay and a token rate, with mid-stream errors and drops), answers with tool use, refuses the
requests the API refuses, and gives the assistant and fact synthesis plausible default answers. Spoken to
through the real SDK, and on the wire where the SDK hides what the API sends."""

import json
import time

import anthropic
import httpx2
import pytest

from devtools import claude_stub as stub_module
from devtools.claude_stub import MIN_CACHEABLE_TOKENS, THINKING_SUMMARY, ClaudeStub, tokens

MODEL = "claude-sonnet-5-5"
ANSWER = "The print spooler on the front-desk PC stopped after the last update; restarting it cleared the queue."
TOOLS = [
    {
        "name": "propose_fact",
        "description": "Propose a fact about the session.",
        "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
    {
        "name": "suggest_fix",
        "description": "Suggest a fix.",
        "input_schema": {"type": "object", "properties": {"title": {"type": "string"}}},
    },
]
INPUT_USAGE = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
OUTLOOK = "Outlook asks for the password again and again.\nIt started on Monday, only on Dana's laptop."


@pytest.fixture
def stub():
    with ClaudeStub() as running:
        yield running


@pytest.fixture
def sdk(stub):
    return anthropic.Anthropic(api_key="test", base_url=stub.url, max_retries=0)


def user(content):
    return {"role": "user", "content": content}


def ask(sdk, content="Hi.", **params):
    params = {"model": MODEL, "max_tokens": 2000, "thinking": {"type": "disabled"}, **params}
    params.setdefault("messages", [user(content)])
    return sdk.messages.create(**params)


def streamed(sdk, content="Hi.", **params):
    """The SDK's events of one streamed answer, and its final message as the SDK assembles it."""
    params = {"model": MODEL, "max_tokens": 2000, "thinking": {"type": "disabled"}, **params}
    params.setdefault("messages", [user(content)])
    with sdk.messages.stream(**params) as stream:
        events = list(stream)
        return events, stream.get_final_message()


def wire_events(stub, **body):
    """What goes over the wire for a streamed request: its content type and each (event name, data)."""
    body = {"model": MODEL, "max_tokens": 2000, "thinking": {"type": "disabled"}, "stream": True, **body}
    body.setdefault("messages", [user("Hi.")])
    response = httpx2.post(f"{stub.url}/v1/messages", json=body, timeout=10)
    frames = [frame for frame in response.text.split("\n\n") if frame]
    events = []
    for frame in frames:
        event_line, data_line = frame.split("\n")
        events.append((event_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))))
    return response.headers["content-type"], events, response.text


def text_deltas(events):
    deltas = [event.delta for event in events if event.type == "content_block_delta"]
    return [delta.text for delta in deltas if delta.type == "text_delta"]


# The wire format


def test_it_streams_server_sent_events_in_the_apis_order(stub):
    stub.reply_with({"text": ANSWER})

    content_type, events, raw = wire_events(stub)

    assert content_type.startswith("text/event-stream")
    assert raw.startswith("event: message_start\ndata: {") and raw.endswith("\n\n")
    names = [name for name, _data in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-4:] == ["content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert all(data["type"] == name for name, data in events)
    started = events[0][1]["message"]
    assert started["content"] == [] and started["stop_reason"] is None
    input_usage = {key: events[-2][1]["usage"][key] for key in INPUT_USAGE}  # as message_delta repeats it
    assert started["usage"] == {**input_usage, "output_tokens": 1}
    assert events[1][1]["content_block"] == {"type": "text", "text": ""}
    final = events[-2][1]
    assert final["delta"]["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] == tokens(ANSWER)


def test_text_arrives_a_few_words_at_a_time(sdk, stub):
    stub.reply_with({"text": ANSWER})

    events, message = streamed(sdk)

    pieces = text_deltas(events)
    assert len(pieces) >= 5
    assert all(len(piece.split()) <= 3 for piece in pieces)
    assert "".join(pieces) == ANSWER == message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == tokens(ANSWER)


def test_a_long_wait_in_a_stream_is_kept_alive_with_pings(stub, monkeypatch):
    monkeypatch.setattr(stub_module, "PING_INTERVAL_SECONDS", 0.25)
    stub.reply_with({"text": ANSWER, "first_token_delay": 1})

    _content_type, events, _raw = wire_events(stub)

    names = [name for name, _data in events]
    first_delta = names.index("content_block_delta")
    assert names[:first_delta].count("ping") == 4  # the one after the block starts, then one every 0.25 s


def test_a_thinking_block_streams_its_thinking_then_its_signature(sdk):
    events, message = streamed(sdk, "Why did the printer stop? " * 30, thinking={"type": "adaptive"})

    thinking_deltas = [event.delta for event in events if event.type == "content_block_delta" and event.index == 0]
    assert {delta.type for delta in thinking_deltas[:-1]} == {"thinking_delta"}
    assert thinking_deltas[-1].type == "signature_delta"
    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.thinking == THINKING_SUMMARY and thinking.signature
    assert text.type == "text" and text.text


# Pace


def test_the_first_words_arrive_long_before_the_answer_ends(sdk, stub):
    stub.first_token_delay_seconds = 0.3
    stub.tokens_per_second = 80
    answer = " ".join(["word"] * 120)  # 599 characters: 150 tokens, 1.875 s at 80 a second

    stub.reply_with({"text": answer})
    asked_at = time.monotonic()
    first_seen = None
    with sdk.messages.create(
        model=MODEL, max_tokens=2000, messages=[user("Hi.")], thinking={"type": "disabled"}, stream=True
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta" and first_seen is None:
                first_seen = time.monotonic()
    ended_at = time.monotonic()

    # Slack for a loaded machine: an answer held back until it is whole would first be seen after 2.2 s
    # (0.3 + 1.875), beyond 1.3, and then end at once, failing the second bound by a full second or more.
    assert 0.3 <= first_seen - asked_at < 1.3
    assert ended_at - first_seen >= 1.0
    written = stub.requests[-1]["first_delta_at"]
    assert asked_at + 0.3 <= written <= first_seen


def test_the_delay_comes_before_the_response_and_a_reply_can_set_its_own_first_token_delay(sdk, stub):
    stub.reply_with({"text": ANSWER, "delay": 0.2, "first_token_delay": 0.3})

    asked_at = time.monotonic()
    with sdk.messages.create(
        model=MODEL, max_tokens=2000, messages=[user("Hi.")], thinking={"type": "disabled"}, stream=True
    ) as stream:
        answered_at = time.monotonic()
        list(stream)

    assert answered_at - asked_at >= 0.2
    assert stub.requests[-1]["first_delta_at"] - asked_at >= 0.5


def test_a_whole_answer_records_when_it_was_written(sdk, stub):
    stub.reply_with({"text": ANSWER, "first_token_delay": 0.2})

    asked_at = time.monotonic()
    ask(sdk)

    assert time.monotonic() >= stub.requests[-1]["first_delta_at"] >= asked_at + 0.2


# Tool use


def test_tool_calls_stream_as_json_in_pieces_and_arrive_parsed(sdk, stub):
    fix = {
        "title": "Restart the print spooler",
        "description": "Stop it, clear the queue, start it.",
        "confidence_pct": 70,
    }
    stub.reply_with({"text": "Try this.", "tool_calls": [{"name": "suggest_fix", "input": fix}]})

    events, message = streamed(sdk, tools=TOOLS)

    deltas = [event.delta for event in events if event.type == "content_block_delta"]
    json_pieces = [delta.partial_json for delta in deltas if delta.type == "input_json_delta"]
    assert len([piece for piece in json_pieces if piece]) >= 3
    assert "".join(json_pieces) == json.dumps(fix)
    text, tool_use = message.content
    assert text.text == "Try this."
    assert (tool_use.type, tool_use.name, tool_use.input) == ("tool_use", "suggest_fix", fix)
    assert tool_use.id == "toolu_stub_1_0"
    assert message.stop_reason == "tool_use"


def test_a_tool_call_may_carry_garbage_and_its_own_id(sdk, stub):
    garbage = {"confidence_pct": "very sure", "title": ["not", "a", "string"]}
    stub.reply_with({"tool_calls": [{"name": "suggest_fix", "input": garbage, "id": "toolu_given"}]})

    answer = ask(sdk, tools=TOOLS)

    (tool_use,) = answer.content
    assert (tool_use.id, tool_use.input) == ("toolu_given", garbage)
    assert answer.stop_reason == "tool_use"


def test_the_tool_json_counts_as_output_tokens(sdk, stub):
    calls = [{"name": "propose_fact", "input": {"text": "The spooler stopped.", "source_summary": "Engineer"}}]
    stub.reply_with({"text": "Noted.", "tool_calls": calls})

    answer = ask(sdk, tools=TOOLS)

    assert answer.usage.output_tokens == tokens("Noted.") + tokens(json.dumps(calls[0]["input"]))
    assert [block.type for block in answer.content] == ["text", "tool_use"]


def test_a_tool_call_that_does_not_fit_in_max_tokens_is_left_out(sdk, stub):
    calls = [{"name": "propose_fact", "input": {"text": "x" * 400, "source_summary": "Engineer"}}]
    stub.reply_with({"text": "Noted.", "tool_calls": calls})

    answer = ask(sdk, tools=TOOLS, max_tokens=20)

    assert answer.stop_reason == "max_tokens"
    assert [block.type for block in answer.content] == ["text"]
    assert answer.usage.output_tokens == 20


# Unkind habits mid-stream


def test_an_error_event_after_some_text_surfaces_as_an_sdk_error(sdk, stub):
    stub.reply_with({"text": ANSWER, "stream_error": {"after_chars": 20, "type": "overloaded_error"}})
    received = []

    with (
        pytest.raises(anthropic.APIStatusError) as raised,
        sdk.messages.stream(model=MODEL, max_tokens=2000, messages=[user("Hi.")]) as stream,
    ):
        for event in stream:
            if event.type == "content_block_delta":
                received.append(event.delta.text)

    assert raised.value.status_code == 200  # the API had already said 200 when the error came
    assert raised.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert "".join(received) == ANSWER[:20]


def test_the_error_event_ends_the_stream_without_message_stop(stub):
    stub.reply_with({"text": ANSWER, "stream_error": {"after_chars": 20, "type": "api_error"}})

    _content_type, events, _raw = wire_events(stub)

    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}},
    )
    assert "message_delta" not in [name for name, _data in events]


def test_a_dropped_connection_surfaces_as_a_transport_error_not_an_api_error(sdk, stub):
    stub.reply_with({"text": ANSWER, "drop_after_chars": 30})
    received = []

    with (
        pytest.raises(httpx2.RemoteProtocolError) as raised,
        sdk.messages.create(model=MODEL, max_tokens=2000, messages=[user("Hi.")], stream=True) as stream,
    ):
        for event in stream:
            received.append(event.type)

    assert not isinstance(raised.value, anthropic.APIError)  # the SDK does not wrap it: a caller must catch both
    assert "content_block_delta" in received and "message_stop" not in received
    assert ask(sdk).content[0].text  # the stub goes on answering


# Requests the real API refuses

ASKED = {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_a", "name": "suggest_fix", "input": {}}]}
ASKED_TWO = {
    "role": "assistant",
    "content": [
        {"type": "text", "text": "Two proposals."},
        {"type": "tool_use", "id": "toolu_a", "name": "propose_fact", "input": {}},
        {"type": "tool_use", "id": "toolu_b", "name": "suggest_fix", "input": {}},
    ],
}


def result(tool_use_id):
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": "Shown to the engineer."}


def cached_text(text):
    return {"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}


REFUSED = {
    "assistant first": (
        {"messages": [{"role": "assistant", "content": "Hello."}, user("Hi.")]},
        'first message must use the "user" role',
    ),
    "two user turns in a row": (
        {"messages": [user("Hi."), user("Hello?")]},
        'roles must alternate between "user" and "assistant"',
    ),
    "tool_use left unanswered": (
        {"messages": [user("Hi."), ASKED, user("And now?")]},
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_a",
    ),
    "tool_use as the last message": (
        {"messages": [user("Hi."), ASKED]},
        "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_a",
    ),
    "one of two tool_use answered": (
        {"messages": [user("Hi."), ASKED_TWO, user([result("toolu_a"), {"type": "text", "text": "Next."}])]},
        "immediately after: toolu_b.",
    ),
    "tool_result after text": (
        {"messages": [user("Hi."), ASKED, user([{"type": "text", "text": "Here:"}, result("toolu_a")])]},
        "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_a",
    ),
    "tool_result without a tool_use": (
        {"messages": [user("Hi."), {"role": "assistant", "content": "Sure."}, user([result("toolu_nowhere")])]},
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_nowhere",
    ),
    "tool without input_schema": (
        {"tools": [{"name": "suggest_fix", "description": "A fix."}]},
        "tools.0.custom.input_schema: Field required",
    ),
    "tool without name": (
        {"tools": [TOOLS[0], {"input_schema": {"type": "object"}}]},
        "tools.1.custom.name: Field required",
    ),
    "five cache breakpoints": (
        {
            "system": [cached_text("Role."), cached_text("Method.")],
            "messages": [
                user([cached_text("One.")]),
                {"role": "assistant", "content": [cached_text("Two.")]},
                user([cached_text("Three.")]),
            ],
        },
        "A maximum of 4 blocks with cache_control may be provided. Found 5.",
    ),
    "empty text block": (
        {"messages": [user([{"type": "text", "text": ""}])]},
        "messages: text content blocks must be non-empty",
    ),
    "empty system text block": (
        {"system": [{"type": "text", "text": ""}]},
        "system: text content blocks must be non-empty",
    ),
}


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize(("params", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_it_refuses_what_the_api_refuses(sdk, stub, params, message, stream):
    stub.reply_with({"text": "Kept for the next valid request."})

    with pytest.raises(anthropic.BadRequestError) as raised:
        ask(sdk, **params, stream=stream)

    assert raised.value.status_code == 400
    assert raised.value.body["error"]["type"] == "invalid_request_error"
    assert message in raised.value.body["error"]["message"]
    assert ask(sdk).content[0].text == "Kept for the next valid request."  # a refusal takes no scripted reply


def test_a_well_formed_tool_round_trip_is_accepted(sdk, stub):
    stub.reply_with({"text": "Noted."})
    answered = user([result("toolu_a"), result("toolu_b"), {"type": "text", "text": "Both look right."}])

    answer = ask(sdk, tools=TOOLS, messages=[user("Hi."), ASKED_TWO, answered])

    assert answer.content[0].text == "Noted."


# Thinking sent back: each thinking block's signature is checked, and a tool-use turn goes on after its thinking

THINKING_ON = {"type": "adaptive"}
FIX = {"name": "suggest_fix", "input": {"title": "Restart the print spooler"}, "id": "toolu_fix"}
NO_THINKING_FIRST = (
    "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` is "
    "enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of "
    "`tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid "
    "this requirement, disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)
BAD_SIGNATURE = "messages.1.content.0: Invalid `signature` in `thinking` block"


def thought_tool_call(sdk, stub, *, stream=False, **params):
    """A first answer that thinks, then calls a tool (`toolu_fix`), as the SDK returned it: its blocks go back
    in the next request as they are or changed."""
    stub.reply_with({"text": "Try this.", "tool_calls": [FIX]})
    params = {"tools": TOOLS, "thinking": THINKING_ON, **params}
    if stream:
        return streamed(sdk, OUTLOOK * 5, **params)[1]
    return ask(sdk, OUTLOOK * 5, **params)


def go_on(sdk, assistant_content, *, thinking=THINKING_ON, stream=False):
    messages = [user(OUTLOOK * 5), {"role": "assistant", "content": assistant_content}, user([result("toolu_fix")])]
    return ask(sdk, tools=TOOLS, thinking=thinking, messages=messages, stream=stream)


def refused(sdk, stub, assistant_content, **params):
    stub.reply_with({"text": "Kept for the next valid request."})
    with pytest.raises(anthropic.BadRequestError) as raised:
        go_on(sdk, assistant_content, **params)
    assert raised.value.status_code == 400
    assert raised.value.body["error"]["type"] == "invalid_request_error"
    assert ask(sdk).content[0].text == "Kept for the next valid request."  # a refusal takes no scripted reply
    return raised.value.body["error"]["message"]


def as_dicts(content):
    return [block.model_dump(exclude_none=True) for block in content]


def test_a_tool_use_turn_without_its_thinking_is_refused_while_thinking_is_on(sdk, stub):
    first = thought_tool_call(sdk, stub, stream=True)
    assert [block.type for block in first.content] == ["thinking", "text", "tool_use"]

    message = refused(sdk, stub, as_dicts(first.content)[1:], stream=True)

    assert message == NO_THINKING_FIRST


def test_thinking_left_unset_is_on_and_thinking_moved_after_the_tool_call_is_not_first(sdk, stub):
    first = thought_tool_call(sdk, stub)
    thinking, text, tool_use = as_dicts(first.content)
    messages = [user(OUTLOOK * 5), {"role": "assistant", "content": [text, tool_use, thinking]}]

    with pytest.raises(anthropic.BadRequestError) as raised:
        sdk.messages.create(
            model=MODEL, max_tokens=2000, tools=TOOLS, messages=[*messages, user([result("toolu_fix")])]
        )

    assert raised.value.body["error"]["message"] == NO_THINKING_FIRST


@pytest.mark.parametrize(("stream", "display"), [(False, None), (True, "omitted")], ids=["whole", "streamed omitted"])
def test_a_tool_use_turn_goes_on_with_its_thinking_sent_back_as_returned(sdk, stub, stream, display):
    thinking = {**THINKING_ON, "display": display} if display else THINKING_ON
    first = thought_tool_call(sdk, stub, stream=stream, thinking=thinking)
    stub.reply_with({"text": "Noted."})

    answer = go_on(sdk, first.content, thinking=thinking)  # the SDK's own blocks, as the API's docs send them back

    assert first.content[0].thinking == ("" if display else THINKING_SUMMARY)
    assert answer.content[-1].text == "Noted."


def test_a_redacted_thinking_block_first_is_accepted(sdk, stub):
    first = thought_tool_call(sdk, stub)
    stub.reply_with({"text": "Noted."})

    answer = go_on(sdk, [{"type": "redacted_thinking", "data": "opaque"}, *as_dicts(first.content)[1:]])

    assert answer.content[-1].text == "Noted."


def test_with_thinking_disabled_a_tool_use_turn_goes_on_without_thinking(sdk, stub):
    first = thought_tool_call(sdk, stub)  # thought with thinking on; the next request turns it off
    stub.reply_with({"text": "Noted."}, {"text": "Noted again."})

    dropped = go_on(sdk, as_dicts(first.content)[1:], thinking={"type": "disabled"})
    hand_made = go_on(sdk, [{**ASKED["content"][0], "id": "toolu_fix"}], thinking={"type": "disabled"})

    assert [block.type for block in dropped.content] == ["text"] and dropped.content[0].text == "Noted."
    assert hand_made.content[0].text == "Noted again."


@pytest.mark.parametrize(
    "params", [{"output_config": {"effort": "low"}}, {"messages": [user("Printer?")]}], ids=["low effort", "trivial"]
)
def test_a_tool_call_answered_without_thinking_goes_on_without_it(sdk, stub, params):
    stub.reply_with({"tool_calls": [FIX]}, {"text": "Noted."})
    first = ask(sdk, tools=TOOLS, thinking=THINKING_ON, **params)
    assert [block.type for block in first.content] == ["tool_use"]  # adaptive thinking chose not to think
    messages = [*params.get("messages", [user("Hi.")]), {"role": "assistant", "content": first.content}]

    answer = ask(sdk, tools=TOOLS, thinking=THINKING_ON, messages=[*messages, user([result("toolu_fix")])])

    assert answer.content[-1].text == "Noted."


def test_thinking_is_not_required_once_the_tool_use_turn_has_ended(sdk, stub):
    stub.reply_with({"text": "Noted."})
    ended = [user("Hi."), ASKED, user([result("toolu_a")]), {"role": "assistant", "content": "Done."}]

    answer = ask(sdk, tools=TOOLS, thinking=THINKING_ON, messages=[*ended, user("And now?")])

    assert answer.content[-1].text == "Noted."


def without_signature(block):
    return {key: value for key, value in block.items() if key != "signature"}


CHANGED = {  # id: (what is done to the thinking block, the request's thinking)
    "other text": (lambda block: {**block, "thinking": "I decided to suggest a fix."}, THINKING_ON),
    "one more space, thinking off": (lambda block: {**block, "thinking": THINKING_SUMMARY + " "}, {"type": "disabled"}),
    "never issued": (lambda block: {**block, "signature": "stub-signature-99"}, THINKING_ON),
    "forged": (lambda block: {**block, "signature": "forged"}, THINKING_ON),
    "no signature": (without_signature, THINKING_ON),
}


@pytest.mark.parametrize(("change", "thinking"), CHANGED.values(), ids=CHANGED.keys())
def test_a_thinking_block_changed_or_not_issued_is_refused(sdk, stub, change, thinking):
    block, *rest = as_dicts(thought_tool_call(sdk, stub).content)

    assert refused(sdk, stub, [change(block), *rest], thinking=thinking) == BAD_SIGNATURE


def test_a_thinking_block_in_an_earlier_turn_is_checked_too(sdk, stub):
    block, text, _tool_use = as_dicts(thought_tool_call(sdk, stub).content)
    forged = {"role": "assistant", "content": [{**block, "thinking": "Edited."}, text]}

    with pytest.raises(anthropic.BadRequestError) as raised:
        ask(sdk, thinking=THINKING_ON, messages=[user("Hi."), forged, user("And now?")])

    assert raised.value.body["error"]["message"] == BAD_SIGNATURE


# Default answers


def default_tool_calls(message):
    return [(block.name, block.input) for block in message.content if block.type == "tool_use"]


def test_the_default_assistant_answer_troubleshoots_and_proposes_a_fact_and_a_fix(sdk):
    _events, message = streamed(sdk, OUTLOOK, tools=TOOLS)

    text = message.content[0].text
    assert text.startswith('You wrote: "Outlook asks for the password again and again."')
    assert "## " in text
    (fact_name, fact), (fix_name, fix) = default_tool_calls(message)
    assert fact_name == "propose_fact"
    assert fact == {
        "text": "Outlook asks for the password again and again.",
        "source_summary": "From the engineer's message",
    }
    assert fix_name == "suggest_fix"
    assert fix["title"] == "Clear the cached Outlook credentials and re-create the profile"
    assert fix["description"] and fix["confidence_pct"] == 60
    assert message.stop_reason == "tool_use"


def test_the_default_assistant_answer_calls_only_the_tools_the_request_declares(sdk):
    only_fix = ask(sdk, "the vpn drops every ten minutes", tools=TOOLS[1:])
    other_tools = ask(sdk, OUTLOOK, tools=[{"name": "propose_check", "input_schema": {"type": "object"}}])

    assert [name for name, _input in default_tool_calls(only_fix)] == ["suggest_fix"]
    assert default_tool_calls(only_fix)[0][1]["title"] == "Reinstall the VPN client and reset the network stack"
    assert default_tool_calls(other_tools) == []
    assert other_tools.stop_reason == "end_turn" and other_tools.content[0].text.startswith("You wrote:")


def test_the_default_assistant_answer_quotes_a_long_first_line_cut_short_and_has_a_generic_fix(sdk):
    long_line = "The accounting app shows a blank window " + "and nothing else happens " * 10

    answer = ask(sdk, long_line, tools=TOOLS)

    quoted = answer.content[0].text.splitlines()[0]
    assert quoted.endswith('…"') and len(quoted) < 100
    fix = default_tool_calls(answer)[1][1]
    assert fix["title"] == "Restart the affected application and reproduce the fault with logging on"


def test_after_tool_results_alone_the_default_answer_proposes_nothing_more(sdk):
    answered = user([result("toolu_a"), result("toolu_b")])

    answer = ask(sdk, tools=TOOLS, messages=[user(OUTLOOK), ASKED_TWO, answered])

    assert default_tool_calls(answer) == []
    assert answer.stop_reason == "end_turn" and answer.content[0].text


@pytest.mark.parametrize(
    ("selected", "fact"),
    [
        ("  the  spooler\n  stopped after KB5034 .  Then it came back.", "The spooler stopped after KB5034."),
        ("dns points at the old DC", "Dns points at the old DC."),
        ("x" * 300, "X" + "x" * 199 + "."),
    ],
)
def test_fact_synthesis_rewrites_the_selection_as_one_fact_line(sdk, selected, fact):
    answer = ask(sdk, f"Rewrite as one fact line: {selected}", model="claude-haiku-5-5")

    assert answer.content[0].text == fact


def test_without_tools_or_the_fact_prefix_the_default_is_still_a_draft(sdk):
    assert ask(sdk, "Write the resolution note.").content[0].text.startswith("## Problem")


# Prompt caching over a growing conversation


def test_each_turn_of_a_conversation_reads_the_turns_before_it_from_the_cache(sdk):
    system = [cached_text("You are FlowPilot's troubleshooting assistant. " * (MIN_CACHEABLE_TOKENS // 10))]
    engineer_says = [
        OUTLOOK,
        "Credential Manager had three stale Office entries; I removed them.",
        "The new profile is syncing now.",
        "It asked once more for MFA and then stopped asking.",
        "The user confirms it has been quiet for an hour.",
    ]
    transcript, read_shares = [], []
    for words in engineer_says:
        asked = [block for block in transcript[-1]["content"] if block["type"] == "tool_use"] if transcript else []
        transcript = [*_uncached(transcript), user([*(result(block["id"]) for block in asked), cached_text(words)])]
        _events, message = streamed(sdk, system=system, tools=TOOLS, messages=transcript)
        usage = message.usage
        read_shares.append(
            usage.cache_read_input_tokens
            / (usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens)
        )
        transcript.append({"role": "assistant", "content": [_sent_back(block) for block in message.content]})

    assert read_shares[0] == 0
    assert all(share >= 0.8 for share in read_shares[1:]), read_shares


def _uncached(transcript):
    """The transcript without its old breakpoint: only the newest message carries one."""
    return [
        {**message, "content": [_without_breakpoint(block) for block in message["content"]]} for message in transcript
    ]


def _without_breakpoint(block):
    return {key: value for key, value in block.items() if key != "cache_control"}


def _sent_back(block):
    if block.type == "text":
        return {"type": "text", "text": block.text}
    return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}


def test_a_cached_prefix_more_than_twenty_blocks_before_every_breakpoint_is_not_found(sdk):
    system = [cached_text("You are FlowPilot's troubleshooting assistant. " * (MIN_CACHEABLE_TOKENS // 10))]
    question = "The first question, cached after the system block."
    long_answer = {"role": "assistant", "content": [{"type": "text", "text": f"Step {n}."} for n in range(25)]}
    ask(sdk, system=system, messages=[user([cached_text(question)])])

    grown = ask(sdk, system=system, messages=[user(question), long_answer, user([cached_text("Go on.")])])

    assert grown.usage.cache_read_input_tokens == tokens(system[0]["text"])  # the system block's, not the question's
