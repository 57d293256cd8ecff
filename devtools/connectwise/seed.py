"""The simulator's seeded tickets: who reported each, where, how urgent, and (with `ticket_history`) the notes
people wrote on it before FlowPilot came along. Invented companies and people only.

Standard library only, like the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """A ConnectWise reference (`{id, name, _info}`; companies and members also have an `identifier`)."""

    id: int
    name: str
    identifier: str = ""

    def json(self) -> dict:
        identifier = {"identifier": self.identifier} if self.identifier else {}
        return {"id": self.id, **identifier, "name": self.name, "_info": {}}


@dataclass(frozen=True)
class TicketDetails:
    """Who reported the ticket, for whom, where and how urgent: the fields a ConnectWise ticket carries."""

    company: Reference
    contact: Reference
    contact_email: str
    contact_phone: str
    site: Reference
    priority: Reference
    contact_phone_extension: str = ""


@dataclass(frozen=True)
class HistoryNote:
    """A note written before the simulator started: by a member (`by` names one) or by the ticket's contact
    (`by` is None), `hours_ago`; `kind` is "discussion" (the customer sees it), "internal" or "resolution"."""

    hours_ago: float
    kind: str
    text: str
    by: str | None = None


PRIORITY_EMERGENCY = Reference(1, "Priority 1 - Emergency Response")
PRIORITY_QUICK = Reference(2, "Priority 2 - Quick Response")
PRIORITY_NORMAL = Reference(3, "Priority 3 - Normal Response")

MEMBERS = {
    "Ravi Patel": Reference(148, "Ravi Patel", "rpatel"),
    "Sophie Martin": Reference(152, "Sophie Martin", "smartin"),
    "Tom Becker": Reference(161, "Tom Becker", "tbecker"),
}

# The tickets 1001-1010 of the tests: one customer, an ordinary priority.
TEST_DETAILS = TicketDetails(
    company=Reference(250, "Contoso Ltd", "ContosoLtd"),
    contact=Reference(3101, "Dana Whitfield"),
    contact_email="dana.whitfield@contoso.example",
    contact_phone="+1 555 0100",
    site=Reference(31, "Main"),
    priority=PRIORITY_NORMAL,
)


def history_of_a_test_ticket(summary: str) -> list[HistoryNote]:
    return [
        HistoryNote(
            50, "discussion", f"{summary}: it started this morning and nothing was changed on our side. Please help."
        ),
        HistoryNote(49, "internal", "Triage: the vendor's status page shows no incident.", by="Ravi Patel"),
        HistoryNote(26, "discussion", "Still happening after a restart."),
    ]


# The demo's tickets (devtools/demo.py links its sessions to them).
DEMO_TICKETS: dict[int, tuple[str, TicketDetails, list[HistoryNote]]] = {
    48213: (
        "Outlook keeps prompting for a password after the mailbox move",
        TicketDetails(
            company=Reference(310, "Contoso Legal LLP", "ContosoLegal"),
            contact=Reference(4120, "Marcus Reed"),
            contact_email="marcus.reed@contoso-legal.example",
            contact_phone="+1 555 0142",
            site=Reference(41, "Main Office"),
            priority=PRIORITY_QUICK,
        ),
        [
            HistoryNote(
                20,
                "discussion",
                "Since the mailbox move last night Outlook asks for my password every few minutes.\n"
                "I type it in and it works for a while, then asks again. Webmail is fine.\n"
                "It happens on my desktop and on my laptop.",
            ),
            HistoryNote(
                19,
                "internal",
                "Migration batch 3 finished at 22:40 yesterday: 14 mailboxes, Marcus's among them.",
                by="Ravi Patel",
            ),
            HistoryNote(6, "discussion", "Still happening this morning, and now Jo in accounts has it too."),
            HistoryNote(
                5,
                "internal",
                "Modern auth is on for the tenant. Outlook 16.0.17928 on both machines; Credential Manager "
                "holds old entries for outlook.office365.com.",
                by="Sophie Martin",
            ),
        ],
    ),
    48227: (
        "Shared drive S: missing for the Finance team",
        TicketDetails(
            company=Reference(320, "Fabrikam Foods Ltd", "FabrikamFoods"),
            contact=Reference(4210, "Dana Kowalski"),
            contact_email="dana.kowalski@fabrikam-foods.example",
            contact_phone="+44 20 7946 0811",
            site=Reference(52, "Head Office"),
            priority=PRIORITY_QUICK,
        ),
        [
            HistoryNote(
                9,
                "discussion",
                "The S: drive shows a red X since this morning and none of us in Finance can open the budget "
                "sheets. We changed our passwords on Monday as IT asked.",
            ),
            HistoryNote(8, "discussion", "Three of us have it: me, Tom and Aisha. Sales can still open S:."),
            HistoryNote(
                7, "internal", "fs01 is up; the finance share's permissions are unchanged since March.", by="Tom Becker"
            ),
        ],
    ),
    48230: (
        "New starter laptop cannot connect to the VPN",
        TicketDetails(
            company=Reference(330, "Tailspin Toys", "TailspinToys"),
            contact=Reference(4330, "Grace Liu"),
            contact_email="grace.liu@tailspin-toys.example",
            contact_phone="+1 555 0187",
            contact_phone_extension="214",
            site=Reference(63, "Warehouse and Offices"),
            priority=PRIORITY_NORMAL,
        ),
        [
            HistoryNote(
                30,
                "discussion",
                "Our new starter Sam Ortiz begins on Monday. His laptop (TT-LT-0217) will not connect to the VPN "
                'from home: "The remote connection was denied because the user name and password combination '
                'you provided is not recognized."',
            ),
            HistoryNote(
                28, "internal", "Sam's account was created on Friday; not yet in the VPN-Users group?", by="Ravi Patel"
            ),
        ],
    ),
    48241: (
        "Reception printer shows offline for the whole office",
        TicketDetails(
            company=Reference(340, "Alpine Ski House", "AlpineSkiHouse"),
            contact=Reference(4440, "Lena Fischer"),
            contact_email="reception@alpine-ski-house.example",
            contact_phone="+43 512 555 019",
            site=Reference(74, "Innsbruck Office"),
            priority=PRIORITY_EMERGENCY,
        ),
        [
            HistoryNote(
                4,
                "discussion",
                "Nothing prints at reception since 9am. The printer's display says Ready, but every PC shows it "
                "as offline. Guests are waiting for their passes.",
            ),
            HistoryNote(3.5, "internal", "Remote session to PRINT01: the spooler is running.", by="Sophie Martin"),
            HistoryNote(3, "discussion", "Restarted the printer as you asked; no change."),
        ],
    ),
}
