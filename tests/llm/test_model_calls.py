"""Every model call leaves one usage record, whatever feature made it and whether or not it answered."""

from drafting.kinds import DraftKind
from drafting.pipeline import draft_generate
from llm.models import ModelCall


def test_it_records_each_call_with_its_tokens_and_latency(model_on, rich_session):
    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    call = ModelCall.objects.get()
    assert (call.account, call.action, call.model, call.ok) == (
        rich_session.account,
        "resolution_note",
        "claude-sonnet-5-5",
        True,
    )
    assert (call.input_tokens, call.output_tokens) == (draft.input_tokens, draft.output_tokens)
    assert call.input_tokens > 0 and call.output_tokens > 0
    assert call.cache_creation_input_tokens == draft.cache_creation_input_tokens > 0


def test_a_failed_call_is_recorded_with_its_reason(model_on, rich_session):
    model_on.reply_with({"status": 401, "body": {"type": "error", "error": {"type": "authentication_error"}}})

    draft = draft_generate(session_id=rich_session.pk, kind=DraftKind.ESCALATION_PACKAGE)

    assert draft.drafted_by == "offline"
    call = ModelCall.objects.get()
    assert (call.action, call.ok, call.error) == ("escalation_package", False, "Claude refused the API key")
    assert call.input_tokens == call.output_tokens == 0


def test_offline_drafting_calls_no_model_and_records_nothing(model_off, rich_session):
    draft_generate(session_id=rich_session.pk, kind=DraftKind.RESOLUTION_NOTE)

    assert not ModelCall.objects.exists()
