"""The session list (searched with HTMX or by a plain GET) and the new-session form, with "Import from PSA"."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sessions import services
from sessions.models import Session
from tests.support.clients import web_client_for
from tests.support.data import PASSWORD
from tests.support.html import Elements, hx_get, hx_post, region, text

HOME = reverse("home")
NEW = reverse("session-new")


def field_group(html: str, field_id: str) -> str:
    """The `.field` block of one input: its label, the input and its errors."""
    start = html.rindex('<div class="field', 0, html.index(f'id="{field_id}"'))
    return html[start : html.index("</div>", start)]


# The list


def test_an_htmx_search_answers_only_the_results_region(bob_web, session_a, account_a, bob):
    services.session_create(account=account_a, user=bob, title="VPN drops every hour")

    response = hx_get(bob_web, HOME, {"q": "Outlook"})

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<div id="results">')
    assert "<html" not in html
    assert 'role="search"' not in html
    assert session_a.title in html
    assert "VPN drops every hour" not in html


def test_an_htmx_search_that_matches_nothing_says_so_and_offers_the_whole_account(bob_web, session_a):
    html = text(hx_get(bob_web, HOME, {"q": "printer"}))

    assert "No sessions match." in html
    assert "See the whole account" in html
    assert session_a.title not in html


def test_a_plain_search_answers_the_whole_page_with_the_query_kept_in_the_box(bob_web, session_a):
    response = bob_web.get(HOME, {"q": "1001"})

    html = text(response)
    assert response.status_code == 200
    assert "<html" in html
    assert 'role="search"' in html
    assert 'value="1001"' in html
    assert session_a.title in region(html, "results")


def test_going_back_to_a_pushed_search_url_restores_the_whole_page(bob_web, session_a):
    # htmx 2 re-fetches a pushed URL it has no snapshot of with HX-Request: true and swaps it into <body>.
    response = hx_get(bob_web, HOME, {"q": "Outlook"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert 'role="search"' in text(response)


def test_the_list_never_shows_another_accounts_sessions_even_when_searched_for(bob_web, session_a, session_b):
    html = text(hx_get(bob_web, HOME, {"q": "Globex", "scope": "all", "status": ""}))

    assert session_b.title not in html
    assert "No sessions match." in html


# A new session


def test_the_new_session_page_has_a_labelled_form_with_a_csrf_token(bob_web):
    html = text(bob_web.get(NEW))

    assert 'name="csrfmiddlewaretoken"' in html
    for field_id in ("id_psa_ticket_id", "id_title", "id_intake_text"):
        assert f'<label for="{field_id}">' in html
    assert "Start session" in html


def test_a_plain_post_creates_the_session_and_opens_its_workspace(bob_web, bob, account_a):
    response = bob_web.post(
        NEW, {"title": "  Laptop will not dock  ", "psa_ticket_id": "4242", "intake_text": "Dock shows no display."}
    )

    session = Session.objects.get(account=account_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace", args=[session.pk])
    assert (session.title, session.psa_ticket_id, session.intake_text) == (
        "Laptop will not dock",
        4242,
        "Dock shows no display.",
    )
    assert session.created_by == bob
    workspace = text(bob_web.get(response["Location"]))
    assert "<h1>Laptop will not dock</h1>" in workspace
    assert "Ticket #4242" in workspace
    assert "Dock shows no display." in workspace


def test_a_session_without_a_title_is_refused_with_the_reason_on_the_title_field(bob_web, account_a):
    response = bob_web.post(NEW, {"title": "   ", "intake_text": "Something broke."})

    html = text(response)
    assert response.status_code == 200
    assert "Give the session a title (or import it from the ticket)." in field_group(html, "id_title")
    assert "Something broke." in html  # what was typed is kept
    assert not Session.objects.filter(account=account_a).exists()


def test_a_ticket_number_that_is_not_a_number_is_refused_on_its_field(bob_web, account_a):
    html = text(bob_web.post(NEW, {"title": "Printer", "psa_ticket_id": "abc"}))

    assert "Enter a whole number." in field_group(html, "id_psa_ticket_id")
    assert not Session.objects.filter(account=account_a).exists()


def test_a_user_outside_every_account_is_sent_back_to_the_list(db):
    loner = get_user_model().objects.create_user("loner", password=PASSWORD)

    response = web_client_for(loner).post(NEW, {"title": "Nowhere to keep this"})

    assert response.status_code == 302
    assert response["Location"] == HOME
    assert not Session.objects.exists()


# Import from PSA


def test_import_is_only_offered_when_the_account_has_a_psa_connection(bob_web, account_a, request):
    without = text(bob_web.get(NEW))
    assert "Import from PSA" not in without
    assert "No PSA is connected to this account yet" in without

    request.getfixturevalue("psa_connected")
    with_connection = text(bob_web.get(NEW))
    assert "Import from PSA" in with_connection
    assert 'name="import"' in with_connection


def test_an_htmx_import_answers_only_the_form_filled_from_the_ticket(bob_web, account_a, psa_connected):
    response = hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1001", "title": ""})

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<form id="session-form"')
    assert "<html" not in html
    assert 'value="Test ticket 1001"' in field_group(html, "id_title")
    intake = field_group(html, "id_intake_text")
    assert "Imported from ticket #1001: Test ticket 1001" in intake
    assert "Board: Help Desk" in intake
    assert "Status:" not in intake  # the header shows the status live; the intake would go stale
    assert 'value="1001"' in field_group(html, "id_psa_ticket_id")
    assert not Session.objects.filter(account=account_a).exists()  # nothing is created until Start session


def test_a_plain_import_answers_the_whole_page_filled_from_the_ticket(bob_web, account_a, psa_connected, simulator):
    simulator.add_ticket(1002, "Finance share unreachable", status_id=2)

    response = bob_web.post(NEW, {"import": "1", "psa_ticket_id": "1002", "intake_text": "Called at 9am."})

    html = text(response)
    assert response.status_code == 200
    assert "<html" in html
    assert 'value="Finance share unreachable"' in html
    assert "Called at 9am.\n\nImported from ticket #1002: Finance share unreachable" in html  # the typed text first
    assert "Board: Help Desk" in html
    assert not Session.objects.filter(account=account_a).exists()


def test_an_imported_form_then_starts_the_session_with_the_tickets_title(bob_web, account_a, psa_connected):
    hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1001"})

    response = bob_web.post(NEW, {"title": "Test ticket 1001", "psa_ticket_id": "1001", "intake_text": "x"})

    session = Session.objects.get(account=account_a)
    assert response["Location"] == reverse("workspace", args=[session.pk])
    assert (session.title, session.psa_ticket_id) == ("Test ticket 1001", 1001)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_importing_an_unknown_ticket_shows_the_psas_answer_on_the_ticket_field(bob_web, psa_connected, htmx):
    data = {"import": "1", "psa_ticket_id": "999999"}
    response = hx_post(bob_web, NEW, data) if htmx else bob_web.post(NEW, data)

    html = text(response)
    assert response.status_code == 200
    assert "ConnectWise has no ticket 999999 that these credentials can see" in field_group(html, "id_psa_ticket_id")
    assert 'value="999999"' in field_group(html, "id_psa_ticket_id")
    assert not Session.objects.exists()


def test_importing_without_a_psa_connection_says_an_admin_must_connect_one(bob_web, account_a):
    html = text(hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1001"}))

    assert "This account has no PSA connection yet; an admin can add one in the admin." in field_group(
        html, "id_psa_ticket_id"
    )
    assert not Session.objects.exists()


def test_importing_without_a_ticket_number_asks_for_one(bob_web, psa_connected):
    html = text(hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "", "title": ""}))

    assert "Enter the ticket number to import." in field_group(html, "id_psa_ticket_id")
    assert "Give the session a title" not in html  # importing needs no title
    assert not Session.objects.exists()


def test_pressing_enter_in_the_form_starts_the_session_rather_than_importing(bob_web, psa_connected):
    form = next(form for form in Elements(text(bob_web.get(NEW))).forms if form.get("id") == "session-form")
    submit_buttons = [attrs for tag, attrs in form["_fields"] if tag == "button" and attrs.get("type") == "submit"]

    assert "import" not in submit_buttons[0].get("name", "")  # implicit submission uses the first one


def test_the_new_session_labels_have_no_colon_like_the_workspaces(bob_web):
    html = text(bob_web.get(NEW))

    assert '<label for="id_title">Title</label>' in html
    assert '<label for="id_psa_ticket_id">Ticket number</label>' in html


def test_importing_a_ticket_already_worked_keeps_the_typed_title_and_says_who_is_on_it(
    bob_web, session_a, psa_connected
):
    html = text(hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1001", "title": "Second look at Outlook"}))

    assert 'value="Second look at Outlook"' in html
    notice = " ".join(html.split("Ticket #1001 is already being worked")[1].split("</p>")[0].split())
    workspace = reverse("workspace", args=[session_a.pk])
    assert f'in the open session <a href="{workspace}">“{session_a.title}”</a>, started by bob.' in notice


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_starting_a_second_session_on_a_ticket_is_refused_with_a_link_to_the_open_one(
    bob_web, account_a, session_a, htmx
):
    data = {"title": "Second look at Outlook", "psa_ticket_id": "1001", "intake_text": "x"}
    response = hx_post(bob_web, NEW, data) if htmx else bob_web.post(NEW, data)

    ticket_field = field_group(text(response), "id_psa_ticket_id")
    assert "Ticket #1001 is already being worked in the open session" in ticket_field
    assert f'<a href="{reverse("workspace", args=[session_a.pk])}">Open “{session_a.title}”</a>' in ticket_field
    assert list(Session.objects.filter(account=account_a)) == [session_a]


def test_a_ticket_whose_session_closed_can_be_worked_again(bob_web, bob, account_a, session_a):
    Session.objects.filter(pk=session_a.pk).update(status="resolved", closed_as="resolved")

    response = bob_web.post(NEW, {"title": "It came back", "psa_ticket_id": "1001", "intake_text": "x"})

    assert response.status_code == 302
    assert Session.objects.filter(account=account_a, psa_ticket_id=1001, status="open").count() == 1


def test_importing_a_closed_ticket_warns_that_posting_would_note_a_closed_ticket(
    bob_web, bob, session_a, psa_connected
):
    from drafting.kinds import DraftKind
    from handoff.services import handoff_post

    handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown="## Problem\n\nDone.", user=bob)

    html = text(hx_post(bob_web, NEW, {"import": "1", "psa_ticket_id": "1001"}))

    assert "Ticket #1001 is closed in the PSA (status “Resolved”): posting would add a note to a closed ticket." in html
    assert "is already open on ticket" not in html  # that session is resolved now
