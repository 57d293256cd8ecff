"""The PSA site URL guard: an https origin on a public host, unless the private-hosts opt-in is on.

Name resolution is faked at `psa.site_url.socket.getaddrinfo`: public names never reach real DNS,
and only IP literals and `localhost` (answered from /etc/hosts) fall through to the real resolver."""

import pytest

from flowpilot.errors import InvalidInput
from psa.site_url import check_before_connecting, normalise_site_url


@pytest.fixture(autouse=True)
def dns(fake_dns, settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = False
    return fake_dns


def refusal(url: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        normalise_site_url(url)
    assert caught.value.field == "site_url"
    assert caught.value.errors == {"site_url": [caught.value.message]}
    return caught.value


# Accepted


def test_it_accepts_an_https_origin_on_a_public_host(dns):
    assert normalise_site_url("https://psa.example.com") == "https://psa.example.com"
    assert dns.asked == ["psa.example.com"]


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("https://psa.example.com/", "https://psa.example.com"),
        ("  https://psa.example.com  ", "https://psa.example.com"),
        ("HTTPS://API-NA.Example.COM", "https://api-na.example.com"),
        ("https://psa.example.com:8443", "https://psa.example.com:8443"),
        ("https://psa.example.com:8443/", "https://psa.example.com:8443"),
    ],
)
def test_it_normalises_what_an_admin_typed_to_the_origin(typed, saved):
    assert normalise_site_url(typed) == saved


def test_it_keeps_the_brackets_of_a_public_ipv6_address():
    saved = normalise_site_url("https://[2606:4700:4700::1111]:8443/")

    assert saved == "https://[2606:4700:4700::1111]:8443"
    check_before_connecting(saved)
    assert normalise_site_url("https://[2606:4700:4700::1111]") == "https://[2606:4700:4700::1111]"


# Refused: the shape of the URL


@pytest.mark.parametrize(
    "url",
    [
        "http://psa.example.com",
        "ftp://psa.example.com",
        "psa.example.com",
        "https://",
        "",
        "   ",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://[::1",
        "https://[not-an-address]",
    ],
)
def test_it_refuses_anything_but_an_https_url(url, dns):
    assert "https://api-na.myconnectwise.net" in refusal(url).message
    assert dns.asked == []


@pytest.mark.parametrize(
    "url",
    [
        "https://psa.example.com/v4_6_release/apis/3.0",
        "https://psa.example.com/login",
        "https://psa.example.com?x=1",
        "https://psa.example.com/?next=http://10.0.0.1",
        "https://psa.example.com#fragment",
    ],
)
def test_it_refuses_a_path_a_query_or_a_fragment(url):
    assert refusal(url).message == "The site URL is the origin only (no path): https://api-na.myconnectwise.net."


@pytest.mark.parametrize(
    "url", ["https://admin:secret@psa.example.com", "https://admin@psa.example.com", "https://:pw@psa.example.com"]
)
def test_it_refuses_credentials_in_the_url(url):
    assert refusal(url).message == "The site URL must not carry credentials."


@pytest.mark.parametrize(
    "url", ["https://psa.example.com:99999", "https://psa.example.com:https", "https://psa.example.com:-1"]
)
def test_it_refuses_a_bad_port(url):
    assert refusal(url).message == "The site URL has an invalid port."


# Refused: where the host resolves


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://127.0.0.1", "127.0.0.1"),
        ("https://127.0.0.1:8765", "127.0.0.1"),
        ("https://localhost", "127.0.0.1"),
        ("https://[::1]", "::1"),
        ("https://2130706433", "127.0.0.1"),  # 127.0.0.1 written as one number
        ("https://10.0.0.5", "10.0.0.5"),
        ("https://192.168.1.1", "192.168.1.1"),
        ("https://172.16.0.1", "172.16.0.1"),
        ("https://169.254.169.254", "169.254.169.254"),  # the cloud metadata service
        ("https://0.0.0.0", "0.0.0.0"),
        ("https://[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("https://[fe80::1]", "fe80::1"),
        ("https://100.64.0.1", "100.64.0.1"),  # carrier-grade NAT
    ],
)
def test_it_refuses_hosts_that_are_not_public(url, address):
    message = refusal(url).message
    assert f"resolves to {address}, a private, loopback or link-local address" in message


def test_it_refuses_a_name_whose_dns_points_at_a_private_address():
    message = refusal("https://intranet.example.com").message
    assert "resolves to 10.1.2.3" in message


def test_it_refuses_a_name_with_one_private_address_among_public_ones():
    assert "resolves to 192.168.1.20" in refusal("https://split.example.com").message


def test_it_refuses_a_name_that_does_not_resolve():
    assert refusal("https://nowhere.invalid").message == "The site URL's host 'nowhere.invalid' does not resolve."


# The private-hosts opt-in (the simulator, tests)


def test_it_accepts_the_local_simulator_with_the_opt_in(settings, dns):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True

    assert normalise_site_url("http://127.0.0.1:8765") == "http://127.0.0.1:8765"
    assert normalise_site_url("HTTP://LOCALHOST:8765/") == "http://localhost:8765"
    assert normalise_site_url("https://10.0.0.5") == "https://10.0.0.5"
    assert dns.asked == []


def test_it_still_refuses_paths_credentials_and_other_schemes_with_the_opt_in(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True

    refusal("http://127.0.0.1:8765/apis")
    refusal("http://user:pw@127.0.0.1:8765")
    refusal("ftp://127.0.0.1")
    refusal("http://[::1:8765")


def test_it_keeps_the_brackets_of_a_loopback_ipv6_address_with_the_opt_in(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True

    assert normalise_site_url("http://[::1]:8765") == "http://[::1]:8765"


# Right before connecting: the saved URL is checked again


def test_it_lets_a_connection_to_a_public_https_host_go_ahead(dns):
    check_before_connecting("https://psa.example.com")
    check_before_connecting("https://psa.example.com:8443")
    assert dns.asked == ["psa.example.com", "psa.example.com"]


def test_it_refuses_to_connect_to_a_saved_http_url():
    with pytest.raises(InvalidInput) as caught:
        check_before_connecting("http://psa.example.com")
    assert caught.value.field == "site_url"
    assert caught.value.message == "The saved site URL is not https; an admin must correct it."


def test_it_refuses_to_connect_once_the_host_resolves_privately(dns):
    saved = normalise_site_url("https://psa.example.com")
    dns.names["psa.example.com"] = ["169.254.169.254"]  # DNS rebinding after the URL was saved

    with pytest.raises(InvalidInput) as caught:
        check_before_connecting(saved)
    assert "resolves to 169.254.169.254" in caught.value.message


def test_it_checks_nothing_before_connecting_with_the_opt_in(settings, dns):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True

    check_before_connecting("http://127.0.0.1:8765")
    check_before_connecting("http://intranet.example.com")
    assert dns.asked == []
