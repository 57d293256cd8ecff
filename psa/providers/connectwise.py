"""ConnectWise Manage behind `PsaProvider` (the REST subset in DESIGN.md §7).

Every HTTP call, the provider's and `discover_codebase()`'s, passes through `_send()`: it always sets a
timeout, never follows a redirect (a redirect could point anywhere, so following it would let a site
URL reach other hosts with our credentials), and turns every failure into one of the `PsaError`s
from `base.py`, so callers never see a status code or a `requests` exception. No message built here
contains the keys or the Authorization header.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests
from django.views.decorators.debug import sensitive_variables

from psa.http import guarded_session
from psa.plaintext import markdown_to_plain_text
from psa.providers._http import (
    CLOCK_SKEW,
    T,
    TimeoutSpec,
    origin_of,
    parse,
    parse_datetime,
    parse_json,
    raise_if_busy,
    send,
    trimmed,
)
from psa.providers.base import (
    BoardStatus,
    ConnectionSettings,
    Note,
    NoteKind,
    PsaAuthError,
    PsaError,
    PsaNotFound,
    PsaPermissionDenied,
    PsaProvider,
    PsaTransientError,
    PsaValidationError,
    Ticket,
    TicketContext,
    TicketNote,
    TicketStatus,
)

STATUS_PAGE_SIZE = 1000  # ConnectWise's maximum
NOTE_PAGE_SIZE = 100
MAX_NOTE_PAGES = 100  # 10,000 notes since one post began: a ticket no person reads
DEFAULT_API_VERSION = "2025.1"
# The ticket's context reads one page of notes, newest first: nearly every ticket's notes fit in it, so its
# oldest is the one the ticket was opened with.
CONTEXT_NOTE_PAGE_SIZE = 100
CONTEXT_TICKET_FIELDS = (
    "id,summary,board,status,closedFlag,company,site,siteName,contact,contactName,"
    "contactEmailAddress,contactPhoneNumber,contactPhoneExtension,priority"
)
CONTEXT_NOTE_FIELDS = (
    "id,text,detailDescriptionFlag,internalAnalysisFlag,resolutionFlag,member,contact,dateCreated,createdBy"
)
MAX_STATUS_PAGES = 50  # a board with 50,000 statuses is a server stuck on one "next" link
MAX_ERROR_DETAILS = 3
MAX_MESSAGE_LENGTH = 1000  # CW's message is stored on the handoff and shown in the UI

REDIRECT_MESSAGE = "ConnectWise answered with a redirect; check the site URL"
NOT_JSON_MESSAGE = "ConnectWise answered with something that is not JSON; check the site URL and codebase"
NO_SUCH_COMPANY = "ConnectWise knows no such company; check the company id"
NOT_AN_API = "No ConnectWise API answers at this site URL and codebase"
# The security-role permission each call needs (ConnectWise: System > Security Roles > the API member's role).
TICKETS_INQUIRE = "Service Desk > Service Tickets: Inquire"
TICKETS_EDIT = "Service Desk > Service Tickets: Add and Edit"
BOARDS_INQUIRE = "System > Table Setup: Inquire (service boards)"
CODEBASE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,60}/?")  # e.g. "v4_6_release/", "v2025_1/"


def discover_codebase(
    site_url: str, company_id: str, *, timeout: TimeoutSpec = (3.05, 10), session: requests.Session | None = None
) -> str:
    """The company's API codebase (e.g. "v4_6_release/"), asked unauthenticated so setup can fill it in."""
    if session is None:
        with guarded_session() as own_session:
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
    """One account's ConnectWise Manage, over one `requests.Session` carrying its credentials.

    Every call pins the API version in `Accept`, so a ConnectWise release cannot change the shapes we read.
    A cloud upgrade moves the codebase (`v2025_1/` → `v2025_2/`) and every old path answers 404: the first
    404 asks companyinfo for the codebase once, and if it moved, the call is made again on the new one and
    `on_codebase_moved` is told, so the connection keeps it.
    """

    name = "connectwise"
    display_name = "ConnectWise"
    note_format = "plain text"
    render_note = staticmethod(markdown_to_plain_text)  # ConnectWise shows a note's text as it is

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        timeout: TimeoutSpec = (3.05, 15),
        session: requests.Session | None = None,
        api_version: str = DEFAULT_API_VERSION,
        on_codebase_moved: Callable[[str], None] | None = None,
    ):
        self.site_url = settings.site_url.rstrip("/")
        self.codebase = settings.codebase
        self.base_url = api_base_url(settings.site_url, settings.codebase)
        self._company_id = settings.company_id
        self._on_codebase_moved = on_codebase_moved
        self._codebase_checked = False
        self._timeout = timeout
        self._session = session or guarded_session()
        self._session.headers.update(
            {
                "Authorization": _basic_authorization(settings),
                "clientId": settings.client_id,
                "Accept": f"application/vnd.connectwise.com+json; version={api_version}",
                "Content-Type": "application/json",
            }
        )

    def __repr__(self) -> str:
        return f"ConnectWiseProvider(base_url={self.base_url!r})"

    def check_credentials(self) -> str:
        response = self._request("GET", "system/info", not_found=NOT_AN_API, doing=("reading the system info", None))
        info = _json(response)
        version = info.get("version") if isinstance(info, dict) else None
        return f"ConnectWise {version}" if isinstance(version, str) and version else "ConnectWise"

    def get_ticket(self, ticket_id: int) -> Ticket:
        doing = (f"reading ticket {int(ticket_id)}", TICKETS_INQUIRE)
        response = self._request("GET", self._ticket_path(ticket_id), not_found=_no_ticket(ticket_id), doing=doing)
        return _parse(_ticket_from, _json(response), "a ticket")

    def get_ticket_context(self, ticket_id: int, *, recent_notes: int = 5) -> TicketContext:
        """Two calls: the ticket (only the fields shown) and one page of its notes, newest first."""
        not_found = _no_ticket(ticket_id)
        path = self._ticket_path(ticket_id)
        doing = (f"reading ticket {int(ticket_id)}", TICKETS_INQUIRE)
        fields = {"fields": CONTEXT_TICKET_FIELDS}
        ticket = _json(self._request("GET", path, not_found=not_found, doing=doing, params=fields))
        doing = (f"reading the notes of ticket {int(ticket_id)}", TICKETS_INQUIRE)
        params = {"orderBy": "id desc", "page": 1, "pageSize": CONTEXT_NOTE_PAGE_SIZE, "fields": CONTEXT_NOTE_FIELDS}
        notes = self._request("GET", f"{path}/notes", not_found=not_found, doing=doing, params=params)
        rows = _parse(lambda rows: [_ticket_note_from(row) for row in rows], _json(notes), "notes")
        # A full page may not reach back to the first note: then the description is not known, rather than wrong.
        description = _first_description(rows) if len(rows) < CONTEXT_NOTE_PAGE_SIZE else None
        recent = tuple(note for note, _discussion in rows if note is not description and note.text)
        build = functools.partial(
            _ticket_context_from,
            description=description,
            recent=recent[: max(0, recent_notes)],
            web_url=self.ticket_web_url(ticket_id),
            psa_name=self.display_name,
        )
        return _parse(build, ticket, "a ticket")

    def ticket_web_url(self, ticket_id: int) -> str:
        """The ticket in ConnectWise's own UI, on the host the API's site URL names."""
        query = urlencode({"service_recid": int(ticket_id), "companyName": self._company_id})
        codebase = self.codebase.strip("/")
        return f"{ui_origin(self.site_url)}/{codebase}/services/system_io/Service/fv_sr100_request.rails?{query}"

    def post_note(self, ticket_id: int, *, text: str, kind: NoteKind, notify_customer: bool = False) -> Note:
        body = {
            "text": text,
            "detailDescriptionFlag": False,
            "internalAnalysisFlag": kind == NoteKind.INTERNAL,
            "resolutionFlag": kind == NoteKind.RESOLUTION,
            "customerUpdatedFlag": False,
            "processNotifications": notify_customer,
        }
        doing = (f"adding a note to ticket {int(ticket_id)}", TICKETS_EDIT)
        path = f"{self._ticket_path(ticket_id)}/notes"
        response = self._request("POST", path, not_found=_no_ticket(ticket_id), doing=doing, json=body)
        return _parse(lambda data: _note_from(data, ticket_id), _json(response), "a note")

    def list_notes_since(self, ticket_id: int, since: datetime) -> Iterator[Note]:
        doing = (f"reading the notes of ticket {int(ticket_id)}", TICKETS_INQUIRE)
        after = (since - CLOCK_SKEW).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {"conditions": f"dateCreated >= [{after}]", "orderBy": "id desc", "pageSize": NOTE_PAGE_SIZE}
        path = f"{self._ticket_path(ticket_id)}/notes"
        for page in range(1, MAX_NOTE_PAGES + 1):
            response = self._request(
                "GET", path, not_found=_no_ticket(ticket_id), doing=doing, params={**params, "page": page}
            )
            notes = _parse(lambda rows: [_note_from(row, ticket_id) for row in rows], _json(response), "notes")
            yield from notes
            if len(notes) < NOTE_PAGE_SIZE:
                return
        raise PsaValidationError(f"Ticket {int(ticket_id)} has more than {MAX_NOTE_PAGES * NOTE_PAGE_SIZE} new notes")

    def set_status(self, ticket_id: int, status_id: int) -> Ticket:
        patch = [{"op": "replace", "path": "status", "value": {"id": status_id}}]
        doing = (f"changing the status of ticket {int(ticket_id)}", TICKETS_EDIT)
        response = self._request(
            "PATCH", self._ticket_path(ticket_id), not_found=_no_ticket(ticket_id), doing=doing, json=patch
        )
        return _parse(_ticket_from, _json(response), "a ticket")

    def list_board_statuses(self, board_id: int) -> list[BoardStatus]:
        not_found = f"ConnectWise has no board {int(board_id)} that these credentials can see"
        doing = (f"reading the statuses of board {int(board_id)}", BOARDS_INQUIRE)
        path: str | None = f"service/boards/{int(board_id)}/statuses"
        params: dict[str, int] | None = {"page": 1, "pageSize": STATUS_PAGE_SIZE}
        response = self._request("GET", path, not_found=not_found, doing=doing, params=params)
        statuses: list[BoardStatus] = []
        for page in range(1, MAX_STATUS_PAGES + 1):
            statuses += _parse(lambda rows: [_board_status_from(row) for row in rows], _json(response), "statuses")
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return statuses
            # The next link carries its own page and pageSize; it is followed only on our own site.
            url = urljoin(response.url, next_url)
            if origin_of(url) != origin_of(self.site_url):
                raise PsaValidationError("ConnectWise's next-page link points to another site; not following it")
            if page < MAX_STATUS_PAGES:
                response = _send(self._session, "GET", url, timeout=self._timeout, not_found=not_found, doing=doing)
        raise PsaValidationError(f"ConnectWise offered more than {MAX_STATUS_PAGES} pages of board statuses")

    def _ticket_path(self, ticket_id: int) -> str:
        return f"service/tickets/{int(ticket_id)}"

    def _request(
        self, method: str, path: str, *, not_found: str, doing: tuple[str, str | None], **kwargs: Any
    ) -> requests.Response:
        """A call to `{base_url}/{path}`. A 404 may mean the codebase moved: looked up once, then retried."""
        send = functools.partial(_send, self._session, method, timeout=self._timeout, not_found=not_found, doing=doing)
        try:
            return send(f"{self.base_url}/{path}", **kwargs)
        except PsaNotFound:
            if not self._codebase_moved():
                raise
        return send(f"{self.base_url}/{path}", **kwargs)

    def _codebase_moved(self) -> bool:
        """Ask companyinfo (once per provider) whether the codebase moved; if so, follow it and say so."""
        if self._codebase_checked or not self._company_id:
            return False
        self._codebase_checked = True
        try:
            codebase = discover_codebase(self.site_url, self._company_id, timeout=self._timeout)
        except PsaTransientError:
            self._codebase_checked = False  # ask again on the retry: during an upgrade the site may be busy
            raise
        except PsaError:
            return False  # the 404 stands: companyinfo cannot tell us better
        if codebase.strip("/") == self.codebase.strip("/"):
            return False
        self.codebase = codebase
        self.base_url = api_base_url(self.site_url, codebase)
        if self._on_codebase_moved is not None:
            self._on_codebase_moved(codebase)
        return True


