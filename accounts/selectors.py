from functools import reduce
from operator import or_

from django.apps import apps
from django.db.models import Exists, OuterRef, Value
from django_otp import device_classes, user_has_device

from accounts.models import Account, AuditEvent, Membership


def membership_for(user) -> Membership | None:
    """The user's membership, or None for anonymous users and users outside every account."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def account_for(user) -> Account | None:
    membership = membership_for(user)
    return membership.account if membership else None


def is_account_admin(user) -> bool:
    membership = membership_for(user)
    return bool(membership and membership.is_admin)


def members_of(account: Account):
    """The account's people, by username, with their users and whether each has a second factor
    (`member_mfa_enabled`), in one query however many there are."""
    return (
        Membership.objects.filter(account=account)
        .select_related("user")
        .annotate(has_mfa=_has_confirmed_device())
        .order_by("user__username")
    )


def _has_confirmed_device():
    """The membership's user has a confirmed device of any django-otp kind (an authenticator app, recovery codes)."""
    if not apps.is_installed("django_otp"):
        return Value(False)
    return reduce(
        or_, (Exists(device.objects.filter(user=OuterRef("user"), confirmed=True)) for device in device_classes())
    )


def member_of(account: Account, user_id) -> Membership | None:
    """One of the account's members by user id; None for anyone else (another account's member is not found)."""
    if not str(user_id).isdigit():
        return None
    return members_of(account).filter(user_id=int(user_id)).first()


def mfa_enabled(user) -> bool:
    """Whether the user has a confirmed second factor (django-otp). False where django-otp is not installed."""
    return apps.is_installed("django_otp") and user_has_device(user, confirmed=True)


def member_mfa_enabled(membership: Membership) -> bool:
    """`mfa_enabled` for a member, read from `members_of`'s annotation when the membership came from there."""
    has_mfa = getattr(membership, "has_mfa", None)
    return mfa_enabled(membership.user) if has_mfa is None else has_mfa


def has_pending_invite(user) -> bool:
    """Invited and not yet signed up: no password set, and an invite that can still be used."""
    return not user.has_usable_password() and any(invite.is_usable for invite in user.invites.all())


def audit_events(account: Account):
    return AuditEvent.objects.for_account(account)
