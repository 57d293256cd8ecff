"""The ConnectWise client against `responses`: exact requests out, every failure mapped to a PsaError."""

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from psa.providers.base import (
    BoardStatus,
    ConnectionSettings,
    Note,
    NoteKind,
    PsaAuthError,
    PsaError,
    PsaNotFound,
    PsaPermissionDenied,
    PsaTransientError,
    PsaValidationError,
    Ticket,
    TicketStatus,
)
from psa.providers.connectwise import ConnectWiseProvider, api_base_url, discover_codebase

SITE = "https://cw.example.test"
BASE = f"{SITE}/v4_6_release/apis/3.0"
TICKET_URL = f"{BASE}/service/tickets/1001"
STATUSES_URL = f"{BASE}/service/boards/7/statuses"
PRIVATE_KEY = "priv-SECRET-123"
SETTINGS = ConnectionSettings(
    site_url=SITE, company_id="acme", public_key="pub", private_key=PRIVATE_KEY, client_id="client-uuid"
)
SINCE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a handoff's first attempt
AUTH_TOKEN = base64.b64encode(b"acme+pub:priv-SECRET-123").decode()

TICKET_JSON = {
    "id": 1001,
    "summary": "Outlook prompts for a password in a loop",
    "board": {"id": 7, "name": "Service Desk"},
    "status": {"id": 42, "name": "In Progress"},
    "closedFlag": False,
    "_info": {"lastUpdated": "2025-01-02T03:04:05Z"},
}
NOTE_JSON = {
    "id": 555,
    "ticketId": 1001,
    "text": "Cleared cached credentials.",
    "internalAnalysisFlag": False,
    "resolutionFlag": True,
}


@pytest.fixture
def cw():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def provider():
    return ConnectWiseProvider(SETTINGS)


def sent_json(call) -> object:
    return json.loads(call.request.body)


def error_chain_text(exc: BaseException) -> str:
    texts = []
    while exc is not None:
        texts += [str(exc), repr(exc), getattr(exc, "message", "")]
        exc = exc.__cause__
    return " ".join(texts)


# Requests out


def test_it_sends_the_credentials_and_json_headers(cw, provider):
    cw.get(TICKET_URL, json=TICKET_JSON)

    provider.get_ticket(1001)

    headers = cw.calls[0].request.headers
    scheme, token = headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == "acme+pub:priv-SECRET-123"
    assert headers["clientId"] == "client-uuid"
    assert headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.1"  # the pinned default
    assert headers["Content-Type"] == "application/json"


def test_it_pins_the_api_version_it_is_given(cw):
    cw.get(TICKET_URL, json=TICKET_JSON)

    ConnectWiseProvider(SETTINGS, api_version="2024.2").get_ticket(1001)

    assert cw.calls[0].request.headers["Accept"] == "application/vnd.connectwise.com+json; version=2024.2"


def test_the_pinned_version_is_a_setting_with_a_tested_default(settings, psa_connected, simulator):
    from psa.services import provider_for

    assert settings.FLOWPILOT_CW_API_VERSION == "2025.1"
    settings.FLOWPILOT_CW_API_VERSION = "2024.2"
    provider_for(psa_connected).get_ticket(1001)

    assert simulator.state()["accept_headers"] == ["application/vnd.connectwise.com+json; version=2024.2"]


def test_it_passes_the_timeout_and_never_follows_redirects(cw):
    session = requests.Session()
    cw.get(TICKET_URL, json=TICKET_JSON)

    with mock.patch.object(session, "request", wraps=session.request) as request:
        ConnectWiseProvider(SETTINGS, timeout=(1, 2), session=session).get_ticket(1001)

    assert request.call_args.kwargs["timeout"] == (1, 2)
    assert request.call_args.kwargs["allow_redirects"] is False


