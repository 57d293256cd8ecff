"""The PSA connection in Django admin. The form shows the chosen provider's fields only (`psa.specs`): the
provider a page is for comes from the form posted, else `?provider=`, else the saved connection, and the
provider's help text links to the form for each other PSA, so switching needs no JavaScript. Secrets are
write-only password inputs. "Test connection" calls the PSA with the stored credentials; "Discover codebase"
asks ConnectWise where the company's API lives."""

from django import forms
from django.contrib import admin, messages
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters

from accounts.admin import AccountScopedAdmin
from accounts.selectors import account_for
from flowpilot.errors import InvalidInput
from psa import services
from psa.models import PsaConnection
from psa.providers.base import PsaError
from psa.specs import CONNECTWISE, PROVIDERS, ProviderSpec, provider_choices

SECRET_NAMES = sorted({field.name for spec in PROVIDERS.values() for field in spec.secret_fields})


class PsaConnectionForm(forms.ModelForm):
    """One provider's connection form (`connection_form` makes one per provider); the service checks each field."""

    spec: ProviderSpec = PROVIDERS[CONNECTWISE]

    class Meta:
        model = PsaConnection
        fields = ["provider"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.provider == self.spec.key:
            self.initial.update(self.instance.field_values())
        self.initial["provider"] = self.spec.key

    def clean(self):
        cleaned = super().clean()
        for field in self.spec.fields:
            value = cleaned.get(field.name)
            if field.name in self.errors or value is None:
                continue
            if field.secret and not value:
                if not self.keeps_secret(field.name):
                    self.add_error(field.name, field.required_message)
                continue
            try:
                cleaned[field.name] = field.clean(value)
            except InvalidInput as exc:
                self.add_error(field.name, exc.message)
        return cleaned

    def keeps_secret(self, name: str) -> bool:
        instance = self.instance
        return bool(instance.pk) and instance.provider == self.spec.key and instance.has_secret(name)

    def connection_fields(self) -> dict:
        """What `services.psa_connection_save` takes: the provider, its fields, and the secrets typed in."""
        cleaned = self.cleaned_data
        fields = {field.name: cleaned[field.name] for field in self.spec.fields if cleaned.get(field.name)}
        if self.spec.uses_board:
            fields["board_id"] = cleaned.get("board_id")
        if self.spec.notifies_customer:
            fields["notify_customer"] = cleaned.get("notify_customer", False)
        return {"provider": self.spec.key, **fields}


def _switch_links(spec: ProviderSpec) -> str:
    others = [(key, label) for key, label in provider_choices() if key != spec.key]
    links = format_html_join(" · ", '<a href="?provider={}">{}</a>', others)
    return format_html("This form is for {}. To connect another PSA, open its form first: {}.", spec.label, links)


def connection_form(spec: ProviderSpec, *, superuser: bool) -> type[PsaConnectionForm]:
    """The admin form for `spec`'s PSA: its fields, secrets as empty password inputs, and the connection-wide
    board and notification fields where the PSA uses them."""
    declared: dict[str, forms.Field] = {
        "provider": forms.ChoiceField(choices=provider_choices(), help_text=_switch_links(spec)),
    }
    for field in spec.fields:
        if field.secret:
            declared[field.name] = forms.CharField(
                label=field.title,
                required=False,
                strip=False,
                max_length=field.max_length,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                help_text=" ".join(
                    part
                    for part in (
                        field.help_text,
                        "Write-only: stored encrypted and never shown. Leave empty to keep the stored one.",
                    )
                    if part
                ),
            )
        else:
            declared[field.name] = forms.CharField(
                label=field.title,
                required=field.required,
                max_length=field.max_length,
                initial=field.default or None,
                help_text=field.help_text,
                error_messages={"required": field.required_message},
            )
    model_fields = ["account"] if superuser else []
    model_fields.append("provider")
    if spec.uses_board:
        model_fields.append("board_id")
    if spec.notifies_customer:
        model_fields.append("notify_customer")
    meta = type("Meta", (), {"model": PsaConnection, "fields": model_fields})
    name = f"{spec.label.replace(' ', '')}ConnectionForm"
    return type(name, (PsaConnectionForm,), {"spec": spec, "Meta": meta, **declared})


@admin.register(PsaConnection)
class PsaConnectionAdmin(AccountScopedAdmin):
    list_display = ["account", "provider", "address", "board_id", "updated_at"]
    actions = ["test_connection", "discover_codebase"]

    @admin.display(description="Address")
    def address(self, connection: PsaConnection) -> str:
        return connection.address

    def chosen_spec(self, request, obj=None) -> ProviderSpec:
        """The PSA this page is for: the one posted, else ?provider=, else the saved one, else ConnectWise."""
        for chosen in (request.POST.get("provider"), request.GET.get("provider")):
            if chosen in PROVIDERS:
                return PROVIDERS[chosen]
        return obj.spec if obj is not None else PROVIDERS[CONNECTWISE]

    def get_form(self, request, obj=None, change=False, **kwargs):
        return connection_form(self.chosen_spec(request, obj), superuser=request.user.is_superuser)

    def get_fields(self, request, obj=None):
        form = self.get_form(request, obj)
        fields = ["provider", *(field.name for field in form.spec.fields), *form._meta.fields]
        return list(dict.fromkeys(["account", *fields] if request.user.is_superuser else fields))

    def has_add_permission(self, request, *args):
        if not super().has_add_permission(request):
            return False
        # One connection per account: an account admin adds it once, then edits it.
        return request.user.is_superuser or services.connection_for(account_for(request.user)) is None

    @method_decorator(sensitive_post_parameters(*SECRET_NAMES))
    def changeform_view(self, request, *args, **kwargs):
        # Error reports (DEBUG off) never show the secrets that were being saved.
        return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        account = form.cleaned_data.get("account") or account_for(request.user)
        try:
            saved = services.psa_connection_save(account=account, actor=request.user, **form.connection_fields())
        except InvalidInput as exc:  # the form checked each field; a row saved meanwhile may still differ
            raise forms.ValidationError(exc.message) from None
        # The admin logs and names `obj` next: it must be the saved row, account included.
        obj.pk, obj.account, obj.provider = saved.pk, saved.account, saved.provider

    @admin.action(description="Test connection")
    def test_connection(self, request, queryset):
        for connection in queryset:
            check = services.psa_connection_test(connection=connection)
            level = messages.SUCCESS if check.ok else messages.ERROR
            self.message_user(request, f"{connection.account}: {check.message}", level)

    @admin.action(description="Discover codebase from the company id (ConnectWise)")
    def discover_codebase(self, request, queryset):
        for connection in queryset:
            try:
                codebase = services.psa_connection_discover_codebase(connection=connection)
            except (PsaError, InvalidInput) as exc:
                self.message_user(request, f"{connection.account}: {exc.message}", messages.ERROR)
                continue
            self.message_user(request, f"{connection.account}: codebase set to {codebase}.", messages.SUCCESS)
