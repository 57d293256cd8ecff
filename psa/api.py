"""The account's PSA connection over REST (admins only). The private key is write-only."""

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAccountAdmin
from accounts.selectors import account_for
from flowpilot.errors import NotFound
from flowpilot.schema import error_response
from flowpilot.serializers import StrictBooleanField, StrictCharField, StrictInputMixin, StrictIntegerField
from psa import services
from psa.models import DEFAULT_CODEBASE, PsaConnection


class PsaConnectionSerializer(StrictInputMixin, serializers.Serializer):
    provider = serializers.ChoiceField(choices=PsaConnection.Provider.choices, default="connectwise")
    site_url = StrictCharField(max_length=255)
    company_id = StrictCharField(max_length=100)
    public_key = StrictCharField(max_length=200)
    private_key = StrictCharField(
        max_length=500, write_only=True, required=False, help_text="Write-only. Leave out to keep the stored key."
    )
    has_private_key = serializers.BooleanField(read_only=True)
    client_id = StrictCharField(max_length=100)
    codebase = StrictCharField(max_length=100, required=False, default=DEFAULT_CODEBASE)
    board_id = StrictIntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None)
    notify_customer = StrictBooleanField(required=False, default=False)
    updated_at = serializers.DateTimeField(read_only=True)


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
        return Response(PsaConnectionSerializer(self.connection()).data)

    @extend_schema(request=PsaConnectionSerializer, responses=PsaConnectionSerializer)
    @sensitive_variables("serializer")  # its repr carries the submitted private key
    def put(self, request):
        serializer = PsaConnectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        connection = services.psa_connection_save(account=account_for(request.user), **serializer.validated_data)
        return Response(PsaConnectionSerializer(connection).data)


class PsaConnectionTestView(PsaConnectionView):
    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={200: ConnectionCheckSerializer, 404: NOT_CONFIGURED})
    def post(self, request):
        check = services.psa_connection_test(connection=self.connection())
        return Response(ConnectionCheckSerializer(check).data)
