"""A handoff's end as `text/event-stream`: one `done {state}` the moment it succeeds or fails, so the page
that waits on it refreshes at once instead of at its next poll. The database decides: a handoff already
finished is told at once, and an end announced by an earlier run of a handoff retried since is passed over."""

import time
from collections.abc import Iterator

from redis.exceptions import RedisError

from flowpilot.channel import MAX_WAIT_SECONDS, as_sse, follow
from handoff.models import Handoff
from handoff.run import handoff_stream_id

FOLLOW_SECONDS = 300.0  # a post's retries take about three minutes; the page's poll carries on after this


def handoff_events(handoff: Handoff) -> Iterator[bytes]:
    yield b": connected\n\n"
    try:
        for event in follow(handoff_stream_id(handoff.pk), wait_seconds=MAX_WAIT_SECONDS, until=_until()):
            handoff.refresh_from_db(fields=["state", "updated_at"])
            if handoff.is_finished:
                yield as_sse("done", {"state": handoff.state})
                return
            if event is None:
                yield b": keep-alive\n\n"
    except RedisError:
        return  # the page's poll sees the end


def _until() -> float:
    return time.monotonic() + FOLLOW_SECONDS
