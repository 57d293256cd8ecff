"""The new-session page's "Import from PSA" fills what was reported from the ticket's context: its header
(company, contact, priority, board) and its description, line breaks kept, with HTMX and without."""

from django.urls import reverse

from sessions.models import Session
from tests.support.html import hx_post, region, text

NEW = reverse("session-new")
DESCRIPTION = "Nothing prints at reception since 9am.\nThe display says Ready."


def intake_of(html: str) -> str:
    return region(html, "id_intake_text")


def test_an_htmx_import_fills_the_intake_with_the_tickets_header_and_description(bob_web, psa_connected, simulator):
    simulator.add_history_note(1003, DESCRIPTION, hours_ago=4)

    html = text(hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1003"}))

    intake = intake_of(html)
    assert (
        "Imported from ticket #1003: Test ticket 1003\nCompany: Contoso Ltd\nContact: Dana Whitfield\n"
        "Priority: Priority 3 - Normal Response\nBoard: Help Desk\n\n" + DESCRIPTION
    ) in intake
    assert 'value="Test ticket 1003"' in html


def test_a_plain_import_keeps_the_typed_title_and_intake_first(bob_web, psa_connected, simulator):
    simulator.add_history_note(1003, DESCRIPTION, hours_ago=4)

    response = bob_web.post(
        NEW, {"import": "1", "psa_ticket_id": "1003", "title": "Reception printer", "intake_text": "Lena called."}
    )

    html = text(response)
    assert response.status_code == 200 and "<html" in html
    assert 'value="Reception printer"' in html
    assert "Lena called.\n\nImported from ticket #1003: Test ticket 1003\nCompany: Contoso Ltd" in intake_of(html)
    assert DESCRIPTION in intake_of(html)


def test_the_description_is_escaped_in_the_form(bob_web, psa_connected, simulator):
    simulator.add_history_note(1003, "</textarea><script>alert(1)</script>", hours_ago=4)

    html = text(hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1003"}))

    assert "<script>alert(1)" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in intake_of(html)


def test_a_ticket_without_a_description_says_so_in_the_import_warnings(bob_web, psa_connected):
    html = text(hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1003"}))

    assert "Ticket #1003 has no description in the PSA: the intake holds its summary only." in html


def test_the_imported_intake_starts_the_session_with_its_line_breaks(bob_web, account_a, psa_connected, simulator):
    simulator.add_history_note(1003, DESCRIPTION, hours_ago=4)
    hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1003"})
    intake = "Imported from ticket #1003: Test ticket 1003\nCompany: Contoso Ltd\nBoard: Help Desk\n\n" + DESCRIPTION

    bob_web.post(NEW, {"title": "Test ticket 1003", "psa_ticket_id": "1003", "intake_text": intake})

    session = Session.objects.get(account=account_a)
    assert session.intake_text == intake
    workspace = text(bob_web.get(reverse("workspace", args=[session.pk])))
    assert "Company: Contoso Ltd<br>Board: Help Desk" in workspace
