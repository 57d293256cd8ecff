"""ConnectWise Manage behind `PsaProvider` (the REST subset in DESIGN.md §7).

Every HTTP call, the provider's and `discover_codebase()`'s, passes through `_send()`: it always sets a
timeout, never follows a redirect (a redirect could point anywhere, so following it would let a site
URL reach other hosts with our credentials), and turns every failure into one of the `PsaError`s
from `base.py`, so callers never see a status code or a `requests` exception. No message built here
contains the keys or the Authorization header.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import requests
from django.views.decorators.debug import sensitive_variables

from psa.providers.base import (
    BoardStatus,
    ConnectionSettings,
    Note,
    NoteKind,
    PsaAuthError,
    PsaNotFound,
    PsaProvider,
    PsaTransientError,
    PsaValidationError,
    Ticket,
    TicketStatus,
)

T = TypeVar("T")

TimeoutSpec = float | tuple[float, float]

STATUS_PAGE_SIZE = 1000  # ConnectWise's maximum
MAX_STATUS_PAGES = 50  # a board with 50,000 statuses is a server stuck on one "next" link
MAX_ERROR_DETAILS = 3
MAX_MESSAGE_LENGTH = 1000  # CW's message is stored on the handoff and shown in the UI

REDIRECT_MESSAGE = "ConnectWise answered with a redirect; check the site URL"
NOT_JSON_MESSAGE = "ConnectWise answered with something that is not JSON; check the site URL and codebase"
NO_SUCH_COMPANY = "ConnectWise knows no such company; check the company id"
NOT_AN_API = "No ConnectWise API answers at this site URL and codebase"
CODEBASE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,60}/?")  # e.g. "v4_6_release/", "v2025_1/"


def discover_codebase(
    site_url: str, company_id: str, *, timeout: TimeoutSpec = (3.05, 10), session: requests.Session | None = None
) -> str:
    """The company's API codebase (e.g. "v4_6_release/"), asked unauthenticated so setup can fill it in."""
    if session is None:
        with requests.Session() as own_session:
            return discover_codebase(site_url, company_id, timeout=timeout, session=own_session)
    url = f"{site_url.rstrip('/')}/login/companyinfo/{quote(company_id, safe='')}"
    response = _send(
        session, "GET", url, timeout=timeout, not_found=NO_SUCH_COMPANY, headers={"Accept": "application/json"}
    )
    info = _json(response)
    codebase = info.get("Codebase") if isinstance(info, dict) else None
    if not codebase:  # an answer without a codebase (null, {}) names no company we can use
        raise PsaNotFound(NO_SUCH_COMPANY, status_code=response.status_code)
    # The codebase becomes part of every API URL: accept only what a codebase looks like.
    if not isinstance(codebase, str) or not CODEBASE_PATTERN.fullmatch(codebase):
        raise PsaValidationError(
            "ConnectWise answered with a codebase FlowPilot cannot use", status_code=response.status_code
        )
    return codebase


