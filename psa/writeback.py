"""Every PSA step of one post, against any `PsaProvider`: post the note once (looking first for a note
whose answer was lost), move the ticket to its target status, re-read it and verify.

`write_to_ticket` is called once per attempt by the handoff run. It hands the note back through
`on_note_posted` the moment it exists, so the caller commits its id before the next step: that is what
lets a retry resume where it failed and never post a second note.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from psa.providers.base import Note, NoteKind, PsaError, PsaProvider, StatusVerificationFailed, Ticket

NO_TARGET_STATUS = "No target status is configured for this outcome; the ticket's status was left unchanged."


class TicketClosed(PsaError):
    """The ticket is closed in the PSA and the post did not say to write to it anyway: nothing was posted.
    Another session (or someone in the PSA) finished it; a second resolution would confuse the customer."""

    code = "ticket_closed"


@dataclass(frozen=True)
class Post:
    """What one post writes: its note (and whether it is there already) and the status to move to.
    `text` is the engineer's Markdown; the provider renders it as its notes hold it."""

    ticket_id: int
    text: str
    kind: NoteKind
    started_at: datetime  # the first attempt: a note whose answer was lost was entered after it
    notify_customer: bool = False
    target_status_id: int | None = None
    note_id: int | None = None  # set: an earlier attempt recorded the note, never post it again
    answer_may_be_lost: bool = False  # an earlier attempt may have posted without recording it
    allow_closed_ticket: bool = False  # the engineer confirmed writing to a ticket the PSA shows closed


@dataclass(frozen=True)
class Written:
    ticket: Ticket | None  # re-read after the status change; None when no target status is set
    status_transition_skipped_reason: str = ""


def write_to_ticket(provider: PsaProvider, post: Post, *, on_note_posted: Callable[[Note], None]) -> Written:
    """Note → status → verify. PSA errors propagate (transient ones for the caller to retry)."""
    if post.note_id is None:
        on_note_posted(post_note_once(provider, post))
    if not post.target_status_id:
        return Written(ticket=None, status_transition_skipped_reason=NO_TARGET_STATUS)
    return Written(ticket=transition_and_verify(provider, post.ticket_id, post.target_status_id))


def post_note_once(provider: PsaProvider, post: Post) -> Note:
    """The note on the ticket: the one an earlier attempt posted and lost the answer to, else a new one,
    written only to a ticket that is still open unless the engineer confirmed it is closed. Only a
    resolution note may e-mail the customer; an internal note never does."""
    text = provider.render_note(post.text)
    if post.answer_may_be_lost:
        found = find_posted_note(provider, post.ticket_id, text=text, kind=post.kind, since=post.started_at)
        if found is not None:
            return found
    if not post.allow_closed_ticket:
        ensure_ticket_open(provider, post.ticket_id)
    return provider.post_note(
        post.ticket_id,
        text=text,
        kind=post.kind,
        notify_customer=post.notify_customer and post.kind == NoteKind.RESOLUTION,
    )


def ensure_ticket_open(provider: PsaProvider, ticket_id: int) -> None:
    """Read the ticket before writing to it (one more round trip per post): TicketClosed when it is closed."""
    ticket = provider.get_ticket(ticket_id)
    if ticket.closed:
        shown = f" (status “{ticket.status.name}”)" if ticket.status else ""
        raise TicketClosed(
            f"Ticket #{ticket_id} is already closed in {provider.display_name}{shown}, so nothing was posted. "
            "Someone may have finished it in another session or in the PSA. Post to the closed ticket only if "
            "you mean to add this note to it."
        )


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def find_posted_note(
    provider: PsaProvider, ticket_id: int, *, text: str, kind: NoteKind, since: datetime
) -> Note | None:
    """A note with this text and kind already on the ticket: an earlier attempt posted it but its answer
    was lost (a dropped connection, a worker that died before recording it). Every note entered since the
    first attempt is read, page after page: on a busy ticket the lost note may be far from the newest."""
    for note in provider.list_notes_since(ticket_id, since):
        if _same_text(note.text, text) and note.resolution == (kind == NoteKind.RESOLUTION):
            return note
    return None


def transition_and_verify(provider: PsaProvider, ticket_id: int, target_status_id: int) -> Ticket:
    """Move the ticket to the target status, then re-fetch it: a PSA may answer 200 to a status change it
    does not apply (ConnectWise: workflow rules, another board's status, an inactive status)."""
    patched = provider.set_status(ticket_id, target_status_id)
    after = provider.get_ticket(ticket_id)
    if after.status is None or after.status.id != target_status_id or after.board_id != patched.board_id:
        shown = f"{after.status.name} (id {after.status.id})" if after.status else "no status"
        raise StatusVerificationFailed(
            f"The note was posted, but {provider.display_name} kept the ticket at {shown} instead of moving it to "
            f"{_target_label(provider, after.board_id, target_status_id)}. Check the status belongs to the "
            "ticket's board and is active, and the board's workflow rules; then retry.",
            expected_status_id=target_status_id,
            actual=after.status,
        )
    return after


def _target_label(provider: PsaProvider, board_id: int | None, status_id: int) -> str:
    """The target status by name, and why the board would refuse it when it can tell (one more call, made
    only when the change did not stick)."""
    try:
        statuses = provider.list_board_statuses(board_id) if board_id else []
    except PsaError:
        return f"status {status_id}"
    status = next((status for status in statuses if status.id == status_id), None)
    if status is None:
        return f"status {status_id}, which is not a status of the ticket's board"
    if status.inactive:
        return f"“{status.name}” (id {status_id}), which is inactive"
    return f"“{status.name}” (id {status_id})"
