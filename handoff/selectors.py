"""Reads of handoffs, scoped to the user's account."""

from django.shortcuts import get_object_or_404

from accounts.selectors import membership_for
from handoff.models import Handoff
from sessions.models import Session


def handoff_for_user(user, handoff_id) -> Handoff:
    """The handoff if its session belongs to the user's account, else Http404."""
    membership = membership_for(user)
    account_id = membership.account_id if membership else None
    return get_object_or_404(Handoff.objects.filter(session__account_id=account_id), pk=handoff_id)


def latest_handoff(session: Session) -> Handoff | None:
    return Handoff.objects.filter(session=session).select_related("created_by").first()


def failed_handoff(session: Session, kind: str) -> Handoff | None:
    return Handoff.objects.filter(session=session, kind=kind, state=Handoff.State.FAILED).first()


def earlier_resolution_on_ticket(session: Session) -> Handoff | None:
    """A resolution note FlowPilot already posted to this session's ticket from another session of the account:
    the ticket may still be open in the PSA (no target status set, or one the PSA does not count as closed)."""
    if session.psa_ticket_id is None:
        return None
    return (
        Handoff.objects.filter(
            session__account_id=session.account_id,
            ticket_id=session.psa_ticket_id,
            note_kind="resolution",
            state=Handoff.State.SUCCEEDED,
        )
        .exclude(session=session)
        .select_related("session", "created_by")
        .order_by("-finished_at")
        .first()
    )
