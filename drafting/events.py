"""A draft being written, as `text/event-stream`: `delta {text}` as the model writes it (`reset` when it is
asked again), then `done {state_version}` once it is cached (or `error`). A late subscriber first gets the text
so far; a draft already cached is `done` at once, and so is one nobody is writing (the panel then asks for it)."""

from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from drafting.kinds import DraftKind
from drafting.previews import draft_stream_id, lock_key, preview_key
from flowpilot.channel import as_sse, catch_up_and_follow
from sessions.models import Session


def draft_events(session: Session, kind: DraftKind) -> Iterator[bytes]:
    version = session.state_version
    if cache.get(preview_key(kind, session.pk, version)) is not None:
        yield as_sse("done", {"state_version": version})
        return
    stream = draft_stream_id(kind, session.pk, version)

    def being_written() -> bool:
        return cache.get(lock_key(kind, session.pk, version)) is not None

    try:
        seconds = settings.FLOWPILOT_DRAFT_BUDGET_SECONDS + 30
        if (yield from catch_up_and_follow(stream, seconds=seconds, still_going=being_written)):
            return
    except RedisError:
        pass  # the stream is only the fast path: the panel's own request gets the draft
    yield as_sse("done", {"state_version": version})  # nobody is writing it (any more): the panel asks for it
