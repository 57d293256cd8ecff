"""The assistant's rules, shared by the pages and the API: sending a message, retrying a reply, deciding a
proposal, promoting a line of text to a fact."""

import time
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from assistant.models import Message, Proposal
from assistant.prompts import promote_request
from assistant.tasks import write_reply
from assistant.tools import FACT_MAX, LONG_TEXT_MAX, validate_payload
from assistant.turn import ACTION, reply_fail, reply_fail_if_stale
from flowpilot.celery import enqueue_on_commit
from flowpilot.errors import DomainError, InvalidInput, ServiceUnavailable
from llm import actions
from llm import client as llm
from llm.redaction import redact_secrets
from sessions import services as session_services
from sessions.models import DiagnosticCheck, Fact, ScriptTemplate, Session

BUSY = "The assistant is still answering; wait for its reply before sending another message."
PROMOTE_MAX = 2000
PROMOTE_BUDGET_SECONDS = 10.0  # the engineer waits for the suggestion with the selection in hand
FACT_SYNTHESIS = "fact_synthesis"


@contextmanager
def _a_reply_may_start(session: Session):
    """The session locked, open, with no reply being written (an interrupted one is failed first); a concurrent
    writer that slipped past the lock is caught by the one-streaming-reply constraint: `assistant_busy` either
    way. A task queue that is down fails the reply (Retry offered) rather than the request: the message is kept."""
    try:
        with transaction.atomic():
            locked = Session.objects.select_for_update().get(pk=session.pk)
            locked.ensure_open()
            streaming = Message.objects.filter(session=locked, state=Message.State.STREAMING).first()
            if streaming is not None and not reply_fail_if_stale(streaming):
                raise DomainError(BUSY, code="assistant_busy")
            yield locked
    except IntegrityError:
        raise DomainError(BUSY, code="assistant_busy") from None
    except ServiceUnavailable:
        pass  # raised on commit, after the reply was failed with the reason: the caller reads it back


def message_send(*, session: Session, user, text) -> tuple[Message, Message]:
    """Keep the engineer's message (secrets redacted) and start the reply; one reply at a time per session."""
    text = _message_text(text)
    with _a_reply_may_start(session) as locked:
        seq = (Message.objects.filter(session=locked).aggregate(last=Max("seq"))["last"] or 0) + 1
        message = Message.objects.create(
            session=locked, seq=seq, role=Message.Role.ENGINEER, text=redact_secrets(text), created_by=user
        )
        reply = Message.objects.create(
            session=locked,
            seq=seq + 1,
            role=Message.Role.ASSISTANT,
            state=Message.State.STREAMING,
            model=actions.model_for(ACTION, getattr(locked.account, "settings", None)),
        )
        _start_on_commit(reply)
    reply.refresh_from_db()
    return message, reply


def _message_text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Type a message (or paste the output) first.", field="text")
    if "\x00" in text:
        raise InvalidInput("The message holds a NUL character, which is not text; paste it again.", field="text")
    limit = settings.FLOWPILOT_ASSISTANT_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise InvalidInput(
            f"The message is {len(text):,} characters; the limit is {limit:,}. Paste the part that matters.",
            field="text",
        )
    return text.strip()


def reply_retry(*, reply: Message) -> Message:
    """Ask again for a failed reply, in its place in the transcript: a new run, with a stream of its own."""
    with _a_reply_may_start(Session(pk=reply.session_id)):
        locked = Message.objects.select_for_update().get(pk=reply.pk)
        if not locked.is_reply or locked.state != Message.State.FAILED:
            raise DomainError("Only a failed reply can be retried.", code="reply_not_failed")
        locked.state, locked.error, locked.error_code, locked.text = Message.State.STREAMING, "", "", ""
        locked.run += 1
        locked.attempts = 0
        locked.save(update_fields=["state", "error", "error_code", "text", "run", "attempts", "updated_at"])
        _start_on_commit(locked)
    locked.refresh_from_db()
    return locked


def _start_on_commit(reply: Message) -> None:
    """Written away from the request (a worker, or a thread of the web process without a broker), so the page
    streams it meanwhile."""

    def unavailable():
        reply_fail(reply, "queue_unavailable", "The task queue was unreachable, so the reply was not started.")

    enqueue_on_commit(write_reply, str(reply.pk), on_unavailable=unavailable, background=True)


# Proposals


