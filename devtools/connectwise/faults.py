"""The simulator's switchable faults: what to break, how often, and the reply each fault answers.

Set in process (`ConnectWiseSimulator.set_faults`) or over HTTP (`POST /__simulator/faults`): silent status
rejection or a 400 for a status the ticket's board cannot take, 429 (also as Cloudflare's HTML page), 5xx,
403 from a security role that lacks a permission, a 400 rejection with ConnectWise's own message, dropped
connections (before or after the request is applied), latency, slow routes, a busy ticket others keep
writing notes on, and random transient failures.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, fields

from devtools.connectwise.server import METHODS, ApiError, Reply

# What a `reject` fault answers unless it names its own message: ConnectWise's words for a refused note.
REJECTION_MESSAGE = "ServiceNote object is invalid"


@dataclass
class Faults:
    """The fault configuration; every field defaults to off. `set_faults` replaces it as a whole.

    Faults hit apis/3.0 calls only (never companyinfo or the control API). Count-based faults are
    dicts whose `count` (default 1) goes down as calls take them: `rate_limit` {count, retry_after,
    methods}, `server_error` {count, status, methods}, `drop_connection` {count, after_apply, methods},
    `reject` {count, methods, message} (a 400 with ConnectWise's envelope, nothing applied),
    `forbidden` {count, methods} (403: the API member's security role lacks the permission); `rate_limit`
    with `html` answers as Cloudflare does at the edge: an HTML page, with Retry-After.
    `refuse_invalid_status`: a status of another board, or an inactive one, is a 400 with ConnectWise's
    message instead of the silent 200. `busy_ticket` {notes}: after each note FlowPilot adds, other
    members add this many notes to the same ticket (automatic e-mails, colleagues). `codebase_move`
    {after_calls, codebase}: a cloud upgrade lands after that many API calls, mid-run.
    `methods` None means every method; `skip` lets that many matching calls through first. A call takes
    at most one fault, checked in field order.
    `slow` {method, route, seconds, after_apply, apply_late, count} delays the matching calls (`count`
    None: every one) before applying them, or with `after_apply` applies them at once and answers late.
    With `apply_late` a call delayed before it is applied is applied even if its client hung up meanwhile
    (a server that queued the work): the note a client timed out on turns up on the ticket later.
    """

    silent_status_rejection: bool = False
    refuse_invalid_status: bool = False
    busy_ticket: dict | None = None  # {notes}
    codebase_move: dict | None = None  # {after_calls, codebase}
    forbidden: dict | None = None
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
            refuse_invalid_status=_flag(config.get("refuse_invalid_status", False), "refuse_invalid_status"),
            busy_ticket=_busy(config.get("busy_ticket")),
            codebase_move=_codebase_move(config.get("codebase_move")),
            forbidden=_counted(config.get("forbidden"), "forbidden"),
            rate_limit=_counted(config.get("rate_limit"), "rate_limit", retry_after=None, html=False),
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

    kind: str  # "forbidden" | "rate_limit" | "server_error" | "drop_connection" | "reject"
    status: int | None = None
    retry_after: float | None = None
    after_apply: bool = False
    message: str = ""
    html: bool = False


TRANSIENT_FAULTS = (Fault("rate_limit", 429, retry_after=0), Fault("server_error", 503), Fault("drop_connection"))


def pick_fault(faults: Faults, rng: random.Random, method: str) -> Fault | None:
    """The fault this API call suffers, if any. Call it under the simulator's lock: it uses up one unit
    of a count-based fault."""
    if _take(faults.forbidden, method):
        return Fault("forbidden", 403)
    if _take(faults.rate_limit, method):
        return Fault("rate_limit", 429, retry_after=faults.rate_limit["retry_after"], html=faults.rate_limit["html"])
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
    if fault["skip"]:  # the first `skip` matching calls pass untouched
        fault["skip"] -= 1
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
    unknown = set(value) - {"count", "methods", "skip", *options}
    if unknown:
        raise ValueError(f"Unknown {name} setting: {', '.join(sorted(unknown))}")
    count = value.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"{name}.count must be an integer of at least 0")
    methods = value.get("methods")
    if methods is not None and (not isinstance(methods, list) or not set(methods) <= set(METHODS)):
        raise ValueError(f"{name}.methods must be a list of {', '.join(METHODS)}")
    skip = value.get("skip", 0)
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ValueError(f"{name}.skip must be an integer of at least 0")
    fault = {"count": count, "methods": methods, "skip": skip}
    fault |= {option: value.get(option, default) for option, default in options.items()}
    if "status" in fault and fault["status"] not in (500, 502, 503):
        raise ValueError(f"{name}.status must be 500, 502 or 503")
    if fault.get("retry_after") is not None:
        _number(fault["retry_after"], f"{name}.retry_after")
    if "after_apply" in fault:
        _flag(fault["after_apply"], f"{name}.after_apply")
    if "html" in fault:
        _flag(fault["html"], f"{name}.html")
    if "message" in fault and (not isinstance(fault["message"], str) or not fault["message"].strip()):
        raise ValueError(f"{name}.message must be a non-empty string")
    return fault


def _codebase_move(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"after_calls", "codebase"}:
        raise ValueError("codebase_move must be an object {after_calls, codebase}")
    after, codebase = value["after_calls"], value["codebase"]
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ValueError("codebase_move.after_calls must be an integer of at least 0")
    if not isinstance(codebase, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}/", codebase):
        raise ValueError("codebase_move.codebase looks like v2025_2/")
    return {"after_calls": after, "codebase": codebase}


def _busy(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"notes"}:
        raise ValueError("busy_ticket must be an object {notes}")
    notes = value["notes"]
    if isinstance(notes, bool) or not isinstance(notes, int) or not 0 <= notes <= 1000:
        raise ValueError("busy_ticket.notes must be an integer from 0 to 1000")
    return {"notes": notes}


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


FAULT_REPLIES = {
    429: ("TooManyRequests", "Too many requests, please slow down"),
    500: ("InternalServerError", "An unexpected error occurred"),
    502: ("BadGateway", "The gateway received an invalid response"),
    503: ("ServiceUnavailable", "The service is temporarily unavailable"),
}


# ConnectWise's words when the API member's security role lacks the permission for a call.
FORBIDDEN_MESSAGE = "You do not have access to this resource. Please contact your administrator."
# What Cloudflare answers at the edge of ConnectWise's cloud when a client is rate limited: a page, not JSON.
CLOUDFLARE_429 = (
    "<!DOCTYPE html><html><head><title>Access denied | api-na.myconnectwise.net used Cloudflare to restrict "
    "access</title></head><body><h1>Error 1015</h1><p>You are being rate limited</p></body></html>"
)


def fault_reply(fault: Fault) -> Reply:
    if fault.kind == "drop_connection":
        return Reply(0, drop=True)
    if fault.kind == "reject":
        return ApiError(400, "InvalidObject", fault.message).reply
    if fault.kind == "forbidden":
        return ApiError(403, "Forbidden", FORBIDDEN_MESSAGE).reply
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    if fault.html:
        return Reply(fault.status, CLOUDFLARE_429, headers, content_type="text/html; charset=UTF-8")
    code, message = FAULT_REPLIES[fault.status]
    return ApiError(fault.status, code, message, headers=headers).reply
