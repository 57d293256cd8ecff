"""The preview cache: one draft per (drafter version, kind, session, state_version), generated once
however many requests ask at the same moment.

Django's cache holds the drafts (Redis in production). The first request for a key takes a short
lock with `cache.add` and enqueues the generation task (`drafting.services.preview_request`); the
others wait briefly for the result and answer "pending" if it is not there yet. The task's body is
`preview_generate` here. A write to the session bumps its state_version, so the next request simply
misses: nothing is ever invalidated by hand.

A cache that cannot be reached (Redis down) is a clear 503 `ServiceUnavailable`, never a 500.
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from drafting.kinds import DraftKind
from drafting.models import Draft
from drafting.pipeline import draft_generate
from drafting.rendering import render_markdown
from flowpilot.channel import publish_quietly
from flowpilot.errors import ServiceUnavailable
from psa.services import connection_for, note_as_it_lands
from sessions.models import Session

PREVIEW_TTL_SECONDS = 24 * 3600
# Longer than the slowest generation: the draft's whole time budget on the model, then the offline draft.
LOCK_MARGIN_SECONDS = 60
POLL_SECONDS = 0.05
CACHE_UNAVAILABLE = (
    "The draft cache is unavailable right now, so no draft could be made or read. "
    "Anything you edited is kept; try again in a moment."
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preview:
    status: str  # "ready" or "pending"
    draft: dict | None = None  # the cached payload when ready
    from_cache: bool = False

    @property
    def ready(self) -> bool:
        return self.status == "ready"


# The version of what writes a draft, part of every cache key: a deploy that bumps it makes every open
# session miss, so nobody is served (nor shown as stale) a draft the old drafter wrote. Bump it whenever
# a change alters what a draft says for the same session: the model's prompt (drafting.prompts), the
# offline drafter (drafting.offline, drafting.customer_text), the kinds' sections (drafting.kinds) or the
# bundle the drafter reads (drafting.bundle). Not for a change that leaves every draft's text as it was.
# 2: customer-grade resolution notes (no commands, host names or promises of later work).
DRAFTER_VERSION = 2


def preview_key(kind: str, session_id, state_version: int) -> str:
    return f"preview:v{DRAFTER_VERSION}:{kind}:{session_id}:{state_version}"


def lock_key(kind: str, session_id, state_version: int) -> str:
    return f"preview-lock:v{DRAFTER_VERSION}:{kind}:{session_id}:{state_version}"


def latest_key(kind: str, session_id) -> str:
    return f"preview-latest:v{DRAFTER_VERSION}:{kind}:{session_id}"


@contextmanager
def cache_reachable():
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        logger.error("The preview cache is unreachable: %s", exc)
        raise ServiceUnavailable(CACHE_UNAVAILABLE) from None


def preview_current(*, session: Session, kind: DraftKind) -> Preview | None:
    """What GET preview answers: the current draft, "pending", the newest older draft (stale), or None."""
    session.ensure_open()
    with cache_reachable():
        return _preview_current(session, kind)


def _preview_current(session: Session, kind: DraftKind) -> Preview | None:
    cached = cache.get(preview_key(kind, session.pk, session.state_version))
    if cached is not None:
        return Preview("ready", cached, from_cache=True)
    if cache.get(lock_key(kind, session.pk, session.state_version)) is not None:
        return Preview("pending")
    latest_version = cache.get(latest_key(kind, session.pk))
    stale = cache.get(preview_key(kind, session.pk, latest_version)) if latest_version else None
    return Preview("ready", stale, from_cache=True) if stale is not None else None


def draft_stream_id(kind: str, session_id, state_version: int) -> str:
    return f"draft:v{DRAFTER_VERSION}:{kind}:{session_id}:{state_version}"


class DraftStream:
    """A draft's text as the model writes it, on the event channel (`delta`; `reset` before a second attempt),
    then `done` once the draft is cached, whatever wrote it: the preview panel streams it meanwhile. Losing the
    channel loses only the stream: the draft is made and cached all the same."""

    def __init__(self, kind: str, session_id, state_version: int):
        self.id = draft_stream_id(kind, session_id, state_version)
        self.attempts = 0

    def attempt(self) -> None:
        if self.attempts:
            publish_quietly(self.id, "reset", {})
        self.attempts += 1

    def text(self, delta: str) -> None:
        publish_quietly(self.id, "delta", {"text": delta})

    def end(self, name: str, data: dict) -> None:
        publish_quietly(self.id, name, data)


def preview_generate(*, session_id: str, kind: DraftKind, requested_version: int, background: bool = False) -> Draft:
    """Generate and cache a draft (the Celery task's body), streaming it as it is written; always releases the
    request's lock and ends the stream. `background`: it was prepared before anyone asked
    (drafting.preparation), and the preview says so."""
    stream = DraftStream(kind, session_id, requested_version)
    ended = False
    try:
        draft = draft_generate(session_id=session_id, kind=kind, stream=stream)
        payload = {**preview_payload(draft), "prepared_in_background": background}
        cache.set(preview_key(kind, session_id, draft.state_version), payload, PREVIEW_TTL_SECONDS)
        cache.set(latest_key(kind, session_id), draft.state_version, PREVIEW_TTL_SECONDS)
        stream.end("done", {"state_version": draft.state_version})
        ended = True
        return draft
    finally:
        cache.delete(lock_key(kind, session_id, requested_version))
        if not ended:
            stream.end("error", {"code": "draft_failed", "detail": "The draft could not be made; try again."})


def preview_payload(draft: Draft) -> dict:
    """What the cache keeps of a draft. The ticket's text is the note as the account's PSA (at drafting time)
    will hold it: plain text on ConnectWise; none when the session has no ticket or the account no PSA."""
    session = draft.session
    landing = note_as_it_lands(connection_for(session.account), draft.markdown) if session.psa_ticket_id else None
    return {
        "draft_id": draft.pk,
        "kind": draft.kind,
        "markdown": draft.markdown,
        "html": render_markdown(draft.markdown),
        "ticket_text": landing[1] if landing else None,
        "ticket_text_format": landing[0] if landing else None,
        "state_version": draft.state_version,
        "drafted_by": draft.drafted_by,
        "offline_reason": draft.offline_reason,
        "generated_at": draft.created_at.isoformat(),
    }


def lock_ttl_seconds() -> float:
    """How long a generation's lock lives: past the draft's budget (FLOWPILOT_DRAFT_BUDGET_SECONDS), so a
    slow generation is never joined by a second one, and not for ever, so a lost task frees the key."""
    return settings.FLOWPILOT_DRAFT_BUDGET_SECONDS + LOCK_MARGIN_SECONDS