def test_it_uses_one_session_for_every_request(cw):
    session = requests.Session()
    cw.get(TICKET_URL, json=TICKET_JSON)
    cw.get(f"{TICKET_URL}/notes", json=[])

    provider = ConnectWiseProvider(SETTINGS, session=session)
    provider.get_ticket(1001)
    list(provider.list_notes_since(1001, SINCE))

    assert session.headers["clientId"] == "client-uuid"
    assert [call.request.headers["Authorization"] for call in cw.calls] == [f"Basic {AUTH_TOKEN}"] * 2


@pytest.mark.parametrize(
    ("site_url", "codebase"),
    [
        ("https://cw.example.test", "v4_6_release/"),
        ("https://cw.example.test/", "v4_6_release/"),
        ("https://cw.example.test", "/v4_6_release/"),
        ("https://cw.example.test/", "v4_6_release"),
        ("https://cw.example.test", "/v4_6_release"),
    ],
)
def test_it_normalises_the_codebase_into_the_base_url(site_url, codebase):
    assert api_base_url(site_url, codebase) == "https://cw.example.test/v4_6_release/apis/3.0"


def test_it_builds_request_urls_from_a_slash_heavy_codebase(cw):
    settings = dataclasses.replace(SETTINGS, site_url=f"{SITE}/", codebase="/v2025_1/")
    cw.get(f"{SITE}/v2025_1/apis/3.0/service/tickets/1001", json=TICKET_JSON)

    ConnectWiseProvider(settings).get_ticket(1001)

    assert cw.calls[0].request.url == f"{SITE}/v2025_1/apis/3.0/service/tickets/1001"


# Endpoints


def test_it_gets_a_ticket(cw, provider):
    cw.get(TICKET_URL, json=TICKET_JSON)

    ticket = provider.get_ticket(1001)

    assert ticket == Ticket(
        id=1001,
        summary="Outlook prompts for a password in a loop",
        board_id=7,
        board_name="Service Desk",
        status=TicketStatus(id=42, name="In Progress"),
        closed=False,
    )
    assert cw.calls[0].request.method == "GET"
    assert cw.calls[0].request.url == TICKET_URL


def test_it_gets_a_closed_ticket_without_board_or_status(cw, provider):
    cw.get(TICKET_URL, json={"id": 1001, "summary": "Old", "closedFlag": True})

    ticket = provider.get_ticket(1001)

    assert ticket == Ticket(id=1001, summary="Old", board_id=None, board_name="", status=None, closed=True)


@pytest.mark.parametrize(
    ("kind", "internal", "resolution"),
    [(NoteKind.RESOLUTION, False, True), (NoteKind.INTERNAL, True, False)],
)
def test_it_posts_a_note_with_the_flags_of_its_kind(cw, provider, kind, internal, resolution):
    cw.post(
        f"{TICKET_URL}/notes",
        status=201,
        json={**NOTE_JSON, "internalAnalysisFlag": internal, "resolutionFlag": resolution},
    )

    note = provider.post_note(1001, text="Cleared cached credentials.", kind=kind)

    call = cw.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == f"{TICKET_URL}/notes"
    assert call.request.headers["Content-Type"] == "application/json"
    assert sent_json(call) == {
        "text": "Cleared cached credentials.",
        "detailDescriptionFlag": False,
        "internalAnalysisFlag": internal,
        "resolutionFlag": resolution,
        "customerUpdatedFlag": False,
        "processNotifications": False,
    }
    assert note == Note(
        id=555, ticket_id=1001, text="Cleared cached credentials.", internal=internal, resolution=resolution
    )


def test_it_asks_connectwise_to_notify_the_customer_when_told(cw, provider):
    cw.post(f"{TICKET_URL}/notes", status=201, json=NOTE_JSON)

    provider.post_note(1001, text="Cleared cached credentials.", kind=NoteKind.RESOLUTION, notify_customer=True)

    assert sent_json(cw.calls[0])["processNotifications"] is True


