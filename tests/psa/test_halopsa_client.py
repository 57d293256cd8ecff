"""The HaloPSA client against `responses`: the token fetched once and shared, exact requests out, every
failure mapped to a PsaError in Halo's own words, and notes rendered as sanitised HTML."""

import itertools
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import ConnectionError as RedisConnectionError

from psa.crypto import decrypt
from psa.providers.base import (
    BoardStatus,
    NoteKind,
    PsaAuthError,
    PsaNotFound,
    PsaPermissionDenied,
    PsaTransientError,
    PsaValidationError,
    Ticket,
    TicketStatus,
)
from psa.providers.halopsa import (
    TOKEN_CACHE_PREFIX,
    HaloProvider,
    HaloSettings,
    token_cache_seconds,
)

SITE = "https://acme.halopsa.test"
API = f"{SITE}/api"
TOKEN_URL = f"{SITE}/auth/token"
SECRET = "halo-SECRET-987"
SETTINGS = HaloSettings(site_url=SITE, client_id="client-uuid", client_secret=SECRET)
SINCE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TICKET_JSON = {"id": 1001, "summary": "Outlook prompts", "status_id": 2, "team": "1st Line Support", "team_id": 1}
STATUSES_JSON = [
    {"id": 1, "name": "New", "inactive": False},
    {"id": 2, "name": "In Progress", "inactive": False},
    {"id": 8, "name": "Resolved", "inactive": False},
    {"id": 9, "name": "Closed", "inactive": False},
    {"id": 30, "name": "Retired", "inactive": True},
]


def token_answer(token="tok-1", expires_in=3600):
    return {"token_type": "Bearer", "access_token": token, "expires_in": expires_in}


@pytest.fixture
def halo():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def token_cache():
    return LocMemCache(f"halo-test-{uuid.uuid4()}", {})


@pytest.fixture
def provider(token_cache):
    return HaloProvider(SETTINGS, timeout=(1, 2), token_cache=token_cache)


def token_calls(halo):
    return [call for call in halo.calls if call.request.url.startswith(TOKEN_URL)]


def sent_json(call):
    return json.loads(call.request.body)


# The token


def test_it_asks_for_a_client_credentials_token_and_sends_it_as_a_bearer(halo, provider):
    halo.post(TOKEN_URL, json=token_answer())
    halo.get(f"{API}/Tickets/1001", json=TICKET_JSON)
    halo.get(f"{API}/Status", json=STATUSES_JSON)

    provider.get_ticket(1001)

    (token_call,) = token_calls(halo)
    assert parse_qs(token_call.request.body) == {
        "grant_type": ["client_credentials"],
        "client_id": ["client-uuid"],
        "client_secret": [SECRET],
        "scope": ["all"],
    }
    assert token_call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert halo.calls[1].request.headers["Authorization"] == "Bearer tok-1"


def test_a_hosted_instance_names_its_tenant_and_may_have_its_own_auth_url(halo, token_cache):
    settings = HaloSettings(
        site_url=SITE, client_id="c", client_secret=SECRET, auth_url="https://auth.halo.test/auth/", tenant="acme"
    )
    halo.post("https://auth.halo.test/auth/token", json=token_answer())
    halo.get(f"{API}/Agent/me", json={"id": 12, "name": "FlowPilot API"})

    answer = HaloProvider(settings, timeout=1, token_cache=token_cache).check_credentials()

    assert answer == "HaloPSA (agent FlowPilot API)"
    assert parse_qs(urlsplit(halo.calls[0].request.url).query) == {"tenant": ["acme"]}


def test_the_token_is_reused_by_every_provider_sharing_the_cache(halo, token_cache):
    halo.post(TOKEN_URL, json=token_answer())
    halo.get(f"{API}/Agent/me", json={"id": 12, "name": "FlowPilot API"})

    for _ in range(3):
        HaloProvider(SETTINGS, timeout=1, token_cache=token_cache).check_credentials()

    assert len(token_calls(halo)) == 1
    assert decrypt(token_cache.get(next(key for key in token_cache_keys(token_cache)))) == "tok-1"


def token_cache_keys(cache, prefix=TOKEN_CACHE_PREFIX):
    return [key.split(":", 2)[-1] for key in cache._cache if prefix in key]


