"""Writes and calls around an account's PSA connection. The writeback itself is in `psa.writeback`."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.views.decorators.debug import sensitive_variables
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from accounts.models import Account
from accounts.services import audit_record
from flowpilot.errors import DomainError, InvalidInput
from psa.crypto import SecretUnreadable
from psa.models import PsaConnection
from psa.providers.base import BoardStatus, PsaError, PsaProvider, PsaValidationError, Ticket, TicketContext
from psa.providers.connectwise import discover_codebase
from psa.site_url import check_before_connecting
from psa.specs import CONNECTWISE, PROVIDERS

CONNECT_TIMEOUT_SECONDS = 3.05  # a little over a multiple of 3 s, TCP's retransmission window
# The ticket's context is read when the workspace opens, after an import, and again to promote a note: a
# minute keeps those to one PSA read, and what the ticket says rarely changes within it.
TICKET_CONTEXT_SECONDS = 60
RECENT_NOTES = 5
CACHE_DOWN = (RedisConnectionError, RedisTimeoutError)

logger = logging.getLogger(__name__)


class PsaNotConfigured(DomainError):
    code = "psa_not_configured"


def connection_for(account: Account) -> PsaConnection | None:
    return PsaConnection.objects.filter(account=account).first()


def provider_for(connection: PsaConnection) -> PsaProvider:
    """The provider for this connection, after re-checking its URLs and decrypting its secrets. Its HTTP session
    checks each connection's address too (`psa.http`): a host refused then raises `HostNotPublic`, a PsaError."""
    spec = connection.spec
    try:
        spec.check_urls(connection.field_values())
    except InvalidInput as exc:  # the opt-in was turned off, or the host now resolves privately
        raise PsaNotConfigured(exc.message) from None
    try:
        connection_settings = connection.connection_settings()
    except SecretUnreadable as exc:
        raise PsaNotConfigured(str(exc)) from None
    timeout = (CONNECT_TIMEOUT_SECONDS, settings.FLOWPILOT_PSA_READ_TIMEOUT_SECONDS)
    return spec.build(
        connection_settings, timeout=timeout, save_changes=lambda changes: _learned_save(connection, changes)
    )


def _learned_save(connection: PsaConnection, changes: dict) -> None:
    """The provider learned where the PSA now is (ConnectWise: a cloud upgrade moved the codebase; Autotask: the
    zone of the username, or the database moved): keep it, so the next call starts there. Only the provider's
    non-secret fields are kept; the row's other fields (an admin's edit meanwhile) are left as they are."""
    spec = connection.spec
    known = {field.name for field in spec.plain_fields}
    try:  # what the PSA said passes the checks an admin's typing does (Autotask's zone: https, public, no userinfo)
        changes = {
            name: spec.field(name).clean(value)
            for name, value in changes.items()
            if name in known and isinstance(value, str)
        }
    except InvalidInput as exc:
        raise PsaValidationError(f"{spec.label} pointed FlowPilot somewhere it will not go: {exc.message}") from None
    if not changes:
        return
    with transaction.atomic():
        locked = PsaConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.provider != connection.provider:
            return  # an admin switched the PSA meanwhile
        if connection.spec.columns:
            for name, value in changes.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*changes, "updated_at"])
        else:
            locked.options = {**locked.options, **changes}
            locked.save(update_fields=["options", "updated_at"])
    for name, value in changes.items():
        if connection.spec.columns:
            setattr(connection, name, value)
        else:
            connection.options = {**connection.options, name: value}


def note_as_it_lands(connection: PsaConnection | None, markdown: str) -> tuple[str, str] | None:
    """(format in words, the exact text) of a note on this connection's PSA; None without a connection.
    HaloPSA's notes are sanitised HTML: its text is that HTML source, exactly what the ticket stores."""
    if connection is None:
        return None
    provider = connection.spec.provider_class
    return provider.note_format, provider.render_note(markdown)


@sensitive_variables("fields", "secrets")  # not in error reports; atomic is a with-block so no wrapper frame holds them
def psa_connection_save(
    *,
    account: Account,
    provider: str = CONNECTWISE,
    board_id: int | None = None,
    notify_customer: bool = False,
    actor=None,
    **fields: str,
) -> PsaConnection:
    """Create or replace the account's connection with `provider`'s fields (`psa.specs`). A secret may be left
    out (or empty) to keep the stored one, as long as the provider stays the same. Every field is checked and
    every problem named at once (InvalidInput with an error per field). The audit trail records which fields
    changed and which secrets were replaced, never a value."""
    spec = PROVIDERS.get(provider) if isinstance(provider, str) else None
    if spec is None:
        choices = ", ".join(PROVIDERS)
        raise InvalidInput(f"Unknown PSA provider {provider!r}; one of {choices}.", field="provider")
    unknown = sorted(set(fields) - {field.name for field in spec.fields})
    if unknown:
        raise InvalidInput(
            f"{spec.label} has no field {', '.join(unknown)}.",
            errors={name: ["Not a field of this PSA."] for name in unknown},
        )
    values, errors = {}, {}
    for field in spec.plain_fields:
        try:
            values[field.name] = field.clean(fields.get(field.name) or "")
        except InvalidInput as exc:
            errors[field.name] = [exc.message]
    secrets = {}
    for field in spec.secret_fields:
        if fields.get(field.name):
            try:
                secrets[field.name] = field.clean(fields[field.name])
            except InvalidInput as exc:
                errors[field.name] = [exc.message]
    with transaction.atomic():
        connection = PsaConnection.objects.select_for_update().filter(account=account).first() or PsaConnection(
            account=account
        )
        same_provider = connection.pk is not None and connection.provider == spec.key
        for field in spec.secret_fields:
            if field.name in errors:
                continue
            if field.name not in secrets and not (same_provider and connection.has_secret(field.name)):
                errors[field.name] = [field.required_message]
        if errors:
            messages = [message for field_errors in errors.values() for message in field_errors]
            raise InvalidInput(" ".join(messages), errors=errors)
        before = _audited_state(connection) if connection.pk else None
        connection.set_fields(spec, values, secrets)
        connection.board_id = board_id if spec.uses_board else None
        connection.notify_customer = notify_customer if spec.notifies_customer else False
        connection.save()
        after = _audited_state(connection)
        audit_record(
            account=account,
            actor=actor,
            action="psa_connection.saved",
            target=f"{spec.label} connection",
            details={
                "provider": spec.key,
                "created": before is None,
                "changed": sorted(name for name in after if before is None or before.get(name) != after[name]),
                "secrets_changed": sorted(secrets),
            },
        )
        return connection


