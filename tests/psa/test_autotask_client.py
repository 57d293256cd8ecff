"""The Autotask client against `responses`: exact requests out, the zone found and followed, picklists read by
label, every failure mapped to a PsaError in Autotask's own words."""

import json
import uuid
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.core.cache.backends.locmem import LocMemCache

from psa.providers.autotask import (
    NOTE_MAX_CHARACTERS,
    AutotaskProvider,
    AutotaskSettings,
    discover_zone,
    web_url_for,
)
from psa.providers.base import (
    BoardStatus,
    Note,
    NoteKind,
    PsaAuthError,
    PsaNotFound,
    PsaPermissionDenied,
    PsaTransientError,
    PsaValidationError,
    Ticket,
    TicketStatus,
)

LOOKUP = "https://webservices.autotask.net/atservicesrest"
ZONE_LOOKUP_URL = f"{LOOKUP}/v1.0/zoneInformation"
ZONE = "https://webservices5.autotask.net/ATServicesRest"
MOVED_ZONE = "https://webservices14.autotask.net/ATServicesRest"
API = f"{ZONE}/V1.0"
SECRET = "secret-SHH-123"
CODE = "INTEGRATIONCODE-XYZ-0000000"
USER = "flowpilot@acme.example"
SETTINGS = AutotaskSettings(username=USER, secret=SECRET, integration_code=CODE, api_url=ZONE)
SINCE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def picklist(*values):
    return [
        {"value": str(value), "label": label, "isActive": active, "isSystem": False, "sortOrder": n}
        for n, (value, label, active) in enumerate(values)
    ]


TICKET_FIELDS = {
    "fields": [
        {"name": "id", "isPickList": False},
        {
            "name": "status",
            "isPickList": True,
            "picklistValues": picklist(
                (1, "New", True), (8, "In Progress", True), (5, "Complete", True), (14, "Retired", False)
            ),
        },
        {"name": "queueID", "isPickList": True, "picklistValues": picklist((29682833, "Level I Support", True))},
        {"name": "priority", "isPickList": True, "picklistValues": picklist((1, "High", True))},
    ]
}
# Values that differ from the simulator's on purpose: they are read by label, never assumed.
NOTE_FIELDS = {
    "fields": [
        {
            "name": "publish",
            "isPickList": True,
            "picklistValues": picklist((7, "All Autotask Users", True), (9, "Internal Project Team", True)),
        },
        {
            "name": "noteType",
            "isPickList": True,
            "picklistValues": picklist((3, "Task Summary", True), (4, "Task Detail", True)),
        },
    ]
}
TICKET = {
    "id": 1001,
    "title": "Outlook prompts for a password in a loop",
    "status": 8,
    "queueID": 29682833,
    "priority": 1,
    "companyID": 250,
    "contactID": 3101,
    "description": "It started this morning.",
    "createDate": "2026-12-01T07:00:00.000Z",
}


@pytest.fixture
def at():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock_api:
        yield mock_api


@pytest.fixture
def provider():
    return AutotaskProvider(SETTINGS, timeout=5)


def fields(at, ticket=True, notes=False):
    if ticket:
        at.get(f"{API}/Tickets/entityInformation/fields", json=TICKET_FIELDS)
    if notes:
        at.get(f"{API}/TicketNotes/entityInformation/fields", json=NOTE_FIELDS)


def sent_json(call):
    return json.loads(call.request.body)


def error_chain_text(exc: BaseException) -> str:
    texts = []
    while exc is not None:
        texts += [str(exc), repr(exc), getattr(exc, "message", "")]
        exc = exc.__cause__ or exc.__context__
    return " ".join(texts)


# Requests out