class ConnectWiseProvider(PsaProvider):
    """One account's ConnectWise Manage, over one `requests.Session` carrying its credentials."""

    name = "connectwise"

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        timeout: TimeoutSpec = (3.05, 15),
        session: requests.Session | None = None,
    ):
        self.site_url = settings.site_url.rstrip("/")
        self.base_url = api_base_url(settings.site_url, settings.codebase)
        self._timeout = timeout
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Authorization": _basic_authorization(settings),
                "clientId": settings.client_id,
                "Accept": "application/json",
                "Content-Type": "application/json",
            }
        )

    def __repr__(self) -> str:
        return f"ConnectWiseProvider(base_url={self.base_url!r})"

    def check_credentials(self) -> str:
        response = self._request("GET", f"{self.base_url}/system/info", not_found=NOT_AN_API)
        info = _json(response)
        version = info.get("version") if isinstance(info, dict) else None
        return f"ConnectWise {version}" if isinstance(version, str) and version else "ConnectWise"

    def get_ticket(self, ticket_id: int) -> Ticket:
        response = self._request("GET", self._ticket_url(ticket_id), not_found=_no_ticket(ticket_id))
        return _parse(_ticket_from, _json(response), "a ticket")

    def post_note(self, ticket_id: int, *, text: str, kind: NoteKind, notify_customer: bool = False) -> Note:
        body = {
            "text": text,
            "detailDescriptionFlag": False,
            "internalAnalysisFlag": kind == NoteKind.INTERNAL,
            "resolutionFlag": kind == NoteKind.RESOLUTION,
            "customerUpdatedFlag": False,
            "processNotifications": notify_customer,
        }
        url = f"{self._ticket_url(ticket_id)}/notes"
        response = self._request("POST", url, not_found=_no_ticket(ticket_id), json=body)
        return _parse(lambda data: _note_from(data, ticket_id), _json(response), "a note")

    def list_recent_notes(self, ticket_id: int, *, limit: int = 25) -> list[Note]:
        params = {"orderBy": "id desc", "pageSize": limit, "page": 1}
        url = f"{self._ticket_url(ticket_id)}/notes"
        response = self._request("GET", url, not_found=_no_ticket(ticket_id), params=params)
        return _parse(lambda rows: [_note_from(row, ticket_id) for row in rows], _json(response), "notes")

    def set_status(self, ticket_id: int, status_id: int) -> Ticket:
        patch = [{"op": "replace", "path": "status", "value": {"id": status_id}}]
        response = self._request("PATCH", self._ticket_url(ticket_id), not_found=_no_ticket(ticket_id), json=patch)
        return _parse(_ticket_from, _json(response), "a ticket")

    def list_board_statuses(self, board_id: int) -> list[BoardStatus]:
        not_found = f"ConnectWise has no board {int(board_id)} that these credentials can see"
        url = f"{self.base_url}/service/boards/{int(board_id)}/statuses"
        params: dict[str, int] | None = {"page": 1, "pageSize": STATUS_PAGE_SIZE}
        statuses: list[BoardStatus] = []
        for _page in range(MAX_STATUS_PAGES):
            response = self._request("GET", url, not_found=not_found, params=params)
            statuses += _parse(lambda rows: [_board_status_from(row) for row in rows], _json(response), "statuses")
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return statuses
            # The next link carries its own page and pageSize; it is followed only on our own site.
            url, params = urljoin(response.url, next_url), None
            if _origin(url) != _origin(self.site_url):
                raise PsaValidationError("ConnectWise's next-page link points to another site; not following it")
        raise PsaValidationError(f"ConnectWise offered more than {MAX_STATUS_PAGES} pages of board statuses")

    def _ticket_url(self, ticket_id: int) -> str:
        return f"{self.base_url}/service/tickets/{int(ticket_id)}"

    def _request(self, method: str, url: str, *, not_found: str, **kwargs: Any) -> requests.Response:
        return _send(self._session, method, url, timeout=self._timeout, not_found=not_found, **kwargs)


def api_base_url(site_url: str, codebase: str) -> str:
    """`{site}/{codebase}apis/3.0` with exactly one slash between pieces, however the codebase was typed."""
    pieces = [site_url.rstrip("/"), codebase.strip("/"), "apis/3.0"]
    return "/".join(piece for piece in pieces if piece)


def _send(
    session: requests.Session, method: str, url: str, *, timeout: TimeoutSpec, not_found: str, **kwargs: Any
) -> requests.Response:
    """The one place ConnectWise is called: a timeout, no redirects, and errors mapped to `PsaError`s."""
    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.ReadTimeout as exc:
        # The request went out and its answer never came: ConnectWise may still apply it. Waiting as long
        # again before the retry looks (for a note: on the ticket) keeps a slow note from being posted twice.
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        raise PsaTransientError("ConnectWise did not answer in time", retry_after=read_timeout) from exc
    except requests.Timeout as exc:  # before ConnectionError: a connect timeout is both
        raise PsaTransientError("ConnectWise did not answer in time") from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise PsaTransientError("Could not reach ConnectWise: the connection was refused or dropped") from exc
    except requests.RequestException as exc:  # a malformed URL or header: nothing a retry would fix
        raise PsaValidationError("ConnectWise could not be called; check the site URL and client id") from exc
    _raise_for_status(response, not_found=not_found)
    return response