def _audited_state(connection: PsaConnection) -> dict:
    """The connection's non-secret settings, compared before and after a save to name what changed."""
    return {
        "provider": connection.provider,
        **connection.field_values(),
        "board_id": connection.board_id,
        "notify_customer": connection.notify_customer,
    }


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    code: str = ""


def psa_connection_test(*, connection: PsaConnection) -> ConnectionCheck:
    """Call the PSA with the stored credentials (and read the statuses the settings offer) and say what happened."""
    try:
        provider = provider_for(connection)
        version = provider.check_credentials()
        detail = ""
        if connection.spec.uses_board and connection.board_id:
            active = _active_statuses(provider, connection.board_id)
            detail = f"; board {connection.board_id} has {len(active)} active statuses"
        elif not connection.spec.uses_board:
            detail = f"; {len(_active_statuses(provider, None))} active ticket statuses"
    except (PsaError, DomainError) as exc:
        return ConnectionCheck(False, exc.message, exc.code)
    return ConnectionCheck(True, f"Connected to {version}{detail}.")


def board_statuses(connection: PsaConnection | None) -> list[BoardStatus] | None:
    """The active statuses the account's target statuses are chosen from: the board's on ConnectWise, the
    ticket status list on Autotask and HaloPSA. None when they cannot be read (no board, PSA unreachable)."""
    if connection is None or (connection.spec.uses_board and not connection.board_id):
        return None
    try:
        return _active_statuses(provider_for(connection), connection.board_id if connection.spec.uses_board else None)
    except (PsaError, DomainError):
        return None


def _active_statuses(provider: PsaProvider, board_id: int | None) -> list[BoardStatus]:
    # A provider without boards (Autotask, HaloPSA) has one status list and ignores the board id.
    return [status for status in provider.list_board_statuses(board_id or 0) if not status.inactive]


def psa_connection_discover_codebase(*, connection: PsaConnection) -> str:
    """Ask ConnectWise (unauthenticated) for the company's codebase and store it. Raises PsaError or
    InvalidInput (a site URL that is no longer allowed, a connection to another PSA)."""
    if connection.provider != CONNECTWISE:
        raise InvalidInput(f"Only ConnectWise has a codebase; this connection is to {connection.spec.label}.")
    check_before_connecting(connection.site_url)
    codebase = discover_codebase(connection.site_url, connection.company_id)
    _learned_save(connection, {"codebase": codebase})
    return codebase


def ticket_lookup(*, account: Account, ticket_id: int) -> Ticket:
    """The PSA's view of a ticket (summary, board, status). Every failure is a DomainError in plain words."""
    connection = connection_for(account)
    if connection is None:
        raise PsaNotConfigured("This account has no PSA connection yet; an admin can add one in the admin.")
    try:
        return provider_for(connection).get_ticket(ticket_id)
    except PsaError as exc:
        raise DomainError(exc.message, code=exc.code, field="psa_ticket_id") from None


def _ticket_context_key(connection: PsaConnection, ticket_id: int) -> str:
    # The connection's last save is in the key: new credentials or another site never answer from the old one.
    saved = connection.updated_at.timestamp()
    return f"psa:ticket-context:{connection.account_id}:{connection.pk}:{saved}:{int(ticket_id)}"


def ticket_context_if_known(*, account: Account, ticket_id: int) -> TicketContext | None:
    """The ticket's context if it was read within the last minute, without asking the PSA (for pages that
    must not wait on it); None otherwise."""
    connection = connection_for(account)
    if connection is None:
        return None
    try:
        return cache.get(_ticket_context_key(connection, ticket_id))
    except CACHE_DOWN:
        return None


def ticket_context(*, account: Account, ticket_id: int) -> TicketContext:
    """What the ticket says (company, contact, priority, description, recent notes), kept for a minute per
    account and ticket. A failure is a DomainError in plain words, and is not kept: the next look asks again.
    With the cache down the PSA is simply asked each time."""
    connection = connection_for(account)
    if connection is None:
        raise PsaNotConfigured("This account has no PSA connection yet; an admin can add one in the admin.")
    key = _ticket_context_key(connection, ticket_id)
    try:
        context = cache.get(key)
    except CACHE_DOWN as exc:
        logger.warning("The cache is unreachable; reading ticket %s from the PSA: %s", ticket_id, exc)
        context = None
    if context is not None:
        return context
    try:
        context = provider_for(connection).get_ticket_context(ticket_id, recent_notes=RECENT_NOTES)
    except PsaError as exc:
        raise DomainError(exc.message, code=exc.code, field="psa_ticket_id") from None
    try:
        cache.set(key, context, TICKET_CONTEXT_SECONDS)
    except CACHE_DOWN as exc:
        logger.warning("The cache is unreachable; ticket %s's context is not kept: %s", ticket_id, exc)
    return context