def test_it_sends_the_three_credential_headers_on_api_calls(at):
    impersonating = AutotaskSettings(
        username=USER, secret=SECRET, integration_code=CODE, api_url=ZONE, impersonation_resource_id="29683012"
    )
    fields(at)
    at.get(f"{API}/Tickets/1001", json={"item": TICKET})

    AutotaskProvider(impersonating, timeout=5).get_ticket(1001)

    headers = at.calls[-1].request.headers
    assert (headers["ApiIntegrationCode"], headers["UserName"], headers["Secret"]) == (CODE, USER, SECRET)
    assert headers["ImpersonationResourceId"] == "29683012"
    assert headers["Content-Type"] == "application/json"


def test_it_passes_the_timeout_and_never_follows_redirects(at):
    session = requests.Session()
    fields(at)
    with mock.patch.object(session, "request", wraps=session.request) as request:
        AutotaskProvider(SETTINGS, timeout=(1, 2), session=session).list_board_statuses(0)

    assert request.call_args.kwargs["timeout"] == (1, 2)
    assert request.call_args.kwargs["allow_redirects"] is False


def test_it_gets_a_ticket_with_its_status_and_queue_by_name(at, provider):
    fields(at)
    at.get(f"{API}/Tickets/1001", json={"item": TICKET})

    assert provider.get_ticket(1001) == Ticket(
        id=1001,
        summary="Outlook prompts for a password in a loop",
        board_id=29682833,
        board_name="Level I Support",
        status=TicketStatus(8, "In Progress"),
        closed=False,
    )


def test_a_ticket_at_the_complete_status_is_closed(at, provider):
    fields(at)
    at.get(f"{API}/Tickets/1001", json={"item": TICKET | {"status": 5}})

    ticket = provider.get_ticket(1001)

    assert ticket.closed is True and ticket.status == TicketStatus(5, "Complete")


def test_an_unknown_ticket_answered_with_a_null_item_is_not_found(at, provider):
    at.get(f"{API}/Tickets/999", json={"item": None})

    with pytest.raises(PsaNotFound, match="Autotask has no ticket 999 that this API user can see"):
        provider.get_ticket(999)


@pytest.mark.parametrize(
    ("kind", "title", "publish", "internal"),
    [
        (NoteKind.RESOLUTION, "Resolution", 7, False),
        (NoteKind.INTERNAL, "Escalation: internal analysis", 9, True),
    ],
)
def test_it_posts_a_note_with_the_picklist_values_of_its_kind(at, provider, kind, title, publish, internal):
    fields(at, ticket=False, notes=True)
    at.post(f"{API}/Tickets/1001/Notes", json={"itemId": 31001})

    note = provider.post_note(1001, text="Cleared cached credentials.", kind=kind)

    body = sent_json(at.calls[-1])
    assert body == {
        "ticketID": 1001,
        "title": title,
        "description": "Cleared cached credentials.",
        "noteType": 3,
        "publish": publish,
    }
    assert note == Note(
        id=31001, ticket_id=1001, text="Cleared cached credentials.", internal=internal, resolution=not internal
    )


def test_the_picklists_are_read_once_per_provider(at, provider):
    fields(at, ticket=False, notes=True)
    at.post(f"{API}/Tickets/1001/Notes", json={"itemId": 1})
    at.post(f"{API}/Tickets/1001/Notes", json={"itemId": 2})

    provider.post_note(1001, text="one", kind=NoteKind.INTERNAL)
    provider.post_note(1001, text="two", kind=NoteKind.RESOLUTION)

    assert [call.request.method for call in at.calls] == ["GET", "POST", "POST"]


def test_the_picklists_are_shared_through_the_cache_by_the_providers_of_one_database(at):
    shared = LocMemCache(f"autotask-picklists-{uuid.uuid4()}", {})
    fields(at, ticket=False, notes=True)
    at.post(f"{API}/Tickets/1001/Notes", json={"itemId": 1})
    at.post(f"{API}/Tickets/1001/Notes", json={"itemId": 2})

    for text in ("one", "two"):
        AutotaskProvider(SETTINGS, timeout=5, picklist_cache=shared).post_note(1001, text=text, kind=NoteKind.INTERNAL)

    assert [call.request.method for call in at.calls] == ["GET", "POST", "POST"]
    assert all(SECRET not in key and CODE not in key for key in shared._cache)


