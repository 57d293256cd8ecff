"""Running a handoff (the Celery task's body): one attempt, and how a handoff ends.

The PSA steps are `psa.writeback`'s; this module owns the handoff's record and the session's closing.
Exactly one note per handoff: the note id is committed the moment the PSA returns it; a run that finds
it set never posts again, and a run after an interrupted attempt first looks on the ticket for a note
whose answer was lost.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from drafting.kinds import DraftKind
from drafting.models import DraftEdit
from flowpilot.channel import publish_quietly
from flowpilot.errors import DomainError
from flowpilot.locks import exclusive_run
from handoff.models import Handoff
from psa import services as psa_services
from psa.providers.base import Note, NoteKind, PsaError, PsaTransientError
from psa.writeback import Post, write_to_ticket
from sessions.models import Session

logger = logging.getLogger(__name__)
LONGEST_WAIT_SECONDS = 300.0


def handoff_run(*, handoff_id) -> Handoff | None:
    """One attempt. Transient PSA errors propagate for the task to retry; others fail the handoff.

    None when another process is running this handoff right now (a duplicate delivery): that run
    finishes it, or its own task is redelivered if its worker dies.
    """
    with exclusive_run(handoff_id) as exclusive:
        if not exclusive:
            logger.info("Handoff %s is already being run elsewhere; dropping this duplicate delivery", handoff_id)
            return None
        try:
            return _run(handoff_id)
        except Handoff.DoesNotExist:  # its session was deleted while the task waited: nothing left to post
            logger.info("Handoff %s no longer exists; dropping its task", handoff_id)
            return None


def _run(handoff_id) -> Handoff:
    handoff = _begin_attempt(handoff_id)
    if handoff.state != Handoff.State.POSTING:
        return handoff  # already finished (a redelivered task): nothing to do
    try:
        account = Session.objects.select_related("account").get(pk=handoff.session_id).account
        psa_connection = psa_services.connection_for(account)
        if psa_connection is None:
            raise psa_services.PsaNotConfigured("This account no longer has a PSA connection.")
        lost_since = _when_a_note_may_have_been_lost(handoff)
        post = Post(
            ticket_id=handoff.ticket_id,
            text=handoff.markdown,
            kind=NoteKind(handoff.note_kind),
            started_at=lost_since or handoff.created_at,
            notify_customer=psa_connection.notify_customer,
            target_status_id=handoff.target_status_id,
            note_id=handoff.note_id,
            answer_may_be_lost=lost_since is not None,
            allow_closed_ticket=handoff.confirm_closed_ticket,
        )
        written = write_to_ticket(
            psa_services.provider_for(psa_connection), post, on_note_posted=lambda note: _record_note(handoff, note)
        )
        # This attempt's own findings only: a Retry with no target status any more must not keep an old verdict.
        handoff.verified_status_id, handoff.verified_status_name, handoff.status_verified = None, "", None
        if written.ticket is not None:
            handoff.verified_status_id = written.ticket.status.id
            handoff.verified_status_name = written.ticket.status.name
            handoff.status_verified = True
        handoff.status_transition_skipped_reason = written.status_transition_skipped_reason
        with transaction.atomic():
            session = Session.objects.select_for_update().get(pk=handoff.session_id)
            return handoff_succeed(handoff, session)
    except PsaTransientError as exc:
        _record_error(handoff, exc)
        raise
    except PsaError as exc:
        actual = getattr(exc, "actual", None)
        if actual is not None:
            handoff.verified_status_id, handoff.verified_status_name = actual.id, actual.name
            handoff.status_verified = False
        return handoff_fail(handoff, exc.code, exc.message)
    except DomainError as exc:  # no connection any more, an undecryptable key, a refused site URL
        return handoff_fail(handoff, exc.code, exc.message)


def _when_a_note_may_have_been_lost(handoff: Handoff):
    """Since when a note of this handoff may be on the ticket unrecorded, or None when none can be: an earlier
    attempt of this handoff, or an earlier handoff of the same text to the same ticket that failed without
    recording a note (its answer lost, then it gave up), may have posted it."""
    if handoff.note_id is not None:
        return None
    earlier = (
        Handoff.objects.filter(
            session_id=handoff.session_id,
            ticket_id=handoff.ticket_id,
            kind=handoff.kind,
            state=Handoff.State.FAILED,
            note_id__isnull=True,
            attempts__gte=1,
            created_at__lt=handoff.created_at,
        )
        .order_by("created_at")
        .only("created_at")
        .first()
    )
    if earlier is not None:
        return earlier.created_at
    return handoff.created_at if handoff.attempts > 1 else None


def handoff_give_up(*, handoff_id, code: str, message: str, count_attempts: bool = False) -> Handoff | None:
    """Transient errors outlasted the retries (or the run broke): the handoff fails, its text kept.
    `count_attempts` says how many attempts reached the PSA (a deferred one did not)."""
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is None or handoff.is_finished:
        return handoff
    if count_attempts:
        message = f"{message} (gave up after {handoff.attempts} attempt{'' if handoff.attempts == 1 else 's'})"
    return handoff_fail(handoff, code, message)


def _begin_attempt(handoff_id) -> Handoff:
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().get(pk=handoff_id)
        if handoff.is_finished:
            return handoff
        _wait_as_the_last_attempt_was_told(handoff)
        handoff.state = Handoff.State.POSTING
        handoff.attempts += 1
        handoff.save(update_fields=["state", "attempts", "updated_at"])
    return handoff


def _record_note(handoff: Handoff, note: Note) -> None:
    """Committed on its own, at once: from here on no attempt posts this handoff's note again."""
    handoff.note_id, handoff.note_text = note.id, note.text
    Handoff.objects.filter(pk=handoff.pk).update(note_id=note.id, note_text=note.text, updated_at=timezone.now())


