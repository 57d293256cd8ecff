"""The session domain: what an engineer learned while working a ticket.

Writes go through `sessions.services`, which bump `Session.state_version` whenever the write feeds a
draft; these models only hold the rules about one record.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from flowpilot.errors import DomainError
from sessions.scripts import validate_template

REDACTED = "[REDACTED]"


class Session(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        ESCALATED = "escalated", "Escalated"

    class ClosedAs(models.TextChoices):
        RESOLVED = "resolved", "Resolved (posted to the PSA)"
        RESOLVED_LOCAL = "resolved_local", "Resolved locally"
        ESCALATED = "escalated", "Escalated (posted to the PSA)"
        ESCALATED_LOCAL = "escalated_local", "Escalated locally"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="ai_sessions"
    )
    title = models.CharField(max_length=200)
    problem_summary = models.TextField(blank=True, default="")
    problem_domain = models.CharField(max_length=64, blank=True, default="")
    intake_content = models.JSONField(default=dict, blank=True)
    psa_ticket_id = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_as = models.CharField(max_length=16, choices=ClosedAs.choices, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    state_version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "status", "-created_at"])]
        constraints = [
            # DESIGN §4: two open sessions on one ticket end as two notes to the customer.
            models.UniqueConstraint(
                fields=["account", "psa_ticket_id"],
                condition=Q(status="open", psa_ticket_id__isnull=False),
                name="one_open_session_per_ticket",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def closed_reason(self) -> str:
        """Why nothing may change any more, in words; empty while the session is open."""
        if self.is_open:
            return ""
        how = self.get_closed_as_display() or self.get_status_display()
        return f"This session is closed: {how}. It can no longer change."

    def ensure_open(self) -> None:
        """Drafting, posting and every write need an open session."""
        if not self.is_open:
            raise DomainError(self.closed_reason, code="session_closed")

    CLOSED_STATUS = {
        ClosedAs.RESOLVED: Status.RESOLVED,
        ClosedAs.RESOLVED_LOCAL: Status.RESOLVED,
        ClosedAs.ESCALATED: Status.ESCALATED,
        ClosedAs.ESCALATED_LOCAL: Status.ESCALATED,
    }

    def close(self, outcome: "Session.ClosedAs") -> None:
        """The one way a session closes: its status follows from how it closed. The caller holds the row lock."""
        self.status = self.CLOSED_STATUS[outcome]
        self.closed_as = outcome
        self.closed_at = timezone.now()
        self.save(update_fields=["status", "closed_as", "closed_at", "updated_at"])

    @property
    def intake_text(self) -> str:
        return (self.intake_content or {}).get("text", "")

    @property
    def ticket_ref(self) -> str:
        return f"#{self.psa_ticket_id}" if self.psa_ticket_id else ""


class LiveQuerySet(models.QuerySet):
    """Rows of a model deleted softly (`deleted_at`): `live()` leaves the deleted ones out."""

    def live(self):
        return self.filter(deleted_at__isnull=True)


class Fact(models.Model):
    class SourceType(models.TextChoices):
        ENGINEER = "engineer", "Engineer"
        AI = "ai", "AI"
        DIAGNOSTIC_CHECK = "diagnostic_check", "Diagnostic check"
        PSA = "psa", "PSA"
        SCRIPT_OUTPUT = "script_output", "Script output"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="facts")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField()
    source_type = models.CharField(max_length=32, choices=SourceType.choices, default=SourceType.ENGINEER)
    source_summary = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(null=True, blank=True)  # when the engineer last changed what it says
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.text[:80]


class DiagnosticCheck(models.Model):
    """A check the engineer ran (ping, DNS lookup, event log query…) and what it showed."""

    class Result(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        INCONCLUSIVE = "inconclusive", "Inconclusive"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=200)
    command = models.TextField(blank=True, default="")
    result = models.CharField(max_length=16, choices=Result.choices)
    output_summary = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(null=True, blank=True)  # when the engineer last changed what it says
    deleted_at = models.DateTimeField(null=True, blank=True)  # soft delete, as for facts: never in a draft

    objects = LiveQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.name}: {self.get_result_display()}"


class SuggestedFix(models.Model):
    class Outcome(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPLIED_SUCCESS = "applied_success", "Applied — fixed it"
        APPLIED_FAILED = "applied_failed", "Applied — did not fix it"
        APPLIED_PARTIAL = "applied_partial", "Applied — partly fixed"
        APPLIED_PENDING = "applied_pending", "Applied — pending verification"
        DISMISSED = "dismissed", "Dismissed"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="fixes")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    confidence_pct = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=32, choices=Outcome.choices, default=Outcome.PROPOSED)
    outcome_notes = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    outcome_changed_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "suggested fixes"
        constraints = [
            models.UniqueConstraint(
                fields=["session"], condition=Q(superseded_at__isnull=True), name="one_active_fix_per_session"
            ),
            models.CheckConstraint(condition=Q(confidence_pct__lte=100), name="fix_confidence_at_most_100"),
            models.CheckConstraint(
                condition=~Q(outcome="applied_partial") | ~Q(outcome_notes=""), name="partial_fix_needs_notes"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.confidence_pct}%)"

    @property
    def is_active(self) -> bool:
        return self.superseded_at is None


class ScriptTemplate(models.Model):
    class Language(models.TextChoices):
        POWERSHELL = "powershell", "PowerShell"
        BASH = "bash", "Bash"
        PYTHON = "python", "Python"
        CMD = "cmd", "Windows batch"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="script_templates")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    language = models.CharField(max_length=16, choices=Language.choices, default=Language.POWERSHELL)
    description = models.TextField(blank=True, default="")
    body = models.TextField()
    parameters_schema = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "slug"], name="template_slug_unique_per_account")]

    def __str__(self):
        return self.name

    @property
    def parameters(self) -> list[dict]:
        return (self.parameters_schema or {}).get("parameters", [])

    @property
    def has_password_parameters(self) -> bool:
        return any(parameter.get("field_type") == "password" for parameter in self.parameters)

    def clean(self):
        validate_template(body=self.body, parameters_schema=self.parameters_schema)


class ScriptGeneration(models.Model):
    """A script rendered from a template. Password values are stored as "[REDACTED]", never in clear."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="script_generations")
    template = models.ForeignKey(ScriptTemplate, on_delete=models.SET_NULL, null=True, related_name="generations")
    template_name = models.CharField(max_length=200)
    language = models.CharField(max_length=16, choices=ScriptTemplate.Language.choices)
    parameters_used = models.JSONField(default=dict)
    redacted_script = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.template_name} for {self.session}"
