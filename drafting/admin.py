"""Drafts in Django admin: a read-only record of every generation and its cost, scoped to the admin's account."""

from django.contrib import admin

from accounts.admin import ReadOnlyAuditAdmin
from drafting.models import Draft


@admin.register(Draft)
class DraftAdmin(ReadOnlyAuditAdmin):
    account_path = "session__account"
    list_display = ["session", "kind", "state_version", "drafted_by", "model_calls", "input_tokens", "output_tokens",
                    "thinking_tokens", "cache_read_input_tokens", "latency_ms", "created_at"]  # fmt: skip
    list_filter = ["kind", "drafted_by"]
    list_select_related = ["session"]
