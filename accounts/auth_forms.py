"""Django admin's sign-in, held to the same rules as FlowPilot's: django-axes throttles it like every sign-in, and
a user with a second factor (or whose account requires one) signs in on the FlowPilot sign-in page, which asks
for it, then opens Admin."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts import auth_mfa


class AdminSignInForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if auth_mfa.sign_in_next_step(user) != auth_mfa.DONE:
            raise ValidationError(
                "You sign in with a second factor: sign in on the FlowPilot sign-in page, then open Admin.",
                code="second_factor",
            )
