"""One assistant turn (the reply task's body): ask the model with the session's state and the transcript,
stream its text to the channel as it arrives, then keep the reply, its proposals and a tool result for
every tool call.

Idempotent per reply: a reply that is no longer streaming is never run again, so a redelivered task
never writes a second reply; one whose earlier run died mid-answer starts again (`reset`) and is
marked complete once. Another process running the same reply right now makes this delivery a no-op.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assistant import prompts
from assistant.models import Message, Proposal, cache_read_share
from assistant.serializers import MessageSerializer, ProposalSerializer
from assistant.tools import TOOLS_BY_NAME, tool_definitions, validate_payload
from flowpilot.channel import channel
from flowpilot.errors import InvalidInput
from flowpilot.locks import exclusive_run
from llm import actions
from llm import client as llm
from llm.redaction import redact_secrets
from sessions.models import ScriptTemplate, Session
from sessions.selectors import session_detail_queryset

logger = logging.getLogger(__name__)

ACTION = "assistant_chat"
SAVE_EVERY_SECONDS = 1.0  # the text so far is written to the row this often, for a page rendered mid-reply
OFFLINE = "The assistant is offline ({reason}). Your message is kept; Retry when it is back."


def reply_run(*, reply_id) -> Message | None:
    with exclusive_run(reply_id) as exclusive:
        if not exclusive:
            logger.info("Reply %s is already being written elsewhere; dropping this duplicate delivery", reply_id)
            return None
        reply = _begin(reply_id)
        if reply is None or reply.state != Message.State.STREAMING:
            return reply
        return _write(reply)


def _begin(reply_id) -> Message | None:
    with transaction.atomic():
        reply = Message.objects.select_for_update().filter(pk=reply_id).first()
        if reply is None or reply.state != Message.State.STREAMING:
            return reply
        if reply.attempts:  # an earlier delivery of this run died mid-answer: what it streamed is replaced
            stream = reply.stream_id
            transaction.on_commit(lambda: channel().publish(stream, "reset", {}))
        reply.attempts += 1
        reply.text = ""
        reply.save(update_fields=["attempts", "text", "updated_at"])
    return reply


def _write(reply: Message) -> Message:
    session = session_detail_queryset(account=_account_of(reply)).get(pk=reply.session_id)
    templates = {template.slug: template for template in ScriptTemplate.objects.filter(account_id=session.account_id)}
    history = list(Message.objects.filter(session_id=session.pk, seq__lt=reply.seq).order_by("seq"))
    engineer, earlier = _split_last_engineer_message(history)
    request_messages = prompts.turn_messages(
        history=earlier, state=prompts.session_state(session, templates.values()), engineer_text=engineer
    )
    streamed = _Streamed(reply)
    account_settings = getattr(session.account, "settings", None)
    try:
        answer = llm.stream_model(
            action=ACTION,
            account_id=session.account_id,
            model=actions.model_for(ACTION, account_settings),
            system=prompts.system_blocks(),
            messages=request_messages,
            tools=tool_definitions(),
            max_tokens=settings.FLOWPILOT_ASSISTANT_MAX_TOKENS,
            thinking_params=actions.thinking_params(ACTION),
            deadline=time.monotonic() + settings.FLOWPILOT_ASSISTANT_BUDGET_SECONDS,
            read_timeout=settings.FLOWPILOT_ASSISTANT_READ_TIMEOUT_SECONDS,
            on_text=streamed.add,
        )
    except llm.ModelUnavailable as exc:
        return reply_fail(reply, "assistant_unavailable", OFFLINE.format(reason=exc), text=streamed.text)
    return _complete(reply, answer, templates)


def _account_of(reply: Message):
    return Session.objects.select_related("account").get(pk=reply.session_id).account


def _split_last_engineer_message(history: list[Message]) -> tuple[str, list[Message]]:
    """The engineer's message this reply answers (the newest before it), and everything before that."""
    for index in range(len(history) - 1, -1, -1):
        if history[index].role == Message.Role.ENGINEER:
            return history[index].text, history[:index]
    return "", history


class _Streamed:
    """Each delta to the channel at once; the text so far to the row now and then."""

    def __init__(self, reply: Message):
        self.reply = reply
        self.text = ""
        self._saved_at = time.monotonic()

    def add(self, delta: str) -> None:
        self.text += delta
        channel().publish(self.reply.stream_id, "delta", {"text": delta})
        if time.monotonic() - self._saved_at >= SAVE_EVERY_SECONDS:
            Message.objects.filter(pk=self.reply.pk, state=Message.State.STREAMING).update(
                text=self.text, updated_at=timezone.now()
            )
            self._saved_at = time.monotonic()


def _complete(reply: Message, answer: llm.ModelReply, templates: dict) -> Message:
    proposals, tool_results, kept_calls = [], [], {}
    for call in answer.tool_calls:
        proposal, result = _proposal_for(reply, call, templates)
        tool_results.append(result)
        if proposal is not None:
            proposal.position = len(proposals)
            proposals.append(proposal)
            kept_calls[call.id] = proposal.payload
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=reply.pk)
        if locked.state != Message.State.STREAMING:
            return locked  # finished meanwhile (failed as stale, say): keep what is there
        Proposal.objects.bulk_create(proposals)
        locked.text = _answer_text(answer, has_cards=bool(proposals))
        locked.state = Message.State.COMPLETE
        locked.model = answer.model
        locked.content = _kept_content(answer.content, kept_calls)
        locked.tool_results = tool_results
        locked.usage = _usage(answer)
        locked.error = locked.error_code = ""
        locked.save()
        stream = locked.stream_id
        transaction.on_commit(lambda: _announce_done(stream, locked, proposals))
    return locked