def test_the_cached_token_is_encrypted_and_its_key_is_keyed_by_the_secret_key(halo, token_cache, settings):
    halo.post(TOKEN_URL, json=token_answer("tok-plain-4411"))
    halo.get(f"{API}/Agent/me", json={"name": "FlowPilot API"})

    HaloProvider(SETTINGS, timeout=1, token_cache=token_cache).check_credentials()
    (key,) = token_cache_keys(token_cache)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    HaloProvider(SETTINGS, timeout=1, token_cache=token_cache).check_credentials()

    assert "tok-plain-4411" not in repr(token_cache._cache)
    assert all("tok-plain-4411" not in str(token_cache.get(cached)) for cached in token_cache_keys(token_cache))
    assert len(set(token_cache_keys(token_cache))) == 2  # the key depends on SECRET_KEY, not on the secret alone
    assert key in token_cache_keys(token_cache)


def test_workers_starting_together_ask_for_one_token(halo, token_cache):
    halo.post(TOKEN_URL, json=token_answer())
    halo.get(f"{API}/Agent/me", json={"id": 12, "name": "FlowPilot API"})
    providers = [HaloProvider(SETTINGS, timeout=1, token_cache=token_cache) for _ in range(8)]
    start, answers = threading.Barrier(len(providers)), []

    def work(provider):
        start.wait()
        answers.append(provider.check_credentials())

    threads = [threading.Thread(target=work, args=(provider,)) for provider in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert answers == ["HaloPSA (agent FlowPilot API)"] * 8
    assert len(token_calls(halo)) == 1


def run_together(providers, call):
    start, answers, failures = threading.Barrier(len(providers)), [], []

    def work(provider):
        start.wait()
        try:
            answers.append(call(provider))
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(provider,)) for provider in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers, failures


def test_with_a_slow_authorisation_server_workers_still_ask_for_one_token(halo, token_cache):
    """The token call takes longer than a few seconds: the others wait for it as long as it may take."""

    def slow_token(request):
        time.sleep(5.5)
        return 200, {}, json.dumps(token_answer())

    halo.add_callback("POST", TOKEN_URL, callback=slow_token, content_type="application/json")
    halo.get(f"{API}/Agent/me", json={"name": "FlowPilot API"})
    providers = [HaloProvider(SETTINGS, timeout=(1, 8), token_cache=token_cache) for _ in range(6)]

    answers, failures = run_together(providers, HaloProvider.check_credentials)

    assert failures == []
    assert answers == ["HaloPSA (agent FlowPilot API)"] * 6
    assert len(token_calls(halo)) == 1


def test_a_worker_that_waited_its_time_gives_up_transiently_and_leaves_the_others_lock(halo, token_cache):
    provider = HaloProvider(SETTINGS, timeout=(0.05, 0.1), token_cache=token_cache)
    token_cache.add(provider._lock_key, "another-worker's", timeout=30)

    with pytest.raises(PsaTransientError, match="another request for a token has not finished"):
        provider.check_credentials()

    assert token_calls(halo) == []
    assert token_cache.get(provider._lock_key) == "another-worker's"


def test_workers_refused_the_same_token_together_refresh_it_once(halo, token_cache):
    """Each worker sees the 401 at its own moment; none drops the token another one just stored."""

    class SlowDeletes(LocMemCache):  # a cache over the network: a worker's delete lands a little later
        delays = itertools.count()

        def delete(self, key, version=None):
            time.sleep(0.03 * next(self.delays))
            return super().delete(key, version)

    cache = SlowDeletes(f"halo-slow-{uuid.uuid4()}", {})
    tokens = iter(f"tok-{n}" for n in range(2, 50))
    halo.post(TOKEN_URL, json=token_answer("tok-1"))
    HaloProvider(SETTINGS, timeout=1, token_cache=cache)._token()  # every worker starts with tok-1 cached
    halo.add_callback("POST", TOKEN_URL, callback=lambda request: (200, {}, json.dumps(token_answer(next(tokens)))))
    halo.add_callback(
        "GET",
        f"{API}/Agent/me",
        callback=lambda request: (
            (401, {}, "")
            if request.headers["Authorization"] == "Bearer tok-1"
            else (200, {}, json.dumps({"name": "FlowPilot API"}))
        ),
    )
    providers = [HaloProvider(SETTINGS, timeout=1, token_cache=cache) for _ in range(6)]

    answers, failures = run_together(providers, HaloProvider.check_credentials)

    assert failures == []
    assert answers == ["HaloPSA (agent FlowPilot API)"] * 6
    assert len(token_calls(halo)) == 2  # tok-1 at the start, then one refresh


