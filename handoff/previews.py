"""The preview cache: one draft per (kind, session, state_version), generated once however many
requests ask at the same moment.

Django's cache holds the drafts (Redis in production). The first request for a key takes a short
lock with `cache.add` and enqueues the generation task; the others wait briefly for the result and
answer "pending" if it is not there yet. A write to the session bumps its state_version, so the next
request simply misses: nothing is ever invalidated by hand.

A cache that cannot be reached (Redis down) is a clear 503 `ServiceUnavailable`, never a 500.
"""

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flowpilot.celery import enqueue
from flowpilot.errors import ServiceUnavailable
from handoff.drafting import draft_generate
from handoff.kinds import DraftKind
from handoff.models import Draft
from handoff.rendering import render_markdown
from sessions.models import Session

PREVIEW_TTL_SECONDS = 24 * 3600
# Longer than the slowest generation: two model calls, each with its timeout and retries.
LOCK_TTL_SECONDS = 120
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


def _key(kind: str, session_id, state_version: int) -> str:
    return f"preview:{kind}:{session_id}:{state_version}"


def _lock_key(kind: str, session_id, state_version: int) -> str:
    return f"preview-lock:{kind}:{session_id}:{state_version}"


def _latest_key(kind: str, session_id) -> str:
    return f"preview-latest:{kind}:{session_id}"


@contextmanager
def _cache_reachable():
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        logger.error("The preview cache is unreachable: %s", exc)
        raise ServiceUnavailable(CACHE_UNAVAILABLE) from None


def preview_request(*, session: Session, kind: DraftKind, force: bool = False) -> Preview:
    """The draft for the session's current state: from the cache, or generated once (POST preview)."""
    session.ensure_open()
    with _cache_reachable():
        return _preview_request(session, kind, force=force)


def _preview_request(session: Session, kind: DraftKind, *, force: bool) -> Preview:
    key = _key(kind, session.pk, session.state_version)
    if not force:
        cached = cache.get(key)
        if cached is not None:
            return Preview("ready", cached, from_cache=True)

    lock = _lock_key(kind, session.pk, session.state_version)
    started_here = cache.add(lock, "generating", LOCK_TTL_SECONDS)
    if started_here:
        if force:
            cache.delete(key)
        _enqueue_generation(session, kind, lock)
    deadline = time.monotonic() + settings.FLOWPILOT_PREVIEW_WAIT_SECONDS
    while True:
        cached = cache.get(key)
        if cached is not None:
            return Preview("ready", cached, from_cache=not started_here)
        if time.monotonic() >= deadline or (not started_here and cache.get(lock) is None):
            return Preview("pending")
        time.sleep(POLL_SECONDS)


def preview_current(*, session: Session, kind: DraftKind) -> Preview | None:
    """What GET preview answers: the current draft, "pending", the newest older draft (stale), or None."""
    session.ensure_open()
    with _cache_reachable():
        return _preview_current(session, kind)


def _preview_current(session: Session, kind: DraftKind) -> Preview | None:
    cached = cache.get(_key(kind, session.pk, session.state_version))
    if cached is not None:
        return Preview("ready", cached, from_cache=True)
    if cache.get(_lock_key(kind, session.pk, session.state_version)) is not None:
        return Preview("pending")
    latest_version = cache.get(_latest_key(kind, session.pk))
    stale = cache.get(_key(kind, session.pk, latest_version)) if latest_version else None
    return Preview("ready", stale, from_cache=True) if stale is not None else None


def _enqueue_generation(session: Session, kind: DraftKind, lock: str) -> None:
    from handoff.tasks import generate_preview

    try:  # a preview writes nothing the task must wait for, so no on_commit here
        enqueue(generate_preview, str(session.pk), str(kind), session.state_version)
    except ServiceUnavailable:
        cache.delete(lock)
        raise


def preview_generate(*, session_id: str, kind: DraftKind, requested_version: int) -> Draft:
    """Generate and cache a draft (the Celery task's body); always releases the request's lock."""
    try:
        draft = draft_generate(session_id=session_id, kind=kind)
        cache.set(_key(kind, session_id, draft.state_version), preview_payload(draft), PREVIEW_TTL_SECONDS)
        cache.set(_latest_key(kind, session_id), draft.state_version, PREVIEW_TTL_SECONDS)
        return draft
    finally:
        cache.delete(_lock_key(kind, session_id, requested_version))


def preview_payload(draft: Draft) -> dict:
    return {
        "draft_id": draft.pk,
        "kind": draft.kind,
        "markdown": draft.markdown,
        "html": render_markdown(draft.markdown),
        "state_version": draft.state_version,
        "drafted_by": draft.drafted_by,
        "offline_reason": draft.offline_reason,
        "generated_at": draft.created_at.isoformat(),
    }
