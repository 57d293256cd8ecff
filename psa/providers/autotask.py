"""Autotask PSA (REST v1.0) behind `PsaProvider` (DESIGN.md §11).

The API lives in one zone per database (`https://webservicesN.autotask.net/ATServicesRest`). An empty
`api_url` is discovered from the username with the unauthenticated zone lookup, and the caller is told
(`on_settings_changed`) so the connection keeps it. When Autotask moves a database to another zone, the
old zone stops answering for it (a 401, a redirect, or a 500 whose `errors` speak of the zone): the first
such answer asks the zone lookup once more, and if the zone moved, the call is made again there and the
caller is told the new `api_url`.

Every call goes through `_send()`: the guarded session, a timeout, no redirects followed, and every
failure mapped onto the `PsaError`s of `base.py`. Autotask answers a business-rule refusal (an unknown
picklist value, a field too long) with HTTP 500 and its reasons in `{errors: [...]}`; an outage comes
without them (an HTML page, an empty body, 502/503). So a 500 that explains itself is a rejection shown
in Autotask's words, and a bare 5xx is transient. The credentials travel in three headers on API calls
only (never to the zone lookup), and no message built here contains the secret or the integration code.

Picklist values (a note's `publish` and `noteType`, the ticket statuses) differ per database: they are
read by label from `entityInformation/fields`, once per provider, never hard-coded. The one exception is
the ticket status "Complete" (value 5): Autotask's system status for a finished ticket, which can be
renamed but keeps its value, and the only status the picklist does not let us tell apart otherwise.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from django.views.decorators.debug import sensitive_variables
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flowpilot.http_headers import retry_after_seconds
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

ZONE_LOOKUP_URL = "https://webservices.autotask.net/atservicesrest"
AUTOTASK_DOMAIN = ".autotask.net"  # every zone Autotask's own lookup names is under it
NOTE_MAX_CHARACTERS = 32_000  # Autotask's limit on a ticket note's description
NOTE_TITLE = {NoteKind.RESOLUTION: "Resolution", NoteKind.INTERNAL: "Escalation: internal analysis"}
# The TicketNotes picklist labels each kind of note is posted with (their values are read from Autotask).
PUBLISH_LABEL = {NoteKind.RESOLUTION: "All Autotask Users", NoteKind.INTERNAL: "Internal Project Team"}
NOTE_TYPE_LABEL = "Task Summary"  # a note a person wrote ("Task Detail" is what automation writes)
COMPLETE_STATUS = 5  # Autotask's system status "Complete": the ticket is finished
QUERY_PAGE_SIZE = 500  # Autotask's maximum MaxRecords
MAX_NOTE_PAGES = 20  # 10,000 notes since one post began: a ticket no person reads
# Queries answer oldest first and cannot be sorted: the ticket's context reads the notes of its last weeks,
# and all of them only when those are fewer than it shows.
CONTEXT_NOTE_WINDOW = timedelta(days=30)
PICKLIST_CACHE_SECONDS = 300  # picklists change when an Autotask admin edits them: rarely
PICKLIST_CACHE_PREFIX = "psa:autotask:picklists:"
HOURLY_LIMIT_WAIT = 60.0  # seconds: the hourly limit is a rolling window, re-checked as usage drops
MAX_MESSAGE_LENGTH = 1000
MAX_ERROR_DETAILS = 3
CACHE_DOWN = (RedisConnectionError, RedisTimeoutError)

CREDENTIALS_WORDS = "check the API user's username, secret and integration code"
REDIRECT_MESSAGE = "Autotask answered with a redirect; check the API URL (the zone's REST root)"
NOT_JSON_MESSAGE = "Autotask answered with something that is not JSON; check the API URL (the zone's REST root)"
ZONE_WORDS = re.compile(r"\bzone\b", re.IGNORECASE)
LIMIT_WORDS = re.compile(r"threshold|requests per hour|request limit|rate limit", re.IGNORECASE)
BUSY_WORDS = re.compile(r"timeout|timed out|deadlock|try again|temporarily", re.IGNORECASE)


@dataclass(frozen=True)
class AutotaskSettings:
    """How to reach one account's Autotask. `secret` and `integration_code` are decrypted: never log them."""

    username: str
    secret: str
    integration_code: str
    api_url: str = ""  # the zone's REST root, e.g. https://webservices5.autotask.net/ATServicesRest; "" → discover
    impersonation_resource_id: str = ""
    zone_lookup_url: str = ZONE_LOOKUP_URL

    def __repr__(self) -> str:  # keeps the secret and the integration code out of tracebacks and logs
        return f"AutotaskSettings(username={self.username!r}, api_url={self.api_url!r})"


