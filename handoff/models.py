"""Handoffs: one per Confirm & post, with every step's result (the audit trail)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from drafting.kinds import DraftKind
from drafting.models import Draft
from psa.providers.base import StatusVerificationFailed
from psa.writeback import TicketClosed
from sessions.models import Session


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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="handoffs")
    kind = models.CharField(max_length=32, choices=DraftKind.choices)
    markdown = models.TextField(help_text="The text the engineer confirmed (Markdown).")
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
    note_text = models.TextField(blank=True, default="", help_text="The note exactly as it landed on the ticket.")
    target_status_id = models.PositiveIntegerField(null=True, blank=True)
    verified_status_id = models.PositiveIntegerField(null=True, blank=True)
    verified_status_name = models.CharField(max_length=200, blank=True, default="")
    status_verified = models.BooleanField(null=True, blank=True)
    status_transition_skipped_reason = models.CharField(max_length=300, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="No attempt starts before this: a PSA's Retry-After, or a lost answer's wait."
    )
    confirm_closed_ticket = models.BooleanField(
        default=False, help_text="The engineer confirmed posting to a ticket the PSA shows closed."
    )

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
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def is_failed(self) -> bool:
        return self.state == self.State.FAILED

    @property
    def status_unverified(self) -> bool:
        """The note is on the ticket but the PSA kept the old status."""
        return self.is_failed and self.error_code == StatusVerificationFailed.code

    @property
    def ticket_was_closed(self) -> bool:
        """Nothing was posted: the ticket looked done (closed in the PSA, or resolved by FlowPilot from another
        session), and only a confirmed retry writes to it."""
        return self.is_failed and self.error_code == TicketClosed.code

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def summary(self) -> str:
        """The result in plain words, as the engineer's toast says it."""
        rules = DraftKind(self.kind).rules
        what = rules.note_label
        if self.state in self.ACTIVE_STATES:
            return f"Posting the {what} to ticket #{self.ticket_id}…"
        if self.state == self.State.FAILED:
            if self.ticket_was_closed:
                return self.error_message
            if self.note_id:  # the note is there; a later step failed, and the message says which
                return f"Ticket #{self.ticket_id} is not done: {self.error_message}"
            return f"Posting to ticket #{self.ticket_id} failed: {self.error_message}"
        if self.is_local:
            return (
                f"{rules.verb_done} locally: no ticket is linked, so nothing was posted. "
                "The text is kept with the session."
            )
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
