"""Tenants: an account (an MSP), the membership that ties each user to one account, its settings, the invites
that let a new member set a password, and the account's audit trail."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    """Per-account preferences. This app knows the target statuses a post moves a ticket to (`STATUS_KEYS`);
    other apps keep their own keys here too (the model per action: `llm.actions`)."""

    STATUS_KEYS = ("cw_resolved_status_id", "cw_escalated_status_id")
    # The names the API answers (DESIGN §11): one target status per outcome, whichever PSA the account uses.
    # They are stored under the older `cw_` keys, which stay accepted as aliases, so nothing migrates.
    STATUS_NAMES = {"resolved_status_id": "cw_resolved_status_id", "escalated_status_id": "cw_escalated_status_id"}
    # Every member signs in with a second factor (accounts.auth_mfa), enforced at their next sign-in.
    MFA_REQUIRED_KEY = "mfa_required"

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="settings")
    preferences = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account settings"
        verbose_name_plural = "account settings"

    def __str__(self):
        return f"Settings of {self.account}"

    @property
    def resolved_status_id(self) -> int | None:
        return self.preferences.get("cw_resolved_status_id")

    @property
    def escalated_status_id(self) -> int | None:
        return self.preferences.get("cw_escalated_status_id")

    @property
    def cw_resolved_status_id(self) -> int | None:
        return self.preferences.get("cw_resolved_status_id")

    @property
    def cw_escalated_status_id(self) -> int | None:
        return self.preferences.get("cw_escalated_status_id")

    @property
    def mfa_required(self) -> bool:
        return bool(self.preferences.get(self.MFA_REQUIRED_KEY))

    def status_id(self, key: str) -> int | None:
        """The target status id under one of `STATUS_KEYS`, or None when unset."""
        if key not in self.STATUS_KEYS:
            raise KeyError(key)
        return self.preferences.get(key)


class Invite(models.Model):
    """A single-use link that lets an invited member set their password. Only the token's SHA-256 is stored:
    the link is shown once, to the admin who made it."""

    VALID_FOR = timedelta(hours=72)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invite for {self.user}"

    @staticmethod
    def hash_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now() and self.user.is_active


class AuditEventQuerySet(models.QuerySet):
    """Rows are only ever added: a bulk update or delete is refused like an instance's save or delete."""

    def for_account(self, account: Account) -> "AuditEventQuerySet":
        return self.filter(account=account).select_related("actor")

    def update(self, **kwargs):
        raise AuditTrailImmutable("Audit events are never changed once written.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditTrailImmutable("Audit events are never changed once written.")

    def delete(self):
        raise AuditTrailImmutable("Audit events are never deleted.")


class AuditEvent(models.Model):
    """One change in an account, written in the same transaction as the change (`accounts.services.audit_record`)
    and never changed after: who, what (`action`, e.g. "member.role_changed"), to what (`target`), and the
    details a reviewer needs. Details name what changed, never a secret's value."""

    # An account with a trail cannot be deleted (its trail would go with it); a deleted user leaves the rows,
    # named by `actor_username`. Deleting a user clears `actor` through the base manager, which stays plain.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)  # who, even once the user is deleted
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # What each action is called on the Audit page.
    ACTIONS = {
        "psa_connection.saved": "PSA connection saved",
        "settings.changed": "Settings changed",
        "member.added": "Member added",
        "member.invited": "New invite link",
        "member.joined": "Invite accepted",
        "member.role_changed": "Role changed",
        "member.deactivated": "Member deactivated",
        "member.reactivated": "Member reactivated",
        "member.mfa_enabled": "Two-factor sign-in turned on",
        "member.mfa_disabled": "Two-factor sign-in turned off",
        "member.api_token_revoked": "API token revoked",
        "template.created": "Script template created",
        "template.changed": "Script template changed",
        "template.deleted": "Script template deleted",
        "handoff.posted": "Post requested",
        "handoff.retried": "Post retried",
    }

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at", "-id"], name="audit_account_newest")]

    def __str__(self):
        return f"{self.action} {self.target}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailImmutable("An audit event is never changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable("An audit event is never deleted.")

    @property
    def action_label(self) -> str:
        return self.ACTIONS.get(self.action, self.action)

    @property
    def details_text(self) -> str:
        """The details in a line: "engineer → admin", "changed: site_url; secrets replaced: private_key"."""
        details = self.details or {}
        if {"from", "to"} <= set(details):
            return f"{details['from']} → {details['to']}"
        parts = []
        for key, value in details.items():
            if isinstance(value, dict) and {"from", "to"} <= set(value):
                parts.append(
                    f"{key}: {value['from'] if value['from'] is not None else 'unset'} → "
                    f"{value['to'] if value['to'] is not None else 'unset'}"
                )
            elif isinstance(value, list):
                if value:
                    parts.append(f"{key.replace('_', ' ')}: {', '.join(map(str, value))}")
            elif value not in (None, "", False):
                parts.append(f"{key.replace('_', ' ')}: {value}" if value is not True else key.replace("_", " "))
        return "; ".join(parts)


class AuditTrailImmutable(Exception):
    """Something tried to change or delete an audit event."""
