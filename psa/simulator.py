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

Standard library only, so it starts fast and runs without Django. It serves 127.0.0.1 by default and
its credentials are fixed dummies: it is a test double, never a place for real data.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hmac
import json
import math
import random
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

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
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
CONTROL_PREFIX = "/__simulator/"
COMPANY_INFO = re.compile(r"/login/companyinfo/(?P<company_id>[^/]+)")
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")

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
# What a `reject` fault answers unless it names its own message: ConnectWise's words for a refused note.
REJECTION_MESSAGE = "ServiceNote object is invalid"
DEMO_TICKETS = {
    48213: "Outlook keeps prompting for a password after the mailbox move",
    48227: "Shared drive S: missing for the Finance team",
    48230: "New starter laptop cannot connect to the VPN",
    48241: "Reception printer shows offline for the whole office",
}


# --- Faults -------------------------------------------------------------------------------------


@dataclass
class Faults:
    """The fault configuration; every field defaults to off. `set_faults` replaces it as a whole.

    Faults hit apis/3.0 calls only (never companyinfo or the control API). Count-based faults are
    dicts whose `count` (default 1) goes down as calls take them: `rate_limit` {count, retry_after,
    methods}, `server_error` {count, status, methods}, `drop_connection` {count, after_apply, methods},
    `reject` {count, methods, message} (a 400 with ConnectWise's envelope, nothing applied);
    `methods` None means every method. A call takes at most one fault, checked in field order.
    `slow` {method, route, seconds, after_apply, apply_late, count} delays the matching calls (`count`
    None: every one) before applying them, or with `after_apply` applies them at once and answers late.
    With `apply_late` a call delayed before it is applied is applied even if its client hung up meanwhile
    (a server that queued the work): the note a client timed out on turns up on the ticket later.
    """

    silent_status_rejection: bool = False
    rate_limit: dict | None = None
    server_error: dict | None = None
    drop_connection: dict | None = None
    reject: dict | None = None
    latency_ms: float = 0
    slow: dict | None = None  # {method, route, seconds, after_apply, apply_late, count}
    transient_rate: float = 0
    seed: int | None = None

    @classmethod
    def parse(cls, config: dict) -> Faults:
        """Faults from a JSON-like dict; ValueError names the first bad setting."""
        unknown = set(config) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"Unknown fault setting: {', '.join(sorted(unknown))}")
        transient_rate = _number(config.get("transient_rate", 0), "transient_rate")
        if transient_rate > 1:
            raise ValueError("transient_rate must be between 0 and 1")
        seed = config.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError("seed must be an integer or null")
        return cls(
            silent_status_rejection=_flag(config.get("silent_status_rejection", False), "silent_status_rejection"),
            rate_limit=_counted(config.get("rate_limit"), "rate_limit", retry_after=None),
            server_error=_counted(config.get("server_error"), "server_error", status=500),
            drop_connection=_counted(config.get("drop_connection"), "drop_connection", after_apply=False),
            reject=_counted(config.get("reject"), "reject", message=REJECTION_MESSAGE),
            latency_ms=_number(config.get("latency_ms", 0), "latency_ms"),
            slow=_slow(config.get("slow")),
            transient_rate=transient_rate,
            seed=seed,
        )


@dataclass(frozen=True)
class Fault:
    """What one API call suffers instead of (or, with `after_apply`, after) its normal answer."""

    kind: str  # "rate_limit" | "server_error" | "drop_connection" | "reject"
    status: int | None = None
    retry_after: float | None = None
    after_apply: bool = False
    message: str = ""


TRANSIENT_FAULTS = (Fault("rate_limit", 429, retry_after=0), Fault("server_error", 503), Fault("drop_connection"))


def pick_fault(faults: Faults, rng: random.Random, method: str) -> Fault | None:
    """The fault this API call suffers, if any. Call it under the simulator's lock: it uses up one unit
    of a count-based fault."""
    if _take(faults.rate_limit, method):
        return Fault("rate_limit", 429, retry_after=faults.rate_limit["retry_after"])
    if _take(faults.server_error, method):
        return Fault("server_error", faults.server_error["status"])
    if _take(faults.drop_connection, method):
        return Fault("drop_connection", after_apply=faults.drop_connection["after_apply"])
    if _take(faults.reject, method):
        return Fault("reject", 400, message=faults.reject["message"])
    if faults.transient_rate and rng.random() < faults.transient_rate:
        return rng.choice(TRANSIENT_FAULTS)
    return None


