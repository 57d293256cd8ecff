"""Drafts (one row per generation, with its cost) and the engineer's edit of a draft."""

from django.conf import settings
from django.db import models

from drafting.kinds import DraftKind
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
    output_tokens = models.PositiveIntegerField(default=0, help_text="Everything generated, thinking included.")
    thinking_tokens = models.PositiveIntegerField(default=0, help_text="Of the output tokens, those spent thinking.")
    cache_creation_input_tokens = models.PositiveIntegerField(default=0)
    cache_read_input_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "handoff_draft"  # its table since it lived in the handoff app
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["session", "kind", "-state_version"], name="handoff_dra_session_e9fbe0_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.state_version} ({self.drafted_by})"


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
        db_table = "handoff_draftedit"  # its table since it lived in the handoff app
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["session", "kind"], name="one_draft_edit_per_session_kind")]

    def __str__(self):
        return f"Edited {self.get_kind_display().lower()} for {self.session}"
