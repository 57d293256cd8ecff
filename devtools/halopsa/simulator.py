"""FlowPilot's own stateful HaloPSA simulator: the API subset of DESIGN.md §11 over real HTTP.

The demo (`manage.py halo_simulator`), the integration tests and the benchmark talk to it as they would talk
to HaloPSA: a client-credentials token from `POST /auth/token`, then `/api/Tickets`, `/api/Actions`,
`/api/Status` and `/api/Agent/me` with that bearer token. Its faults are the ConnectWise simulator's
(`devtools.connectwise.faults`, the same names and meanings, set in process or over `/__simulator/faults`),
plus two of Halo's own: `token_ttl_seconds` (how long a token lives; expired ones answer 401) and
`token_endpoint_html` (the authorisation URL answers a sign-in page, as a wrong one does).

HaloPSA's habits it keeps: a token expires on its own (or all at once with `expire_tokens()`); a status the
ticket cannot take (unknown or inactive) is ignored with a 200 unless `refuse_invalid_status`; action ids are
numbered per ticket; the HTML of a note comes back re-serialised (`<br />`), and only when asked for with
`includehtmlnote`; a ticket's actions are filtered by ticket, not by date, and paged oldest first.

Faults hit `/api` calls only, never the token endpoint or the control API. Standard library only; it
serves 127.0.0.1 by default and its credentials are fixed dummies: a test double, never a place for real data.
"""

from __future__ import annotations

import hmac
import math
import random
import re
import secrets
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from devtools.connectwise.faults import REJECTION_MESSAGE, Fault, Faults, delay_seconds, pick_fault
from devtools.connectwise.seed import DEMO_TICKETS, TEST_DETAILS, HistoryNote, TicketDetails, history_of_a_test_ticket
from devtools.connectwise.server import ApiError, Handler, Reply, Request
from devtools.serving import ServedSimulator

SIMULATOR_HOST = "127.0.0.1"
SIMULATOR_PORT = 8768
SIMULATOR_CLIENT_ID = "flowpilot-halo-simulator"
SIMULATOR_CLIENT_SECRET = "halo-simulator-secret"  # a fixed dummy: the simulator holds no real data
DEFAULT_TOKEN_TTL_SECONDS = 3600  # Halo's access tokens last an hour
HALO_FAULTS = {"token_ttl_seconds", "token_endpoint_html"}


def connection_fields(url: str) -> dict:
    """The PSA connection fields that reach a simulator with the default credentials at `url`."""
    return {
        "provider": "halopsa",
        "site_url": url,
        "client_id": SIMULATOR_CLIENT_ID,
        "client_secret": SIMULATOR_CLIENT_SECRET,
        "auth_url": "",
        "tenant": "",
    }


API_AGENT = {"id": 12, "name": "FlowPilot API", "email": "flowpilot-api@msp.example"}
TEAMS = {1: "1st Line Support", 2: "2nd Line Support"}
CLOSED_STATUS_ID = 9  # Halo's built-in Closed status
# (id, name, inactive): Halo's defaults, an escalation status of ours, and one an admin retired.
STATUSES = [
    (1, "New", False),
    (2, "In Progress", False),
    (3, "Action Required", False),
    (4, "On Hold", False),
    (5, "Waiting on User", False),
    (6, "Waiting on Supplier", False),
    (8, "Resolved", False),
    (9, "Closed", False),
    (21, "Escalated - 2nd Line", False),
    (30, "With Supplier (retired)", True),
]
PRIORITIES = {1: "Critical", 2: "High", 3: "Medium", 4: "Low"}
PRIORITY_OF = {"Priority 1 - Emergency Response": 1, "Priority 2 - Quick Response": 2}
DEFAULT_PAGE_SIZE = 50
CONTROL_PREFIX = "/__simulator/"
TOKEN_PATH = "/auth/token"
API_PREFIX = "/api/"
SIGN_IN_PAGE = (
    "<!DOCTYPE html><html><head><title>Halo - Log In</title></head><body><form method='post'>"
    "<input name='username'><input name='password' type='password'></form></body></html>"
)
HALO_REJECTION = "The action could not be saved: a note is required"
# Halo's messages for the faults, answered as bare JSON strings, as its API answers errors.
FAULT_MESSAGES = {
    403: "You do not have permission to access this resource.",
    429: "Too many requests. Please slow down.",
    500: "An error has occurred.",
    502: "Bad Gateway",
    503: "The service is unavailable.",
}


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _stored_html(html: str) -> str:
    """Halo keeps a note's HTML in its own serialisation: the same markup, written differently."""
    return re.sub(r"<br\s*/?>", "<br />", html)


