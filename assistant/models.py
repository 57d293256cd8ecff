"""The assistant's transcript: the engineer's messages, its replies, and the proposals in those replies."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from sessions.models import Session


def cache_read_share(read: int, written: int, uncached: int) -> float:
    """Of a prompt's input tokens, the share read from the prompt cache (0 for no prompt)."""
    prompt = read + written + uncached
    return read / prompt if prompt else 0.0


class Message(models.Model):
    class Role(models.TextChoices):
        ENGINEER = "engineer", "Engineer"
        ASSISTANT = "assistant", "Assistant"

    class State(models.TextChoices):
        STREAMING = "streaming", "Streaming"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField(help_text="The message's place in its session's transcript, from 1.")
    role = models.CharField(max_length=16, choices=Role.choices)
    text = models.TextField(blank=True, default="", help_text="Secrets redacted; for a reply, the text so far.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.COMPLETE)
    error = models.CharField(max_length=500, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    model = models.CharField(max_length=100, blank=True, default="")
    usage = models.JSONField(default=dict, blank=True, help_text="Tokens, cache share and latency of the reply.")
    # What the reply said to the model beyond its text (tool_use blocks) and what FlowPilot answered each tool
    # call: the next turn replays both, so every tool use has its tool result.
    content = models.JSONField(default=list, blank=True)
    tool_results = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Deliveries of this reply's task.")
    run = models.PositiveSmallIntegerField(
        default=1, help_text="Each Retry is a run of its own, with its own stream of events."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="one_message_per_place_in_transcript"),
            # One reply at a time per session, whatever the race between concurrent sends.
            models.UniqueConstraint(
                fields=["session"], condition=Q(state="streaming"), name="one_streaming_reply_per_session"
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.text[:60]}"

    @property
    def is_reply(self) -> bool:
        return self.role == self.Role.ASSISTANT

    @property
    def stream_id(self) -> str:
        """The key of this run's events on the channel: a Retry never replays the run before it."""
        return f"{self.pk}:{self.run}"


class Proposal(models.Model):
    """Something the assistant proposed by tool use; it counts only once the engineer accepts it."""

    class Kind(models.TextChoices):
        FACT = "fact", "Fact"
        CHECK = "check", "Check"
        FIX = "fix", "Fix"
        SCRIPT = "script", "Script"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="proposals")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField(help_text="The proposal's fields, as validated (and, once accepted, as accepted).")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    tool_use_id = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0, help_text="Its place among its message's cards.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    result_type = models.CharField(max_length=32, blank=True, default="")
    result_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message_id", "position"]

    def __str__(self):
        return f"{self.get_kind_display()} proposal ({self.state})"


class AssistantUsage(Session):
    """Sessions as admin lists them for the assistant's usage: replies, tokens, cache share."""

    class Meta:
        proxy = True
        verbose_name = "assistant usage by session"
        verbose_name_plural = "assistant usage by session"
