"""The account's PSA connection over REST (admins only), its JSON by provider (`psa.specs`, DESIGN §11).
Secrets are write-only: each is answered as `has_<secret>`, never itself."""

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAccountAdmin
from accounts.selectors import account_for
from flowpilot.errors import NotFound
from flowpilot.schema import error_response
from flowpilot.serializers import StrictBooleanField, StrictCharField, StrictInputMixin, StrictIntegerField
from psa import services
from psa.models import PsaConnection
from psa.specs import CONNECTWISE, PROVIDERS, ProviderSpec


def connection_serializer(spec: ProviderSpec) -> type[serializers.Serializer]:
    """The JSON of a connection to `spec`'s PSA: its fields, `has_<secret>` for each secret, and the
    connection-wide `board_id` (a PSA with boards) and `notify_customer` (a PSA that e-mails on request)."""
    # A body without a provider is ConnectWise's, as before there were others.
    provider = {"default": CONNECTWISE} if spec.key == CONNECTWISE else {}
    fields: dict[str, serializers.Field] = {"provider": serializers.ChoiceField(choices=[spec.key], **provider)}
    for field in spec.fields:
        if field.secret:
            fields[field.name] = StrictCharField(
                max_length=field.max_length,
                write_only=True,
                required=False,
                trim_whitespace=False,
                help_text=f"Write-only. Leave out to keep the stored {field.label}.",
            )
            fields[f"has_{field.name}"] = serializers.BooleanField(read_only=True)
        elif field.required:
            fields[field.name] = StrictCharField(max_length=field.max_length, help_text=field.help_text)
        else:
            fields[field.name] = StrictCharField(
                max_length=field.max_length,
                required=False,
                allow_blank=True,
                default="",  # the service fills in the field's default
                help_text=field.help_text,
            )
    if spec.uses_board:
        fields["board_id"] = StrictIntegerField(
            min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None
        )
    if spec.notifies_customer:
        fields["notify_customer"] = StrictBooleanField(required=False, default=False)
    fields["updated_at"] = serializers.DateTimeField(read_only=True)
    name = "".join(part.capitalize() for part in spec.key.split("_")) + "ConnectionSerializer"
    return type(name, (StrictInputMixin, serializers.Serializer), fields)


SERIALIZERS = {key: connection_serializer(spec) for key, spec in PROVIDERS.items()}
PsaConnectionSerializer = PolymorphicProxySerializer(
    component_name="PsaConnection",
    serializers=SERIALIZERS,  # keyed by `provider`: the schema's discriminator mapping
    resource_type_field_name="provider",
)


def connection_json(connection: PsaConnection) -> dict:
    spec = connection.spec
    shown = {
        "provider": spec.key,
        **connection.field_values(),
        **{f"has_{field.name}": connection.has_secret(field.name) for field in spec.secret_fields},
        "board_id": connection.board_id,
        "notify_customer": connection.notify_customer,
        "updated_at": connection.updated_at,
    }
    return SERIALIZERS[spec.key](shown).data


def serializer_for_body(data) -> serializers.Serializer:
    """The serializer of the provider the body names (ConnectWise when it names none)."""
    provider = data.get("provider", CONNECTWISE) if isinstance(data, dict) else CONNECTWISE
    if not isinstance(provider, str) or provider not in SERIALIZERS:
        raise serializers.ValidationError(
            {"provider": [f"{provider!r} is not a PSA FlowPilot knows; one of {', '.join(SERIALIZERS)}."]}
        )
    return SERIALIZERS[provider](data=data)


class ConnectionCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    code = serializers.CharField(allow_blank=True)


NOT_CONFIGURED = error_response("This account has no PSA connection yet: PUT one.")


class PsaConnectionView(APIView):
    permission_classes = [IsAccountAdmin]

    def connection(self) -> PsaConnection:
        connection = services.connection_for(account_for(self.request.user))
        if connection is None:
            raise NotFound("This account has no PSA connection yet: PUT one.", code="psa_not_configured")
        return connection

    @extend_schema(responses={200: PsaConnectionSerializer, 404: NOT_CONFIGURED})
    def get(self, request):
        return Response(connection_json(self.connection()))

    @extend_schema(request=PsaConnectionSerializer, responses=PsaConnectionSerializer)
    @sensitive_variables("serializer")  # its repr carries the submitted secrets
    def put(self, request):
        serializer = serializer_for_body(request.data)
        serializer.is_valid(raise_exception=True)
        connection = services.psa_connection_save(
            account=account_for(request.user), actor=request.user, **serializer.validated_data
        )
        return Response(connection_json(connection))


class PsaConnectionTestView(PsaConnectionView):
    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={200: ConnectionCheckSerializer, 404: NOT_CONFIGURED})
    def post(self, request):
        check = services.psa_connection_test(connection=self.connection())
        return Response(ConnectionCheckSerializer(check).data)