def test_checking_the_credentials_never_answers_from_the_cache(at):
    shared = LocMemCache(f"autotask-picklists-{uuid.uuid4()}", {})
    fields(at)
    at.get(f"{API}/Tickets/entityInformation/fields", status=401)
    AutotaskProvider(SETTINGS, timeout=5, picklist_cache=shared).list_board_statuses(0)
    at.get(ZONE_LOOKUP_URL, json=zone_answer())

    with pytest.raises(PsaAuthError):
        AutotaskProvider(SETTINGS, timeout=5, picklist_cache=shared).check_credentials()


def test_the_ticket_context_reads_only_the_notes_of_recent_weeks(at, provider):
    fields(at, notes=True)
    at.get(f"{API}/Tickets/1001", json={"item": TICKET | {"companyID": None, "contactID": None}})
    recent = [note_row(number, text=f"note {number}") for number in range(600, 606)]
    at.get(f"{API}/TicketNotes/query", json={"items": recent, "pageDetails": {"nextPageUrl": None}})

    with mock.patch("psa.providers.autotask.datetime") as clock:
        clock.now.return_value = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
        clock.fromisoformat = datetime.fromisoformat
        context = provider.get_ticket_context(1001, recent_notes=5)

    assert [note.id for note in context.recent_notes] == [605, 604, 603, 602, 601]
    query = next(call for call in at.calls if "TicketNotes/query" in call.request.url)
    search = json.loads(parse_qs(urlsplit(query.request.url).query)["search"][0])
    assert search["filter"][1] == {"op": "gte", "field": "createDateTime", "value": "2026-12-01T12:00:00Z"}


def test_a_ticket_quiet_for_weeks_shows_its_older_notes(at, provider):
    fields(at, notes=True)
    at.get(f"{API}/Tickets/1001", json={"item": TICKET | {"companyID": None, "contactID": None}})
    at.get(f"{API}/TicketNotes/query", json={"items": [note_row(9)], "pageDetails": {"nextPageUrl": None}})
    at.get(
        f"{API}/TicketNotes/query",
        json={"items": [note_row(n) for n in (1, 2, 9)], "pageDetails": {"nextPageUrl": None}},
    )

    context = provider.get_ticket_context(1001, recent_notes=5)

    assert [note.id for note in context.recent_notes] == [9, 2, 1]
    queries = [call for call in at.calls if "TicketNotes/query" in call.request.url]
    unbounded = json.loads(parse_qs(urlsplit(queries[1].request.url).query)["search"][0])
    assert unbounded["filter"] == [{"op": "eq", "field": "ticketID", "value": 1001}]


def test_a_missing_publish_label_refuses_to_post_and_says_which(at, provider):
    publish, note_type = NOTE_FIELDS["fields"]
    renamed = {"fields": [publish | {"picklistValues": picklist((7, "Everyone", True))}, note_type]}
    at.get(f"{API}/TicketNotes/entityInformation/fields", json=renamed)

    with pytest.raises(
        PsaValidationError, match="“publish” picklist has no active value labelled “All Autotask Users”"
    ):
        provider.post_note(1001, text="text", kind=NoteKind.RESOLUTION)


def test_a_note_over_32000_characters_is_refused_before_anything_is_sent(at, provider):
    with pytest.raises(PsaValidationError, match="at most 32,000 characters") as refused:
        provider.post_note(1001, text="x" * (NOTE_MAX_CHARACTERS + 1), kind=NoteKind.INTERNAL)

    assert "32,001" in refused.value.message
    assert len(at.calls) == 0


def test_a_note_of_exactly_32000_characters_is_posted(at, provider):
    fields(at, ticket=False, notes=True)
    at.post(f"{API}/Tickets/1001/Notes", json={"itemId": 5})

    assert provider.post_note(1001, text="x" * NOTE_MAX_CHARACTERS, kind=NoteKind.INTERNAL).id == 5


