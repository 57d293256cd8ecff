"""A local stand-in for the Claude Messages API, for tests and the benchmark (never the real host).

Point the SDK at it with ANTHROPIC_BASE_URL. It records every request it receives, answers from a
queue of scripted replies (see `reply_with`) and otherwise with a well-formed answer of the requested
kind. It behaves the way the real service does where FlowPilot must cope with it:

- Thinking: like Sonnet 5.x it thinks adaptively unless the request says otherwise — a thinking block
  first and `thinking_tokens` more output tokens (reported in `usage.output_tokens_details`), none for
  `thinking: {"type": "disabled"}` or `output_config.effort: "low"`, half at medium. Adaptive thinking
  skips a trivial prompt (a few words), as the model does.
- max_tokens: thinking counts against it; an answer that does not fit after the thinking is cut there,
  with `stop_reason: "max_tokens"`. A scripted `{"stop_reason": "max_tokens"}` cuts one on demand.
- Errors: any status with any body and headers, e.g. `overloaded()` (529) or `rate_limited(30)` (429
  with `retry-after`). A request the real API would refuse (roles out of turn, a `tool_use` left
  unanswered, a tool without a schema, more than four cache breakpoints, an empty text block) gets its
  400 `invalid_request_error`, before any scripted reply is taken. So does what the API refuses of thinking
  sent back: a `thinking` block whose signature this stub did not issue with that very text (forged or
  edited; the record is this process's, so a restarted stub refuses the blocks its predecessor issued, which the
  real API would not), and, unless thinking is disabled, a request continuing a tool-use turn (its last
  message answers the last assistant message's `tool_use` with `tool_result` blocks) whose last assistant
  message does not start with its `thinking` (or `redacted_thinking`) block, unless the stub had answered
  that message without thinking (adaptive thinking skipped it).
- Prompt caching from the request's own breakpoints: every block with `cache_control` (in tools, system
  or messages, or the last block for a top-level `cache_control`) marks the prefix ending there. A
  prefix of at least MIN_CACHEABLE_TOKENS is written the first time and read while it lives (5 minutes,
  or `ttl: "1h"`, renewed by each read); a request reads the longest cached prefix it starts with that
  ends at most CACHE_LOOKBACK_BLOCKS blocks before one of its breakpoints, and writes from there to its
  last breakpoint. Tokens are counted at four characters a token.
- Tool use: scripted `tool_calls` become `tool_use` blocks after the text, with `stop_reason: "tool_use"`.
  A request that declares tools and has nothing scripted gets a short troubleshooting answer that calls
  `propose_fact` and `suggest_fix`, those of the two it declares.
- Streaming (`"stream": true`): server-sent events as the API sends them, each flushed as it is written,
  so a client sees the first words before the answer ends. Mid-stream, a scripted reply can send an
  `error` event after HTTP 200 (`stream_error`) or drop the connection (`drop_after_chars`).
- Speed: answers take `delay_seconds` before the response starts, then `first_token_delay_seconds`
  before the first token, then the output tokens at `tokens_per_second` when that is set. Each request
  record says when its first content was written (`first_delta_at`, a `time.monotonic()` value).
"""

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from drafting.kinds import DraftKind

MIN_CACHEABLE_TOKENS = 2048
CACHE_TTL_SECONDS = {"5m": 300, "1h": 3600}
CACHE_LOOKBACK_BLOCKS = 20  # the API looks for a cached prefix only this many blocks before a breakpoint
MAX_CACHE_BREAKPOINTS = 4
ADAPTIVE_THINKING_TOKENS = 600  # what the stub thinks about a draft when left to decide, at the default effort
EFFORT_SHARE = {"low": 0.0, "medium": 0.5, "high": 1.0, "xhigh": 1.5, "max": 2.0}
TRIVIAL_PROMPT_TOKENS = 50  # adaptive thinking does not think about a prompt shorter than this
THINKING_SUMMARY = "The session says what was confirmed and what fixed it; the draft restates it under its headings."
WORDS_PER_TEXT_DELTA = 3
CHARACTERS_PER_JSON_DELTA = 16
PING_INTERVAL_SECONDS = 1.0  # a long wait in a stream is kept alive with pings
FACT_SYNTHESIS_PREFIX = "Rewrite as one fact line:"
FACT_LINE_CHARACTERS = 200
STREAM_ERROR_MESSAGES = {
    "overloaded_error": "Overloaded",
    "api_error": "Internal server error",
    "rate_limit_error": "Number of requests has exceeded",
}

