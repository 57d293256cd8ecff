"""How drafting copes with Claude as it behaves in production (DESIGN, before §8), through the real SDK
against the Claude stub: thinking set per action and accounted for, answers cut at max_tokens, refusals,
529 overloaded and 429 with retry-after, all within the draft's time budget."""

import time

import anthropic
import httpx2
import pytest

from devtools.claude_stub import THINKING_SUMMARY, overloaded, rate_limited, refusal, well_formed_answer
from drafting.kinds import DraftKind
from drafting.models import OFFLINE
from drafting.pipeline import draft_generate
from drafting.validation import check_format
from llm import client as llm
from llm.models import ModelCall

GOOD_RESOLUTION = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


def stub_answer(kind: DraftKind) -> str:
    return well_formed_answer("escalation package" if kind == DraftKind.ESCALATION_PACKAGE else "")


def calls() -> list[ModelCall]:
    return list(ModelCall.objects.order_by("id"))


# Thinking


@pytest.mark.parametrize("kind", [DraftKind.RESOLUTION_NOTE, DraftKind.ESCALATION_PACKAGE])
def test_each_action_asks_for_no_thinking_in_the_request_the_sdk_sends(model_on, rich_session, kind):
    draft = draft_generate(session_id=rich_session.pk, kind=kind)

    (request,) = model_on.requests
    assert request["body"]["thinking"] == {"type": "disabled"}
    assert "output_config" not in request["body"]
    assert (draft.drafted_by, draft.thinking_tokens) == ("claude-sonnet-5-5", 0)


def test_an_effort_setting_reaches_the_request_as_adaptive_thinking_at_that_effort(settings, model_on, rich_session):
    settings.FLOWPILOT_DRAFT_THINKING = {"resolution_note": "disabled", "escalation_package": "low"}

    draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)
    draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    escalation, resolution = (request["body"] for request in model_on.requests)
    assert (escalation["thinking"], escalation["output_config"]) == ({"type": "adaptive"}, {"effort": "low"})
    assert resolution["thinking"] == {"type": "disabled"} and "output_config" not in resolution


def test_thinking_tokens_are_recorded_and_thinking_is_never_taken_as_text(settings, model_on, rich_session):
    settings.FLOWPILOT_DRAFT_THINKING = {**settings.FLOWPILOT_DRAFT_THINKING, "resolution_note": "adaptive"}

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    (call,) = calls()
    assert draft.thinking_tokens == call.thinking_tokens == model_on.thinking_tokens == 600
    assert draft.output_tokens == call.output_tokens > 600  # thinking is inside the output tokens, as billed
    assert draft.markdown == stub_answer(DraftKind.RESOLUTION_NOTE)
    assert THINKING_SUMMARY not in draft.markdown


def test_thinking_blocks_through_an_httpx2_mock_transport_stay_out_of_the_draft(settings, monkeypatch, rich_session):
    settings.ANTHROPIC_API_KEY = "test-key-not-real"

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-5-5",
                "content": [
                    {"type": "thinking", "thinking": "Let me think about the headings.", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "text", "text": GOOD_RESOLUTION},
                ],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 900, "output_tokens": 460, "output_tokens_details": {"thinking_tokens": 400}},
            },
        )

    mocked = anthropic.Anthropic(
        api_key="test-key-not-real", max_retries=0, http_client=httpx2.Client(transport=httpx2.MockTransport(answer))
    )
    monkeypatch.setattr(llm, "client", lambda: mocked)

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.markdown == GOOD_RESOLUTION
    assert (draft.output_tokens, draft.thinking_tokens) == (460, 400)


# Answers cut off at max_tokens, and refusals


def test_an_answer_cut_at_max_tokens_is_asked_for_again_with_more_room(model_on, rich_session):
    model_on.reply_with({"stop_reason": "max_tokens"})

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    first, second = (request["body"] for request in model_on.requests)
    assert (first["max_tokens"], second["max_tokens"]) == (2000, 4000)
    assert second["messages"] == first["messages"]  # the same question, not a continuation of the cut answer
    assert draft.markdown == stub_answer(DraftKind.RESOLUTION_NOTE)
    assert (draft.drafted_by, draft.model_calls) == ("claude-sonnet-5-5", 2)
    assert [call.stop_reason for call in calls()] == ["max_tokens", "end_turn"]


def test_thinking_that_fills_max_tokens_is_asked_for_again_with_more_room(settings, model_on, rich_session):
    settings.FLOWPILOT_DRAFT_THINKING = {**settings.FLOWPILOT_DRAFT_THINKING, "escalation_package": "adaptive"}
    model_on.thinking_tokens = 1990  # leaves 10 tokens of the 2,000 for the answer

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)

    assert draft.markdown == stub_answer(DraftKind.ESCALATION_PACKAGE)
    assert [call.stop_reason for call in calls()] == ["max_tokens", "end_turn"]
    assert draft.thinking_tokens == 2 * 1990


