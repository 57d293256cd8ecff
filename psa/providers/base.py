"""The PSA provider interface: what FlowPilot needs from a PSA, its dataclasses and its errors.

One module per PSA implements `PsaProvider` (ConnectWise first). Every provider maps its own HTTP
answers onto the small error hierarchy below, so the writeback service never sees a status code.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime


class NoteKind(enum.StrEnum):
    RESOLUTION = "resolution"  # customer-visible resolution note
    INTERNAL = "internal"  # internal analysis, never shown to the customer


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one account's PSA. `private_key` is the decrypted secret: never log this object."""

    site_url: str
    company_id: str
    public_key: str
    private_key: str
    client_id: str
    codebase: str = "v4_6_release/"

    def __repr__(self) -> str:  # keeps the private key out of tracebacks and logs
        return f"ConnectionSettings(site_url={self.site_url!r}, company_id={self.company_id!r})"


@dataclass(frozen=True)
class TicketStatus:
    id: int
    name: str


@dataclass(frozen=True)
class Ticket:
    id: int
    summary: str
    board_id: int | None
    board_name: str
    status: TicketStatus | None
    closed: bool


@dataclass(frozen=True)
class BoardStatus:
    id: int
    name: str
    closed: bool
    inactive: bool


@dataclass(frozen=True)
class Note:
    id: int
    ticket_id: int
    text: str
    internal: bool
    resolution: bool


@dataclass(frozen=True)
class TicketNote:
    """A note as the engineer reads it on the ticket. `text` is the PSA's, untrusted: shown escaped, never as HTML."""

    id: int
    text: str
    author: str  # who wrote it, as the PSA names them ("" when it does not say)
    created_at: datetime | None
    internal: bool  # False: the customer can see it

    @property
    def visibility(self) -> str:
        return "internal" if self.internal else "customer"


@dataclass(frozen=True)
class TicketContext:
    """What the ticket says about the problem: who reported it, where, how urgent, its first description and
    the latest notes (newest first). Fields the PSA leaves empty are ""."""

    id: int
    summary: str
    board_name: str
    status_name: str
    closed: bool
    company_name: str
    contact_name: str
    contact_email: str
    contact_phone: str
    site_name: str
    priority_name: str
    description: TicketNote | None  # the note the ticket was opened with, when the PSA still shows it
    recent_notes: tuple[TicketNote, ...]
    web_url: str  # opens the ticket in the PSA's own UI
    psa_name: str  # the PSA in words, for that link ("Open ticket #N in ConnectWise")

    def note(self, note_id: int) -> TicketNote | None:
        """The description or one of the recent notes, by id."""
        notes = (self.description, *self.recent_notes) if self.description else self.recent_notes
        return next((note for note in notes if note.id == note_id), None)


class PsaError(Exception):
    """A PSA call failed. `code` is the error code the API and UI show."""

    code = "psa_error"
    transient = False

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class PsaAuthError(PsaError):
    """The PSA refused the credentials (wrong keys, company or client id)."""

    code = "psa_auth_failed"


class PsaPermissionDenied(PsaAuthError):
    """The credentials are right, but the API member's security role does not allow this call."""

    code = "psa_permission_denied"


class PsaNotFound(PsaError):
    """The ticket (or board) does not exist, or these credentials cannot see it."""

    code = "psa_ticket_not_found"


class PsaValidationError(PsaError):
    """The PSA rejected what we sent; `message` is the PSA's own explanation."""

    code = "psa_rejected"


class PsaTransientError(PsaError):
    """Worth retrying: 429, 5xx, a timeout or a dropped connection. `retry_after` is in seconds."""

    code = "psa_unavailable"
    transient = True

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class StatusVerificationFailed(PsaError):
    """The PSA accepted a status change but the re-fetched ticket does not show it."""

    code = "status_verification_failed"

    def __init__(self, message: str, *, expected_status_id: int, actual: TicketStatus | None):
        super().__init__(message)
        self.expected_status_id = expected_status_id
        self.actual = actual


class PsaProvider(abc.ABC):
    """What FlowPilot asks of a PSA. Implementations talk HTTP with timeouts and raise `PsaError`s."""

    name: str
    display_name: str  # the PSA in words, as messages name it ("ConnectWise")
    note_format: str  # what a note is on this PSA, in words ("plain text"); `render_note` makes it

    @staticmethod
    @abc.abstractmethod
    def render_note(markdown: str) -> str:
        """The engineer's Markdown as this PSA's notes hold it: exactly the text that lands on the ticket."""

    @abc.abstractmethod
    def check_credentials(self) -> str:
        """An authenticated call that touches no ticket; returns what answered (e.g. "ConnectWise v2025.1")."""

    @abc.abstractmethod
    def get_ticket(self, ticket_id: int) -> Ticket: ...

    @abc.abstractmethod
    def get_ticket_context(self, ticket_id: int, *, recent_notes: int = 5) -> TicketContext:
        """The ticket with its company, contact, site and priority, its first description and its
        `recent_notes` newest notes: for the engineer to read, in as few calls as the PSA allows."""

    @abc.abstractmethod
    def post_note(self, ticket_id: int, *, text: str, kind: NoteKind, notify_customer: bool = False) -> Note: ...

    @abc.abstractmethod
    def list_notes_since(self, ticket_id: int, since: datetime) -> Iterator[Note]:
        """Every note entered on the ticket since `since`, newest first, page after page as they are read:
        how a retry finds a note whose answer was lost, however busy the ticket."""

    @abc.abstractmethod
    def set_status(self, ticket_id: int, status_id: int) -> Ticket: ...

    @abc.abstractmethod
    def list_board_statuses(self, board_id: int) -> list[BoardStatus]:
        """Every status of the board (all pages), inactive ones included; callers filter."""
