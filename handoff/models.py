"""Drafts (one row per generation, with its cost) and handoffs (one per Confirm & post)."""

from django.db import models

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

    @property
    def is_offline(self) -> bool:
        return self.drafted_by == OFFLINE
