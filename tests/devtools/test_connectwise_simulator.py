"""The ConnectWise simulator, spoken to over real HTTP on 127.0.0.1 as the provider would."""

import base64
import time

import pytest
import requests
from django.core.management import CommandError, call_command

from devtools.connectwise.simulator import (
    SIMULATOR_CLIENT_ID,
    SIMULATOR_COMPANY_ID,
    SIMULATOR_PRIVATE_KEY,
    SIMULATOR_PUBLIC_KEY,
    ConnectWiseSimulator,
)
from tests.support.clients import wait_for

TIMEOUT = 5


def basic_auth(company=SIMULATOR_COMPANY_ID, public=SIMULATOR_PUBLIC_KEY, private=SIMULATOR_PRIVATE_KEY):
    return "Basic " + base64.b64encode(f"{company}+{public}:{private}".encode()).decode()


class Api:
    """A requests session speaking to the simulator's apis/3.0 with the simulator's credentials."""

    def __init__(self, simulator):
        self.base = f"{simulator.url}/v4_6_release/apis/3.0"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": basic_auth(), "clientId": SIMULATOR_CLIENT_ID})

    def call(self, method, path, **kwargs):
        return self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post_note(self, ticket_id, text="Reset the Outlook profile.", **flags):
        """A note shown on the ticket's discussion unless other display flags are given (one is required)."""
        flags = flags or {"detailDescriptionFlag": True}
        return self.call("POST", f"/service/tickets/{ticket_id}/notes", json={"text": text, **flags})

    def set_status(self, ticket_id, status_id, path="status"):
        operations = [{"op": "replace", "path": path, "value": {"id": status_id}}]
        return self.call("PATCH", f"/service/tickets/{ticket_id}", json=operations)


@pytest.fixture
def sim():
    with ConnectWiseSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def api(sim):
    api = Api(sim)
    yield api
    api.session.close()


def control(sim, method, action, **kwargs):
    return requests.request(method, f"{sim.url}/__simulator/{action}", timeout=TIMEOUT, **kwargs)


# Authentication


