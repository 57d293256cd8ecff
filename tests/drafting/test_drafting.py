"""The drafting pipeline through the real `anthropic` SDK, over HTTP to the Claude stub on 127.0.0.1
(and once through an httpx2 mock transport): the request it sends, what it records, and how every
kind of bad answer ends in a valid draft."""

import json

import anthropic
import httpx2
import pytest

from drafting.kinds import DraftKind
from drafting.models import OFFLINE
from drafting.pipeline import NO_KEY_REASON, draft_generate
from drafting.prompts import SYSTEM_PROMPT
from drafting.validation import check_format
from llm import client as llm
from llm.actions import account_models_update
from tests.support.data import FACT_API_KEY, FACT_PASSWORD, SCRIPT_PASSWORD

GOOD_RESOLUTION = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


def sent_user_text(request: dict) -> str:
    return request["body"]["messages"][0]["content"]


def test_it_sends_the_model_the_bundle_with_a_cacheable_system_block(model_on, rich_session):
    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    (request,) = model_on.requests
    body = request["body"]
    assert request["path"] == "/v1/messages"
    assert request["headers"]["authorization"] == "Bearer test-key-not-real"  # how SDK 2.x sends the key
    assert body["model"] == "claude-sonnet-5-5"
    assert body["max_tokens"] == 2000
    assert body["system"] == [{"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}]
    user_text = sent_user_text(request)
    assert user_text.startswith("Write the customer-visible resolution note")
    assert "Only Outlook desktop prompts; OWA works." in user_text
    assert "cmdkey /list" in user_text
    assert "Remove cached Office credentials" in user_text
    assert '"outcome": "applied_success"' in user_text
    assert "Deleted fact" not in user_text
    assert draft.drafted_by == "claude-sonnet-5-5"
    assert draft.model_calls == 1


def test_no_secret_reaches_the_model(model_on, rich_session):
    draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)

    raw = json.dumps(model_on.requests[0]["body"])
    assert FACT_PASSWORD not in raw
    assert FACT_API_KEY not in raw
    assert SCRIPT_PASSWORD not in raw
    assert "password=[REDACTED]" in raw


def test_it_records_tokens_cache_use_and_latency_per_generation(model_on, rich_session):
    first = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)
    second = draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)

    assert first.input_tokens > 0 and first.output_tokens > 0
    assert first.cache_creation_input_tokens > 2048 and first.cache_read_input_tokens == 0
    # The same system block serves the other kind: the stub (like the API) reads it from the cache.
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert first.latency_ms >= 0
    assert model_on.requests[0]["body"]["system"] == model_on.requests[1]["body"]["system"]


def test_an_account_admin_can_choose_the_model_per_action(model_on, rich_session):
    account_models_update(account=rich_session.account, changes={"escalation_package": "claude-opus-5-5"})

    draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)
    draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert [request["body"]["model"] for request in model_on.requests] == ["claude-opus-5-5", "claude-sonnet-5-5"]


def test_the_sdk_request_seen_through_an_httpx2_mock_transport(settings, monkeypatch, rich_session):
    settings.ANTHROPIC_API_KEY = "test-key-not-real"
    seen = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(
            200,
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-5-5",
                "content": [{"type": "text", "text": GOOD_RESOLUTION}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 900, "output_tokens": 60, "cache_read_input_tokens": 3100},
            },
        )

    mocked = anthropic.Anthropic(
        api_key="test-key-not-real", max_retries=0, http_client=httpx2.Client(transport=httpx2.MockTransport(answer))
    )
    monkeypatch.setattr(llm, "client", lambda: mocked)

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    (request,) = seen
    body = json.loads(request.content)
    assert request.url.path == "/v1/messages"
    assert body["model"] == "claude-sonnet-5-5"
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert FACT_PASSWORD not in request.content.decode()
    assert FACT_API_KEY not in request.content.decode()
    assert (draft.markdown, draft.cache_read_input_tokens, draft.input_tokens) == (GOOD_RESOLUTION, 3100, 900)


def test_without_a_key_the_offline_drafter_writes_it_and_says_why(model_off, rich_session):
    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.drafted_by == OFFLINE
    assert draft.offline_reason == NO_KEY_REASON
    assert check_format(DraftKind.RESOLUTION_NOTE, draft.markdown).ok
    assert "Only Outlook desktop prompts; OWA works." in draft.markdown
    assert draft.model_calls == 0


# Bad answers


def test_a_preamble_is_repaired_without_asking_again(model_on, rich_session):
    model_on.reply_with({"text": "Here is the note you asked for:\n\n" + GOOD_RESOLUTION})

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.markdown == GOOD_RESOLUTION
    assert model_on.call_count == 1


def test_wrong_headings_are_asked_for_once_more(model_on, rich_session):
    model_on.reply_with({"text": "## Summary\n\nAll good."}, {"text": GOOD_RESOLUTION})

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.markdown == GOOD_RESOLUTION
    assert draft.drafted_by == "claude-sonnet-5-5"
    assert draft.model_calls == 2
    retry = model_on.requests[1]["body"]["messages"]
    assert [message["role"] for message in retry] == ["user", "assistant", "user"]
    assert retry[1]["content"] == "## Summary\n\nAll good."
    assert "does not belong" in retry[2]["content"]


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (["## Summary\n\nx", "Still no headings."], "did not follow the format twice"),
        (["", "   "], "the answer was empty"),
    ],
)
def test_two_bad_answers_fall_back_to_the_offline_draft(model_on, rich_session, answers, reason):
    model_on.reply_with(*({"text": text} for text in answers))

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)

    assert draft.drafted_by == OFFLINE
    assert reason in draft.offline_reason
    assert check_format(DraftKind.ESCALATION_PACKAGE, draft.markdown).ok
    assert draft.model_calls == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"status": 529, "body": {"type": "error", "error": {"type": "overloaded_error"}}}, "HTTP 529"),
        ({"status": 401, "body": {"type": "error", "error": {"type": "authentication_error"}}}, "refused the API key"),
        ({"status": 200, "body": {"unexpected": True}}, "could not be read"),
    ],
)
def test_an_api_error_after_the_retries_falls_back_to_the_offline_draft(model_on, rich_session, reply, reason):
    model_on.reply_with(reply, reply)  # the first call and its one retry (FLOWPILOT_DRAFT_MAX_RETRIES=1)

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.drafted_by == OFFLINE
    assert reason in draft.offline_reason
    assert check_format(DraftKind.RESOLUTION_NOTE, draft.markdown).ok


def test_a_timeout_falls_back_to_the_offline_draft(settings, model_on, rich_session):
    settings.FLOWPILOT_DRAFT_TIMEOUT_SECONDS = 0.3
    settings.FLOWPILOT_DRAFT_MAX_RETRIES = 0
    llm._client.cache_clear()
    model_on.reply_with({"delay": 1.5, "text": GOOD_RESOLUTION})

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.drafted_by == OFFLINE
    assert "did not answer within the time limit" in draft.offline_reason


def test_an_unreachable_model_falls_back_to_the_offline_draft(settings, model_on, rich_session):
    settings.ANTHROPIC_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.FLOWPILOT_DRAFT_MAX_RETRIES = 0
    llm._client.cache_clear()

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert draft.drafted_by == OFFLINE
    assert "could not be reached" in draft.offline_reason
