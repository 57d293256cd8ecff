"""The drafting pipeline, one for both kinds: load → bundle → model (or offline) → validate → record.

The model part has a time budget (FLOWPILOT_DRAFT_BUDGET_SECONDS) that every call, retry and re-ask
shares. An answer cut off at max_tokens is never a draft: it is asked for once more with more room. With
no API key, or when the model fails after its retries, runs out of time, is cut off twice, refuses, or
will not keep the format after one correction, the offline drafter writes the draft and the reason is
recorded with it.
"""

import logging
import time

from django.conf import settings

from drafting import prompts
from drafting.bundle import build_bundle, load_session_for_drafting
from drafting.kinds import DraftKind
from drafting.models import OFFLINE, Draft
from drafting.offline import draft_offline
from drafting.validation import check_format
from llm import client as llm
from llm.actions import model_for, thinking_params

logger = logging.getLogger(__name__)

NO_KEY_REASON = "Drafted without AI: no ANTHROPIC_API_KEY is set."
ANSWERED = {"end_turn", "stop_sequence"}  # any other stop reason leaves the answer unfinished or missing


def draft_generate(*, session_id, kind: DraftKind, stream=None) -> Draft:
    """Draft `kind` for the session as it is now; always returns a usable, recorded draft. With `stream` (a
    `previews.DraftStream`), the model's answer is streamed to it as it is written, each attempt anew."""
    session = load_session_for_drafting(session_id)
    bundle = build_bundle(session)
    if not llm.model_configured():
        return _offline(session, kind, bundle, NO_KEY_REASON)

    model = model_for(kind, getattr(session.account, "settings", None))
    messages = [{"role": "user", "content": prompts.user_message(kind, bundle)}]
    usage = Draft(session=session, kind=kind, state_version=bundle["state_version"], drafted_by=model)
    deadline = time.monotonic() + settings.FLOWPILOT_DRAFT_BUDGET_SECONDS
    max_tokens = settings.FLOWPILOT_DRAFT_MAX_TOKENS
    corrected = False
    while True:
        try:
            request = {
                "action": kind,
                "account_id": session.account_id,
                "model": model,
                "system": prompts.system_blocks(),
                "messages": messages,
                "max_tokens": max_tokens,
                "thinking_params": thinking_params(kind),
                "deadline": deadline,
            }
            if stream is None:
                reply = llm.call_model(**request)
            else:
                stream.attempt()
                reply = llm.stream_model(
                    **request, read_timeout=settings.FLOWPILOT_DRAFT_TIMEOUT_SECONDS, on_text=stream.text
                )
        except llm.ModelUnavailable as exc:
            logger.warning("Drafting %s for session %s fell back to offline: %s", kind, session.pk, exc)
            return _offline(session, kind, bundle, f"Drafted without AI: {exc}.", usage)
        _add_usage(usage, reply)
        if reply.stop_reason == "max_tokens" and max_tokens < settings.FLOWPILOT_DRAFT_MAX_TOKENS_RETRY:
            max_tokens = settings.FLOWPILOT_DRAFT_MAX_TOKENS_RETRY  # the same question, with room to finish
            continue
        if reply.stop_reason not in ANSWERED:
            logger.warning("Drafting %s for session %s: Claude stopped with %s", kind, session.pk, reply.stop_reason)
            return _offline(session, kind, bundle, f"Drafted without AI: {_unfinished(reply, max_tokens)}.", usage)
        check = check_format(kind, reply.text)
        if check.ok:
            usage.markdown = check.markdown
            usage.drafted_by = reply.model
            usage.save()
            return usage
        if corrected:
            break
        corrected = True
        messages = [
            *messages,
            {"role": "assistant", "content": reply.text.strip() or "(empty answer)"},
            {"role": "user", "content": prompts.format_correction(kind, check.problem)},
        ]
    logger.warning("Drafting %s for session %s: the model broke the format twice (%s)", kind, session.pk, check.problem)
    reason = f"Drafted without AI: Claude's answer did not follow the format twice ({check.problem})."
    return _offline(session, kind, bundle, reason, usage)


def _unfinished(reply: llm.ModelReply, max_tokens: int) -> str:
    """Why an answer that did not end normally is no draft, in words."""
    if reply.stop_reason == "max_tokens":
        return f"Claude's answer was cut off at the {max_tokens}-token limit, even after asking again with more room"
    if reply.stop_reason == "refusal":
        return "Claude declined to write it" + (f" ({reply.refusal})" if reply.refusal else "")
    if reply.stop_reason == "model_context_window_exceeded":
        return "the session is too long for the model's context window"
    return f"Claude stopped before finishing (stop reason {reply.stop_reason or 'missing'})"


def _add_usage(draft: Draft, reply: llm.ModelReply) -> None:
    draft.model_calls += 1
    draft.input_tokens += reply.input_tokens
    draft.output_tokens += reply.output_tokens
    draft.thinking_tokens += reply.thinking_tokens
    draft.cache_creation_input_tokens += reply.cache_creation_input_tokens
    draft.cache_read_input_tokens += reply.cache_read_input_tokens
    draft.latency_ms += reply.latency_ms


def _offline(session, kind: DraftKind, bundle: dict, reason: str, usage: Draft | None = None) -> Draft:
    draft = usage or Draft(session=session, kind=kind, state_version=bundle["state_version"])
    draft.markdown = draft_offline(kind, bundle)
    draft.drafted_by = OFFLINE
    draft.offline_reason = reason[:300]
    draft.save()
    return draft
