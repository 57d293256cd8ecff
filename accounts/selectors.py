from accounts.models import Account, Membership


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
