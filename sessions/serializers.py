"""API shapes of the session domain. Input limits live here; rules live in `sessions.services`."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowpilot.serializers import StrictCharField, StrictInputMixin, StrictIntegerField
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix

MAX_TICKET_ID = 2**31 - 1


def text_field(max_length: int, **kwargs) -> StrictCharField:
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("required", False)
    return StrictCharField(max_length=max_length, **kwargs)


class IntakeContentSerializer(StrictInputMixin, serializers.Serializer):
    text = text_field(20_000, default="")


class SessionSerializer(StrictInputMixin, serializers.ModelSerializer):
    title = text_field(200, allow_blank=False, required=True)
    problem_summary = text_field(5_000)
    problem_domain = text_field(64)
    intake_content = IntakeContentSerializer(required=False)
    psa_ticket_id = StrictIntegerField(min_value=1, max_value=MAX_TICKET_ID, allow_null=True, required=False)
    closed_as = serializers.ChoiceField(
        choices=Session.ClosedAs.choices, allow_blank=True, read_only=True, help_text='"" while the session is open.'
    )
    fact_count = serializers.IntegerField(read_only=True, default=0)  # a session just created has none

    class Meta:
        model = Session
        fields = [
            "id",
            "title",
            "problem_summary",
            "problem_domain",
            "intake_content",
            "psa_ticket_id",
            "status",
            "closed_as",
            "state_version",
            "created_at",
            "fact_count",
        ]
        read_only_fields = ["id", "status", "state_version", "created_at"]

    def service_kwargs(self) -> dict:
        """The validated input as keyword arguments of session_create / session_update."""
        data = dict(self.validated_data)
        if "intake_content" in data:
            data["intake_text"] = data.pop("intake_content").get("text", "")
        return data


class FactSerializer(StrictInputMixin, serializers.ModelSerializer):
    text = text_field(2_000, allow_blank=False, required=True)
    source_summary = text_field(500)

    class Meta:
        model = Fact
        fields = ["id", "text", "source_type", "source_summary", "created_at"]
        read_only_fields = ["id", "created_at"]


class DiagnosticCheckSerializer(StrictInputMixin, serializers.ModelSerializer):
    name = text_field(200, allow_blank=False, required=True)
    command = text_field(5_000)
    output_summary = text_field(5_000)

    class Meta:
        model = DiagnosticCheck
        fields = ["id", "name", "command", "result", "output_summary", "created_at"]
        read_only_fields = ["id", "created_at"]


class SuggestedFixSerializer(StrictInputMixin, serializers.ModelSerializer):
    title = text_field(200, allow_blank=False, required=True)
    description = text_field(5_000)
    confidence_pct = StrictIntegerField(min_value=0, max_value=100)

    class Meta:
        model = SuggestedFix
        fields = [
            "id",
            "title",
            "description",
            "confidence_pct",
            "outcome",
            "outcome_notes",
            "superseded_at",
            "created_at",
        ]
        read_only_fields = ["id", "outcome", "outcome_notes", "superseded_at", "created_at"]


class FixOutcomeSerializer(StrictInputMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=SuggestedFix.Outcome.choices)
    outcome_notes = text_field(2_000, default="")


class ScriptGenerationSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ScriptGeneration
        fields = ["id", "template", "template_name", "language", "parameters_used", "redacted_script", "created_at"]
        read_only_fields = fields


class SessionDetailSerializer(SessionSerializer):
    facts = FactSerializer(many=True, read_only=True, source="live_facts")
    diagnostic_checks = DiagnosticCheckSerializer(many=True, read_only=True, source="live_checks")
    active_fix = serializers.SerializerMethodField()
    script_generations = ScriptGenerationSerializer(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = [f for f in SessionSerializer.Meta.fields if f != "fact_count"] + [
            "facts",
            "diagnostic_checks",
            "active_fix",
            "script_generations",
        ]

    @extend_schema_field(SuggestedFixSerializer(allow_null=True))
    def get_active_fix(self, session):
        fixes = session.active_fixes
        return SuggestedFixSerializer(fixes[0]).data if fixes else None


class SessionUpdateSerializer(SessionDetailSerializer):
    """What PATCH answers: the session, and what the engineer should know about the change."""

    warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="E.g. a linked ticket the PSA could not confirm."
    )

    class Meta(SessionDetailSerializer.Meta):
        fields = [*SessionDetailSerializer.Meta.fields, "warnings"]


class ScriptGenerationRequestSerializer(StrictInputMixin, serializers.Serializer):
    template = serializers.SlugField(max_length=100)
    parameters = serializers.DictField(child=serializers.JSONField(), default=dict)


class ScriptGenerationResultSerializer(serializers.Serializer):
    script = serializers.CharField(help_text="The rendered script with real values. Shown once; never stored.")
    generation = ScriptGenerationSerializer()


class ScriptTemplateSerializer(StrictInputMixin, serializers.ModelSerializer):
    name = text_field(200, allow_blank=False, required=True)
    slug = serializers.SlugField(max_length=100)
    description = text_field(5_000)
    body = text_field(50_000, allow_blank=False, required=True, trim_whitespace=False)
    parameters_schema = serializers.JSONField(
        required=False,
        help_text=(
            '{"parameters": [{"key", "label", "field_type": "text" | "password" | "number" | "select", "required", '
            '"options" (select), "pattern" (a regular expression the whole value must match; text and password), '
            '"pattern_message" (what it expects: "a UNC path like \\\\server\\share"), "placeholder" (not on a '
            'select), "default" (used when a generation omits the value; not on a password)}]}'
        ),
    )

    class Meta:
        model = ScriptTemplate
        fields = ["name", "slug", "language", "description", "body", "parameters_schema"]