def _wait_as_the_last_attempt_was_told(handoff: Handoff) -> None:
    """Whichever delivery brings an attempt (the task's own retry, a duplicate after a broker's visibility
    timeout, an engineer's Retry), it does not start before the last one was told to wait: a PSA's Retry-After,
    or one more read timeout after a call left unanswered, which the PSA may still apply. Looking on the ticket
    sooner could miss a slow note and post it twice. Refused before it counts as an attempt."""
    if handoff.not_before is None:
        return
    remaining = (handoff.not_before - timezone.now()).total_seconds()
    if remaining > 0:
        message = handoff.error_message or f"Waiting {remaining:.0f} s before trying the PSA again"
        raise PsaTransientError(message, retry_after=remaining)


def seconds_to_wait(retry_after: float | None) -> float:
    """A PSA's Retry-After (or a lost answer's wait), never longer than LONGEST_WAIT_SECONDS: a bad header must
    not stall a handoff."""
    return min(max(retry_after or 0.0, 0.0), LONGEST_WAIT_SECONDS)


def _record_error(handoff: Handoff, exc: PsaTransientError) -> None:
    now = timezone.now()
    wait = seconds_to_wait(exc.retry_after)
    not_before = now + timedelta(seconds=wait) if wait else None
    Handoff.objects.filter(pk=handoff.pk).update(
        error_code=exc.code, error_message=exc.message[:2000], not_before=not_before, updated_at=now
    )


def handoff_succeed(handoff: Handoff, session: Session) -> Handoff:
    """The handoff is done: it records its outcome and closes the session (whose row the caller locked)."""
    handoff.state = Handoff.State.SUCCEEDED
    handoff.outcome = DraftKind(handoff.kind).rules.outcome(local=handoff.is_local)
    handoff.error_code = handoff.error_message = ""
    handoff.finished_at = timezone.now()
    handoff.save()
    session.close(handoff.outcome)
    DraftEdit.objects.filter(session=session).delete()  # posted: the working copies have done their job
    _announce_finished(handoff)
    return handoff


def handoff_fail(handoff: Handoff, code: str, message: str) -> Handoff:
    handoff.state = Handoff.State.FAILED
    handoff.error_code = code
    handoff.error_message = message[:2000]
    handoff.finished_at = timezone.now()
    handoff.save()
    _announce_finished(handoff)
    return handoff


def handoff_stream_id(handoff_id) -> str:
    return f"handoff:{handoff_id}"


def _announce_finished(handoff: Handoff) -> None:
    """Once committed, the page waiting on this handoff is told at once (handoff.events), not at its next poll."""
    stream, state = handoff_stream_id(handoff.pk), handoff.state
    transaction.on_commit(lambda: publish_quietly(stream, "done", {"state": state}))  # the page's poll is the rest
