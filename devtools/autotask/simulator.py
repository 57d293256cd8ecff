"""FlowPilot's own stateful Autotask PSA simulator: the REST v1.0 subset of DESIGN.md §11 over real HTTP.

One server plays Autotask's zone lookup and its zones: `GET {url}/v1.0/zoneInformation?user=` (also under
`/atservicesrest/`) answers `{zoneName, url, webUrl, ci}`, and the zone's REST root is
`{url}/webservices5/ATServicesRest` until the database moves (`move_zone()`, or the `zone_move` fault
mid-run). The old zone then answers every call for the database with a 500 whose `errors` say it moved.

It behaves as Autotask does, unkind habits included: three credential headers (a 401 with an empty body
when they are wrong), `GET /Tickets/{id}` answering 200 `{"item": null}` for a ticket it does not have,
writes answering only `{itemId}`, business-rule refusals (an unknown or inactive picklist value, a note
over 32,000 characters, an empty description) as HTTP 500 with `{errors: [...]}`, queries oldest first
with at most 500 records a page and a `nextPageUrl`, and picklists (ticket status, note publish and
noteType) read from `entityInformation/fields`, inactive values included.

Faults are ConnectWise's (`devtools.connectwise.faults`, the same names and settings), answered in
Autotask's shapes, plus `zone_move` {after_calls}: a database move lands after that many API calls.
`codebase_move` is ConnectWise's and is refused here. Standard library only; 127.0.0.1 by default; fixed
dummy credentials: a test double, never a place for real data.
"""

from __future__ import annotations

import hmac
import json
import random
import re
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from devtools.connectwise.faults import REJECTION_MESSAGE, Fault, Faults, delay_seconds, pick_fault
from devtools.connectwise.seed import DEMO_TICKETS, TEST_DETAILS, HistoryNote, TicketDetails, history_of_a_test_ticket
from devtools.connectwise.server import ApiError, Handler, Reply, Request
from devtools.serving import ServedSimulator

SIMULATOR_HOST = "127.0.0.1"
SIMULATOR_PORT = 8767
SIMULATOR_USERNAME = "flowpilot-api@simulator.example"
SIMULATOR_SECRET = "simulator-secret"  # fixed dummies: the simulator holds no real data
SIMULATOR_INTEGRATION_CODE = "SIMULATORINTEGRATIONCODE000"
FIRST_ZONE = "webservices5"
NEXT_ZONE = "webservices14"
API_RESOURCE_ID = 29682885  # the API user's resource id: who Autotask says created notes
IMPERSONABLE_RESOURCES = {29682885: "FlowPilot API", 29683012: "Ravi Patel", 29683013: "Sophie Martin"}


def connection_fields(url: str) -> dict:
    """The PSA connection fields that reach a simulator at `url` with its dummy credentials (zone discovered)."""
    return {
        "provider": "autotask",
        "username": SIMULATOR_USERNAME,
        "secret": SIMULATOR_SECRET,
        "integration_code": SIMULATOR_INTEGRATION_CODE,
        "api_url": "",
        "zone_lookup_url": url,
    }


NOTE_MAX_CHARACTERS = 32_000
TITLE_MAX_CHARACTERS = 250
MAX_RECORDS = 500
CONTROL_PREFIX = "/__simulator/"
ZONE_LOOKUP = re.compile(r"(?:/atservicesrest)?/v1\.0/zoneinformation", re.IGNORECASE)
ZONE_PATH = re.compile(r"/(?P<zone>webservices\d+)/atservicesrest/v1\.0/(?P<path>.*)", re.IGNORECASE)
ZONE_MOVED_MESSAGE = (
    "The database of this user is no longer in this zone. Use the zoneInformation API to find its zone."
)
# What Autotask answers when it is down rather than refusing: IIS's page, no {errors}.
OUTAGE_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} - Server error</title></head><body><h2>{status}</h2></body></html>"
)
LIMIT_MESSAGE = (
    "Your request could not be processed: the API request threshold of 10000 requests per hour for this "
    "database has been exceeded. Requests are accepted again as usage drops."
)
FORBIDDEN_MESSAGE = "The logged in Resource does not have the adequate permissions to perform this action."
REFUSED_NOTE_MESSAGE = "TicketNotes: the note could not be saved."