@dataclass(frozen=True)
class Zone:
    """What the zone lookup answers for a user: the REST root and the UI the tickets open in."""

    api_url: str
    web_url: str = ""
    name: str = ""


class _ZoneMayHaveMoved(Exception):
    """An answer the old zone of a moved database gives; carries the error to raise if it did not move."""

    def __init__(self, error: PsaError):
        super().__init__(error.message)
        self.error = error


def discover_zone(
    username: str,
    *,
    zone_lookup_url: str = ZONE_LOOKUP_URL,
    timeout: TimeoutSpec = (3.05, 10),
    session: requests.Session | None = None,
) -> Zone:
    """The zone of the user's database, from Autotask's unauthenticated zone lookup."""
    if session is None:
        with guarded_session(label="zone lookup URL") as own_session:
            return discover_zone(username, zone_lookup_url=zone_lookup_url, timeout=timeout, session=own_session)
    lookup = zone_lookup_url.rstrip("/")
    url = f"{lookup}/v1.0/zoneInformation?{urlencode({'user': username})}"
    unknown = f"Autotask's zone lookup does not know the API user “{username}”; check the username"
    try:
        response = _send(
            session, "GET", url, timeout=timeout, not_found=unknown, headers={"Accept": "application/json"}
        )
    except (PsaAuthError, PsaValidationError, PsaNotFound):
        raise PsaAuthError(unknown) from None
    except _ZoneMayHaveMoved as moved:
        raise PsaAuthError(unknown) from moved
    except PsaTransientError as exc:
        raise PsaTransientError(
            f"Autotask's zone lookup is unavailable ({exc.message}); try again shortly", retry_after=exc.retry_after
        ) from exc
    data = _json(response)
    api_url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(api_url, str) or not api_url.strip():
        raise PsaAuthError(unknown)
    api_url = api_url.strip().rstrip("/")
    parts = urlsplit(api_url)
    # The zone becomes the root of every authenticated call: only an absolute web URL, and plain http only
    # when the lookup itself was plain http (the local simulator).
    # Autotask's own lookup only ever names its own zones.
    allowed = {"https", urlsplit(lookup).scheme.lower()} & {"http", "https"}
    unusable = parts.scheme.lower() not in allowed or not parts.hostname or parts.query or parts.fragment
    if unusable or parts.username or parts.password:
        raise PsaValidationError("Autotask's zone lookup answered with a URL FlowPilot will not call")
    if lookup.casefold() == ZONE_LOOKUP_URL.casefold() and not parts.hostname.endswith(AUTOTASK_DOMAIN):
        raise PsaValidationError(
            f"Autotask's zone lookup answered with a URL FlowPilot will not call (not on {AUTOTASK_DOMAIN})"
        )
    web_url = data.get("webUrl")
    name = data.get("zoneName")
    return Zone(
        api_url=api_url,
        web_url=web_url.strip() if isinstance(web_url, str) else "",
        name=name.strip() if isinstance(name, str) else "",
    )


