"""Signing in and the second factor: the sign-in page (password, then the code for a user who has a second factor),
and the two-factor page (`/accounts/mfa/`) where a member sets up an authenticator app, gets recovery codes once,
and turns it off. The rules are in `accounts.auth_mfa` (what a right password leads to: `sign_in_next_step`, asked
by `sign_in_continue` here for the sign-in and the invite pages); django-axes throttles the password step
(`accounts.auth_lockout`). Every form is a plain POST."""

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import auth_mfa
from flowpilot.errors import DomainError

MFA_PAGE = "accounts/mfa.html"


class CodeForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


def sign_in_continue(request, user, *, next_url: str = "", backend: str | None = None):
    """The user's password is right (typed on the sign-in page, or just set from an invite): sign them in, unless
    they have a second factor (then the code step follows, and only the code signs in), and send a user who must
    set one up to the two-factor page (where they stay until they have: accounts.auth_middleware)."""
    if backend is not None:
        user.backend = backend
    step = auth_mfa.sign_in_next_step(user)
    if step == auth_mfa.CODE:
        auth_mfa.sign_in_pending_begin(request, user, next_url)
        return redirect("login-code")
    login(request, user)  # a new session key
    if step == auth_mfa.ENROL:
        messages.info(request, "Your account requires a second factor: set it up to carry on.")
        return redirect("mfa")
    return redirect(next_url or "home")


class SignInView(auth_views.LoginView):
    """The password step; what follows is `sign_in_continue`'s."""

    def form_valid(self, form):
        return sign_in_continue(self.request, form.get_user(), next_url=self.get_redirect_url())


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request):
    """The second step: the code from the authenticator app, or a recovery code (each works once). It completes a
    sign-in whose password was right, or verifies a signed-in session that has not used the user's second factor
    (set up in another session after this one signed in)."""
    pending = auth_mfa.sign_in_pending(request)
    signed_in = pending is None and auth_mfa.session_next_step(request) == auth_mfa.CODE
    if pending is None and not signed_in:
        return redirect("login")
    user = pending.user if pending else request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = auth_mfa.second_factor_verify(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            if pending:
                auth_mfa.sign_in_complete(request, pending, device)
            else:
                auth_mfa.session_verify(request, device)
            if isinstance(device, StaticDevice):
                left = auth_mfa.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Turn two-factor sign-in off and on again "
                    "for new codes.",
                )
            return redirect(pending.next_url if pending and pending.next_url else "home")
    # A wrong code answers 200, as a wrong password does on the password step (Django's LoginView).
    return render(request, "registration/login_code.html", {"form": form, "signed_in": signed_in})


@sensitive_variables()  # the URI carries the secret
def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG (no data: URI, no script): dark squares on a white ground."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace("<svg ", '<svg class="qr" role="img" aria-label="QR code to scan" ', 1)
    return mark_safe(svg)  # noqa: S308 — qrcode's markup of our own URI, nothing a user typed


@sensitive_variables()
def _secret_groups(device) -> str:
    """The secret as an app asks for it by hand: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_variables()
def _enrol_context(request, device, form) -> dict:
    return {
        "enrolling": True,
        "qr": _qr_svg(device.config_url),
        "secret": _secret_groups(device),
        "form": form,
        "required": auth_mfa.mfa_required(request.user),
    }


@sensitive_variables()
@login_required
@never_cache
@require_http_methods(["GET"])
def mfa(request):
    """Two-factor sign-in: on (and how to turn it off), or the secret to set up, shown with its QR code until it is
    confirmed (the same one for 10 minutes: a reload, or a link from another site, does not replace it)."""
    user = request.user
    if auth_mfa.has_second_factor(user):
        context = {
            "form": CodeForm(),
            "recovery_codes_left": auth_mfa.recovery_codes_left(user),
            "required": auth_mfa.mfa_required(user),
        }
        return render(request, MFA_PAGE, context)
    device = auth_mfa.totp_enrolment_open(user=user)
    return render(request, MFA_PAGE, _enrol_context(request, device, CodeForm()))


@sensitive_variables()
@login_required
@sensitive_post_parameters("code")
@never_cache
@require_POST
def mfa_confirm(request):
    """The first code from the app turns two-factor sign-in on; the recovery codes are shown once, on this page."""
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            enrolled = auth_mfa.totp_enrolment_confirm(user=request.user, code=form.cleaned_data["code"])
        except auth_mfa.EnrolmentMissing:
            return redirect("mfa")
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            auth_mfa.session_verify(request, enrolled.device)
            context = {"recovery_codes": enrolled.recovery_codes, "continue_url": reverse("home")}
            return render(request, "accounts/mfa_codes.html", context)
    device = auth_mfa.totp_enrolment_pending(request.user)
    if device is None:
        return redirect("mfa")
    return render(request, MFA_PAGE, _enrol_context(request, device, form), status=400)


@login_required
@sensitive_post_parameters("code")
@never_cache
@require_POST
def mfa_disable(request):
    """Turn it off, with a code. Where the account requires it, setting it up again comes next."""
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            auth_mfa.mfa_disable(user=request.user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            if auth_mfa.mfa_required(request.user):  # accounts.auth_middleware keeps them on the set-up page
                messages.info(request, "Two-factor sign-in is off. Your account requires it: set it up again.")
            else:
                messages.success(request, "Two-factor sign-in is off.")
            return redirect("mfa")
    context = {
        "form": form,
        "recovery_codes_left": auth_mfa.recovery_codes_left(request.user),
        "required": auth_mfa.mfa_required(request.user),
    }
    return render(request, MFA_PAGE, context, status=400)