# (words that must all appear in the engineer's message, fix title, fix description); the first match wins
FIX_RULES = [
    (
        ("outlook", "password"),
        "Clear the cached Outlook credentials and re-create the profile",
        "Remove the Outlook and Office entries from Windows Credential Manager, create a new mail profile "
        "under Control Panel > Mail, and sign in once with modern authentication.",
    ),
    (
        ("outlook",),
        "Repair the Outlook profile",
        "Start Outlook in safe mode to rule out add-ins, then run the profile repair from Account Settings.",
    ),
    (
        ("vpn",),
        "Reinstall the VPN client and reset the network stack",
        "Remove and reinstall the VPN client, then run `netsh winsock reset` and restart before connecting again.",
    ),
    (
        ("print",),
        "Clear the print spooler and reinstall the printer driver",
        "Stop the Print Spooler service, empty the spool folder, start it again and reinstall the driver.",
    ),
    (
        ("locked",),
        "Unlock the account and find the device with the stale password",
        "Unlock the account, then check the lockout source in the domain controller's security log.",
    ),
    (
        ("slow",),
        "Find the process holding the resources and update the machine",
        "Check Task Manager and Resource Monitor for the busy process, then apply pending updates and restart.",
    ),
]
GENERIC_FIX = (
    "Restart the affected application and reproduce the fault with logging on",
    "Restart the application (or the device), reproduce the problem and note the exact error and time.",
)


def well_formed_answer(user_text: str) -> str:
    kind = DraftKind.ESCALATION_PACKAGE if "escalation package" in user_text else DraftKind.RESOLUTION_NOTE
    return "\n\n".join(f"## {heading}\n\nStub text for {heading.lower()}." for heading in kind.headings)


def fact_line(text: str) -> str:
    """Text as one fact line: one line, its first sentence (at most FACT_LINE_CHARACTERS), capitalised, a period."""
    line = " ".join(text.split())
    line = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0][:FACT_LINE_CHARACTERS]
    line = line.rstrip(" .!?…,;:")
    return f"{line[:1].upper()}{line[1:]}." if line else ""


def overloaded() -> dict:
    """A scripted 529, as the API answers when it is overloaded."""
    return {"status": 529, "body": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}}


def rate_limited(retry_after: float) -> dict:
    """A scripted 429 that asks the client to wait `retry_after` seconds."""
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded"}}
    return {"status": 429, "headers": {"retry-after": f"{retry_after:g}"}, "body": body}


def refusal(category: str | None = None, explanation: str | None = None) -> dict:
    """A scripted refusal: no answer, `stop_reason: "refusal"` and its `stop_details`."""
    details = {"type": "refusal", "category": category, "explanation": explanation}
    return {"stop_reason": "refusal", "text": "", "stop_details": details}


