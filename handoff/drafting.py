"""The drafting pipeline, one for both kinds: load → bundle → model (or offline) → validate → record.

With no API key, or when the model fails after its retries, or will not keep the format after one
correction, the offline drafter writes the draft and the reason is recorded with it.
"""

import logging

from django.conf import settings

from handoff import llm, prompts
from handoff.bundle import build_bundle, load_session_for_drafting
from handoff.kinds import DraftKind
from handoff.models import OFFLINE, Draft
from handoff.offline import draft_offline
from handoff.validation import check_format

logger = logging.getLogger(__name__)

NO_KEY_REASON = "Drafted without AI: no ANTHROPIC_API_KEY is set."


def model_for(kind: DraftKind, account_settings=None) -> str:
    """The account's model for this action if an admin chose one, else the deployment's default."""
    chosen = account_settings.model_for(kind) if account_settings is not None else ""
    return chosen or settings.FLOWPILOT_DRAFT_MODELS[kind]


def draft_generate(*, session_id, kind: DraftKind) -> Draft:
    """Draft `kind` for the session as it is now; always returns a usable, recorded draft."""
    session = load_session_for_drafting(session_id)
    bundle = build_bundle(session)
    if not llm.model_configured():
        return _offline(session, kind, bundle, NO_KEY_REASON)

    model = model_for(kind, getattr(session.account, "settings", None))
    messages = [{"role": "user", "content": prompts.user_message(kind, bundle)}]
    usage = Draft(session=session, kind=kind, state_version=bundle["state_version"], drafted_by=model)
    for _attempt in range(2):
        try:
            reply = llm.call_model(model=model, system=prompts.system_blocks(), messages=messages)
        except llm.ModelUnavailable as exc:
            logger.warning("Drafting %s for session %s fell back to offline: %s", kind, session.pk, exc)
            return _offline(session, kind, bundle, f"Drafted without AI: {exc}.", usage)
        _add_usage(usage, reply)
        check = check_format(kind, reply.text)
        if check.ok:
            usage.markdown = check.markdown
            usage.drafted_by = reply.model
            usage.save()
            return usage
        messages += [
            {"role": "assistant", "content": reply.text.strip() or "(empty answer)"},
            {"role": "user", "content": prompts.format_correction(kind, check.problem)},
        ]
    logger.warning("Drafting %s for session %s: the model broke the format twice (%s)", kind, session.pk, check.problem)
    reason = f"Drafted without AI: Claude's answer did not follow the format twice ({check.problem})."
    return _offline(session, kind, bundle, reason, usage)


def _add_usage(draft: Draft, reply: llm.ModelReply) -> None:
    draft.model_calls += 1
    draft.input_tokens += reply.input_tokens
    draft.output_tokens += reply.output_tokens
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