def delay_seconds(faults: Faults, method: str, route: str) -> tuple[float, float, bool]:
    """How long this API call waits before it is applied, and after, before it is answered; and whether it
    is applied even if its client hangs up first. Call it under the simulator's lock: it uses up one unit
    of a counted `slow`."""
    before, after, apply_late = faults.latency_ms / 1000, 0.0, False
    slow = faults.slow
    if slow and slow["method"] == method and slow["route"] in ("any", route) and slow["count"] != 0:
        if slow["count"] is not None:
            slow["count"] -= 1
        if slow["after_apply"]:
            after += slow["seconds"]
        else:
            before += slow["seconds"]
            apply_late = slow["apply_late"]
    return before, after, apply_late


def _take(fault: dict | None, method: str) -> bool:
    if not fault or fault["count"] <= 0 or (fault["methods"] is not None and method not in fault["methods"]):
        return False
    fault["count"] -= 1
    return True


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number of at least 0")
    return value


def _counted(value, name: str, **options) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    unknown = set(value) - {"count", "methods", *options}
    if unknown:
        raise ValueError(f"Unknown {name} setting: {', '.join(sorted(unknown))}")
    count = value.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"{name}.count must be an integer of at least 0")
    methods = value.get("methods")
    if methods is not None and (not isinstance(methods, list) or not set(methods) <= set(METHODS)):
        raise ValueError(f"{name}.methods must be a list of {', '.join(METHODS)}")
    fault = {"count": count, "methods": methods}
    fault |= {option: value.get(option, default) for option, default in options.items()}
    if "status" in fault and fault["status"] not in (500, 502, 503):
        raise ValueError(f"{name}.status must be 500, 502 or 503")
    if fault.get("retry_after") is not None:
        _number(fault["retry_after"], f"{name}.retry_after")
    if "after_apply" in fault:
        _flag(fault["after_apply"], f"{name}.after_apply")
    if "message" in fault and (not isinstance(fault["message"], str) or not fault["message"].strip()):
        raise ValueError(f"{name}.message must be a non-empty string")
    return fault


def _slow(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"method", "route", "seconds", "after_apply", "apply_late", "count"}:
        raise ValueError("slow must be an object {method, route, seconds, after_apply, apply_late, count}")
    slow = {
        "method": value.get("method"),
        "route": value.get("route", "any"),
        "seconds": value.get("seconds"),
        "after_apply": _flag(value.get("after_apply", False), "slow.after_apply"),
        "apply_late": _flag(value.get("apply_late", False), "slow.apply_late"),
        "count": value.get("count"),
    }
    if slow["after_apply"] and slow["apply_late"]:
        raise ValueError("slow.after_apply and slow.apply_late exclude each other")
    if slow["method"] not in METHODS:
        raise ValueError(f"slow.method must be one of {', '.join(METHODS)}")
    if slow["route"] not in ("ticket", "notes", "statuses", "any"):
        raise ValueError("slow.route must be ticket, notes, statuses or any")
    _number(slow["seconds"], "slow.seconds")
    count = slow["count"]
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise ValueError("slow.count must be an integer of at least 0, or null for every call")
    return slow


# --- Requests and answers -----------------------------------------------------------------------


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return True


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Message
    body: bytes
    # Wait this many seconds; False as soon as the client hangs up (over HTTP, see `_Handler`).
    wait: Callable[[float], bool] = _sleep

    def param(self, name: str) -> str | None:
        """A query parameter, its name matched case-insensitively as ConnectWise does."""
        values = [value for key, value in self.query if key.lower() == name.lower()]
        return values[-1] if values else None

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise ApiError(400, "InvalidObject", "The request body is not valid JSON") from None


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the socket without answering


class ApiError(Exception):
    """Raised by a route; answered in ConnectWise's error envelope."""

    def __init__(self, status: int, code: str, message: str, errors: list | None = None, headers=None):
        super().__init__(message)
        self.reply = Reply(status, {"code": code, "message": message, "errors": errors}, headers or {})


