"""The HaloPSA simulator, spoken to over real HTTP on 127.0.0.1 as the provider would."""

import time

import pytest
import requests
from django.core.management import CommandError, call_command

from devtools.halopsa.simulator import (
    SIMULATOR_CLIENT_ID,
    SIMULATOR_CLIENT_SECRET,
    HaloSimulator,
    connection_fields,
)

TIMEOUT = 5


def token_form(client_id=SIMULATOR_CLIENT_ID, secret=SIMULATOR_CLIENT_SECRET):
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": "all"}


class Api:
    """A requests session speaking to the simulator's /api with a token it asked for."""

    def __init__(self, simulator):
        self.simulator = simulator
        self.session = requests.Session()
        answer = requests.post(f"{simulator.url}/auth/token", data=token_form(), timeout=TIMEOUT).json()
        self.session.headers["Authorization"] = f"Bearer {answer['access_token']}"

    def call(self, method, path, **kwargs):
        return self.session.request(method, f"{self.simulator.url}/api/{path}", timeout=TIMEOUT, **kwargs)

    def post_note(self, ticket_id, html="<p>Reset the profile.<br>Done.</p>", hidden=False):
        action = {"ticket_id": ticket_id, "note_html": html, "outcome": "Resolution", "hiddenfromuser": hidden}
        return self.call("POST", "Actions", json=[action])

    def set_status(self, ticket_id, status_id):
        return self.call("POST", "Tickets", json=[{"id": ticket_id, "status_id": status_id}])


@pytest.fixture
def sim():
    with HaloSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def api(sim):
    api = Api(sim)
    yield api
    api.session.close()


def control(sim, method, action, **kwargs):
    return requests.request(method, f"{sim.url}/__simulator/{action}", timeout=TIMEOUT, **kwargs)


# The token