QUEUES = {29682833: "Level I Support", 29682969: "Level II Support"}
PRIORITIES = {4: "Critical", 1: "High", 2: "Medium", 3: "Low"}
# (value, label, isActive, isSystem); 5 "Complete" is Autotask's finished status
STATUSES = [
    (1, "New", True, True),
    (8, "In Progress", True, False),
    (7, "Waiting Customer", True, True),
    (12, "Waiting Vendor", True, False),
    (11, "Escalate", True, False),
    (5, "Complete", True, True),
    (14, "Waiting Parts (retired)", False, False),
]
PUBLISH = [(1, "All Autotask Users", True), (2, "Internal Project Team", True), (4, "Internal & Co-Managed", True)]
NOTE_TYPES = [(1, "Task Summary", True), (2, "Task Detail", True), (3, "Task Notes", True), (6, "Old Note Type", False)]
PUBLISH_OF_KIND = {"discussion": 1, "resolution": 1, "internal": 2}
PRIORITY_OF = {"Priority 1 - Emergency Response": 4, "Priority 2 - Quick Response": 1}


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AutotaskError(Exception):
    """Raised by a route; answered as Autotask answers: `{errors: [...]}` (or nothing at all for a 401)."""

    def __init__(self, status: int, *messages: str, headers: dict | None = None):
        super().__init__("; ".join(messages))
        body = {"errors": list(messages)} if messages else None
        self.reply = Reply(status, body, headers or {})


class _Handler(Handler):
    server_version = "Microsoft-IIS/10.0"


def _picklist(values, default: int | None = None) -> list[dict]:
    return [
        {
            "value": str(value),
            "label": label,
            "isDefaultValue": value == default,
            "sortOrder": order,
            "parentValue": "",
            "isActive": active,
            "isSystem": system,
        }
        for order, (value, label, active, *rest) in enumerate(values)
        for system in [rest[0] if rest else False]
    ]


def _field(name: str, data_type: str = "integer", *, picklist: list[dict] | None = None, required=False, length=0):
    return {
        "name": name,
        "dataType": data_type,
        "length": length,
        "isRequired": required,
        "isReadOnly": name == "id",
        "isQueryable": True,
        "isReference": name.endswith("ID") and picklist is None,
        "referenceEntityType": "",
        "isPickList": picklist is not None,
        "picklistValues": picklist,
        "picklistParentValueField": "",
        "isSupportedWebhookField": False,
    }