def _plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _int_param(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise _HaloError(400, f"{name} must be a positive integer")
    return number


class _HaloError(Exception):
    """Raised by a route; answered as Halo answers errors: a JSON string (or no body at all)."""

    def __init__(self, status: int, message: str | None, headers: dict | None = None):
        super().__init__(message)
        self.reply = Reply(status, message, headers or {})


class _HaloHandler(Handler):
    server_version = "HaloSimulator"


class HaloSimulator(ServedSimulator):
    """A stateful HaloPSA simulator. `start()` serves it in a daemon thread (port 0 picks a free port);
    `serve_forever()` serves in the calling thread. Also a context manager."""

    handler_class = _HaloHandler
    thread_name = "halo-simulator"

    def __init__(
        self,
        *,
        host: str = SIMULATOR_HOST,
        port: int = SIMULATOR_PORT,
        client_id: str = SIMULATOR_CLIENT_ID,
        client_secret: str = SIMULATOR_CLIENT_SECRET,
        tenant: str = "",
        ticket_history: bool = False,
        verbose: bool = False,
    ):
        self.host = host
        self.port = port
        self.client_id = client_id
        self.tenant = tenant
        self.ticket_history = ticket_history
        self.verbose = verbose
        self._client_secret = client_secret
        self._lock = threading.Lock()
        self.reset()

    # Serving

    # State, for tests and the control API

    def reset(self) -> None:
        """Seed data back (with `ticket_history`, the tickets' earlier actions too), faults off, tokens
        forgotten, counters zeroed."""
        with self._lock:
            self._statuses = {
                status_id: {"id": status_id, "name": name, "inactive": inactive}
                for status_id, name, inactive in STATUSES
            }
            self._tickets: dict[int, dict] = {}
            self._actions: list[dict] = []
            self._tokens: dict[str, float] = {}  # token → when it expires (time.monotonic())
            self._faults = Faults()
            self._token_ttl: float = DEFAULT_TOKEN_TTL_SECONDS
            self._token_endpoint_html = False
            self._rng = random.Random()  # noqa: S311 - picks test faults, guards nothing
            self._requests: dict[str, int] = {}
            self._injected: dict[str, int] = {}
            test_tickets = {
                ticket_id: (
                    f"Test ticket {ticket_id}",
                    TEST_DETAILS,
                    history_of_a_test_ticket(f"Test ticket {ticket_id}"),
                )
                for ticket_id in range(1001, 1011)
            }
            now = datetime.now(UTC)
            for ticket_id, (summary, details, history) in (test_tickets | DEMO_TICKETS).items():
                self._put_ticket(ticket_id, summary, status_id=None, details=details)
                if self.ticket_history:  # Halo keeps the first description on the ticket, the rest as actions
                    first, *later = history
                    self._tickets[ticket_id]["details_html"] = _html_of(first.text)
                    for note in later:
                        self._add_history_action(ticket_id, note, now=now)

    def set_faults(self, **config) -> None:
        """Replace the whole fault configuration (ValueError on a bad setting): the ConnectWise simulator's
        faults, e.g. `set_faults(rate_limit={"count": 2, "retry_after": 1})`, plus `token_ttl_seconds` (for
        tokens issued from now on) and `token_endpoint_html`. No arguments turns faults off."""
        halo = {name: config.pop(name) for name in HALO_FAULTS & set(config)}
        if config.get("codebase_move") is not None:
            raise ValueError("codebase_move is a ConnectWise fault: HaloPSA has no codebase")
        ttl = halo.get("token_ttl_seconds", DEFAULT_TOKEN_TTL_SECONDS)
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0:
            raise ValueError("token_ttl_seconds must be a number above 0")
        page = halo.get("token_endpoint_html", False)
        if not isinstance(page, bool):
            raise ValueError("token_endpoint_html must be true or false")
        faults = Faults.parse(config)
        with self._lock:
            self._faults = faults
            self._token_ttl = ttl
            self._token_endpoint_html = page
            self._rng = random.Random(faults.seed)  # noqa: S311 - seeded on purpose, for repeatable runs

    def expire_tokens(self) -> None:
        """Every token issued so far expires now: the next API call with one answers 401."""
        with self._lock:
            self._tokens.clear()

    def add_ticket(
        self, ticket_id: int, summary: str, *, status_id: int | None = None, details: TicketDetails | None = None
    ) -> dict:
        """Create or replace a ticket (its actions stay); the status defaults to New."""
        with self._lock:
            return self._ticket_json(self._put_ticket(ticket_id, summary, status_id=status_id, details=details))

    def add_history_note(
        self, ticket_id: int, text: str, *, internal: bool = False, by: str | None = None, hours_ago: float = 1
    ) -> dict:
        """An action written on the ticket outside FlowPilot, `hours_ago`: by `by` (an agent) or the ticket's user."""
        with self._lock:
            if ticket_id not in self._tickets:
                raise KeyError(ticket_id)
            kind = "internal" if internal else "discussion"
            note = HistoryNote(hours_ago=hours_ago, kind=kind, text=text, by=by)
            return dict(self._add_history_action(ticket_id, note, now=datetime.now(UTC)))

    def ticket(self, ticket_id: int) -> dict:
        """The ticket as Halo answers it (KeyError if unknown)."""
        with self._lock:
            return self._ticket_json(self._tickets[ticket_id])

    def notes_for(self, ticket_id: int) -> list[dict]:
        """The ticket's actions, oldest first: `note_html` as stored, `hiddenfromuser` True for internal ones."""
        with self._lock:
            return [dict(action) for action in self._actions if action["ticket_id"] == ticket_id]

    def state(self) -> dict:
        with self._lock:
            faults = asdict(self._faults) | {
                "token_ttl_seconds": self._token_ttl,
                "token_endpoint_html": self._token_endpoint_html,
            }
            return {
                "tickets": [self._ticket_json(ticket) for ticket in self._tickets.values()],
                "notes": [dict(action) for action in self._actions],
                "faults": faults,
                "requests": dict(self._requests),
                "tokens_issued": self._requests.get("POST token", 0),
                "injected_faults": dict(self._injected),
            }

    # Answering

    def handle(self, request: Request) -> Reply:
        try:
            if request.path.startswith(CONTROL_PREFIX):
                return self._control(request, request.path.removeprefix(CONTROL_PREFIX))
            if request.path == TOKEN_PATH:
                return self._token(request)
            if request.path.startswith(API_PREFIX):
                return self._api(request, request.path.removeprefix(API_PREFIX))
            raise _HaloError(404, f"No resource at {request.path}")
        except _HaloError as error:
            return error.reply

    def _token(self, request: Request) -> Reply:
        """OAuth2 client credentials, answered as Halo's authorisation server does (RFC 6749 errors)."""
        with self._lock:
            self._count(request.method, "token")
            if self._token_endpoint_html:
                return Reply(200, SIGN_IN_PAGE, content_type="text/html; charset=utf-8")
        if request.method != "POST":
            raise _HaloError(405, "The token endpoint takes POST")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type"})
        tenant = request.param("tenant") or ""
        secret_ok = hmac.compare_digest(form.get("client_secret", "").encode(), self._client_secret.encode())
        if form.get("client_id") != self.client_id or not secret_ok or tenant != self.tenant:
            return Reply(400, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self._token_ttl
            ttl = self._token_ttl
        return Reply(
            200,
            {"token_type": "Bearer", "access_token": token, "expires_in": math.ceil(ttl), "scope": form.get("scope")},
        )

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
            return Reply(0, drop=True)
        if client_gone:
            time.sleep(max(0.0, started + delay_before - time.monotonic()))
        if fault and not fault.after_apply:
            return _fault_reply(fault)
        try:
            self._authenticate(request)
            if methods is None:
                raise _HaloError(404, f"No resource at {request.path}")
            if request.method not in methods:
                raise _HaloError(405, f"{request.method} is not allowed on {request.path}")
            with self._lock:
                reply = methods[request.method](self, request, *ids)
        except _HaloError as error:
            reply = error.reply
        if client_gone or (delay_after and not request.wait(delay_after)):
            return Reply(0, drop=True)
        return _fault_reply(fault) if fault else reply

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        with self._lock:
            expires = self._tokens.get(token) if scheme.lower() == "bearer" else None
            if expires is not None and expires <= time.monotonic():
                del self._tokens[token]
                expires = None
        if expires is None:
            raise _HaloError(401, None, {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # API routes; each runs under the lock

    def _agent_me(self, request: Request) -> Reply:
        return Reply(200, dict(API_AGENT))

    def _get_ticket(self, request: Request, ticket_id: int) -> Reply:
        return Reply(200, self._ticket_json(self._ticket_or_404(ticket_id)))

    def _post_tickets(self, request: Request) -> Reply:
        """Halo updates tickets by POSTing them: `[{id, status_id}]`. A status the ticket cannot take is
        ignored, and the answer is still the ticket, with a 201."""
        updates = request_json(request)
        if not isinstance(updates, list) or not updates or not all(isinstance(item, dict) for item in updates):
            raise _HaloError(400, "The request body must be a list of tickets")
        answered = []
        for update in updates:
            ticket = self._ticket_or_404(update.get("id"))
            status_id = update.get("status_id")
            if status_id is not None:
                status = self._statuses.get(status_id) if isinstance(status_id, int) else None
                invalid = status is None or status["inactive"]
                if invalid and self._faults.refuse_invalid_status:
                    why = "is inactive" if status is not None else "does not exist"
                    raise _HaloError(400, f"Status {status_id} {why}")
                if not invalid and not self._faults.silent_status_rejection:
                    ticket.update(status_id=status_id, last_updated=_timestamp(datetime.now(UTC)))
            answered.append(self._ticket_json(ticket))
        return Reply(201, answered[0] if len(answered) == 1 else answered)

    def _post_actions(self, request: Request) -> Reply:
        actions = request_json(request)
        if not isinstance(actions, list) or not actions or not all(isinstance(item, dict) for item in actions):
            raise _HaloError(400, "The request body must be a list of actions")
        created = []
        for data in actions:
            ticket_id = data.get("ticket_id")
            self._ticket_or_404(ticket_id)
            html = data.get("note_html") if isinstance(data.get("note_html"), str) else ""
            text = data.get("note") if isinstance(data.get("note"), str) else ""
            if not html.strip() and not text.strip():
                raise _HaloError(400, HALO_REJECTION)
            html = _stored_html(html) if html.strip() else f"<p>{text}</p>"
            created.append(
                self._add_action(
                    ticket_id,
                    html,
                    who=API_AGENT["name"],
                    hidden=bool(data.get("hiddenfromuser", False)),
                    outcome=str(data.get("outcome") or "Note"),
                    sendemail=bool(data.get("sendemail", False)),
                    agent_id=API_AGENT["id"],
                )
            )
            for number in range((self._faults.busy_ticket or {}).get("notes", 0)):
                self._add_action(
                    ticket_id,
                    f"<p>Automatic reply {number + 1}: your request has been updated.</p>",
                    who="Halo Automation",
                    hidden=False,
                    outcome="Email Update",
                )
        return Reply(201, created[0] if len(created) == 1 else created)

    def _list_actions(self, request: Request) -> Reply:
        ticket_id = request.param("ticket_id")
        if ticket_id is None or not ticket_id.isdigit():
            raise _HaloError(400, "ticket_id is required")
        with_html = (request.param("includehtmlnote") or "").lower() == "true"
        actions = [
            action if with_html else {key: value for key, value in action.items() if key != "note_html"}
            for action in self._actions
            if action["ticket_id"] == int(ticket_id)
        ]
        if (request.param("excludesys") or "").lower() == "true":
            actions = [action for action in actions if action["outcome"] != "Status Change"]
        body = {"record_count": len(actions)}
        if (request.param("pageinate") or "").lower() == "true":
            size = _int_param(request.param("page_size"), "page_size", DEFAULT_PAGE_SIZE)
            page = _int_param(request.param("page_no"), "page_no", 1)
            body |= {"page_no": page, "page_size": size}
            actions = actions[(page - 1) * size : page * size]
        return Reply(200, body | {"actions": [dict(action) for action in actions]})

    def _list_statuses(self, request: Request) -> Reply:
        statuses = list(self._statuses.values())
        if (request.param("excludeclosed") or "").lower() == "true":
            statuses = [status for status in statuses if status["id"] != CLOSED_STATUS_ID]
        return Reply(
            200,
            [
                {
                    "id": status["id"],
                    "name": status["name"],
                    "shortname": status["name"][:12],
                    "sequence": sequence,
                    "colour": "#2f80ed",
                    "inactive": status["inactive"],
                }
                for sequence, status in enumerate(statuses, start=1)
            ],
        )

    ROUTES = (
        (re.compile(r"Tickets/(\d+)", re.IGNORECASE), "ticket", {"GET": _get_ticket}),
        (re.compile(r"Tickets", re.IGNORECASE), "ticket", {"POST": _post_tickets}),
        (re.compile(r"Actions", re.IGNORECASE), "notes", {"GET": _list_actions, "POST": _post_actions}),
        (re.compile(r"Status", re.IGNORECASE), "statuses", {"GET": _list_statuses}),
        (re.compile(r"Agent/me", re.IGNORECASE), "info", {"GET": _agent_me}),
    )

    # Helpers of the routes, all under the lock

    def _put_ticket(
        self, ticket_id: int, summary: str, *, status_id: int | None, details: TicketDetails | None
    ) -> dict:
        if status_id is None:
            status_id = 1
        elif status_id not in self._statuses:
            raise ValueError(f"Status {status_id} does not exist")
        if details is None:
            details = self._tickets[ticket_id]["details"] if ticket_id in self._tickets else TEST_DETAILS
        ticket = {
            "id": ticket_id,
            "summary": summary,
            "status_id": status_id,
            "details": details,
            "details_html": self._tickets[ticket_id]["details_html"] if ticket_id in self._tickets else "",
            "opened": _timestamp(datetime.now(UTC) - timedelta(days=2)),
            "last_updated": _timestamp(datetime.now(UTC)),
        }
        self._tickets[ticket_id] = ticket
        return ticket

    def _ticket_or_404(self, ticket_id) -> dict:
        if not isinstance(ticket_id, int) or ticket_id not in self._tickets:
            raise _HaloError(404, f"Ticket {ticket_id} not found")
        return self._tickets[ticket_id]

    def _ticket_json(self, ticket: dict) -> dict:
        details: TicketDetails = ticket["details"]
        priority_id = PRIORITY_OF.get(details.priority.name, 3)
        return {
            "id": ticket["id"],
            "summary": ticket["summary"],
            "details": ticket["details_html"],
            "status_id": ticket["status_id"],
            "tickettype_id": 1,
            "team": TEAMS[1],
            "team_id": 1,
            "agent_id": API_AGENT["id"],
            "client_id": details.company.id,
            "client_name": details.company.name,
            "site_id": details.site.id,
            "site_name": details.site.name,
            "user_id": details.contact.id,
            "user_name": details.contact.name,
            "user_emailaddress": details.contact_email,
            "user_phonenumber": details.contact_phone,
            "priority_id": priority_id,
            "priority": {"id": priority_id, "name": PRIORITIES[priority_id]},
            "dateoccurred": ticket["opened"],
            "lastactiondate": ticket["last_updated"],
        }

    def _add_action(
        self,
        ticket_id: int,
        html: str,
        *,
        who: str,
        hidden: bool,
        outcome: str,
        sendemail: bool = False,
        agent_id: int | None = None,
        when: datetime | None = None,
    ) -> dict:
        """An action on the ticket; Halo numbers a ticket's actions from 1."""
        number = 1 + sum(1 for action in self._actions if action["ticket_id"] == ticket_id)
        action = {
            "id": number,
            "ticket_id": ticket_id,
            "outcome": outcome,
            "who": who,
            "actionby_agent_id": agent_id,
            "datetime": _timestamp(when or datetime.now(UTC)),
            "note": _plain(html),
            "note_html": html,
            "hiddenfromuser": hidden,
            "sendemail": sendemail,
        }
        self._actions.append(action)
        return dict(action)

    def _add_history_action(self, ticket_id: int, note: HistoryNote, *, now: datetime) -> dict:
        who = note.by or self._tickets[ticket_id]["details"].contact.name
        return self._add_action(
            ticket_id,
            _html_of(note.text),
            who=who,
            hidden=note.kind == "internal",
            outcome="Private Note" if note.kind == "internal" else ("Email Update" if note.by is None else "Note"),
            when=now - timedelta(hours=note.hours_ago),
        )

    # The control API: never faulted, never counted

    def _control(self, request: Request, action: str) -> Reply:
        if (request.method, action) == ("GET", "state"):
            return Reply(200, self.state())
        if request.method != "POST" or action not in ("faults", "reset", "tickets", "expire_tokens"):
            raise _HaloError(404, f"No simulator control {request.method} {request.path}")
        if action == "reset":
            self.reset()
            return Reply(200, self.state())
        if action == "expire_tokens":
            self.expire_tokens()
            return Reply(200, {"expired": True})
        data = request_json(request)
        if not isinstance(data, dict):
            raise _HaloError(400, "The request body must be a JSON object")
        try:
            if action == "faults":
                self.set_faults(**data)
                return Reply(200, {"faults": self.state()["faults"]})
            ticket_id, summary = data.get("id"), data.get("summary")
            if not isinstance(ticket_id, int) or ticket_id < 1 or not isinstance(summary, str) or not summary:
                raise ValueError("A ticket needs a positive integer id and a summary")
            return Reply(201, self.add_ticket(ticket_id, summary, status_id=data.get("status_id")))
        except ValueError as error:
            raise _HaloError(400, str(error)) from None


def request_json(request: Request):
    try:
        return request.json()
    except ApiError:  # ConnectWise's envelope: Halo answers a bare string
        raise _HaloError(400, "The request body is not valid JSON") from None


def _html_of(text: str) -> str:
    """Plain text as the HTML Halo's editor writes: one paragraph, lines broken with `<br />`."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<p>" + "<br />".join(escaped.splitlines()) + "</p>"


def _fault_reply(fault: Fault) -> Reply:
    """The reply a fault answers, in Halo's words."""
    if fault.kind == "drop_connection":
        return Reply(0, drop=True)
    if fault.kind == "reject":
        return Reply(400, HALO_REJECTION if fault.message == REJECTION_MESSAGE else fault.message)
    if fault.kind == "forbidden":
        return Reply(403, FAULT_MESSAGES[403])
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    if fault.html:
        page = "<!DOCTYPE html><html><body><h1>429 Too Many Requests</h1></body></html>"
        return Reply(fault.status, page, headers, content_type="text/html; charset=utf-8")
    return Reply(fault.status, FAULT_MESSAGES[fault.status], headers)
