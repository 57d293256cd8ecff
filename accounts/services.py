import re

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account, AccountSettings, Membership
from flowpilot.errors import InvalidInput

MAX_STATUS_ID = 2**31 - 1
MODEL_ID = re.compile(r"claude-[a-z0-9][a-z0-9.-]{2,80}")


@transaction.atomic
def account_create(*, name: str, admin_username: str, admin_password: str, admin_email: str = "") -> Account:
    """A new tenant, its settings and its first admin (who may sign in to Django admin)."""
    name = name.strip()
    if not name:
        raise InvalidInput("An account needs a name.", field="name")
    if Account.objects.filter(name__iexact=name).exists():
        raise InvalidInput(f"An account named {name!r} already exists.", field="name")
    account = Account.objects.create(name=name)
    AccountSettings.objects.create(account=account)
    member_create(
        account=account,
        username=admin_username,
        password=admin_password,
        email=admin_email,
        role=Membership.Role.ADMIN,
    )
    return account


@transaction.atomic
def member_create(*, account: Account, username: str, password: str, role: str, email: str = "") -> Membership:
    User = get_user_model()
    if role not in Membership.Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"The username {username!r} is taken.", field="username")
    user = User(username=username, email=email, is_staff=role == Membership.Role.ADMIN)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    user.save()
    return Membership.objects.create(user=user, account=account, role=role)


def account_settings_for(account: Account) -> AccountSettings:
    account_settings, _ = AccountSettings.objects.get_or_create(account=account)
    return account_settings


@transaction.atomic
def account_settings_update(*, account: Account, changes: dict) -> AccountSettings:
    """Set or unset (None, or "" for a model) the ConnectWise target status ids and the models per action."""
    account_settings = AccountSettings.objects.select_for_update().get(pk=account_settings_for(account).pk)
    preferences = dict(account_settings.preferences)
    model_keys = set(AccountSettings.MODEL_KEYS.values())
    for key, value in changes.items():
        if key not in AccountSettings.STATUS_KEYS and key not in model_keys:
            raise InvalidInput(f"Unknown setting {key!r}.", field=key)
        if value is None or value == "":
            preferences.pop(key, None)
        elif key in model_keys:
            if not isinstance(value, str) or not MODEL_ID.fullmatch(value):
                raise InvalidInput("A model id looks like claude-sonnet-5-5.", field=key)
            preferences[key] = value
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_STATUS_ID:
            raise InvalidInput("A status id is a positive integer (or null to unset it).", field=key)
        else:
            preferences[key] = value
    account_settings.preferences = preferences
    account_settings.save(update_fields=["preferences", "updated_at"])
    return account_settings
