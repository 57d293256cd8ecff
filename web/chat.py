"""The workspace's conversation with the assistant as its template reads it: the transcript, read once and
only when the page shows it (a region answered on its own never pays for it)."""

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings

from assistant.models import Message
from assistant.selectors import transcript_of
from assistant.turn import reply_fail_if_stale
from sessions.models import Session


@dataclass
class Chat:
    session: Session

    @cached_property
    def messages(self) -> list[Message]:
        """Oldest first, each with its proposals: two queries however long the conversation. A reply whose
        writer died long ago is failed here (Retry offered), so Send is never held back by it for ever."""
        messages = list(transcript_of(self.session))
        for message in messages:
            if reply_fail_if_stale(message):
                message.refresh_from_db()
        return messages

    @property
    def busy(self) -> bool:
        """A reply is being written: Send waits for it (one reply at a time per session)."""
        return any(message.state == Message.State.STREAMING for message in self.messages)

    @property
    def max_chars(self) -> int:
        return settings.FLOWPILOT_ASSISTANT_MAX_MESSAGE_CHARS