def test_other_credentials_get_their_own_token_and_the_key_holds_no_secret(halo, token_cache):
    halo.post(TOKEN_URL, json=token_answer("tok-a"))
    halo.post(TOKEN_URL, json=token_answer("tok-b"))
    halo.get(f"{API}/Agent/me", json={"name": "FlowPilot API"})

    HaloProvider(SETTINGS, timeout=1, token_cache=token_cache).check_credentials()
    other = HaloSettings(site_url=SITE, client_id="client-uuid", client_secret="rotated")
    HaloProvider(other, timeout=1, token_cache=token_cache).check_credentials()

    assert len(token_calls(halo)) == 2
    assert all(SECRET not in key and "rotated" not in key for key in token_cache._cache)


@pytest.mark.parametrize(("expires_in", "kept"), [(3600, 3540), (300, 240), (60, 30), (1, 1)])
def test_a_token_is_kept_until_shortly_before_it_expires(expires_in, kept):
    assert token_cache_seconds(expires_in) == kept


def test_the_cache_keeps_the_token_for_its_lifetime_less_the_margin(halo):
    class RecordingCache(LocMemCache):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.timeouts = []

        def set(self, key, value, timeout=None, version=None):
            self.timeouts.append(timeout)
            super().set(key, value, timeout, version)

    halo.post(TOKEN_URL, json=token_answer(expires_in=1800))
    halo.get(f"{API}/Agent/me", json={"name": "FlowPilot API"})
    recording = RecordingCache(f"halo-ttl-{uuid.uuid4()}", {})

    HaloProvider(SETTINGS, timeout=1, token_cache=recording).check_credentials()

    assert recording.timeouts == [1740]


