"""The PSA connection in Django admin: the private key is write-only, and "Test connection" and
"Discover codebase" call the PSA with the stored credentials."""

from django import forms
from django.contrib import admin, messages
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from accounts.admin import AccountScopedAdmin
from accounts.selectors import account_for
from flowpilot.errors import InvalidInput
from psa import services
from psa.models import PsaConnection
from psa.providers.base import PsaError
from psa.providers.connectwise import CODEBASE_PATTERN
from psa.site_url import normalise_site_url


class PsaConnectionForm(forms.ModelForm):
    private_key = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: stored encrypted and never shown. Leave empty to keep the stored key.",
    )

    class Meta:
        model = PsaConnection
        fields = [
            "provider",
            "site_url",
            "company_id",
            "public_key",
            "private_key",
            "client_id",
            "codebase",
            "board_id",
            "notify_customer",
        ]

    def clean_site_url(self):
        try:
            return normalise_site_url(self.cleaned_data["site_url"])
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_codebase(self):
        codebase = self.cleaned_data["codebase"].strip()
        if not CODEBASE_PATTERN.fullmatch(codebase):
            raise forms.ValidationError("A codebase looks like v4_6_release/.")
        return codebase

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("private_key") and not self.instance.has_private_key:
            self.add_error("private_key", "A private key is required.")
        return cleaned


@admin.register(PsaConnection)
class PsaConnectionAdmin(AccountScopedAdmin):
    form = PsaConnectionForm
    list_display = ["account", "provider", "site_url", "company_id", "board_id", "updated_at"]
    actions = ["test_connection", "discover_codebase"]

    def get_fields(self, request, obj=None):
        fields = list(PsaConnectionForm.Meta.fields)
        return ["account", *fields] if request.user.is_superuser else fields

    def has_add_permission(self, request, *args):
        if not super().has_add_permission(request):
            return False
        # One connection per account: an account admin adds it once, then edits it.
        return request.user.is_superuser or not PsaConnection.objects.filter(account=account_for(request.user)).exists()

    @method_decorator(sensitive_post_parameters("private_key"))
    def changeform_view(self, request, *args, **kwargs):
        # Error reports (DEBUG off) never show the key that was being saved.
        return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {key: value for key, value in form.cleaned_data.items() if key != "account"}
        account = form.cleaned_data.get("account") or account_for(request.user)
        saved = services.psa_connection_save(account=account, **data)
        # The admin logs and names `obj` next: it must be the saved row, account included.
        obj.pk, obj.account = saved.pk, saved.account

    @admin.action(description="Test connection")
    def test_connection(self, request, queryset):
        for connection in queryset:
            check = services.psa_connection_test(connection=connection)
            level = messages.SUCCESS if check.ok else messages.ERROR
            self.message_user(request, f"{connection.account}: {check.message}", level)

    @admin.action(description="Discover codebase from the company id")
    def discover_codebase(self, request, queryset):
        for connection in queryset:
            try:
                codebase = services.psa_connection_discover_codebase(connection=connection)
            except (PsaError, InvalidInput) as exc:
                self.message_user(request, f"{connection.account}: {exc.message}", messages.ERROR)
                continue
            self.message_user(request, f"{connection.account}: codebase set to {codebase}.", messages.SUCCESS)
