"""Confirm & post: create the handoff, run it step by step, retry it. The session closes only when a
handoff succeeds.

Exactly one note per handoff: the note id is committed the moment the PSA returns it; a run that
finds it set never posts again, and a run after an interrupted attempt first looks on the ticket for
a note whose answer was lost.
"""

import logging
import uuid
from contextlib import contextmanager

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.services import account_settings_for
from flowpilot.celery import enqueue
from flowpilot.errors import DomainError, InvalidInput, ServiceUnavailable
from handoff.kinds import DraftKind
from handoff.models import Draft, DraftEdit, Handoff
from psa import services as psa_services
from psa.models import PsaConnection
from psa.providers.base import NoteKind, PsaError, PsaTransientError
from psa.writeback import NO_TARGET_STATUS, find_posted_note, transition_and_verify
from sessions.models import Session

logger = logging.getLogger(__name__)

NOTE_KINDS = {DraftKind.RESOLUTION_NOTE: NoteKind.RESOLUTION, DraftKind.ESCALATION_PACKAGE: NoteKind.INTERNAL}
OUTCOMES = {
    (DraftKind.RESOLUTION_NOTE, False): Session.ClosedAs.RESOLVED,
    (DraftKind.RESOLUTION_NOTE, True): Session.ClosedAs.RESOLVED_LOCAL,
    (DraftKind.ESCALATION_PACKAGE, False): Session.ClosedAs.ESCALATED,
    (DraftKind.ESCALATION_PACKAGE, True): Session.ClosedAs.ESCALATED_LOCAL,
}
CLOSED_STATUS = {
    DraftKind.RESOLUTION_NOTE: Session.Status.RESOLVED,
    DraftKind.ESCALATION_PACKAGE: Session.Status.ESCALATED,
}
IN_PROGRESS = "A post for this session is already in progress; wait for it to finish."


def _check_length(markdown: str) -> None:
    if len(markdown) > Handoff.MAX_MARKDOWN:
        raise InvalidInput(f"The text is longer than {Handoff.MAX_MARKDOWN:,} characters.", field="markdown")


def _clean_markdown(markdown: str) -> str:
    markdown = (markdown or "").strip()
    if not markdown:
        raise InvalidInput("There is nothing to post: the text is empty.", field="markdown")
    _check_length(markdown)
    return markdown


def draft_edit_save(
    *, session: Session, kind: DraftKind, markdown: str, based_on_state_version: int, user
) -> DraftEdit:
    """Keep the engineer's edited text (saved as they type) until it is posted or discarded."""
    session.ensure_open()
    _check_length(markdown)
    edit, _ = DraftEdit.objects.update_or_create(
        session=session,
        kind=kind,
        defaults={"markdown": markdown, "based_on_state_version": based_on_state_version, "updated_by": user},
    )
    return edit


def draft_edit_discard(*, session: Session, kind: DraftKind) -> None:
    session.ensure_open()
    DraftEdit.objects.filter(session=session, kind=kind).delete()


def handoff_post(*, session: Session, kind: DraftKind, markdown: str, user) -> Handoff:
    """Confirm & post. A linked ticket → a queued handoff for the worker; no ticket → closed locally now."""
    markdown = _clean_markdown(markdown)
    try:
        with transaction.atomic():
            handoff = _create_handoff(session=session, kind=kind, markdown=markdown, user=user)
    except IntegrityError:  # the partial unique index caught a concurrent post the row lock did not
        raise DomainError(IN_PROGRESS, code="handoff_in_progress") from None
    if handoff.is_local:
        return handoff
    _enqueue(handoff)  # after the commit, so the worker finds the row
    handoff.refresh_from_db()  # with eager tasks (the embedded default) it has already finished
    return handoff


