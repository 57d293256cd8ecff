"""Drafts and handoffs in Django admin: read-only audit trails, scoped to the admin's account."""

from django.contrib import admin

from accounts.admin import AccountScopedAdmin
from handoff.models import Draft, Handoff


class ReadOnlyAuditAdmin(AccountScopedAdmin):
    account_path = "session__account"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Draft)
class DraftAdmin(ReadOnlyAuditAdmin):
    list_display = ["session", "kind", "state_version", "drafted_by", "model_calls", "input_tokens",
                    "output_tokens", "cache_read_input_tokens", "latency_ms", "created_at"]  # fmt: skip
    list_filter = ["kind", "drafted_by"]
    list_select_related = ["session"]


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAuditAdmin):
    list_display = ["session", "kind", "state", "outcome", "ticket_id", "note_id", "verified_status_name",
                    "error_code", "attempts", "created_by", "created_at"]  # fmt: skip
    list_filter = ["state", "kind", "outcome", "error_code"]
    list_select_related = ["session", "created_by"]
