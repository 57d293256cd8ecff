"""Two-factor sign-in (django-otp): an authenticator app (TOTP) with single-use recovery codes (static tokens),
required for every member of an account whose admins say so (`AccountSettings.mfa_required`). One rule says
what a right password leads to (`sign_in_next_step`): the sign-in page, the invite page and the token endpoint
ask it, and `accounts.auth_middleware` asks it of every signed-in request whose session has not been verified, so
a member who must enrol, or who has a second factor this session never used, does nothing else first.

The secret and the recovery codes are shown once, while enrolling, and never again: not by a page, an API
answer, a log line or the audit trail. Wrong codes slow down exponentially per device (OTP_*_THROTTLE_FACTOR).

A sign-in with a second factor takes two steps. The right password alone signs nobody in: it starts a pending
sign-in in the session (`sign_in_pending_begin`), and only the right code completes it (`sign_in_complete`),
which signs the user in (a new session key) as verified (`request.user.is_verified()`)."""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.auth_lockout import wait_in_words
from accounts.selectors import membership_for
from accounts.services import account_settings_for, audit_record
from flowpilot.errors import DomainError

WRONG_CODE = (
    "That code is not right. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes."
)


class SecondFactorRefused(DomainError):
    status = 400
    code = "otp_invalid"


class SecondFactorThrottled(DomainError):
    """Too many wrong codes in a row: the device takes none until `wait` seconds have passed."""

    status = 429
    code = "otp_throttled"

    def __init__(self, wait: float):
        super().__init__(f"Too many wrong codes. Try again in {wait_in_words(wait)}.")
        self.wait = max(wait, 1)


class EnrolmentMissing(DomainError):
    status = 400
    code = "mfa_enrolment_missing"


# Who needs what


def has_second_factor(user) -> bool:
    """A confirmed authenticator app (recovery codes come with it)."""
    return user_has_device(user, confirmed=True)


def mfa_required(user) -> bool:
    """The user's account requires every member to sign in with a second factor."""
    membership = membership_for(user)
    return membership is not None and account_settings_for(membership.account).mfa_required


CODE, ENROL, DONE = "code", "enrol", "done"


def sign_in_next_step(user) -> str:
    """What a right password leads to: the code step (CODE) for a user with a second factor; setting one up (ENROL)
    where the account requires it and they have none; nothing more (DONE) otherwise."""
    if has_second_factor(user):
        return CODE
    if mfa_required(user):
        return ENROL
    return DONE


def session_next_step(request) -> str:
    """`sign_in_next_step` for the signed-in user of a session that the second factor has not verified (DONE for a
    verified session, or nobody signed in). A session stays unverified when the user set up their second factor in
    another one, or their account came to require it after they signed in."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return DONE
    return sign_in_next_step(user)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Codes


def _normalised(code: str) -> str:
    """Spaces and dashes are for reading: "123 456" is 123456, "abcd-efgh" is abcdefgh."""
    return "".join(str(code).split()).replace("-", "").lower()


@sensitive_variables("code", "device")
def second_factor_verify(*, user, code: str):
    """The device that accepts `code`: the authenticator app for six digits, else the recovery codes (a
    recovery code is used up). Raises SecondFactorThrottled while the device waits out wrong codes, and
    SecondFactorRefused for a wrong one (which makes the next wait longer)."""
    code = _normalised(code)
    model = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        device = model.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        if device is None or not code:
            raise SecondFactorRefused(WRONG_CODE, field="code")
        _ensure_allowed(device)
        verified = device.verify_token(code)  # a wrong code counts against the device: commit it, then refuse
    if not verified:
        raise SecondFactorRefused(WRONG_CODE, field="code")
    return device


def _ensure_allowed(device) -> None:
    allowed, why = device.verify_is_allowed()
    if not allowed:
        raise SecondFactorThrottled((why["locked_until"] - timezone.now()).total_seconds())


# Enrolment


ENROLMENT_REUSED_FOR = timedelta(minutes=10)


@sensitive_variables()  # the device holds the secret
def totp_enrolment_start(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator secret for `user`, replacing any earlier unconfirmed one."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@sensitive_variables()
def totp_enrolment_pending(user, *, younger_than: timedelta | None = None) -> TOTPDevice | None:
    """The secret being set up (the newest unconfirmed one), if any; with `younger_than`, only one made since."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    if younger_than is not None:
        pending = pending.filter(created_at__gt=timezone.now() - younger_than)
    return pending.order_by("-id").first()


