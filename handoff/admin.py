"""Handoffs in Django admin: a read-only audit trail, scoped to the admin's account."""

from django.contrib import admin

from accounts.admin import ReadOnlyAuditAdmin
from handoff.models import Handoff


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAuditAdmin):
    account_path = "session__account"
    list_display = ["session", "kind", "state", "outcome", "ticket_id", "note_id", "verified_status_name",
                    "error_code", "attempts", "created_by", "created_at"]  # fmt: skip
    list_filter = ["state", "kind", "outcome", "error_code"]
    list_select_related = ["session", "created_by"]
