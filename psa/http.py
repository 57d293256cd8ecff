"""The one HTTP session every PSA provider calls through: its connections reach public hosts only.

Checking the site URL's host before a call is not enough: `requests` would look the name up again to
connect, and a DNS-rebinding name answers a public address to the check and a private one to the
connection. So each request here resolves the host once, refuses a private, loopback or link-local
answer, and connects to exactly the address it checked, while TLS (SNI and the certificate check) and
the Host header keep the real host name. requests-hardened does this: its adapter pins the connection
pool to the checked address. With FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS (the local simulator, tests) private
addresses are allowed, as the site-URL checks allow them.

Redirects are never followed, whatever a caller passes, and a request that forgets its timeout gets one.
"""

from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

from psa.providers.base import PsaError
from psa.site_url import not_public_message

DEFAULT_TIMEOUT = (3.05, 15)  # (connect, read) seconds; every provider call passes its own


class HostNotPublic(PsaError):
    """When connecting, a host resolved to an address FlowPilot does not call: nothing was sent.

    Not a `requests` error, so it passes a provider's mapping of those unchanged, with the words of the
    site-URL checks; its code is the one a refused site URL has before connecting."""

    code = "psa_not_configured"


class _PublicHostsSession(HTTPSession):
    def __init__(self, config: Config, *, label: str | None):
        super().__init__(config)
        self._label = label

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        try:
            return super().send(request, **kwargs)
        except InvalidIPAddress as exc:  # raised with the refused address, before any connection is opened
            raise HostNotPublic(self._refusal(exc.args[0], urlsplit(request.url).hostname)) from exc

    def _refusal(self, address: object, host: str | None) -> str:
        if self._label:
            return not_public_message(address, label=self._label)
        return (
            f"The host {host} resolves to {address}, a private, loopback or link-local address; "
            "FlowPilot only calls public PSA hosts."
        )


def guarded_session(*, label: str | None = "site URL") -> requests.Session:
    """A new session for one provider (or one unauthenticated call); the opt-in is read now. A refused host is
    named by `label` (the one URL the session calls), or by its name when the session calls several."""
    return _PublicHostsSession(
        Config(
            ip_filter_enable=not settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS,
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=DEFAULT_TIMEOUT,
        ),
        label=label,
    )
