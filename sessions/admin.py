from django import forms
from django.contrib import admin

from accounts.admin import AccountScopedAdmin, ReadOnlyInline
from accounts.selectors import account_for
from sessions import services
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix


class FactInline(ReadOnlyInline):
    model = Fact
    fields = ["text", "source_type", "source_summary", "created_at", "deleted_at"]


class CheckInline(ReadOnlyInline):
    model = DiagnosticCheck
    fields = ["name", "command", "result", "output_summary", "created_at"]


class FixInline(ReadOnlyInline):
    model = SuggestedFix
    fields = ["title", "confidence_pct", "outcome", "outcome_notes", "created_at", "superseded_at"]


class GenerationInline(ReadOnlyInline):
    model = ScriptGeneration
    fields = ["template_name", "parameters_used", "created_by", "created_at"]


@admin.register(Session)
class SessionAdmin(AccountScopedAdmin):
    """Sessions are created by engineers; admins can correct the descriptive fields here. Edits go
    through `session_update`, so drafts see them (state_version rises)."""

    EDITABLE = ["title", "problem_summary", "problem_domain", "psa_ticket_id"]

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
