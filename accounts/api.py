from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.permissions import IsAccountAdmin
from accounts.selectors import account_for
from flowpilot.serializers import StrictInputMixin, StrictIntegerField

MAX_STATUS_ID = services.MAX_STATUS_ID


class AccountSettingsSerializer(StrictInputMixin, serializers.Serializer):
    cw_resolved_status_id = StrictIntegerField(min_value=1, max_value=MAX_STATUS_ID, allow_null=True, required=False)
    cw_escalated_status_id = StrictIntegerField(min_value=1, max_value=MAX_STATUS_ID, allow_null=True, required=False)


class AccountSettingsView(APIView):
    """The account's ConnectWise target statuses (admins only). `null` unsets a status id."""

    permission_classes = [IsAccountAdmin]

    @extend_schema(responses=AccountSettingsSerializer)
    def get(self, request):
        account_settings = services.account_settings_for(account_for(request.user))
        return Response(AccountSettingsSerializer(account_settings).data)

    @extend_schema(request=AccountSettingsSerializer, responses=AccountSettingsSerializer)
    def patch(self, request):
        serializer = AccountSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        account_settings = services.account_settings_update(
            account=account_for(request.user), changes=serializer.validated_data
        )
        return Response(AccountSettingsSerializer(account_settings).data)
