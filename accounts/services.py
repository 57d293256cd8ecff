"""Every write to the accounts app: tenants, members and their invites, settings, and the audit trail that
records each change in the same transaction as the change."""

import secrets
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from rest_framework.authtoken.models import Token

from accounts.models import Account, AccountSettings, AuditEvent, Invite, Membership
from accounts.selectors import mfa_enabled
from flowpilot.errors import DomainError, InvalidInput

MAX_STATUS_ID = 2**31 - 1
USERNAME_MAX = 150


# A function holding a secret is `sensitive_variables` (Django's error report lists each frame's locals, and the
# callees' frames are covered too) and opens its transaction with a `with` block: `@transaction.atomic` would
# add a frame between the two that shows the arguments, secret included.


@sensitive_variables("admin_password")
def account_create(*, name: str, admin_username: str, admin_password: str, admin_email: str = "") -> Account:
    """A new tenant, its settings and its first admin (who may sign in to Django admin)."""
    name = name.strip()
    if not name:
        raise InvalidInput("An account needs a name.", field="name")
    with transaction.atomic():
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


@sensitive_variables("password")
def member_create(*, account: Account, username: str, password: str | None, role: str, email: str = "") -> Membership:
    """A user in `account` with `role`. Without a password the user cannot sign in until an invite sets one
    (`member_add`). Admins may sign in to Django admin (`is_staff`)."""
    User = get_user_model()
    username = (username or "").strip()
    email = (email or "").strip()
    errors = {}
    if role not in Membership.Role.values:
        errors["role"] = [f"Unknown role {role!r}; one of {', '.join(Membership.Role.values)}."]
    try:
        _validate_username(username)
    except ValidationError as exc:
        errors["username"] = exc.messages
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
    if not errors and User.objects.filter(username__iexact=username).exists():
        errors["username"] = [f"The username {username!r} is taken: choose another."]
    user = User(username=username, email=email, is_staff=role == Membership.Role.ADMIN)
    if password is not None and "username" not in errors:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise InvalidInput(" ".join(message for messages in errors.values() for message in messages), errors=errors)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # a concurrent add took the username
            raise InvalidInput(f"The username {username!r} is taken: choose another.", field="username") from None
        return Membership.objects.create(user=user, account=account, role=role)


def _validate_username(username: str) -> None:
    if not username:
        raise ValidationError("A member needs a username.")
    if len(username) > USERNAME_MAX:
        raise ValidationError(f"A username has at most {USERNAME_MAX} characters.")
    UnicodeUsernameValidator()(username)


# The team, managed by the account's admins (DESIGN §5 members)


class LastAdmin(DomainError):
    code = "last_admin"


@dataclass(frozen=True)
class MemberAdded:
    membership: Membership
    invite_token: str | None  # the invite's secret, when one was made: shown once, stored only hashed


@sensitive_variables("password", "token")
def member_add(
    *, account: Account, actor, username: str, role: str, email: str = "", password: str | None = None
) -> MemberAdded:
    """Add an engineer or admin. With a password they can sign in at once; without one they get an invite:
    a single-use link, valid `Invite.VALID_FOR`, to set it."""
    with transaction.atomic():
        membership = member_create(account=account, username=username, password=password, role=role, email=email)
        token = _invite_create(user=membership.user, actor=actor) if password is None else None
        audit_record(
            account=account,
            actor=actor,
            action="member.added",
            target=membership.user.username,
            details={"role": role, "invited": token is not None},
        )
    return MemberAdded(membership=membership, invite_token=token)


@sensitive_variables("token")
def member_invite_renew(*, membership: Membership, actor) -> str:
    """A fresh invite link for a member who has not set a password yet; the earlier links stop working."""
    with transaction.atomic():
        user = membership.user
        if user.has_usable_password():
            raise DomainError(f"{user.username} has already set a password.", code="invite_not_needed")
        if not user.is_active:
            raise DomainError(f"{user.username} is deactivated: reactivate them first.", code="member_inactive")
        token = _invite_create(user=user, actor=actor)
        audit_record(account=membership.account, actor=actor, action="member.invited", target=user.username)
    return token


