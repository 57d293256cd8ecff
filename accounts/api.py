from django.urls import reverse
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import AuditEvent, Membership
from accounts.permissions import IsAccountAdmin
from accounts.selectors import (
    account_for,
    audit_events,
    is_account_admin,
    member_mfa_enabled,
    member_of,
    members_of,
)
from flowpilot.errors import NotFound
from flowpilot.serializers import StrictBooleanField, StrictCharField, StrictInputMixin, StrictIntegerField

MAX_STATUS_ID = services.MAX_STATUS_ID


def status_id_field(help_text: str) -> StrictIntegerField:
    return StrictIntegerField(
        min_value=1, max_value=MAX_STATUS_ID, allow_null=True, required=False, help_text=help_text
    )


class AccountSettingsSerializer(StrictInputMixin, serializers.Serializer):
    """The target statuses, whichever PSA the account uses; the `cw_` names are aliases of the same settings."""

    resolved_status_id = status_id_field("The PSA status a ticket moves to when resolved; null unsets it.")
    escalated_status_id = status_id_field("The PSA status a ticket moves to when escalated; null unsets it.")
    cw_resolved_status_id = status_id_field("Alias of resolved_status_id.")
    cw_escalated_status_id = status_id_field("Alias of escalated_status_id.")
    mfa_required = StrictBooleanField(
        required=False,
        help_text="Every member signs in with a second factor (TOTP); enforced at each member's next sign-in.",
    )


class AccountSettingsView(APIView):
    """The account's target statuses (admins only), under either name. `null` unsets a status id."""

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
            account=account_for(request.user), changes=serializer.validated_data, actor=request.user
        )
        return Response(AccountSettingsSerializer(account_settings).data)


# The account's people (admins only). A member is named by their user id.


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    role = serializers.ChoiceField(choices=Membership.Role.choices, read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)
    mfa_enabled = serializers.SerializerMethodField()
    last_login = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)

    def get_mfa_enabled(self, membership) -> bool:
        return member_mfa_enabled(membership)


class MemberCreateSerializer(StrictInputMixin, serializers.Serializer):
    username = StrictCharField(max_length=services.USERNAME_MAX)
    email = StrictCharField(max_length=254, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    password = StrictCharField(
        max_length=128,
        required=False,
        trim_whitespace=False,
        write_only=True,
        help_text="Leave out to get a single-use invite link (`invite_url`, shown once) the member sets it with.",
    )


class MemberAddedSerializer(MemberSerializer):
    invite_url = serializers.CharField(
        required=False, help_text="Only when no password was given: the invite link, shown this once."
    )


class MemberUpdateSerializer(StrictInputMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)
    is_active = StrictBooleanField(required=False, help_text="false deactivates: their sign-ins end at once.")


def member_added_json(request, added: services.MemberAdded) -> dict:
    body = dict(MemberSerializer(added.membership).data)
    if added.invite_token:
        body["invite_url"] = request.build_absolute_uri(reverse("invite-accept", args=[added.invite_token]))
    return body


class MemberListCreate(generics.ListAPIView):
    """The account's people; POST adds one, with a password or an invite link."""

    permission_classes = [IsAccountAdmin]
    serializer_class = MemberSerializer

    def get_queryset(self):
        return members_of(account_for(self.request.user))

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberAddedSerializer})
    @sensitive_variables("serializer")  # its repr carries the password
    def post(self, request):
        serializer = MemberCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = services.member_add(account=account_for(request.user), actor=request.user, **serializer.validated_data)
        return Response(member_added_json(request, added), status=status.HTTP_201_CREATED)


class MemberDetail(APIView):
    """Change a member's role, deactivate or reactivate them. 409 `last_admin` keeps an active admin."""

    def member(self, member_id) -> Membership:
        """The member in the caller's account (another account's are 404), once the caller is known to be an
        admin of it (an engineer of the same account gets 403)."""
        membership = member_of(account_for(self.request.user), member_id)
        if membership is None:
            raise NotFound("No such member in your account.", code="not_found")
        if not is_account_admin(self.request.user):
            raise PermissionDenied(IsAccountAdmin.message)
        return membership

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer)
    def patch(self, request, member_id):
        membership = self.member(member_id)
        serializer = MemberUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_update(membership=membership, actor=request.user, **serializer.validated_data)
        return Response(MemberSerializer(membership).data)


# The audit trail (admins only)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username", help_text="The username of who did it; empty: the system.")

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor", "action", "target", "details"]


class AuditEventList(generics.ListAPIView):
    """Who changed what and when, newest first: the PSA connection, settings, members, templates, posts."""

    permission_classes = [IsAccountAdmin]
    serializer_class = AuditEventSerializer

    def get_queryset(self):
        return audit_events(account_for(self.request.user))