class AutotaskSimulator(ServedSimulator):
    """A stateful Autotask simulator. `start()` serves it in a daemon thread (port 0 picks a free port);
    `serve_forever()` serves in the calling thread. Also a context manager."""

    handler_class = _Handler
    thread_name = "autotask-simulator"
    TRAILING_SLASH_OK = False  # Autotask routes its paths exactly

    def __init__(
        self,
        *,
        host: str = SIMULATOR_HOST,
        port: int = SIMULATOR_PORT,
        username: str = SIMULATOR_USERNAME,
        secret: str = SIMULATOR_SECRET,
        integration_code: str = SIMULATOR_INTEGRATION_CODE,
        ticket_history: bool = False,
        verbose: bool = False,
    ):
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        self._integration_code = integration_code
        self.ticket_history = ticket_history
        self.verbose = verbose
        self._lock = threading.Lock()
        self.reset()

    # Serving

    @property
    def api_url(self) -> str:
        """The REST root of the zone the database is in now."""
        return f"{self.url}/{self.zone}/ATServicesRest"

    # State, for tests and the control API

    def reset(self) -> None:
        """Seed data back (with `ticket_history`, the tickets' earlier notes too), faults off, counters zeroed,
        note ids from the first again, the database back in its first zone."""
        with self._lock:
            self.zone = FIRST_ZONE
            self._zone_move: dict | None = None
            self._statuses = {value: {"label": label, "active": active} for value, label, active, _ in STATUSES}
            self._tickets: dict[int, dict] = {}
            self._notes: list[dict] = []
            self._next_note_id = 31000
            self._faults = Faults()
            self._rng = random.Random()  # noqa: S311 - picks test faults, guards nothing
            self._requests: dict[str, int] = {}
            self._injected: dict[str, int] = {}
            self._impersonated: list[int] = []
            summaries = {ticket_id: f"Test ticket {ticket_id}" for ticket_id in range(1001, 1011)}
            tickets = {
                ticket_id: (summary, TEST_DETAILS, history_of_a_test_ticket(summary))
                for ticket_id, summary in summaries.items()
            } | DEMO_TICKETS
            now = _now()
            for ticket_id, (summary, details, history) in tickets.items():
                description = history[0].text if history else ""
                self._put_ticket(ticket_id, summary, status_id=None, details=details, description=description)
                for note in history[1:] if self.ticket_history else ():
                    self._add_history_note(ticket_id, note, now=now)

    def set_faults(self, **config) -> None:
        """Replace the whole fault configuration (ValueError on a bad setting): ConnectWise's fault names,
        plus `zone_move` {after_calls}; no arguments turns faults off."""
        config = dict(config)
        if "codebase_move" in config:
            raise ValueError("codebase_move is ConnectWise's; an Autotask database moves zone with zone_move")
        zone_move = config.pop("zone_move", None)
        if zone_move is not None:
            after = zone_move.get("after_calls") if isinstance(zone_move, dict) else None
            if set(zone_move) != {"after_calls"} or isinstance(after, bool) or not isinstance(after, int) or after < 0:
                raise ValueError("zone_move must be an object {after_calls} with an integer of at least 0")
            zone_move = {"after_calls": after}
        faults = Faults.parse(config)
        with self._lock:
            self._faults = faults
            self._zone_move = zone_move
            self._rng = random.Random(faults.seed)  # noqa: S311 - seeded on purpose, for repeatable runs

    def move_zone(self, zone: str = NEXT_ZONE) -> None:
        """The database moves to another zone: the old one answers 500 "no longer in this zone"."""
        if not re.fullmatch(r"webservices\d+", zone):
            raise ValueError("A zone looks like webservices14")
        with self._lock:
            self.zone = zone

    def add_ticket(self, ticket_id: int, summary: str, *, status_id: int | None = None) -> dict:
        """Create or replace a ticket (its notes stay); the status defaults to "New"."""
        with self._lock:
            details = self._tickets[ticket_id]["details"] if ticket_id in self._tickets else TEST_DETAILS
            return dict(self._put_ticket(ticket_id, summary, status_id=status_id, details=details, description=""))

    def ticket(self, ticket_id: int) -> dict:
        """The ticket as Autotask answers it (KeyError if unknown)."""
        with self._lock:
            return dict(self._tickets[ticket_id]["item"])

    def notes_for(self, ticket_id: int) -> list[dict]:
        """The ticket's notes, oldest first, each also with `text` and `internal` (False: the customer sees it)."""
        with self._lock:
            return [
                {**note, "text": note["description"], "internal": note["publish"] != 1}
                for note in self._notes
                if note["ticketID"] == ticket_id
            ]

    def state(self) -> dict:
        with self._lock:
            return {
                "tickets": [dict(ticket["item"]) for ticket in self._tickets.values()],
                "notes": [dict(note) for note in self._notes],
                "faults": asdict(self._faults) | {"zone_move": self._zone_move},
                "requests": dict(self._requests),
                "zone": self.zone,
                "api_url": self.api_url,
                "impersonated": list(self._impersonated),
                "injected_faults": dict(self._injected),
            }

    # Answering

    def handle(self, request: Request) -> Reply:
        try:
            if request.path.startswith(CONTROL_PREFIX):
                return self._control(request, request.path.removeprefix(CONTROL_PREFIX))
            if ZONE_LOOKUP.fullmatch(request.path):
                with self._lock:
                    self._count(request.method, "zoneInformation")
                return self._zone_information(request)
            if match := ZONE_PATH.fullmatch(request.path):
                return self._api(request, match["zone"].lower(), match["path"])
            raise AutotaskError(404, f"No resource at {request.path}")
        except AutotaskError as error:
            return error.reply
        except ApiError as error:  # the shared plumbing's words (a body that is not JSON), in Autotask's shape
            return Reply(error.reply.status, {"errors": [error.reply.body["message"]]})

    def _api(self, request: Request, zone: str, path: str) -> Reply:
        route, methods, ids = self._route(path.rstrip("/"))
        with self._lock:
            self._count(request.method, route)
            fault = pick_fault(self._faults, self._rng, request.method)
            if fault:
                self._injected[fault.kind] = self._injected.get(fault.kind, 0) + 1
            delay_before, delay_after, apply_late = delay_seconds(self._faults, request.method, route)
        started = time.monotonic()
        client_gone = bool(delay_before) and not request.wait(delay_before)
        if client_gone and not apply_late:
            return Reply(0, drop=True)
        if client_gone:
            time.sleep(max(0.0, started + delay_before - time.monotonic()))
        if fault and not fault.after_apply:
            return self._fault_reply(fault)
        try:
            self._authenticate(request)
            if zone != self.zone:
                raise AutotaskError(500, ZONE_MOVED_MESSAGE)
            if methods is None:
                raise AutotaskError(404, f"No resource at {request.path}")
            if request.method not in methods:
                raise AutotaskError(405, f"The requested resource does not support http method '{request.method}'.")
            with self._lock:
                reply = methods[request.method](self, request, *ids)
        except AutotaskError as error:
            reply = error.reply
        except ApiError as error:
            reply = Reply(400, {"errors": [error.reply.body["message"]]})
        self._move_when_due()
        if client_gone or (delay_after and not request.wait(delay_after)):
            return Reply(0, drop=True)
        return self._fault_reply(fault) if fault else reply

    def _fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "drop_connection":
            return Reply(0, drop=True)
        if fault.kind == "reject":
            message = REFUSED_NOTE_MESSAGE if fault.message == REJECTION_MESSAGE else fault.message
            return Reply(500, {"errors": [message]})
        if fault.kind == "forbidden":
            return Reply(403, {"errors": [FORBIDDEN_MESSAGE]})
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        if fault.kind == "rate_limit" and not fault.html:
            return Reply(429, {"errors": [LIMIT_MESSAGE]}, headers)
        page = OUTAGE_PAGE.format(status=fault.status)
        return Reply(fault.status, page, headers, content_type="text/html; charset=utf-8")

    def _move_when_due(self) -> None:
        with self._lock:
            if self._zone_move is None:
                return
            self._zone_move["after_calls"] -= 1
            if self._zone_move["after_calls"] <= 0:
                self.zone = NEXT_ZONE if self.zone != NEXT_ZONE else FIRST_ZONE
                self._zone_move = None

    def _authenticate(self, request: Request) -> None:
        headers = request.headers
        username = (headers.get("UserName") or "").strip().lower()
        secret = (headers.get("Secret") or "").encode()
        code = (headers.get("ApiIntegrationCode") or "").encode()
        if not (
            hmac.compare_digest(username.encode(), self.username.lower().encode())
            and hmac.compare_digest(secret, self._secret.encode())
            and hmac.compare_digest(code, self._integration_code.encode())
        ):
            raise AutotaskError(401)  # Autotask's 401 says nothing more
        impersonate = headers.get("ImpersonationResourceId")
        if impersonate:
            if not impersonate.isdigit() or int(impersonate) not in IMPERSONABLE_RESOURCES:
                raise AutotaskError(500, f"ImpersonationResourceId {impersonate} is not an active resource.")
            with self._lock:
                self._impersonated.append(int(impersonate))

    def _zone_information(self, request: Request) -> Reply:
        if request.method != "GET":
            raise AutotaskError(405, f"The requested resource does not support http method '{request.method}'.")
        user = (request.param("user") or "").strip().lower()
        if not user:
            raise AutotaskError(500, "The user parameter is required.")
        if user != self.username.lower():
            raise AutotaskError(404, "Zone information could not be determined for the user.")
        number = self.zone.removeprefix("webservices")
        return Reply(
            200,
            {
                "zoneName": f"Simulator (zone {number})",
                "url": f"{self.api_url}/",
                "webUrl": f"{self.url}/ww{number}/",
                "ci": 123456,
            },
        )

    # API routes; each runs under the lock

    def _ticket_fields(self, request: Request) -> Reply:
        statuses = [(value, s["label"], s["active"], value in (1, 5, 7)) for value, s in self._statuses.items()]
        return Reply(
            200,
            {
                "fields": [
                    _field("id", "long", required=True),
                    _field("title", "string", required=True, length=255),
                    _field("description", "string", length=8000),
                    _field("status", picklist=_picklist(statuses, default=1), required=True),
                    _field(
                        "priority", picklist=_picklist([(value, label, True) for value, label in PRIORITIES.items()], 2)
                    ),
                    _field("queueID", picklist=_picklist([(value, label, True) for value, label in QUEUES.items()])),
                    _field("companyID", required=True),
                    _field("contactID"),
                ]
            },
        )

    def _note_fields(self, request: Request) -> Reply:
        return Reply(
            200,
            {
                "fields": [
                    _field("id", "long", required=True),
                    _field("ticketID", "long", required=True),
                    _field("title", "string", length=TITLE_MAX_CHARACTERS),
                    _field("description", "string", required=True, length=NOTE_MAX_CHARACTERS),
                    _field("noteType", picklist=_picklist(NOTE_TYPES, default=1), required=True),
                    _field("publish", picklist=_picklist(PUBLISH, default=1), required=True),
                    _field("createDateTime", "datetime"),
                ]
            },
        )

    def _get_ticket(self, request: Request, ticket_id: int) -> Reply:
        ticket = self._tickets.get(ticket_id)
        return Reply(200, {"item": dict(ticket["item"]) if ticket else None})

    def _patch_ticket(self, request: Request) -> Reply:
        data = request.json()
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise AutotaskError(500, "The id of the Ticket to update is required.")
        ticket = self._tickets.get(data["id"])
        if ticket is None:
            raise AutotaskError(404, f"Ticket with id {data['id']} was not found.")
        if "status" in data:
            status_id = data["status"]
            status = self._statuses.get(status_id) if isinstance(status_id, int) else None
            if status is None:
                raise AutotaskError(500, f"Value {status_id} for field status is not a valid picklist value.")
            if not status["active"] and self._faults.refuse_invalid_status:
                raise AutotaskError(500, f"Value {status_id} for field status is inactive.")
            # The trap: an inactive status, or a workflow rule, leaves the status as it was while the call
            # answers 200 with the ticket's id.
            if status["active"] and not self._faults.silent_status_rejection:
                ticket["item"]["status"] = status_id
                ticket["item"]["completedDate"] = _stamp(_now()) if status_id == 5 else None
                ticket["item"]["lastActivityDate"] = _stamp(_now())
        return Reply(200, {"itemId": data["id"]})

    def _create_note(self, request: Request, ticket_id: int) -> Reply:
        if ticket_id not in self._tickets:
            raise AutotaskError(500, f"Ticket with id {ticket_id} was not found: the parent entity is invalid.")
        data = request.json()
        if not isinstance(data, dict):
            raise AutotaskError(500, "The TicketNote could not be read.")
        description, title = data.get("description"), data.get("title") or ""
        if not isinstance(description, str) or not description.strip():
            raise AutotaskError(500, "Missing Required Field: description")
        if len(description) > NOTE_MAX_CHARACTERS:
            raise AutotaskError(500, f"description: Value exceeds the maximum length of {NOTE_MAX_CHARACTERS}.")
        if not isinstance(title, str) or len(title) > TITLE_MAX_CHARACTERS:
            raise AutotaskError(500, f"title: Value exceeds the maximum length of {TITLE_MAX_CHARACTERS}.")
        for field, values in (("noteType", NOTE_TYPES), ("publish", PUBLISH)):
            active = {value for value, _label, is_active in values if is_active}
            if data.get(field) not in active:
                raise AutotaskError(500, f"Value {data.get(field)} for field {field} is not a valid picklist value.")
        impersonated = request.headers.get("ImpersonationResourceId")
        note = self._add_note(
            ticket_id,
            title=title,
            description=description,
            note_type=data["noteType"],
            publish=data["publish"],
            creator=int(impersonated) if impersonated else API_RESOURCE_ID,
        )
        for number in range((self._faults.busy_ticket or {}).get("notes", 0)):
            contact = self._tickets[ticket_id]["item"]["contactID"]
            self._add_note(
                ticket_id,
                title="",
                description=f"Automatic reply {number + 1}: your request has been updated.",
                note_type=2,
                publish=1,
                contact=contact,
            )
        return Reply(200, {"itemId": note["id"]})

    def _child_notes(self, request: Request, ticket_id: int) -> Reply:
        if ticket_id not in self._tickets:
            raise AutotaskError(404, f"Ticket with id {ticket_id} was not found.")
        notes = [dict(note) for note in self._notes if note["ticketID"] == ticket_id]
        return Reply(200, {"items": notes[:MAX_RECORDS], "pageDetails": self._page_details(len(notes[:MAX_RECORDS]))})

    def _query_notes(self, request: Request) -> Reply:
        raw = request.param("search")
        try:
            search = json.loads(raw or "")
        except ValueError:
            raise AutotaskError(500, "The search parameter is not valid JSON.") from None
        filters = search.get("filter") if isinstance(search, dict) else None
        if not isinstance(filters, list) or not filters:
            raise AutotaskError(500, "A query requires at least one filter.")
        size = search.get("MaxRecords", MAX_RECORDS)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_RECORDS:
            raise AutotaskError(500, f"MaxRecords must be between 1 and {MAX_RECORDS}.")
        notes = [note for note in self._notes if all(self._matches(note, condition) for condition in filters)]
        page = notes[:size]  # oldest first, as Autotask answers
        next_url = None
        if len(notes) > size:
            following = {**search, "filter": [*filters, {"op": "gt", "field": "id", "value": page[-1]["id"]}]}
            host = request.headers.get("Host") or f"{self.host}:{self.port}"
            query = urlencode({"search": json.dumps(following, separators=(",", ":"))})
            next_url = f"http://{host}/{self.zone}/ATServicesRest/V1.0/TicketNotes/query?{query}"
        return Reply(
            200, {"items": [dict(note) for note in page], "pageDetails": self._page_details(len(page), next_url)}
        )

    @staticmethod
    def _page_details(count: int, next_url: str | None = None) -> dict:
        return {"count": count, "requestCount": MAX_RECORDS, "prevPageUrl": None, "nextPageUrl": next_url}

    @staticmethod
    def _matches(note: dict, condition) -> bool:
        if not isinstance(condition, dict) or condition.get("op") not in ("eq", "gt", "gte", "lt", "lte"):
            raise AutotaskError(500, f"The simulator does not support the filter {condition!r}.")
        field, op, value = condition.get("field"), condition["op"], condition.get("value")
        fields = {key.lower(): key for key in note}
        if not isinstance(field, str) or field.lower() not in fields:
            raise AutotaskError(500, f"Invalid query: the field {field!r} does not exist on TicketNotes.")
        actual = note[fields[field.lower()]]
        if field.lower() == "createdatetime":
            actual, value = _parse_time(actual), _parse_time(value)
            if value is None:
                raise AutotaskError(500, "Invalid query: createDateTime must be a date and time.")
        try:
            return {
                "eq": actual == value,
                "gt": actual > value,
                "gte": actual >= value,
                "lt": actual < value,
                "lte": actual <= value,
            }[op]
        except TypeError:
            raise AutotaskError(500, f"Invalid query value for {field}.") from None

    def _get_company(self, request: Request, company_id: int) -> Reply:
        details = next((t["details"] for t in self._tickets.values() if t["details"].company.id == company_id), None)
        item = {"id": company_id, "companyName": details.company.name, "isActive": True} if details else None
        return Reply(200, {"item": item})

    def _get_contact(self, request: Request, contact_id: int) -> Reply:
        details = next((t["details"] for t in self._tickets.values() if t["details"].contact.id == contact_id), None)
        if details is None:
            return Reply(200, {"item": None})
        first, _, last = details.contact.name.partition(" ")
        item = {
            "id": contact_id,
            "companyID": details.company.id,
            "firstName": first,
            "lastName": last,
            "emailAddress": details.contact_email,
            "phone": details.contact_phone,
            "isActive": 1,
        }
        return Reply(200, {"item": item})

    ROUTES = (
        (re.compile(r"tickets/entityinformation/fields", re.I), "ticket fields", {"GET": _ticket_fields}),
        (re.compile(r"ticketnotes/entityinformation/fields", re.I), "note fields", {"GET": _note_fields}),
        (re.compile(r"tickets/(\d+)", re.I), "ticket", {"GET": _get_ticket}),
        (re.compile(r"tickets", re.I), "tickets", {"PATCH": _patch_ticket}),
        (re.compile(r"tickets/(\d+)/notes", re.I), "notes", {"GET": _child_notes, "POST": _create_note}),
        (re.compile(r"ticketnotes/query", re.I), "notes query", {"GET": _query_notes}),
        (re.compile(r"companies/(\d+)", re.I), "company", {"GET": _get_company}),
        (re.compile(r"contacts/(\d+)", re.I), "contact", {"GET": _get_contact}),
    )

    # Helpers, under the lock

    def _put_ticket(
        self, ticket_id: int, summary: str, *, status_id: int | None, details: TicketDetails, description: str
    ) -> dict:
        status_id = 1 if status_id is None else status_id
        if status_id not in self._statuses:
            raise ValueError(f"Status {status_id} is not in the ticket status picklist")
        now = _stamp(_now())
        old = self._tickets.get(ticket_id, {}).get("item", {})
        item = {
            "id": ticket_id,
            "ticketNumber": f"T20260101.{ticket_id % 10000:04d}",
            "title": summary,
            "description": description or old.get("description", ""),
            "status": status_id,
            "priority": PRIORITY_OF.get(details.priority.name, 2),
            "queueID": 29682833,
            "companyID": details.company.id,
            "contactID": details.contact.id,
            "createDate": old.get("createDate", now),
            "lastActivityDate": now,
            "completedDate": now if status_id == 5 else None,
            "ticketType": 1,
            "source": 2,
        }
        self._tickets[ticket_id] = {"item": item, "details": details}
        return item

    def _add_note(
        self,
        ticket_id: int,
        *,
        title: str,
        description: str,
        note_type: int,
        publish: int,
        creator: int | None = None,
        contact: int | None = None,
        when: datetime | None = None,
    ) -> dict:
        self._next_note_id += 1
        stamp = _stamp(when or _now())
        note = {
            "id": self._next_note_id,
            "ticketID": ticket_id,
            "title": title,
            "description": description,
            "noteType": note_type,
            "publish": publish,
            "createDateTime": stamp,
            "lastActivityDate": stamp,
            "creatorResourceID": creator,
            "createdByContactID": contact,
        }
        self._notes.append(note)
        return note

    def _add_history_note(self, ticket_id: int, note: HistoryNote, *, now: datetime) -> dict:
        by_contact = note.by is None
        resources = {name: resource_id for resource_id, name in IMPERSONABLE_RESOURCES.items()}
        return self._add_note(
            ticket_id,
            title="" if by_contact else "Note",
            description=note.text,
            note_type=1,
            publish=PUBLISH_OF_KIND[note.kind],
            creator=None if by_contact else resources.get(note.by, API_RESOURCE_ID),
            contact=self._tickets[ticket_id]["item"]["contactID"] if by_contact else None,
            when=now - timedelta(hours=note.hours_ago),
        )

    # The control API: never faulted, never counted

    def _control(self, request: Request, action: str) -> Reply:
        if (request.method, action) == ("GET", "state"):
            return Reply(200, self.state())
        if request.method != "POST" or action not in ("faults", "reset", "tickets", "zone"):
            raise AutotaskError(404, f"No simulator control {request.method} {request.path}")
        if action == "reset":
            self.reset()
            return Reply(200, self.state())
        data = request.json()
        if not isinstance(data, dict):
            raise AutotaskError(400, "The request body must be a JSON object")
        try:
            if action == "faults":
                self.set_faults(**data)
                return Reply(200, {"faults": self.state()["faults"]})
            if action == "zone":
                self.move_zone(str(data.get("zone") or NEXT_ZONE))
                return Reply(200, {"zone": self.zone, "api_url": self.api_url})
            ticket_id, summary, status_id = data.get("id"), data.get("summary"), data.get("status_id")
            if not isinstance(ticket_id, int) or ticket_id < 1 or not isinstance(summary, str) or not summary:
                raise ValueError("A ticket needs a positive integer id and a summary")
            if status_id is not None and not isinstance(status_id, int):
                raise ValueError("status_id must be an integer")
            return Reply(201, self.add_ticket(ticket_id, summary, status_id=status_id))
        except ValueError as error:
            raise AutotaskError(400, str(error)) from None
