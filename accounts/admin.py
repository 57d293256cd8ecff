"""Django admin for tenants. `AccountScopedAdmin` keeps an account admin inside their own account:
other accounts' rows are never listed and their ids answer 404. Superusers see everything."""

import typing

from anthropic.types import ModelParam
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import Http404
from rest_framework.authtoken.models import TokenProxy

from accounts import services
from accounts.models import Account, AccountSettings, Membership
from accounts.selectors import account_for, is_account_admin
from psa.services import board_statuses, connection_for


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


superuser_only_objects(get_user_model(), Group, TokenProxy)


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


def status_id_field(outcome: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=f"ConnectWise status when {outcome}",
        required=False,
        min_value=1,
        max_value=services.MAX_STATUS_ID,
        help_text=f"The status id a ticket moves to when {outcome}. Leave empty to post without a status change.",
    )


def model_field(action: str) -> forms.ChoiceField:
    default = settings.FLOWPILOT_DRAFT_MODELS[action]
    return forms.ChoiceField(
        label=f"Model for the {action.replace('_', ' ')}",
        required=False,
        choices=[("", f"Deployment default ({default})"), *((model, model) for model in known_models())],
    )


def known_models() -> list[str]:
    """The Claude model ids the pinned SDK knows."""
    return list(typing.get_args(typing.get_args(ModelParam)[0]))


class AccountSettingsForm(forms.ModelForm):
    cw_resolved_status_id = status_id_field("resolved")
    cw_escalated_status_id = status_id_field("escalated")
    resolution_note_model = model_field("resolution_note")
    escalation_package_model = model_field("escalation_package")

    class Meta:
        model = AccountSettings
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_live_statuses()
        for key in self.preference_keys():
            self.fields[key].initial = self.instance.preferences.get(key)

    def offer_live_statuses(self) -> None:
        """The board's active statuses as choices when the PSA answers; a typed id otherwise."""
        statuses = board_statuses(connection_for(self.instance.account)) if self.instance.pk else None
        if statuses is None:
            for key in AccountSettings.STATUS_KEYS:
                self.fields[key].help_text += " (The PSA's statuses could not be read: type the id.)"
            return
        for key in AccountSettings.STATUS_KEYS:
            choices = [("", "— leave the ticket's status unchanged —")]
            choices += [(status.id, f"{status.name} (id {status.id})") for status in statuses]
            current = self.instance.preferences.get(key)
            if current and current not in {status.id for status in statuses}:
                choices.append((current, f"Status id {current} (not an active status of the board)"))
            old = self.fields[key]
            self.fields[key] = forms.TypedChoiceField(
                label=old.label, required=False, choices=choices, coerce=int, empty_value=None, help_text=old.help_text
            )

    @staticmethod
    def preference_keys() -> list[str]:
        return [*AccountSettings.STATUS_KEYS, *AccountSettings.MODEL_KEYS.values()]


@admin.register(AccountSettings)
class AccountSettingsAdmin(AccountScopedAdmin):
    form = AccountSettingsForm
    list_display = ["account", "cw_resolved_status_id", "cw_escalated_status_id", "updated_at"]

    def has_add_permission(self, request, *args):
        return False  # created with the account

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {key: form.cleaned_data.get(key) for key in form.preference_keys()}
        services.account_settings_update(account=obj.account, changes=changes)
