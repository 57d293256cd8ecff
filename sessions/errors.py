"""The session domain's own refusals, beyond flowpilot.errors."""

from django.urls import reverse

from flowpilot.errors import DomainError


class TicketInUse(DomainError):
    """Another open session of the account works this ticket (DESIGN §4): two would post two notes."""

    code = "ticket_in_use"

    def __init__(self, other):
        who = f", started by {other.created_by}" if other.created_by else ""
        super().__init__(
            f"Ticket #{other.psa_ticket_id} is already being worked in the open session “{other.title}”{who}. "
            "Carry on there, or unlink the ticket from that session under Edit details: one ticket, one open session.",
            field="psa_ticket_id",
        )
        self.session_id = other.pk
        self.link = (f"Open “{other.title}”", reverse("workspace", args=[other.pk]))

    def body(self) -> dict:
        return {**super().body(), "session": str(self.session_id)}
