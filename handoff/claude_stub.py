"""A local stand-in for the Claude Messages API, for tests and the benchmark (never the real host).

Point the SDK at it with ANTHROPIC_BASE_URL. It records every request it receives, answers from a
queue of scripted replies (text, an HTTP error, a delay) and otherwise with a well-formed draft of
the requested kind. Usage figures imitate prompt caching: a cacheable system block long enough to
be cached is written on the first call and read on the following ones.
"""

import contextlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from handoff.kinds import DraftKind

MIN_CACHEABLE_TOKENS = 2048


def well_formed_answer(user_text: str) -> str:
    kind = DraftKind.ESCALATION_PACKAGE if "escalation package" in user_text else DraftKind.RESOLUTION_NOTE
    return "\n\n".join(f"## {heading}\n\nStub text for {heading.lower()}." for heading in kind.headings)


class ClaudeStub:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, model: str | None = None):
        self.model = model  # answer with this model id instead of the requested one
        self.requests: list[dict] = []
        self.replies: deque[dict] = deque()
        self.delay_seconds = 0.0
        self._cached_prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def reply_with(self, *replies: dict) -> None:
        """Queue replies: {"text": …}, {"status": 529, "body": {…}}, {"delay": seconds, "text": …}."""
        self.replies.extend(replies)

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def start(self) -> "ClaudeStub":
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for a serving loop: only ask a running one
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "ClaudeStub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _answer(self, body: dict) -> tuple[int, dict, float]:
        with self._lock:
            reply = self.replies.popleft() if self.replies else {}
            usage = self._usage(body)
        delay = reply.get("delay", self.delay_seconds)
        if "status" in reply:
            return reply["status"], reply.get("body", {"type": "error", "error": {"type": "api_error"}}), delay
        user_text = json.dumps(body.get("messages", [])[:1])
        text = reply["text"] if "text" in reply else well_formed_answer(user_text)
        message = {
            "id": f"msg_stub_{len(self.requests)}",
            "type": "message",
            "role": "assistant",
            "model": self.model or body.get("model", "claude-stub"),
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": max(1, len(text) // 4)},
        }
        return 200, message, delay

    def _usage(self, body: dict) -> dict:
        system = body.get("system") or []
        cacheable = "".join(block.get("text", "") for block in system if block.get("cache_control"))
        cacheable_tokens = len(cacheable) // 4 if len(cacheable) // 4 >= MIN_CACHEABLE_TOKENS else 0
        created = read = 0
        if cacheable_tokens and cacheable in self._cached_prefixes:
            read = cacheable_tokens
        elif cacheable_tokens:
            self._cached_prefixes.add(cacheable)
            created = cacheable_tokens
        rest = len(json.dumps(body.get("messages", []))) // 4
        return {"input_tokens": rest, "cache_creation_input_tokens": created, "cache_read_input_tokens": read}

    def _handler_class(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                with stub._lock:
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    stub.requests.append({"path": self.path, "headers": headers, "body": body})
                if self.path.split("?")[0] != "/v1/messages":
                    return self._send(404, {"type": "error", "error": {"type": "not_found_error"}})
                status, answer, delay = stub._answer(body)
                time.sleep(delay)
                self._send(status, answer)

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # fails only when the client gave up (its timeout)

            def log_message(self, *args):
                pass

        return Handler