def test_it_reads_every_note_since_a_time_newest_first_page_after_page(cw, provider):
    full_page = [{"id": 500 - n, "ticketId": 1001, "text": f"Note {500 - n}"} for n in range(100)]
    cw.get(f"{TICKET_URL}/notes", json=full_page)
    cw.get(f"{TICKET_URL}/notes", json=[{"id": 9, "text": "Oldest", "internalAnalysisFlag": True}])

    notes = list(provider.list_notes_since(1001, SINCE))

    since = "dateCreated >= [2026-12-01T07:50:00Z]"  # ten minutes before: ConnectWise's clock may be behind ours
    assert [parse_qs(urlsplit(call.request.url).query) for call in cw.calls] == [
        {"conditions": [since], "orderBy": ["id desc"], "pageSize": ["100"], "page": ["1"]},
        {"conditions": [since], "orderBy": ["id desc"], "pageSize": ["100"], "page": ["2"]},
    ]
    assert len(notes) == 101
    assert notes[0] == Note(id=500, ticket_id=1001, text="Note 500", internal=False, resolution=False)
    assert notes[-1] == Note(id=9, ticket_id=1001, text="Oldest", internal=True, resolution=False)


def test_it_stops_reading_notes_as_soon_as_the_caller_has_what_it_wants(cw, provider):
    cw.get(f"{TICKET_URL}/notes", json=[{"id": 600 - n, "text": "x"} for n in range(100)])

    first = next(iter(provider.list_notes_since(1001, SINCE)))

    assert first.id == 600
    assert len(cw.calls) == 1


def test_it_sets_the_status_with_a_json_patch(cw, provider):
    cw.patch(TICKET_URL, json={**TICKET_JSON, "status": {"id": 50, "name": "Resolved"}, "closedFlag": True})

    ticket = provider.set_status(1001, 50)

    call = cw.calls[0]
    assert call.request.method == "PATCH"
    assert call.request.url == TICKET_URL
    assert call.request.headers["Content-Type"] == "application/json"
    assert sent_json(call) == [{"op": "replace", "path": "status", "value": {"id": 50}}]
    assert ticket.status == TicketStatus(id=50, name="Resolved")
    assert ticket.closed is True


def status_page(page: int, *, last: int, origin: str = SITE) -> dict:
    rows = [
        {"id": page * 10 + i, "name": f"S{page}.{i}", "closedStatus": i == 1, "inactive": page == 3} for i in (0, 1)
    ]
    links = []
    if page < last:
        links.append(
            f'<{origin}/v4_6_release/apis/3.0/service/boards/7/statuses?page={page + 1}&pageSize=1000>; rel="next"'
        )
    links.append(f'<{SITE}/v4_6_release/apis/3.0/service/boards/7/statuses?page={last}&pageSize=1000>; rel="last"')
    return {"json": rows, "headers": {"Link": ", ".join(links)}}


def test_it_lists_board_statuses_across_pages_by_following_next_links(cw, provider):
    for page in (1, 2, 3):
        cw.get(
            STATUSES_URL,
            match=[matchers.query_param_matcher({"page": str(page), "pageSize": "1000"})],
            **status_page(page, last=3),
        )

    statuses = provider.list_board_statuses(7)

    assert [call.request.url for call in cw.calls] == [
        f"{STATUSES_URL}?page=1&pageSize=1000",
        f"{STATUSES_URL}?page=2&pageSize=1000",
        f"{STATUSES_URL}?page=3&pageSize=1000",
    ]
    assert [status.id for status in statuses] == [10, 11, 20, 21, 30, 31]
    assert statuses[1] == BoardStatus(id=11, name="S1.1", closed=True, inactive=False)
    assert statuses[4] == BoardStatus(id=30, name="S3.0", closed=False, inactive=True)


def test_it_follows_a_relative_next_link_on_the_same_site(cw, provider):
    relative_next = '</v4_6_release/apis/3.0/service/boards/7/statuses?page=2&pageSize=1000>; rel="next"'
    first_page = matchers.query_param_matcher({"page": "1", "pageSize": "1000"})
    cw.get(STATUSES_URL, match=[first_page], json=[], headers={"Link": relative_next})
    cw.get(STATUSES_URL, match=[matchers.query_param_matcher({"page": "2", "pageSize": "1000"})], json=[])

    assert provider.list_board_statuses(7) == []
    assert len(cw.calls) == 2


