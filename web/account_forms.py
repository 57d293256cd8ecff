"""The forms of the account pages (People, the invite): input checks only; the rules live in `accounts.services`."""

from django import forms

from accounts.models import Membership
from accounts.services import USERNAME_MAX


class PageForm(forms.Form):
    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MemberAddForm(PageForm):
    id_prefix = "member"

    username = forms.CharField(max_length=USERNAME_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    email = forms.EmailField(label="E-mail", required=False, max_length=254)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.ENGINEER)
    password = forms.CharField(
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text="Leave empty to get an invite link instead: they set their own password with it (valid 72 hours, "
        "once).",
    )

    def clean_password(self):
        return self.cleaned_data["password"] or None


class MemberUpdateForm(PageForm):
    """One change per button: a new role, or deactivate / reactivate."""

    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)
    is_active = forms.TypedChoiceField(
        choices=[("true", "active"), ("false", "deactivated")],
        coerce=lambda value: value == "true",
        required=False,
        empty_value=None,
    )

    def clean_role(self):
        return self.cleaned_data["role"] or None

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("role") is None and cleaned.get("is_active") is None:
            raise forms.ValidationError("Choose a role, or deactivate or reactivate the member.")
        return cleaned


class InviteAcceptForm(PageForm):
    password = forms.CharField(
        label="New password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text="At least 10 characters, not a common password.",
    )
    password_again = forms.CharField(
        label="The same password again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("password")
            and cleaned.get("password_again")
            and cleaned["password"] != cleaned["password_again"]
        ):
            self.add_error("password_again", "The two passwords differ.")
        return cleaned