@sensitive_variables("token")
def _invite_create(*, user, actor) -> str:
    """A new invite for `user`, replacing any earlier unused one. Returns the token (only its hash is kept)."""
    now = timezone.now()
    Invite.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    Invite.objects.create(
        user=user, token_hash=Invite.hash_of(token), created_by=actor, expires_at=now + Invite.VALID_FOR
    )
    return token


def invite_for_token(token: str) -> Invite | None:
    """The invite this link is for while it can still be used (unused, unexpired, its user active); else None.
    Every other case looks the same, so a link tells nothing about which users exist."""
    invite = Invite.objects.select_related("user__membership__account").filter(token_hash=Invite.hash_of(token)).first()
    return invite if invite is not None and invite.is_usable else None


class InviteUnusable(DomainError):
    status = 404
    code = "invite_unusable"


INVITE_UNUSABLE = (
    "This invite link cannot be used: it has expired, was already used, or was replaced by a newer one. "
    "Ask your account admin for a new link."
)


@sensitive_variables("token", "password")
def invite_accept(*, token: str, password: str):
    """Set the invited member's password and use up the invite. Returns the user, ready to be signed in."""
    with transaction.atomic():
        invite = Invite.objects.select_for_update().filter(token_hash=Invite.hash_of(token)).first()
        if invite is None or not invite.is_usable:
            raise InviteUnusable(INVITE_UNUSABLE)
        user = invite.user
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="password") from None
        user.set_password(password)
        user.save(update_fields=["password"])
        invite.used_at = timezone.now()
        invite.save(update_fields=["used_at"])
        audit_record(account=user.membership.account, actor=user, action="member.joined", target=user.username)
    return user


def member_update(
    *, membership: Membership, actor, role: str | None = None, is_active: bool | None = None
) -> Membership:
    """Change a member's role, or deactivate (their sign-ins and API tokens end at once) or reactivate them.
    The account's last active admin can be neither demoted nor deactivated (409 `last_admin`)."""
    if role is not None and role not in Membership.Role.values:
        raise InvalidInput(f"Unknown role {role!r}; one of {', '.join(Membership.Role.values)}.", field="role")
    with transaction.atomic():
        # Lock the account's admins: two admins demoting each other at once must not both succeed.
        admins = list(
            Membership.objects.select_for_update()
            .filter(account=membership.account, role=Membership.Role.ADMIN)
            .select_related("user")
        )
        membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        user = membership.user
        new_role = role if role is not None else membership.role
        new_active = is_active if is_active is not None else user.is_active
        stays_admin = new_role == Membership.Role.ADMIN and new_active
        if membership.is_admin and user.is_active and not stays_admin:
            others = [admin for admin in admins if admin.pk != membership.pk and admin.user.is_active]
            if not others:
                raise LastAdmin(
                    f"{user.username} is the account's last active admin: make another member an admin first.",
                    field="role" if role is not None and role != membership.role else "is_active",
                )
        if new_role != membership.role:
            audit_record(
                account=membership.account,
                actor=actor,
                action="member.role_changed",
                target=user.username,
                details={"from": membership.role, "to": new_role},
            )
            membership.role = new_role
            membership.save(update_fields=["role"])
            if not user.is_superuser:
                user.is_staff = new_role == Membership.Role.ADMIN
                user.save(update_fields=["is_staff"])
        if new_active != user.is_active:
            user.is_active = new_active
            user.save(update_fields=["is_active"])
            if not new_active:
                sign_ins_revoke(user)
            audit_record(
                account=membership.account,
                actor=actor,
                action="member.deactivated" if not new_active else "member.reactivated",
                target=user.username,
            )
    return membership


def sign_ins_revoke(user) -> None:
    """End every sign-in of `user` now: their browser sessions (the database's session rows) and API tokens.
    A session store that cannot be listed (a cache-only engine) is covered by `is_active`: Django refuses an
    inactive user's session on its next request anyway."""
    Token.objects.filter(user=user).delete()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return
    user_id = str(user.pk)
    live = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for row in live.iterator():
        if store().decode(row.session_data).get("_auth_user_id") == user_id:
            store(session_key=row.session_key).delete()


# The audit trail