def test_an_answer_cut_off_twice_is_never_a_draft(model_on, rich_session):
    model_on.reply_with({"stop_reason": "max_tokens"}, {"stop_reason": "max_tokens"})

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.drafted_by == OFFLINE
    assert draft.offline_reason == (
        "Drafted without AI: Claude's answer was cut off at the 4000-token limit, "
        "even after asking again with more room."
    )
    assert "Stub text" not in draft.markdown
    assert check_format(DraftKind.RESOLUTION_NOTE, draft.markdown).ok
    assert draft.model_calls == model_on.call_count == 2


def test_a_refusal_falls_back_to_the_offline_draft_with_its_reason(model_on, rich_session):
    model_on.reply_with(refusal(category="cyber"))

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)

    assert draft.drafted_by == OFFLINE
    assert draft.offline_reason == "Drafted without AI: Claude declined to write it (cyber)."
    assert check_format(DraftKind.ESCALATION_PACKAGE, draft.markdown).ok
    assert model_on.call_count == 1
    assert calls()[0].stop_reason == "refusal"


# Overloaded, rate-limited and slow: within the time budget


def test_an_overloaded_answer_then_success_gives_a_model_draft(model_on, rich_session):
    model_on.reply_with(overloaded())

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.drafted_by == "claude-sonnet-5-5"
    assert draft.markdown == stub_answer(DraftKind.RESOLUTION_NOTE)
    assert model_on.call_count == 2
    (call,) = calls()  # one usage record for the call, its retry inside
    assert call.ok


def test_a_retry_after_that_fits_the_budget_is_waited_out(model_on, rich_session):
    model_on.reply_with(rate_limited(retry_after=0.4))

    started = time.monotonic()
    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert time.monotonic() - started >= 0.4
    assert draft.drafted_by == "claude-sonnet-5-5"
    assert model_on.call_count == 2


def test_a_retry_after_longer_than_the_budget_is_not_waited_out(settings, model_on, rich_session):
    settings.FLOWPILOT_DRAFT_BUDGET_SECONDS = 10.0
    model_on.reply_with(rate_limited(retry_after=60))

    started = time.monotonic()
    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)
    elapsed = time.monotonic() - started

    assert elapsed < 3.0  # waiting it out would take 60 s, waiting out the budget instead 10 s
    assert draft.drafted_by == OFFLINE
    assert draft.offline_reason.startswith(
        "Drafted without AI: Claude's rate limit was reached (HTTP 429); it asked to wait 60 s, longer than the "
    )
    assert draft.offline_reason.endswith(" s left.")
    assert model_on.call_count == 1
    (call,) = calls()
    assert not call.ok and "HTTP 429" in call.error


def test_overloaded_through_every_retry_falls_back_with_the_reason(model_on, rich_session):
    model_on.reply_with(overloaded(), overloaded())

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)

    assert draft.drafted_by == OFFLINE
    assert draft.offline_reason == "Drafted without AI: Claude is overloaded (HTTP 529) after 2 attempts."


def test_the_budget_bounds_the_whole_draft_however_slow_the_model(settings, model_on, rich_session):
    settings.FLOWPILOT_DRAFT_BUDGET_SECONDS = 1.0
    settings.FLOWPILOT_DRAFT_TIMEOUT_SECONDS = 10.0
    model_on.delay_seconds = 20.0

    started = time.monotonic()
    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert time.monotonic() - started < 5.0  # the 1 s budget; a call bounded by its timeout alone takes 10 s
    assert draft.drafted_by == OFFLINE
    assert draft.offline_reason == (
        "Drafted without AI: Claude did not answer within the time limit, with no time left to try again."
    )


def test_a_format_correction_shares_the_budget_of_the_first_answer(settings, model_on, rich_session):
    settings.FLOWPILOT_DRAFT_BUDGET_SECONDS = 2.0
    settings.FLOWPILOT_DRAFT_TIMEOUT_SECONDS = 10.0
    model_on.reply_with({"delay": 0.5, "text": "## Summary\n\nAll good."}, {"delay": 20.0, "text": GOOD_RESOLUTION})

    started = time.monotonic()
    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert time.monotonic() - started < 5.0  # the 2 s budget; a correction given its full timeout takes 10.5 s
    assert draft.drafted_by == OFFLINE
    assert "did not answer within the time limit" in draft.offline_reason
    assert model_on.call_count == 2
    # What the correction was given to wait, as the SDK sent it: at most what the first 0.5 s left of the budget
    # (a budget started afresh for it would give it 2 s).
    correction_timeout = float(model_on.requests[1]["headers"]["x-stainless-read-timeout"])
    assert 0 < correction_timeout <= 2.0 - 0.5
