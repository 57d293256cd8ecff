"""The Claude stub behaves like the real Messages API where FlowPilot must cope with it: it thinks unless
told not to, cuts answers at max_tokens, answers 529 and 429 with retry-after, and reports prompt-cache
writes and reads from each request's own breakpoints. Spoken to through the real SDK."""

import anthropic
import pytest

from devtools.claude_stub import (
    ADAPTIVE_THINKING_TOKENS,
    MIN_CACHEABLE_TOKENS,
    ClaudeStub,
    overloaded,
    rate_limited,
    tokens,
)

DRAFT_REQUEST = "Write the customer-visible resolution note for this session. " * 10  # well above a trivial prompt
LONG_TEXT = "x" * (MIN_CACHEABLE_TOKENS * 4 + 400)  # 2,148 tokens at four characters a token
SHORT_TEXT = "y" * 400  # 100 tokens: too short to cache


@pytest.fixture
def stub():
    with ClaudeStub() as running:
        yield running


@pytest.fixture
def sdk(stub):
    return anthropic.Anthropic(api_key="k", base_url=stub.url, max_retries=0)


def ask(sdk, content=DRAFT_REQUEST, *, max_tokens=2000, **params):
    return sdk.messages.create(
        model="claude-sonnet-5-5", max_tokens=max_tokens, messages=[{"role": "user", "content": content}], **params
    )


def cached(block: dict) -> dict:
    return {**block, "cache_control": {"type": "ephemeral"}}


# Thinking


def test_it_thinks_adaptively_when_the_request_does_not_say(sdk):
    answer = ask(sdk)

    thinking, text = answer.content
    assert thinking.type == "thinking" and thinking.signature
    assert text.type == "text" and text.text.startswith("## Problem")
    assert answer.usage.output_tokens_details.thinking_tokens == ADAPTIVE_THINKING_TOKENS
    assert answer.usage.output_tokens == ADAPTIVE_THINKING_TOKENS + tokens(text.text)
    assert answer.stop_reason == "end_turn"


