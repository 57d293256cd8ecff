"""The one place FlowPilot calls Claude, through the official `anthropic` SDK.

Retries are ours, not the SDK's (its client has `max_retries=0`): SDK 2.x waits out any `retry-after` in
full, an hour if the API says an hour, and knows nothing of how long the caller can wait. Here 408/409/429,
5xx (529 overloaded among them) and dropped connections are tried again up to FLOWPILOT_DRAFT_MAX_RETRIES
times, never sooner than `retry-after`, and only while the caller's deadline allows: each attempt's timeout
is cut to what is left, and a wait longer than what is left is not waited out. Every failure becomes
`ModelUnavailable` with a reason an engineer can read. Every call, made or failed, leaves one `ModelCall`.
"""

import random
import time
from dataclasses import dataclass
from functools import lru_cache

import anthropic
import httpx2
from django.conf import settings

from flowpilot.http_headers import retry_after_seconds
from llm.models import ModelCall

FIRST_BACKOFF_SECONDS = 0.5  # then doubling, as the SDK's own backoff does
MAX_BACKOFF_SECONDS = 8.0


class ModelUnavailable(Exception):
    """The model could not answer (no key, timeout, API error); the message says why in plain words."""


@dataclass(frozen=True)
class ModelReply:
    text: str  # the text blocks only: thinking is never taken as text
    model: str
    stop_reason: str  # end_turn; max_tokens means the text is cut off; refusal means there is no answer
    refusal: str  # for a refusal, what the API said about it (its category or explanation), if anything
    input_tokens: int
    output_tokens: int  # thinking included, as the API bills it
    thinking_tokens: int  # of output_tokens, as the API reports them (0 when it does not)
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    latency_ms: int
    tool_calls: tuple["ToolCall", ...] = ()
    content: tuple[dict, ...] = ()  # the answer's text and tool_use blocks, as they go back in the next turn


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: object  # what the model sent: usually a dict, but never trusted to be one


def model_configured() -> bool:
    return bool(settings.ANTHROPIC_API_KEY)


@lru_cache(maxsize=4)
def _client(api_key: str, base_url: str) -> anthropic.Anthropic:
    """One client (and connection pool) per configuration, shared by every draft in the process."""
    return anthropic.Anthropic(api_key=api_key, base_url=base_url or None, max_retries=0)


def client() -> anthropic.Anthropic:
    if not model_configured():
        raise ModelUnavailable("no ANTHROPIC_API_KEY is set")
    return _client(settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL)


def call_model(
    *,
    action: str,
    account_id: int,
    model: str,
    system: list[dict],
    messages: list[dict],
    max_tokens: int,
    thinking_params: dict,
    deadline: float,
) -> ModelReply:
    """One Messages answer for `action` on the account's behalf, by `deadline` (a `time.monotonic()` value)
    or not at all; recorded as a `ModelCall` either way. `thinking_params` come from `llm.actions`."""
    request = {"model": model, "max_tokens": max_tokens, "system": system, "messages": messages, **thinking_params}
    return _recorded(
        action, account_id, model, lambda started: _reply(_create(request, deadline), model=model, started=started)
    )


def stream_model(
    *,
    action: str,
    account_id: int,
    model: str,
    system: list[dict],
    messages: list[dict],
    max_tokens: int,
    thinking_params: dict,
    deadline: float,
    read_timeout: float,
    on_text,
    tools: list[dict] | None = None,
) -> ModelReply:
    """One Messages answer streamed: `on_text(delta)` for each piece of text as it arrives, then the whole
    answer with its tool calls. Opening the stream is retried as `call_model` retries; once text has arrived
    a failure is final (the engineer has read it), and the reply fails with the reason. Recorded either way."""
    request = {
        "model": model,
        "max_tokens": max_tokens,
        "system": system,
        "messages": messages,
        **({"tools": tools} if tools else {}),
        **thinking_params,
    }

    def answer(started: float) -> ModelReply:
        stream = _with_retries(  # entering the SDK's stream manager sends the request: that is what is retried
            lambda timeout: client().messages.stream(**request, timeout=timeout).__enter__(),
            deadline,
            read_timeout=read_timeout,
        )
        try:
            for event in stream:
                if time.monotonic() > deadline:
                    raise ModelUnavailable("Claude's answer took longer than a reply may take")
                if event.type == "text" and event.text:
                    on_text(event.text)
            message = _final_message(stream)
        except (anthropic.APIError, httpx2.TransportError) as exc:  # the SDK does not wrap a transport failure here
            raise ModelUnavailable(_mid_stream_reason(exc)) from None
        finally:
            stream.close()
        return _reply(message, model=model, started=started)

    return _recorded(action, account_id, model, answer)


def _recorded(action: str, account_id: int, model: str, answer) -> ModelReply:
    """`answer(started)`'s reply, with its `ModelCall` recorded whatever happens: a failure in words, and any
    other exception too (the call was made, and billed, even when taking its answer broke)."""
    started = time.perf_counter()
    try:
        reply = answer(started)
    except ModelUnavailable as exc:
        _record(action, account_id, model, started, error=str(exc))
        raise
    except Exception as exc:
        _record(action, account_id, model, started, error=f"the answer could not be taken ({type(exc).__name__})")
        raise
    _record(action, account_id, reply.model, started, reply=reply)
    return reply


def _final_message(stream):
    """The streamed answer as a whole; a 200 whose body was no event stream at all leaves the SDK none."""
    try:
        return stream.get_final_message()
    except AssertionError:
        raise ModelUnavailable("Claude's answer could not be read (not a Messages event stream)") from None