class AutotaskProvider(PsaProvider):
    """One account's Autotask database over one `requests.Session`; the zone found on first use."""

    name = "autotask"
    display_name = "Autotask"
    note_format = "plain text"
    render_note = staticmethod(markdown_to_plain_text)  # a ticket note's description is plain text

    @sensitive_variables("settings")
    def __init__(
        self,
        settings: AutotaskSettings,
        *,
        timeout: TimeoutSpec = (3.05, 15),
        on_settings_changed: Callable[[dict], None] | None = None,
        session: requests.Session | None = None,
        picklist_cache=None,
    ):
        self.username = settings.username
        self.api_url = settings.api_url.strip().rstrip("/")
        self.zone_lookup_url = settings.zone_lookup_url or ZONE_LOOKUP_URL
        self._web_url = ""
        self._zone_name = ""
        self._zone_checked = False
        self._on_settings_changed = on_settings_changed
        self._timeout = timeout
        self._session = session or guarded_session(label="API URL")
        self._session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
        # Sent on API calls only, never to the zone lookup.
        self._credentials = {
            "ApiIntegrationCode": settings.integration_code,
            "UserName": settings.username,
            "Secret": settings.secret,
        }
        if settings.impersonation_resource_id:
            self._credentials["ImpersonationResourceId"] = settings.impersonation_resource_id
        self._picklists: dict[str, dict[str, list[dict]]] = {}  # entity → field → picklistValues
        self._picklist_cache = picklist_cache  # shared by the providers of one connection (Django's cache)

    def __repr__(self) -> str:
        return f"AutotaskProvider(username={self.username!r}, api_url={self.api_url!r})"

    # The interface

    def check_credentials(self) -> str:
        """Reads the Tickets fields from Autotask itself, never from the cache: the credentials are what is tested."""
        self._picklists["Tickets"] = self._read_fields("Tickets")
        self._cache_set(self._picklist_key("Tickets"), self._picklists["Tickets"])
        where = self._zone_name or urlsplit(self.api_url).hostname or ""
        return f"Autotask ({where})" if where else "Autotask"

    def get_ticket(self, ticket_id: int) -> Ticket:
        item = self._ticket_item(ticket_id)
        fields = self._fields("Tickets")
        build = functools.partial(
            _ticket_from, statuses=_labels(fields.get("status")), queues=_labels(fields.get("queueID"))
        )
        return _parse(build, item, "a ticket")

    def get_ticket_context(self, ticket_id: int, *, recent_notes: int = 5) -> TicketContext:
        """The ticket, its company and contact, and its newest notes (the ticket's description is its own field)."""
        item = self._ticket_item(ticket_id)
        fields = self._fields("Tickets")
        company = self._item_or_empty("Companies", item.get("companyID"))
        contact = self._item_or_empty("Contacts", item.get("contactID"))
        notes = sorted(
            self._recent_note_rows(ticket_id, recent_notes), key=lambda row: _int(row.get("id")), reverse=True
        )
        publish = self._publish_values()
        recent = tuple(
            note
            for note in (_parse(lambda row: _ticket_note_from(row, publish), row, "notes") for row in notes)
            if note.text
        )
        description = trimmed(item.get("description"))

        def build(data: dict[str, Any]) -> TicketContext:
            ticket = _ticket_from(data, statuses=_labels(fields.get("status")), queues=_labels(fields.get("queueID")))
            name = " ".join(str(contact.get(key) or "").strip() for key in ("firstName", "lastName")).strip()
            return TicketContext(
                id=ticket.id,
                summary=ticket.summary,
                board_name=ticket.board_name,
                status_name=ticket.status.name if ticket.status else "",
                closed=ticket.closed,
                company_name=str(company.get("companyName") or ""),
                contact_name=name,
                contact_email=str(contact.get("emailAddress") or ""),
                contact_phone=str(contact.get("phone") or contact.get("mobilePhone") or ""),
                site_name="",
                priority_name=_labels(fields.get("priority")).get(_int(data.get("priority")), ""),
                description=TicketNote(
                    id=0, text=description, author="", created_at=parse_datetime(data.get("createDate")), internal=False
                )
                if description
                else None,
                recent_notes=recent[: max(0, recent_notes)],
                web_url=self.ticket_web_url(ticket_id),
                psa_name=self.display_name,
            )

        return _parse(build, item, "a ticket")

    def ticket_web_url(self, ticket_id: int) -> str:
        """The ticket in Autotask's own UI (the zone's web URL, e.g. https://ww5.autotask.net/)."""
        origin = self._web_url or web_url_for(self.api_url)
        query = urlencode({"Code": "OpenTicketDetail", "TicketID": int(ticket_id)})
        return f"{origin.rstrip('/')}/Autotask/AutotaskExtend/ExecuteCommand.aspx?{query}" if origin else ""

    def post_note(self, ticket_id: int, *, text: str, kind: NoteKind, notify_customer: bool = False) -> Note:
        """A ticket note: `publish` decides who reads it. Autotask's notifications follow its own workflow
        rules, so `notify_customer` changes nothing here."""
        if len(text) > NOTE_MAX_CHARACTERS:
            raise PsaValidationError(
                f"The note is {len(text):,} characters long; Autotask takes at most {NOTE_MAX_CHARACTERS:,} "
                "characters in a ticket note. Shorten it and post again."
            )
        body = {
            "ticketID": int(ticket_id),
            "title": NOTE_TITLE[kind],
            "description": text,
            "noteType": self._picklist_value("TicketNotes", "noteType", NOTE_TYPE_LABEL),
            "publish": self._picklist_value("TicketNotes", "publish", PUBLISH_LABEL[kind]),
        }
        doing = f"adding a note to ticket {int(ticket_id)}"
        response = self._request(
            "POST", f"Tickets/{int(ticket_id)}/Notes", not_found=_no_ticket(ticket_id), doing=doing, json=body
        )
        data = _json(response)
        note_id = _parse(lambda answer: int(answer["itemId"]), data, "a note")
        return Note(
            id=note_id,
            ticket_id=int(ticket_id),
            text=text,
            internal=kind == NoteKind.INTERNAL,
            resolution=kind == NoteKind.RESOLUTION,
        )

    def list_notes_since(self, ticket_id: int, since: datetime) -> Iterator[Note]:
        """Autotask's queries answer oldest first: every page is read, then the notes are given newest first."""
        after = (since - CLOCK_SKEW).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = self._query_notes(ticket_id, [{"op": "gte", "field": "createDateTime", "value": after}])
        customer_values = self._publish_values()
        notes = [_parse(lambda row: _note_from(row, ticket_id, customer_values), row, "notes") for row in rows]
        yield from sorted(notes, key=lambda note: note.id, reverse=True)

    def set_status(self, ticket_id: int, status_id: int) -> Ticket:
        """PATCH answers only `{itemId}`: the ticket is read back to say what it shows now."""
        doing = f"changing the status of ticket {int(ticket_id)}"
        body = {"id": int(ticket_id), "status": int(status_id)}
        self._request("PATCH", "Tickets", not_found=_no_ticket(ticket_id), doing=doing, json=body)
        return self.get_ticket(ticket_id)

    def list_board_statuses(self, board_id: int) -> list[BoardStatus]:
        """Autotask's statuses belong to every queue alike: the Tickets `status` picklist, inactive ones too."""
        values = self._fields("Tickets").get("status") or []
        return [
            _parse(
                lambda value: BoardStatus(
                    id=int(value["value"]),
                    name=str(value.get("label") or ""),
                    closed=int(value["value"]) == COMPLETE_STATUS,
                    inactive=not value.get("isActive", True),
                ),
                value,
                "the ticket statuses",
            )
            for value in values
        ]

    # Reading

    def _ticket_item(self, ticket_id: int) -> dict[str, Any]:
        doing = f"reading ticket {int(ticket_id)}"
        response = self._request("GET", f"Tickets/{int(ticket_id)}", not_found=_no_ticket(ticket_id), doing=doing)
        data = _json(response)
        item = data.get("item") if isinstance(data, dict) else None
        if item is None and isinstance(data, dict) and "item" in data:
            # Autotask answers 200 {"item": null} for an id it has no ticket for (or that this user cannot see).
            raise PsaNotFound(_no_ticket(ticket_id), status_code=response.status_code)
        if not isinstance(item, dict):
            raise PsaValidationError("Autotask answered with a ticket FlowPilot cannot read")
        return item

    def _item_or_empty(self, entity: str, item_id: Any) -> dict[str, Any]:
        """A related record for the ticket's context ({} when the ticket has none or it cannot be read)."""
        if not _int(item_id):
            return {}
        try:
            response = self._request("GET", f"{entity}/{_int(item_id)}", not_found="", doing=f"reading {entity}")
            data = _json(response)
        except (PsaNotFound, PsaValidationError, PsaPermissionDenied):
            return {}
        item = data.get("item") if isinstance(data, dict) else None
        return item if isinstance(item, dict) else {}

    def _query_notes(self, ticket_id: int, filters: list[dict]) -> list[dict]:
        """Every TicketNote of the ticket matching `filters`, following `nextPageUrl` on the zone only."""
        search = {"filter": [{"op": "eq", "field": "ticketID", "value": int(ticket_id)}, *filters]}
        search["MaxRecords"] = QUERY_PAGE_SIZE
        doing = f"reading the notes of ticket {int(ticket_id)}"
        path = f"TicketNotes/query?{urlencode({'search': json.dumps(search, separators=(',', ':'))})}"
        response = self._request("GET", path, not_found=_no_ticket(ticket_id), doing=doing)
        rows: list[dict] = []
        for _page in range(MAX_NOTE_PAGES):
            data = _json(response)
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise PsaValidationError("Autotask answered with notes FlowPilot cannot read")
            rows += items
            details = data.get("pageDetails") if isinstance(data.get("pageDetails"), dict) else {}
            next_url = details.get("nextPageUrl")
            if not next_url:
                return rows
            if not isinstance(next_url, str) or origin_of(next_url) != origin_of(self.api_url):
                raise PsaValidationError("Autotask's next-page link points to another site; not following it")
            try:
                response = self._send_authenticated("GET", next_url, not_found=_no_ticket(ticket_id), doing=doing)
            except _ZoneMayHaveMoved as moved:  # mid-read: the retry starts over, on the zone it finds then
                raise moved.error from None
        raise PsaValidationError(
            f"Ticket {int(ticket_id)} has more than {MAX_NOTE_PAGES * QUERY_PAGE_SIZE:,} notes to read"
        )

    def _recent_note_rows(self, ticket_id: int, wanted: int) -> list[dict]:
        """The notes of the last weeks; every note only when those are fewer than `wanted`."""
        since = (datetime.now(UTC) - CONTEXT_NOTE_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = self._query_notes(ticket_id, [{"op": "gte", "field": "createDateTime", "value": since}])
        return rows if len(rows) >= wanted else self._query_notes(ticket_id, [])

    def _fields(self, entity: str) -> dict[str, list[dict]]:
        """The entity's picklists by field name: read once per provider, and kept a few minutes in the shared
        cache so each call's new provider does not read them again."""
        if entity not in self._picklists:
            key = self._picklist_key(entity)
            picklists = self._cache_get(key)
            if not isinstance(picklists, dict):
                picklists = self._read_fields(entity)
                self._cache_set(key, picklists)
            self._picklists[entity] = picklists
        return self._picklists[entity]

    def _read_fields(self, entity: str) -> dict[str, list[dict]]:
        doing = f"reading the {entity} fields"
        response = self._request("GET", f"{entity}/entityInformation/fields", not_found="", doing=doing)
        data = _json(response)
        fields = data.get("fields") if isinstance(data, dict) else None
        if not isinstance(fields, list):
            raise PsaValidationError(f"Autotask answered with {entity} fields FlowPilot cannot read")
        return {
            str(field.get("name")): [value for value in field.get("picklistValues") or [] if isinstance(value, dict)]
            for field in fields
            if isinstance(field, dict) and field.get("isPickList")
        }

    def _picklist_key(self, entity: str) -> str:
        """One database's picklists: its zone (or where it is looked up) and the API user, never a secret."""
        where = "\0".join((self.api_url or self.zone_lookup_url, self.username.casefold(), entity))
        return PICKLIST_CACHE_PREFIX + hashlib.sha256(where.encode()).hexdigest()[:40]

    def _cache_get(self, key: str) -> Any:
        if self._picklist_cache is None:
            return None
        try:
            return self._picklist_cache.get(key)
        except CACHE_DOWN:
            return None

    def _cache_set(self, key: str, value: Any) -> None:
        if self._picklist_cache is not None:
            with contextlib.suppress(CACHE_DOWN):
                self._picklist_cache.set(key, value, PICKLIST_CACHE_SECONDS)

    def _picklist_value(self, entity: str, field: str, label: str) -> int:
        for value in self._fields(entity).get(field) or []:
            if str(value.get("label") or "").strip().casefold() == label.casefold() and value.get("isActive", True):
                try:
                    return int(value["value"])
                except (KeyError, TypeError, ValueError):
                    break
        raise PsaValidationError(
            f"Autotask's {entity} “{field}” picklist has no active value labelled “{label}”; "
            "an Autotask admin must restore it before FlowPilot can post"
        )

    def _publish_values(self) -> set[int]:
        """The `publish` values of customer-visible notes (the resolution notes' label)."""
        return {
            _int(value.get("value"))
            for value in self._fields("TicketNotes").get("publish") or []
            if str(value.get("label") or "").strip().casefold() == PUBLISH_LABEL[NoteKind.RESOLUTION].casefold()
        }

    # Calling

    def _request(self, method: str, path: str, *, not_found: str, doing: str, **kwargs: Any) -> requests.Response:
        """A call to `{api_url}/V1.0/{path}`, discovering the zone first when it is not known, and once
        more when the zone answers as the old zone of a moved database."""
        if not self.api_url:
            self._move_to(discover_zone(self.username, zone_lookup_url=self.zone_lookup_url, timeout=self._timeout))
        try:
            return self._send_authenticated(
                method, f"{self.api_url}/V1.0/{path}", not_found=not_found, doing=doing, **kwargs
            )
        except _ZoneMayHaveMoved as moved:
            if not self._zone_moved():
                raise moved.error from None
        try:
            return self._send_authenticated(
                method, f"{self.api_url}/V1.0/{path}", not_found=not_found, doing=doing, **kwargs
            )
        except _ZoneMayHaveMoved as moved:
            raise moved.error from None

    @sensitive_variables("headers", "kwargs")  # the credentials
    def _send_authenticated(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), **self._credentials}
        return _send(self._session, method, url, timeout=self._timeout, headers=headers, **kwargs)

    def _zone_moved(self) -> bool:
        """Ask the zone lookup (once per provider) whether the database moved; if so, follow it and say so."""
        if self._zone_checked:
            return False
        self._zone_checked = True
        try:
            zone = discover_zone(self.username, zone_lookup_url=self.zone_lookup_url, timeout=self._timeout)
        except PsaTransientError:
            self._zone_checked = False  # ask again on the retry
            raise
        except PsaError:
            return False  # the first answer stands: the lookup cannot tell us better
        if zone.api_url.rstrip("/").casefold() == self.api_url.casefold():
            return False
        self._move_to(zone)
        return True

    def _move_to(self, zone: Zone) -> None:
        """Follow the zone, once the caller has kept it: a zone it refuses to keep (`on_settings_changed` raises a
        PsaError) is never called."""
        api_url = zone.api_url.rstrip("/")
        if self._on_settings_changed is not None:
            self._on_settings_changed({"api_url": api_url})
        self.api_url = api_url
        self._web_url, self._zone_name = zone.web_url, zone.name