def api_base_url(site_url: str, codebase: str) -> str:
    """`{site}/{codebase}apis/3.0` with exactly one slash between pieces, however the codebase was typed."""
    pieces = [site_url.rstrip("/"), codebase.strip("/"), "apis/3.0"]
    return "/".join(piece for piece in pieces if piece)


def ui_origin(site_url: str) -> str:
    """The origin engineers sign in to: ConnectWise's cloud serves its API on the UI's host with "api-" in
    front (api-na.myconnectwise.net → na.myconnectwise.net); an on-premises server answers both on one host."""
    parts = urlsplit(site_url.rstrip("/"))
    netloc = parts.netloc.removeprefix("api-")
    return f"{parts.scheme}://{netloc}"


def _send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: TimeoutSpec,
    not_found: str,
    doing: tuple[str, str | None] = ("calling ConnectWise", None),
    **kwargs: Any,
) -> requests.Response:
    """A call to ConnectWise through `send()`, its answer mapped to `PsaError`s. `doing` names the call and the
    security-role permission it needs, for a 403's message."""
    response = send(
        session,
        method,
        url,
        psa_name="ConnectWise",
        check="check the site URL and client id",
        timeout=timeout,
        **kwargs,
    )
    _raise_for_status(response, not_found=not_found, doing=doing)
    return response


