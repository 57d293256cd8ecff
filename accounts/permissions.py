from rest_framework.permissions import BasePermission

from accounts.selectors import is_account_admin, membership_for


class IsAccountMember(BasePermission):
    """Signed in and a member of an account; every object is then looked up inside that account."""

    message = "Your user belongs to no FlowPilot account."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and membership_for(request.user))


class IsAccountAdmin(IsAccountMember):
    message = "Only an account admin may do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and is_account_admin(request.user)


class IsAccountAdminForWrites(IsAccountMember):
    """Engineers read; admins write."""

    message = "Only an account admin may do this."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or is_account_admin(request.user)
