"""Autotask and HaloPSA as the tests meet them: their simulators, the connection fields that reach them, and
what each one's target statuses, notes and tickets look like. ConnectWise's own fixtures are in tests/conftest.py."""

from contextlib import contextmanager
from dataclasses import dataclass

from accounts.services import account_settings_update
from devtools.autotask import simulator as autotask_simulator
from devtools.halopsa import simulator as halo_simulator
from psa.services import psa_connection_save
from psa.specs import PROVIDERS


@dataclass(frozen=True)
class OtherPsa:
    provider: str
    module: object  # the simulator's module: its class, `connection_fields`, dummy credentials
    simulator_class: type
    resolved_status: tuple[int, str]  # (id, name) of the status a resolution moves the ticket to
    escalated_status: tuple[int, str]
    active_statuses: int  # how many of the simulator's ticket statuses are active
    secrets: tuple[str, ...]  # the connection's secret fields
    # The calls a count-based fault ({count, methods, skip}) must match to strike the status change and not the
    # note: Autotask PATCHes the ticket; HaloPSA POSTs it, after the POST of the note.
    status_change_calls: dict
    note_text_key: str  # the simulator's note field holding the text as it landed
    internal_key: str  # the simulator's note field that is True when the customer is kept from the note
    status_key: str  # the simulator's ticket field holding the status id

    @property
    def provider_class(self):
        return PROVIDERS[self.provider].provider_class

    def fields(self, url: str) -> dict:
        return self.module.connection_fields(url)

    def rendered(self, markdown: str) -> str:
        """The note as this PSA holds it (Autotask plain text, HaloPSA sanitised HTML)."""
        return self.provider_class.render_note(markdown)

    def note_text(self, note: dict) -> str:
        return note[self.note_text_key]

    def is_internal(self, note: dict) -> bool:
        return note[self.internal_key]

    def status_of(self, simulator, ticket_id: int) -> int:
        return simulator.ticket(ticket_id)[self.status_key]

    @contextmanager
    def running(self, **kwargs):
        with self.simulator_class(port=0, **kwargs) as simulator:
            yield simulator

    def connect(self, account, simulator):
        """The account's connection points at `simulator`, with target statuses for both outcomes (the caller
        set FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS)."""
        connection = psa_connection_save(account=account, **self.fields(simulator.url))
        account_settings_update(
            account=account,
            changes={"resolved_status_id": self.resolved_status[0], "escalated_status_id": self.escalated_status[0]},
        )
        return connection


AUTOTASK = OtherPsa(
    provider="autotask",
    module=autotask_simulator,
    simulator_class=autotask_simulator.AutotaskSimulator,
    resolved_status=(5, "Complete"),
    escalated_status=(11, "Escalate"),
    active_statuses=6,
    secrets=("secret", "integration_code"),
    status_change_calls={"methods": ["PATCH"]},
    note_text_key="text",
    internal_key="internal",
    status_key="status",
)
HALOPSA = OtherPsa(
    provider="halopsa",
    module=halo_simulator,
    simulator_class=halo_simulator.HaloSimulator,
    resolved_status=(8, "Resolved"),
    escalated_status=(21, "Escalated - 2nd Line"),
    active_statuses=9,
    secrets=("client_secret",),
    status_change_calls={"methods": ["POST"], "skip": 1},
    note_text_key="note_html",
    internal_key="hiddenfromuser",
    status_key="status_id",
)
OTHER_PSAS = [AUTOTASK, HALOPSA]
OTHER_PSA_IDS = [psa.provider for psa in OTHER_PSAS]