def test_a_401_on_an_expired_token_fetches_a_new_one_and_retries_once(halo, provider):
    halo.post(TOKEN_URL, json=token_answer("old"))
    halo.post(TOKEN_URL, json=token_answer("new"))
    halo.get(f"{API}/Agent/me", status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    halo.get(f"{API}/Agent/me", json={"name": "FlowPilot API"})

    assert provider.check_credentials() == "HaloPSA (agent FlowPilot API)"

    api_calls = [call for call in halo.calls if "/api/" in call.request.url]
    assert [call.request.headers["Authorization"] for call in api_calls] == ["Bearer old", "Bearer new"]
    assert len(token_calls(halo)) == 2


def test_a_second_401_is_an_auth_error_not_a_loop(halo, provider):
    halo.post(TOKEN_URL, json=token_answer())
    halo.get(f"{API}/Agent/me", status=401)

    with pytest.raises(PsaAuthError) as caught:
        provider.check_credentials()

    assert "check the client id and secret (and tenant)" in caught.value.message
    assert len(token_calls(halo)) == 2
    assert len([call for call in halo.calls if "/api/" in call.request.url]) == 2


@pytest.mark.parametrize("status", [400, 401])
def test_refused_credentials_say_what_to_check_and_never_echo_the_secret(halo, provider, status):
    halo.post(TOKEN_URL, status=status, json={"error": "invalid_client", "error_description": SECRET})

    with pytest.raises(PsaAuthError) as caught:
        provider.get_ticket(1001)

    assert caught.value.message == (
        f"HaloPSA refused the client credentials (HTTP {status}, invalid_client); "
        "check the client id and secret (and tenant)"
    )
    assert SECRET not in repr(caught.value) and SECRET not in repr(SETTINGS) and SECRET not in repr(provider)


def test_a_token_endpoint_answering_a_web_page_is_a_clear_auth_error(halo, provider):
    halo.post(TOKEN_URL, body="<!DOCTYPE html><html><body>Log in</body></html>", content_type="text/html")

    with pytest.raises(PsaAuthError) as caught:
        provider.get_ticket(1001)

    assert "answered with a web page, not a token; check the authorisation URL" in caught.value.message


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_authorisation_server_is_transient(halo, provider, status):
    halo.post(TOKEN_URL, status=status, body="<html>busy</html>", headers={"Retry-After": "7"})

    with pytest.raises(PsaTransientError) as caught:
        provider.get_ticket(1001)

    assert caught.value.retry_after == 7


def test_the_token_lock_is_released_when_the_token_request_fails(halo, provider, token_cache):
    halo.post(TOKEN_URL, status=503)
    halo.post(TOKEN_URL, json=token_answer())
    halo.get(f"{API}/Agent/me", json={"name": "FlowPilot API"})

    with pytest.raises(PsaTransientError):
        provider.check_credentials()

    assert provider.check_credentials() == "HaloPSA (agent FlowPilot API)"
    assert len(token_calls(halo)) == 2


def test_with_the_cache_down_each_provider_keeps_its_own_token(halo):
    class DownCache:
        def __getattr__(self, name):
            def down(*args, **kwargs):
                raise RedisConnectionError("redis is down")

            return down

    halo.post(TOKEN_URL, json=token_answer())
    halo.get(f"{API}/Agent/me", json={"name": "FlowPilot API"})
    provider = HaloProvider(SETTINGS, timeout=1, token_cache=DownCache())

    provider.check_credentials()
    provider.check_credentials()

    assert len(token_calls(halo)) == 1


# Requests out and answers read


@pytest.fixture
def authed(halo):
    halo.post(TOKEN_URL, json=token_answer())
    return halo


def test_it_reads_a_ticket_with_its_status_named_from_the_status_list(authed, provider):
    authed.get(f"{API}/Tickets/1001", json=TICKET_JSON)
    authed.get(f"{API}/Status", json=STATUSES_JSON)

    ticket = provider.get_ticket(1001)

    assert ticket == Ticket(
        id=1001,
        summary="Outlook prompts",
        board_id=1,
        board_name="1st Line Support",
        status=TicketStatus(id=2, name="In Progress"),
        closed=False,
    )
    status_call = next(call for call in authed.calls if "/api/Status" in call.request.url)
    assert parse_qs(urlsplit(status_call.request.url).query) == {"type": ["ticket"]}


def test_a_ticket_in_halos_closed_status_is_closed(authed, provider):
    authed.get(f"{API}/Tickets/1001", json=TICKET_JSON | {"status_id": 9})
    authed.get(f"{API}/Status", json=STATUSES_JSON)

    assert provider.get_ticket(1001).closed is True


def test_statuses_come_from_the_status_list_whatever_the_board(authed, provider):
    authed.get(f"{API}/Status", json=STATUSES_JSON)

    statuses = provider.list_board_statuses(77)

    assert statuses[3] == BoardStatus(id=9, name="Closed", closed=True, inactive=False)
    assert statuses[4] == BoardStatus(id=30, name="Retired", closed=False, inactive=True)
    assert [status.closed for status in statuses].count(True) == 1


def test_a_resolution_note_is_a_customer_visible_action(authed, provider):
    authed.post(
        f"{API}/Actions", json={"id": 3, "ticket_id": 1001, "note_html": "<p>Fixed</p>", "hiddenfromuser": False}
    )

    note = provider.post_note(1001, text="<p>Fixed</p>", kind=NoteKind.RESOLUTION, notify_customer=True)

    assert sent_json(authed.calls[-1]) == [
        {
            "ticket_id": 1001,
            "note_html": "<p>Fixed</p>",
            "outcome": "Resolution",
            "hiddenfromuser": False,
            "sendemail": True,
        }
    ]
    assert (note.id, note.ticket_id, note.text, note.internal, note.resolution) == (
        3,
        1001,
        "<p>Fixed</p>",
        False,
        True,
    )


def test_an_internal_note_is_hidden_from_the_user_and_never_emails(authed, provider):
    authed.post(f"{API}/Actions", json=[{"id": 4, "ticket_id": 1001, "note_html": "<p>x</p>", "hiddenfromuser": True}])

    note = provider.post_note(1001, text="<p>x</p>", kind=NoteKind.INTERNAL, notify_customer=True)

    body = sent_json(authed.calls[-1])[0]
    assert (body["hiddenfromuser"], body["sendemail"], body["outcome"]) == (True, False, "Private Note")
    assert (note.internal, note.resolution) == (True, False)


def test_the_status_changes_through_the_tickets_post(authed, provider):
    authed.post(f"{API}/Tickets", json=TICKET_JSON | {"status_id": 8})
    authed.get(f"{API}/Status", json=STATUSES_JSON)

    ticket = provider.set_status(1001, 8)

    assert sent_json(next(call for call in authed.calls if call.request.url == f"{API}/Tickets")) == [
        {"id": 1001, "status_id": 8}
    ]
    assert ticket.status == TicketStatus(id=8, name="Resolved")


def action(number, minutes_after, *, html=None, hidden=False):
    when = (SINCE + timedelta(minutes=minutes_after)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return {
        "id": number,
        "ticket_id": 1001,
        "datetime": when,
        "note_html": html or f"<p>note {number}</p>",
        "hiddenfromuser": hidden,
    }


def test_the_lost_answer_lookup_reads_every_page_and_gives_recent_notes_newest_first(authed, provider):
    old = [action(number, -120) for number in range(1, 61)]
    recent = [action(number, 5) for number in range(61, 151)]
    recent[-1] = action(150, 6, html="<p>ours<br />again</p>")
    rows = old + recent
    authed.get(f"{API}/Actions", json={"record_count": 150, "actions": rows[:100]})
    authed.get(f"{API}/Actions", json={"record_count": 150, "actions": rows[100:]})

    notes = list(provider.list_notes_since(1001, SINCE))

    assert [note.id for note in notes] == list(range(150, 60, -1))
    assert notes[0].text == "<p>ours<br>again</p>"  # Halo's serialisation, cleaned back to ours
    queries = [
        parse_qs(urlsplit(call.request.url).query) for call in authed.calls if "/api/Actions" in call.request.url
    ]
    assert [query["page_no"] for query in queries] == [["1"], ["2"]]
    assert queries[0]["ticket_id"] == ["1001"] and queries[0]["includehtmlnote"] == ["true"]


def test_the_ticket_context_reads_the_ticket_and_its_actions_as_text(authed, provider):
    details = {
        "details": "<p>Outlook asks for my <b>password</b><br />every few minutes</p>",
        "client_name": "Contoso Ltd",
        "user_name": "Dana Whitfield",
        "user_emailaddress": "dana@contoso.example",
        "site_name": "Main",
        "priority": {"id": 3, "name": "Medium"},
    }
    authed.get(f"{API}/Tickets/1001", json=TICKET_JSON | details)
    authed.get(f"{API}/Status", json=STATUSES_JSON)
    authed.get(f"{API}/Actions", json={"record_count": 2, "actions": [action(1, 0), action(2, 1, hidden=True)]})

    context = provider.get_ticket_context(1001, recent_notes=5)

    assert context.description.text == "Outlook asks for my password\nevery few minutes"
    assert [(note.id, note.text, note.internal) for note in context.recent_notes] == [
        (2, "note 2", True),
        (1, "note 1", False),
    ]
    assert (context.company_name, context.contact_name, context.priority_name) == (
        "Contoso Ltd",
        "Dana Whitfield",
        "Medium",
    )
    assert context.web_url == f"{SITE}/ticket?id=1001" and context.psa_name == "HaloPSA"


def test_the_ticket_context_of_a_busy_ticket_shows_its_newest_actions(authed, provider):
    """Halo pages a ticket's actions oldest first: with 120 of them, the newest are on the last page."""
    actions = [action(number, number) for number in range(1, 121)]

    def actions_page(request):
        query = parse_qs(urlsplit(request.url).query)
        size, page = int(query["page_size"][0]), int(query["page_no"][0])
        rows = actions[(page - 1) * size : page * size]
        return 200, {}, json.dumps({"record_count": len(actions), "actions": rows})

    authed.get(f"{API}/Tickets/1001", json=TICKET_JSON)
    authed.get(f"{API}/Status", json=STATUSES_JSON)
    authed.add_callback("GET", f"{API}/Actions", callback=actions_page, content_type="application/json")

    context = provider.get_ticket_context(1001, recent_notes=5)

    assert [note.id for note in context.recent_notes] == [120, 119, 118, 117, 116]
    assert [note.text for note in context.recent_notes][:1] == ["note 120"]


# Errors


def test_an_unknown_ticket_is_not_found_naming_it(authed, provider):
    authed.get(f"{API}/Tickets/4040", status=404, json="Ticket 4040 not found")

    with pytest.raises(PsaNotFound) as caught:
        provider.get_ticket(4040)

    assert caught.value.message == "HaloPSA has no ticket 4040 that these credentials can see"


def test_a_rate_limit_is_transient_with_its_retry_after(authed, provider):
    authed.get(f"{API}/Tickets/1001", status=429, headers={"Retry-After": "12"}, json="Too many requests")

    with pytest.raises(PsaTransientError) as caught:
        provider.get_ticket(1001)

    assert caught.value.retry_after == 12


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "json": "An error has occurred."},
        {"body": requests.ConnectionError("reset")},
        {"body": requests.ReadTimeout("slow")},
    ],
    ids=["500", "dropped", "read-timeout"],
)
def test_server_errors_drops_and_timeouts_are_transient(authed, provider, failure):
    authed.post(f"{API}/Actions", **failure)

    with pytest.raises(PsaTransientError):
        provider.post_note(1001, text="<p>x</p>", kind=NoteKind.INTERNAL)


