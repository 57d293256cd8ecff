"""Confirm & post: create the handoff and queue it once it is committed, or retry a failed one. The worker
runs it (`handoff.run`); the session closes only when a handoff succeeds."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import account_settings_for, audit_record
from drafting.kinds import DraftKind
from drafting.models import Draft
from drafting.services import clean_markdown
from flowpilot.celery import enqueue_on_commit
from flowpilot.errors import DomainError
from handoff.models import Handoff
from handoff.run import handoff_fail, handoff_succeed
from handoff.selectors import earlier_resolution_on_ticket
from handoff.tasks import post_handoff
from psa import services as psa_services
from psa.writeback import TicketClosed
from sessions.models import Session, SuggestedFix
from sessions.selectors import active_fix

IN_PROGRESS = "A post for this session is already in progress; wait for it to finish."


def ticket_looks_done(*, session: Session, kind: DraftKind) -> str:
    """Why posting to the session's ticket needs the engineer to confirm first, in words ("" when it does not):
    FlowPilot already resolved it from another session, or the PSA showed it closed when the workspace read
    it (the cached ticket: the page never waits on the PSA; the handoff's own check before posting holds)."""
    if session.psa_ticket_id is None:
        return ""
    earlier = earlier_resolution_on_ticket(session) if kind.rules.customer_visible else None
    if earlier is not None:
        when = timezone.localtime(earlier.finished_at).strftime("%-d %b, %H:%M")
        return (
            f"Ticket {session.ticket_ref} already has a resolution note from FlowPilot: "
            f"{earlier.created_by or 'someone'} posted it on {when} from “{earlier.session.title}”."
        )
    ticket = psa_services.ticket_context_if_known(account=session.account, ticket_id=session.psa_ticket_id)
    if ticket is not None and ticket.closed:
        return f"Ticket {session.ticket_ref} is already closed in the PSA (status “{ticket.status_name}”)."
    return ""


def post_warnings(*, session: Session, kind: DraftKind) -> list[str]:
    """What the engineer should know before posting: a resolution tells the customer it is fixed, so say so
    when nothing recorded says it was. The page asks them to confirm; the API answers it in `warnings`."""
    if not kind.rules.customer_visible:
        return []
    fix = active_fix(session)
    if fix is None:
        return [
            "No fix is recorded for this session. Resolve only if the problem is really fixed, or escalate instead."
        ]
    if fix.outcome != SuggestedFix.Outcome.APPLIED_SUCCESS:
        return [
            f"The suggested fix is “{fix.get_outcome_display()}”, not confirmed as fixing it. "
            "Record its outcome first, or escalate instead."
        ]
    return []


def handoff_post(
    *,
    session: Session,
    kind: DraftKind,
    markdown: str,
    user,
    confirm_closed_ticket: bool = False,
    warnings_confirmed: bool = True,
) -> Handoff:
    """Confirm & post. A linked ticket → a handoff queued for the worker; no ticket → closed locally now.
    `confirm_closed_ticket`: the engineer means to post even if the PSA shows the ticket closed.
    `warnings_confirmed=False` (the page, until the engineer ticks the box) refuses a post that has
    `post_warnings`; the API posts as asked and returns them."""
    markdown = clean_markdown(markdown)
    try:
        with transaction.atomic():
            handoff = _create_handoff(
                session=session,
                kind=kind,
                markdown=markdown,
                user=user,
                confirm_closed_ticket=confirm_closed_ticket,
                warnings_confirmed=warnings_confirmed,
            )
            audit_record(
                account=session.account,
                actor=user,
                action="handoff.posted",
                target=f"Ticket {session.ticket_ref}"
                if handoff.ticket_id
                else f"Session “{session.title}” (no ticket)",
                details={
                    "kind": str(kind),
                    "session": str(session.pk),
                    "ticket_id": handoff.ticket_id,
                    "handoff": str(handoff.pk),
                },
            )
            if handoff.is_active:
                _enqueue_on_commit(handoff, new=True)
    except IntegrityError:  # the partial unique index caught a concurrent post the row lock did not
        raise DomainError(IN_PROGRESS, code="handoff_in_progress") from None
    handoff.refresh_from_db()  # with eager tasks (the embedded default) it has already finished
    return handoff


def _create_handoff(
    *, session: Session, kind: DraftKind, markdown: str, user, confirm_closed_ticket: bool, warnings_confirmed: bool
) -> Handoff:
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
    warnings = [] if warnings_confirmed else post_warnings(session=locked, kind=kind)
    if warnings:
        raise DomainError(f"Nothing was posted. {warnings[0]} Tick the box to post it anyway.", code="unconfirmed")
    draft = Draft.objects.filter(session=locked, kind=kind).order_by("-state_version", "-id").first()
    handoff = Handoff(
        session=locked,
        kind=kind,
        markdown=markdown,
        draft=draft,
        drafted_markdown=draft.markdown if draft else "",
        drafted_state_version=draft.state_version if draft else None,
        created_by=user,
        note_kind=kind.rules.note_kind,
        ticket_id=locked.psa_ticket_id,
        confirm_closed_ticket=confirm_closed_ticket,
    )
    if locked.psa_ticket_id is None:
        handoff.save()
        return handoff_succeed(handoff, locked)
    psa_connection = psa_services.connection_for(locked.account)
    if psa_connection is None:
        raise psa_services.PsaNotConfigured(
            f"Ticket {locked.ticket_ref} cannot be updated: this account has no PSA connection. "
            "An admin can add one in the admin under PSA connections.",
        )
    handoff.provider = psa_connection.provider
    handoff.target_status_id = account_settings_for(locked.account).status_id(kind.rules.target_status_key)
    handoff.save()
    return _refused_as_second_resolution(handoff, locked) or handoff


def _refused_as_second_resolution(handoff: Handoff, session: Session) -> Handoff | None:
    """The handoff failed with `ticket_closed` when FlowPilot already resolved its ticket from another session
    and the engineer has not confirmed a second resolution note; None when it may go ahead."""
    if handoff.confirm_closed_ticket or handoff.note_id or not DraftKind(handoff.kind).rules.customer_visible:
        return None
    earlier = earlier_resolution_on_ticket(session)
    if earlier is None:
        return None
    return handoff_fail(handoff, TicketClosed.code, earlier_resolution_words(earlier))


def earlier_resolution_words(earlier: Handoff) -> str:
    when = timezone.localtime(earlier.finished_at).strftime("%-d %b %Y, %H:%M")
    return (
        f"Ticket #{earlier.ticket_id} already has a resolution note from FlowPilot: {earlier.created_by or 'someone'} "
        f"posted it on {when} from the session “{earlier.session.title}”, so nothing was posted. Post a second "
        "one only if you mean the customer to read two."
    )


def _enqueue_on_commit(handoff: Handoff, *, new: bool) -> None:
    """The worker must find the committed row, so the task is sent once the transaction commits; a queue
    that is down then answers 503 with nothing half written: a new handoff is removed (nothing was sent
    anywhere), a retried one fails again with its text and history kept."""

    def queue_unavailable() -> None:
        if new:
            handoff.delete()
        else:
            handoff_fail(handoff, "queue_unavailable", "The task queue was unreachable; nothing was retried.")

    enqueue_on_commit(post_handoff, str(handoff.pk), on_unavailable=queue_unavailable)


def _ensure_no_wait_asked(handoff: Handoff) -> None:
    """A Retry inside the wait the last attempt was told (a PSA's Retry-After, or the time a slow note may still
    take to land) is refused in words: it could not start sooner anyway."""
    if handoff.not_before is not None and handoff.not_before > timezone.now():
        seconds = max(1, round((handoff.not_before - timezone.now()).total_seconds()))
        raise DomainError(
            f"The PSA asked FlowPilot to wait before trying again (or may still be taking the note): retry in "
            f"{seconds} s.",
            code="retry_too_soon",
        )


def handoff_retry(*, handoff: Handoff, confirm_closed_ticket: bool = False, user=None) -> Handoff:
    """Run a failed handoff again with its kept text; it resumes at the step that failed. A handoff
    whose task was lost (active, untouched for `Handoff.STALE_AFTER`) may be retried too.
    `confirm_closed_ticket` lets it write to a ticket the PSA showed closed (`ticket_closed`).
    `user` (who asked) is on the audit trail with the ticket."""
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
            _ensure_no_wait_asked(locked)
            locked.confirm_closed_ticket = locked.confirm_closed_ticket or confirm_closed_ticket
            audit_record(
                account=locked.session.account,
                actor=user,
                action="handoff.retried",
                target=f"Ticket #{locked.ticket_id}",
                details={
                    "kind": locked.kind,
                    "session": str(locked.session_id),
                    "ticket_id": locked.ticket_id,
                    "handoff": str(locked.pk),
                    "confirm_closed_ticket": confirm_closed_ticket,
                },
            )
            if _refused_as_second_resolution(locked, locked.session):
                return locked
            # The account's target status now: an admin may have fixed the one a PSA refused.
            rules = DraftKind(locked.kind).rules
            locked.target_status_id = account_settings_for(locked.session.account).status_id(rules.target_status_key)
            locked.state = Handoff.State.QUEUED
            locked.error_code = locked.error_message = ""
            locked.finished_at = None
            locked.save(
                update_fields=[
                    "target_status_id",
                    "confirm_closed_ticket",
                    "state",
                    "error_code",
                    "error_message",
                    "finished_at",
                    "updated_at",
                ]
            )
            _enqueue_on_commit(locked, new=False)
    except IntegrityError:
        raise DomainError(IN_PROGRESS, code="handoff_in_progress") from None
    locked.refresh_from_db()
    return locked
