"""FlowPilot's own stateful ConnectWise Manage simulator: the API subset of DESIGN.md §7 over real HTTP.

The demo (`manage.py cw_simulator`), the integration tests and the benchmark talk to it exactly as they
would talk to ConnectWise. Its faults are switchable, in process (`set_faults`) or over HTTP on the
same server (`/__simulator/...`): silent status rejection, 429, 5xx, a 400 rejection with ConnectWise's
own message, dropped connections (before or after the request is applied), latency, slow routes (the
answer late, before or after the request is applied) and random transient failures.

A call kept waiting before it is applied is never applied if its client hangs up meanwhile (a read
timeout, a killed worker), as a server that drops an abandoned request; a call applied first and
answered late stays applied whatever the client does. Those are the two cases a client that lost an
answer must tell apart by looking at the ticket.

Every seeded ticket has a company, contact, site and priority (`seed.py`). With `ticket_history` it also has
the notes people wrote before FlowPilot came along, its description first, as the demo shows them; the
tests leave it off, so a ticket's notes are the ones they post.

Standard library only, so it starts fast and runs without Django. It serves 127.0.0.1 by default and
its credentials are fixed dummies: it is a test double, never a place for real data.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import random
import re
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from email.message import Message
from urllib.parse import urlencode

from devtools.connectwise.faults import Faults, delay_seconds, fault_reply, pick_fault
from devtools.connectwise.seed import (
    DEMO_TICKETS,
    MEMBERS,
    TEST_DETAILS,
    HistoryNote,
    Reference,
    TicketDetails,
    history_of_a_test_ticket,
)
from devtools.connectwise.server import ApiError, Handler, Reply, Request
from devtools.serving import ServedSimulator

SIMULATOR_HOST = "127.0.0.1"
SIMULATOR_PORT = 8765
SIMULATOR_COMPANY_ID = "flowpilot"
SIMULATOR_PUBLIC_KEY = "simulator-public"
SIMULATOR_PRIVATE_KEY = "simulator-private"  # a fixed dummy: the simulator holds no real data
SIMULATOR_CLIENT_ID = "flowpilot-simulator"
SIMULATOR_CODEBASE = "v4_6_release/"


def connection_fields(url: str) -> dict:
    """The PSA connection fields that reach a simulator with the default credentials at `url`."""
    return {
        "site_url": url,
        "company_id": SIMULATOR_COMPANY_ID,
        "public_key": SIMULATOR_PUBLIC_KEY,
        "private_key": SIMULATOR_PRIVATE_KEY,
        "client_id": SIMULATOR_CLIENT_ID,
    }


API_MEMBER = "flowpilot-api"  # who ConnectWise says created notes and updated tickets
API_MEMBER_REFERENCE = Reference(190, "FlowPilot API", API_MEMBER)
EMAIL_CONNECTOR = "email-connector"  # ConnectWise's own name on notes a contact sent by e-mail
NOTE_FLAGS = {"discussion": "detailDescriptionFlag", "internal": "internalAnalysisFlag", "resolution": "resolutionFlag"}
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
CONTROL_PREFIX = "/__simulator/"
CREATED_SINCE = re.compile(r"dateCreated\s*>=\s*\[(?P<since>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\]")
COMPANY_INFO = re.compile(r"/login/companyinfo/(?P<company_id>[^/]+)")

BOARDS = {1: "Help Desk", 2: "Projects"}
# (id, board id, name, closedStatus, inactive)
STATUSES = [
    (1, 1, "New", False, False),
    (2, 1, "In Progress", False, False),
    (3, 1, "Waiting on Customer", False, False),
    (4, 1, "Escalated - Tier 2", False, False),
    (5, 1, "Resolved", True, False),
    (6, 1, "Closed", True, False),
    (7, 1, "Old Resolved", True, True),
    (20, 2, "Planning", False, False),
    (21, 2, "Done", True, False),
]


def _now() -> str:
    return _timestamp(datetime.now(UTC))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _only_fields(item: dict, fields: str | None) -> dict:
    """ConnectWise's `fields=id,summary,company/name`: only the fields named (a nested one keeps its named part)."""
    if not fields:
        return item
    chosen: dict = {}
    for field in (field.strip() for field in fields.split(",")):
        top, _, inner = field.partition("/")
        if top not in item:
            continue
        if inner and isinstance(item[top], dict):
            part = chosen.setdefault(top, {})
            if part is not item[top] and inner in item[top]:  # not when the whole of it was named already
                part[inner] = item[top][inner]
        else:
            chosen[top] = item[top]
    return chosen