def test_it_refuses_a_next_link_to_another_site(cw, provider):
    cw.get(STATUSES_URL, **status_page(1, last=2, origin="https://evil.example.test"))

    with pytest.raises(PsaValidationError, match="another site"):
        provider.list_board_statuses(7)

    assert len(cw.calls) == 1


def test_it_stops_following_next_links_after_50_pages(cw, provider):
    looping_link = f'<{STATUSES_URL}?page=1&pageSize=1000>; rel="next"'
    cw.get(STATUSES_URL, json=[{"id": 1, "name": "New"}], headers={"Link": looping_link})

    with pytest.raises(PsaValidationError, match="more than 50 pages"):
        provider.list_board_statuses(7)

    assert len(cw.calls) == 50


# Errors


def test_it_maps_refused_credentials_to_an_auth_error(cw, provider):
    cw.get(TICKET_URL, status=401, json={"code": "Unauthorized", "message": "Bad keys"})

    with pytest.raises(PsaAuthError) as caught:
        provider.get_ticket(1001)

    assert caught.value.message.startswith("ConnectWise refused the credentials")
    assert caught.value.status_code == 401
    assert caught.value.code == "psa_auth_failed"


@pytest.mark.parametrize(
    ("call", "method", "url", "refused", "permission"),
    [
        (lambda p: p.get_ticket(1001), "GET", TICKET_URL, "reading ticket 1001", "Service Tickets: Inquire"),
        (
            lambda p: p.post_note(1001, text="x", kind=NoteKind.RESOLUTION),
            "POST",
            f"{TICKET_URL}/notes",
            "adding a note to ticket 1001",
            "Service Tickets: Add and Edit",
        ),
        (lambda p: p.set_status(1001, 5), "PATCH", TICKET_URL, "changing the status of ticket 1001", "Add and Edit"),
        (
            lambda p: p.list_board_statuses(1),
            "GET",
            f"{BASE}/service/boards/1/statuses",
            "reading the statuses of board 1",
            "Table Setup: Inquire",
        ),
    ],
    ids=["ticket", "note", "status", "board-statuses"],
)
def test_a_403_names_the_refused_call_and_the_security_role_it_needs(
    cw, provider, call, method, url, refused, permission
):
    cw.add(method, url, status=403, json={"code": "Forbidden", "message": "You do not have access to this resource."})

    with pytest.raises(PsaPermissionDenied) as caught:
        call(provider)

    assert caught.value.code == "psa_permission_denied"
    assert f"ConnectWise refused {refused} (HTTP 403)" in caught.value.message
    assert "the API member's security role does not allow it" in caught.value.message
    assert permission in caught.value.message
    assert "keys" not in caught.value.message  # not the advice for bad credentials


def test_it_maps_an_unknown_ticket_to_not_found(cw, provider):
    cw.get(TICKET_URL, status=404, json={"code": "NotFound", "message": "Ticket not found"})
    cw.get(f"{SITE}/login/companyinfo/acme", json={"Codebase": "v4_6_release/"})  # the codebase has not moved

    with pytest.raises(PsaNotFound) as caught:
        provider.get_ticket(1001)

    assert "ticket 1001" in caught.value.message
    assert caught.value.code == "psa_ticket_not_found"


