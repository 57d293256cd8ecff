"""`ticket_import`: a new session's title and intake filled from the ticket's context — its summary, who
reported it and how urgent, and its description, line breaks kept."""

import pytest

from flowpilot.errors import DomainError
from sessions.services import ticket_import

DESCRIPTION = "Outlook asks for my password every few minutes.\nWebmail is fine.\n\nIt started after the move."


@pytest.fixture
def described(simulator):
    simulator.add_history_note(1001, DESCRIPTION, hours_ago=30)
    simulator.add_history_note(1001, "Credential Manager holds stale entries.", kind="internal", by="Ravi Patel")


def test_the_intake_holds_the_summary_a_short_header_and_the_description(account_a, psa_connected, described):
    imported = ticket_import(account=account_a, ticket_id=1001)

    assert imported.intake_text == (
        "Imported from ticket #1001: Test ticket 1001\n"
        "Company: Contoso Ltd\n"
        "Contact: Dana Whitfield\n"
        "Priority: Priority 3 - Normal Response\n"
        "Board: Help Desk\n"
        "\n" + DESCRIPTION
    )
    assert imported.title == "Test ticket 1001"
    assert imported.notices == []


def test_internal_notes_and_the_status_stay_out_of_the_intake(account_a, psa_connected, described):
    intake = ticket_import(account=account_a, ticket_id=1001).intake_text

    assert "Credential Manager" not in intake
    assert "Status" not in intake and "New" not in intake  # the workspace header shows the status live


def test_what_the_engineer_typed_comes_first_and_a_typed_title_is_kept(account_a, psa_connected, described):
    imported = ticket_import(account=account_a, ticket_id=1001, title="  Outlook loop  ", intake_text="Called at 9.\n")

    assert imported.title == "Outlook loop"
    assert imported.intake_text.startswith("Called at 9.\n\nImported from ticket #1001: Test ticket 1001\nCompany:")
    assert imported.intake_text.endswith(DESCRIPTION)


def test_importing_again_adds_nothing_the_intake_holds(account_a, psa_connected, described):
    first = ticket_import(account=account_a, ticket_id=1001, intake_text="Called at 9.")

    again = ticket_import(account=account_a, ticket_id=1001, intake_text=first.intake_text)

    assert again.intake_text == first.intake_text


def test_a_ticket_without_a_description_imports_its_summary_and_says_so(account_a, psa_connected):
    imported = ticket_import(account=account_a, ticket_id=1001)

    assert imported.intake_text.endswith("Board: Help Desk")
    assert imported.notices == ["Ticket #1001 has no description in the PSA: the intake holds its summary only."]


def test_a_closed_ticket_is_still_said_to_be_closed(account_a, psa_connected, simulator, described):
    simulator.add_ticket(1001, "Test ticket 1001", status_id=6)

    (notice,) = ticket_import(account=account_a, ticket_id=1001).notices

    assert notice == "Ticket #1001 is closed in the PSA (status “Closed”): posting would add a note to a closed ticket."


def test_a_ticket_the_psa_cannot_read_is_a_domain_error_on_the_ticket_field(account_a, psa_connected):
    with pytest.raises(DomainError) as failed:
        ticket_import(account=account_a, ticket_id=999999)

    assert (failed.value.code, failed.value.field) == ("psa_ticket_not_found", "psa_ticket_id")