@sensitive_variables()
def totp_enrolment_open(*, user) -> TOTPDevice:
    """The secret to show on the set-up page: the one being set up if it was made in the last 10 minutes (another
    visit, a reload, a second tab or a cross-site link all show the same key, so none undoes a scan), else a new
    one. The user's row is locked so that two visits at once make one."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        device = totp_enrolment_pending(user, younger_than=ENROLMENT_REUSED_FOR)
        return device if device is not None else totp_enrolment_start(user=user)


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]  # shown once, now; only the device keeps them


@sensitive_variables()  # the code, the device's secret and the recovery codes
def totp_enrolment_confirm(*, user, code: str) -> Enrolled:
    """The first code from the app confirms its secret; the user gets FLOWPILOT_RECOVERY_CODES new recovery codes
    (any earlier second factor is replaced)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
        if device is None:
            raise EnrolmentMissing("Start again: open the two-factor page for a new QR code.")
        _ensure_allowed(device)
        verified = device.verify_token(_normalised(code))
        if verified:
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _recovery_codes_replace(user)
            _audit(user, "member.mfa_enabled")
    if not verified:
        raise SecondFactorRefused(WRONG_CODE, field="code")
    return Enrolled(device=device, recovery_codes=codes)


@sensitive_variables()  # the codes, in plain text until they are shown
def _recovery_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(settings.FLOWPILOT_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
    return [f"{token[:4]}-{token[4:]}" for token in tokens]


@sensitive_variables("code", "device")
def mfa_disable(*, user, code: str) -> None:
    """Turn the second factor off (a code proves it is the user): the app and the recovery codes go, and every
    session it verified is unverified from its next request. In an account that requires MFA the user enrols again
    before doing anything else (accounts.auth_middleware)."""
    second_factor_verify(user=user, code=code)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        _audit(user, "member.mfa_disabled")


def _audit(user, action: str) -> None:
    membership = membership_for(user)
    if membership is not None:
        audit_record(account=membership.account, actor=user, action=action, target=user.get_username())


# The steps of a sign-in, kept in the session

PENDING_SIGN_IN = "flowpilot_mfa_pending"  # a right password waiting for its code


@dataclass(frozen=True)
class PendingSignIn:
    user: object
    backend: str
    next_url: str


def sign_in_pending_begin(request, user, next_url: str = "") -> None:
    request.session[PENDING_SIGN_IN] = {
        "user": user.pk,
        "backend": user.backend,
        "since": time.time(),
        "next": next_url,
    }


def sign_in_pending(request) -> PendingSignIn | None:
    """The pending sign-in, while it is younger than FLOWPILOT_MFA_SIGN_IN_SECONDS and its user still active."""
    data = request.session.get(PENDING_SIGN_IN)
    if not isinstance(data, dict):
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or time.time() - data.get("since", 0) > settings.FLOWPILOT_MFA_SIGN_IN_SECONDS:
        request.session.pop(PENDING_SIGN_IN, None)
        return None
    return PendingSignIn(user=user, backend=data["backend"], next_url=data.get("next") or "")


@sensitive_variables("device")
def sign_in_complete(request, pending: PendingSignIn, device) -> None:
    """Sign the user in (Django rotates the session key) as verified by `device`."""
    request.session.pop(PENDING_SIGN_IN, None)
    pending.user.otp_device = device  # django_otp persists it on login: request.user.is_verified()
    login(request, pending.user, backend=pending.backend)


@sensitive_variables("device")
def session_verify(request, device) -> None:
    """The signed-in user proved `device` (a code, or confirming a new app): this session counts as verified from
    now on, under a new session key."""
    request.session.cycle_key()
    otp_login(request, device)
