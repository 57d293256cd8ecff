"""The PSA site URL is where FlowPilot sends an account's credentials: an SSRF risk. Only an https
origin on a public host is accepted, unless FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS is set (the local
simulator, tests), which also allows http.

These checks look the host up to give an admin (when saving) or a caller (before connecting) a clear
error early. They cannot stop DNS rebinding, a name that answers one address here and another to the
connection a moment later: `psa.http.guarded_session` checks the address each connection really uses."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from flowpilot.errors import InvalidInput

CW_EXAMPLE = "https://api-na.myconnectwise.net"


def _refuse(message: str, field: str = "site_url") -> InvalidInput:
    return InvalidInput(message, field=field)


def normalise_site_url(url: str) -> str:
    """`https://host[:port]` from what an admin typed; refuses paths, credentials and private hosts."""
    return normalise_url(url)


def normalise_url(
    url: str, *, field: str = "site_url", label: str = "site URL", example: str = CW_EXAMPLE, path: bool = False
) -> str:
    """What an admin typed as one of a connection's URLs, normalised: the origin `https://host[:port]`,
    followed by its path (without a trailing slash) when `path` allows one (an API root such as
    https://webservices5.autotask.net/ATServicesRest). Refuses credentials, a query, a fragment and private
    hosts; `field`, `label` and `example` name the URL in the error."""
    allow_private = settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS
    url = (url or "").strip()
    the = f"The {label}"
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed or invalid [IPv6] host
        raise _refuse(f"{the} must look like {example}.", field) from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise _refuse(f"{the} must look like {example}.", field)
    if parts.username or parts.password:
        raise _refuse(f"{the} must not carry credentials.", field)
    if parts.query or parts.fragment or (parts.path.strip("/") and not path):
        shape = "an address without a query" if path else "the origin only (no path)"
        raise _refuse(f"{the} is {shape}: {example}.", field)
    try:
        port = parts.port
    except ValueError:
        raise _refuse(f"{the} has an invalid port.", field) from None
    if not allow_private:
        check_public_host(parts.hostname, port or 443, field=field, label=label)
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets, or the port cannot be told from the address
        host = f"[{host}]"
    origin = f"{parts.scheme.lower()}://{host}"
    origin = f"{origin}:{port}" if port else origin
    return origin + parts.path.rstrip("/") if path else origin


def check_public_host(host: str, port: int, *, field: str = "site_url", label: str = "site URL") -> None:
    """Every address the host resolves to must be public (not loopback, private, link-local…)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        raise _refuse(f"The {label}'s host {host!r} does not resolve.", field) from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise _refuse(not_public_message(ip, label=label), field)


def not_public_message(address: object, *, label: str = "site URL") -> str:
    return (
        f"The {label}'s host resolves to {address}, a private, loopback or link-local address; "
        "FlowPilot only calls public PSA hosts."
    )


def check_before_connecting(url: str, *, field: str = "site_url", label: str = "site URL") -> None:
    """Re-checked before a provider is built: the opt-in may be off now, or DNS changed since the URL was saved."""
    if settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS:
        return
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise _refuse(f"The saved {label} is not https; an admin must correct it.", field)
    check_public_host(parts.hostname, parts.port or 443, field=field, label=label)
