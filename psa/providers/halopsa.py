"""HaloPSA behind `PsaProvider` (DESIGN.md §11): OAuth2 client credentials, notes as Actions, status through
the Tickets POST, statuses from `/api/Status`.

The bearer token is shared through the cache by every worker that uses the same credentials: one token
request per expiry, however many post at once. Whoever finds no token takes a short lock (`cache.add`, its
value this worker's own) and asks for one; the others wait for it to appear, as long as that token call may
take, and then give up with a transient error rather than all asking at once. A 401 means the token expired
or was revoked early: a new one is asked for under the same lock, where a cached token equal to the refused
one counts as none, so a token another worker just stored is used, never dropped. The token is cached
encrypted (`psa.crypto`) under a key that is an HMAC of the credentials with SECRET_KEY.

Every HTTP call passes through `send()` (`_http.py`): a timeout, no redirects, failures mapped to the
`PsaError`s of `base.py`. No message built here contains the client secret or a token.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from django.core.cache import cache as default_cache
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flowpilot.http_headers import retry_after_seconds
from psa.crypto import SecretUnreadable, decrypt, encrypt
from psa.html_note import canonical_html, html_to_text, markdown_to_html
from psa.http import guarded_session
from psa.providers._http import (
    CLOCK_SKEW,
    T,
    TimeoutSpec,
    call_seconds_of,
    parse,
    parse_datetime,
    parse_json,
    raise_if_busy,
    send,
    trimmed,
)
from psa.providers.base import (
    BoardStatus,
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

# Halo's built-in "Closed" status: fixed in every instance (the one `/api/Status?excludeclosed=true` leaves
# out); a ticket in it is closed.
CLOSED_STATUS_ID = 9
RESOLUTION_OUTCOME = "Resolution"
INTERNAL_OUTCOME = "Private Note"
TOKEN_CACHE_PREFIX = "psa:halopsa:token:"
TOKEN_LOCK_PREFIX = "psa:halopsa:token-lock:"
TOKEN_EXPIRY_MARGIN = 60  # seconds before Halo's expiry that a token stops being used
TOKEN_LOCK_SECONDS = 30  # a worker that died holding the lock holds it this long at most (or its call, if longer)
TOKEN_WAIT_MARGIN = 1.0  # seconds the others wait beyond the longest the token call may take
TOKEN_POLL_SECONDS = 0.05
TOKEN_KEY_SALT = "flowpilot.psa.halopsa.token"
NOTE_PAGE_SIZE = 100
MAX_NOTE_PAGES = 100
CONTEXT_NOTE_PAGE_SIZE = 100
MAX_MESSAGE_LENGTH = 1000
CACHE_DOWN = (RedisConnectionError, RedisTimeoutError)

CREDENTIALS_WORDS = "check the client id and secret (and tenant)"
CALL_CHECK = "check the site URL and authorisation URL"
REDIRECT_MESSAGE = "HaloPSA answered with a redirect; check the site URL"
NOT_JSON_MESSAGE = "HaloPSA answered with something that is not JSON; check the site URL (the API is under /api)"
TOKEN_PAGE_MESSAGE = (
    "HaloPSA's authorisation server answered with a web page, not a token; check the authorisation URL "
    "(it defaults to the site URL followed by /auth)"
)


@dataclass(frozen=True)
class HaloSettings:
    """How to reach one account's HaloPSA. `client_secret` is the decrypted secret: never log this object."""

    site_url: str  # the resource server, e.g. https://acme.halopsa.com (the API is under /api)
    client_id: str
    client_secret: str
    auth_url: str = ""  # the authorisation server; "" → f"{site_url}/auth"
    tenant: str = ""  # hosted instances name their tenant

    def __repr__(self) -> str:  # keeps the secret out of tracebacks and logs
        return f"HaloSettings(site_url={self.site_url!r}, client_id={self.client_id!r}, tenant={self.tenant!r})"

    @property
    def token_url(self) -> str:
        auth_url = self.auth_url or self.site_url.rstrip("/") + "/auth"
        return auth_url.rstrip("/") + "/token"


