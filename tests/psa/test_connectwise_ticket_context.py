"""What the ticket says, as ConnectWise tells it (`get_ticket_context`): against `responses` for the exact
requests and every shape of answer, then over HTTP against the simulator."""

import dataclasses
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from devtools.connectwise.simulator import ConnectWiseSimulator, connection_fields
from psa.providers._http import NOTE_TEXT_MAX
from psa.providers.base import (
    ConnectionSettings,
    NoteKind,
    PsaNotFound,
    PsaPermissionDenied,
    PsaValidationError,
    TicketNote,
)
from psa.providers.connectwise import CONTEXT_NOTE_PAGE_SIZE, ConnectWiseProvider, ui_origin

SITE = "https://cw.example.test"
BASE = f"{SITE}/v4_6_release/apis/3.0"
TICKET_URL = f"{BASE}/service/tickets/1001"
NOTES_URL = f"{TICKET_URL}/notes"
SETTINGS = ConnectionSettings(site_url=SITE, company_id="acme", public_key="pub", private_key="priv", client_id="c")

TICKET_JSON = {
    "id": 1001,
    "summary": "Outlook prompts for a password in a loop",
    "board": {"id": 7, "name": "Service Desk", "_info": {}},
    "status": {"id": 42, "name": "In Progress", "_info": {}},
    "closedFlag": False,
    "company": {"id": 250, "identifier": "ContosoLtd", "name": "Contoso Ltd", "_info": {}},
    "site": {"id": 31, "name": "Main", "_info": {}},
    "siteName": "Main",
    "contact": {"id": 3101, "name": "Dana Whitfield", "_info": {}},
    "contactName": "Dana Whitfield",
    "contactEmailAddress": "dana@contoso.example",
    "contactPhoneNumber": "+1 555 0100",
    "contactPhoneExtension": "12",
    "priority": {"id": 3, "name": "Priority 3 - Normal Response", "sort": 6, "_info": {}},
}