def web_url_for(api_url: str) -> str:
    """Autotask's UI for a zone's REST root (webservices5.autotask.net → ww5.autotask.net); else its origin."""
    parts = urlsplit(api_url)
    if not parts.hostname:
        return ""
    if match := re.fullmatch(r"webservices(\d+)\.autotask\.net", parts.hostname, re.IGNORECASE):
        return f"https://ww{match[1]}.autotask.net/"
    return f"{parts.scheme}://{parts.netloc}/"


@sensitive_variables("kwargs")  # its headers carry the credentials
def _send(
    session: requests.Session, method: str, url: str, *, timeout: TimeoutSpec, not_found: str, doing: str = "", **kwargs
) -> requests.Response:
    """A call to Autotask through `send()`, its answer mapped to `PsaError`s."""
    response = send(
        session,
        method,
        url,
        psa_name="Autotask",
        check="check the API URL and username",
        timeout=timeout,
        **kwargs,
    )
    _raise_for_status(response, not_found=not_found, doing=doing or "this call")
    return response


def _raise_for_status(response: requests.Response, *, not_found: str, doing: str) -> None:
    status = response.status_code
    if status < 300:
        return
    errors = _error_messages(response)
    said = "; ".join(errors)
    if status < 400:  # a zone that no longer serves the database may point elsewhere
        raise _ZoneMayHaveMoved(PsaValidationError(REDIRECT_MESSAGE, status_code=status))
    if status == 401:  # a moved database's old zone no longer knows the user either
        raise _ZoneMayHaveMoved(
            PsaAuthError(f"Autotask refused the credentials (HTTP 401); {CREDENTIALS_WORDS}", status_code=status)
        )
    if status == 403:
        raise PsaPermissionDenied(
            f"Autotask refused {doing} (HTTP 403): the API user's security level does not allow it. An Autotask "
            "admin must grant it (Admin > Resources/Users > Security Levels) and retry",
            status_code=status,
        )
    if status == 404:
        raise PsaNotFound(not_found or f"Autotask found nothing for {doing}", status_code=status)
    header_wait = retry_after_seconds(response.headers.get("Retry-After"))
    if status == 429 or (errors and LIMIT_WORDS.search(said)):
        hourly = bool(errors) and bool(re.search(r"hour|threshold", said, re.IGNORECASE))
        words = f": {said}" if said else ""
        raise PsaTransientError(
            f"Autotask is limiting requests (HTTP {status}){words}; FlowPilot tries again shortly",
            status_code=status,
            retry_after=header_wait if header_wait is not None else (HOURLY_LIMIT_WAIT if hourly else None),
        )
    if status >= 500:
        if errors and ZONE_WORDS.search(said):
            raise _ZoneMayHaveMoved(PsaValidationError(_rejection(said, status), status_code=status))
        if errors and not BUSY_WORDS.search(said):
            raise PsaValidationError(_rejection(said, status), status_code=status)  # Autotask's business rules
        raise PsaTransientError(
            f"Autotask is unavailable (HTTP {status}){': ' + said if said else ''}; try again shortly",
            status_code=status,
            retry_after=header_wait,
        )
    raise PsaValidationError(_rejection(said, status), status_code=status)