def test_it_shows_connectwise_own_message_when_it_rejects_a_request(cw, provider):
    envelope = {
        "code": "InvalidObject",
        "message": "ServiceNote object is invalid",
        "errors": [
            {"code": "NullOrEmpty", "message": "The text field is required.", "resource": "note", "field": "text"},
            {"code": "Length", "message": "Too long.", "resource": "note", "field": "text"},
            {"code": "X", "message": "Third.", "resource": "note", "field": "x"},
            {"code": "X", "message": "Fourth is left out.", "resource": "note", "field": "x"},
        ],
    }
    cw.post(f"{TICKET_URL}/notes", status=400, json=envelope)

    with pytest.raises(PsaValidationError) as caught:
        provider.post_note(1001, text="", kind=NoteKind.INTERNAL)

    assert caught.value.message == ("ServiceNote object is invalid: The text field is required.; Too long.; Third.")
    assert caught.value.status_code == 400
    assert caught.value.code == "psa_rejected"


@pytest.mark.parametrize("status", [409, 422, 418])
def test_it_maps_other_client_errors_to_a_rejection_with_cw_message(cw, provider, status):
    cw.patch(TICKET_URL, status=status, json={"code": "Conflict", "message": "Status is not on this board"})

    with pytest.raises(PsaValidationError) as caught:
        provider.set_status(1001, 50)

    assert caught.value.message == "Status is not on this board"
    assert caught.value.status_code == status


def test_it_falls_back_to_a_plain_message_when_a_rejection_is_not_json(cw, provider):
    cw.patch(TICKET_URL, status=400, body="<html>Bad Request</html>", content_type="text/html")

    with pytest.raises(PsaValidationError, match=r"^ConnectWise rejected the request \(HTTP 400\)$"):
        provider.set_status(1001, 50)


def test_it_maps_429_with_retry_after_seconds_to_a_transient_error(cw, provider):
    cw.get(TICKET_URL, status=429, headers={"Retry-After": "30"})

    with pytest.raises(PsaTransientError) as caught:
        provider.get_ticket(1001)

    assert caught.value.retry_after == 30
    assert caught.value.status_code == 429
    assert caught.value.transient is True
    assert caught.value.code == "psa_unavailable"


def test_it_reads_retry_after_as_an_http_date(cw, provider):
    in_two_minutes = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    cw.get(TICKET_URL, status=429, headers={"Retry-After": in_two_minutes})

    with pytest.raises(PsaTransientError) as caught:
        provider.get_ticket(1001)

    assert 100 <= caught.value.retry_after <= 120


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("soon", None),
        ("1.5", 1.5),
        ("-5", 0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0),  # a date in the past means "now"
    ],
)
def test_it_reads_retry_after_carefully(cw, provider, header, expected):
    cw.get(TICKET_URL, status=429, headers={"Retry-After": header} if header else {})

    with pytest.raises(PsaTransientError) as caught:
        provider.get_ticket(1001)

    assert caught.value.retry_after == expected


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_maps_server_errors_to_a_transient_error(cw, provider, status):
    cw.get(TICKET_URL, status=status, body="oops")

    with pytest.raises(PsaTransientError) as caught:
        provider.get_ticket(1001)

    assert caught.value.status_code == status
    assert caught.value.retry_after is None


def test_it_honours_retry_after_on_a_503(cw, provider):
    cw.get(TICKET_URL, status=503, headers={"Retry-After": "120"})

    with pytest.raises(PsaTransientError) as caught:
        provider.get_ticket(1001)

    assert caught.value.retry_after == 120


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (requests.ConnectionError("Connection refused"), "connection was refused or dropped"),
        (requests.exceptions.ChunkedEncodingError("Connection broken"), "connection was refused or dropped"),
        (requests.ConnectTimeout("connect timed out"), "did not answer in time"),
        (requests.ReadTimeout("read timed out"), "did not answer in time"),
    ],
)
def test_it_maps_network_failures_to_a_transient_error(cw, provider, failure, message):
    cw.get(TICKET_URL, body=failure)

    with pytest.raises(PsaTransientError, match=message) as caught:
        provider.get_ticket(1001)

    assert caught.value.status_code is None


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [(requests.ReadTimeout("read timed out"), 15), (requests.ConnectTimeout("connect timed out"), None)],
    ids=["sent-but-unanswered", "never-connected"],
)
def test_a_request_left_unanswered_is_retried_no_sooner_than_one_more_read_timeout(cw, provider, failure, retry_after):
    """ConnectWise may still apply a request whose answer timed out: a retry that looks too soon (for a
    note, on the ticket) would miss it and post again. A request that never connected is retried as usual."""
    cw.post(f"{TICKET_URL}/notes", body=failure)

    with pytest.raises(PsaTransientError) as caught:
        provider.post_note(1001, text="Fixed.", kind=NoteKind.RESOLUTION)

    assert caught.value.retry_after == retry_after


