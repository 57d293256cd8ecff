"""API shapes of drafting and handoffs."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowpilot.serializers import StrictBooleanField, StrictCharField, StrictInputMixin


class PreviewRequestSerializer(StrictInputMixin, serializers.Serializer):
    force = StrictBooleanField(required=False, default=False, help_text="Draft again even if a draft is cached.")


class PreviewSerializer(serializers.Serializer):
    markdown = serializers.CharField()
    html = serializers.CharField(help_text="The markdown rendered and sanitised.")
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
        "target_ticket_ref": session.ticket_ref or None,
        "state_version": draft["state_version"],
        "current_state_version": session.state_version,
        "stale": draft["state_version"] != session.state_version,
        "from_cache": preview.from_cache,
        "drafted_by": draft["drafted_by"],
        "offline_reason": draft["offline_reason"],
        "generated_at": draft["generated_at"],
    }


class HandoffPostSerializer(StrictInputMixin, serializers.Serializer):
    # Empty and oversize text are refused by the service, with the reason in words.
    markdown = StrictCharField(allow_blank=True, help_text="The text to post, as the engineer confirmed it.")


class HandoffStatusSerializer(serializers.Serializer):
    target_id = serializers.IntegerField(source="target_status_id", allow_null=True)
    id = serializers.IntegerField(source="verified_status_id", allow_null=True)
    name = serializers.CharField(source="verified_status_name", allow_blank=True)
    verified = serializers.BooleanField(source="status_verified", allow_null=True)


class HandoffPsaSerializer(serializers.Serializer):
    provider = serializers.CharField(allow_blank=True)
    ticket_id = serializers.IntegerField(allow_null=True)
    note_id = serializers.IntegerField(allow_null=True)
    note_kind = serializers.CharField(allow_blank=True)
    status = HandoffStatusSerializer(source="*")
    status_transition_skipped_reason = serializers.CharField(allow_blank=True)


class HandoffErrorSerializer(serializers.Serializer):
    code = serializers.CharField(source="error_code")
    message = serializers.CharField(source="error_message")


class HandoffSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    session = serializers.UUIDField(source="session_id")
    kind = serializers.CharField()
    state = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True)
    markdown = serializers.CharField()
    psa = HandoffPsaSerializer(source="*")
    error = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(HandoffErrorSerializer(allow_null=True))
    def get_error(self, handoff) -> dict | None:
        return HandoffErrorSerializer(handoff).data if handoff.error_code else None
