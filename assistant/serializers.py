from rest_framework import serializers

from assistant.models import Message, Proposal


class ProposalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Proposal
        fields = ["id", "kind", "payload", "state", "decided_by", "decided_at", "result_type", "result_id"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    proposals = ProposalSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id", "role", "text", "state", "error", "error_code", "model", "usage", "proposals", "created_by",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class MessageSendSerializer(serializers.Serializer):
    text = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text="At most FLOWPILOT_ASSISTANT_MAX_MESSAGE_CHARS characters (20,000 by default).",
    )


class MessageSentSerializer(serializers.Serializer):
    message = MessageSerializer()
    reply = MessageSerializer()


class ProposalAcceptSerializer(serializers.Serializer):
    payload = serializers.DictField(required=False, help_text="The proposal's fields as the engineer edited them.")


class ProposalResultSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    parameters = serializers.DictField(required=False)


class ProposalDecidedSerializer(serializers.Serializer):
    proposal = ProposalSerializer()
    result = ProposalResultSerializer(allow_null=True)


class PromoteSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False, allow_blank=True, help_text="At most 2,000 characters.")


class PromotedSerializer(serializers.Serializer):
    text = serializers.CharField()
