"""Model calls in Django admin: a read-only usage trail, scoped to the admin's account."""

from django.contrib import admin

from accounts.admin import ReadOnlyAuditAdmin
from llm.models import ModelCall


@admin.register(ModelCall)
class ModelCallAdmin(ReadOnlyAuditAdmin):
    list_display = ["created_at", "action", "model", "ok", "stop_reason", "input_tokens", "output_tokens",
                    "thinking_tokens", "cache_read_input_tokens", "latency_ms"]  # fmt: skip
    list_filter = ["action", "model", "ok"]