@pytest.mark.parametrize(
    "params",
    [
        {"thinking": {"type": "disabled"}},
        {"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}},
        {"output_config": {"effort": "low"}},
    ],
)
def test_it_does_not_think_when_thinking_is_off_or_effort_low(sdk, params):
    answer = ask(sdk, **params)

    assert [block.type for block in answer.content] == ["text"]
    assert answer.usage.output_tokens_details.thinking_tokens == 0
    assert answer.usage.output_tokens == tokens(answer.content[0].text)


def test_it_thinks_less_at_medium_effort_and_within_a_set_budget(sdk):
    medium = ask(sdk, output_config={"effort": "medium"})
    budgeted = ask(sdk, max_tokens=3000, thinking={"type": "enabled", "budget_tokens": 1024})

    assert medium.usage.output_tokens_details.thinking_tokens == ADAPTIVE_THINKING_TOKENS // 2
    assert budgeted.usage.output_tokens_details.thinking_tokens == min(ADAPTIVE_THINKING_TOKENS, 1024)


def test_adaptive_thinking_skips_a_trivial_prompt(sdk):
    answer = ask(sdk, "escalation package")

    assert [block.type for block in answer.content] == ["text"]


def test_omitted_display_returns_the_thinking_block_without_its_text(sdk):
    answer = ask(sdk, thinking={"type": "adaptive", "display": "omitted"})

    assert answer.content[0].type == "thinking" and answer.content[0].thinking == ""


# max_tokens


def test_an_answer_that_does_not_fit_after_the_thinking_is_cut_there(sdk):
    answer = ask(sdk, max_tokens=ADAPTIVE_THINKING_TOKENS + 10)

    assert answer.stop_reason == "max_tokens"
    _thinking, text = answer.content
    assert text.text == ask(sdk, thinking={"type": "disabled"}).content[0].text[:40]
    assert answer.usage.output_tokens == ADAPTIVE_THINKING_TOKENS + 10


def test_thinking_can_fill_max_tokens_and_leave_no_answer(sdk):
    answer = ask(sdk, max_tokens=100)

    assert answer.stop_reason == "max_tokens"
    assert [block.type for block in answer.content] == ["thinking"]
    assert answer.usage.output_tokens == answer.usage.output_tokens_details.thinking_tokens == 100


def test_it_cuts_an_answer_on_demand(stub, sdk):
    whole = "## Problem\n\nThe whole answer, which would have gone on."
    stub.reply_with({"stop_reason": "max_tokens", "text": whole})

    answer = ask(sdk, thinking={"type": "disabled"})

    assert answer.stop_reason == "max_tokens"
    assert answer.content[0].text == whole[: len(whole) // 2]
    assert answer.usage.output_tokens == 2000


# Errors


def test_it_answers_529_overloaded_on_demand(stub, sdk):
    stub.reply_with(overloaded())

    with pytest.raises(anthropic.OverloadedError) as raised:
        ask(sdk)

    assert raised.value.type == "overloaded_error"


def test_it_answers_429_with_retry_after_on_demand(stub, sdk):
    stub.reply_with(rate_limited(retry_after=30))

    with pytest.raises(anthropic.RateLimitError) as raised:
        ask(sdk)

    assert raised.value.response.headers["retry-after"] == "30"
    assert raised.value.type == "rate_limit_error"


# Prompt caching, from the request's breakpoints


def usage_of(sdk, *, system=None, messages=None, model="claude-sonnet-5-5", **params):
    answer = sdk.messages.create(
        model=model,
        max_tokens=100,
        system=system or [],
        messages=messages or [{"role": "user", "content": "Hi."}],
        thinking={"type": "disabled"},
        **params,
    )
    usage = answer.usage
    return usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens


def test_a_long_enough_cached_prefix_is_written_once_then_read(sdk):
    system = [cached({"type": "text", "text": LONG_TEXT})]

    first = usage_of(sdk, system=system)
    second = usage_of(sdk, system=system, messages=[{"role": "user", "content": "Another question."}])

    assert first[1:] == (tokens(LONG_TEXT), 0)
    assert second[1:] == (0, tokens(LONG_TEXT))
    assert first[0] > 0 and second[0] > 0  # the messages after the breakpoint are never cached


def test_a_prefix_below_the_minimum_is_not_cached(sdk):
    system = [cached({"type": "text", "text": SHORT_TEXT})]

    usage_of(sdk, system=system)
    again = usage_of(sdk, system=system)

    assert again[1:] == (0, 0)
    assert again[0] >= tokens(SHORT_TEXT)


def test_a_block_without_cache_control_caches_nothing(sdk):
    usage_of(sdk, system=[{"type": "text", "text": LONG_TEXT}])

    assert usage_of(sdk, system=[{"type": "text", "text": LONG_TEXT}])[1:] == (0, 0)


def test_the_cache_is_prefix_based_across_breakpoints(sdk):
    system = [cached({"type": "text", "text": LONG_TEXT})]
    history = [{"role": "user", "content": [cached({"type": "text", "text": SHORT_TEXT})]}]
    turn = [*history, {"role": "assistant", "content": "Noted."}, {"role": "user", "content": "Go on."}]

    first = usage_of(sdk, system=system, messages=history)
    second = usage_of(sdk, system=system, messages=turn)
    changed_system = usage_of(sdk, system=[cached({"type": "text", "text": LONG_TEXT + "!"})], messages=turn)

    assert first[1:] == (tokens(LONG_TEXT) + tokens(SHORT_TEXT), 0)
    assert second[1:] == (0, tokens(LONG_TEXT) + tokens(SHORT_TEXT))  # both breakpoints' prefixes were written
    assert changed_system[2] == 0  # a change early in the prompt invalidates every later prefix


def test_a_new_breakpoint_reads_the_cached_part_and_writes_the_rest(sdk):
    system = [cached({"type": "text", "text": LONG_TEXT})]
    usage_of(sdk, system=system)

    question = [{"role": "user", "content": [cached({"type": "text", "text": SHORT_TEXT})]}]
    grown = usage_of(sdk, system=system, messages=question)

    assert grown[1:] == (tokens(SHORT_TEXT), tokens(LONG_TEXT))


def test_tools_and_a_top_level_cache_control_mark_prefixes_too(sdk):
    tool = {"name": "lookup", "description": LONG_TEXT, "input_schema": {"type": "object", "properties": {}}}

    usage_of(sdk, tools=[{**tool, "cache_control": {"type": "ephemeral"}}])
    from_tools = usage_of(sdk, tools=[tool], cache_control={"type": "ephemeral"})

    assert from_tools[2] > tokens(LONG_TEXT)


def test_each_model_has_its_own_cache(sdk):
    system = [cached({"type": "text", "text": LONG_TEXT})]
    usage_of(sdk, system=system)

    assert usage_of(sdk, system=system, model="claude-opus-5-5")[1:] == (tokens(LONG_TEXT), 0)
