"""The Autotask simulator, spoken to over real HTTP on 127.0.0.1 as the provider would."""

import json

import pytest
import requests
from django.core.management import CommandError, call_command

from devtools.autotask.simulator import (
    SIMULATOR_INTEGRATION_CODE,
    SIMULATOR_SECRET,
    SIMULATOR_USERNAME,
    AutotaskSimulator,
    connection_fields,
)

TIMEOUT = 5
CREDENTIALS = {
    "ApiIntegrationCode": SIMULATOR_INTEGRATION_CODE,
    "UserName": SIMULATOR_USERNAME,
    "Secret": SIMULATOR_SECRET,
}


@pytest.fixture
def sim():
    with AutotaskSimulator(port=0) as simulator:
        yield simulator


class Api:
    def __init__(self, simulator):
        self.simulator = simulator
        self.session = requests.Session()
        self.session.headers.update(CREDENTIALS)

    def call(self, method, path, **kwargs):
        return self.session.request(method, f"{self.simulator.api_url}/V1.0/{path}", timeout=TIMEOUT, **kwargs)

    def post_note(self, ticket_id, text="Reset the Outlook profile.", publish=1, note_type=1):
        body = {"title": "Note", "description": text, "publish": publish, "noteType": note_type}
        return self.call("POST", f"Tickets/{ticket_id}/Notes", json=body)


@pytest.fixture
def api(sim):
    api = Api(sim)
    yield api
    api.session.close()


def control(sim, method, action, **kwargs):
    return requests.request(method, f"{sim.url}/__simulator/{action}", timeout=TIMEOUT, **kwargs)


def test_the_zone_lookup_answers_the_zone_of_the_user_without_credentials(sim):
    for root in (sim.url, f"{sim.url}/atservicesrest"):
        answer = requests.get(f"{root}/v1.0/zoneInformation", params={"user": SIMULATOR_USERNAME}, timeout=TIMEOUT)
        assert answer.status_code == 200
        assert answer.json()["url"] == f"{sim.url}/webservices5/ATServicesRest/"


def test_the_zone_lookup_knows_no_other_user(sim):
    answer = requests.get(f"{sim.url}/v1.0/zoneInformation", params={"user": "x@y.example"}, timeout=TIMEOUT)
    assert answer.status_code == 404 and answer.json()["errors"]


@pytest.mark.parametrize("wrong", ["ApiIntegrationCode", "UserName", "Secret"])
def test_wrong_credentials_are_a_401_with_nothing_more(sim, wrong):
    headers = CREDENTIALS | {wrong: "wrong"}
    answer = requests.get(f"{sim.api_url}/V1.0/Tickets/1001", headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 401 and answer.content == b""


def test_it_seeds_test_and_demo_tickets(api):
    assert api.call("GET", "Tickets/1001").json()["item"]["title"] == "Test ticket 1001"
    assert api.call("GET", "Tickets/1010").json()["item"]["status"] == 1
    assert "Outlook" in api.call("GET", "Tickets/48213").json()["item"]["title"]


def test_an_unknown_ticket_is_a_200_with_a_null_item(api):
    answer = api.call("GET", "Tickets/999")
    assert (answer.status_code, answer.json()) == (200, {"item": None})


def test_it_creates_a_note_answering_only_its_id(api, sim):
    answer = api.post_note(1001, publish=2)

    assert answer.status_code == 200 and set(answer.json()) == {"itemId"}
    (note,) = sim.notes_for(1001)
    assert (note["id"], note["text"], note["internal"], note["publish"]) == (
        answer.json()["itemId"],
        "Reset the Outlook profile.",
        True,
        2,
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"text": "x" * 32_001}, "maximum length of 32000"),
        ({"text": " "}, "Missing Required Field: description"),
        ({"publish": 3}, "for field publish is not a valid picklist value"),
        ({"note_type": 6}, "for field noteType is not a valid picklist value"),  # inactive
    ],
)
def test_business_rule_refusals_are_a_500_with_errors(api, sim, changes, words):
    answer = api.post_note(1001, **changes)
    assert answer.status_code == 500 and words in answer.json()["errors"][0]
    assert sim.notes_for(1001) == []


def test_the_picklists_come_from_entity_information_inactive_values_included(api):
    fields = {f["name"]: f for f in api.call("GET", "Tickets/entityInformation/fields").json()["fields"]}
    statuses = {int(v["value"]): (v["label"], v["isActive"]) for v in fields["status"]["picklistValues"]}
    assert statuses[5] == ("Complete", True) and statuses[14][1] is False
    notes = {f["name"]: f for f in api.call("GET", "TicketNotes/entityInformation/fields").json()["fields"]}
    assert {v["label"] for v in notes["publish"]["picklistValues"]} >= {"All Autotask Users", "Internal Project Team"}