def test_it_never_follows_a_redirect(cw, provider):
    cw.get(TICKET_URL, status=302, headers={"Location": "https://evil.example.test/steal"})
    cw.get("https://evil.example.test/steal", json=TICKET_JSON)
    cw.assert_all_requests_are_fired = False

    with pytest.raises(PsaValidationError) as caught:
        provider.get_ticket(1001)

    assert caught.value.message == "ConnectWise answered with a redirect; check the site URL"

    assert [call.request.url for call in cw.calls] == [TICKET_URL]


def test_it_rejects_a_success_that_is_not_json(cw, provider):
    cw.get(TICKET_URL, body="<html>Login page</html>", content_type="text/html")

    with pytest.raises(PsaValidationError, match="not JSON") as caught:
        provider.get_ticket(1001)

    assert caught.value.status_code == 200


@pytest.mark.parametrize("answer", [{"summary": "no id"}, ["a", "list"], {"id": "abc"}])
def test_it_rejects_json_of_the_wrong_shape(cw, provider, answer):
    cw.get(TICKET_URL, json=answer)

    with pytest.raises(PsaValidationError, match="a ticket FlowPilot cannot read"):
        provider.get_ticket(1001)


def test_it_never_shows_the_private_key_in_errors_or_reprs(cw, provider):
    failures = [
        {"status": 401, "json": {"message": "Bad keys"}},
        {"status": 400, "json": {"message": "Rejected"}},
        {"status": 429},
        {"status": 500},
        {"status": 302, "headers": {"Location": f"{SITE}/elsewhere"}},
        {"body": requests.ConnectionError("refused")},
        {"body": requests.ReadTimeout("slow")},
        {"body": "not json"},
    ]
    errors = []
    for failure in failures:
        cw.get(TICKET_URL, **failure)
        with pytest.raises(PsaError) as caught:
            provider.get_ticket(1001)
        errors.append(caught.value)
        cw.reset()

    seen = " ".join(error_chain_text(error) for error in errors) + repr(provider) + repr(SETTINGS)
    assert PRIVATE_KEY not in seen
    assert AUTH_TOKEN not in seen
    assert len(errors) == len(failures)


# Codebase discovery


def test_it_discovers_the_codebase_without_credentials(cw):
    cw.get(
        f"{SITE}/login/companyinfo/acme",
        json={"CompanyName": "Acme", "Codebase": "v2025_1/", "VersionCode": "v2025.1", "CompanyID": "acme"},
    )

    session = requests.Session()

    with mock.patch.object(session, "request", wraps=session.request) as request:
        assert discover_codebase(f"{SITE}/", "acme", timeout=(1, 2), session=session) == "v2025_1/"

    assert cw.calls[0].request.url == f"{SITE}/login/companyinfo/acme"
    assert "Authorization" not in cw.calls[0].request.headers
    assert "clientId" not in cw.calls[0].request.headers
    assert request.call_args.kwargs["timeout"] == (1, 2)
    assert request.call_args.kwargs["allow_redirects"] is False


def test_it_discovers_the_codebase_over_its_own_session(cw):
    cw.get(f"{SITE}/login/companyinfo/acme", json={"Codebase": "v4_6_release/"})

    assert discover_codebase(SITE, "acme") == "v4_6_release/"