def test_it_sets_the_status_with_a_patch_and_reads_the_ticket_back(at, provider):
    at.patch(f"{API}/Tickets", json={"itemId": 1001})
    fields(at)
    at.get(f"{API}/Tickets/1001", json={"item": TICKET | {"status": 5}})

    ticket = provider.set_status(1001, 5)

    assert sent_json(at.calls[0]) == {"id": 1001, "status": 5}
    assert ticket.status == TicketStatus(5, "Complete")


def test_it_lists_the_status_picklist_inactive_ones_included_whatever_the_board(at, provider):
    fields(at)

    assert provider.list_board_statuses(123) == [
        BoardStatus(1, "New", closed=False, inactive=False),
        BoardStatus(8, "In Progress", closed=False, inactive=False),
        BoardStatus(5, "Complete", closed=True, inactive=False),
        BoardStatus(14, "Retired", closed=False, inactive=True),
    ]


def note_row(note_id, publish=7, text="Cleared cached credentials."):
    return {"id": note_id, "ticketID": 1001, "description": text, "publish": publish, "noteType": 3}


def test_it_reads_every_note_since_a_time_across_pages_newest_first(at, provider):
    fields(at, ticket=False, notes=True)
    next_page = f"{API}/TicketNotes/query/next?paging=2"
    at.get(
        f"{API}/TicketNotes/query",
        json={"items": [note_row(1), note_row(2, publish=9)], "pageDetails": {"nextPageUrl": next_page}},
    )
    at.get(next_page, json={"items": [note_row(3)], "pageDetails": {"nextPageUrl": None}})

    notes = list(provider.list_notes_since(1001, SINCE))

    assert [(note.id, note.resolution, note.internal) for note in notes] == [
        (3, True, False),
        (2, False, True),
        (1, True, False),
    ]
    search = json.loads(parse_qs(urlsplit(at.calls[0].request.url).query)["search"][0])
    assert search["filter"] == [
        {"op": "eq", "field": "ticketID", "value": 1001},
        {"op": "gte", "field": "createDateTime", "value": "2026-12-01T07:50:00Z"},  # ten minutes of clock skew
    ]
    assert search["MaxRecords"] == 500


def test_it_refuses_a_next_page_link_to_another_site(at, provider):
    at.get(
        f"{API}/TicketNotes/query",
        json={"items": [], "pageDetails": {"nextPageUrl": "https://evil.example/steal"}},
    )

    with pytest.raises(PsaValidationError, match="another site"):
        list(provider.list_notes_since(1001, SINCE))


def test_it_checks_the_credentials_with_the_ticket_fields(at, provider):
    fields(at)

    assert provider.check_credentials() == "Autotask (webservices5.autotask.net)"


# The zone


def zone_answer(url=ZONE):
    return {"zoneName": "America East", "url": f"{url}/", "webUrl": "https://ww5.autotask.net/", "ci": 123}


def test_an_empty_api_url_is_discovered_from_the_username_and_saved(at):
    saved = []
    at.get(ZONE_LOOKUP_URL, json=zone_answer())
    fields(at)
    provider = AutotaskProvider(
        AutotaskSettings(username=USER, secret=SECRET, integration_code=CODE),
        timeout=5,
        on_settings_changed=saved.append,
    )

    assert provider.check_credentials() == "Autotask (America East)"

    assert saved == [{"api_url": ZONE}]
    lookup = at.calls[0].request
    assert parse_qs(urlsplit(lookup.url).query) == {"user": [USER]}
    assert not {"Secret", "ApiIntegrationCode", "UserName"} & set(lookup.headers)  # no credentials to the lookup
    assert provider.ticket_web_url(7) == (
        "https://ww5.autotask.net/Autotask/AutotaskExtend/ExecuteCommand.aspx?Code=OpenTicketDetail&TicketID=7"
    )