def test_it_applies_an_active_status_and_ignores_an_inactive_one(api, sim):
    assert api.call("PATCH", "Tickets", json={"id": 1001, "status": 11}).json() == {"itemId": 1001}
    assert sim.ticket(1001)["status"] == 11
    assert api.call("PATCH", "Tickets", json={"id": 1001, "status": 14}).status_code == 200
    assert sim.ticket(1001)["status"] == 11


def test_an_inactive_status_can_be_refused_and_an_unknown_one_always_is(api, sim):
    sim.set_faults(refuse_invalid_status=True)
    assert api.call("PATCH", "Tickets", json={"id": 1001, "status": 14}).status_code == 500
    assert api.call("PATCH", "Tickets", json={"id": 1001, "status": 99}).json()["errors"]


def test_silent_status_rejection_answers_200_and_changes_nothing(api, sim):
    sim.set_faults(silent_status_rejection=True)
    assert api.call("PATCH", "Tickets", json={"id": 1001, "status": 5}).status_code == 200
    assert sim.ticket(1001)["status"] == 1


def test_notes_are_queried_oldest_first_500_a_page_with_a_next_page_url(api, sim):
    sim.set_faults(busy_ticket={"notes": 600})
    api.post_note(1002)
    search = {"filter": [{"op": "eq", "field": "ticketID", "value": 1002}]}

    first = api.call("GET", "TicketNotes/query", params={"search": json.dumps(search)}).json()
    second = api.session.get(first["pageDetails"]["nextPageUrl"], timeout=TIMEOUT).json()

    ids = [note["id"] for note in first["items"] + second["items"]]
    assert len(first["items"]) == 500 and len(ids) == 601 and ids == sorted(ids)
    assert second["pageDetails"]["nextPageUrl"] is None


def test_a_moved_database_answers_500_in_its_old_zone(api, sim):
    old = sim.api_url
    sim.move_zone()

    answer = requests.get(f"{old}/V1.0/Tickets/1001", headers=CREDENTIALS, timeout=TIMEOUT)
    assert answer.status_code == 500 and "zone" in answer.json()["errors"][0]
    assert api.call("GET", "Tickets/1001").json()["item"]["id"] == 1001  # the new zone


def test_the_zone_can_move_mid_run(api, sim):
    sim.set_faults(zone_move={"after_calls": 1})
    api.call("GET", "Tickets/1001")
    assert sim.state()["zone"] == "webservices14"


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        ({"rate_limit": {"count": 1, "retry_after": 3}}, 429),
        ({"server_error": {"count": 1, "status": 503}}, 503),
        ({"forbidden": {"count": 1}}, 403),
        ({"reject": {"count": 1}}, 500),
    ],
)
def test_it_answers_connectwise_fault_names_in_autotask_shapes(api, sim, faults, status):
    sim.set_faults(**faults)
    answer = api.call("GET", "Tickets/1001")
    assert answer.status_code == status
    if status == 429:
        assert answer.headers["Retry-After"] == "3" and "10000 requests per hour" in answer.json()["errors"][0]
    if status == 503:
        assert answer.headers["Content-Type"].startswith("text/html")  # an outage brings no {errors}
    assert api.call("GET", "Tickets/1001").status_code == 200


def test_it_drops_the_answer_after_applying(api, sim):
    sim.set_faults(drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]})
    with pytest.raises(requests.ConnectionError):
        api.post_note(1001)
    assert len(sim.notes_for(1001)) == 1


def test_it_refuses_connectwise_only_and_unknown_faults(sim):
    with pytest.raises(ValueError, match="zone_move"):
        sim.set_faults(codebase_move={"after_calls": 1, "codebase": "v2025_2/"})
    with pytest.raises(ValueError, match="Unknown fault setting"):
        sim.set_faults(nonsense=True)


def test_the_control_api_takes_faults_tickets_zone_moves_and_resets(api, sim):
    assert control(sim, "POST", "faults", json={"silent_status_rejection": True}).status_code == 200
    assert (
        control(sim, "POST", "tickets", json={"id": 2001, "summary": "Printer offline", "status_id": 8}).status_code
        == 201
    )
    assert api.call("GET", "Tickets/2001").json()["item"]["status"] == 8
    assert control(sim, "POST", "zone", json={"zone": "webservices14"}).json()["zone"] == "webservices14"
    state = control(sim, "GET", "state").json()
    assert state["faults"]["silent_status_rejection"] is True and state["requests"]["GET ticket"] == 1
    control(sim, "POST", "reset")
    assert sim.state()["zone"] == "webservices5" and 2001 not in [t["id"] for t in sim.state()["tickets"]]


def test_connection_fields_name_the_lookup_and_leave_the_zone_to_discover(sim):
    fields = connection_fields(sim.url)
    assert (fields["provider"], fields["api_url"], fields["zone_lookup_url"]) == ("autotask", "", sim.url)


def test_the_command_refuses_to_serve_beyond_loopback_without_being_told():
    with pytest.raises(CommandError, match="credentials are public"):
        call_command("autotask_simulator", host="0.0.0.0")
