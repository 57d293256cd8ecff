from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect

from accounts.admin import AccountScopedAdmin, ReadOnlyInline
from accounts.selectors import account_for
from flowpilot.errors import DomainError
from sessions import services
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix


class FactInline(ReadOnlyInline):
    model = Fact
    fields = ["text", "source_type", "source_summary", "created_at", "deleted_at"]


class CheckInline(ReadOnlyInline):
    model = DiagnosticCheck
    fields = ["name", "command", "result", "output_summary", "created_at", "deleted_at"]


class FixInline(ReadOnlyInline):
    model = SuggestedFix
    fields = ["title", "confidence_pct", "outcome", "outcome_notes", "created_at", "superseded_at"]


class GenerationInline(ReadOnlyInline):
    model = ScriptGeneration
    fields = ["template_name", "parameters_used", "created_by", "created_at"]


class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["title", "problem_summary", "problem_domain", "psa_ticket_id"]

    def clean(self):
        """The service's refusals (a closed session, a ticket another open session works) as form errors."""
        cleaned = super().clean()
        ticket_id = cleaned.get("psa_ticket_id")
        try:
            self.instance.ensure_open()
            if ticket_id is not None and ticket_id != self.instance.psa_ticket_id:
                services.ensure_ticket_free(account=self.instance.account, ticket_id=ticket_id, session=self.instance)
        except DomainError as exc:
            raise forms.ValidationError({exc.field: exc.message} if exc.field else exc.message) from None
        return cleaned


@admin.register(Session)
class SessionAdmin(AccountScopedAdmin):
    """Sessions are created by engineers; admins can correct the descriptive fields here. Edits go
    through `session_update`, so drafts see them (state_version rises)."""

    EDITABLE = ["title", "problem_summary", "problem_domain", "psa_ticket_id"]
    form = SessionAdminForm

    list_display = ["title", "psa_ticket_id", "status", "created_by", "state_version", "created_at"]
    list_filter = ["status", "closed_as"]
    search_fields = ["title", "psa_ticket_id"]
    fields = [*EDITABLE, "intake_content", "status", "closed_as", "state_version", "created_by", "created_at"]
    readonly_fields = ["intake_content", "status", "closed_as", "state_version", "created_by", "created_at"]
    inlines = [FactInline, CheckInline, FixInline, GenerationInline]

    def has_add_permission(self, request, *args):
        return False

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field in self.EDITABLE}
        services.session_update(session=obj, changes=changes)


class ScriptTemplateForm(forms.ModelForm):
    account = None  # set by ScriptTemplateAdmin.get_form for account admins

    class Meta:
        model = ScriptTemplate
        fields = ["account", "name", "slug", "language", "description", "body", "parameters_schema"]

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("account") or self.account or getattr(self.instance, "account", None)
        slug = cleaned.get("slug")
        if account and slug:
            clash = ScriptTemplate.objects.filter(account=account, slug=slug).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("slug", "Your account already has a template with this slug.")
        return cleaned


@admin.register(ScriptTemplate)
class ScriptTemplateAdmin(AccountScopedAdmin):
    form = ScriptTemplateForm
    list_display = ["name", "slug", "language", "updated_at"]
    list_filter = ["language"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser:
            form.account = account_for(request.user)
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal the form could not foresee (a concurrent save took the slug) comes back to the form as an
        error message, never a 500: Django admin lets an error raised by `save_model` through. Its transaction
        is rolled back by then."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        """Through the services, so each create and change is on the account's audit trail."""
        fields = {name: form.cleaned_data[name] for name in services.TEMPLATE_FIELDS if name in form.cleaned_data}
        if change:
            services.template_update(
                template=obj,
                changes={name: fields[name] for name in form.changed_data if name in fields},
                actor=request.user,
            )
            return
        account = form.cleaned_data.get("account") or account_for(request.user)
        saved = services.template_create(account=account, actor=request.user, **fields)
        obj.pk, obj.account = saved.pk, saved.account  # the admin logs and names `obj` next

    def delete_model(self, request, obj):
        """Through the service, so the deletion is on the account's audit trail."""
        services.template_delete(template=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        """The bulk "Delete selected" action: one audit row per template, all in one transaction."""
        with transaction.atomic():
            for template in queryset:
                services.template_delete(template=template, actor=request.user)