def _raise_for_status(response: requests.Response, *, not_found: str, doing: tuple[str, str | None]) -> None:
    status = response.status_code
    if status < 300:
        return
    if status < 400:
        raise PsaValidationError(REDIRECT_MESSAGE, status_code=status)
    if status == 403:  # the keys are right; the API member's security role lacks this permission
        what, permission = doing
        grant = f"grant it {permission}" if permission else "grant it the permission for this call"
        raise PsaPermissionDenied(
            f"ConnectWise refused {what} (HTTP 403): the API member's security role does not allow it. "
            f"An admin must {grant} in ConnectWise (System > Security Roles) and retry",
            status_code=status,
        )
    if status == 401:
        raise PsaAuthError(
            "ConnectWise refused the credentials (HTTP 401); "
            "check the company id, public and private keys and client id",
            status_code=status,
        )
    if status == 404:
        raise PsaNotFound(not_found, status_code=status)
    raise_if_busy(response, psa_name="ConnectWise")
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


def _json(response: requests.Response) -> Any:
    return parse_json(response, NOT_JSON_MESSAGE)


def _parse(build: Callable[[Any], T], data: Any, what: str) -> T:
    return parse(build, data, what, psa_name="ConnectWise")


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


def _ticket_note_from(data: dict[str, Any]) -> tuple[TicketNote, bool]:
    """The note, and whether it is a discussion note (ConnectWise's detail description)."""
    member, contact = data.get("member") or {}, data.get("contact") or {}
    discussion = bool(data.get("detailDescriptionFlag"))
    note = TicketNote(
        id=int(data["id"]),
        text=trimmed(data.get("text")),
        author=str(member.get("name") or contact.get("name") or data.get("createdBy") or ""),
        created_at=parse_datetime(data.get("dateCreated")),
        # Discussion and resolution notes are the customer's to read; internal analysis is not.
        internal=not (discussion or data.get("resolutionFlag")),
    )
    return note, discussion