def _announce_done(stream: str, reply: Message, proposals: list[Proposal]) -> None:
    for proposal in proposals:
        channel().publish(stream, "proposal", ProposalSerializer(proposal).data)
    message = Message.objects.prefetch_related("proposals").get(pk=reply.pk)
    channel().publish(stream, "done", {"message": MessageSerializer(message).data})


def _answer_text(answer: llm.ModelReply, *, has_cards: bool) -> str:
    """What is kept of the answer's text: redacted, without NUL (which no database column takes), with a word
    when it was cut off or refused rather than a blank message."""
    text = redact_secrets(answer.text.replace("\x00", "")).strip()
    if answer.stop_reason == "refusal":
        reason = f" ({answer.refusal})" if answer.refusal else ""
        return (text + "\n\n" if text else "") + f"*(Claude declined to answer this{reason}.)*"
    if answer.stop_reason == "max_tokens":
        return text + "\n\n*(The answer was cut off at its length limit.)*"
    return text or ("" if has_cards else "(The assistant had nothing to add.)")


def _kept_content(content, kept_calls: dict) -> list[dict]:
    """The answer's blocks as the next turn replays them: text redacted; a tool call with the input it was kept
    with (a dropped call's input is not kept: it may hold what was refused, a password say); thinking as it came,
    signed, since the API wants it back unchanged."""
    kept = []
    for block in content:
        if block["type"] == "text":
            kept.append({**block, "text": redact_secrets(block["text"].replace("\x00", ""))})
        elif block["type"] == "tool_use":
            kept.append({**block, "input": kept_calls.get(block["id"], {})})
        else:
            kept.append(block)
    return kept


def _proposal_for(reply: Message, call: llm.ToolCall, templates: dict) -> tuple[Proposal | None, dict]:
    """A card for a valid call; for an invalid one, nothing shown and the reason logged and told the model."""
    tool = TOOLS_BY_NAME.get(call.name)
    try:
        if tool is None:
            raise InvalidInput(f"There is no tool named {call.name!r}.", field="name")
        payload = validate_payload(tool.kind, call.input, templates=templates)
    except InvalidInput as exc:
        logger.info("Reply %s: dropped a %s call: %s", reply.pk, call.name[:60], exc.message)
        return None, _tool_result(call.id, f"Not shown to the engineer: {exc.message}", error=True)
    proposal = Proposal(
        message=reply, session_id=reply.session_id, kind=tool.kind, payload=payload, tool_use_id=call.id
    )
    return proposal, _tool_result(call.id, f"Shown to the engineer as a {tool.kind} card to accept or dismiss.")


def _tool_result(tool_use_id: str, text: str, *, error: bool = False) -> dict:
    result = {"type": "tool_result", "tool_use_id": tool_use_id, "content": text}
    return {**result, "is_error": True} if error else result


def _usage(answer: llm.ModelReply) -> dict:
    share = cache_read_share(answer.cache_read_input_tokens, answer.cache_creation_input_tokens, answer.input_tokens)
    return {
        "input_tokens": answer.input_tokens,
        "cache_creation_input_tokens": answer.cache_creation_input_tokens,
        "cache_read_input_tokens": answer.cache_read_input_tokens,
        "output_tokens": answer.output_tokens,
        "cache_read_share": round(share, 3),
        "latency_ms": answer.latency_ms,
        "stop_reason": answer.stop_reason,
    }


def reply_fail(reply: Message, code: str, detail: str, *, text: str = "") -> Message:
    """The reply ends without an answer: the reason in words, Retry offered; never marked complete. Subscribers
    are told once it is committed (a refusal rolled back around it tells nobody)."""
    updated = Message.objects.filter(pk=reply.pk, state=Message.State.STREAMING).update(
        state=Message.State.FAILED,
        error=detail[:500],
        error_code=code,
        text=redact_secrets(text.replace("\x00", "")),
        updated_at=timezone.now(),
    )
    reply.refresh_from_db()
    if updated:
        stream = reply.stream_id
        transaction.on_commit(lambda: channel().publish(stream, "error", {"code": code, "detail": detail}))
    return reply


def reply_stale_after() -> timedelta:
    """A reply still streaming this long after its last write was interrupted: its process died with no broker
    to deliver it again, or the broker waits out its visibility timeout. Past a whole reply's budget."""
    return timedelta(
        seconds=settings.FLOWPILOT_ASSISTANT_BUDGET_SECONDS + settings.FLOWPILOT_ASSISTANT_READ_TIMEOUT_SECONDS + 30
    )


def reply_fail_if_stale(reply: Message) -> bool:
    """Fail an interrupted reply (see `reply_stale_after`), so the session is never stuck busy; True if it was."""
    if reply.state != Message.State.STREAMING or reply.updated_at >= timezone.now() - reply_stale_after():
        return False
    reply_fail(reply, "assistant_interrupted", "The reply was interrupted before it finished. Retry it.")
    return True