def test_it_issues_a_bearer_token_for_the_client_credentials(sim):
    response = requests.post(f"{sim.url}/auth/token", data=token_form(), timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer" and response.json()["expires_in"] == 3600
    assert sim.state()["tokens_issued"] == 1


@pytest.mark.parametrize(
    "form",
    [token_form(secret="wrong"), token_form(client_id="other"), token_form() | {"grant_type": "password"}],
    ids=["secret", "client-id", "grant"],
)
def test_it_refuses_bad_credentials_as_an_oauth_server_does(sim, form):
    response = requests.post(f"{sim.url}/auth/token", data=form, timeout=TIMEOUT)

    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_client", "unsupported_grant_type")


def test_a_hosted_instance_wants_its_tenant():
    with HaloSimulator(port=0, tenant="acme") as sim:
        without = requests.post(f"{sim.url}/auth/token", data=token_form(), timeout=TIMEOUT)
        with_it = requests.post(f"{sim.url}/auth/token?tenant=acme", data=token_form(), timeout=TIMEOUT)

    assert (without.status_code, with_it.status_code) == (400, 200)


@pytest.mark.parametrize("authorization", [None, "Bearer made-up", "Basic abc"])
def test_the_api_wants_a_token_it_issued(sim, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(f"{sim.url}/api/Tickets/1001", headers=headers, timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_expires_after_its_lifetime(sim):
    sim.set_faults(token_ttl_seconds=2.0)  # the token and the first call within 2 s, even on a loaded machine
    api = Api(sim)

    assert api.call("GET", "Tickets/1001").status_code == 200
    time.sleep(2.1)  # more than the lifetime has passed since the token was issued, before this sleep
    assert api.call("GET", "Tickets/1001").status_code == 401


def test_expiring_the_tokens_makes_every_one_of_them_answer_401(sim, api):
    control(sim, "POST", "expire_tokens")

    assert api.call("GET", "Tickets/1001").status_code == 401


def test_a_wrong_authorisation_url_answers_a_sign_in_page(sim):
    sim.set_faults(token_endpoint_html=True)

    response = requests.post(f"{sim.url}/auth/token", data=token_form(), timeout=TIMEOUT)

    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")


# Tickets, actions and statuses


def test_it_serves_the_seeded_tickets(sim, api):
    response = api.call("GET", "Tickets/1001")

    assert response.json()["summary"] == "Test ticket 1001"
    assert (response.json()["status_id"], response.json()["team"]) == (1, "1st Line Support")
    assert api.call("GET", "Tickets/48213").json()["summary"].startswith("Outlook keeps prompting")
    assert api.call("GET", "Tickets/9999").status_code == 404


def test_a_note_is_an_action_numbered_per_ticket_with_its_html_reserialised(sim, api):
    first = api.post_note(1001).json()
    other = api.post_note(1002, hidden=True).json()

    assert (first["id"], other["id"]) == (1, 1)
    (note,) = sim.notes_for(1001)
    assert note["note_html"] == "<p>Reset the profile.<br />Done.</p>"
    assert note["hiddenfromuser"] is False and sim.notes_for(1002)[0]["hiddenfromuser"] is True


def test_an_empty_note_is_refused_in_halos_words(sim, api):
    response = api.post_note(1001, html=" ")

    assert response.status_code == 400
    assert response.json() == "The action could not be saved: a note is required"


def test_actions_are_listed_by_ticket_with_their_html_only_when_asked_and_paged(sim, api):
    for number in range(5):
        api.post_note(1001, html=f"<p>note {number}</p>")

    plain = api.call("GET", "Actions", params={"ticket_id": 1001}).json()
    paged = api.call(
        "GET",
        "Actions",
        params={"ticket_id": 1001, "includehtmlnote": "true", "pageinate": "true", "page_size": 2, "page_no": 3},
    ).json()

    assert plain["record_count"] == 5 and "note_html" not in plain["actions"][0]
    assert plain["actions"][0]["note"] == "note 0"
    assert [action["note_html"] for action in paged["actions"]] == ["<p>note 4</p>"]


def test_statuses_include_a_closed_and_an_inactive_one(sim, api):
    statuses = {status["id"]: status for status in api.call("GET", "Status", params={"type": "ticket"}).json()}

    assert statuses[9]["name"] == "Closed"
    assert statuses[30]["inactive"] is True
    assert 9 not in {status["id"] for status in api.call("GET", "Status", params={"excludeclosed": "true"}).json()}


def test_a_status_change_is_applied_and_answered_with_the_ticket(sim, api):
    response = api.set_status(1001, 8)

    assert response.status_code == 201 and response.json()["status_id"] == 8
    assert sim.ticket(1001)["status_id"] == 8


@pytest.mark.parametrize("status_id", [30, 777], ids=["inactive", "unknown"])
def test_a_status_the_ticket_cannot_take_is_silently_ignored(sim, api, status_id):
    response = api.set_status(1001, status_id)

    assert response.status_code == 201 and response.json()["status_id"] == 1


def test_refuse_invalid_status_answers_a_400_instead(sim, api):
    sim.set_faults(refuse_invalid_status=True)

    response = api.set_status(1001, 30)

    assert (response.status_code, response.json()) == (400, "Status 30 is inactive")


def test_silent_status_rejection_answers_201_and_changes_nothing(sim, api):
    sim.set_faults(silent_status_rejection=True)

    assert api.set_status(1001, 8).status_code == 201
    assert sim.ticket(1001)["status_id"] == 1


# The ConnectWise simulator's faults, in Halo's words


def test_a_rate_limit_answers_429_with_retry_after(sim, api):
    sim.set_faults(rate_limit={"count": 1, "retry_after": 3})

    first, second = api.call("GET", "Tickets/1001"), api.call("GET", "Tickets/1001")

    assert (first.status_code, first.headers["Retry-After"], second.status_code) == (429, "3", 200)
    assert sim.state()["injected_faults"] == {"rate_limit": 1}


def test_faults_never_touch_the_token_endpoint(sim):
    sim.set_faults(server_error={"count": 5})

    assert requests.post(f"{sim.url}/auth/token", data=token_form(), timeout=TIMEOUT).status_code == 200


def test_a_drop_after_apply_keeps_the_note(sim, api):
    sim.set_faults(drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]})

    with pytest.raises(requests.ConnectionError):
        api.post_note(1001)

    assert len(sim.notes_for(1001)) == 1


def test_a_busy_ticket_gets_other_notes_after_each_of_ours(sim, api):
    sim.set_faults(busy_ticket={"notes": 3})

    api.post_note(1001)

    assert [note["who"] for note in sim.notes_for(1001)] == ["FlowPilot API"] + ["Halo Automation"] * 3


@pytest.mark.parametrize(
    "config",
    [{"nonsense": True}, {"codebase_move": {"after_calls": 1, "codebase": "v2025_2/"}}, {"token_ttl_seconds": 0}],
    ids=["unknown", "codebase-move", "ttl"],
)
def test_a_fault_it_cannot_do_is_refused(sim, config):
    with pytest.raises(ValueError):
        sim.set_faults(**config)
    assert control(sim, "POST", "faults", json=config).status_code == 400


# The control API


def test_the_control_api_sets_faults_adds_tickets_and_resets(sim, api):
    assert control(sim, "POST", "faults", json={"silent_status_rejection": True}).json()["faults"][
        "silent_status_rejection"
    ]
    added = control(sim, "POST", "tickets", json={"id": 5001, "summary": "Printer offline", "status_id": 2})
    api.post_note(5001)

    assert added.status_code == 201 and sim.ticket(5001)["status_id"] == 2
    assert control(sim, "GET", "state").json()["requests"]["POST notes"] == 1
    reset = control(sim, "POST", "reset").json()
    assert reset["notes"] == [] and reset["faults"]["silent_status_rejection"] is False
    assert 5001 not in {ticket["id"] for ticket in reset["tickets"]}


def test_the_demo_tickets_carry_their_history():
    with HaloSimulator(port=0, ticket_history=True) as sim:
        details = sim.ticket(48213)["details"]
        notes = sim.notes_for(48213)

    assert details.startswith("<p>Since the mailbox move last night Outlook asks for my password")
    assert [note["hiddenfromuser"] for note in notes] == [True, False, True]


def test_connection_fields_name_the_simulator_and_its_dummy_credentials(sim):
    assert connection_fields(sim.url) == {
        "provider": "halopsa",
        "site_url": sim.url,
        "client_id": SIMULATOR_CLIENT_ID,
        "client_secret": SIMULATOR_CLIENT_SECRET,
        "auth_url": "",
        "tenant": "",
    }


def test_the_command_refuses_a_remote_host_without_the_opt_in():
    with pytest.raises(CommandError, match="its credentials are public"):
        call_command("halo_simulator", "--host", "0.0.0.0")
