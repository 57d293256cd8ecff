"""The second factor on every request, not only at sign-in: a signed-in user whose session the second factor has
not verified, but who has one (set up in another session) or whose account requires one (perhaps since they
signed in), does nothing but that first. A page goes to the code step (a second factor) or to setting one up
(none yet), htmx is told to load that page (HX-Redirect), and the API answers 403 with a code saying which.

The rule is `accounts.auth_mfa.sign_in_next_step`. A verified session costs no query beyond django-otp's own; an
unverified one a few (its devices and account settings). A request sent with an API token is left to the token,
issued only after the second factor (`accounts.auth_tokens`): DRF authenticates a `Token` header before the
session, and never falls back to the session for one, right or wrong."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django_htmx.http import HttpResponseClientRedirect
from rest_framework.authentication import get_authorization_header

from accounts.auth_mfa import CODE, DONE, ENROL, session_next_step

# What a session waiting for its second factor may still open, besides static files: the step itself, signing
# out, signing in afresh (as someone else too), and an invite link (which signs its new member in).
ALLOWED_WHILE = {
    CODE: {"login-code", "login", "logout", "invite-accept"},
    ENROL: {"mfa", "mfa-confirm", "login", "logout", "invite-accept"},
}
PAGE_FOR = {CODE: "login-code", ENROL: "mfa"}
API_REFUSAL = {
    CODE: (
        "mfa_verification_required",
        "This sign-in has not used your second factor yet: enter your code at /accounts/login/code/ first.",
    ),
    ENROL: (
        "mfa_enrolment_required",
        "Your account requires a second factor: set it up at /accounts/mfa/ first.",
    ),
}


def mfa_enforced(get_response):
    def middleware(request):
        if _api_token_request(request) or _static(request):
            return get_response(request)
        step = session_next_step(request)
        if step == DONE or _allowed(request, step):
            return get_response(request)
        if request.path.startswith("/api/"):
            code, detail = API_REFUSAL[step]
            return JsonResponse({"detail": detail, "code": code}, status=403)
        if request.headers.get("HX-Request") == "true":  # htmx swaps nothing in: it loads the page
            return HttpResponseClientRedirect(reverse(PAGE_FOR[step]))
        return redirect(PAGE_FOR[step])

    return middleware


def _api_token_request(request) -> bool:
    words = get_authorization_header(request).split()
    return request.path.startswith("/api/") and bool(words) and words[0].lower() == b"token"


def _static(request) -> bool:
    return request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))


def _allowed(request, step: str) -> bool:
    try:
        return resolve(request.path_info).view_name in ALLOWED_WHILE[step]
    except Resolver404:
        return False
