"""The workspace's forms: input checks only; the rules live in `sessions.services`."""

from django import forms

from sessions.models import DiagnosticCheck, Fact, SuggestedFix
from sessions.scripts import PATTERN_FIELD_TYPES, expected_form

TEXT_MAX = 10_000


class WorkspaceForm(forms.Form):
    """Forms that share one page: each kind gets its own id prefix so labels point at the right input."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class FoldedForm(WorkspaceForm):
    """A form the workspace folds under a <details> summary until it is used. It shows open when it comes
    back with errors (the focus on the first field in error), or after an add, fresh, for the next one."""

    keep_open = False

    @property
    def is_open(self) -> bool:
        return self.keep_open or bool(self.errors)

    def full_clean(self):
        super().full_clean()
        in_error = next((name for name in self.fields if name in self._errors), None)
        if in_error:
            self.focus(in_error)

    def ready_for_another(self) -> "FoldedForm":
        """Open, the focus on the first field: the engineer adds several in a row."""
        self.keep_open = True
        self.focus(next(iter(self.fields)))
        return self

    def focus(self, name: str) -> None:
        """htmx focuses the swapped-in field; a whole page, the browser."""
        self.fields[name].widget.attrs["autofocus"] = True


class SessionForm(WorkspaceForm):
    id_prefix = "id"
    title = forms.CharField(max_length=200, required=False)
    psa_ticket_id = forms.IntegerField(
        label="Ticket number",
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "e.g. 48213"}),
    )
    intake_text = forms.CharField(
        label="What the customer reported",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, importing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.importing = importing

    def clean(self):
        cleaned = super().clean()
        if self.importing and not cleaned.get("psa_ticket_id") and "psa_ticket_id" not in self.errors:
            self.add_error("psa_ticket_id", "Enter the ticket number to import.")
        if not self.importing and not (cleaned.get("title") or "").strip() and "title" not in self.errors:
            self.add_error("title", "Give the session a title (or import it from the ticket).")
        return cleaned


class SessionDetailsForm(WorkspaceForm):
    """The session's own fields, edited from the workspace header (a ticket can be linked later)."""

    id_prefix = "details"

    title = forms.CharField(max_length=200)
    psa_ticket_id = forms.IntegerField(
        label="Ticket number",
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="Leave empty to resolve or escalate locally.",
    )
    problem_summary = forms.CharField(label="Problem in one line", required=False, max_length=TEXT_MAX)
    intake_text = forms.CharField(
        label="What the customer reported",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def for_session(cls, session, data=None) -> "SessionDetailsForm":
        initial = {
            field: getattr(session, field) for field in ("title", "psa_ticket_id", "problem_summary", "intake_text")
        }
        return cls(data, initial=initial)


class FactForm(FoldedForm):
    id_prefix = "fact"

    text = forms.CharField(label="Fact", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    source_type = forms.ChoiceField(label="Source", choices=Fact.SourceType.choices, initial=Fact.SourceType.ENGINEER)
    source_summary = forms.CharField(
        label="Where it came from",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "optional, e.g. Get-ADUser output"}),
    )


class CheckForm(FoldedForm):
    id_prefix = "check"

    name = forms.CharField(
        label="Check", max_length=200, widget=forms.TextInput(attrs={"placeholder": "e.g. DNS lookup"})
    )
    result = forms.ChoiceField(choices=DiagnosticCheck.Result.choices)
    command = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.TextInput(attrs={"placeholder": "optional"})
    )
    output_summary = forms.CharField(
        label="What it showed", required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class FixForm(FoldedForm):
    id_prefix = "fix"

    title = forms.CharField(label="Fix to try", max_length=200)
    description = forms.CharField(required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    confidence_pct = forms.IntegerField(label="Confidence (%)", min_value=0, max_value=100)


class OutcomeForm(WorkspaceForm):
    id_prefix = "outcome"

    outcome = forms.ChoiceField(label="Record the outcome", choices=SuggestedFix.Outcome.choices)
    outcome_notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the fix only partly worked.",
    )


class ScriptForm(WorkspaceForm):
    """A form built from a script template's `parameters_schema`; values are checked by the service."""

    id_prefix = "param"

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, prefix="param", **kwargs)
        self.template = template
        for parameter in template.parameters:
            self.fields[parameter["key"]] = _parameter_field(parameter)


def _parameter_field(parameter: dict) -> forms.Field:
    common = {"label": parameter.get("label") or parameter["key"], "required": bool(parameter.get("required"))}
    field_type = parameter.get("field_type", "text")
    if field_type == "password":
        # Never rendered back, never pre-filled: a password typed once is used once.
        attrs = {"autocomplete": "new-password", **_input_hints(parameter)}
        return forms.CharField(widget=forms.PasswordInput(attrs=attrs, render_value=False), strip=False, **common)
    common["initial"] = parameter.get("default")
    if field_type == "number":
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "any", **_input_hints(parameter)}), **common)
    if field_type == "select":
        options = parameter.get("options", [])
        choices = [("", "—")] if not common["required"] else []
        return forms.ChoiceField(choices=choices + [(option, option) for option in options], **common)
    return forms.CharField(widget=forms.TextInput(attrs=_input_hints(parameter)), **common)


def _input_hints(parameter: dict) -> dict:
    """The placeholder, and the pattern for the browser to check before sending. HTML patterns are JavaScript
    regular expressions, which mostly read Python's the same; where they differ, the service is the judge."""
    hints = {}
    if parameter.get("placeholder"):
        hints["placeholder"] = parameter["placeholder"]
    if parameter.get("pattern") and parameter.get("field_type", "text") in PATTERN_FIELD_TYPES:
        hints.update(pattern=parameter["pattern"], title=expected_form(parameter))
    return hints
