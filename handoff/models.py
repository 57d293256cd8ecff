"""Drafts (one row per generation, with its cost) and handoffs (one per Confirm & post)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.kinds import DraftKind
from sessions.models import Session

OFFLINE = "offline"


class Draft(models.Model):
    """One generated draft: what it said, who drafted it (a model id or "offline") and what it cost."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="drafts")
    kind = models.CharField(max_length=32, choices=DraftKind.choices)
    state_version = models.PositiveIntegerField()
    markdown = models.TextField()
    drafted_by = models.CharField(max_length=100, help_text='The model id, or "offline".')
    offline_reason = models.CharField(max_length=300, blank=True, default="")
    model_calls = models.PositiveSmallIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_creation_input_tokens = models.PositiveIntegerField(default=0)
    cache_read_input_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["session", "kind", "-state_version"])]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.state_version} ({self.drafted_by})"


class Handoff(models.Model):
    """One Confirm & post: the exact text, where it went, and every step's result (the audit trail).

    `note_id` is recorded the moment the PSA returns it and is never posted again for this handoff.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        POSTING = "posting", "Posting"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE_STATES = (State.QUEUED, State.POSTING)
    # An active handoff untouched this long lost its task (a broker that dropped it): it may be retried.
    STALE_AFTER = timedelta(minutes=15)
    MAX_MARKDOWN = 20_000

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="handoffs")
    kind = models.CharField(max_length=32, choices=DraftKind.choices)
    markdown = models.TextField(help_text="The exact text posted.")
    draft = models.ForeignKey(Draft, on_delete=models.SET_NULL, null=True, blank=True, related_name="handoffs")
    drafted_markdown = models.TextField(blank=True, default="")
    drafted_state_version = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    outcome = models.CharField(max_length=16, choices=Session.ClosedAs.choices, blank=True, default="")
    provider = models.CharField(max_length=32, blank=True, default="")
    ticket_id = models.PositiveIntegerField(null=True, blank=True)
    note_kind = models.CharField(max_length=16, blank=True, default="")
    note_id = models.BigIntegerField(null=True, blank=True)
    target_status_id = models.PositiveIntegerField(null=True, blank=True)
    verified_status_id = models.PositiveIntegerField(null=True, blank=True)
    verified_status_name = models.CharField(max_length=200, blank=True, default="")
    status_verified = models.BooleanField(null=True, blank=True)
    status_transition_skipped_reason = models.CharField(max_length=300, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Double clicks and concurrent clients: one handoff in flight per session, whatever the race.
            models.UniqueConstraint(
                fields=["session"], condition=Q(state__in=["queued", "posting"]), name="one_active_handoff_per_session"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.session} ({self.state})"

    @property
    def is_local(self) -> bool:
        return self.ticket_id is None

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def summary(self) -> str:
        """The result in plain words, as the engineer's toast says it."""
        what = "resolution note" if self.kind == DraftKind.RESOLUTION_NOTE else "internal escalation note"
        if self.state in self.ACTIVE_STATES:
            return f"Posting the {what} to ticket #{self.ticket_id}…"
        if self.state == self.State.FAILED:
            if self.note_id:  # the note is there; a later step failed, and the message says which
                return f"Ticket #{self.ticket_id} is not done: {self.error_message}"
            return f"Posting to ticket #{self.ticket_id} failed: {self.error_message}"
        if self.is_local:
            how = "Resolved" if self.kind == DraftKind.RESOLUTION_NOTE else "Escalated"
            return f"{how} locally: no ticket is linked, so nothing was posted. The text is kept with the session."
        posted = f"Posted the {what} to ticket #{self.ticket_id}."
        if self.status_verified:
            return f"{posted} Status verified: the ticket now shows “{self.verified_status_name}”."
        return f"{posted} {self.status_transition_skipped_reason}"

    @property
    def needs_retry(self) -> bool:
        """Failed after its note reached the ticket: only a retry may finish it (a new post would repeat the note)."""
        return self.state == self.State.FAILED and self.note_id is not None

    @property
    def may_retry(self) -> bool:
        stale = self.state in self.ACTIVE_STATES and self.updated_at < timezone.now() - self.STALE_AFTER
        return self.state == self.State.FAILED or stale


class DraftEdit(models.Model):
    """The engineer's edited text of a draft, saved as they type, so it survives a reload and a failed
    post. One per session and kind; dropped when the session closes."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="draft_edits")
    kind = models.CharField(max_length=32, choices=DraftKind.choices)
    markdown = models.TextField()
    based_on_state_version = models.PositiveIntegerField(help_text="The session state of the draft it edits.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["session", "kind"], name="one_draft_edit_per_session_kind")]

    def __str__(self):
        return f"Edited {self.get_kind_display().lower()} for {self.session}"
