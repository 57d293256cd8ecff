"""The PSA site URL is where FlowPilot sends an account's credentials: an SSRF risk. Only an https
origin on a public host is accepted, unless FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS is set (the local
simulator, tests), which also allows http."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from flowpilot.errors import InvalidInput


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="site_url")


def normalise_site_url(url: str) -> str:
    """`https://host[:port]` from what an admin typed; refuses paths, credentials and private hosts."""
    allow_private = settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed or invalid [IPv6] host
        raise _refuse("The site URL must look like https://api-na.myconnectwise.net.") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise _refuse("The site URL must look like https://api-na.myconnectwise.net.")
    if parts.username or parts.password:
        raise _refuse("The site URL must not carry credentials.")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise _refuse("The site URL is the origin only (no path): https://api-na.myconnectwise.net.")
    try:
        port = parts.port
    except ValueError:
        raise _refuse("The site URL has an invalid port.") from None
    if not allow_private:
        check_public_host(parts.hostname, port or 443)
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets, or the port cannot be told from the address
        host = f"[{host}]"
    origin = f"{parts.scheme.lower()}://{host}"
    return f"{origin}:{port}" if port else origin


def check_public_host(host: str, port: int) -> None:
    """Every address the host resolves to must be public (not loopback, private, link-local…)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        raise _refuse(f"The site URL's host {host!r} does not resolve.") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise _refuse(
                f"The site URL's host resolves to {ip}, a private, loopback or link-local address; "
                "FlowPilot only calls public PSA hosts."
            )


def check_before_connecting(site_url: str) -> None:
    """Re-checked right before each connection: DNS may have changed since the URL was saved."""
    if settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS:
        return
    parts = urlsplit(site_url)
    if parts.scheme != "https" or not parts.hostname:
        raise _refuse("The saved site URL is not https; an admin must correct it.")
    check_public_host(parts.hostname, parts.port or 443)
