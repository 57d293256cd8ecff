"""The simulator's HTTP plumbing: a request as the fake API sees it, its reply, ConnectWise's error
envelope, and the handler that turns HTTP into one and the other back (or into a dropped socket).

Standard library only, so the simulator starts fast and runs without Django.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


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
    content_type: str = "application/json; charset=utf-8"  # anything else: `body` is the text itself


class ApiError(Exception):
    """Raised by a route; answered in ConnectWise's error envelope."""

    def __init__(self, status: int, code: str, message: str, errors: list | None = None, headers=None):
        super().__init__(message)
        self.reply = Reply(status, {"code": code, "message": message, "errors": errors}, headers or {})


class Handler(BaseHTTPRequestHandler):
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
        if reply.body is None:
            body = b""
        elif reply.content_type.startswith("application/json"):
            body = json.dumps(reply.body).encode()
        else:
            body = str(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
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
