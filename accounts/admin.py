"""Django admin for tenants. `AccountScopedAdmin` keeps an account admin inside their own account:
other accounts' rows are never listed and their ids answer 404. Superusers see everything."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import TokenProxy

from accounts.auth_forms import AdminSignInForm
from accounts.models import Account, AuditEvent, Membership
from accounts.selectors import account_for, is_account_admin


def may_administer(request) -> bool:
    user = request.user
    return user.is_active and (user.is_superuser or (user.is_staff and is_account_admin(user)))


class AccountScopedPermissions:
    """Permission by account role rather than Django model permissions: an account admin manages
    their account's rows, an engineer has no admin."""

    def has_module_permission(self, request):
        return may_administer(request)

    def has_view_permission(self, request, obj=None):
        return may_administer(request)

    def has_add_permission(self, request, *args):
        return may_administer(request)

    def has_change_permission(self, request, obj=None):
        return may_administer(request)

    def has_delete_permission(self, request, obj=None):
        return may_administer(request)


class AccountScopedAdmin(AccountScopedPermissions, admin.ModelAdmin):
    account_path = "account"  # lookup from the model to its Account

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.account_path: account_for(request.user)})

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your account.")
        return obj

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.account_path == "account":
            exclude.append("account")
        return exclude

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser and self.account_path == "account":
            obj.account = account_for(request.user)
        super().save_model(request, obj, form, change)


class ReadOnlyAuditAdmin(AccountScopedAdmin):
    """A record nobody edits (drafts, handoffs, model calls): listed and read, scoped to the account."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(AccountScopedPermissions, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class SuperuserOnlyObjects:
    """Tenants, users, groups and tokens belong to no one account: only superusers manage them. To anyone
    else each of their ids is 404, like another account's objects (Django would answer 403 for an id that
    exists and redirect for one that does not, telling an account admin which exist)."""

    def get_object(self, request, object_id, from_field=None):
        if not request.user.is_superuser:
            raise Http404("No such object in your account.")
        return super().get_object(request, object_id, from_field)


def superuser_only_objects(*models) -> None:
    """Give the admins other apps registered (they are listed before ours) SuperuserOnlyObjects."""
    for model in models:
        model_admin = type(admin.site.get_model_admin(model))
        admin.site.unregister(model)
        admin.site.register(model, type(model_admin.__name__, (SuperuserOnlyObjects, model_admin), {}))


superuser_only_objects(get_user_model(), Group, TokenProxy, AccessAttempt, AccessLog, AccessFailureLog)


class SecondFactorAdmin(SuperuserOnlyObjects, admin.ModelAdmin):
    """A member's authenticator app or recovery codes (django-otp), for superusers only: deleting it resets a lost
    second factor. Nothing here shows a secret or a code (django-otp's own admin would: a QR code page)."""

    list_display = ["user", "name", "confirmed", "last_used_at"]
    search_fields = ["user__username"]
    fields = readonly_fields = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


for _device in (TOTPDevice, StaticDevice):
    admin.site.unregister(_device)
    admin.site.register(_device, SecondFactorAdmin)

# Django admin's sign-in: throttled by django-axes like every sign-in, and never a way around the second factor.
admin.site.login_form = AdminSignInForm


@admin.register(Account)
class AccountAdmin(SuperuserOnlyObjects, admin.ModelAdmin):
    """Tenants are created with `manage.py create_account`; only superusers manage them here."""

    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(AccountScopedAdmin):
    list_display = ["user", "role", "account"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["user", "account", "role"]

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAuditAdmin):
    """The account's audit trail: read, never added to, changed or deleted (the model refuses it too)."""

    list_display = ["created_at", "actor_username", "action", "target"]
    list_filter = ["action"]
    search_fields = ["actor_username", "target", "action"]
    fields = ["created_at", "actor_username", "action", "target", "details"]
    readonly_fields = fields
