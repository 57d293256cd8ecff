"""API shapes of handoffs."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowpilot.serializers import StrictBooleanField, StrictCharField, StrictInputMixin

CONFIRM_CLOSED_HELP = (
    "Post even if the PSA shows the ticket closed; without it a closed ticket fails with ticket_closed."
)


class HandoffRetrySerializer(StrictInputMixin, serializers.Serializer):
    confirm_closed_ticket = StrictBooleanField(required=False, default=False, help_text=CONFIRM_CLOSED_HELP)


class HandoffPostSerializer(HandoffRetrySerializer):
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
    note_text = serializers.CharField(allow_blank=True, help_text="The note exactly as it landed on the ticket.")
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


class HandoffPostedSerializer(HandoffSerializer):
    """A new post's answer: the handoff and what the engineer should know (e.g. no fix marked as worked)."""

    warnings = serializers.ListField(child=serializers.CharField())
