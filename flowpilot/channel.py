"""Where the events of a piece of work in the background (an assistant's reply, a draft being written, a post
to the PSA) travel from the process doing it to every web process streaming it.

Production: a Redis stream per piece of work (XADD, XREAD BLOCK). A stream, not pub/sub: it keeps what was
sent, so a late subscriber (a reload mid-reply, a second tab, a REST client) reads from the start and then
waits for more, and nothing is lost between reading the database and subscribing. Each stream expires an
hour after its last event. The embedded defaults (no Redis) keep the same events in this process's memory,
which is where their background work runs (a thread beside the request).

Events are named by their users (the assistant: `delta`, `proposal`, `reset`, `done`, `error`); `done` and
`error` end a stream.
"""

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
KEEP_SECONDS = 3600
MAX_WAIT_SECONDS = 15.0
MEMORY_KEEP_SECONDS = 60.0  # one blocking read at most; a stream sends a keep-alive after each quiet one
FINAL = ("done", "error")


def publish_quietly(stream_id: str, name: str, data: dict) -> None:
    """Publish where the event is only the fast path (the page has its own way to the result): a channel that is
    down costs the stream, not the work, and is logged."""
    try:
        channel().publish(stream_id, name, data)
    except RedisError as exc:
        logger.warning("Could not publish %s on %s: %s", name, stream_id, exc)


def as_sse(name: str, data: dict) -> bytes:
    """One event of a `text/event-stream` answer."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    data: dict


class RedisChannel:
    def __init__(self, url: str):
        import redis

        # redis-py times a socket read out (5 s by default in 8.x): a blocking read must outlast it.
        self._redis = redis.Redis.from_url(url, socket_timeout=MAX_WAIT_SECONDS + 10, socket_connect_timeout=5)

    @staticmethod
    def _key(stream_id) -> str:
        return f"flowpilot:reply:{stream_id}"

    def publish(self, stream_id, name: str, data: dict) -> None:
        key = self._key(stream_id)
        with self._redis.pipeline() as pipe:
            pipe.xadd(key, {"name": name, "data": json.dumps(data)})
            pipe.expire(key, KEEP_SECONDS)
            pipe.execute()

    def read(self, stream_id, after: str = "0", *, wait_seconds: float) -> list[Event]:
        block_ms = max(1, int(min(wait_seconds, MAX_WAIT_SECONDS) * 1000))
        answer = self._redis.xread({self._key(stream_id): after}, block=block_ms)
        events = []
        for _key, entries in answer or []:
            for entry_id, fields in entries:
                events.append(Event(entry_id.decode(), fields[b"name"].decode(), json.loads(fields[b"data"].decode())))
        return events


class MemoryChannel:
    """One process's channel: without a broker, background work runs in this process (FLOWPILOT_BACKGROUND_IN)."""

    def __init__(self):
        self._events: dict[str, list[Event]] = {}
        self._finished_at: dict[str, float] = {}
        self._changed = threading.Condition()

    def publish(self, stream_id, name: str, data: dict) -> None:
        with self._changed:
            self._forget_finished()
            events = self._events.setdefault(str(stream_id), [])
            events.append(Event(str(len(events) + 1), name, json.loads(json.dumps(data))))
            if name in FINAL:
                self._finished_at[str(stream_id)] = time.monotonic()
            self._changed.notify_all()

    def _forget_finished(self) -> None:
        """A finished reply's events are kept a minute, for the subscriber that is still reading them; after that
        a stream of it is told from the database."""
        expired = [key for key, at in self._finished_at.items() if time.monotonic() - at > MEMORY_KEEP_SECONDS]
        for key in expired:
            self._events.pop(key, None)
            self._finished_at.pop(key, None)

    def read(self, stream_id, after: str = "0", *, wait_seconds: float) -> list[Event]:
        deadline = time.monotonic() + wait_seconds
        with self._changed:
            while True:
                events = self._events.get(str(stream_id), [])[int(after) :]
                left = deadline - time.monotonic()
                if events or left <= 0:
                    return list(events)
                self._changed.wait(left)


def text_so_far(backlog: list[Event]) -> tuple[str, list[Event]]:
    """A late subscriber's start: the `delta`s of the backlog since its last `reset` joined into one text, and
    the events after them."""
    since_reset = backlog
    for index, event in enumerate(backlog):
        if event.name == "reset":
            since_reset = backlog[index + 1 :]
    text = ""
    for index, event in enumerate(since_reset):
        if event.name != "delta":
            return text, since_reset[index:]
        text += event.data.get("text", "")
    return text, []


@cache
def _channel_for(redis_url: str):
    return RedisChannel(redis_url) if redis_url else MemoryChannel()


def channel():
    return _channel_for(settings.REDIS_URL or "")


def follow(stream_id, after: str = "0", *, wait_seconds: float, until: float) -> Iterator[Event | None]:
    """Every event of a reply after `after` (from the start by default), then each new one as it comes; None
    after each quiet `wait_seconds` (a keep-alive), until a final event or the monotonic time `until`."""
    while time.monotonic() < until:
        events = channel().read(stream_id, after, wait_seconds=wait_seconds)
        if not events:
            yield None
            continue
        for event in events:
            yield event
            if event.name in FINAL:
                return
        after = events[-1].id


def catch_up_and_follow(stream_id: str, *, seconds: float, still_going) -> Iterator[bytes]:
    """A subscriber's stream as `text/event-stream` bytes: the text so far as one `delta`, the events after it,
    then each new one as it comes, for at most `seconds`. After each quiet read (and before the first wait, when
    nothing was sent yet) `still_going()` says whether the work goes on: yes sends a keep-alive, no ends here.
    Returns True when a final event (`done`, `error`) was sent, False when the caller must tell the end itself."""
    backlog = channel().read(stream_id, "0", wait_seconds=0.01)
    if not backlog and not still_going():
        return False
    text, rest = text_so_far(backlog)
    yield as_sse("delta", {"text": text}) if text else b": connected\n\n"
    for event in rest:
        yield as_sse(event.name, event.data)
        if event.name in FINAL:
            return True
    after = backlog[-1].id if backlog else "0"
    for event in follow(stream_id, after, wait_seconds=MAX_WAIT_SECONDS, until=time.monotonic() + seconds):
        if event is not None:
            yield as_sse(event.name, event.data)
            if event.name in FINAL:
                return True
        elif still_going():
            yield b": keep-alive\n\n"
        else:
            return False
    return False