def _mid_stream_reason(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    kind = body.get("error", {}).get("type") if isinstance(body, dict) else None
    if kind == "overloaded_error":
        return "Claude became overloaded in the middle of its answer"
    if isinstance(exc, httpx2.TimeoutException | anthropic.APITimeoutError):
        return "Claude stopped answering in the middle of its answer"
    if isinstance(exc, httpx2.TransportError | anthropic.APIConnectionError):
        return "the connection to Claude was lost in the middle of its answer"
    return f"Claude stopped in the middle of its answer ({kind or type(exc).__name__})"


def _record(action: str, account_id: int, model: str, started: float, *, reply=None, error: str = "") -> None:
    usage = {}
    if reply is not None:
        usage = {
            "stop_reason": reply.stop_reason[:40],
            "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens,
            "thinking_tokens": reply.thinking_tokens,
            "cache_creation_input_tokens": reply.cache_creation_input_tokens,
            "cache_read_input_tokens": reply.cache_read_input_tokens,
        }
    ModelCall.objects.create(
        account_id=account_id,
        action=action,
        model=model[:100],
        ok=reply is not None,
        error=error[:300],
        latency_ms=round((time.perf_counter() - started) * 1000),
        **usage,
    )


def _create(request: dict, deadline: float):
    return _with_retries(lambda timeout: client().messages.create(**request, timeout=timeout), deadline)


def _with_retries(send, deadline: float, *, read_timeout: float | None = None):
    """`send(timeout)`'s answer, trying again what is worth trying again while the deadline allows."""
    attempt = 0
    read_timeout = read_timeout or settings.FLOWPILOT_DRAFT_TIMEOUT_SECONDS
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ModelUnavailable("there was no time left to ask Claude")
        timeout = httpx2.Timeout(min(read_timeout, left), connect=min(left, 5.0))
        try:
            return send(timeout)
        except anthropic.APIError as exc:
            reason = _reason(exc) + (f" after {attempt + 1} attempts" if attempt else "")
            if not _worth_retrying(exc) or attempt >= settings.FLOWPILOT_DRAFT_MAX_RETRIES:
                raise ModelUnavailable(reason) from None
            asked = _retry_after(exc)
            wait = asked if asked is not None else _backoff(attempt)
            left = deadline - time.monotonic()
            if wait >= left and asked is not None:
                raise ModelUnavailable(
                    f"{reason}; it asked to wait {wait:g} s, longer than the {left:.1f} s left"
                ) from None
            if wait >= left:
                raise ModelUnavailable(f"{reason}, with no time left to try again") from None
            time.sleep(wait)
            attempt += 1


def _reason(exc: anthropic.APIError) -> str:
    if isinstance(exc, anthropic.APITimeoutError):
        return "Claude did not answer within the time limit"
    if isinstance(exc, anthropic.APIConnectionError):
        return "Claude could not be reached"
    if isinstance(exc, anthropic.AuthenticationError):
        return "Claude refused the API key"
    if isinstance(exc, anthropic.RateLimitError):
        return "Claude's rate limit was reached (HTTP 429)"
    if isinstance(exc, anthropic.OverloadedError):
        return "Claude is overloaded (HTTP 529)"
    if isinstance(exc, anthropic.APIStatusError):
        return f"Claude answered with an error (HTTP {exc.status_code})"
    return f"Claude's answer could not be read ({type(exc).__name__})"


def _worth_retrying(exc: anthropic.APIError) -> bool:
    """What the SDK itself would retry: connection failures, 408, 409, 429 and 5xx, unless told otherwise."""
    if isinstance(exc, anthropic.APIConnectionError):
        return True
    if not isinstance(exc, anthropic.APIStatusError):
        return False
    told = exc.response.headers.get("x-should-retry")
    if told in ("true", "false"):
        return told == "true"
    return exc.status_code in (408, 409, 429) or exc.status_code >= 500


def _retry_after(exc: anthropic.APIError) -> float | None:
    """Seconds the API asked us to wait (`retry-after-ms`, or `retry-after` in seconds or as a date)."""
    if not isinstance(exc, anthropic.APIStatusError):
        return None
    headers = exc.response.headers
    try:
        return max(0.0, float(headers["retry-after-ms"]) / 1000)
    except (KeyError, ValueError):
        return retry_after_seconds(headers.get("retry-after"))


def _backoff(attempt: int) -> float:
    return min(FIRST_BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS) * (1 - 0.25 * random.random())  # noqa: S311


REPLAYED_BLOCKS = ("thinking", "redacted_thinking", "text", "tool_use")


def _replayable(block) -> dict:
    """A block as the next turn sends it back: with tool use, the API wants the thinking before it unchanged."""
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if block.type == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if block.type == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    return {"type": "text", "text": block.text}


def _reply(message, *, model: str, started: float) -> ModelReply:
    try:
        usage = message.usage
        details = usage.output_tokens_details
        refusal = message.stop_details
        return ModelReply(
            text="".join(block.text for block in message.content if block.type == "text"),
            tool_calls=tuple(
                ToolCall(id=block.id, name=block.name, input=block.input)
                for block in message.content
                if block.type == "tool_use"
            ),
            content=tuple(_replayable(block) for block in message.content if block.type in REPLAYED_BLOCKS),
            model=message.model or model,
            stop_reason=message.stop_reason or "",
            refusal=(refusal.explanation or refusal.category or "") if refusal is not None else "",
            input_tokens=usage.input_tokens or 0,
            output_tokens=usage.output_tokens or 0,
            thinking_tokens=(details.thinking_tokens or 0) if details is not None else 0,
            cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
            cache_read_input_tokens=usage.cache_read_input_tokens or 0,
            latency_ms=round((time.perf_counter() - started) * 1000),
        )
    except (AttributeError, TypeError):  # a 200 that is not a Messages answer
        raise ModelUnavailable("Claude's answer could not be read (not a Messages response)") from None
