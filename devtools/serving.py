"""How a PSA simulator is served: a threaded HTTP server in a daemon thread (`start`, for tests and the
bench) or in the calling thread (`serve_forever`, for the management commands); also a context manager.
Each simulator names its request handler and its thread; the rest is the same for all three PSAs."""

from __future__ import annotations

import functools
import threading
from http.server import ThreadingHTTPServer
from typing import Self


class ServedSimulator:
    handler_class: type  # the simulator's request handler (a devtools.connectwise.server.Handler)
    thread_name: str
    host: str
    port: int
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    ROUTES: list  # (compiled path pattern, route name, allowed methods)
    TRAILING_SLASH_OK = True  # "/tickets/1/" routes as "/tickets/1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _route(self, path: str):
        """(route name, allowed methods, the path's integer ids) for a request path; "unknown" for none."""
        path = path.rstrip("/") if self.TRAILING_SLASH_OK else path
        for pattern, route, methods in self.ROUTES:
            if match := pattern.fullmatch(path):
                return route, methods, [int(value) for value in match.groups()]
        return "unknown", None, []

    def _count(self, method: str, route: str) -> None:  # under the lock
        key = f"{method} {route}"
        self._requests[key] = self._requests.get(key, 0) + 1

    def bind(self) -> None:
        """Open the listening socket (OSError if the port is taken); `self.port` becomes the real port."""
        if self._server is None:
            self._server = ThreadingHTTPServer((self.host, self.port), self.handler_class)
            self._server.simulator = self
            self.port = self._server.server_address[1]

    def start(self) -> Self:
        self.bind()
        # A short poll interval makes stop() quick: shutdown() waits for the serving loop's next poll.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name=self.thread_name, daemon=True)
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