def _create_handoff(*, session: Session, kind: DraftKind, markdown: str, user) -> Handoff:
    locked = Session.objects.select_for_update().get(pk=session.pk)
    locked.ensure_open()
    handoffs = Handoff.objects.filter(session=locked)
    if handoffs.filter(state__in=Handoff.ACTIVE_STATES).exists():
        raise DomainError(IN_PROGRESS, code="handoff_in_progress")
    if handoffs.filter(state=Handoff.State.FAILED, note_id__isnull=False).exists():
        raise DomainError(
            "An earlier post already put its note on the ticket; retry that handoff instead of posting again.",
            code="handoff_needs_retry",
        )
    draft = Draft.objects.filter(session=locked, kind=kind).order_by("-state_version", "-id").first()
    handoff = Handoff(
        session=locked,
        kind=kind,
        markdown=markdown,
        draft=draft,
        drafted_markdown=draft.markdown if draft else "",
        drafted_state_version=draft.state_version if draft else None,
        created_by=user,
        note_kind=NOTE_KINDS[kind],
        ticket_id=locked.psa_ticket_id,
    )
    if locked.psa_ticket_id is None:
        handoff.save()
        return _succeed(handoff, locked)
    psa_connection = PsaConnection.objects.filter(account_id=locked.account_id).first()
    if psa_connection is None:
        raise psa_services.PsaNotConfigured(
            f"Ticket {locked.ticket_ref} cannot be updated: this account has no PSA connection. "
            "An admin can add one in the admin under PSA connections.",
        )
    handoff.provider = psa_connection.provider
    handoff.target_status_id = account_settings_for(locked.account).target_status_for(kind)
    handoff.save()
    return handoff


def _enqueue(handoff: Handoff) -> None:
    from handoff.tasks import post_handoff

    try:
        enqueue(post_handoff, str(handoff.pk))
    except ServiceUnavailable:
        if handoff.attempts == 0:
            handoff.delete()  # nothing was sent anywhere: leave nothing half written
        else:
            _fail(handoff, "queue_unavailable", "The task queue was unreachable; nothing was retried.")
        raise


def handoff_retry(*, handoff: Handoff) -> Handoff:
    """Run a failed handoff again with its kept text; it resumes at the step that failed. A handoff
    whose task was lost (active, untouched for `Handoff.STALE_AFTER`) may be retried too."""
    try:
        with transaction.atomic():
            locked = Handoff.objects.select_for_update().select_related("session").get(pk=handoff.pk)
            if not locked.may_retry:
                raise DomainError(
                    "There is nothing to retry: this post has finished or is still running (a post stuck for "
                    "15 minutes can be retried). Reload to see where it stands.",
                    code="handoff_not_failed",
                )
            locked.session.ensure_open()
            locked.state = Handoff.State.QUEUED
            locked.error_code = locked.error_message = ""
            locked.finished_at = None
            locked.save(update_fields=["state", "error_code", "error_message", "finished_at", "updated_at"])
    except IntegrityError:
        raise DomainError(IN_PROGRESS, code="handoff_in_progress") from None
    _enqueue(locked)
    locked.refresh_from_db()
    return locked


# Running a handoff (the Celery task's body)


