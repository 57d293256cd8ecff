"""REST paths of the account."""

from django.urls import path

from accounts.api import AccountSettingsView, AuditEventList, MemberDetail, MemberListCreate
from accounts.auth_api import TokenListView, TokenView

urlpatterns = [
    # Signing in: JSON only, like the rest of the API (accounts.auth_api).
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("account/settings/", AccountSettingsView.as_view(), name="api-account-settings"),
    path("account/members/", MemberListCreate.as_view(), name="api-members"),
    path("account/members/<int:member_id>/", MemberDetail.as_view(), name="api-member"),
    path("account/audit/", AuditEventList.as_view(), name="api-audit"),
]