FAULT_REPLIES = {
    429: ("TooManyRequests", "Too many requests, please slow down"),
    500: ("InternalServerError", "An unexpected error occurred"),
    502: ("BadGateway", "The gateway received an invalid response"),
    503: ("ServiceUnavailable", "The service is temporarily unavailable"),
}


def fault_reply(fault: Fault) -> Reply:
    if fault.kind == "drop_connection":
        return Reply(0, drop=True)
    if fault.kind == "reject":
        return ApiError(400, "InvalidObject", fault.message).reply
    code, message = FAULT_REPLIES[fault.status]
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    return ApiError(fault.status, code, message, headers=headers).reply


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


class ConnectWiseSimulator:
    """A stateful ConnectWise Manage simulator. `start()` serves it in a daemon thread (port 0 picks a
    free port); `serve_forever()` serves in the calling thread. Also a context manager."""

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
        verbose: bool = False,
    ):
        self.host = host
        self.port = port
        self.company_id = company_id
        self.client_id = client_id
        self.codebase = codebase
        self.verbose = verbose
        self._credentials = f"{company_id}+{public_key}:{private_key}"
        self._api_prefix = f"/{codebase}apis/3.0/"
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # Serving

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def bind(self) -> None:
        """Open the listening socket (OSError if the port is taken); `self.port` becomes the real port."""
        if self._server is None:
            self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
            self._server.simulator = self
            self.port = self._server.server_address[1]

    def start(self) -> ConnectWiseSimulator:
        self.bind()
        # A short poll interval makes stop() quick: shutdown() waits for the serving loop's next poll.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name="cw-simulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.bind()
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is None:
            return
        if self._thread is not None:  # shutdown() waits for a serving loop, so only ask a running one
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        self._server = None

    def __enter__(self) -> ConnectWiseSimulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # State, for tests and the control API

    def reset(self) -> None:
        """Seed data back, faults off, counters zeroed, note ids from 1 again."""
        with self._lock:
            self._statuses = {
                status_id: {"id": status_id, "board_id": board_id, "name": name, "closed": closed, "inactive": inactive}
                for status_id, board_id, name, closed, inactive in STATUSES
            }
            self._tickets: dict[int, dict] = {}
            self._notes: list[dict] = []
            self._faults = Faults()
            self._rng = random.Random()  # noqa: S311 - picks test faults, guards nothing
            self._requests: dict[str, int] = {}
            self._injected: dict[str, int] = {}
            summaries = {ticket_id: f"Test ticket {ticket_id}" for ticket_id in range(1001, 1011)} | DEMO_TICKETS
            for ticket_id, summary in summaries.items():
                self._put_ticket(ticket_id, summary, board_id=1, status_id=None)

    def set_faults(self, **config) -> None:
        """Replace the whole fault configuration (ValueError on a bad setting), e.g.
        `set_faults(rate_limit={"count": 2, "retry_after": 1})`; no arguments turns faults off."""
        faults = Faults.parse(config)
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)  # noqa: S311 - seeded on purpose, for repeatable runs

    def add_ticket(self, ticket_id: int, summary: str, *, board_id: int = 1, status_id: int | None = None) -> dict:
        """Create or replace a ticket (its notes stay); the status defaults to the board's first one."""
        with self._lock:
            return self._ticket_json(self._put_ticket(ticket_id, summary, board_id=board_id, status_id=status_id))

    def ticket(self, ticket_id: int) -> dict:
        """The ticket as ConnectWise answers it (KeyError if unknown)."""
        with self._lock:
            return self._ticket_json(self._tickets[ticket_id])

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
        if client_gone or (delay_after and not request.wait(delay_after)):
            return Reply(0, drop=True)  # applied already; the client stopped waiting for the answer
        return fault_reply(fault) if fault else reply

    def _route(self, path: str):
        for pattern, route, methods in self.ROUTES:
            if match := pattern.fullmatch(path.rstrip("/")):
                return route, methods, [int(value) for value in match.groups()]
        return "unknown", None, []

    def _count(self, method: str, route: str) -> None:  # under the lock
        key = f"{method} {route}"
        self._requests[key] = self._requests.get(key, 0) + 1

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
        return Reply(200, self._ticket_json(self._ticket_or_404(ticket_id)))

    def _patch_ticket(self, request: Request, ticket_id: int) -> Reply:
        ticket = self._ticket_or_404(ticket_id)
        operations = request.json()
        if not isinstance(operations, list) or not operations:
            raise ApiError(400, "InvalidObject", "The request body must be a JSON Patch list of operations")
        status_ids = [self._status_id_from(operation) for operation in operations]
        # The realistic trap: ConnectWise answers 200 and leaves the status alone when the status is of
        # another board, inactive, unknown, or a workflow rule refuses it.
        status = self._statuses.get(status_ids[-1])
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
            "dateCreated": now,
            "createdBy": API_MEMBER,
            "_info": {"lastUpdated": now, "updatedBy": API_MEMBER},
        }
        self._notes.append(note)
        return Reply(201, dict(note))

    def _list_notes(self, request: Request, ticket_id: int) -> Reply:
        self._ticket_or_404(ticket_id)
        order = " ".join((request.param("orderBy") or "id asc").lower().split())
        if order not in ("id", "id asc", "id desc"):
            raise ApiError(400, "InvalidObject", f"orderBy {order!r} is not supported by the simulator")
        notes = [dict(note) for note in self._notes if note["ticketId"] == ticket_id]
        return self._page(request, notes[::-1] if order == "id desc" else notes)

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

    def _put_ticket(self, ticket_id: int, summary: str, *, board_id: int, status_id: int | None) -> dict:
        if board_id not in BOARDS:
            raise ValueError(f"Board {board_id} does not exist")
        board_status_ids = [status["id"] for status in self._statuses.values() if status["board_id"] == board_id]
        if status_id is None:
            status_id = min(board_status_ids)
        elif status_id not in board_status_ids:
            raise ValueError(f"Status {status_id} is not a status of board {board_id}")
        ticket = {
            "id": ticket_id,
            "summary": summary,
            "board_id": board_id,
            "status_id": status_id,
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
        return {
            "id": ticket["id"],
            "summary": ticket["summary"],
            "board": {"id": ticket["board_id"], "name": BOARDS[ticket["board_id"]], "_info": {}},
            "status": {"id": status["id"], "name": status["name"], "_info": {}},
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
        if request.method != "POST" or action not in ("faults", "reset", "tickets"):
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
            ticket_id, summary = data.get("id"), data.get("summary")
            if not isinstance(ticket_id, int) or ticket_id < 1 or not isinstance(summary, str) or not summary:
                raise ValueError("A ticket needs a positive integer id and a summary")
            ticket = self.add_ticket(
                ticket_id, summary, board_id=data.get("board_id", 1), status_id=data.get("status_id")
            )
            return Reply(201, ticket)
        except ValueError as error:
            raise ApiError(400, "InvalidObject", str(error)) from None


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into a `Request` for the simulator and its `Reply` back into HTTP (or a dropped socket)."""

    protocol_version = "HTTP/1.1"  # with Content-Length on every answer, so keep-alive sessions work
    server_version = "ConnectWiseSimulator"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def _handle(self) -> None:
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=target.path,
            query=parse_qsl(target.query, keep_blank_values=True),
            headers=self.headers,
            body=self.rfile.read(length) if length else b"",
            wait=self._wait_unless_hung_up,
        )
        reply = self.server.simulator.handle(request)
        if reply.drop:
            self._drop()
            return
        body = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def _wait_unless_hung_up(self, seconds: float) -> bool:
        """Sleep `seconds`, watching the socket: False as soon as the client closes it. A client waiting for
        its answer sends nothing more, so a readable socket with nothing to read means it hung up."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
                time.sleep(min(left, 0.05))  # bytes of a pipelined request: the client is still there
        return True

    def _drop(self) -> None:
        """Close the socket without a byte of answer: the client sees a dropped connection."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may be gone already
            self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()

    def log_message(self, format, *args) -> None:
        # The access log holds the request line only, never the headers (Authorization stays out).
        if self.server.simulator.verbose:
            super().log_message(format, *args)
