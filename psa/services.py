"""Writes and calls around an account's PSA connection. The writeback itself is in `psa.writeback`."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from accounts.models import Account
from flowpilot.errors import DomainError, InvalidInput
from psa.crypto import SecretUnreadable
from psa.models import DEFAULT_CODEBASE, PsaConnection
from psa.providers.base import BoardStatus, PsaError, PsaProvider, Ticket
from psa.providers.connectwise import CODEBASE_PATTERN, ConnectWiseProvider, discover_codebase
from psa.site_url import check_before_connecting, normalise_site_url

PROVIDERS: dict[str, type[PsaProvider]] = {PsaConnection.Provider.CONNECTWISE: ConnectWiseProvider}
CONNECT_TIMEOUT_SECONDS = 3.05  # a little over a multiple of 3 s, TCP's retransmission window


class PsaNotConfigured(DomainError):
    code = "psa_not_configured"


def connection_for(account: Account) -> PsaConnection | None:
    return PsaConnection.objects.filter(account=account).first()


def provider_for(connection: PsaConnection) -> PsaProvider:
    """The provider for this connection, after re-checking its site URL and decrypting its key."""
    try:
        check_before_connecting(connection.site_url)
    except InvalidInput as exc:  # the opt-in was turned off, or the host now resolves privately
        raise PsaNotConfigured(exc.message) from None
    try:
        connection_settings = connection.connection_settings()
    except SecretUnreadable as exc:
        raise PsaNotConfigured(str(exc)) from None
    timeout = (CONNECT_TIMEOUT_SECONDS, settings.FLOWPILOT_PSA_READ_TIMEOUT_SECONDS)
    return PROVIDERS[connection.provider](connection_settings, timeout=timeout)


@sensitive_variables("private_key")  # not in error reports; atomic is a with-block so no wrapper frame holds it
def psa_connection_save(
    *,
    account: Account,
    site_url: str,
    company_id: str,
    public_key: str,
    client_id: str,
    private_key: str | None = None,
    provider: str = PsaConnection.Provider.CONNECTWISE,
    codebase: str = DEFAULT_CODEBASE,
    board_id: int | None = None,
    notify_customer: bool = False,
) -> PsaConnection:
    """Create or replace the account's connection. The private key may be left out to keep the stored one."""
    if provider not in PROVIDERS:
        raise InvalidInput(f"Unknown PSA provider {provider!r}.", field="provider")
    codebase = (codebase or DEFAULT_CODEBASE).strip()
    if not CODEBASE_PATTERN.fullmatch(codebase):
        raise InvalidInput("A codebase looks like v4_6_release/.", field="codebase")
    with transaction.atomic():
        connection = PsaConnection.objects.select_for_update().filter(account=account).first() or PsaConnection(
            account=account
        )
        if private_key:
            connection.set_private_key(private_key)
        elif not connection.has_private_key:
            raise InvalidInput("A private key is required.", field="private_key")
        connection.provider = provider
        connection.site_url = normalise_site_url(site_url)
        connection.company_id = company_id.strip()
        connection.public_key = public_key.strip()
        connection.client_id = client_id.strip()
        connection.codebase = codebase if codebase.endswith("/") else f"{codebase}/"
        connection.board_id = board_id
        connection.notify_customer = notify_customer
        connection.save()
        return connection


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    code: str = ""


def psa_connection_test(*, connection: PsaConnection) -> ConnectionCheck:
    """Call the PSA with the stored credentials (and the board, when one is set) and say what happened."""
    try:
        provider = provider_for(connection)
        version = provider.check_credentials()
        detail = ""
        if connection.board_id:
            active = _active_statuses(provider, connection.board_id)
            detail = f"; board {connection.board_id} has {len(active)} active statuses"
    except (PsaError, DomainError) as exc:
        return ConnectionCheck(False, exc.message, exc.code)
    return ConnectionCheck(True, f"Connected to {version}{detail}.")


def board_statuses(connection: PsaConnection | None) -> list[BoardStatus] | None:
    """The board's active statuses, or None when they cannot be read (no board, PSA unreachable)."""
    if connection is None or not connection.board_id:
        return None
    try:
        return _active_statuses(provider_for(connection), connection.board_id)
    except (PsaError, DomainError):
        return None


def _active_statuses(provider: PsaProvider, board_id: int) -> list[BoardStatus]:
    return [status for status in provider.list_board_statuses(board_id) if not status.inactive]


def psa_connection_discover_codebase(*, connection: PsaConnection) -> str:
    """Ask ConnectWise (unauthenticated) for the company's codebase and store it. Raises PsaError or
    InvalidInput (a site URL that is no longer allowed)."""
    check_before_connecting(connection.site_url)
    codebase = discover_codebase(connection.site_url, connection.company_id)
    PsaConnection.objects.filter(pk=connection.pk).update(codebase=codebase)
    connection.codebase = codebase
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