@pytest.mark.parametrize(
    "authorization",
    [basic_auth(private="wrong"), basic_auth(company="other"), "Basic not-base64!", "Bearer token", None],
)
def test_it_refuses_bad_credentials(sim, authorization):
    headers = {"clientId": SIMULATOR_CLIENT_ID} | ({"Authorization": authorization} if authorization else {})
    response = requests.get(f"{sim.url}/v4_6_release/apis/3.0/service/tickets/1001", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["code"] == "Unauthorized"


def test_it_requires_a_client_id(sim):
    headers = {"Authorization": basic_auth()}
    response = requests.get(f"{sim.url}/v4_6_release/apis/3.0/service/tickets/1001", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"
    assert "clientId is required" in response.json()["message"]


def test_it_refuses_another_client_id(api):
    api.session.headers["clientId"] = "someone-else"
    assert api.get("/service/tickets/1001").status_code == 401


# Tickets


def test_it_returns_a_ticket(api):
    response = api.get("/service/tickets/48213")
    assert response.status_code == 200
    ticket = response.json()
    assert ticket["id"] == 48213
    assert ticket["summary"] == "Outlook keeps prompting for a password after the mailbox move"
    assert ticket["board"] == {"id": 1, "name": "Help Desk", "_info": {}}
    assert ticket["status"] == {"id": 1, "name": "New", "_info": {}}
    assert ticket["closedFlag"] is False
    assert ticket["_info"]["lastUpdated"].endswith("Z")


def test_it_seeds_test_and_demo_tickets(sim):
    ids = {ticket["id"] for ticket in sim.state()["tickets"]}
    assert ids == {*range(1001, 1011), 48213, 48227, 48230, 48241}
    assert sim.ticket(1005)["summary"] == "Test ticket 1005"
    assert sim.ticket(48227)["summary"] == "Shared drive S: missing for the Finance team"


def test_it_answers_404_in_the_connectwise_envelope(api):
    response = api.get("/service/tickets/999")
    assert response.status_code == 404
    assert response.json() == {"code": "NotFound", "message": "Ticket with id 999 not found", "errors": None}


# Notes


def test_it_creates_a_note_and_lists_it(api, sim):
    response = api.post_note(1001, resolutionFlag=True, processNotifications=True)
    assert response.status_code == 201
    note = response.json()
    assert note["id"] == 1
    assert note["ticketId"] == 1001
    assert note["text"] == "Reset the Outlook profile."
    assert (note["resolutionFlag"], note["internalAnalysisFlag"], note["detailDescriptionFlag"]) == (True, False, False)
    assert note["dateCreated"].endswith("Z") and note["createdBy"]
    assert api.post_note(1002).json()["id"] == 2  # note ids are global
    assert [listed["id"] for listed in api.get("/service/tickets/1001/notes").json()] == [1]
    assert sim.notes_for(1001)[0]["processNotifications"] is True


def test_it_lists_notes_newest_first_on_request(api):
    for text in ("first", "second", "third"):
        api.post_note(1001, text)
    oldest_first = api.get("/service/tickets/1001/notes").json()
    newest_first = api.get("/service/tickets/1001/notes", params={"orderBy": "id desc", "pageSize": 2}).json()
    assert [note["text"] for note in oldest_first] == ["first", "second", "third"]
    assert [note["text"] for note in newest_first] == ["third", "second"]


@pytest.mark.parametrize("text", ["", "   ", None])
def test_it_rejects_a_note_without_text(api, sim, text):
    response = api.call("POST", "/service/tickets/1001/notes", json={"text": text} if text is not None else {})
    assert response.status_code == 400
    assert response.json() == {
        "code": "InvalidObject",
        "message": "ServiceNote object is invalid",
        "errors": [
            {
                "code": "NullOrEmpty",
                "message": "text may not be empty",
                "resource": "ServiceNote",
                "field": "text",
            }
        ],
    }
    assert sim.notes_for(1001) == []


def test_it_rejects_malformed_json(api):
    response = api.call("POST", "/service/tickets/1001/notes", data="{not json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "errors"}


def test_it_answers_404_for_a_note_on_an_unknown_ticket(api):
    assert api.post_note(999).status_code == 404


# Status changes


@pytest.mark.parametrize("path", ["status", "/status"])
def test_it_applies_a_status_change(api, sim, path):
    response = api.set_status(1001, 5, path=path)
    assert response.status_code == 200
    assert response.json()["status"] == {"id": 5, "name": "Resolved", "_info": {}}
    assert response.json()["closedFlag"] is True
    assert api.get("/service/tickets/1001").json()["status"]["id"] == 5
    assert sim.ticket(1001)["closedFlag"] is True


@pytest.mark.parametrize(
    "status_id",
    [
        pytest.param(21, id="another-boards-status"),
        pytest.param(7, id="inactive-status"),
        pytest.param(999, id="unknown-status"),
    ],
)
def test_it_silently_ignores_a_status_connectwise_would_refuse(api, sim, status_id):
    before = sim.ticket(1001)
    response = api.set_status(1001, status_id)
    assert response.status_code == 200
    assert response.json() == before
    assert sim.ticket(1001) == before


def test_it_ignores_every_status_change_under_the_silent_rejection_fault(api, sim):
    sim.set_faults(silent_status_rejection=True)
    response = api.set_status(1001, 2)
    assert response.status_code == 200
    assert response.json()["status"]["id"] == 1
    assert sim.ticket(1001)["status"]["id"] == 1


@pytest.mark.parametrize(
    "operations",
    [
        {"op": "replace", "path": "status", "value": {"id": 2}},
        [],
        [{"op": "add", "path": "status", "value": {"id": 2}}],
        [{"op": "replace", "path": "summary", "value": "Other"}],
        [{"op": "replace", "path": "status", "value": {"id": "2"}}],
    ],
)
def test_it_rejects_an_unsupported_patch(api, sim, operations):
    response = api.call("PATCH", "/service/tickets/1001", json=operations)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    assert sim.ticket(1001)["status"]["id"] == 1


# Board statuses


def test_it_pages_board_statuses_through_the_link_header(api):
    statuses, url, params = [], f"{api.base}/service/boards/1/statuses", {"page": 1, "pageSize": 2}
    while url:
        response = api.session.get(url, params=params, timeout=TIMEOUT)
        assert response.status_code == 200
        assert len(response.json()) <= 2
        assert response.links["last"]["url"].endswith("pageSize=2&page=4")
        statuses += response.json()
        url, params = response.links.get("next", {}).get("url"), None
    assert [status["id"] for status in statuses] == [1, 2, 3, 4, 5, 6, 7]
    resolved = statuses[4]
    assert (resolved["name"], resolved["closedStatus"], resolved["inactive"]) == ("Resolved", True, False)
    assert resolved["board"]["id"] == 1 and resolved["board"]["name"] == "Help Desk"
    assert {"timeEntryNotAllowed", "sortOrder"} <= set(resolved)
    assert statuses[6]["inactive"] is True


def test_it_lists_a_whole_board_on_one_default_page(api):
    response = api.get("/service/boards/2/statuses")
    assert [(status["id"], status["closedStatus"]) for status in response.json()] == [(20, False), (21, True)]
    assert "next" not in response.links


def test_it_refuses_a_bad_page(api):
    assert api.get("/service/boards/1/statuses", params={"page": 0}).status_code == 400


# Company info


def test_it_serves_company_info_without_credentials(sim):
    response = requests.get(f"{sim.url}/login/companyinfo/{SIMULATOR_COMPANY_ID}", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {
        "CompanyName": "FlowPilot Simulator",
        "Codebase": "v4_6_release/",
        "VersionCode": "v2025.1",
        "VersionNumber": "v4.6.90000",
        "CompanyID": SIMULATOR_COMPANY_ID,
        "IsCloud": False,
        "SiteUrl": f"127.0.0.1:{sim.port}",
    }
    unknown = requests.get(f"{sim.url}/login/companyinfo/nobody", timeout=TIMEOUT)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NotFound"


def test_it_serves_a_configured_codebase():
    with ConnectWiseSimulator(port=0, codebase="v2025_1/") as sim:
        api = Api(sim)
        api.base = f"{sim.url}/v2025_1/apis/3.0"
        assert api.get("/service/tickets/1001").status_code == 200
        info = requests.get(f"{sim.url}/login/companyinfo/{SIMULATOR_COMPANY_ID}", timeout=TIMEOUT).json()
        assert info["Codebase"] == "v2025_1/"


# Faults


def test_it_rate_limits_the_next_calls_then_recovers(api, sim):
    sim.set_faults(rate_limit={"count": 2, "retry_after": 3})
    for _ in range(2):
        response = api.get("/service/tickets/1001")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "3"
        assert response.json()["code"] == "TooManyRequests"
    assert api.get("/service/tickets/1001").status_code == 200


def test_it_rate_limits_without_retry_after_when_asked(api, sim):
    sim.set_faults(rate_limit={"count": 1, "retry_after": None})
    response = api.get("/service/tickets/1001")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_it_faults_only_the_chosen_methods(api, sim):
    sim.set_faults(server_error={"count": 1, "status": 503, "methods": ["POST"]})
    assert api.get("/service/tickets/1001").status_code == 200
    response = api.post_note(1001)
    assert response.status_code == 503
    assert set(response.json()) == {"code", "message", "errors"}
    assert sim.notes_for(1001) == []
    assert api.post_note(1001).status_code == 201


def test_it_answers_server_errors(api, sim):
    sim.set_faults(server_error={"count": 1})
    assert api.get("/service/tickets/1001").status_code == 500
    assert api.get("/service/tickets/1001").status_code == 200


def test_it_drops_the_connection_before_applying(api, sim):
    sim.set_faults(drop_connection={"count": 1})
    with pytest.raises(requests.ConnectionError):
        api.post_note(1001)
    assert sim.notes_for(1001) == []
    assert api.post_note(1001).status_code == 201


def test_it_drops_the_answer_after_applying(api, sim):
    sim.set_faults(drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]})
    with pytest.raises(requests.ConnectionError):
        api.post_note(1001, "Lost answer")
    assert [note["text"] for note in sim.notes_for(1001)] == ["Lost answer"]
    assert api.get("/service/tickets/1001/notes", params={"orderBy": "id desc"}).json()[0]["text"] == "Lost answer"


def test_it_delays_every_call_by_the_latency(api, sim):
    sim.set_faults(latency_ms=150)
    started = time.monotonic()
    assert api.get("/service/tickets/1001").status_code == 200
    assert 0.15 <= time.monotonic() - started < 2


def test_it_slows_only_the_matching_route(api, sim):
    sim.set_faults(slow={"method": "PATCH", "route": "ticket", "seconds": 2.0})
    started = time.monotonic()
    api.get("/service/tickets/1001")
    api.post_note(1001)
    assert time.monotonic() - started < 1.5  # either of them slowed would take 2 s
    started = time.monotonic()
    assert api.set_status(1001, 2).status_code == 200
    assert time.monotonic() - started >= 2.0


@pytest.mark.parametrize(("apply_late", "notes_later"), [(False, 0), (True, 1)], ids=["dropped", "applied-late"])
def test_a_slow_note_whose_client_gave_up_is_dropped_unless_applied_late(sim, apply_late, notes_later):
    sim.set_faults(slow={"method": "POST", "route": "notes", "seconds": 1.5, "apply_late": apply_late})
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            f"{sim.url}/v4_6_release/apis/3.0/service/tickets/1001/notes",
            json={"text": "Late", "internalAnalysisFlag": True},
            headers={"Authorization": basic_auth(), "clientId": SIMULATOR_CLIENT_ID},
            timeout=(2, 0.1),
        )

    assert sim.notes_for(1001) == []  # not yet, either way: it is due 1.5 s after it was sent, 0.1 s ago
    if apply_late:
        wait_for(lambda: sim.notes_for(1001), timeout=10, what="the late note to be applied")
    else:
        time.sleep(2.5)  # a note applied late would have landed a second ago
    assert len(sim.notes_for(1001)) == notes_later


def test_a_slow_call_cannot_both_answer_late_and_apply_late(sim):
    with pytest.raises(ValueError, match="exclude each other"):
        sim.set_faults(slow={"method": "POST", "route": "notes", "seconds": 1, "after_apply": True, "apply_late": True})


def outcomes(api, calls=200):
    seen = []
    for _ in range(calls):
        try:
            seen.append(api.get("/service/tickets/1001").status_code)
        except requests.ConnectionError:
            seen.append("dropped")
    return seen


def test_it_fails_a_seeded_share_of_calls_repeatably(api, sim):
    sim.set_faults(transient_rate=0.1, seed=7)
    first = outcomes(api)
    sim.set_faults(transient_rate=0.1, seed=7)
    assert outcomes(api) == first
    failures = [outcome for outcome in first if outcome != 200]
    assert 8 <= len(failures) <= 35
    assert set(failures) == {429, 503, "dropped"}
    assert sum(sim.state()["injected_faults"].values()) == 2 * len(failures)


def test_it_rejects_an_unknown_fault_setting(sim):
    with pytest.raises(ValueError, match="Unknown fault setting: nonsense"):
        sim.set_faults(nonsense=True)
    with pytest.raises(ValueError, match="transient_rate"):
        sim.set_faults(transient_rate=2)


# The control API


def test_it_takes_faults_over_http(api, sim):
    response = control(sim, "POST", "faults", json={"rate_limit": {"count": 1, "retry_after": 0}})
    assert response.status_code == 200
    assert response.json()["faults"]["rate_limit"] == {
        "count": 1,
        "methods": None,
        "skip": 0,
        "retry_after": 0,
        "html": False,
    }
    assert api.get("/service/tickets/1001").status_code == 429
    assert control(sim, "GET", "state").json()["faults"]["rate_limit"]["count"] == 0
    assert control(sim, "POST", "faults", json={"rate_limit": "often"}).status_code == 400


def test_it_never_faults_the_control_api(sim):
    sim.set_faults(server_error={"count": 5}, latency_ms=3000)
    started = time.monotonic()
    assert control(sim, "GET", "state").status_code == 200
    assert time.monotonic() - started < 2.0  # a call with the latency takes 3 s


def test_it_reports_its_state_and_counts_requests(api, sim):
    api.get("/service/tickets/1001")
    api.get("/service/tickets/1002")
    api.post_note(1001, "Counted")
    api.set_status(1001, 2)
    state = control(sim, "GET", "state").json()
    assert state["requests"] == {"GET ticket": 2, "POST notes": 1, "PATCH ticket": 1}
    assert [note["text"] for note in state["notes"]] == ["Counted"]
    assert next(ticket for ticket in state["tickets"] if ticket["id"] == 1001)["status"]["id"] == 2
    assert state["faults"]["silent_status_rejection"] is False


def test_it_resets_over_http(api, sim):
    api.post_note(1001)
    api.set_status(1001, 6)
    sim.set_faults(silent_status_rejection=True)
    response = control(sim, "POST", "reset")
    assert response.status_code == 200
    assert response.json()["notes"] == [] and response.json()["requests"] == {}
    assert sim.ticket(1001)["status"]["id"] == 1
    assert api.post_note(1001).json()["id"] == 1
    assert api.set_status(1001, 2).json()["status"]["id"] == 2


def test_it_creates_tickets_over_http(api, sim):
    response = control(sim, "POST", "tickets", json={"id": 50001, "summary": "VPN drops hourly", "board_id": 2})
    assert response.status_code == 201
    assert response.json()["board"]["name"] == "Projects"
    assert response.json()["status"] == {"id": 20, "name": "Planning", "_info": {}}
    assert api.get("/service/tickets/50001").json()["summary"] == "VPN drops hourly"
    closed = control(sim, "POST", "tickets", json={"id": 50002, "summary": "Done already", "status_id": 6}).json()
    assert closed["closedFlag"] is True
    bad = control(sim, "POST", "tickets", json={"id": 50003, "summary": "Wrong board", "status_id": 21})
    assert bad.status_code == 400
    assert "not a status of board 1" in bad.json()["message"]


# The management command


def test_it_refuses_to_serve_beyond_loopback_without_being_told():
    with pytest.raises(CommandError, match="--allow-remote"):
        call_command("cw_simulator", "--host", "0.0.0.0", "--port", "0")


def test_it_announces_its_url_and_dummy_credentials(monkeypatch, capsys):
    def interrupted(simulator):
        raise KeyboardInterrupt

    monkeypatch.setattr(ConnectWiseSimulator, "serve_forever", interrupted)
    call_command("cw_simulator", "--port", "0", "--latency-ms", "10")
    out = capsys.readouterr().out
    assert "ConnectWise simulator at http://127.0.0.1:" in out
    for value in (SIMULATOR_COMPANY_ID, SIMULATOR_PUBLIC_KEY, SIMULATOR_PRIVATE_KEY, SIMULATOR_CLIENT_ID):
        assert value in out
    assert "for the simulator only" in out


def test_it_answers_system_info_to_valid_credentials_only(sim, api):
    answer = api.get("/system/info")
    refused = requests.get(f"{api.base}/system/info", headers={"clientId": SIMULATOR_CLIENT_ID}, timeout=TIMEOUT)

    assert answer.status_code == 200
    assert answer.json()["version"].startswith("v2025.1")
    assert refused.status_code == 401


# What real ConnectWise also does (DESIGN §7), switchable where real ConnectWise varies


def test_a_note_with_no_display_flag_is_refused_in_connectwise_words(api, sim):
    refused = api.post_note(1001, "No flags", resolutionFlag=False)

    assert refused.status_code == 400
    assert refused.json()["message"] == "Please choose where to display the notes"
    assert sim.notes_for(1001) == []
    assert api.post_note(1001, "Internal", internalAnalysisFlag=True).status_code == 201


def test_a_security_role_without_the_permission_answers_403(api, sim):
    sim.set_faults(forbidden={"count": 1, "methods": ["POST"]})

    refused = api.post_note(1001)

    assert refused.status_code == 403
    assert refused.json()["code"] == "Forbidden"
    assert sim.notes_for(1001) == []
    assert api.get("/service/tickets/1001").status_code == 200  # only POST was refused


def test_the_edge_rate_limits_with_an_html_page_and_retry_after(api, sim):
    sim.set_faults(rate_limit={"count": 1, "retry_after": 2, "html": True})

    limited = api.get("/service/tickets/1001")

    assert limited.status_code == 429
    assert limited.headers["Content-Type"].startswith("text/html")
    assert limited.headers["Retry-After"] == "2"
    assert "You are being rate limited" in limited.text
    assert api.get("/service/tickets/1001").status_code == 200


@pytest.mark.parametrize(("status_id", "why"), [(20, "is not valid for this board"), (7, "is inactive")])
def test_a_status_the_board_cannot_take_can_be_refused_with_a_400(api, sim, status_id, why):
    assert api.set_status(1001, status_id).status_code == 200  # by default: the silent 200, status unchanged
    sim.set_faults(refuse_invalid_status=True)

    refused = api.set_status(1001, status_id)

    assert refused.status_code == 400
    assert refused.json()["message"] == "ticket object is invalid"
    assert refused.json()["errors"][0] == {
        "code": "InvalidStatus",
        "message": f"The status {why}",
        "resource": "ticket",
        "field": "status",
    }
    assert sim.ticket(1001)["status"]["id"] == 1
    assert api.set_status(1001, 5).json()["status"]["id"] == 5


def test_on_a_busy_ticket_others_write_notes_after_each_of_ours(api, sim):
    sim.set_faults(busy_ticket={"notes": 3})

    ours = api.post_note(1001, "Ours").json()

    notes = sim.notes_for(1001)
    assert notes[0]["text"] == "Ours"
    assert len(notes) == 4 and all(note["createdBy"] == "email-connector" for note in notes[1:])
    newest_first = api.get("/service/tickets/1001/notes", params={"orderBy": "id desc"}).json()
    assert newest_first[-1]["id"] == ours["id"]


def test_notes_can_be_read_since_a_time(api, sim):
    api.post_note(1001, "Before")
    everything = api.get("/service/tickets/1001/notes", params={"conditions": "dateCreated >= [2000-01-01T00:00:00Z]"})
    nothing = api.get("/service/tickets/1001/notes", params={"conditions": "dateCreated >= [2999-01-01T00:00:00Z]"})
    unsupported = api.get("/service/tickets/1001/notes", params={"conditions": "text like 'x'"})

    assert [note["text"] for note in everything.json()] == ["Before"]
    assert nothing.json() == []
    assert unsupported.status_code == 400


def test_a_cloud_upgrade_moves_the_codebase_and_the_old_paths_404(api, sim):
    sim.move_codebase("v2025_2/")

    assert api.get("/service/tickets/1001").status_code == 404
    info = requests.get(f"{sim.url}/login/companyinfo/{SIMULATOR_COMPANY_ID}", timeout=TIMEOUT).json()
    assert info["Codebase"] == "v2025_2/"
    moved = requests.get(
        f"{sim.url}/v2025_2/apis/3.0/service/tickets/1001", headers=dict(api.session.headers), timeout=TIMEOUT
    )
    assert moved.status_code == 200
    sim.reset()
    assert api.get("/service/tickets/1001").status_code == 200


def test_the_codebase_moves_over_http_too(api, sim):
    assert control(sim, "POST", "codebase", json={"codebase": "v2025_2/"}).json() == {"codebase": "v2025_2/"}
    assert control(sim, "POST", "codebase", json={"codebase": "../etc"}).status_code == 400
    assert control(sim, "GET", "state").json()["codebase"] == "v2025_2/"


def test_it_records_the_accept_header_of_every_api_call(api, sim):
    api.get("/service/tickets/1001", headers={"Accept": "application/vnd.connectwise.com+json; version=2025.1"})

    assert sim.state()["accept_headers"] == ["application/vnd.connectwise.com+json; version=2025.1"]


def test_a_cloud_upgrade_can_land_mid_run(api, sim):
    sim.set_faults(codebase_move={"after_calls": 2, "codebase": "v2025_2/"})

    assert api.get("/service/tickets/1001").status_code == 200
    assert api.get("/service/tickets/1001").status_code == 200  # the second call is answered, then it moves
    assert api.get("/service/tickets/1001").status_code == 404
    assert sim.state()["codebase"] == "v2025_2/"


def test_a_counted_fault_can_let_the_first_calls_through(api, sim):
    sim.set_faults(server_error={"count": 1, "status": 503, "methods": ["GET"], "skip": 2})

    assert [api.get("/service/tickets/1001").status_code for _ in range(4)] == [200, 200, 503, 200]
    assert control(sim, "POST", "faults", json={"server_error": {"skip": -1}}).status_code == 400