def test_the_zone_lookup_goes_to_the_configured_root(at):
    at.get(
        "http://127.0.0.1:9/v1.0/zoneInformation", json=zone_answer("http://127.0.0.1:9/webservices5/ATServicesRest")
    )

    zone = discover_zone(USER, zone_lookup_url="http://127.0.0.1:9")

    assert zone.api_url == "http://127.0.0.1:9/webservices5/ATServicesRest"


@pytest.mark.parametrize(
    "answer",
    [{"status": 404, "json": {"errors": ["Zone information could not be determined"]}}, {"json": {}}, {"body": "null"}],
)
def test_a_zone_lookup_that_knows_no_such_user_says_to_check_the_username(at, answer):
    at.get(ZONE_LOOKUP_URL, **answer)

    with pytest.raises(PsaAuthError) as refused:
        discover_zone(USER)

    assert refused.value.message == (
        "Autotask's zone lookup does not know the API user “flowpilot@acme.example”; check the username"
    )


def test_a_zone_lookup_that_is_down_is_transient(at):
    at.get(ZONE_LOOKUP_URL, status=503, body="<html>down</html>")

    with pytest.raises(PsaTransientError, match="zone lookup is unavailable"):
        discover_zone(USER)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://webservices5.autotask.net/x",
        "http://webservices5.autotask.net/x",
        "/rel",
        "https://user:pw@webservices5.autotask.net/ATServicesRest",
        "https://webservices5.autotask.net.evil.example/ATServicesRest",
        "https://169.254.169.254/latest",
    ],
)
def test_a_zone_url_fLowPilot_would_not_call_is_refused(at, url):
    at.get(ZONE_LOOKUP_URL, json={"url": url})

    with pytest.raises(PsaValidationError, match="will not call"):
        discover_zone(USER)


MOVED = {"errors": ["The database of this user is no longer in this zone. Use the zoneInformation API."]}


@pytest.mark.parametrize("old_zone_says", [{"status": 500, "json": MOVED}, {"status": 401}, {"status": 302}])
def test_a_moved_database_is_found_in_its_new_zone_saved_and_the_call_made_there(at, old_zone_says):
    saved = []
    provider = AutotaskProvider(SETTINGS, timeout=5, on_settings_changed=saved.append)
    at.get(f"{API}/Tickets/entityInformation/fields", **old_zone_says)
    at.get(ZONE_LOOKUP_URL, json=zone_answer(MOVED_ZONE))
    at.get(f"{MOVED_ZONE}/V1.0/Tickets/entityInformation/fields", json=TICKET_FIELDS)

    assert len(provider.list_board_statuses(0)) == 4

    assert saved == [{"api_url": MOVED_ZONE}]
    assert provider.api_url == MOVED_ZONE


def test_a_401_in_the_right_zone_is_bad_credentials_and_the_lookup_is_asked_once(at, provider):
    at.get(f"{API}/Tickets/1001", status=401)
    at.get(ZONE_LOOKUP_URL, json=zone_answer())

    with pytest.raises(PsaAuthError) as refused:
        provider.get_ticket(1001)
    with pytest.raises(PsaAuthError):
        provider.get_ticket(1001)

    assert "check the API user's username, secret and integration code" in refused.value.message
    assert [call.request.url.split("?")[0] for call in at.calls].count(ZONE_LOOKUP_URL) == 1


# Errors


def test_a_403_names_the_refused_call_and_the_security_level(at, provider):
    at.post(f"{API}/Tickets/1001/Notes", status=403, json={"errors": ["no permission"]})
    fields(at, ticket=False, notes=True)

    with pytest.raises(PsaPermissionDenied, match="Autotask refused adding a note to ticket 1001 \\(HTTP 403\\)"):
        provider.post_note(1001, text="t", kind=NoteKind.INTERNAL)