def test_it_quotes_the_company_id_in_the_discovery_url(cw):
    cw.get(f"{SITE}/login/companyinfo/..%2Fadmin", json={"Codebase": "v4_6_release/"})

    assert discover_codebase(SITE, "../admin") == "v4_6_release/"


@pytest.mark.parametrize("answer", [{"status": 404}, {"body": "null"}, {"json": {}}, {"json": {"Codebase": ""}}])
def test_it_reports_an_unknown_company(cw, answer):
    cw.get(f"{SITE}/login/companyinfo/nobody", **answer)

    with pytest.raises(PsaNotFound, match="no such company"):
        discover_codebase(SITE, "nobody")


def test_it_refuses_a_codebase_that_could_change_the_api_url(cw):
    cw.get(f"{SITE}/login/companyinfo/acme", json={"Codebase": "x?y=#evil.example.test/"})

    with pytest.raises(PsaValidationError, match="codebase"):
        discover_codebase(SITE, "acme")


def test_it_maps_discovery_failures_like_any_other_call(cw):
    cw.get(f"{SITE}/login/companyinfo/acme", status=503, headers={"Retry-After": "5"})

    with pytest.raises(PsaTransientError) as caught:
        discover_codebase(SITE, "acme", session=requests.Session())

    assert caught.value.retry_after == 5


def test_it_checks_the_credentials_with_system_info(cw, provider):
    cw.get(f"{BASE}/system/info", json={"version": "v2025.1.10431", "isCloud": True})

    assert provider.check_credentials() == "ConnectWise v2025.1.10431"
    assert cw.calls[0].request.headers["clientId"] == "client-uuid"


# A cloud upgrade moves the codebase


COMPANY_INFO_URL = f"{SITE}/login/companyinfo/acme"


def test_a_404_after_the_codebase_moved_finds_the_new_one_and_calls_it_there(cw):
    moved = []
    cw.get(TICKET_URL, status=404, json={"code": "NotFound", "message": "Not found"})
    cw.get(COMPANY_INFO_URL, json={"Codebase": "v2025_2/"})
    cw.get(f"{SITE}/v2025_2/apis/3.0/service/tickets/1001", json=TICKET_JSON)
    provider = ConnectWiseProvider(SETTINGS, on_codebase_moved=moved.append)

    ticket = provider.get_ticket(1001)

    assert ticket.id == 1001
    assert moved == ["v2025_2/"]
    assert provider.base_url == f"{SITE}/v2025_2/apis/3.0"
    assert "Authorization" not in cw.calls[1].request.headers  # companyinfo is asked without the keys


def test_a_404_with_the_codebase_unchanged_is_a_missing_ticket_and_companyinfo_is_asked_once(cw):
    moved = []
    cw.get(TICKET_URL, status=404, json={"code": "NotFound", "message": "Not found"})
    cw.get(COMPANY_INFO_URL, json={"Codebase": "v4_6_release/"})
    provider = ConnectWiseProvider(SETTINGS, on_codebase_moved=moved.append)

    for _ in range(2):
        with pytest.raises(PsaNotFound, match="ConnectWise has no ticket 1001"):
            provider.get_ticket(1001)

    assert moved == []
    assert [call.request.url for call in cw.calls].count(COMPANY_INFO_URL) == 1


def test_a_404_when_companyinfo_is_briefly_unavailable_is_retried_later_not_taken_as_missing(cw, provider):
    cw.get(TICKET_URL, status=404, json={"code": "NotFound", "message": "Not found"})
    cw.get(COMPANY_INFO_URL, status=503)

    with pytest.raises(PsaTransientError):
        provider.get_ticket(1001)


def test_a_404_when_companyinfo_knows_no_such_company_stays_a_missing_ticket(cw, provider):
    cw.get(TICKET_URL, status=404, json={"code": "NotFound", "message": "Not found"})
    cw.get(COMPANY_INFO_URL, status=404, json={"code": "NotFound", "message": "Company not found"})

    with pytest.raises(PsaNotFound, match="ConnectWise has no ticket 1001"):
        provider.get_ticket(1001)