class HaloProvider(PsaProvider):
    """One account's HaloPSA, over one guarded `requests.Session`; the bearer token lives in `token_cache`
    (Django's cache unless told otherwise), shared by every process with the same credentials."""

    name = "halopsa"
    display_name = "HaloPSA"
    note_format = "HTML"
    render_note = staticmethod(markdown_to_html)  # Halo shows a note's HTML: sanitised, never raw

    def __init__(
        self,
        settings: HaloSettings,
        *,
        timeout: TimeoutSpec = (3.05, 15),
        token_cache=None,
        session: requests.Session | None = None,
    ):
        self.site_url = settings.site_url.rstrip("/")
        self.api_url = f"{self.site_url}/api"
        self._settings = settings
        self._timeout = timeout
        self._cache = default_cache if token_cache is None else token_cache
        self._token_key = TOKEN_CACHE_PREFIX + _credentials_fingerprint(settings)
        self._lock_key = TOKEN_LOCK_PREFIX + _credentials_fingerprint(settings)
        # Whoever asks for the token may take as long as its call can: the others wait that long and a little.
        self._token_wait = call_seconds_of(timeout) + TOKEN_WAIT_MARGIN
        self._lock_seconds = max(TOKEN_LOCK_SECONDS, math.ceil(self._token_wait + TOKEN_WAIT_MARGIN))
        self._own_token: str | None = None  # used only while the cache is down
        self._statuses: dict[int, BoardStatus] | None = None
        self._session = session or guarded_session(label=None)  # the site and the authorisation server: named by host
        self._session.headers.update({"Accept": "application/json"})

    def __repr__(self) -> str:
        return f"HaloProvider(api_url={self.api_url!r})"

    # The interface

    def check_credentials(self) -> str:
        data = _json(self._request("GET", "Agent/me", doing="reading the API application's agent"))
        name = data.get("name") if isinstance(data, dict) else None
        return f"HaloPSA (agent {name})" if isinstance(name, str) and name else "HaloPSA"

    def get_ticket(self, ticket_id: int) -> Ticket:
        doing = f"reading ticket {int(ticket_id)}"
        response = self._request("GET", f"Tickets/{int(ticket_id)}", doing=doing, ticket_id=ticket_id)
        return _parse(self._ticket_from, _json(response), "a ticket")

    def get_ticket_context(self, ticket_id: int, *, recent_notes: int = 5) -> TicketContext:
        """Two calls: the ticket with its details, and one page of its actions."""
        doing = f"reading ticket {int(ticket_id)}"
        params = {"includedetails": "true"}
        data = _json(self._request("GET", f"Tickets/{int(ticket_id)}", doing=doing, params=params, ticket_id=ticket_id))
        ticket = _parse(self._ticket_from, data, "a ticket")
        notes = [_ticket_note_from(row) for row in self._newest_actions(ticket_id, wanted=recent_notes)]
        description_text = trimmed(html_to_text(data.get("details") or ""))
        description = (
            TicketNote(
                id=0,
                text=description_text,
                author=str(data.get("user_name") or ""),
                created_at=parse_datetime(data.get("dateoccurred")),
                internal=False,
            )
            if description_text
            else None
        )
        recent = tuple(note for note in notes if note.text)[: max(0, recent_notes)]
        priority = data.get("priority")
        return TicketContext(
            id=ticket.id,
            summary=ticket.summary,
            board_name=ticket.board_name,
            status_name=ticket.status.name if ticket.status else "",
            closed=ticket.closed,
            company_name=str(data.get("client_name") or ""),
            contact_name=str(data.get("user_name") or ""),
            contact_email=str(data.get("user_emailaddress") or data.get("emailaddress") or ""),
            contact_phone=str(data.get("user_phonenumber") or data.get("phonenumber") or ""),
            site_name=str(data.get("site_name") or ""),
            priority_name=str(priority.get("name") or "") if isinstance(priority, dict) else "",
            description=description,
            recent_notes=recent,
            web_url=self.ticket_web_url(ticket_id),
            psa_name=self.display_name,
        )

    def ticket_web_url(self, ticket_id: int) -> str:
        """The ticket in Halo's agent UI."""
        return f"{self.site_url}/ticket?id={int(ticket_id)}"

    def post_note(self, ticket_id: int, *, text: str, kind: NoteKind, notify_customer: bool = False) -> Note:
        internal = kind == NoteKind.INTERNAL
        action = {
            "ticket_id": int(ticket_id),
            "note_html": text,
            "outcome": INTERNAL_OUTCOME if internal else RESOLUTION_OUTCOME,
            "hiddenfromuser": internal,
            "sendemail": bool(notify_customer) and not internal,
        }
        doing = f"adding a note to ticket {int(ticket_id)}"
        data = _json(self._request("POST", "Actions", doing=doing, json=[action], ticket_id=ticket_id))
        created = data[0] if isinstance(data, list) and data else data
        return _parse(lambda row: _note_from(row, ticket_id), created, "a note")

    def list_notes_since(self, ticket_id: int, since: datetime) -> Iterator[Note]:
        """Halo filters a ticket's actions by ticket, not by date, and pages them in its own order: every page
        is read, then the notes entered since `since` are given back newest first."""
        after = since - CLOCK_SKEW
        rows: list[dict] = []
        for page in range(1, MAX_NOTE_PAGES + 1):
            batch, total = self._actions_page(ticket_id, page=page, size=NOTE_PAGE_SIZE)
            rows += batch
            if len(batch) < NOTE_PAGE_SIZE or (total is not None and len(rows) >= total):
                break
        else:
            raise PsaValidationError(f"Ticket {int(ticket_id)} has more than {MAX_NOTE_PAGES * NOTE_PAGE_SIZE} actions")
        notes = []
        for row in rows:
            when = parse_datetime(row.get("datetime") or row.get("actiondatecreated"))
            if when is None or when >= after:
                notes.append(_parse(lambda row: _note_from(row, ticket_id), row, "notes"))
        yield from sorted(notes, key=lambda note: note.id, reverse=True)

    def set_status(self, ticket_id: int, status_id: int) -> Ticket:
        doing = f"changing the status of ticket {int(ticket_id)}"
        body = [{"id": int(ticket_id), "status_id": int(status_id)}]
        data = _json(self._request("POST", "Tickets", doing=doing, json=body, ticket_id=ticket_id))
        ticket = data[0] if isinstance(data, list) and data else data
        return _parse(self._ticket_from, ticket, "a ticket")

    def list_board_statuses(self, board_id: int) -> list[BoardStatus]:
        """Halo's ticket statuses are one list for every team: `board_id` is not needed."""
        return list(self._all_statuses().values())

    # Reading Halo's JSON

    def _ticket_from(self, data: dict[str, Any]) -> Ticket:
        status_id = data.get("status_id")
        status = None
        if status_id is not None:
            status_id = int(status_id)
            name = data.get("status_name") or self._status_name(status_id)
            status = TicketStatus(id=status_id, name=str(name or ""))
        team_id = data.get("team_id")
        return Ticket(
            id=int(data["id"]),
            summary=str(data.get("summary") or ""),
            board_id=int(team_id) if team_id is not None else None,
            board_name=str(data.get("team") or ""),
            status=status,
            closed=status_id == CLOSED_STATUS_ID,
        )

    def _status_name(self, status_id: int) -> str:
        """A status by name: Halo's ticket carries only its id. The statuses are read once per provider. A
        transient failure to read them propagates (the post retries, so its verified status has a name); any
        other leaves the name empty rather than failing the call that needed it."""
        try:
            status = self._all_statuses().get(status_id)
        except PsaTransientError:
            raise
        except PsaError:
            return ""
        return status.name if status else ""

    def _all_statuses(self) -> dict[int, BoardStatus]:
        if self._statuses is None:
            response = self._request("GET", "Status", doing="reading the ticket statuses", params={"type": "ticket"})
            data = _json(response)
            rows = data.get("statuses", data) if isinstance(data, dict) else data
            statuses = _parse(lambda rows: [_board_status_from(row) for row in rows], rows, "statuses")
            self._statuses = {status.id: status for status in statuses}
        return self._statuses

    def _newest_actions(self, ticket_id: int, *, wanted: int) -> list[dict]:
        """The ticket's newest actions, newest first. Halo pages them oldest first: past the first page, the
        newest are on the last one (found from `record_count`), and the one before when the last holds few."""
        size = CONTEXT_NOTE_PAGE_SIZE
        first, total = self._actions_page(ticket_id, page=1, size=size)
        last = math.ceil(total / size) if total and len(first) == size else 1
        pages = {1: first}
        if last > 1:
            pages[last], _ = self._actions_page(ticket_id, page=last, size=size)
            if len(pages[last]) < wanted and last - 1 not in pages:
                pages[last - 1], _ = self._actions_page(ticket_id, page=last - 1, size=size)
        rows = {int(row["id"]): row for page in pages.values() for row in page}
        return [rows[action_id] for action_id in sorted(rows, reverse=True)]

    def _actions_page(self, ticket_id: int, *, page: int, size: int) -> tuple[list[dict], int | None]:
        params = {
            "ticket_id": int(ticket_id),
            "excludesys": "true",
            "includehtmlnote": "true",
            "pageinate": "true",
            "page_size": size,
            "page_no": page,
        }
        doing = f"reading the notes of ticket {int(ticket_id)}"
        data = _json(self._request("GET", "Actions", doing=doing, params=params, ticket_id=ticket_id))

        def rows_of(data):
            rows = data["actions"]
            if not isinstance(rows, list) or not all(isinstance(row, dict) and "id" in row for row in rows):
                raise TypeError("actions")
            total = data.get("record_count")
            return rows, int(total) if total is not None else None

        return _parse(rows_of, data, "notes")

    # Calling Halo

    @sensitive_variables("token", "refused")
    def _request(
        self, method: str, path: str, *, doing: str, ticket_id: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """A call to `{site}/api/{path}` with the bearer token; a 401 fetches a new token and calls once more."""
        not_found = _no_ticket(ticket_id) if ticket_id is not None else f"HaloPSA has no such resource ({doing})"
        url = f"{self.api_url}/{path}"
        token = self._token()
        try:
            return self._call(method, url, token, doing=doing, not_found=not_found, **kwargs)
        except _TokenRefused:
            refused = token
        try:
            return self._call(method, url, self._token(refused=refused), doing=doing, not_found=not_found, **kwargs)
        except _TokenRefused as exc:
            raise PsaAuthError(
                f"HaloPSA refused a new access token too (HTTP 401); {CREDENTIALS_WORDS}, and that the API "
                "application is tied to an active agent",
                status_code=401,
            ) from exc

    @sensitive_variables("token", "headers")
    def _call(self, method: str, url: str, token: str, *, doing: str, not_found: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        response = _send(self._session, method, url, timeout=self._timeout, headers=headers, **kwargs)
        if response.status_code == 401:
            raise _TokenRefused()
        _raise_for_status(response, doing=doing, not_found=not_found)
        return response

    # The token

    @sensitive_variables("token", "refused")
    def _token(self, *, refused: str | None = None) -> str:
        """The shared token, asked for when there is none (or only the one Halo just `refused`): by the one
        worker holding the lock, while the others wait for it."""
        token = self._cached_token()
        if token and token != refused:
            return token
        deadline = time.monotonic() + self._token_wait
        while (lock := self._lock()) is None:
            if time.monotonic() > deadline:
                raise PsaTransientError(
                    "HaloPSA's authorisation server is slow: another request for a token has not finished; "
                    "try again shortly",
                    retry_after=self._token_wait,
                )
            time.sleep(TOKEN_POLL_SECONDS)
            token = self._cached_token()
            if token and token != refused:
                return token
        try:
            token = self._cached_token()  # another worker may have stored one just before we took the lock
            if token and token != refused:
                return token
            token, expires_in = self._fetch_token()
            self._store_token(token, expires_in)
            return token
        finally:
            self._unlock(lock)

    @sensitive_variables("token", "data")
    def _fetch_token(self) -> tuple[str, float]:
        response = self._token_response()
        status = response.status_code
        if status in (400, 401, 403):
            raise PsaAuthError(
                f"HaloPSA refused the client credentials (HTTP {status}{_oauth_error(response)}); {CREDENTIALS_WORDS}",
                status_code=status,
            )
        if status == 404:
            raise PsaAuthError(
                "No HaloPSA token endpoint answers at the authorisation URL (HTTP 404); check the authorisation "
                "URL (it defaults to the site URL followed by /auth)",
                status_code=status,
            )
        if status == 429 or status >= 500:
            raise PsaTransientError(
                f"HaloPSA's authorisation server is unavailable (HTTP {status}); try again shortly",
                status_code=status,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if 300 <= status < 400:
            raise PsaAuthError(TOKEN_PAGE_MESSAGE.replace("a web page", "a redirect"), status_code=status)
        try:
            data = response.json()
        except ValueError:
            data = None
        token = data.get("access_token") if isinstance(data, dict) else None
        if status >= 300 or not isinstance(token, str) or not token:
            raise PsaAuthError(TOKEN_PAGE_MESSAGE, status_code=status)
        expires_in = data.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
            expires_in = 3600  # Halo's usual lifetime; a 401 would tell us sooner
        return token, float(expires_in)

    @sensitive_variables("form")
    def _token_response(self) -> requests.Response:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._settings.client_id,
            "client_secret": self._settings.client_secret,
            "scope": "all",
        }
        params = {"tenant": self._settings.tenant} if self._settings.tenant else None
        return send(
            self._session,
            "POST",
            self._settings.token_url,
            psa_name="HaloPSA",
            check=CALL_CHECK,
            timeout=self._timeout,
            data=form,
            params=params,
        )

    @sensitive_variables("token")
    def _cached_token(self) -> str | None:
        try:
            stored = self._cache.get(self._token_key)
        except CACHE_DOWN:
            return self._own_token
        try:
            token = decrypt(stored) if isinstance(stored, str) and stored else None
        except SecretUnreadable:  # stored under another FLOWPILOT_ENCRYPTION_KEY: as good as none
            token = None
        return token or None

    @sensitive_variables("token")
    def _store_token(self, token: str, expires_in: float) -> None:
        self._own_token = token
        with contextlib.suppress(CACHE_DOWN):
            self._cache.set(self._token_key, encrypt(token), timeout=token_cache_seconds(expires_in))

    def _lock(self) -> str | None:
        """This worker's own lock value when it took the lock, None when another worker holds it."""
        mine = uuid.uuid4().hex
        try:
            return mine if self._cache.add(self._lock_key, mine, timeout=self._lock_seconds) else None
        except CACHE_DOWN:
            return mine  # no cache to share a token through: each worker asks for its own

    def _unlock(self, mine: str) -> None:
        """Release the lock if it is still ours: it may have expired and been taken by another worker. (Between
        the read and the delete another could take it; the lock outlives the token call, so it rarely can.)"""
        with contextlib.suppress(CACHE_DOWN):
            if self._cache.get(self._lock_key) == mine:
                self._cache.delete(self._lock_key)


class _TokenRefused(Exception):
    """A 401 from the API: the token expired or was revoked."""


def token_cache_seconds(expires_in: float) -> int:
    """How long a token is kept: until a minute before Halo's expiry, or half its life when that is shorter."""
    keep = expires_in - TOKEN_EXPIRY_MARGIN if expires_in > 2 * TOKEN_EXPIRY_MARGIN else expires_in / 2
    return max(1, int(keep))


@sensitive_variables("credentials")
def _credentials_fingerprint(settings: HaloSettings) -> str:
    """The token's cache key: one per set of credentials (a changed secret gets a new token). An HMAC keyed by
    SECRET_KEY: whoever reads the cache cannot test guesses of the secret against it."""
    credentials = "\0".join((settings.token_url, settings.tenant, settings.client_id, settings.client_secret))
    return salted_hmac(TOKEN_KEY_SALT, credentials, algorithm="sha256").hexdigest()[:40]


@sensitive_variables("kwargs")  # its headers carry the bearer token
def _send(session: requests.Session, method: str, url: str, *, timeout: TimeoutSpec, **kwargs) -> requests.Response:
    return send(session, method, url, psa_name="HaloPSA", check=CALL_CHECK, timeout=timeout, **kwargs)


def _raise_for_status(response: requests.Response, *, doing: str, not_found: str) -> None:
    status = response.status_code
    if status < 300:
        return
    if status < 400:
        raise PsaValidationError(REDIRECT_MESSAGE, status_code=status)
    if status == 403:
        raise PsaPermissionDenied(
            f"HaloPSA refused {doing} (HTTP 403): the API application's agent or scope does not allow it. "
            "An admin must grant it in HaloPSA (Configuration > Integrations > HaloPSA API) and retry",
            status_code=status,
        )
    if status == 404:
        raise PsaNotFound(not_found, status_code=status)
    raise_if_busy(response, psa_name="HaloPSA")
    raise PsaValidationError(_rejection_message(response), status_code=status)


def _rejection_message(response: requests.Response) -> str:
    """Halo's own words: a bare JSON string, or an object with a message (ASP.NET's `Message` included)."""
    fallback = f"HaloPSA rejected the request (HTTP {response.status_code})"
    try:
        body = response.json()
    except ValueError:
        return fallback
    message = body
    if isinstance(body, dict):
        message = next(
            (
                body[key]
                for key in ("message", "Message", "error_description", "error")
                if isinstance(body.get(key), str)
            ),
            None,
        )
        errors = body.get("errors")
        if message is None and isinstance(errors, list):
            message = "; ".join(str(error) for error in errors[:3] if isinstance(error, str))
    if not isinstance(message, str) or not message.strip():
        return fallback
    return f"HaloPSA rejected the request: {message.strip()}"[:MAX_MESSAGE_LENGTH]


def _oauth_error(response: requests.Response) -> str:
    """The OAuth error code (`invalid_client`), which names the problem without repeating what was sent."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f", {error}" if isinstance(error, str) and error.isidentifier() else ""


def _json(response: requests.Response) -> Any:
    return parse_json(response, NOT_JSON_MESSAGE)


def _parse(build: Callable[[Any], T], data: Any, what: str) -> T:
    return parse(build, data, what, psa_name="HaloPSA")


def _note_html(row: dict[str, Any]) -> str:
    """The note as FlowPilot rendered it: Halo re-serialises the HTML it stores, so it is cleaned the same way."""
    html = row.get("note_html")
    return canonical_html(html) if isinstance(html, str) and html else str(row.get("note") or "")


def _note_from(row: dict[str, Any], ticket_id: int) -> Note:
    hidden = bool(row.get("hiddenfromuser", False))
    return Note(
        id=int(row["id"]),
        ticket_id=int(row.get("ticket_id") or ticket_id),
        text=_note_html(row),
        internal=hidden,
        resolution=not hidden,  # every note FlowPilot lets the customer see is a resolution note
    )


def _ticket_note_from(row: dict[str, Any]) -> TicketNote:
    text = html_to_text(row["note_html"]) if row.get("note_html") else str(row.get("note") or "")
    return TicketNote(
        id=int(row["id"]),
        text=trimmed(text),
        author=str(row.get("who") or ""),
        created_at=parse_datetime(row.get("datetime")),
        internal=bool(row.get("hiddenfromuser", False)),
    )


def _board_status_from(row: dict[str, Any]) -> BoardStatus:
    status_id = int(row["id"])
    return BoardStatus(
        id=status_id,
        name=str(row.get("name") or ""),
        closed=status_id == CLOSED_STATUS_ID,
        inactive=bool(row.get("inactive", False)),
    )


def _no_ticket(ticket_id: int) -> str:
    return f"HaloPSA has no ticket {int(ticket_id)} that these credentials can see"