def tokens(text: str) -> int:
    return -(-len(text) // 4)  # four characters a token, a started token counting whole


def invalid_request(message: str) -> dict:
    return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


@dataclass
class Answer:
    """What the stub sends for one request, and how it paces it."""

    status: int
    payload: dict  # a message the stub generated when `generated`, else a scripted or refused HTTP answer
    generated: bool = False
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # before the response starts
    first_token_delay: float = 0.0
    tokens_per_second: float | None = None
    stream_error: dict | None = None
    drop_after_chars: int | None = None

    @property
    def seconds_to_generate(self) -> float:
        """The time a non-streamed answer takes after its delay: the first token, then the rest."""
        if not self.generated:
            return 0.0
        output_tokens = self.payload["usage"]["output_tokens"]
        return self.first_token_delay + (output_tokens / self.tokens_per_second if self.tokens_per_second else 0.0)


class ClaudeStub:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, model: str | None = None):
        self.model = model  # answer with this model id instead of the requested one
        self.requests: list[dict] = []
        self.replies: deque[dict] = deque()
        self.delay_seconds = 0.0
        self.first_token_delay_seconds = 0.0
        self.tokens_per_second: float | None = None  # None: output costs no time
        self.thinking_tokens = ADAPTIVE_THINKING_TOKENS
        self._cache: dict[str, tuple[float, float]] = {}  # prefix digest → (expires at, ttl)
        self._issued_thinking: dict[str, set[str]] = {}  # signature → the thinking text sent with it
        self._tool_uses_without_thinking: set[str] = set()  # tool_use ids of answers that did not think
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
        """Queue replies, each a dict of: "text" (the answer), "tool_calls" (a list of {"name", "input", "id"?},
        sent as tool_use blocks after the text), "status" with "body" and "headers" (an HTTP error), "delay"
        (seconds before the response), "first_token_delay" (seconds before the first token), "stop_reason"
        ("max_tokens": cut the answer; "refusal") with "stop_details", "thinking_tokens" (instead of what the
        request's thinking setting would spend), and for a streamed answer "stream_error" ({"after_chars",
        "type", "message"?}: an error event after that much text) or "drop_after_chars" (the connection
        closes there). A reply without "text" or "tool_calls" paces the default answer."""
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

    def _answer(self, body: dict, *, number: int) -> Answer:
        """`number`: the request's own count, taken as it was recorded (ids and signatures are unique by it)."""
        problem = request_problem(body) or self._thinking_problem(body)
        if problem:
            return Answer(400, invalid_request(problem))
        with self._lock:
            reply = self.replies.popleft() if self.replies else {}
            usage = self._cache_usage(body)
        delay = reply.get("delay", self.delay_seconds)
        if "status" in reply:
            error = reply.get("body", {"type": "error", "error": {"type": "api_error"}})
            return Answer(reply["status"], error, headers=reply.get("headers", {}), delay=delay)

        max_tokens = int(body.get("max_tokens") or 0)
        thinking = min(reply.get("thinking_tokens", self._thinking_tokens(body)), max_tokens)
        text, tool_calls = _scripted_or_default_content(reply, body)
        stop_reason = reply.get("stop_reason", "tool_use" if tool_calls else "end_turn")
        room = max_tokens - thinking
        if stop_reason == "max_tokens":  # on demand: the answer would have gone on
            text, tool_calls = text[: min(len(text) // 2, room * 4)], []
            answer_tokens = room
        elif tokens(text) > room:  # thinking and answer do not fit: cut where the limit falls
            text, tool_calls, answer_tokens, stop_reason = text[: room * 4], [], room, "max_tokens"
        else:
            answer_tokens = tokens(text)
            fitting = []
            for call in tool_calls:
                if answer_tokens + _tool_tokens(call) > room:  # a tool call cut short is no tool call
                    answer_tokens, stop_reason = room, "max_tokens"
                    break
                answer_tokens += _tool_tokens(call)
                fitting.append(call)
            tool_calls = fitting

        content = []
        if thinking:
            display = (body.get("thinking") or {}).get("display")
            summary = "" if display == "omitted" else THINKING_SUMMARY
            content.append({"type": "thinking", "thinking": summary, "signature": f"stub-signature-{number}"})
        if text or (stop_reason == "end_turn" and not tool_calls):
            content.append({"type": "text", "text": text})
        for i, call in enumerate(tool_calls):
            tool_id = call.get("id") or f"toolu_stub_{number}_{i}"
            content.append({"type": "tool_use", "id": tool_id, "name": call["name"], "input": call.get("input", {})})
        with self._lock:
            if thinking:
                self._issued_thinking.setdefault(content[0]["signature"], set()).add(content[0]["thinking"])
            else:
                self._tool_uses_without_thinking.update(block["id"] for block in content if block["type"] == "tool_use")
        output_tokens = max(1, thinking + answer_tokens)
        message = {
            "id": f"msg_stub_{number}",
            "type": "message",
            "role": "assistant",
            "model": self.model or body.get("model", "claude-stub"),
            "content": content,
            "stop_reason": stop_reason,
            "stop_details": reply.get("stop_details"),
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": output_tokens, "output_tokens_details": {"thinking_tokens": thinking}},
        }
        return Answer(
            200,
            message,
            generated=True,
            delay=delay,
            first_token_delay=reply.get("first_token_delay", self.first_token_delay_seconds),
            tokens_per_second=self.tokens_per_second,
            stream_error=reply.get("stream_error"),
            drop_after_chars=reply.get("drop_after_chars"),
        )

    def _thinking_problem(self, body: dict) -> str | None:
        """Why the API would refuse the thinking this (otherwise valid) request sends back, or None. A signature
        covers its block's thinking exactly; with thinking on, a tool-use turn goes on only after the thinking
        that came with its tool calls (as in `_thinking_tokens`, thinking is on unless it is disabled)."""
        messages = body["messages"]
        with self._lock:
            for n, message in enumerate(messages):
                if message["role"] != "assistant":
                    continue
                for k, block in enumerate(_blocks(message)):
                    if block.get("type") == "thinking" and not self._issued(block):
                        return f"messages.{n}.content.{k}: Invalid `signature` in `thinking` block"
            if (body.get("thinking") or {}).get("type") == "disabled":
                return None
            n = _continued_tool_use(messages)
            if n is None:
                return None
            blocks = _blocks(messages[n])
            found = blocks[0].get("type") if blocks else None
            unthinking = {block.get("id") for block in _tool_uses(messages[n])} <= self._tool_uses_without_thinking
            if found in ("thinking", "redacted_thinking") or unthinking:  # as issued, when the model did not think
                return None
        return (
            f"messages.{n}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. "
            "When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding "
            "the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks "
            "from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation "
            "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
        )

    def _issued(self, block: dict) -> bool:
        """Whether this stub sent this thinking block, its signature with this very text. Called under the lock."""
        signature, text = block.get("signature"), block.get("thinking")
        return isinstance(signature, str) and isinstance(text, str) and text in self._issued_thinking.get(signature, ())

    def _thinking_tokens(self, body: dict) -> int:
        """What the request's thinking setting spends; Sonnet 5.x thinks adaptively when it is not set."""
        config = body.get("thinking") or {"type": "adaptive"}
        if config.get("type") not in ("adaptive", "enabled"):  # disabled, between_tools
            return 0
        effort = (body.get("output_config") or {}).get("effort") or "high"
        amount = round(self.thinking_tokens * EFFORT_SHARE.get(effort, 1.0))
        if config["type"] == "enabled":
            return min(amount, int(config.get("budget_tokens") or 0))
        prompt = sum(tokens(json.dumps(message.get("content", ""))) for message in body.get("messages", []))
        return amount if prompt >= TRIVIAL_PROMPT_TOKENS else 0

    def _cache_usage(self, body: dict) -> dict:
        """input_tokens, cache_creation_input_tokens and cache_read_input_tokens, from the request's breakpoints."""
        blocks = list(_prompt_blocks(body))
        if body.get("cache_control") and blocks:  # top-level: the last block is the breakpoint
            blocks[-1] = {**blocks[-1], "cache_control": body["cache_control"]}
        now = time.monotonic()
        digest = hashlib.sha256(str(body.get("model", "")).encode())
        keys, ends, total = [], [], 0
        for block in blocks:
            material = json.dumps({k: v for k, v in block.items() if k != "cache_control"}, sort_keys=True)
            digest.update(material.encode())
            keys.append(digest.hexdigest())
            total += tokens(block["text"]) if isinstance(block.get("text"), str) else tokens(material)
            ends.append(total)
        breakpoints = [i for i, block in enumerate(blocks) if block.get("cache_control")]

        looked_at = sorted(
            {i for end in breakpoints for i in range(max(0, end - CACHE_LOOKBACK_BLOCKS + 1), end + 1)}, reverse=True
        )
        read = 0
        for i in looked_at:  # the longest live prefix
            expires_at, ttl = self._cache.get(keys[i], (0.0, 0.0))
            if expires_at > now:
                self._cache[keys[i]] = (now + ttl, ttl)
                read = ends[i]
                break
        created = 0
        for i in breakpoints:
            if ends[i] >= MIN_CACHEABLE_TOKENS and ends[i] > read:
                ttl = CACHE_TTL_SECONDS.get(blocks[i]["cache_control"].get("ttl", "5m"), 300)
                self._cache[keys[i]] = (now + ttl, ttl)
                created = ends[i] - read
        uncached = total - read - created
        return {"input_tokens": uncached, "cache_creation_input_tokens": created, "cache_read_input_tokens": read}

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
                record = {"path": self.path, "headers": {}, "body": body, "first_delta_at": None}
                with stub._lock:
                    record["headers"] = {name.lower(): value for name, value in self.headers.items()}
                    stub.requests.append(record)
                    number = len(stub.requests)
                if self.path.split("?")[0] != "/v1/messages":
                    return self._send(404, {"type": "error", "error": {"type": "not_found_error"}})
                if not isinstance(body, dict):
                    return self._send(400, invalid_request("The request body is not a JSON object"))
                answer = stub._answer(body, number=number)
                time.sleep(answer.delay)
                if answer.generated and body.get("stream"):
                    return self._stream(answer, record)
                time.sleep(answer.seconds_to_generate)
                if answer.generated:
                    record["first_delta_at"] = time.monotonic()
                self._send(answer.status, answer.payload, answer.headers)

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # fails only when the client gave up (its timeout)

            def _stream(self, answer: Answer, record: dict) -> None:
                """Server-sent events in HTTP chunks, each written at once; a drop ends the chunks unfinished."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for step in stream_events(answer):
                        if step is DROP:
                            self.close_connection = True
                            self.connection.shutdown(socket.SHUT_RDWR)
                            return
                        if isinstance(step, float):
                            time.sleep(step)
                            continue
                        event, data = step
                        if event == "content_block_delta" and record["first_delta_at"] is None:
                            record["first_delta_at"] = time.monotonic()
                        self._chunk(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    self.close_connection = True

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

            def log_message(self, *args):
                pass

        return Handler


DROP = object()  # in a stream: close the connection here, as a network fault would


def stream_events(answer: Answer):
    """The events of one streamed answer, in order, as (event, data), with pauses (float seconds) between
    them and DROP where the connection breaks. Sent as the API sends them: message_start with empty content,
    each block's start, deltas and stop, a ping after the first block starts and during long waits,
    message_delta with the stop reason and output tokens, then message_stop."""
    message = answer.payload
    usage = message["usage"]
    started = {**message, "content": [], "stop_reason": None, "stop_details": None}
    started["usage"] = {key: usage[key] for key in _INPUT_USAGE} | {"output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": started}

    interruption = _interruption(answer)
    text_sent = 0
    waiting = answer.first_token_delay
    for index, block in enumerate(message["content"]):
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": _opened(block)}
        if index == 0:
            yield "ping", {"type": "ping"}
        for delta, cost in _deltas(block, usage["output_tokens_details"]["thinking_tokens"]):
            yield from _pause(waiting + (cost / answer.tokens_per_second if answer.tokens_per_second else 0.0))
            waiting = 0.0
            if interruption and delta["type"] == "text_delta" and text_sent + len(delta["text"]) >= interruption[0]:
                part = delta["text"][: interruption[0] - text_sent]
                if part:
                    yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": _text(part)}
                yield from _interrupt(answer, interruption[1])
                return
            text_sent += len(delta.get("text", ""))
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield from _pause(waiting)
    if interruption:  # asked for after more text than there was: it comes at the end
        yield from _interrupt(answer, interruption[1])
        return
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None, "stop_details": message["stop_details"]}
    yield "message_delta", {"type": "message_delta", "delta": delta, "usage": usage}
    yield "message_stop", {"type": "message_stop"}


_INPUT_USAGE = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _interruption(answer: Answer) -> tuple[int, str] | None:
    """(after how many characters of text, "error" or "drop"), the earlier of the two when both are asked for."""
    asked = []
    if answer.stream_error is not None:
        asked.append((int(answer.stream_error.get("after_chars", 0)), "error"))
    if answer.drop_after_chars is not None:
        asked.append((int(answer.drop_after_chars), "drop"))
    return min(asked) if asked else None


def _interrupt(answer: Answer, kind: str):
    if kind == "drop":
        yield DROP
        return
    error_type = answer.stream_error.get("type", "overloaded_error")
    message = answer.stream_error.get("message") or STREAM_ERROR_MESSAGES.get(error_type, "Internal server error")
    yield "error", {"type": "error", "error": {"type": error_type, "message": message}}


def _pause(seconds: float):
    while seconds > PING_INTERVAL_SECONDS:
        yield float(PING_INTERVAL_SECONDS)
        yield "ping", {"type": "ping"}
        seconds -= PING_INTERVAL_SECONDS
    if seconds > 0:
        yield float(seconds)


def _opened(block: dict) -> dict:
    """A content block as content_block_start announces it, before its deltas."""
    if block["type"] == "text":
        return {"type": "text", "text": ""}
    if block["type"] == "thinking":
        return {"type": "thinking", "thinking": "", "signature": ""}
    return {**block, "input": {}}


def _deltas(block: dict, thinking_tokens: int):
    """A block's deltas, each with the output tokens it costs."""
    if block["type"] == "text":
        for piece in _word_groups(block["text"]):
            yield _text(piece), len(piece) / 4
    elif block["type"] == "thinking":
        pieces = _word_groups(block["thinking"])
        for piece in pieces:
            yield {"type": "thinking_delta", "thinking": piece}, thinking_tokens / len(pieces)
        yield {"type": "signature_delta", "signature": block["signature"]}, 0 if pieces else thinking_tokens
    else:
        serialized = json.dumps(block["input"])
        yield {"type": "input_json_delta", "partial_json": ""}, 0
        for start in range(0, len(serialized), CHARACTERS_PER_JSON_DELTA):
            piece = serialized[start : start + CHARACTERS_PER_JSON_DELTA]
            yield {"type": "input_json_delta", "partial_json": piece}, len(piece) / 4


def _text(piece: str) -> dict:
    return {"type": "text_delta", "text": piece}


def _word_groups(text: str) -> list[str]:
    pieces = re.findall(r"\s*\S+\s*|\s+", text)
    return ["".join(pieces[i : i + WORDS_PER_TEXT_DELTA]) for i in range(0, len(pieces), WORDS_PER_TEXT_DELTA)]


def _tool_tokens(call: dict) -> int:
    return tokens(json.dumps(call.get("input", {})))


def _scripted_or_default_content(reply: dict, body: dict) -> tuple[str, list[dict]]:
    """The answer's text and tool calls: as scripted, or what the stub answers by default for this request."""
    if "text" in reply or "tool_calls" in reply:
        return reply.get("text", ""), list(reply.get("tool_calls") or [])
    engineer = _last_user_text(body)
    if body.get("tools"):
        return _assistant_default(engineer, {tool.get("name") for tool in body["tools"]})
    if engineer.startswith(FACT_SYNTHESIS_PREFIX):
        return fact_line(engineer[len(FACT_SYNTHESIS_PREFIX) :]), []
    return well_formed_answer(json.dumps(body.get("messages", [])[:1])), []


def _last_user_text(body: dict) -> str:
    user_messages = [message for message in body.get("messages") or [] if message.get("role") == "user"]
    if not user_messages:
        return ""
    content = user_messages[-1].get("content", "")
    if isinstance(content, str):
        return content
    # FlowPilot's assistant sends the session's state first, wrapped in <session_state>: not the engineer's words.
    return "\n".join(
        block.get("text", "")
        for block in content
        if block.get("type") == "text" and not block.get("text", "").startswith("<session_state>")
    )


def _assistant_default(engineer: str, declared: set) -> tuple[str, list[dict]]:
    """A short troubleshooting reply that proposes a fact and a fix, with only the tools the request declares.
    After tool results alone (no new words from the engineer) it only acknowledges them, as the model would."""
    if not engineer.strip():
        return "Noted. Tell me what you see when you try the suggested fix.", []
    first_line = engineer.strip().splitlines()[0].strip()
    quoted = first_line if len(first_line) <= 80 else first_line[:79].rstrip() + "…"
    lowered = engineer.lower()
    title, description = next(
        ((title, description) for words, title, description in FIX_RULES if all(word in lowered for word in words)),
        GENERIC_FIX,
    )
    text = (
        f'You wrote: "{quoted}"\n\n'
        "## What I would check first\n\n"
        "1. Whether it affects one user or several, and since when.\n"
        "2. What changed just before it started (updates, password changes, new devices).\n\n"
        f"## Likely fix\n\n**{title}.** {description}"
    )
    proposals = {
        "propose_fact": {"text": fact_line(engineer), "source_summary": "From the engineer's message"},
        "suggest_fix": {"title": title, "description": description, "confidence_pct": 60},
    }
    return text, [{"name": name, "input": payload} for name, payload in proposals.items() if name in declared]


def request_problem(body: dict) -> str | None:
    """Why the real API would refuse this request with 400 invalid_request_error, or None when it would not."""
    for check in (_messages_problem, _tools_problem, _cache_control_problem, _empty_text_problem):
        problem = check(body)
        if problem:
            return problem
    return None


def _messages_problem(body: dict) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return "messages: Field required"
    if not messages:
        return "messages: at least one message is required"
    previous_role = None
    for n, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            return f"messages.{n}.role: Input should be 'user' or 'assistant'"
        if n == 0 and role != "user":
            return 'messages: first message must use the "user" role'
        if role == previous_role:
            return (
                'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )
        previous_role = role
        content = message.get("content")
        if not content and not (role == "assistant" and n == len(messages) - 1):
            return (
                f"messages.{n}: all messages must have non-empty content "
                "except for the optional final assistant message"
            )
    return _tool_pairing_problem(messages)


def _tool_pairing_problem(messages: list[dict]) -> str | None:
    """Every tool_use answered by tool_result blocks at the start of the next message; no tool_result without one."""
    for n, message in enumerate(messages):
        blocks = _blocks(message)
        if message["role"] == "user":
            asked = {block.get("id") for block in _tool_uses(messages[n - 1])} if n else set()
            for k, block in enumerate(blocks):
                if block.get("type") == "tool_result" and block.get("tool_use_id") not in asked:
                    return (
                        f"messages.{n}.content.{k}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{block.get('tool_use_id')}. Each `tool_result` block must have a corresponding `tool_use` "
                        "block in the previous message."
                    )
            continue
        asked = [block.get("id") for block in _tool_uses(message)]
        if not asked:
            continue
        answered = set()
        for block in _blocks(messages[n + 1]) if n + 1 < len(messages) else []:
            if block.get("type") != "tool_result":
                break
            answered.add(block.get("tool_use_id"))
        missing = [tool_id for tool_id in asked if tool_id not in answered]
        if missing:
            return (
                f"messages.{n}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block in the "
                "next message."
            )
    return None


def _continued_tool_use(messages: list[dict]) -> int | None:
    """The index of the last assistant message when the request continues its tool use: it has `tool_use`
    blocks and the request's last message, right after it, answers them with `tool_result` blocks."""
    if len(messages) < 2 or messages[-1]["role"] != "user" or messages[-2]["role"] != "assistant":
        return None
    answered = any(block.get("type") == "tool_result" for block in _blocks(messages[-1]))
    return len(messages) - 2 if answered and _tool_uses(messages[-2]) else None


def _tools_problem(body: dict) -> str | None:
    names = []
    for i, tool in enumerate(body.get("tools") or []):
        if tool.get("type") not in (None, "custom"):  # a server tool: the API knows its schema
            continue
        for required in ("name", "input_schema"):
            if required not in tool:
                return f"tools.{i}.custom.{required}: Field required"
        names.append(tool["name"])
    if len(names) != len(set(names)):
        return "tools: Tool names must be unique."
    return None


def _cache_control_problem(body: dict) -> str | None:
    found = sum(1 for block in _prompt_blocks(body) if block.get("cache_control")) + bool(body.get("cache_control"))
    if found > MAX_CACHE_BREAKPOINTS:
        return f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {found}."
    return None


def _empty_text_problem(body: dict) -> str | None:
    system = body.get("system") or []
    if not isinstance(system, str) and any(block.get("type") == "text" and not block.get("text") for block in system):
        return "system: text content blocks must be non-empty"
    for message in body.get("messages") or []:
        for block in _blocks(message):
            if block.get("type") != "text":
                continue
            if not block.get("text"):
                return "messages: text content blocks must be non-empty"
            if not block["text"].strip():
                return "messages: text content blocks must contain non-whitespace text"
    return None


def _tool_uses(message: dict) -> list[dict]:
    return [block for block in _blocks(message) if block.get("type") == "tool_use"]


def _blocks(message: dict) -> list[dict]:
    content = message.get("content") or []
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _prompt_blocks(body: dict):
    """The request's prompt as the cache sees it, in order: tools, system, then each message's blocks."""
    yield from body.get("tools") or []
    system = body.get("system") or []
    yield from [{"type": "text", "text": system}] if isinstance(system, str) else system
    for message in body.get("messages") or []:
        content = message.get("content", "")
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content:
            yield {**block, "role": message.get("role")}