@contextmanager
def _exclusive_run(handoff_id):
    """True when no other process is running this handoff. A PostgreSQL advisory lock belongs to its
    connection, so a worker that dies releases it at once; elsewhere (SQLite, one process) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = uuid.UUID(str(handoff_id)).int >> 65  # 63 bits: a positive bigint
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def handoff_run(*, handoff_id) -> Handoff | None:
    """One attempt. Transient PSA errors propagate for the task to retry; others fail the handoff.

    None when another process is running this handoff right now (a duplicate delivery): that run
    finishes it, or its own task is redelivered if its worker dies.
    """
    with _exclusive_run(handoff_id) as exclusive:
        if not exclusive:
            logger.info("Handoff %s is already being run elsewhere; dropping this duplicate delivery", handoff_id)
            return None
        return _run(handoff_id)


def _run(handoff_id) -> Handoff:
    handoff = _begin_attempt(handoff_id)
    if handoff.state != Handoff.State.POSTING:
        return handoff  # already finished (a redelivered task): nothing to do
    try:
        psa_connection = _connection(handoff)
        provider = psa_services.provider_for(psa_connection)
        if handoff.note_id is None:
            _post_note_once(provider, handoff, notify_customer=psa_connection.notify_customer)
        if handoff.target_status_id:
            ticket = transition_and_verify(provider, handoff.ticket_id, handoff.target_status_id)
            handoff.verified_status_id, handoff.verified_status_name = ticket.status.id, ticket.status.name
            handoff.status_verified = True
        else:
            handoff.status_transition_skipped_reason = NO_TARGET_STATUS
        with transaction.atomic():
            session = Session.objects.select_for_update().get(pk=handoff.session_id)
            return _succeed(handoff, session)
    except PsaTransientError as exc:
        _record_error(handoff, exc.code, exc.message)
        raise
    except PsaError as exc:
        actual = getattr(exc, "actual", None)
        if actual is not None:
            handoff.verified_status_id, handoff.verified_status_name = actual.id, actual.name
            handoff.status_verified = False
        return _fail(handoff, exc.code, exc.message)
    except DomainError as exc:  # no connection any more, an undecryptable key, a refused site URL
        return _fail(handoff, exc.code, exc.message)


def handoff_give_up(*, handoff_id, code: str, message: str) -> Handoff:
    """Transient errors outlasted the retries (or the run broke): the handoff fails, its text kept."""
    handoff = Handoff.objects.get(pk=handoff_id)
    if handoff.is_finished:
        return handoff
    return _fail(handoff, code, message)


def _begin_attempt(handoff_id) -> Handoff:
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().get(pk=handoff_id)
        if handoff.is_finished:
            return handoff
        handoff.state = Handoff.State.POSTING
        handoff.attempts += 1
        handoff.save(update_fields=["state", "attempts", "updated_at"])
    return handoff


def _connection(handoff: Handoff) -> PsaConnection:
    connection = PsaConnection.objects.filter(account__sessions=handoff.session_id).first()
    if connection is None:
        raise psa_services.PsaNotConfigured("This account no longer has a PSA connection.")
    return connection


def _post_note_once(provider, handoff: Handoff, *, notify_customer: bool) -> None:
    kind = NoteKind(handoff.note_kind)
    note = None
    if handoff.attempts > 1:  # an earlier attempt may have posted and lost the answer
        note = find_posted_note(provider, handoff.ticket_id, text=handoff.markdown, kind=kind)
    if note is None:
        note = provider.post_note(
            handoff.ticket_id,
            text=handoff.markdown,
            kind=kind,
            notify_customer=notify_customer and kind == NoteKind.RESOLUTION,  # never e-mail an internal note
        )
    handoff.note_id = note.id
    # Committed on its own, at once: from here on no attempt posts this handoff's note again.
    Handoff.objects.filter(pk=handoff.pk).update(note_id=note.id, updated_at=timezone.now())


def _record_error(handoff: Handoff, code: str, message: str) -> None:
    Handoff.objects.filter(pk=handoff.pk).update(
        error_code=code, error_message=message[:2000], updated_at=timezone.now()
    )


def _succeed(handoff: Handoff, session: Session) -> Handoff:
    now = timezone.now()
    handoff.state = Handoff.State.SUCCEEDED
    handoff.outcome = OUTCOMES[(DraftKind(handoff.kind), handoff.is_local)]
    handoff.error_code = handoff.error_message = ""
    handoff.finished_at = now
    handoff.save()
    session.status = CLOSED_STATUS[DraftKind(handoff.kind)]
    session.closed_as = handoff.outcome
    session.closed_at = now
    session.save(update_fields=["status", "closed_as", "closed_at", "updated_at"])
    DraftEdit.objects.filter(session=session).delete()  # posted: the working copies have done their job
    return handoff


def _fail(handoff: Handoff, code: str, message: str) -> Handoff:
    handoff.state = Handoff.State.FAILED
    handoff.error_code = code
    handoff.error_message = message[:2000]
    handoff.finished_at = timezone.now()
    handoff.save()
    return handoff