def _decidable(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().select_related("session").get(pk=proposal.pk)
    locked.session.ensure_open()
    if locked.state != Proposal.State.OPEN:
        raise DomainError(f"This proposal was already {locked.get_state_display().lower()}.", code="proposal_decided")
    return locked


@transaction.atomic
def proposal_accept(*, proposal: Proposal, user, payload: dict | None = None) -> tuple[Proposal, dict]:
    """Accept a proposal, its fields edited first if `payload` is given: it goes through the same service as
    the engineer's own form, so it bumps `state_version` and reaches the next draft. A script proposal
    writes nothing yet: its result is the script form prefilled, for the engineer to type any password."""
    locked = _decidable(proposal)
    templates = {t.slug: t for t in ScriptTemplate.objects.filter(account_id=locked.session.account_id)}
    fields = validate_payload(locked.kind, {**locked.payload, **(payload or {})}, templates=templates)
    session = locked.session
    if locked.kind == Proposal.Kind.FACT:
        fact = session_services.fact_add(
            session=session,
            user=user,
            text=fields["text"],
            source_type=Fact.SourceType.AI,
            source_summary=fields["source_summary"] or "Suggested by the assistant",
        )
        result = {"type": "fact", "id": str(fact.pk)}
    elif locked.kind == Proposal.Kind.CHECK:
        result_value = (payload or {}).get("result", DiagnosticCheck.Result.INCONCLUSIVE)
        if result_value not in DiagnosticCheck.Result.values:
            raise InvalidInput("result must be passed, failed or inconclusive.", field="result")
        check = session_services.check_record(
            session=session,
            name=fields["name"],
            command=fields["command"],
            result=result_value,
            # What it showed is the engineer's to record; the expected result stays on the card, never as an output.
            output_summary=_text_or_empty((payload or {}).get("output_summary")),
        )
        result = {"type": "check", "id": str(check.pk)}
    elif locked.kind == Proposal.Kind.FIX:
        fix = session_services.fix_set(
            session=session,
            user=user,
            title=fields["title"],
            description=fields["description"],
            confidence_pct=fields["confidence_pct"],
        )
        result = {"type": "fix", "id": str(fix.pk)}
    else:
        result = {"type": "script_form", "id": fields["template_slug"], "parameters": fields["parameters"]}
    _decide(locked, user, Proposal.State.ACCEPTED, payload=fields, result=result)
    return locked, result


@transaction.atomic
def proposal_dismiss(*, proposal: Proposal, user) -> Proposal:
    locked = _decidable(proposal)
    _decide(locked, user, Proposal.State.DISMISSED)
    return locked


def _text_or_empty(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value or len(value) > LONG_TEXT_MAX:
        raise InvalidInput(
            f"output_summary must be text of at most {LONG_TEXT_MAX:,} characters.", field="output_summary"
        )
    return redact_secrets(value.strip())


def _decide(proposal: Proposal, user, state: str, *, payload: dict | None = None, result: dict | None = None):
    proposal.state = state
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    if payload is not None:
        proposal.payload = payload
    if result is not None:
        proposal.result_type, proposal.result_id = result["type"], result["id"]
    proposal.save()


# Promote to fact


def fact_promote(*, session: Session, text) -> str:
    """The selected text as one fact line, for the engineer to confirm: from the small fast model, or as it
    is when the model is off or unavailable. Nothing is saved."""
    session.ensure_open()
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        raise InvalidInput("Select some text to promote first.", field="text")
    if len(text) > PROMOTE_MAX:
        raise InvalidInput(f"Select at most {PROMOTE_MAX:,} characters to promote.", field="text")
    selected = redact_secrets(" ".join(text.split()))
    if not llm.model_configured():
        return selected[:FACT_MAX]
    system, messages = promote_request(selected)
    try:
        reply = llm.call_model(
            action=FACT_SYNTHESIS,
            account_id=session.account_id,
            model=actions.model_for(FACT_SYNTHESIS, getattr(session.account, "settings", None)),
            system=system,
            messages=messages,
            max_tokens=200,
            thinking_params=actions.thinking_params(FACT_SYNTHESIS),
            deadline=time.monotonic() + PROMOTE_BUDGET_SECONDS,
        )
    except llm.ModelUnavailable:
        return selected[:FACT_MAX]
    line = " ".join(redact_secrets(reply.text.replace("\x00", "")).split())
    return (line or selected)[:FACT_MAX]
