"""The one place FlowPilot calls Claude, through the official `anthropic` SDK.

Timeouts and retries are explicit; the SDK retries 408/409/429/5xx and connection errors itself with
backoff. Every failure becomes `ModelUnavailable` with a reason an engineer can read.
"""

import time
from dataclasses import dataclass
from functools import lru_cache

import anthropic
import httpx2
from django.conf import settings


class ModelUnavailable(Exception):
    """The model could not answer (no key, timeout, API error); the message says why in plain words."""


@dataclass(frozen=True)
class ModelReply:
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    latency_ms: int


def model_configured() -> bool:
    return bool(settings.ANTHROPIC_API_KEY)


@lru_cache(maxsize=4)
def _client(api_key: str, base_url: str, timeout: float, max_retries: int) -> anthropic.Anthropic:
    """One client (and connection pool) per configuration, shared by every draft in the process."""
    return anthropic.Anthropic(
        api_key=api_key,
        base_url=base_url or None,
        timeout=httpx2.Timeout(timeout, connect=min(timeout, 5.0)),
        max_retries=max_retries,
    )


def client() -> anthropic.Anthropic:
    if not model_configured():
        raise ModelUnavailable("no ANTHROPIC_API_KEY is set")
    return _client(
        settings.ANTHROPIC_API_KEY,
        settings.ANTHROPIC_BASE_URL,
        settings.FLOWPILOT_DRAFT_TIMEOUT_SECONDS,
        settings.FLOWPILOT_DRAFT_MAX_RETRIES,
    )


def call_model(*, model: str, system: list[dict], messages: list[dict]) -> ModelReply:
    started = time.perf_counter()
    retries = settings.FLOWPILOT_DRAFT_MAX_RETRIES
    try:
        message = client().messages.create(
            model=model, max_tokens=settings.FLOWPILOT_DRAFT_MAX_TOKENS, system=system, messages=messages
        )
    except anthropic.APITimeoutError:
        raise ModelUnavailable(f"Claude did not answer within the time limit ({retries} retries)") from None
    except anthropic.APIConnectionError:
        raise ModelUnavailable(f"Claude could not be reached ({retries} retries)") from None
    except anthropic.AuthenticationError:
        raise ModelUnavailable("Claude refused the API key") from None
    except anthropic.APIStatusError as exc:
        raise ModelUnavailable(f"Claude answered with an error (HTTP {exc.status_code})") from None
    except anthropic.APIError as exc:
        raise ModelUnavailable(f"Claude's answer could not be read ({type(exc).__name__})") from None
    try:
        usage = message.usage
        return ModelReply(
            text="".join(block.text for block in message.content if block.type == "text"),
            model=message.model or model,
            input_tokens=usage.input_tokens or 0,
            output_tokens=usage.output_tokens or 0,
            cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
            cache_read_input_tokens=usage.cache_read_input_tokens or 0,
            latency_ms=round((time.perf_counter() - started) * 1000),
        )
    except (AttributeError, TypeError):  # a 200 that is not a Messages answer
        raise ModelUnavailable("Claude's answer could not be read (not a Messages response)") from None
