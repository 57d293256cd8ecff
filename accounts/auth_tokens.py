"""API tokens (DRF's authtoken model, one per user): issued for a username and password, and the second factor
when the user has one; listed and revoked by their owner. A listing shows a token's first characters, never
the key."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.views.decorators.debug import sensitive_variables
from rest_framework.authtoken.models import Token

from accounts import auth_mfa
from accounts.auth_lockout import SignInLockedOut, lockout_wait
from flowpilot.errors import DomainError

TOKEN_PREFIX_LENGTH = 6


class InvalidCredentials(DomainError):
    status = 400
    code = "invalid_credentials"


class SecondFactorMissing(DomainError):
    status = 400
    code = "otp_required"


class EnrolmentRequired(DomainError):
    status = 403
    code = "mfa_enrolment_required"


@sensitive_variables("password", "otp")
def api_token_issue(*, request, username: str, password: str, otp: str | None = None) -> Token:
    """The user's token, made on first use. `request` is Django's: django-axes counts a failure against the
    username and address, and refuses a locked-out one before checking the password (SignInLockedOut, 429)."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise SignInLockedOut(lockout_wait(request, {"username": username}))
        raise InvalidCredentials("Unable to sign in with that username and password.")
    step = auth_mfa.sign_in_next_step(user)
    if step == auth_mfa.CODE:
        if not otp:
            raise SecondFactorMissing(
                "This user signs in with a second factor: send `otp`, the code from the authenticator app "
                "(or a recovery code).",
                field="otp",
            )
        auth_mfa.second_factor_verify(user=user, code=otp)
    elif step == auth_mfa.ENROL:
        raise EnrolmentRequired(
            "Your account requires a second factor: sign in on the FlowPilot sign-in page to set one up, "
            "then ask for a token again."
        )
    token, _ = Token.objects.get_or_create(user=user)
    user_logged_in.send(sender=type(user), request=request, user=user)  # last_login; axes clears the failures
    return token


def api_tokens_of(user) -> list[dict]:
    return [
        {"prefix": token.key[:TOKEN_PREFIX_LENGTH], "created": token.created}
        for token in Token.objects.filter(user=user)
    ]


def api_token_revoke(*, user) -> None:
    """The user's token stops working at once; revoking none is no error (none is left either way)."""
    Token.objects.filter(user=user).delete()
