"""The assistant in Django admin: transcripts read-only, and usage per session and per account (tokens and
the share read from the prompt cache), all scoped to the admin's account."""

from django.contrib import admin
from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from accounts.admin import ReadOnlyAuditAdmin, ReadOnlyInline
from assistant.models import AssistantUsage, Message, Proposal, cache_read_share

TOKEN_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")


def _token_sums(prefix: str = "") -> dict:
    return {key: Coalesce(Sum(Cast(KeyTextTransform(key, f"{prefix}usage"), IntegerField())), 0) for key in TOKEN_KEYS}


def cache_share(read: int, written: int, uncached: int) -> str:
    return f"{cache_read_share(read, written, uncached):.0%}" if read + written + uncached else "—"


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ["kind", "payload", "state", "decided_by", "decided_at", "result_type", "result_id"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAuditAdmin):
    account_path = "session__account"
    list_display = ["session", "seq", "role", "state", "model", "tokens", "cache_read", "created_at"]
    list_filter = ["role", "state", "model"]
    list_select_related = ["session"]
    search_fields = ["text"]
    fields = ["session", "seq", "role", "state", "text", "error", "model", "usage", "attempts", "created_by",
              "created_at"]  # fmt: skip
    readonly_fields = fields
    inlines = [ProposalInline]

    @admin.display(description="prompt + output tokens")
    def tokens(self, message: Message) -> int:
        return sum(int(message.usage.get(key) or 0) for key in TOKEN_KEYS)

    @admin.display(description="read from cache")
    def cache_read(self, message: Message) -> str:
        usage = message.usage
        return cache_share(
            int(usage.get("cache_read_input_tokens") or 0),
            int(usage.get("cache_creation_input_tokens") or 0),
            int(usage.get("input_tokens") or 0),
        )


@admin.register(AssistantUsage)
class AssistantUsageAdmin(ReadOnlyAuditAdmin):
    list_display = ["title", "replies", "prompt_tokens", "output_tokens", "cache_read", "updated_at"]
    ordering = ["-updated_at"]
    change_list_template = "admin/assistant_usage_change_list.html"

    def get_queryset(self, request):
        replies = Q(messages__role=Message.Role.ASSISTANT)
        return (
            super()
            .get_queryset(request)
            .annotate(reply_count=Count("messages", filter=replies), **_token_sums("messages__"))
        )

    def changelist_view(self, request, extra_context=None):
        """The account's totals above the list of its sessions."""
        totals = self._account_messages(request).aggregate(**_token_sums())
        extra_context = {
            **(extra_context or {}),
            "totals": totals,
            "total_cache_read": cache_share(
                totals["cache_read_input_tokens"], totals["cache_creation_input_tokens"], totals["input_tokens"]
            ),
        }
        return super().changelist_view(request, extra_context)

    def _account_messages(self, request):
        sessions = super().get_queryset(request)
        return Message.objects.filter(session__in=sessions, role=Message.Role.ASSISTANT)

    @admin.display(description="replies", ordering="reply_count")
    def replies(self, session) -> int:
        return session.reply_count

    @admin.display(description="prompt tokens")
    def prompt_tokens(self, session) -> int:
        return session.input_tokens + session.cache_creation_input_tokens + session.cache_read_input_tokens

    @admin.display(description="output tokens")
    def output_tokens(self, session) -> int:
        return session.output_tokens

    @admin.display(description="read from cache")
    def cache_read(self, session) -> str:
        return cache_share(session.cache_read_input_tokens, session.cache_creation_input_tokens, session.input_tokens)
