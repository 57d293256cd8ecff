"""Drafting's writes: ask for a preview (generated once per state, on a worker or inline), schedule one prepared
in the background when the state is likely final (`drafting.preparation` holds the rules), and keep or discard
the engineer's edit of a draft."""

import time

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver

from drafting.kinds import DraftKind
from drafting.models import DraftEdit
from drafting.preparation import background_drafts_on, likely_final_kind
from drafting.previews import POLL_SECONDS, Preview, cache_reachable, lock_key, lock_ttl_seconds, preview_key
from drafting.tasks import generate_preview, prepare_preview
from flowpilot.celery import start_in_background
from flowpilot.errors import InvalidInput, ServiceUnavailable
from sessions.models import Session
from sessions.signals import state_changed

MAX_MARKDOWN = 20_000  # the longest text an edit may keep or a post may send


def preview_request(
    *, session: Session, kind: DraftKind, force: bool = False, wait_seconds: float | None = None
) -> Preview:
    """The draft for the session's current state: from the cache, or generated once (POST preview), in the
    background. Waits up to `wait_seconds` (FLOWPILOT_PREVIEW_WAIT_SECONDS) for it, then answers "pending": the
    page asks for 0 and streams the draft as it is written."""
    session.ensure_open()
    wait = settings.FLOWPILOT_PREVIEW_WAIT_SECONDS if wait_seconds is None else wait_seconds
    with cache_reachable():
        return _preview_request(session, kind, force=force, wait_seconds=wait)


def _preview_request(session: Session, kind: DraftKind, *, force: bool, wait_seconds: float) -> Preview:
    key = preview_key(kind, session.pk, session.state_version)
    if not force:
        cached = cache.get(key)
        if cached is not None:
            return Preview("ready", cached, from_cache=True)

    lock = lock_key(kind, session.pk, session.state_version)
    started_here = cache.add(lock, "generating", lock_ttl_seconds())
    if started_here:
        if force:
            cache.delete(key)
        _enqueue_generation(session, kind, lock)
    deadline = time.monotonic() + wait_seconds
    while True:
        cached = cache.get(key)
        if cached is not None:
            return Preview("ready", cached, from_cache=not started_here)
        if time.monotonic() >= deadline or (not started_here and cache.get(lock) is None):
            return Preview("pending")
        time.sleep(POLL_SECONDS)


def _enqueue_generation(session: Session, kind: DraftKind, lock: str) -> None:
    try:  # a preview writes nothing the task must wait for, so no on_commit here
        start_in_background(generate_preview, str(session.pk), str(kind), session.state_version)
    except ServiceUnavailable:
        cache.delete(lock)
        raise


# Prepared before the click


@receiver(state_changed, dispatch_uid="drafting.prepare_when_likely_final")
def prepare_when_likely_final(sender, session_id, state_version, **kwargs) -> None:
    """Every committed state: a likely final one is prepared, after the debounce."""
    if not settings.FLOWPILOT_PREPARE_DRAFTS:
        return
    session = Session.objects.select_related("account__settings").filter(pk=session_id).first()
    if session is None or session.state_version != state_version:
        return
    kind = likely_final_kind(session)
    if kind is not None:
        preview_prepare(session=session, kind=kind)


def preview_prepare(*, session: Session, kind: DraftKind, delay: float | None = None) -> bool:
    """Schedule the draft of the session's current state; False when nothing is to be prepared."""
    if not session.is_open or not background_drafts_on(getattr(session.account, "settings", None)):
        return False
    delay = settings.FLOWPILOT_PREPARE_DELAY_SECONDS if delay is None else delay
    start_in_background(prepare_preview, str(session.pk), str(kind), session.state_version, countdown=delay)
    return True


def check_length(markdown: str) -> None:
    if len(markdown) > MAX_MARKDOWN:
        raise InvalidInput(f"The text is longer than {MAX_MARKDOWN:,} characters.", field="markdown")


def clean_markdown(markdown: str) -> str:
    """The text an engineer confirmed, stripped; empty or oversize text is refused in words."""
    markdown = (markdown or "").strip()
    if not markdown:
        raise InvalidInput("There is nothing to post: the text is empty.", field="markdown")
    check_length(markdown)
    return markdown


def draft_edit_save(
    *, session: Session, kind: DraftKind, markdown: str, based_on_state_version: int, user
) -> DraftEdit:
    """Keep the engineer's edited text (saved as they type) until it is posted or discarded."""
    session.ensure_open()
    check_length(markdown)
    edit, _ = DraftEdit.objects.update_or_create(
        session=session,
        kind=kind,
        defaults={"markdown": markdown, "based_on_state_version": based_on_state_version, "updated_by": user},
    )
    return edit


def draft_edit_discard(*, session: Session, kind: DraftKind) -> None:
    session.ensure_open()
    DraftEdit.objects.filter(session=session, kind=kind).delete()