def _first_description(newest_first: list[tuple[TicketNote, bool]]) -> TicketNote | None:
    """The ticket's initial description: its oldest discussion note."""
    return next((note for note, discussion in reversed(newest_first) if discussion and note.text), None)


def _ticket_context_from(
    data: dict[str, Any], *, description: TicketNote | None, recent: tuple[TicketNote, ...], web_url: str, psa_name: str
) -> TicketContext:
    ticket = _ticket_from(data)
    phone = " x".join(str(part) for part in (data.get("contactPhoneNumber"), data.get("contactPhoneExtension")) if part)
    return TicketContext(
        id=ticket.id,
        summary=ticket.summary,
        board_name=ticket.board_name,
        status_name=ticket.status.name if ticket.status else "",
        closed=ticket.closed,
        company_name=_name_of(data.get("company")),
        contact_name=str(data.get("contactName") or "") or _name_of(data.get("contact")),
        contact_email=str(data.get("contactEmailAddress") or ""),
        contact_phone=phone,
        site_name=str(data.get("siteName") or "") or _name_of(data.get("site")),
        priority_name=_name_of(data.get("priority")),
        description=description,
        recent_notes=recent,
        web_url=web_url,
        psa_name=psa_name,
    )


def _name_of(reference: Any) -> str:
    """The name of a ConnectWise reference (`{id, name, _info}`), "" when there is none."""
    return str(reference.get("name") or "") if isinstance(reference, dict) else ""


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
