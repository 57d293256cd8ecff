"""What every provider's HTTP calls share: the one `send()` that maps `requests` failures onto `PsaError`s in
the PSA's own words, reading an answer's JSON, and the small readers of what PSAs answer.

Each provider keeps its own status mapping (`_raise_for_status`): those differ, and are the PSA's character.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from django.views.decorators.debug import sensitive_variables

from flowpilot.http_headers import retry_after_seconds
from psa.providers.base import PsaTransientError, PsaValidationError

T = TypeVar("T")
TimeoutSpec = float | tuple[float, float]

# PSAs stamp notes with their own clocks: looking back this much further absorbs skew between them and us.
CLOCK_SKEW = timedelta(minutes=10)
NOTE_TEXT_MAX = 4000  # a pasted log in a note: the engineer reads the start here and the rest in the PSA
UNSENDABLE_WORDS = (
    "a credential holds a character an HTTP header cannot carry (a curly quote or an accented letter, perhaps); "
    "an admin must type it again in plain characters"
)


def read_timeout_of(timeout: TimeoutSpec) -> float:
    return timeout[1] if isinstance(timeout, tuple) else timeout


def call_seconds_of(timeout: TimeoutSpec) -> float:
    """How long one call may take before `requests` gives up on it: connecting, then waiting for the answer."""
    return sum(timeout) if isinstance(timeout, tuple) else 2 * timeout


@sensitive_variables()  # every frame under this one holds what is sent: credential headers, a token form
def send(
    session: requests.Session, method: str, url: str, *, psa_name: str, check: str, timeout: TimeoutSpec, **kwargs
) -> requests.Response:
    """The one place a PSA is called: a timeout, no redirects, and `requests` failures mapped to `PsaError`s
    that name `psa_name`; `check` says what to check when the call cannot even be made."""
    try:
        return session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.ReadTimeout as exc:
        # The request went out and its answer never came: the PSA may still apply it. Waiting as long again
        # before the retry looks (for a note: on the ticket) keeps a slow note from being posted twice.
        raise PsaTransientError(f"{psa_name} did not answer in time", retry_after=read_timeout_of(timeout)) from exc
    except requests.Timeout as exc:  # before ConnectionError: a connect timeout is both
        raise PsaTransientError(f"{psa_name} did not answer in time") from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise PsaTransientError(f"Could not reach {psa_name}: the connection was refused or dropped") from exc
    except requests.RequestException as exc:  # a malformed URL or header: nothing a retry would fix
        raise PsaValidationError(f"{psa_name} could not be called; {check}") from exc
    except (UnicodeError, ValueError):
        # http.client encodes headers as Latin-1: a pasted curly quote in a credential fails here. The error names the
        # value it could not encode, so it is not chained.
        raise PsaValidationError(f"{psa_name} could not be called: {UNSENDABLE_WORDS}") from None


def parse_json(response: requests.Response, not_json_message: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PsaValidationError(not_json_message, status_code=response.status_code) from exc


def parse(build: Callable[[Any], T], data: Any, what: str, *, psa_name: str) -> T:
    """Build our dataclass from the PSA's JSON; a missing or mistyped field is a rejection, not a crash."""
    try:
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise PsaValidationError(f"{psa_name} answered with {what} FlowPilot cannot read") from exc


def origin_of(url: str) -> tuple[str, str | None, int | None]:
    """(scheme, host, port) with the default port filled in: a next-page link is followed only on our own site."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:  # a garbled port never matches our own site
        return ("", None, None)
    return (parts.scheme.lower(), parts.hostname, port)


def trimmed(text: Any) -> str:
    """A note's text as the ticket's context shows it: at most NOTE_TEXT_MAX characters."""
    text = str(text or "").replace("\r\n", "\n").strip()
    return text if len(text) <= NOTE_TEXT_MAX else text[:NOTE_TEXT_MAX].rstrip() + "…"


def parse_datetime(value: Any) -> datetime | None:
    """A PSA's UTC timestamp ("2026-12-01T08:00:00Z", with fractions or without a zone); None if unreadable."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def raise_if_busy(response: requests.Response, *, psa_name: str) -> None:
    """A 429 or a 5xx is worth retrying, never sooner than the PSA's Retry-After: PsaTransientError."""
    status = response.status_code
    if status == 429:
        message = f"{psa_name} is rate limiting requests (HTTP 429); try again shortly"
    elif status >= 500:
        message = f"{psa_name} is unavailable (HTTP {status}); try again shortly"
    else:
        return
    raise PsaTransientError(
        message, status_code=status, retry_after=retry_after_seconds(response.headers.get("Retry-After"))
    )
