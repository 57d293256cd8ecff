"""Account settings in Django admin. They span apps, so they are edited here, in the top layer: the target
statuses (offered from the PSA's live statuses when it answers), whether two-factor sign-in is required, and the
model per action (`llm.actions`)."""

from django import forms
from django.contrib import admin
from django.db import transaction

from accounts.admin import AccountScopedAdmin
from accounts.models import AccountSettings
from accounts.services import MAX_STATUS_ID, account_settings_update
from drafting.preparation import account_background_drafts_update, background_drafts_on
from llm.actions import account_models_update, actions, preference_key
from llm.forms import model_field
from psa.services import board_statuses, connection_for

OUTCOMES = {"cw_resolved_status_id": "resolved", "cw_escalated_status_id": "escalated"}


def status_id_field(outcome: str, psa: str = "PSA") -> forms.IntegerField:
    return forms.IntegerField(
        label=f"{psa} status when {outcome}",
        required=False,
        min_value=1,
        max_value=MAX_STATUS_ID,
        help_text=f"The status id a ticket moves to when {outcome}. Leave empty to post without a status change.",
    )


class TargetStatusesForm(forms.ModelForm):
    """The account's target statuses; `AccountSettingsForm` adds a model field per action."""

    cw_resolved_status_id = status_id_field("resolved")
    cw_escalated_status_id = status_id_field("escalated")
    mfa_required = forms.BooleanField(
        label="Require two-factor sign-in",
        required=False,
        help_text="Every member signs in with a code from an authenticator app; a member without one sets it up "
        "at their next sign-in, before anything else.",
    )

    background_drafts = forms.BooleanField(
        label="Prepare drafts in the background",
        required=False,
        help_text="When a fix is marked as having worked (or failed), or the engineer reaches the wrap-up, the "
        "resolution note (or escalation package) is drafted before the click, so Preview opens at once. It costs "
        "about one extra draft per finished session, often the one Preview would have made anyway: some 4,000 "
        "input tokens, most read from the prompt cache, and 300 to 500 output tokens.",
    )

    class Meta:
        model = AccountSettings
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_live_statuses()
        for key in self.preference_keys():
            self.fields[key].initial = self.instance.preferences.get(key)
        self.fields["mfa_required"].initial = self.instance.mfa_required
        self.fields["background_drafts"].initial = background_drafts_on(self.instance)

    def offer_live_statuses(self) -> None:
        """The PSA's active statuses (ConnectWise: the board's) as choices when it answers; a typed id otherwise."""
        connection = connection_for(self.instance.account) if self.instance.pk else None
        if connection is not None:
            for key, outcome in OUTCOMES.items():
                self.fields[key] = status_id_field(outcome, connection.spec.provider_class.display_name)
        statuses = board_statuses(connection)
        if statuses is None:
            for key in AccountSettings.STATUS_KEYS:
                self.fields[key].help_text += " (The PSA's statuses could not be read: type the id.)"
            return
        for key in AccountSettings.STATUS_KEYS:
            choices = [("", "— leave the ticket's status unchanged —")]
            choices += [(status.id, f"{status.name} (id {status.id})") for status in statuses]
            current = self.instance.preferences.get(key)
            if current and current not in {status.id for status in statuses}:
                of = "the board" if connection.spec.uses_board else connection.spec.provider_class.display_name
                choices.append((current, f"Status id {current} (not an active status of {of})"))
            old = self.fields[key]
            self.fields[key] = forms.TypedChoiceField(
                label=old.label, required=False, choices=choices, coerce=int, empty_value=None, help_text=old.help_text
            )

    @staticmethod
    def preference_keys() -> list[str]:
        return [*AccountSettings.STATUS_KEYS, *map(preference_key, actions())]


# The statuses, and a model field per action, whatever actions llm.actions knows.
AccountSettingsForm = type(
    "AccountSettingsForm",
    (TargetStatusesForm,),
    {"__module__": __name__, **{preference_key(action): model_field(action) for action in actions()}},
)


@admin.register(AccountSettings)
class AccountSettingsAdmin(AccountScopedAdmin):
    form = AccountSettingsForm
    list_display = ["account", "cw_resolved_status_id", "cw_escalated_status_id", "updated_at"]

    def has_add_permission(self, request, *args):
        return False  # created with the account

    def has_delete_permission(self, request, obj=None):
        return False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        changes = {key: form.cleaned_data.get(key) for key in AccountSettings.STATUS_KEYS}
        changes[AccountSettings.MFA_REQUIRED_KEY] = form.cleaned_data.get("mfa_required", False)
        account_settings_update(account=obj.account, changes=changes, actor=request.user)
        models = {action: form.cleaned_data.get(preference_key(action)) for action in actions()}
        account_models_update(account=obj.account, changes=models, actor=request.user)
        account_background_drafts_update(
            account=obj.account, enabled=form.cleaned_data.get("background_drafts", False), actor=request.user
        )
