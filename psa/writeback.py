"""Writing a handoff to a PSA ticket, one step at a time, against any `PsaProvider`.

The caller (handoff.services) records each step's result before taking the next, which is what lets
a retry resume where it failed and never post a second note.
"""

from psa.providers.base import Note, NoteKind, PsaError, PsaProvider, StatusVerificationFailed, Ticket

NO_TARGET_STATUS = "No target status is configured for this outcome; the ticket's status was left unchanged."


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def find_posted_note(provider: PsaProvider, ticket_id: int, *, text: str, kind: NoteKind) -> Note | None:
    """A note with this text and kind already on the ticket: an earlier attempt posted it but its answer
    was lost (a dropped connection, a worker that died before recording it)."""
    for note in provider.list_recent_notes(ticket_id):
        if _same_text(note.text, text) and note.resolution == (kind == NoteKind.RESOLUTION):
            return note
    return None


def transition_and_verify(provider: PsaProvider, ticket_id: int, target_status_id: int) -> Ticket:
    """Move the ticket to the target status, then re-fetch it: ConnectWise answers 200 to status changes
    it does not apply (workflow rules, another board's status, an inactive status)."""
    patched = provider.set_status(ticket_id, target_status_id)
    after = provider.get_ticket(ticket_id)
    if after.status is None or after.status.id != target_status_id or after.board_id != patched.board_id:
        shown = f"{after.status.name} (id {after.status.id})" if after.status else "no status"
        raise StatusVerificationFailed(
            f"The note was posted, but ConnectWise kept the ticket at {shown} instead of moving it to "
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