def _rejection(said: str, status: int) -> str:
    return (f"Autotask refused the request: {said}" if said else f"Autotask refused the request (HTTP {status})")[
        :MAX_MESSAGE_LENGTH
    ]


def _error_messages(response: requests.Response) -> list[str]:
    """Autotask's own words from its `{errors: ["…", …]}` body; [] when it sent none (or not JSON)."""
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    messages = []
    for error in errors:
        text = error.get("message") if isinstance(error, dict) else error
        if isinstance(text, str) and text.strip():
            messages.append(" ".join(text.split()))
    return messages[:MAX_ERROR_DETAILS]


def _json(response: requests.Response) -> Any:
    return parse_json(response, NOT_JSON_MESSAGE)


def _parse(build: Callable[[Any], T], data: Any, what: str) -> T:
    return parse(build, data, what, psa_name="Autotask")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _labels(values: list[dict] | None) -> dict[int, str]:
    return {_int(value.get("value")): str(value.get("label") or "") for value in values or []}


def _ticket_from(data: dict[str, Any], *, statuses: dict[int, str], queues: dict[int, str]) -> Ticket:
    """A ticket; its queue stands for the board (Autotask's statuses are the same in every queue)."""
    status = data.get("status")
    return Ticket(
        id=int(data["id"]),
        summary=str(data.get("title") or ""),
        board_id=int(data["queueID"]) if data.get("queueID") is not None else None,
        board_name=queues.get(_int(data.get("queueID")), ""),
        status=TicketStatus(id=int(status), name=statuses.get(int(status), "")) if status is not None else None,
        closed=status is not None and int(status) == COMPLETE_STATUS,
    )


def _note_from(data: dict[str, Any], ticket_id: int, customer_publish: set[int]) -> Note:
    customer = _int(data.get("publish")) in customer_publish
    return Note(
        id=int(data["id"]),
        ticket_id=_int(data.get("ticketID")) or int(ticket_id),
        text=str(data.get("description") or ""),
        internal=not customer,
        resolution=customer,
    )


def _ticket_note_from(data: dict[str, Any], customer_publish: set[int]) -> TicketNote:
    title, text = str(data.get("title") or "").strip(), trimmed(data.get("description"))
    return TicketNote(
        id=int(data["id"]),
        text=f"{title}\n\n{text}" if title and text else text,
        author="",  # Autotask names the creator by resource or contact id only
        created_at=parse_datetime(data.get("createDateTime")),
        internal=_int(data.get("publish")) not in customer_publish,
    )


def _no_ticket(ticket_id: int) -> str:
    return f"Autotask has no ticket {int(ticket_id)} that this API user can see"