def note(note_id, text, *, flag="detailDescriptionFlag", when="2026-12-01T08:00:00Z", **author):
    flags = {name: name == flag for name in ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")}
    return {"id": note_id, "ticketId": 1001, "text": text, **flags, "dateCreated": when, "createdBy": "x", **author}


DANA = {"contact": {"id": 3101, "name": "Dana Whitfield"}, "createdBy": "email-connector"}
RAVI = {"member": {"id": 148, "identifier": "rpatel", "name": "Ravi Patel"}, "createdBy": "rpatel"}
NOTES_NEWEST_FIRST = [
    note(14, "Resolved by clearing the cached credentials.", flag="resolutionFlag", **RAVI),
    note(13, "Still happening after a restart.", when="2026-12-01T09:30:00Z", **DANA),
    note(12, "Credential Manager has stale entries.", flag="internalAnalysisFlag", **RAVI),
    note(11, "Outlook asks for my password\r\nevery few minutes.", when="2026-11-30T16:05:00Z", **DANA),
]


@pytest.fixture
def cw():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def provider():
    return ConnectWiseProvider(SETTINGS)


def query(call) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def answer(cw, ticket=TICKET_JSON, notes=NOTES_NEWEST_FIRST):
    cw.get(TICKET_URL, json=ticket)
    cw.get(NOTES_URL, json=notes)


def test_it_reads_the_ticket_and_one_page_of_notes_newest_first_asking_only_for_the_fields_it_shows(cw, provider):
    answer(cw)

    provider.get_ticket_context(1001)

    assert len(cw.calls) == 2
    ticket_query, notes_query = query(cw.calls[0]), query(cw.calls[1])
    assert set(ticket_query["fields"].split(",")) >= {"company", "contact", "contactName", "site", "priority"}
    assert notes_query["orderBy"] == "id desc"
    assert (notes_query["page"], notes_query["pageSize"]) == ("1", str(CONTEXT_NOTE_PAGE_SIZE))
    assert set(notes_query["fields"].split(",")) >= {"text", "detailDescriptionFlag", "dateCreated", "createdBy"}


def test_it_tells_who_reported_the_ticket_for_whom_where_and_how_urgent(cw, provider):
    answer(cw)

    context = provider.get_ticket_context(1001)

    assert (context.id, context.summary, context.board_name, context.status_name, context.closed) == (
        1001,
        "Outlook prompts for a password in a loop",
        "Service Desk",
        "In Progress",
        False,
    )
    assert (context.company_name, context.contact_name, context.site_name, context.priority_name) == (
        "Contoso Ltd",
        "Dana Whitfield",
        "Main",
        "Priority 3 - Normal Response",
    )
    assert (context.contact_email, context.contact_phone) == ("dana@contoso.example", "+1 555 0100 x12")
    assert context.psa_name == "ConnectWise"


def test_the_description_is_the_oldest_discussion_note_and_the_rest_are_the_recent_notes_newest_first(cw, provider):
    answer(cw)

    context = provider.get_ticket_context(1001, recent_notes=5)

    assert context.description == TicketNote(
        id=11,
        text="Outlook asks for my password\nevery few minutes.",
        author="Dana Whitfield",
        created_at=datetime(2026, 11, 30, 16, 5, tzinfo=UTC),
        internal=False,
    )
    assert [note.id for note in context.recent_notes] == [14, 13, 12]
    assert context.note(11) == context.description
    assert context.note(99) is None


def test_each_note_says_who_wrote_it_and_whether_the_customer_sees_it(cw, provider):
    answer(cw)

    resolution, reply, internal = provider.get_ticket_context(1001).recent_notes

    assert (resolution.author, resolution.visibility) == ("Ravi Patel", "customer")  # a member's resolution
    assert (reply.author, reply.visibility) == ("Dana Whitfield", "customer")  # the contact, by e-mail
    assert (internal.author, internal.visibility) == ("Ravi Patel", "internal")


def test_it_keeps_only_as_many_recent_notes_as_asked(cw, provider):
    answer(cw)

    assert [note.id for note in provider.get_ticket_context(1001, recent_notes=1).recent_notes] == [14]


def test_a_note_without_member_or_contact_is_by_whoever_created_it_and_blank_notes_are_left_out(cw, provider):
    notes = [
        note(3, "   ", flag="internalAnalysisFlag"),
        {"id": 2, "text": "Imported from the old helpdesk.", "internalAnalysisFlag": True, "createdBy": "migration"},
        note(1, "The description."),
    ]
    answer(cw, notes=notes)

    context = provider.get_ticket_context(1001)

    (imported,) = context.recent_notes
    assert (imported.author, imported.created_at, imported.internal) == ("migration", None, True)
    assert context.description.text == "The description."


def test_a_ticket_without_a_discussion_note_has_no_description(cw, provider):
    answer(cw, notes=[note(5, "Internal only.", flag="internalAnalysisFlag")])

    context = provider.get_ticket_context(1001)

    assert context.description is None
    assert [note.id for note in context.recent_notes] == [5]


def test_when_the_page_is_full_the_first_note_may_be_beyond_it_so_no_description_is_claimed(cw, provider):
    notes = [note(n, f"Note {n}") for n in range(CONTEXT_NOTE_PAGE_SIZE, 0, -1)]
    answer(cw, notes=notes)

    context = provider.get_ticket_context(1001)

    assert context.description is None
    assert [note.id for note in context.recent_notes] == [100, 99, 98, 97, 96]


def test_a_long_note_is_cut_where_the_engineer_can_still_read_it(cw, provider):
    answer(cw, notes=[note(1, "x" * (NOTE_TEXT_MAX + 500))])

    text = provider.get_ticket_context(1001).description.text

    assert len(text) == NOTE_TEXT_MAX + 1
    assert text.endswith("…")


def test_a_ticket_with_nothing_filled_in_reads_as_empty_words(cw, provider):
    answer(cw, ticket={"id": 1001, "summary": "Bare"}, notes=[])

    context = provider.get_ticket_context(1001)

    assert (context.company_name, context.contact_name, context.site_name, context.priority_name) == ("", "", "", "")
    assert (context.board_name, context.status_name, context.contact_phone) == ("", "", "")
    assert (context.description, context.recent_notes) == (None, ())


def test_the_link_opens_the_ticket_in_connectwise_on_the_ui_host_of_the_api_site():
    provider = ConnectWiseProvider(dataclasses.replace(SETTINGS, site_url="https://api-na.myconnectwise.net"))

    assert provider.ticket_web_url(48213) == (
        "https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails"
        "?service_recid=48213&companyName=acme"
    )


@pytest.mark.parametrize(
    ("site_url", "origin"),
    [
        ("https://api-eu.myconnectwise.net", "https://eu.myconnectwise.net"),
        ("https://api-au.myconnectwise.net/", "https://au.myconnectwise.net"),
        ("https://cw.example.test", "https://cw.example.test"),  # on premises: one host for both
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
    ],
)
def test_the_ui_host_drops_the_api_prefix_of_connectwise_cloud(site_url, origin):
    assert ui_origin(site_url) == origin


def test_the_link_follows_the_codebase_the_api_is_on(provider):
    provider.codebase = "v2025_1/"

    assert "/v2025_1/services/system_io/Service/fv_sr100_request.rails?" in provider.ticket_web_url(1001)


def test_an_unknown_ticket_is_not_found_and_its_notes_are_not_asked_for(cw, provider):
    cw.get(TICKET_URL, status=404, json={"code": "NotFound", "message": "Ticket with id 1001 not found"})
    cw.get(f"{SITE}/login/companyinfo/acme", json={"Codebase": "v4_6_release/"})  # the codebase did not move

    with pytest.raises(PsaNotFound, match="no ticket 1001"):
        provider.get_ticket_context(1001)

    assert all("/notes" not in call.request.url for call in cw.calls)


def test_a_role_that_may_not_read_notes_is_named_with_the_permission_it_needs(cw, provider):
    cw.get(TICKET_URL, json=TICKET_JSON)
    cw.get(NOTES_URL, status=403, json={"code": "Forbidden", "message": "Forbidden"})

    with pytest.raises(PsaPermissionDenied, match=r"reading the notes of ticket 1001.*Service Tickets: Inquire"):
        provider.get_ticket_context(1001)


@pytest.mark.parametrize("notes", [{"not": "a list"}, [{"text": "no id"}], "text"])
def test_notes_of_the_wrong_shape_are_a_rejection_not_a_crash(cw, provider, notes):
    answer(cw, notes=notes)

    with pytest.raises(PsaValidationError, match="notes FlowPilot cannot read"):
        provider.get_ticket_context(1001)


# Over HTTP, against the project's simulator


@pytest.fixture
def simulator_with_history(settings):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True  # the simulator serves 127.0.0.1
    with ConnectWiseSimulator(port=0, ticket_history=True) as simulator:
        yield simulator


def test_against_the_simulator_a_demo_ticket_reads_as_the_demo_shows_it(simulator_with_history):
    provider = ConnectWiseProvider(ConnectionSettings(**connection_fields(simulator_with_history.url)))

    context = provider.get_ticket_context(48213, recent_notes=2)

    assert (context.company_name, context.contact_name, context.priority_name) == (
        "Contoso Legal LLP",
        "Marcus Reed",
        "Priority 2 - Quick Response",
    )
    assert context.description.text.startswith("Since the mailbox move last night")
    assert context.description.author == "Marcus Reed"
    newest, before = context.recent_notes
    assert (newest.author, newest.internal) == ("Sophie Martin", True)
    assert (before.author, before.internal) == ("Marcus Reed", False)
    assert newest.created_at > before.created_at
    assert context.web_url.startswith(f"{simulator_with_history.url}/v4_6_release/services/system_io/Service/")
    assert simulator_with_history.state()["requests"] == {"GET ticket": 1, "GET notes": 1}


def test_against_the_simulator_a_note_flowpilot_posted_is_the_newest_and_by_its_api_member(simulator_with_history):
    provider = ConnectWiseProvider(ConnectionSettings(**connection_fields(simulator_with_history.url)))
    provider.post_note(1001, text="Cleared the cached credentials.", kind=NoteKind.RESOLUTION)

    context = provider.get_ticket_context(1001)

    assert context.recent_notes[0].text == "Cleared the cached credentials."
    assert (context.recent_notes[0].author, context.recent_notes[0].visibility) == ("FlowPilot API", "customer")
    assert context.description.text.startswith("Test ticket 1001: it started this morning")