def _positive_int(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ApiError(400, "InvalidObject", f"{name} must be a positive integer")
    return number


# --- The simulator ------------------------------------------------------------------------------


class ConnectWiseSimulator(ServedSimulator):
    """A stateful ConnectWise Manage simulator. `start()` serves it in a daemon thread (port 0 picks a
    free port); `serve_forever()` serves in the calling thread. Also a context manager."""

    handler_class = Handler
    thread_name = "cw-simulator"

    def __init__(
        self,
        *,
        host: str = SIMULATOR_HOST,
        port: int = SIMULATOR_PORT,
        company_id: str = SIMULATOR_COMPANY_ID,
        public_key: str = SIMULATOR_PUBLIC_KEY,
        private_key: str = SIMULATOR_PRIVATE_KEY,
        client_id: str = SIMULATOR_CLIENT_ID,
        codebase: str = SIMULATOR_CODEBASE,
        ticket_history: bool = False,
        verbose: bool = False,
    ):
        self.host = host
        self.port = port
        self.company_id = company_id
        self.client_id = client_id
        self.codebase = self._first_codebase = codebase
        self.ticket_history = ticket_history
        self.verbose = verbose
        self._credentials = f"{company_id}+{public_key}:{private_key}"
        self._api_prefix = f"/{codebase}apis/3.0/"
        self._lock = threading.Lock()
        self.reset()

    # Serving

    # State, for tests and the control API

    def reset(self) -> None:
        """Seed data back (with `ticket_history`, the tickets' earlier notes too), faults off, counters zeroed,
        note ids from 1 again (after the history's), the first codebase."""
        with self._lock:
            self.codebase = self._first_codebase
            self._api_prefix = f"/{self.codebase}apis/3.0/"
            self._statuses = {
                status_id: {"id": status_id, "board_id": board_id, "name": name, "closed": closed, "inactive": inactive}
                for status_id, board_id, name, closed, inactive in STATUSES
            }
            self._tickets: dict[int, dict] = {}
            self._notes: list[dict] = []
            self._faults = Faults()
            self._rng = random.Random()  # noqa: S311 - picks test faults, guards nothing
            self._requests: dict[str, int] = {}
            self._accept_headers: set[str] = set()
            self._injected: dict[str, int] = {}
            summaries = {ticket_id: f"Test ticket {ticket_id}" for ticket_id in range(1001, 1011)}
            test_tickets = {
                ticket_id: (summary, TEST_DETAILS, history_of_a_test_ticket(summary))
                for ticket_id, summary in summaries.items()
            }
            now = datetime.now(UTC)
            for ticket_id, (summary, details, history) in (test_tickets | DEMO_TICKETS).items():
                self._put_ticket(ticket_id, summary, board_id=1, status_id=None, details=details)
                for note in history if self.ticket_history else ():
                    self._add_history_note(ticket_id, note, now=now)

    def set_faults(self, **config) -> None:
        """Replace the whole fault configuration (ValueError on a bad setting), e.g.
        `set_faults(rate_limit={"count": 2, "retry_after": 1})`; no arguments turns faults off."""
        faults = Faults.parse(config)
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)  # noqa: S311 - seeded on purpose, for repeatable runs

    def add_ticket(
        self,
        ticket_id: int,
        summary: str,
        *,
        board_id: int = 1,
        status_id: int | None = None,
        details: TicketDetails | None = None,
    ) -> dict:
        """Create or replace a ticket (its notes stay); the status defaults to the board's first one, the
        details to the ticket's own (a new one: the test tickets' customer)."""
        with self._lock:
            ticket = self._put_ticket(ticket_id, summary, board_id=board_id, status_id=status_id, details=details)
            return self._ticket_json(ticket)

    def add_history_note(
        self, ticket_id: int, text: str, *, kind: str = "discussion", by: str | None = None, hours_ago: float = 1
    ) -> dict:
        """A note written on the ticket outside FlowPilot, `hours_ago`: by a member of `seed.MEMBERS`, or by
        the ticket's contact when `by` is None; `kind` is "discussion", "internal" or "resolution"."""
        if kind not in NOTE_FLAGS or (by is not None and by not in MEMBERS):
            raise ValueError(f"A note is one of {', '.join(NOTE_FLAGS)}, by one of {', '.join(MEMBERS)} or the contact")
        with self._lock:
            self._ticket_or_404(ticket_id)
            note = HistoryNote(hours_ago=hours_ago, kind=kind, text=text, by=by)
            return dict(self._add_history_note(ticket_id, note, now=datetime.now(UTC)))

    def ticket(self, ticket_id: int) -> dict:
        """The ticket as ConnectWise answers it (KeyError if unknown)."""
        with self._lock:
            return self._ticket_json(self._tickets[ticket_id])

    def move_codebase(self, codebase: str) -> None:
        """A cloud upgrade: the API moves to another codebase (`v2025_2/`), and the old paths answer 404."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}/", codebase):
            raise ValueError("A codebase looks like v2025_2/")
        with self._lock:
            self._move_codebase(codebase)

    def _move_codebase(self, codebase: str) -> None:  # under the lock
        self.codebase = codebase
        self._api_prefix = f"/{codebase}apis/3.0/"

    def notes_for(self, ticket_id: int) -> list[dict]:
        """The ticket's notes, oldest first."""
        with self._lock:
            return [dict(note) for note in self._notes if note["ticketId"] == ticket_id]

    def state(self) -> dict:
        with self._lock:
            return {
                "tickets": [self._ticket_json(ticket) for ticket in self._tickets.values()],
                "notes": [dict(note) for note in self._notes],
                "faults": asdict(self._faults),
                "requests": dict(self._requests),
                "accept_headers": sorted(self._accept_headers),
                "codebase": self.codebase,
                "injected_faults": dict(self._injected),
            }

    # Answering

    def handle(self, request: Request) -> Reply:
        try:
            if request.path.startswith(CONTROL_PREFIX):
                return self._control(request, request.path.removeprefix(CONTROL_PREFIX))
            if match := COMPANY_INFO.fullmatch(request.path):
                with self._lock:
                    self._count(request.method, "companyinfo")
                return self._company_info(request, match["company_id"])
            if request.path.startswith(self._api_prefix):
                return self._api(request, request.path.removeprefix(self._api_prefix))
            raise ApiError(404, "NotFound", f"No resource at {request.path}")
        except ApiError as error:
            return error.reply

    def _api(self, request: Request, path: str) -> Reply:
        route, methods, ids = self._route(path)
        with self._lock:
            self._count(request.method, route)
            self._accept_headers.add(request.headers.get("Accept") or "")
            fault = pick_fault(self._faults, self._rng, request.method)
            if fault:
                self._injected[fault.kind] = self._injected.get(fault.kind, 0) + 1
            delay_before, delay_after, apply_late = delay_seconds(self._faults, request.method, route)
        started = time.monotonic()
        client_gone = bool(delay_before) and not request.wait(delay_before)
        if client_gone and not apply_late:
            return Reply(0, drop=True)  # the client gave up waiting: the call is dropped, never applied
        if client_gone:  # applied anyway, once its delay has passed, for nobody to hear about
            time.sleep(max(0.0, started + delay_before - time.monotonic()))
        if fault and not fault.after_apply:
            return fault_reply(fault)
        try:
            self._authenticate(request.headers)
            if methods is None:
                raise ApiError(404, "NotFound", f"No resource at {request.path}")
            if request.method not in methods:
                raise ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed on {request.path}")
            with self._lock:
                reply = methods[request.method](self, request, *ids)
        except ApiError as error:
            reply = error.reply
        self._upgrade_when_due()
        if client_gone or (delay_after and not request.wait(delay_after)):
            return Reply(0, drop=True)  # applied already; the client stopped waiting for the answer
        return fault_reply(fault) if fault else reply

    def _upgrade_when_due(self) -> None:
        """A `codebase_move` fault lands once its count of API calls has been answered."""
        with self._lock:
            move = self._faults.codebase_move
            if move is None:
                return
            move["after_calls"] -= 1
            if move["after_calls"] <= 0:
                self._move_codebase(move["codebase"])
                self._faults.codebase_move = None

    def _authenticate(self, headers: Message) -> None:
        scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
        try:
            credentials = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            credentials = ""
        if scheme.lower() != "basic" or not hmac.compare_digest(credentials.encode(), self._credentials.encode()):
            raise ApiError(401, "Unauthorized", "Invalid credentials: check the company id, public and private keys")
        client_id = headers.get("clientId")
        if not client_id:
            raise ApiError(401, "Unauthorized", "clientId is required: send your integration's clientId header")
        if client_id != self.client_id:
            raise ApiError(401, "Unauthorized", "The clientId is not valid")

    def _company_info(self, request: Request, company_id: str) -> Reply:
        if request.method != "GET":
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed on {request.path}")
        if company_id.lower() != self.company_id.lower():
            raise ApiError(404, "NotFound", f"Company {company_id} not found")
        return Reply(
            200,
            {
                "CompanyName": "FlowPilot Simulator",
                "Codebase": self.codebase,
                "VersionCode": "v2025.1",
                "VersionNumber": "v4.6.90000",
                "CompanyID": self.company_id,
                "IsCloud": False,
                "SiteUrl": f"{self.host}:{self.port}",
            },
        )

    # API routes; each runs under the lock

    def _system_info(self, request: Request) -> Reply:
        return Reply(200, {"version": "v2025.1 (simulator)", "isCloud": False, "serverTimeZone": "UTC"})

    def _get_ticket(self, request: Request, ticket_id: int) -> Reply:
        return Reply(200, _only_fields(self._ticket_json(self._ticket_or_404(ticket_id)), request.param("fields")))

    def _patch_ticket(self, request: Request, ticket_id: int) -> Reply:
        ticket = self._ticket_or_404(ticket_id)
        operations = request.json()
        if not isinstance(operations, list) or not operations:
            raise ApiError(400, "InvalidObject", "The request body must be a JSON Patch list of operations")
        status_ids = [self._status_id_from(operation) for operation in operations]
        # The realistic trap: ConnectWise answers 200 and leaves the status alone when the status is of
        # another board, inactive, unknown, or a workflow rule refuses it.
        status = self._statuses.get(status_ids[-1])
        invalid = status is None or status["board_id"] != ticket["board_id"] or status["inactive"]
        if invalid and self._faults.refuse_invalid_status:
            why = "is inactive" if status is not None and status["inactive"] else "is not valid for this board"
            raise ApiError(
                400,
                "InvalidObject",
                "ticket object is invalid",
                [{"code": "InvalidStatus", "message": f"The status {why}", "resource": "ticket", "field": "status"}],
            )
        if (
            not self._faults.silent_status_rejection
            and status is not None
            and status["board_id"] == ticket["board_id"]
            and not status["inactive"]
        ):
            ticket.update(status_id=status["id"], last_updated=_now(), updated_by=API_MEMBER)
        return Reply(200, self._ticket_json(ticket))

    def _create_note(self, request: Request, ticket_id: int) -> Reply:
        self._ticket_or_404(ticket_id)
        data = request.json()
        if not isinstance(data, dict):
            raise ApiError(400, "InvalidObject", "ServiceNote object is invalid")
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(
                400,
                "InvalidObject",
                "ServiceNote object is invalid",
                [
                    {
                        "code": "NullOrEmpty",
                        "message": "text may not be empty",
                        "resource": "ServiceNote",
                        "field": "text",
                    }
                ],
            )
        flags = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")
        if not any(data.get(flag) is True for flag in flags):  # ConnectWise's own rule and words
            raise ApiError(400, "InvalidObject", "Please choose where to display the notes")
        now = _now()
        note = {
            "id": len(self._notes) + 1,
            "ticketId": ticket_id,
            "text": text,
            **{
                flag: bool(data.get(flag, False))
                for flag in ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "customerUpdatedFlag")
            },
            "processNotifications": bool(data.get("processNotifications", False)),
            "member": API_MEMBER_REFERENCE.json(),
            "dateCreated": now,
            "createdBy": API_MEMBER,
            "_info": {"lastUpdated": now, "updatedBy": API_MEMBER},
        }
        self._notes.append(note)
        for number in range((self._faults.busy_ticket or {}).get("notes", 0)):
            self._add_other_note(ticket_id, f"Automatic reply {number + 1}: your request has been updated.")
        return Reply(201, dict(note))

    def _add_other_note(self, ticket_id: int, text: str) -> None:
        """A note another member (or ConnectWise's e-mail connector) adds to the ticket."""
        now = _now()
        self._notes.append(
            {
                "id": len(self._notes) + 1,
                "ticketId": ticket_id,
                "text": text,
                "detailDescriptionFlag": True,
                "internalAnalysisFlag": False,
                "resolutionFlag": False,
                "customerUpdatedFlag": False,
                "processNotifications": False,
                "dateCreated": now,
                "createdBy": "email-connector",
                "_info": {"lastUpdated": now, "updatedBy": "email-connector"},
            }
        )

    def _add_history_note(self, ticket_id: int, note: HistoryNote, *, now: datetime) -> dict:
        """A note a member, or the ticket's contact by e-mail, wrote `note.hours_ago` before `now`."""
        when = _timestamp(now - timedelta(hours=note.hours_ago))
        if note.by is None:
            author = {"contact": self._tickets[ticket_id]["details"].contact.json(), "createdBy": EMAIL_CONNECTOR}
        else:
            member = MEMBERS[note.by]
            author = {"member": member.json(), "createdBy": member.identifier}
        row = {
            "id": len(self._notes) + 1,
            "ticketId": ticket_id,
            "text": note.text,
            **{flag: flag == NOTE_FLAGS[note.kind] for flag in NOTE_FLAGS.values()},
            "customerUpdatedFlag": note.by is None,
            "processNotifications": False,
            **author,
            "dateCreated": when,
            "_info": {"lastUpdated": when, "updatedBy": author["createdBy"]},
        }
        self._notes.append(row)
        return row

    def _list_notes(self, request: Request, ticket_id: int) -> Reply:
        self._ticket_or_404(ticket_id)
        order = " ".join((request.param("orderBy") or "id asc").lower().split())
        if order not in ("id", "id asc", "id desc"):
            raise ApiError(400, "InvalidObject", f"orderBy {order!r} is not supported by the simulator")
        notes = [dict(note) for note in self._notes if note["ticketId"] == ticket_id]
        conditions = request.param("conditions")
        if conditions:
            match = CREATED_SINCE.fullmatch(conditions.strip())
            if not match:
                raise ApiError(400, "InvalidObject", f"conditions {conditions!r} is not supported by the simulator")
            notes = [note for note in notes if note["dateCreated"] >= match["since"]]
        fields = request.param("fields")
        return self._page(
            request, [_only_fields(note, fields) for note in (notes[::-1] if order == "id desc" else notes)]
        )

    def _list_statuses(self, request: Request, board_id: int) -> Reply:
        if board_id not in BOARDS:
            raise ApiError(404, "NotFound", f"Board with id {board_id} not found")
        statuses = [status for status in self._statuses.values() if status["board_id"] == board_id]
        return self._page(
            request,
            [
                {
                    "id": status["id"],
                    "name": status["name"],
                    "board": {"id": board_id, "name": BOARDS[board_id], "_info": {}},
                    "sortOrder": sort_order,
                    "closedStatus": status["closed"],
                    "inactive": status["inactive"],
                    "timeEntryNotAllowed": status["closed"],
                    "_info": {},
                }
                for sort_order, status in enumerate(statuses)
            ],
        )

    ROUTES = (
        (re.compile(r"service/tickets/(\d+)"), "ticket", {"GET": _get_ticket, "PATCH": _patch_ticket}),
        (re.compile(r"service/tickets/(\d+)/notes"), "notes", {"GET": _list_notes, "POST": _create_note}),
        (re.compile(r"service/boards/(\d+)/statuses"), "statuses", {"GET": _list_statuses}),
        (re.compile(r"system/info"), "info", {"GET": _system_info}),
    )

    # Helpers of the routes, all under the lock

    def _put_ticket(
        self, ticket_id: int, summary: str, *, board_id: int, status_id: int | None, details: TicketDetails | None
    ) -> dict:
        if board_id not in BOARDS:
            raise ValueError(f"Board {board_id} does not exist")
        board_status_ids = [status["id"] for status in self._statuses.values() if status["board_id"] == board_id]
        if status_id is None:
            status_id = min(board_status_ids)
        elif status_id not in board_status_ids:
            raise ValueError(f"Status {status_id} is not a status of board {board_id}")
        if details is None:
            details = self._tickets[ticket_id]["details"] if ticket_id in self._tickets else TEST_DETAILS
        ticket = {
            "id": ticket_id,
            "summary": summary,
            "board_id": board_id,
            "status_id": status_id,
            "details": details,
            "last_updated": _now(),
            "updated_by": API_MEMBER,
        }
        self._tickets[ticket_id] = ticket
        return ticket

    def _ticket_or_404(self, ticket_id: int) -> dict:
        if ticket_id not in self._tickets:
            raise ApiError(404, "NotFound", f"Ticket with id {ticket_id} not found")
        return self._tickets[ticket_id]

    def _ticket_json(self, ticket: dict) -> dict:
        status = self._statuses[ticket["status_id"]]
        details: TicketDetails = ticket["details"]
        return {
            "id": ticket["id"],
            "summary": ticket["summary"],
            "board": {"id": ticket["board_id"], "name": BOARDS[ticket["board_id"]], "_info": {}},
            "status": {"id": status["id"], "name": status["name"], "_info": {}},
            "company": details.company.json(),
            "site": details.site.json(),
            "siteName": details.site.name,
            "contact": details.contact.json(),
            "contactName": details.contact.name,
            "contactPhoneNumber": details.contact_phone,
            "contactPhoneExtension": details.contact_phone_extension,
            "contactEmailAddress": details.contact_email,
            "priority": details.priority.json(),
            "closedFlag": status["closed"],
            "_info": {"lastUpdated": ticket["last_updated"], "updatedBy": ticket["updated_by"]},
        }

    @staticmethod
    def _status_id_from(operation) -> int:
        if (
            isinstance(operation, dict)
            and operation.get("op") == "replace"
            and operation.get("path") in ("status", "/status")
            and isinstance(operation.get("value"), dict)
            and isinstance(operation["value"].get("id"), int)
        ):
            return operation["value"]["id"]
        raise ApiError(
            400,
            "InvalidObject",
            "The simulator supports only [{'op': 'replace', 'path': 'status', 'value': {'id': N}}]",
            [{"code": "InvalidValue", "message": "Unsupported patch operation", "resource": "Ticket", "field": "path"}],
        )

    def _page(self, request: Request, items: list) -> Reply:
        """One page of `items` with ConnectWise's Link header (absolute URLs from the Host header)."""
        page = _positive_int(request.param("page"), "page", 1)
        size = min(_positive_int(request.param("pageSize"), "pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        last = max(1, math.ceil(len(items) / size))
        host = request.headers.get("Host") or f"{self.host}:{self.port}"
        kept = [(key, value) for key, value in request.query if key.lower() not in ("page", "pagesize")]

        def link(number: int, rel: str) -> str:
            query = urlencode([*kept, ("pageSize", size), ("page", number)])
            return f'<http://{host}{request.path}?{query}>; rel="{rel}"'

        links = []
        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links.append(link(page + 1, "next"))
        links.append(link(last, "last"))
        return Reply(200, items[(page - 1) * size : page * size], {"Link": ", ".join(links)})

    # The control API: never faulted, never counted

    def _control(self, request: Request, action: str) -> Reply:
        if (request.method, action) == ("GET", "state"):
            return Reply(200, self.state())
        if request.method != "POST" or action not in ("faults", "reset", "tickets", "codebase"):
            raise ApiError(404, "NotFound", f"No simulator control {request.method} {request.path}")
        if action == "reset":
            self.reset()
            return Reply(200, self.state())
        data = request.json()
        if not isinstance(data, dict):
            raise ApiError(400, "InvalidObject", "The request body must be a JSON object")
        try:
            if action == "faults":
                self.set_faults(**data)
                return Reply(200, {"faults": self.state()["faults"]})
            if action == "codebase":
                self.move_codebase(str(data.get("codebase")))
                return Reply(200, {"codebase": self.codebase})
            ticket_id, summary = data.get("id"), data.get("summary")
            if not isinstance(ticket_id, int) or ticket_id < 1 or not isinstance(summary, str) or not summary:
                raise ValueError("A ticket needs a positive integer id and a summary")
            ticket = self.add_ticket(
                ticket_id, summary, board_id=data.get("board_id", 1), status_id=data.get("status_id")
            )
            return Reply(201, ticket)
        except ValueError as error:
            raise ApiError(400, "InvalidObject", str(error)) from None