def audit_record(*, account: Account, actor, action: str, target: str = "", details: dict | None = None) -> AuditEvent:
    """One row of the account's audit trail, written in the caller's transaction, so the record and the change
    commit together or not at all. `details` names what changed; never put a secret's value in it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record runs inside the transaction of the change it records.")
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        account=account,
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        action=action,
        target=str(target)[:255],
        details=details or {},
    )


def account_settings_for(account: Account) -> AccountSettings:
    account_settings, _ = AccountSettings.objects.get_or_create(account=account)
    return account_settings


def account_settings_update(*, account: Account, changes: dict, actor=None) -> AccountSettings:
    """Set or unset (None) the target status ids, named `resolved_status_id` / `escalated_status_id` or by
    their stored keys (`AccountSettings.STATUS_KEYS`, the `cw_` aliases). A name and its alias given two
    different values is refused. `mfa_required` (true or false) makes a second factor required for every member:
    turning it on revokes, in the same transaction, the API tokens of members who have none (browser sessions are
    held to it from their next request: accounts.auth_middleware)."""
    changes = status_keys(changes)
    for key, value in changes.items():
        if key == AccountSettings.MFA_REQUIRED_KEY:
            if not isinstance(value, bool):
                raise InvalidInput("mfa_required is true or false.", field=key)
            changes[key] = value or None  # off is the default: unset
            continue
        if key not in AccountSettings.STATUS_KEYS:
            raise InvalidInput(f"Unknown setting {key!r}.", field=key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_STATUS_ID
        ):
            raise InvalidInput("A status id is a positive integer (or null to unset it).", field=key)
    with transaction.atomic():
        saved = account_preferences_save(account=account, changes=changes, actor=actor)
        if changes.get(AccountSettings.MFA_REQUIRED_KEY):
            _api_tokens_without_second_factor_revoke(account=account, actor=actor)
    return saved


@sensitive_variables("tokens", "unprotected", "token")  # a Token shows as its key
def _api_tokens_without_second_factor_revoke(*, account: Account, actor) -> None:
    """The account requires a second factor: a token issued without one stops working (a new one takes it), each
    recorded as `member.api_token_revoked`."""
    tokens = Token.objects.filter(user__membership__account=account).select_related("user").order_by("user__username")
    unprotected = [token for token in tokens if not mfa_enabled(token.user)]
    Token.objects.filter(pk__in=[token.pk for token in unprotected]).delete()
    for token in unprotected:
        audit_record(
            account=account,
            actor=actor,
            action="member.api_token_revoked",
            target=token.user.username,
            details={"reason": "two-factor sign-in required"},
        )


def status_keys(changes: dict) -> dict:
    """The changes under the stored keys: `resolved_status_id` becomes `cw_resolved_status_id`, and so on."""
    stored: dict = {}
    for name, value in changes.items():
        key = AccountSettings.STATUS_NAMES.get(name, name)
        if key in stored and stored[key] != value:
            alias = next(alias for alias, target in AccountSettings.STATUS_NAMES.items() if target == key)
            raise InvalidInput(f"{alias} and {key} name the same setting; send one of them.", field=alias)
        stored[key] = value
    return stored


@transaction.atomic
def account_preferences_save(*, account: Account, changes: dict, actor=None) -> AccountSettings:
    """Set each key to its value, or unset it (None), under the row lock, and record what changed. The caller
    validated them: this app checks its own keys (`account_settings_update`), other apps theirs
    (`llm.actions.account_models_update`). Preferences hold ids and names, never secrets."""
    account_settings = AccountSettings.objects.select_for_update().get(pk=account_settings_for(account).pk)
    before = account_settings.preferences
    preferences = dict(before)
    for key, value in changes.items():
        if value is None:
            preferences.pop(key, None)
        else:
            preferences[key] = value
    changed = {
        key: {"from": before.get(key), "to": preferences.get(key)}
        for key in sorted(changes)
        if before.get(key) != preferences.get(key)
    }
    account_settings.preferences = preferences
    account_settings.save(update_fields=["preferences", "updated_at"])
    if changed:
        audit_record(
            account=account, actor=actor, action="settings.changed", target="Account settings", details=changed
        )
    return account_settings
