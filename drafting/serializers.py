"""API shapes of previews."""

from rest_framework import serializers

from flowpilot.serializers import StrictBooleanField, StrictInputMixin


class PreviewRequestSerializer(StrictInputMixin, serializers.Serializer):
    force = StrictBooleanField(required=False, default=False, help_text="Draft again even if a draft is cached.")


class PreviewSerializer(serializers.Serializer):
    markdown = serializers.CharField()
    html = serializers.CharField(help_text="The markdown rendered and sanitised.")
    ticket_text = serializers.CharField(
        allow_null=True, help_text="The note exactly as it will land on the ticket; null when it resolves locally."
    )
    ticket_text_format = serializers.CharField(allow_null=True, help_text='"plain text" on ConnectWise.')
    target_ticket_ref = serializers.CharField(allow_null=True, help_text='"#48213", or null: resolves locally.')
    state_version = serializers.IntegerField(help_text="The session state the draft was made from.")
    current_state_version = serializers.IntegerField()
    stale = serializers.BooleanField(help_text="The session changed since this draft was made.")
    from_cache = serializers.BooleanField()
    drafted_by = serializers.CharField(help_text='The model id, or "offline".')
    offline_reason = serializers.CharField(allow_blank=True)
    generated_at = serializers.DateTimeField()


class PendingSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='Always "pending": ask again in a moment.')


def preview_data(preview, session) -> dict:
    draft = preview.draft
    return {
        "markdown": draft["markdown"],
        "html": draft["html"],
        "ticket_text": draft.get("ticket_text"),  # drafts cached before it was kept have none
        "ticket_text_format": draft.get("ticket_text_format"),
        "target_ticket_ref": session.ticket_ref or None,
        "state_version": draft["state_version"],
        "current_state_version": session.state_version,
        "stale": draft["state_version"] != session.state_version,
        "from_cache": preview.from_cache,
        "drafted_by": draft["drafted_by"],
        "offline_reason": draft["offline_reason"],
        "generated_at": draft["generated_at"],
    }