def test_a_read_timeout_asks_the_retry_to_wait_as_long_again(authed, provider):
    authed.post(f"{API}/Actions", body=requests.ReadTimeout("slow"))

    with pytest.raises(PsaTransientError) as caught:
        provider.post_note(1001, text="<p>x</p>", kind=NoteKind.INTERNAL)

    assert caught.value.retry_after == 2


def test_a_403_says_the_agent_lacks_the_permission(authed, provider):
    authed.post(f"{API}/Actions", status=403, json="You do not have permission to access this resource.")

    with pytest.raises(PsaPermissionDenied) as caught:
        provider.post_note(1001, text="<p>x</p>", kind=NoteKind.INTERNAL)

    assert "HaloPSA refused adding a note to ticket 1001 (HTTP 403)" in caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Status 30 is inactive", "HaloPSA rejected the request: Status 30 is inactive"),
        ({"ClassName": "HaloException", "Message": "Bad outcome"}, "HaloPSA rejected the request: Bad outcome"),
        ({"unexpected": True}, "HaloPSA rejected the request (HTTP 400)"),
    ],
)
def test_a_rejection_shows_halos_own_words(authed, provider, body, message):
    authed.post(f"{API}/Tickets", status=400, json=body)

    with pytest.raises(PsaValidationError) as caught:
        provider.set_status(1001, 30)

    assert caught.value.message == message


