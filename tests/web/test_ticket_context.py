"""The workspace's "On the ticket" region: loaded after the page into space kept for it, what the ticket
says in the PSA's words (escaped), a plain message when the PSA can't answer, and "Add as fact" on the
description and each recent note, with HTMX and without."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from sessions import services
from sessions.models import Fact, Session
from tests.support.html import Elements, hx_get, hx_post, oob_toasts, region, text, triggers


def url(name, session):
    return reverse(name, args=[session.pk])


def state_version(session) -> int:
    return Session.objects.values_list("state_version", flat=True).get(pk=session.pk)


def psa_reads(simulator) -> int:
    requests = simulator.state()["requests"]
    return requests.get("GET ticket", 0) + requests.get("GET notes", 0)


@pytest.fixture
def ticket_notes(simulator):
    """Ticket 1001 as its contact reported it, then a colleague's internal note and the contact's reply."""
    return {
        "description": simulator.add_history_note(
            1001, "Outlook asks for my password every few minutes.\nWebmail is fine.", hours_ago=30
        ),
        "internal": simulator.add_history_note(
            1001, "Credential Manager holds stale entries.", kind="internal", by="Ravi Patel", hours_ago=5
        ),
        "reply": simulator.add_history_note(1001, "Still happening after a restart.", hours_ago=2),
    }


def loaded(client, session):
    response = hx_get(client, url("ticket-context", session))
    assert response.status_code == 200
    return text(response)


def add_as_fact_form(html, note_id) -> dict:
    (form,) = [
        form
        for form in Elements(html).post_forms
        if any(field.get("name") == "note" and field.get("value") == str(note_id) for _tag, field in form["_fields"])
    ]
    return form


def day_of(note) -> str:
    return date_format(timezone.localtime(datetime.fromisoformat(note["dateCreated"])), "j M")


# The placeholder


def test_the_workspace_keeps_the_regions_space_and_loads_it_after_the_page(
    bob_web, session_a, psa_connected, simulator
):
    html = text(bob_web.get(url("workspace", session_a)))

    placeholder = region(html, "ticket-context")
    assert 'class="card ticket-context"' in placeholder  # its min-height is kept for it before it loads
    assert f'hx-get="{url("ticket-context", session_a)}"' in placeholder
    assert 'hx-trigger="load"' in placeholder
    assert "On the ticket" in placeholder
    assert psa_reads(simulator) == 0  # the page never waits for the PSA


def test_without_javascript_the_placeholder_links_to_the_workspace_with_the_region_loaded(
    bob_web, session_a, psa_connected
):
    placeholder = region(text(bob_web.get(url("workspace", session_a))), "ticket-context")

    assert "<noscript>" in placeholder
    assert f'<a href="{url("ticket-context", session_a)}#ticket-context">' in placeholder


def test_it_sits_in_the_left_column_before_the_facts(bob_web, session_a, psa_connected):
    html = text(bob_web.get(url("workspace", session_a)))

    assert html.index('<div class="columns">') < html.index('id="ticket-context"') < html.index('id="facts"')


def test_without_a_linked_ticket_the_region_is_not_shown(bob_web, local_session, psa_connected):
    assert 'id="ticket-context"' not in text(bob_web.get(url("workspace", local_session)))


def test_without_a_psa_connection_the_region_is_not_shown(bob_web, session_a):
    assert 'id="ticket-context"' not in text(bob_web.get(url("workspace", session_a)))


# What the ticket says


def test_htmx_gets_the_region_with_who_reported_it_where_and_how_urgent(bob_web, session_a, psa_connected):
    html = loaded(bob_web, session_a)

    assert html.strip().startswith('<section id="ticket-context"')
    assert 'hx-trigger="load"' not in html  # loaded once
    fields = region(html, "ticket-context")
    for shown in (
        "Contoso Ltd",
        "Dana Whitfield",
        "dana.whitfield@contoso.example",
        "+1 555 0100",
        "Main",
        "Priority 3 - Normal Response",
        "Help Desk",
        "New",
    ):
        assert shown in fields
    assert '<details class="ticket-more">' in html  # collapsed until the engineer opens it


def test_it_shows_the_description_and_recent_notes_with_who_when_and_who_can_read_them(
    bob_web, session_a, psa_connected, ticket_notes
):
    html = loaded(bob_web, session_a)

    description = region(html, f"ticket-note-{ticket_notes['description']['id']}")
    assert "Outlook asks for my password every few minutes.<br>Webmail is fine." in description
    assert "Dana Whitfield" in description and day_of(ticket_notes["description"]) in description
    assert 'class="visibility visibility-customer"' in description
    internal = region(html, f"ticket-note-{ticket_notes['internal']['id']}")
    assert "Ravi Patel" in internal
    assert 'class="visibility visibility-internal">Internal<' in internal
    assert html.index("Still happening after a restart.") < html.index("Credential Manager holds stale entries.")


def test_it_links_to_the_ticket_in_connectwise_in_a_new_tab(bob_web, session_a, psa_connected, simulator):
    html = loaded(bob_web, session_a)

    (link,) = [a for a in Elements(html).all("a") if a.get("class") == "ticket-open"]
    assert link["href"] == (
        f"{simulator.url}/v4_6_release/services/system_io/Service/fv_sr100_request.rails"
        "?service_recid=1001&companyName=flowpilot"
    )
    assert (link["target"], link["rel"]) == ("_blank", "noopener")
    assert "Open ticket #1001 in ConnectWise</a>" in html


def test_the_psas_text_is_shown_as_text_never_as_html(bob_web, session_a, psa_connected, simulator):
    simulator.add_history_note(1001, '<script>alert("x")</script>\n<img src=x onerror=alert(1)>', hours_ago=1)

    html = loaded(bob_web, session_a)

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_ticket_without_notes_says_so(bob_web, session_a, psa_connected):
    html = loaded(bob_web, session_a)

    assert "The ticket has no description." in html
    assert "No other notes yet." in html


def test_without_javascript_the_link_shows_the_whole_workspace_with_the_region_open(
    bob_web, session_a, psa_connected, ticket_notes
):
    response = bob_web.get(url("ticket-context", session_a))

    html = text(response)
    assert response.status_code == 200
    assert "<html" in html and 'id="facts"' in html
    context = region(html, "ticket-context")
    assert '<details class="ticket-more" open>' in context
    assert "Outlook asks for my password every few minutes." in context
    assert 'hx-trigger="load"' not in context


# When the PSA can't answer


def test_when_the_psa_fails_the_region_says_so_in_its_own_space(bob_web, session_a, psa_connected, simulator):
    simulator.set_faults(server_error={"count": 1, "status": 503})

    html = loaded(bob_web, session_a)

    assert html.strip().startswith('<section id="ticket-context"')
    assert "The PSA could not tell us what the ticket says: ConnectWise is unavailable (HTTP 503)" in html
    assert f'hx-get="{url("ticket-context", session_a)}"' in html  # Try again
    assert "Try again</a>" in html


def test_a_failure_is_not_kept_so_try_again_reads_the_ticket(bob_web, session_a, psa_connected, simulator):
    simulator.set_faults(server_error={"count": 1})
    loaded(bob_web, session_a)

    assert "Contoso Ltd" in loaded(bob_web, session_a)


def test_when_the_psa_is_unreachable_the_region_says_so(bob_web, session_a, psa_connected, simulator):
    simulator.stop()

    html = loaded(bob_web, session_a)

    assert "Could not reach ConnectWise" in html


def test_a_ticket_the_psa_does_not_know_is_said_plainly(bob_web, account_a, bob, psa_connected):
    session = services.session_create(account=account_a, user=bob, title="Typo", psa_ticket_id=999999)

    html = loaded(bob_web, session)

    assert "ConnectWise has no ticket 999999 that these credentials can see" in html


def test_a_second_load_within_the_minute_asks_the_psa_nothing(bob_web, session_a, psa_connected, simulator):
    loaded(bob_web, session_a)
    loaded(bob_web, session_a)

    assert psa_reads(simulator) == 2


# Add as fact


def test_adding_a_note_as_a_fact_with_htmx_answers_the_facts_region(bob_web, session_a, psa_connected, ticket_notes):
    form = add_as_fact_form(loaded(bob_web, session_a), ticket_notes["reply"]["id"])
    before = state_version(session_a)

    response = hx_post(bob_web, form["hx-post"], {"note": ticket_notes["reply"]["id"]})

    assert response.status_code == 200
    assert text(response).strip().startswith('<section id="facts"')
    assert "Still happening after a restart." in region(text(response), "facts")
    assert "session-changed" in triggers(response)
    source = f"Ticket #1001 note by Dana Whitfield, {day_of(ticket_notes['reply'])}"
    assert f"Added to what we know: {source}." in oob_toasts(response)
    fact = Fact.objects.get(session=session_a, text="Still happening after a restart.")
    assert (fact.source_type, fact.source_summary) == (Fact.SourceType.PSA, source)
    assert state_version(session_a) == before + 1


def test_the_description_becomes_a_fact_named_as_the_description(bob_web, session_a, psa_connected, ticket_notes):
    loaded(bob_web, session_a)
    note = ticket_notes["description"]

    hx_post(bob_web, url("ticket-note-fact", session_a), {"note": note["id"]})

    fact = Fact.objects.get(session=session_a, source_type=Fact.SourceType.PSA)
    assert fact.text == "Outlook asks for my password every few minutes.\nWebmail is fine."
    assert fact.source_summary == f"Ticket #1001 description by Dana Whitfield, {day_of(note)}"


def test_each_note_and_the_description_have_an_add_as_fact_button_posting_with_csrf(
    bob_web, session_a, psa_connected, ticket_notes
):
    forms = [
        form
        for form in Elements(loaded(bob_web, session_a)).post_forms
        if form["action"] == url("ticket-note-fact", session_a)
    ]

    assert len(forms) == 3
    for form in forms:
        names = {attributes.get("name") for _tag, attributes in form["_fields"]}
        assert {"csrfmiddlewaretoken", "note"} <= names
        assert (form["hx-target"], form["hx-swap"]) == ("#facts", "outerHTML")


def test_adding_a_note_as_a_fact_without_javascript_goes_back_to_the_facts(
    bob_web, session_a, psa_connected, ticket_notes
):
    response = bob_web.post(url("ticket-note-fact", session_a), {"note": ticket_notes["internal"]["id"]})

    assert response.status_code == 302
    assert response["Location"] == f"{url('workspace', session_a)}#facts"
    fact = Fact.objects.get(session=session_a, source_type=Fact.SourceType.PSA)
    assert fact.text == "Credential Manager holds stale entries."
    assert fact.source_summary.startswith("Ticket #1001 note by Ravi Patel, ")
    assert "Added to what we know" in text(bob_web.get(response["Location"]))


def test_adding_a_fact_reads_the_ticket_the_region_just_read(
    bob_web, session_a, psa_connected, simulator, ticket_notes
):
    loaded(bob_web, session_a)

    hx_post(bob_web, url("ticket-note-fact", session_a), {"note": ticket_notes["reply"]["id"]})

    assert psa_reads(simulator) == 2


@pytest.mark.parametrize("note", ["424242", "", "not-a-number"])
def test_a_note_no_longer_on_the_ticket_is_refused_in_words(bob_web, session_a, psa_connected, ticket_notes, note):
    before = state_version(session_a)

    htmx = hx_post(bob_web, url("ticket-note-fact", session_a), {"note": note})
    plain = bob_web.post(url("ticket-note-fact", session_a), {"note": note})

    assert htmx.status_code == 200 and text(htmx).strip().startswith('<section id="facts"')
    assert "no longer among ticket #1001&#x27;s recent notes" in oob_toasts(htmx)
    assert plain.status_code == 400
    assert "no longer among ticket #1001&#x27;s recent notes" in text(plain)
    assert not Fact.objects.filter(session=session_a).exists()
    assert state_version(session_a) == before


def test_when_the_psa_is_down_adding_a_fact_says_why(bob_web, session_a, psa_connected, simulator):
    simulator.set_faults(server_error={"count": 1})

    response = hx_post(bob_web, url("ticket-note-fact", session_a), {"note": "1"})

    assert "ConnectWise is unavailable (HTTP 500)" in oob_toasts(response)
    assert not Fact.objects.filter(session=session_a).exists()


def test_a_closed_session_shows_the_ticket_but_no_add_as_fact(bob_web, session_a, psa_connected, ticket_notes):
    Session.objects.filter(pk=session_a.pk).update(
        status=Session.Status.RESOLVED, closed_as=Session.ClosedAs.RESOLVED_LOCAL
    )

    html = loaded(bob_web, session_a)
    response = hx_post(bob_web, url("ticket-note-fact", session_a), {"note": ticket_notes["reply"]["id"]})

    assert "Still happening after a restart." in html
    assert "Add as fact" not in html
    assert "This session is closed" in oob_toasts(response)
    assert not Fact.objects.filter(session=session_a).exists()


# Another account's session


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_another_accounts_session_is_a_404_and_nothing_is_read_or_written(
    charlie_web, session_a, psa_connected, simulator, ticket_notes, htmx
):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    shown = charlie_web.get(url("ticket-context", session_a), **extra)
    added = charlie_web.post(url("ticket-note-fact", session_a), {"note": ticket_notes["reply"]["id"]}, **extra)

    assert (shown.status_code, added.status_code) == (404, 404)
    assert psa_reads(simulator) == 0
    assert not Fact.objects.filter(session=session_a).exists()