def test_a_business_rule_refusal_answered_as_500_shows_autotasks_words_and_is_not_retried(at, provider):
    at.patch(
        f"{API}/Tickets", status=500, json={"errors": ["Value 99 for field status is not a valid picklist value."]}
    )

    with pytest.raises(PsaValidationError) as refused:
        provider.set_status(1001, 99)

    assert (
        refused.value.message
        == "Autotask refused the request: Value 99 for field status is not a valid picklist value."
    )
    assert not refused.value.transient


@pytest.mark.parametrize("status", [500, 502, 503])
def test_an_outage_without_errors_is_transient(at, provider, status):
    at.get(f"{API}/Tickets/1001", status=status, body="<html><h2>500 - Internal server error.</h2></html>")

    with pytest.raises(PsaTransientError, match=f"Autotask is unavailable \\(HTTP {status}\\)"):
        provider.get_ticket(1001)


def test_a_500_that_says_to_try_again_is_transient(at, provider):
    at.get(f"{API}/Tickets/1001", status=500, json={"errors": ["Execution Timeout Expired."]})

    with pytest.raises(PsaTransientError, match="Execution Timeout Expired"):
        provider.get_ticket(1001)


def test_a_429_honours_retry_after(at, provider):
    at.get(f"{API}/Tickets/1001", status=429, json={"errors": ["Thread limit reached"]}, headers={"Retry-After": "7"})

    with pytest.raises(PsaTransientError) as limited:
        provider.get_ticket(1001)

    assert limited.value.retry_after == 7


def test_the_hourly_request_limit_waits_a_minute_when_autotask_says_not_how_long(at, provider):
    limit = {"errors": ["The API request threshold of 10000 requests per hour has been exceeded."]}
    at.get(f"{API}/Tickets/1001", status=429, json=limit)

    with pytest.raises(PsaTransientError, match="limiting requests") as limited:
        provider.get_ticket(1001)

    assert limited.value.retry_after == 60


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [(requests.ReadTimeout(), 15), (requests.ConnectTimeout(), None), (ConnectionError(), None)],
)
def test_network_failures_are_transient(at, failure, retry_after):
    at.get(f"{API}/Tickets/1001", body=requests.ConnectionError() if isinstance(failure, ConnectionError) else failure)

    with pytest.raises(PsaTransientError) as failed:
        AutotaskProvider(SETTINGS, timeout=(3, 15)).get_ticket(1001)

    assert failed.value.retry_after == retry_after


def test_a_success_that_is_not_json_is_a_clear_rejection(at, provider):
    at.get(f"{API}/Tickets/1001", body="<html>login</html>")

    with pytest.raises(PsaValidationError, match="not JSON"):
        provider.get_ticket(1001)


@pytest.mark.parametrize("answer", [{"item": {"title": "no id"}}, {"item": ["a"]}, ["a", "list"]])
def test_json_of_the_wrong_shape_is_a_rejection(at, provider, answer):
    fields(at, ticket=isinstance(answer, dict) and isinstance(answer.get("item"), dict))
    at.get(f"{API}/Tickets/1001", json=answer)

    with pytest.raises(PsaValidationError, match="cannot read"):
        provider.get_ticket(1001)


def test_it_never_shows_the_secret_or_integration_code(at, provider):
    at.get(f"{API}/Tickets/1001", status=401)
    at.get(ZONE_LOOKUP_URL, json=zone_answer())

    with pytest.raises(PsaAuthError) as refused:
        provider.get_ticket(1001)

    shown = " ".join([error_chain_text(refused.value), repr(provider), repr(SETTINGS), str(SETTINGS)])
    assert SECRET not in shown and CODE not in shown


@pytest.mark.parametrize(
    ("api_url", "web"),
    [
        (ZONE, "https://ww5.autotask.net/"),
        ("http://127.0.0.1:8766/webservices5/ATServicesRest", "http://127.0.0.1:8766/"),
    ],
)
def test_the_ui_follows_the_zone(api_url, web):
    assert web_url_for(api_url) == web
