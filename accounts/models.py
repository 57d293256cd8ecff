"""Tenants: an account (an MSP), the membership that ties each user to one account, and its settings."""

from django.conf import settings
from django.db import models


class Account(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ENGINEER = "engineer", "Engineer"
        ADMIN = "admin", "Admin"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ENGINEER)

    class Meta:
        ordering = ["account", "user__username"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.account})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class AccountSettings(models.Model):
    """Per-account preferences: the ConnectWise target status ids and, optionally, the model per action."""

    STATUS_KEYS = ("cw_resolved_status_id", "cw_escalated_status_id")
    # Drafting action → preferences key of the ConnectWise status its post moves the ticket to.
    TARGET_STATUS_KEYS = {"resolution_note": "cw_resolved_status_id", "escalation_package": "cw_escalated_status_id"}
    # Drafting action → preferences key of the model an admin chose for it (unset: the deployment default).
    MODEL_KEYS = {"resolution_note": "resolution_note_model", "escalation_package": "escalation_package_model"}

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="settings")
    preferences = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account settings"
        verbose_name_plural = "account settings"

    def __str__(self):
        return f"Settings of {self.account}"

    @property
    def cw_resolved_status_id(self) -> int | None:
        return self.preferences.get("cw_resolved_status_id")

    @property
    def cw_escalated_status_id(self) -> int | None:
        return self.preferences.get("cw_escalated_status_id")

    def target_status_for(self, action: str) -> int | None:
        return self.preferences.get(self.TARGET_STATUS_KEYS[action])

    def model_for(self, action: str) -> str:
        return self.preferences.get(self.MODEL_KEYS[action], "")
