"""The PSAs the handoff runs post to, each on its own simulator: how to start it, connect an account to it, find
the notes on its tickets, and send it a handoff's minimum round trips straight (its ceiling).

A ceiling client sends what its provider must send for one handoff, no more: read the ticket (is it still
open?), post the note, set the status, re-read it. Autotask's status change answers only `{itemId}`, so its
provider reads the ticket back before the re-read that verifies it: five round trips. ConnectWise and HaloPSA
answer the ticket itself: four. What a client needs once (Autotask's zone lookup, HaloPSA's access token) it
asks for when it is made, as a worker keeps them: the zone on the connection, the token in the cache. Anything
else a provider reads (a picklist or a list of status names it has not kept) is not in the ceiling: the handoff
rows' "simulator calls per handoff" show it.
"""

from dataclasses import dataclass

import requests

from devtools.autotask import simulator as autotask
from devtools.connectwise import simulator as connectwise
from devtools.halopsa import simulator as halopsa
from psa.html_note import markdown_to_html
from psa.plaintext import markdown_to_plain_text

TIMEOUT = 10


class ConnectWiseClient:
    round_trips = "4 round trips per handoff (read, note, status, re-read)"

    def __init__(self, url: str):
        self.api = f"{url}/{connectwise.SIMULATOR_CODEBASE}apis/3.0/service/tickets"
        self.http = requests.Session()
        self.http.auth = (
            f"{connectwise.SIMULATOR_COMPANY_ID}+{connectwise.SIMULATOR_PUBLIC_KEY}",
            connectwise.SIMULATOR_PRIVATE_KEY,
        )
        self.http.headers["clientId"] = connectwise.SIMULATOR_CLIENT_ID

    def handoff(self, ticket: int, *, note: str, status_id: int) -> None:
        text = markdown_to_plain_text(note)
        body = {"text": text, "resolutionFlag": True, "internalAnalysisFlag": False, "detailDescriptionFlag": False}
        status = [{"op": "replace", "path": "status", "value": {"id": status_id}}]
        self.http.get(f"{self.api}/{ticket}", timeout=TIMEOUT).raise_for_status()  # still open? (DESIGN §4)
        self.http.post(f"{self.api}/{ticket}/notes", json=body, timeout=TIMEOUT).raise_for_status()
        self.http.patch(f"{self.api}/{ticket}", json=status, timeout=TIMEOUT).raise_for_status()
        self.http.get(f"{self.api}/{ticket}", timeout=TIMEOUT).raise_for_status()


class AutotaskClient:
    round_trips = "5 round trips per handoff (read, note, status, its read-back, re-read); one zone lookup per client"

    def __init__(self, url: str):
        lookup = requests.get(
            f"{url}/v1.0/zoneInformation", params={"user": autotask.SIMULATOR_USERNAME}, timeout=TIMEOUT
        )
        lookup.raise_for_status()
        self.api = lookup.json()["url"].rstrip("/") + "/V1.0"
        self.http = requests.Session()
        self.http.headers.update(
            {
                "UserName": autotask.SIMULATOR_USERNAME,
                "Secret": autotask.SIMULATOR_SECRET,
                "ApiIntegrationCode": autotask.SIMULATOR_INTEGRATION_CODE,
            }
        )

    def handoff(self, ticket: int, *, note: str, status_id: int) -> None:
        # noteType 1 "Task Summary", publish 1 "All Autotask Users": the provider reads them from the picklists.
        body = {
            "ticketID": ticket,
            "title": "Resolution",
            "description": markdown_to_plain_text(note),
            "noteType": 1,
            "publish": 1,
        }
        self.http.get(f"{self.api}/Tickets/{ticket}", timeout=TIMEOUT).raise_for_status()
        self.http.post(f"{self.api}/Tickets/{ticket}/Notes", json=body, timeout=TIMEOUT).raise_for_status()
        self.http.patch(
            f"{self.api}/Tickets", json={"id": ticket, "status": status_id}, timeout=TIMEOUT
        ).raise_for_status()
        self.http.get(f"{self.api}/Tickets/{ticket}", timeout=TIMEOUT).raise_for_status()  # the PATCH's read-back
        self.http.get(f"{self.api}/Tickets/{ticket}", timeout=TIMEOUT).raise_for_status()


class HaloClient:
    round_trips = "4 round trips per handoff (read, note, status, re-read); one token per client"

    def __init__(self, url: str):
        self.api = f"{url}/api"
        form = {
            "grant_type": "client_credentials",
            "client_id": halopsa.SIMULATOR_CLIENT_ID,
            "client_secret": halopsa.SIMULATOR_CLIENT_SECRET,
            "scope": "all",
        }
        token = requests.post(f"{url}/auth/token", data=form, timeout=TIMEOUT)
        token.raise_for_status()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def handoff(self, ticket: int, *, note: str, status_id: int) -> None:
        action = {
            "ticket_id": ticket,
            "note_html": markdown_to_html(note),
            "outcome": "Resolution",
            "hiddenfromuser": False,
            "sendemail": False,
        }
        self.http.get(f"{self.api}/Tickets/{ticket}", timeout=TIMEOUT).raise_for_status()
        self.http.post(f"{self.api}/Actions", json=[action], timeout=TIMEOUT).raise_for_status()
        self.http.post(
            f"{self.api}/Tickets", json=[{"id": ticket, "status_id": status_id}], timeout=TIMEOUT
        ).raise_for_status()
        self.http.get(f"{self.api}/Tickets/{ticket}", timeout=TIMEOUT).raise_for_status()


@dataclass(frozen=True)
class BenchPsa:
    key: str  # PsaConnection.provider
    name: str
    command: str  # the manage.py command serving its simulator
    module: object  # the simulator's module: `connection_fields(url)`
    resolved_status_id: int  # the status a resolution moves the ticket to, on its simulator
    note_ticket_field: str  # the field of a note, in the simulator's state, naming its ticket
    client: type  # sends a handoff's minimum round trips straight to the simulator

    def connection_fields(self, url: str) -> dict:
        return self.module.connection_fields(url)


PSAS = {
    psa.key: psa
    for psa in (
        BenchPsa("connectwise", "ConnectWise", "cw_simulator", connectwise, 5, "ticketId", ConnectWiseClient),
        BenchPsa("autotask", "Autotask", "autotask_simulator", autotask, 5, "ticketID", AutotaskClient),
        BenchPsa("halopsa", "HaloPSA", "halo_simulator", halopsa, 8, "ticket_id", HaloClient),
    )
}
