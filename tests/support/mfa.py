"""The second factor in tests: codes an authenticator app would show, and a user with MFA set up."""

import time
from base64 import b32decode

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import auth_mfa
from tests.support.clients import web_client_for


def totp_code(key: bytes, *, steps_ahead: int = 0) -> str:
    """The 6-digit code for `key` now, or `steps_ahead` 30-second steps on: a code already used is refused, the
    next step's is still accepted (one step of tolerance)."""
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def key_of_secret(secret: str) -> bytes:
    """The key behind the base32 secret a person types into their app ("ABCD EFGH …")."""
    return b32decode("".join(secret.split()))


def enrolled(user) -> tuple[bytes, list[str]]:
    """`user` with an authenticator app (its key) and fresh recovery codes, as the two-factor page sets them up."""
    device = auth_mfa.totp_enrolment_start(user=user)
    result = auth_mfa.totp_enrolment_confirm(user=user, code=totp_code(device.bin_key))
    return device.bin_key, result.recovery_codes


def verified_web_client_for(user) -> Client:
    """`web_client_for` `user`, who has an authenticator app, with the session verified by it: as signing in with
    the code leaves a session (an unverified one is sent to the code step: accounts.auth_middleware)."""
    client = web_client_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client
