"""The simulator's tickets carry what a real ConnectWise ticket does (company, contact, site, priority as
references), `fields` picks what an answer holds, and with `ticket_history` each seeded ticket has the notes
people wrote before FlowPilot, its description first."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.core.management import call_command

from devtools.connectwise.simulator import ConnectWiseSimulator
from tests.devtools.test_connectwise_simulator import TIMEOUT, Api, control

FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")


@pytest.fixture
def sim():
    with ConnectWiseSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def history():
    with ConnectWiseSimulator(port=0, ticket_history=True) as simulator:
        yield simulator


@pytest.fixture
def api(sim):
    api = Api(sim)
    yield api
    api.session.close()


def flags_of(note) -> tuple:
    return tuple(note[flag] for flag in FLAGS)


def test_a_ticket_names_its_company_contact_site_and_priority_as_connectwise_references(api):
    ticket = api.get("/service/tickets/48227").json()

    assert ticket["company"] == {"id": 320, "identifier": "FabrikamFoods", "name": "Fabrikam Foods Ltd", "_info": {}}
    assert ticket["contact"] == {"id": 4210, "name": "Dana Kowalski", "_info": {}}
    assert (ticket["contactName"], ticket["contactEmailAddress"]) == (
        "Dana Kowalski",
        "dana.kowalski@fabrikam-foods.example",
    )
    assert ticket["contactPhoneNumber"]
    assert ticket["site"] == {"id": 52, "name": "Head Office", "_info": {}}
    assert ticket["siteName"] == "Head Office"
    assert ticket["priority"] == {"id": 2, "name": "Priority 2 - Quick Response", "_info": {}}


def test_the_test_tickets_have_one_customer_and_an_ordinary_priority(sim):
    for ticket_id in (1001, 1010):
        ticket = sim.ticket(ticket_id)
        assert ticket["company"]["name"] == "Contoso Ltd"
        assert ticket["contactName"] == "Dana Whitfield"
        assert ticket["priority"]["name"] == "Priority 3 - Normal Response"


def test_a_ticket_created_later_gets_the_test_customer_and_a_replaced_one_keeps_its_own(sim):
    assert sim.add_ticket(50001, "New one")["company"]["name"] == "Contoso Ltd"
    assert sim.add_ticket(48213, "Renamed")["company"]["name"] == "Contoso Legal LLP"
    created = control(sim, "POST", "tickets", json={"id": 50002, "summary": "Over HTTP"}).json()
    assert created["contactName"] == "Dana Whitfield"


def test_fields_picks_what_a_ticket_answer_holds(api):
    ticket = api.get("/service/tickets/48213", params={"fields": "id,summary,company/name,priority,nothing"}).json()

    assert ticket == {
        "id": 48213,
        "summary": "Outlook keeps prompting for a password after the mailbox move",
        "company": {"name": "Contoso Legal LLP"},
        "priority": {"id": 2, "name": "Priority 2 - Quick Response", "_info": {}},
    }


def test_fields_picks_what_each_note_holds(api):
    api.post_note(1001, "Rebooted the router.")

    (note,) = api.get("/service/tickets/1001/notes", params={"fields": "id,text"}).json()

    assert note == {"id": 1, "text": "Rebooted the router."}


def test_without_history_a_ticket_has_only_the_notes_written_to_it(sim, api):
    assert api.get("/service/tickets/48213/notes").json() == []
    assert sim.state()["notes"] == []


def test_a_note_posted_through_the_api_names_flowpilots_api_member(api):
    note = api.post_note(1001).json()

    assert note["member"] == {"id": 190, "identifier": "flowpilot-api", "name": "FlowPilot API", "_info": {}}
    assert note["createdBy"] == "flowpilot-api"


def test_with_history_each_seeded_ticket_starts_with_its_description_from_the_contact(history):
    for ticket_id in (*range(1001, 1011), 48213, 48227, 48230, 48241):
        first, *others = history.notes_for(ticket_id)
        contact = history.ticket(ticket_id)["contact"]
        assert flags_of(first) == (True, False, False), ticket_id
        assert first["contact"] == contact
        assert first["createdBy"] == "email-connector"
        assert others, f"ticket {ticket_id} has only its description"


def test_with_history_notes_come_from_members_and_the_contact_in_the_order_written(history):
    notes = history.notes_for(48213)

    assert notes[0]["text"].startswith("Since the mailbox move last night Outlook asks for my password")
    internal = [note for note in notes if note["internalAnalysisFlag"]]
    assert {note["member"]["name"] for note in internal} == {"Ravi Patel", "Sophie Martin"}
    assert all(note["createdBy"] == note["member"]["identifier"] for note in internal)
    assert [note["dateCreated"] for note in notes] == sorted(note["dateCreated"] for note in notes)
    assert [note["id"] for note in notes] == sorted(note["id"] for note in notes)


def test_history_is_older_than_any_retry_looks_back(history):
    """The lost-answer lookup reads notes since a handoff's first attempt (less 10 minutes of clock skew):
    the seeded history is hours old, so it is never taken for a note FlowPilot posted."""
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)

    assert all(datetime.fromisoformat(note["dateCreated"]) < an_hour_ago for note in history.state()["notes"])


def test_with_history_notes_posted_later_come_after_it_and_newest_first_reads_them_first(history):
    api = Api(history)
    posted = api.post_note(48213, "Cleared the cached credentials.", resolutionFlag=True).json()

    newest_first = api.get("/service/tickets/48213/notes", params={"orderBy": "id desc", "pageSize": 2}).json()

    assert posted["id"] == len(history.state()["notes"])
    assert newest_first[0]["text"] == "Cleared the cached credentials."
    assert newest_first[1]["member"]["name"] == "Sophie Martin"


def test_a_reset_seeds_the_history_again(history):
    count = len(history.state()["notes"])
    Api(history).post_note(1001)

    control(history, "POST", "reset")

    assert len(history.state()["notes"]) == count


def test_a_test_can_write_a_note_as_a_member_or_as_the_contact(sim):
    by_contact = sim.add_history_note(1001, "It broke again.", hours_ago=2)
    by_member = sim.add_history_note(1001, "Checked the logs.", kind="internal", by="Tom Becker", hours_ago=1)

    assert (flags_of(by_contact), by_contact["contact"]["name"]) == ((True, False, False), "Dana Whitfield")
    assert (flags_of(by_member), by_member["member"]["name"]) == ((False, True, False), "Tom Becker")
    assert by_contact["dateCreated"] < by_member["dateCreated"]
    assert [note["id"] for note in sim.notes_for(1001)] == [1, 2]


@pytest.mark.parametrize(("kind", "by"), [("shout", None), ("internal", "Nobody We Know")])
def test_a_note_of_an_unknown_kind_or_member_is_refused(sim, kind, by):
    with pytest.raises(ValueError, match="A note is one of discussion, internal, resolution"):
        sim.add_history_note(1001, "x", kind=kind, by=by)


def test_the_demo_command_serves_the_tickets_with_their_history(monkeypatch):
    served = []

    def serve_once(simulator):
        served.append(simulator)
        raise KeyboardInterrupt

    monkeypatch.setattr(ConnectWiseSimulator, "serve_forever", serve_once)
    call_command("cw_simulator", "--port", "0")

    (simulator,) = served
    assert simulator.ticket_history is True
    assert simulator.notes_for(48227)


def test_history_is_served_over_http_like_any_note(history):
    response = requests.get(
        f"{history.url}/v4_6_release/apis/3.0/service/tickets/48241/notes",
        headers=Api(history).session.headers,
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    assert "Guests are waiting for their passes." in response.json()[0]["text"]
