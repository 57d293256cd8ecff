"""The PSA provider interface: what FlowPilot needs from a PSA, its dataclasses and its errors.

One module per PSA implements `PsaProvider` (ConnectWise first). Every provider maps its own HTTP
answers onto the small error hierarchy below, so the writeback service never sees a status code.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass


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

    @abc.abstractmethod
    def check_credentials(self) -> str:
        """An authenticated call that touches no ticket; returns what answered (e.g. "ConnectWise v2025.1")."""

    @abc.abstractmethod
    def get_ticket(self, ticket_id: int) -> Ticket: ...

    @abc.abstractmethod
    def post_note(self, ticket_id: int, *, text: str, kind: NoteKind, notify_customer: bool = False) -> Note: ...

    @abc.abstractmethod
    def list_recent_notes(self, ticket_id: int, *, limit: int = 25) -> list[Note]:
        """The ticket's newest notes, newest first: how a retry finds a note whose answer was lost."""

    @abc.abstractmethod
    def set_status(self, ticket_id: int, status_id: int) -> Ticket: ...

    @abc.abstractmethod
    def list_board_statuses(self, board_id: int) -> list[BoardStatus]:
        """Every status of the board (all pages), inactive ones included; callers filter."""
