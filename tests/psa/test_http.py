"""The HTTP session every PSA provider calls through (psa/http.py): each connection goes to exactly the
address that was checked, with TLS still checked against the host name, and never to a private address,
however the name answers from one lookup to the next.

`responses` stands in for `HTTPAdapter.send`, the very step that resolves and checks the address, so these
tests use real sockets instead. The connection step (urllib3's `create_connection`) is watched: a
connection to the public test address is carried to a local server holding a certificate for the public
name, one to 127.0.0.1 goes there, and any other is refused without being dialled."""

import http.server
import json
import ssl
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from urllib3.util import connection as urllib3_connection

from psa.http import HostNotPublic, guarded_session
from psa.providers.autotask import AutotaskProvider, AutotaskSettings
from psa.providers.base import ConnectionSettings, PsaError
from psa.providers.connectwise import ConnectWiseProvider, discover_codebase
from psa.providers.halopsa import HaloProvider, HaloSettings
from psa.site_url import check_before_connecting, not_public_message
from tests.support.dns import PUBLIC_ADDRESS

HOST = "psa.example.com"  # FakeDns answers PUBLIC_ADDRESS for it
TIMEOUT = (2, 5)


@pytest.fixture(autouse=True)
def no_opt_in(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False


class LocalServer:
    """HTTP, or HTTPS with a certificate for one name, on 127.0.0.1: it records the Host header and path of
    each request and the server name (SNI) of each TLS handshake. `/redirect` answers 302."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests = []
        self.server_names = []
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _context: self.server_names.append(name)
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.headers["Host"], self.path))
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:9/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"version": "v2025.1", "Codebase": "v2025_1/"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, san: str | None = None):
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def ca_file(tmp_path):
    """A CA the client is told to trust, and `issue(name)`: a server TLS context with a certificate it signed."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate(_name("FlowPilot test CA"), _name("FlowPilot test CA"), ca_key.public_key(), ca_key, ca=True)
    path = tmp_path / "ca.pem"
    path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

    def issue(name: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(_name(name), ca_cert.subject, key.public_key(), ca_key, ca=False, san=name)
        cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context

    return str(path), issue


@pytest.fixture
def servers():
    started = []

    def start(tls=None) -> LocalServer:
        started.append(LocalServer(tls))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def dialled(monkeypatch):
    """Every (host, port) a connection is opened to. PUBLIC_ADDRESS is carried to `dialled.route_to` (a
    LocalServer's port), 127.0.0.1 is dialled as it is, and anything else is refused, never dialled."""
    real_create_connection = urllib3_connection.create_connection

    class Dialled(list):
        route_to = None

    record = Dialled()

    def create_connection(address, *args, **kwargs):
        record.append(address)
        host, _port = address
        if host == PUBLIC_ADDRESS and record.route_to:
            return real_create_connection(("127.0.0.1", record.route_to), *args, **kwargs)
        if host == "127.0.0.1":
            return real_create_connection(address, *args, **kwargs)
        raise ConnectionRefusedError(f"the test never dials {host}")

    monkeypatch.setattr(urllib3_connection, "create_connection", create_connection)
    return record


@pytest.fixture
def public_site(ca_file, servers, dialled):
    """An HTTPS server standing in for HOST at PUBLIC_ADDRESS, with a certificate for HOST."""
    _ca, issue = ca_file
    server = servers(issue(HOST))
    dialled.route_to = server.port
    return server


# A public address: connected to as checked


def test_it_connects_to_exactly_the_address_it_checked_and_verifies_tls_for_the_name(
    public_site, dialled, ca_file, fake_dns
):
    url = f"https://{HOST}:{public_site.port}/v4_6_release/apis/3.0/system/info"

    response = guarded_session().get(url, timeout=TIMEOUT, verify=ca_file[0])

    assert (response.status_code, response.json()["version"]) == (200, "v2025.1")
    assert fake_dns.asked.count(HOST) == 1  # by the guard: the connection dialled the checked address itself
    assert dialled == [(PUBLIC_ADDRESS, public_site.port)]
    assert public_site.server_names == [HOST]
    assert public_site.requests == [(f"{HOST}:{public_site.port}", "/v4_6_release/apis/3.0/system/info")]


def test_it_still_refuses_a_certificate_that_is_not_for_the_name(ca_file, servers, dialled):
    ca, issue = ca_file
    server = servers(issue("someone-else.example.com"))
    dialled.route_to = server.port

    with pytest.raises(requests.exceptions.SSLError):
        guarded_session().get(f"https://{HOST}:{server.port}/", timeout=TIMEOUT, verify=ca)

    assert dialled == [(PUBLIC_ADDRESS, server.port)]
    assert server.requests == []


def test_it_never_follows_a_redirect(public_site, ca_file):
    response = guarded_session().get(
        f"https://{HOST}:{public_site.port}/redirect", timeout=TIMEOUT, verify=ca_file[0], allow_redirects=True
    )

    assert response.status_code == 302
    assert [path for _host, path in public_site.requests] == ["/redirect"]


# A private answer: refused before any connection


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("10.1.2.3", "10.1.2.3"),
        ("192.168.1.20", "192.168.1.20"),
        ("172.16.0.1", "172.16.0.1"),
        ("169.254.169.254", "169.254.169.254"),  # the cloud metadata service
        ("127.0.0.1", "127.0.0.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("100.64.0.1", "100.64.0.1"),  # carrier-grade NAT
        ("::1", "::1"),
        ("fc00::1", "fc00::1"),
        ("::ffff:10.1.2.3", "10.1.2.3"),  # an IPv4-mapped address is judged as the IPv4 address it is
    ],
)
def test_it_refuses_to_connect_when_the_name_answers_a_private_address(fake_dns, dialled, answer, shown):
    fake_dns.names["inside.example.com"] = [answer]

    with pytest.raises(HostNotPublic) as refused:
        guarded_session().get("https://inside.example.com/system/info", timeout=TIMEOUT)

    assert refused.value.message == not_public_message(shown)
    assert refused.value.code == "psa_not_configured"
    assert isinstance(refused.value, PsaError)
    assert dialled == []


def test_a_rebinding_name_passes_the_check_and_is_refused_at_the_connection(fake_dns, dialled):
    fake_dns.rebind("rebind.example.com", first=PUBLIC_ADDRESS, then="10.0.0.7")
    check_before_connecting("https://rebind.example.com")  # the first lookup: public

    with pytest.raises(HostNotPublic) as refused:
        guarded_session().get("https://rebind.example.com/system/info", timeout=TIMEOUT)

    assert "resolves to 10.0.0.7, a private, loopback or link-local address" in refused.value.message
    assert fake_dns.asked == ["rebind.example.com", "rebind.example.com"]
    assert dialled == []


def test_a_loopback_server_is_reached_only_with_the_opt_in(settings, servers, dialled):
    server = servers()
    url = f"http://127.0.0.1:{server.port}/system/info"

    with pytest.raises(HostNotPublic):
        guarded_session().get(url, timeout=TIMEOUT)
    assert (dialled, server.requests) == ([], [])

    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    assert guarded_session().get(url, timeout=TIMEOUT).status_code == 200
    assert dialled == [("127.0.0.1", server.port)]


# The ConnectWise provider calls through it and says so in plain words


def test_the_connectwise_provider_reports_a_private_answer_at_connect_time_in_plain_words(fake_dns, dialled):
    fake_dns.rebind("rebind.example.com", first=PUBLIC_ADDRESS, then="169.254.169.254")
    settings = ConnectionSettings(
        site_url="https://rebind.example.com", company_id="acme", public_key="pub", private_key="priv", client_id="c"
    )
    check_before_connecting(settings.site_url)

    with pytest.raises(PsaError) as refused:
        ConnectWiseProvider(settings).check_credentials()

    assert refused.value.code == "psa_not_configured"
    assert refused.value.message == not_public_message("169.254.169.254")
    assert dialled == []


def test_codebase_discovery_calls_through_it_too(fake_dns, dialled):
    fake_dns.names["inside.example.com"] = ["10.9.8.7"]

    with pytest.raises(HostNotPublic) as refused:
        discover_codebase("https://inside.example.com", "acme")

    assert refused.value.message == not_public_message("10.9.8.7")
    assert dialled == []


def test_a_name_that_does_not_resolve_when_connecting_is_a_transient_failure(fake_dns, dialled):
    settings = ConnectionSettings(
        site_url="https://gone.example.com", company_id="acme", public_key="pub", private_key="priv", client_id="c"
    )

    with pytest.raises(PsaError) as failed:
        ConnectWiseProvider(settings).check_credentials()

    assert failed.value.transient
    assert dialled == []


def test_the_autotask_and_halo_providers_name_what_was_refused(fake_dns, dialled):
    """Autotask has no site URL, and a Halo session calls its site and its authorisation server: the message
    names the API URL, or the host itself."""
    fake_dns.names["inside.example.com"] = ["10.9.8.7"]
    autotask = AutotaskProvider(
        AutotaskSettings(
            username="api@acme.example", secret="s", integration_code="c", api_url="https://inside.example.com/AT"
        )
    )
    halo = HaloProvider(
        HaloSettings(
            site_url="https://psa.example.com",
            client_id="c",
            client_secret="s",
            auth_url="https://inside.example.com/auth",
        )
    )

    with pytest.raises(HostNotPublic) as autotask_refused:
        autotask.check_credentials()
    with pytest.raises(HostNotPublic) as halo_refused:
        halo.check_credentials()

    assert autotask_refused.value.message == not_public_message("10.9.8.7", label="API URL")
    assert halo_refused.value.message == (
        "The host inside.example.com resolves to 10.9.8.7, a private, loopback or link-local address; "
        "FlowPilot only calls public PSA hosts."
    )
    assert dialled == []
