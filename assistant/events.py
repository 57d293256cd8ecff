"""A reply as `text/event-stream` (DESIGN §10): `delta {text}`, `proposal {…}`, `reset {}`, `done {message}`,
`error {code, detail}`. A subscriber that comes late first gets the text so far as one delta, then each new
event as it is written; a reply already finished is told from the database at once. Each Retry of a reply is
a run with a stream of its own (`Message.stream_id`): a stream never replays the run before it.

The channel is only the fast path: should Redis fail, the stream goes on from the database (the text saved
every second, then the end), and a reply whose writer died is failed as stale rather than followed for ever.
"""

import logging
import time
from collections.abc import Iterator

from django.conf import settings
from redis.exceptions import RedisError

from assistant.models import Message
from assistant.serializers import MessageSerializer, ProposalSerializer
from assistant.turn import reply_fail_if_stale
from flowpilot.channel import as_sse as sse
from flowpilot.channel import catch_up_and_follow

logger = logging.getLogger(__name__)
DATABASE_POLL_SECONDS = 1.0


def _finished(reply: Message) -> Iterator[bytes]:
    if reply.text:
        yield sse("delta", {"text": reply.text})
    if reply.state == Message.State.FAILED:
        yield sse("error", {"code": reply.error_code or "reply_failed", "detail": reply.error})
        return
    reply = Message.objects.prefetch_related("proposals").get(pk=reply.pk)
    for proposal in reply.proposals.all():
        yield sse("proposal", ProposalSerializer(proposal).data)
    yield sse("done", {"message": MessageSerializer(reply).data})


def reply_stream(reply: Message) -> Iterator[bytes]:
    if reply.state != Message.State.STREAMING:
        yield from _finished(reply)
        return
    try:
        yield from _from_the_channel(reply)
    except RedisError as exc:
        logger.warning("Reply %s: the channel failed (%s); streaming from the database", reply.pk, exc)
        yield from _from_the_database(reply)


def _from_the_channel(reply: Message) -> Iterator[bytes]:
    def still_streaming() -> bool:
        reply.refresh_from_db()
        return reply.state == Message.State.STREAMING and not reply_fail_if_stale(reply)

    seconds = settings.FLOWPILOT_ASSISTANT_BUDGET_SECONDS + 30
    if not (yield from catch_up_and_follow(reply.stream_id, seconds=seconds, still_going=still_streaming)):
        yield from _from_the_database(reply)  # ended without a word on the channel (failed as stale, say)


def _from_the_database(reply: Message) -> Iterator[bytes]:
    sent = ""
    while True:
        reply.refresh_from_db()
        if reply.state != Message.State.STREAMING or reply_fail_if_stale(reply):
            reply.refresh_from_db()
            if reply.text.startswith(sent):
                reply.text = reply.text[len(sent) :]
            yield from _finished(reply)
            return
        if reply.text.startswith(sent) and len(reply.text) > len(sent):
            yield sse("delta", {"text": reply.text[len(sent) :]})
            sent = reply.text
        else:
            yield b": keep-alive\n\n"
        time.sleep(DATABASE_POLL_SECONDS)
