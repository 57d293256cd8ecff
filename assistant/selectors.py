"""Finding the assistant's records inside the user's account: another account's ids are 404."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from assistant.models import Message, Proposal
from sessions.models import Session


def transcript_of(session: Session) -> QuerySet[Message]:
    """The session's messages, oldest first, each with its proposals, in two queries however many."""
    return (
        Message.objects.filter(session=session)
        .order_by("seq")
        .prefetch_related(Prefetch("proposals", queryset=Proposal.objects.order_by("position")))
    )


def message_in(session: Session, message_id) -> Message:
    message = transcript_of(session).filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message.")
    return message


def proposal_in(session: Session, proposal_id) -> Proposal:
    proposal = Proposal.objects.filter(session=session, pk=proposal_id).first()
    if proposal is None:
        raise Http404("No such proposal.")
    return proposal
