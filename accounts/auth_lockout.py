"""Throttled sign-ins (DESIGN §2). django-axes counts the failures of the sign-in page, Django admin's and the token
endpoint, and refuses a locked-out attempt before any password is checked; flowpilot/settings.py ("Signing in")
configures it. This module holds what the configuration names: the per-address bar, the client's address, the
lockout answer with the wait in words, and the token endpoint's request throttles (DRF)."""

import hashlib
import ipaddress
import math
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail, Throttled
from rest_framework.throttling import SimpleRateThrottle

LOCKED_OUT = "locked_out"


class SignInAttempts(AxesDatabaseHandler):
    """Axes' database handler with one bar more: an address alone is locked out only at
    FLOWPILOT_SIGNIN_ADDRESS_FAILURE_LIMIT failures, whoever's usernames they tried, far above the bars per
    username (AXES_FAILURE_LIMIT): a whole office signs in from one address."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return settings.AXES_LOCK_OUT_AT_FAILURE and (
            address_failures(request) >= settings.FLOWPILOT_SIGNIN_ADDRESS_FAILURE_LIMIT
        )


def address_failures(request) -> int:
    """The failures from the request's address within the cool-off, whatever the usernames."""
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0


def lockout_wait(request, credentials: dict | None = None) -> timedelta:
    """How long until the lock on this username (or address) lifts: the cool-off counts from the newest failure,
    and attempts refused while locked out are not counted, so this is the wait there is."""
    username = get_client_username(request, credentials)
    newest = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=request.axes_ip_address)).aggregate(
        newest=Max("attempt_time")
    )["newest"]
    cool_off = get_cool_off(request)
    if newest is None:
        return cool_off
    return max(newest + cool_off - timezone.now(), timedelta(seconds=1))


def wait_in_words(seconds: float) -> str:
    """ "45 seconds", "1 minute", "15 minutes": rounded up, so the wait is never longer than said."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def lockout_message(wait: timedelta) -> str:
    """The same words whether or not the username exists: nothing here tells which do."""
    return (
        "Too many failed sign-ins for this username or from this address. "
        f"Try again in {wait_in_words(wait.total_seconds())}."
    )


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """AXES_LOCKOUT_CALLABLE: a locked-out sign-in answers 429 with Retry-After. The token endpoint has already
    answered so (`SignInLockedOut`); a page gets the sign-in form again with the wait."""
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response
        wait = lockout_wait(request, credentials)
        response = JsonResponse({"detail": lockout_message(wait), "code": LOCKED_OUT}, status=429)
    else:
        wait = lockout_wait(request, credentials)
        username = get_client_username(request, credentials) or ""
        admin_index = reverse("admin:index")
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if not next_url and request.path.startswith(admin_index):
            next_url = admin_index
        context = {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_out": lockout_message(wait),
            "next": next_url,
        }
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(math.ceil(wait.total_seconds()))
    return response


class TooManyAttempts(Throttled):
    """429 with Retry-After (seconds) and `detail` saying the wait in words."""

    def __init__(self, message: str, *, wait: float, code: str):
        super().__init__(wait)
        self.detail = ErrorDetail(message, code=code)


class SignInLockedOut(TooManyAttempts):
    """The token endpoint's answer to a locked-out username or address."""

    def __init__(self, wait: timedelta):
        super().__init__(lockout_message(wait), wait=wait.total_seconds(), code=LOCKED_OUT)


class SignInThrottled(TooManyAttempts):
    """The token endpoint's answer past its request rates."""

    def __init__(self, wait: float | None):
        wait = wait or 1
        super().__init__(f"Too many sign-in requests. Try again in {wait_in_words(wait)}.", wait=wait, code="throttled")


# The client's address


def client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE, and the token throttles' address: REMOTE_ADDR, or, when FlowPilot runs behind a
    proxy that says so (FLOWPILOT_CLIENT_IP_HEADER), the last address in that header, the one the proxy added
    (earlier entries came from the client and prove nothing)."""
    header = settings.FLOWPILOT_CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        candidate = value.rsplit(",", 1)[-1].strip()
        if _is_address(candidate):
            return candidate
    return request.META.get("REMOTE_ADDR", "")


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# POST /api/auth/token/: request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), on top of axes' failure bars


class SignInThrottle(SimpleRateThrottle):
    """Every token request counts, right or wrong, in the cache, keyed on a digest of `ident`."""

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request, view):
        ident = self.ident(request)
        if not ident:
            return None
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(ident.encode()).hexdigest()}


class SignInAddressThrottle(SignInThrottle):
    scope = "sign_in_address"

    def ident(self, request) -> str | None:
        return client_ip(request)


class SignInUsernameThrottle(SignInThrottle):
    scope = "sign_in_username"

    def ident(self, request) -> str | None:
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        return username if isinstance(username, str) else None