def test_an_answer_that_is_not_json_is_a_clear_rejection(authed, provider):
    authed.get(f"{API}/Tickets/1001", body="<html>IIS</html>", content_type="text/html")

    with pytest.raises(PsaValidationError, match="not JSON; check the site URL"):
        provider.get_ticket(1001)


def test_a_ticket_it_cannot_read_is_a_rejection_not_a_crash(authed, provider):
    authed.get(f"{API}/Tickets/1001", json={"summary": "no id"})

    with pytest.raises(PsaValidationError, match="HaloPSA answered with a ticket FlowPilot cannot read"):
        provider.get_ticket(1001)


def test_a_redirect_is_never_followed(authed, provider):
    authed.get(f"{API}/Tickets/1001", status=302, headers={"Location": "http://169.254.169.254/"})

    with pytest.raises(PsaValidationError, match="redirect"):
        provider.get_ticket(1001)

    assert len([call for call in authed.calls if "169.254" in call.request.url]) == 0


# Rendering


def test_notes_are_sanitised_html_with_typed_markup_kept_as_text():
    html = HaloProvider.render_note(
        "## Fix\n\nCleared the **cached** `<creds>` for <script>alert(1)</script>\n\n- one\n- two\n\n"
        "[status](https://status.example) [bad](javascript:alert(1))"
    )

    assert html.startswith("<h2>Fix</h2>\n<p>Cleared the <strong>cached</strong> <code>&lt;creds&gt;</code>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert '<a href="https://status.example" rel="noopener noreferrer nofollow">status</a>' in html
    assert "javascript:" not in html
    assert HaloProvider.note_format == "HTML" and HaloProvider.display_name == "HaloPSA"