def _raise_for_status(response: requests.Response, *, not_found: str) -> None:
    status = response.status_code
    if status < 300:
        return
    if status < 400:
        raise PsaValidationError(REDIRECT_MESSAGE, status_code=status)
    if status in (401, 403):
        raise PsaAuthError(
            f"ConnectWise refused the credentials (HTTP {status}); "
            "check the company id, public and private keys and client id",
            status_code=status,
        )
    if status == 404:
        raise PsaNotFound(not_found, status_code=status)
    if status == 429:
        raise PsaTransientError(
            "ConnectWise is rate limiting requests (HTTP 429); try again shortly",
            status_code=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    if status >= 500:
        raise PsaTransientError(
            f"ConnectWise is unavailable (HTTP {status}); try again shortly",
            status_code=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    raise PsaValidationError(_rejection_message(response), status_code=status)


def _rejection_message(response: requests.Response) -> str:
    """ConnectWise's own explanation from its `{code, message, errors: [{message, …}]}` envelope."""
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        return f"ConnectWise rejected the request (HTTP {response.status_code})"
    message = envelope.get("message")
    if not isinstance(message, str) or not message.strip():
        message = f"ConnectWise rejected the request (HTTP {response.status_code})"
    errors = envelope.get("errors")
    details = [
        error["message"].strip()
        for error in (errors if isinstance(errors, list) else [])
        if isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"].strip()
    ][:MAX_ERROR_DETAILS]
    if details:
        message = f"{message.strip().rstrip('.')}: {'; '.join(details)}"
    return message.strip()[:MAX_MESSAGE_LENGTH]


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay seconds or an HTTP-date); None when absent or garbled."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000" dates come back naive; HTTP-dates are always UTC
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PsaValidationError(NOT_JSON_MESSAGE, status_code=response.status_code) from exc


def _parse(build: Callable[[Any], T], data: Any, what: str) -> T:
    """Build our dataclass from CW's JSON; a missing or mistyped field is a rejection, not a crash."""
    try:
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PsaValidationError(f"ConnectWise answered with {what} FlowPilot cannot read") from exc


def _ticket_from(data: dict[str, Any]) -> Ticket:
    board = data.get("board") or {}
    status = data.get("status") or {}
    return Ticket(
        id=int(data["id"]),
        summary=str(data.get("summary") or ""),
        board_id=int(board["id"]) if board.get("id") is not None else None,
        board_name=str(board.get("name") or ""),
        status=TicketStatus(id=int(status["id"]), name=str(status.get("name") or ""))
        if status.get("id") is not None
        else None,
        closed=bool(data.get("closedFlag", False)),
    )


def _note_from(data: dict[str, Any], ticket_id: int) -> Note:
    return Note(
        id=int(data["id"]),
        ticket_id=int(data.get("ticketId") or ticket_id),
        text=str(data.get("text") or ""),
        internal=bool(data.get("internalAnalysisFlag", False)),
        resolution=bool(data.get("resolutionFlag", False)),
    )


def _board_status_from(data: dict[str, Any]) -> BoardStatus:
    return BoardStatus(
        id=int(data["id"]),
        name=str(data.get("name") or ""),
        closed=bool(data.get("closedStatus", False)),
        inactive=bool(data.get("inactive", False)),
    )


def _no_ticket(ticket_id: int) -> str:
    return f"ConnectWise has no ticket {int(ticket_id)} that these credentials can see"


@sensitive_variables("credentials")
def _basic_authorization(settings: ConnectionSettings) -> str:
    credentials = f"{settings.company_id}+{settings.public_key}:{settings.private_key}"
    return "Basic " + base64.b64encode(credentials.encode()).decode("ascii")


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:  # a garbled port never matches our own site
        return ("", None, None)
    return (parts.scheme.lower(), parts.hostname, port)
