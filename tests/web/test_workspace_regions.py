"""The session workspace and its regions: facts, checks, the suggested fix, scripts and the ticket's live
status. Each write is tried as HTMX (the region comes back) and as a plain POST (a redirect, or the whole
page with the errors in place)."""

import pytest
from django.urls import reverse

from sessions import services
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, Session, SuggestedFix
from tests.support.html import hx_get, hx_post, oob_toasts, region, text, triggers

SCRIPT_PASSWORD = "Pa55-Wintery-Lamp"
SCRIPT_VALUES = {
    "template": "map-drive",
    "param-share": r"\\fs01\finance",
    "param-letter": "S",
    "param-password": SCRIPT_PASSWORD,
    "param-retries": "3",
}


def url(name, session, *args):
    return reverse(name, args=[session.pk, *args])


def workspace(session, query: str = "") -> str:
    return reverse("workspace", args=[session.pk]) + query


def state_version(session) -> int:
    return Session.objects.values_list("state_version", flat=True).get(pk=session.pk)


# The page


def test_the_workspace_shows_the_session_its_facts_fix_and_script_templates(
    bob_web, session_a, fact_a, fix_a, template_a
):
    response = bob_web.get(workspace(session_a))

    html = text(response)
    assert response.status_code == 200
    assert "<h1>Outlook prompts for a password in a loop</h1>" in html
    assert "Ticket #1001" in html
    assert "User says Outlook asks for the password every few minutes." in html
    facts = region(html, f"fact-{fact_a.pk}")
    assert "Modern auth is enabled on the tenant." in facts
    assert '<span class="source source-engineer">Engineer</span>' in facts
    fix = region(html, "fix")
    assert "<h3>Clear cached credentials</h3>" in fix
    assert "70% confident" in fix
    assert "Proposed" in fix
    scripts = region(html, "scripts")
    assert '<select id="script-template" name="template"' in scripts
    assert "Map drive (PowerShell)</option>" in scripts
    assert f'hx-get="{url("ticket-status", session_a)}"' in html  # the ticket's status loads after the page


def test_a_fact_from_a_script_shows_its_source_and_where_it_came_from(bob_web, session_a, bob):
    services.fact_add(
        session=session_a,
        user=bob,
        text="Mailbox is 49.5 GB",
        source_type=Fact.SourceType.SCRIPT_OUTPUT,
        source_summary="Get-MailboxStatistics",
    )

    facts = region(text(bob_web.get(workspace(session_a))), "facts")

    assert '<span class="source source-script_output">Script output</span>' in facts
    assert "Get-MailboxStatistics" in facts


def test_an_empty_session_says_what_to_do_in_each_region(bob_web, session_a):
    html = text(bob_web.get(workspace(session_a)))

    assert "Nothing confirmed yet. Add each fact as you confirm it." in region(html, "facts")
    assert "No checks recorded." in region(html, "checks")
    assert "No working hypothesis yet." in region(html, "fix")
    assert "No script templates yet" in region(html, "scripts")


# Facts: add


def test_a_fact_added_with_htmx_comes_back_as_the_facts_region(bob_web, session_a):
    before = state_version(session_a)

    response = hx_post(
        bob_web,
        url("fact-add", session_a),
        {"text": "OWA works fine.", "source_type": "engineer", "source_summary": ""},
    )

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<section id="facts"')
    assert "<html" not in html
    assert "OWA works fine." in html
    assert '<span id="facts-count" class="count">1</span>' in html
    assert triggers(response) == {"session-changed": {}}
    assert "hx-swap-oob" not in html  # no messages, no toasts
    assert state_version(session_a) == before + 1
    fact = Fact.objects.get(session=session_a)
    assert (fact.text, fact.source_type) == ("OWA works fine.", "engineer")


def test_a_fact_added_without_javascript_redirects_to_the_facts_of_the_workspace(bob_web, session_a):
    response = bob_web.post(url("fact-add", session_a), {"text": "OWA works fine.", "source_type": "engineer"})

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, "#facts")
    assert "OWA works fine." in region(text(bob_web.get(response["Location"])), "facts")


def test_an_empty_fact_sent_with_htmx_comes_back_with_the_error_and_nothing_added(bob_web, session_a):
    before = state_version(session_a)

    response = hx_post(bob_web, url("fact-add", session_a), {"text": "   ", "source_type": "engineer"})

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<section id="facts"')
    assert '<ul class="errorlist" id="fact_text_error"><li>This field is required.</li></ul>' in html
    assert "HX-Trigger" not in response
    assert not Fact.objects.filter(session=session_a).exists()
    assert state_version(session_a) == before


def test_an_empty_fact_sent_without_javascript_gets_the_whole_page_with_the_error(bob_web, session_a):
    response = bob_web.post(url("fact-add", session_a), {"text": "", "source_type": "engineer"})

    html = text(response)
    assert response.status_code == 400
    assert "<html" in html
    assert "This field is required." in region(html, "facts")
    assert not Fact.objects.filter(session=session_a).exists()


def test_a_fact_with_an_unknown_source_is_refused_on_the_source_field(bob_web, session_a):
    html = text(hx_post(bob_web, url("fact-add", session_a), {"text": "A fact", "source_type": "rumour"}))

    assert "Select a valid choice. rumour is not one of the available choices." in html
    assert not Fact.objects.filter(session=session_a).exists()


# Facts: edit inline, cancel, delete


def test_the_inline_editor_comes_back_as_the_facts_row_holding_a_form(bob_web, session_a, fact_a):
    response = hx_get(bob_web, url("fact-edit", session_a, fact_a.pk))

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith(f'<li id="fact-{fact_a.pk}" class="fact editing">')
    assert f'<form method="post" action="{url("fact-edit", session_a, fact_a.pk)}"' in html
    assert f'<label for="fact{fact_a.pk}_text">Fact</label>' in html
    assert "Modern auth is enabled on the tenant.</textarea>" in html
    assert "Cancel" in html


def test_without_javascript_the_editor_opens_inside_the_workspace(bob_web, session_a, fact_a):
    response = bob_web.get(url("fact-edit", session_a, fact_a.pk))

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, f"?edit_fact={fact_a.pk}#fact-{fact_a.pk}")
    html = text(bob_web.get(response["Location"]))
    row = region(html, f"fact-{fact_a.pk}")
    assert 'class="fact editing"' in row
    assert "Modern auth is enabled on the tenant.</textarea>" in row
    assert "Save fact" in row


def test_an_edited_fact_comes_back_as_its_row_with_the_new_text(bob_web, session_a, fact_a):
    before = state_version(session_a)

    response = hx_post(
        bob_web,
        url("fact-edit", session_a, fact_a.pk),
        {
            "text": "Modern auth is enabled; legacy auth is blocked.",
            "source_type": "psa",
            "source_summary": "CA policy",
        },
    )

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith(f'<li id="fact-{fact_a.pk}" class="fact">')
    assert "Modern auth is enabled; legacy auth is blocked." in html
    assert '<span class="source source-psa">PSA</span>' in html
    assert "<form" not in html.split("row-actions")[0]  # the text is shown, not an editor
    assert triggers(response) == {"session-changed": {}}
    assert state_version(session_a) == before + 1
    fact_a.refresh_from_db()
    assert fact_a.text == "Modern auth is enabled; legacy auth is blocked."


def test_an_edit_saved_without_javascript_redirects_to_the_fact(bob_web, session_a, fact_a):
    response = bob_web.post(url("fact-edit", session_a, fact_a.pk), {"text": "Edited.", "source_type": "engineer"})

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, f"#fact-{fact_a.pk}")
    assert "Edited." in region(text(bob_web.get(response["Location"])), f"fact-{fact_a.pk}")


def test_an_edit_that_empties_the_fact_keeps_the_editor_open_with_the_error(bob_web, session_a, fact_a):
    response = hx_post(bob_web, url("fact-edit", session_a, fact_a.pk), {"text": "", "source_type": "engineer"})

    html = text(response)
    assert response.status_code == 200
    assert 'class="fact editing"' in html
    assert "This field is required." in html
    assert "HX-Trigger" not in response
    fact_a.refresh_from_db()
    assert fact_a.text == "Modern auth is enabled on the tenant."

    plain = bob_web.post(url("fact-edit", session_a, fact_a.pk), {"text": "", "source_type": "engineer"})
    assert plain.status_code == 400
    assert "This field is required." in region(text(plain), f"fact-{fact_a.pk}")


def test_cancel_swaps_the_row_back_in_unchanged(bob_web, session_a, fact_a):
    response = hx_get(bob_web, url("fact-row", session_a, fact_a.pk))

    html = text(response)
    assert html.strip().startswith(f'<li id="fact-{fact_a.pk}" class="fact">')
    assert "Modern auth is enabled on the tenant." in html
    assert "<textarea" not in html

    plain = bob_web.get(url("fact-row", session_a, fact_a.pk))
    assert plain.status_code == 302
    assert plain["Location"] == workspace(session_a, f"#fact-{fact_a.pk}")


def test_a_deleted_fact_leaves_its_row_to_an_undo_and_stays_in_the_database(bob_web, session_a, fact_a):
    before = state_version(session_a)

    response = hx_post(bob_web, url("fact-delete", session_a, fact_a.pk))

    html = text(response)
    assert response.status_code == 200
    row = region(html, f"fact-{fact_a.pk}")
    assert html.strip().startswith(f'<li id="fact-{fact_a.pk}" class="fact deleted">')
    assert "Fact deleted: it will no longer reach drafts." in row
    assert 'aria-label="Undo delete of fact: Modern auth is enabled on the tenant."' in row
    assert '<span id="facts-count" class="count" hx-swap-oob="true">0</span>' in html
    assert triggers(response) == {"session-changed": {}}
    fact_a.refresh_from_db()
    assert fact_a.deleted_at is not None  # soft delete
    assert state_version(session_a) == before + 1
    assert hx_post(bob_web, url("fact-delete", session_a, fact_a.pk)).status_code == 404  # gone from the UI


def test_a_fact_deleted_without_javascript_shows_its_undo_in_its_place_on_the_next_page(bob_web, session_a, fact_a):
    response = bob_web.post(url("fact-delete", session_a, fact_a.pk))

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, f"?undo_fact={fact_a.pk}#fact-{fact_a.pk}")
    html = text(bob_web.get(response["Location"]))
    assert "Fact deleted: it will no longer reach drafts." in region(html, f"fact-{fact_a.pk}")
    assert '<span id="facts-count" class="count">0</span>' in html
    assert "Fact deleted" not in text(bob_web.get(workspace(session_a)))  # a reload without it shows none


# Checks


def test_a_check_recorded_with_htmx_comes_back_as_the_checks_region(bob_web, session_a):
    response = hx_post(
        bob_web,
        url("check-add", session_a),
        {"name": "List credentials", "result": "failed", "command": "cmdkey /list", "output_summary": "Stale entry"},
    )

    html = text(response)
    assert html.strip().startswith('<section id="checks"')
    assert '<span class="result result-failed">Failed</span>' in html
    assert "<strong>List credentials</strong>" in html
    assert "<code>cmdkey /list</code>" in html
    assert triggers(response) == {"session-changed": {}}
    assert DiagnosticCheck.objects.filter(session=session_a, result="failed").count() == 1


def test_a_check_without_a_name_opens_the_form_with_the_error(bob_web, session_a):
    response = hx_post(bob_web, url("check-add", session_a), {"name": "", "result": "passed"})

    html = text(response)
    assert '<details class="add-form" open>' in html
    assert "This field is required." in html
    assert not DiagnosticCheck.objects.exists()

    plain = bob_web.post(url("check-add", session_a), {"name": "Ping", "result": "maybe"})
    assert plain.status_code == 400
    assert "Select a valid choice." in region(text(plain), "checks")


def test_a_check_recorded_without_javascript_redirects_to_the_checks(bob_web, session_a):
    response = bob_web.post(url("check-add", session_a), {"name": "Ping gateway", "result": "passed"})

    assert response["Location"] == workspace(session_a, "#checks")
    assert "Ping gateway" in region(text(bob_web.get(response["Location"])), "checks")


# The suggested fix


def test_a_fix_set_with_htmx_comes_back_as_the_fix_region(bob_web, session_a):
    response = hx_post(
        bob_web,
        url("fix-set", session_a),
        {"title": "Reset the Outlook profile", "description": "", "confidence_pct": 65},
    )

    html = text(response)
    assert html.strip().startswith('<section id="fix"')
    assert "<h3>Reset the Outlook profile</h3>" in html
    assert "65% confident" in html
    assert "Record outcome" in html
    assert '<details class="outcome-record">' in html  # folded until the engineer opens it
    assert triggers(response) == {"session-changed": {}}


def test_a_new_fix_replaces_the_current_one(bob_web, session_a, fix_a):
    response = hx_post(bob_web, url("fix-set", session_a), {"title": "Recreate the mail profile", "confidence_pct": 85})

    html = text(response)
    assert "<h3>Recreate the mail profile</h3>" in html
    assert "<h3>Clear cached credentials</h3>" not in html  # the old one is only under "Earlier fixes"
    assert "Earlier fixes (1)" in html
    fix_a.refresh_from_db()
    assert fix_a.superseded_at is not None
    assert SuggestedFix.objects.get(session=session_a, superseded_at__isnull=True).title == "Recreate the mail profile"


def test_a_fix_set_without_javascript_redirects_and_a_bad_one_shows_its_errors(bob_web, session_a):
    response = bob_web.post(url("fix-set", session_a), {"title": "Reset profile", "confidence_pct": 50})
    assert response["Location"] == workspace(session_a, "#fix")

    refused = bob_web.post(url("fix-set", session_a), {"title": "Too sure", "confidence_pct": 150})
    assert refused.status_code == 400
    assert "Ensure this value is less than or equal to 100." in region(text(refused), "fix")
    assert not SuggestedFix.objects.filter(title="Too sure").exists()


def test_an_outcome_recorded_with_htmx_is_shown_on_the_fix(bob_web, session_a, fix_a):
    before = state_version(session_a)

    response = hx_post(
        bob_web, url("fix-outcome", session_a, fix_a.pk), {"outcome": "applied_success", "outcome_notes": ""}
    )

    html = text(response)
    assert html.strip().startswith('<section id="fix"')
    assert '<span class="outcome outcome-applied_success">Applied — fixed it</span>' in html
    assert triggers(response) == {"session-changed": {}}
    fix_a.refresh_from_db()
    assert fix_a.outcome == "applied_success"
    assert state_version(session_a) == before + 1


def test_an_outcome_recorded_without_javascript_redirects_to_the_fix(bob_web, session_a, fix_a):
    response = bob_web.post(url("fix-outcome", session_a, fix_a.pk), {"outcome": "dismissed"})

    assert response["Location"] == workspace(session_a, "#fix")
    assert "Dismissed" in region(text(bob_web.get(response["Location"])), "fix")


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_partial_outcome_without_notes_is_refused_next_to_the_notes(bob_web, session_a, fix_a, htmx):
    before = state_version(session_a)
    data = {"outcome": "applied_partial", "outcome_notes": "  "}

    response = (
        hx_post(bob_web, url("fix-outcome", session_a, fix_a.pk), data)
        if htmx
        else bob_web.post(url("fix-outcome", session_a, fix_a.pk), data)
    )

    assert response.status_code == (200 if htmx else 400)
    notes = region(text(response), "fix")
    assert (
        '<ul class="errorlist" id="outcome_outcome_notes_error"><li>Notes are required when a fix only partly worked.'
        in notes
    )
    assert '<details class="outcome-record" open>' in notes  # folded until used, open when it needs a fix
    fix_a.refresh_from_db()
    assert (fix_a.outcome, fix_a.outcome_notes) == ("proposed", "")
    assert state_version(session_a) == before
    assert "HX-Trigger" not in response


def test_an_outcome_for_a_superseded_fix_is_refused_in_words(bob_web, session_a, fix_a, bob):
    services.fix_set(session=session_a, user=bob, title="Newer fix", confidence_pct=80)

    html = text(hx_post(bob_web, url("fix-outcome", session_a, fix_a.pk), {"outcome": "applied_success"}))

    assert "This fix was superseded by a newer one; record the outcome there." in html
    fix_a.refresh_from_db()
    assert fix_a.outcome == "proposed"


# Scripts


def test_choosing_a_template_with_htmx_answers_its_parameter_form(bob_web, session_a, template_a):
    response = hx_get(bob_web, url("scripts", session_a), {"template": "map-drive"})

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<div id="script-form">')
    assert "<html" not in html
    assert '<label for="param_param-share">Share path</label>' in html
    password = next(line for line in html.splitlines() if 'name="param-password"' in line)
    assert 'type="password"' in password
    assert "value=" not in password
    assert '<input type="hidden" name="template" value="map-drive">' in html


def test_choosing_a_template_without_javascript_opens_it_in_the_workspace(bob_web, session_a, template_a):
    response = bob_web.get(url("scripts", session_a), {"template": "map-drive"})

    assert response["Location"] == workspace(session_a, "?template=map-drive#scripts")
    html = text(bob_web.get(response["Location"]))
    assert 'name="param-password"' in region(html, "script-form")
    assert '<option value="map-drive" selected>' in html


def test_another_accounts_template_is_never_offered(bob_web, session_a, template_b):
    html = text(hx_get(bob_web, url("scripts", session_a), {"template": "map-drive"}))

    assert html.strip().startswith('<div id="script-form">')
    assert "<form" not in html


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_generated_script_is_shown_once_with_the_password_and_stored_redacted(bob_web, session_a, template_a, htmx):
    response = (hx_post if htmx else lambda client, *args: client.post(*args))(
        bob_web, url("scripts", session_a), SCRIPT_VALUES
    )

    html = text(response)
    assert response.status_code == 200
    assert html.count(SCRIPT_PASSWORD) == 1
    assert f"<code>net use S: \\\\fs01\\finance /user:svc {SCRIPT_PASSWORD} # retries=3</code>" in html
    assert "/user:svc [REDACTED] # retries=3" in html  # the kept copy, listed below
    generation = ScriptGeneration.objects.get(session=session_a)
    assert generation.parameters_used["password"] == "[REDACTED]"
    assert SCRIPT_PASSWORD not in generation.redacted_script
    assert "[REDACTED]" in generation.redacted_script
    if htmx:
        assert html.strip().startswith('<section id="scripts"')
        assert triggers(response) == {"session-changed": {}}
    later = text(bob_web.get(workspace(session_a, "?template=map-drive")))
    assert SCRIPT_PASSWORD not in later
    assert "/user:svc [REDACTED]" in later


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_number_parameter_that_is_not_a_number_is_refused_next_to_its_field(bob_web, session_a, template_a, htmx):
    data = {**SCRIPT_VALUES, "param-retries": "three"}

    response = (
        hx_post(bob_web, url("scripts", session_a), data) if htmx else bob_web.post(url("scripts", session_a), data)
    )

    html = text(response)
    assert response.status_code == (200 if htmx else 400)
    retries = html[html.index('<label for="param_param-retries">') :]
    assert retries.index("Must be a number.") < retries.index("</div>")
    assert SCRIPT_PASSWORD not in html  # a password typed is never sent back
    assert 'value="\\\\fs01\\finance"' in html  # other values are kept
    assert not ScriptGeneration.objects.exists()


def test_a_missing_required_parameter_is_refused_next_to_its_field(bob_web, session_a, template_a):
    html = text(hx_post(bob_web, url("scripts", session_a), {**SCRIPT_VALUES, "param-password": ""}))

    password = html[html.index('<label for="param_param-password">') :]
    assert password.index("This field is required.") < password.index("</div>")
    assert not ScriptGeneration.objects.exists()


def test_generating_without_a_template_asks_to_choose_one(bob_web, session_a, template_a):
    response = hx_post(bob_web, url("scripts", session_a), {"template": ""})

    assert "Choose a script template first." in oob_toasts(response)
    assert not ScriptGeneration.objects.exists()


# The ticket's live status


def test_the_ticket_status_shows_the_status_the_psa_reports(bob_web, session_a, psa_connected, simulator):
    simulator.add_ticket(1001, "Test ticket 1001", status_id=3)

    response = hx_get(bob_web, url("ticket-status", session_a))

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<span id="ticket-status"')
    assert "PSA: <strong>Waiting on Customer</strong> on Help Desk" in html


def test_the_ticket_status_without_a_psa_connection_says_it_is_unavailable_and_why(bob_web, session_a):
    html = text(hx_get(bob_web, url("ticket-status", session_a)))

    assert "PSA status unavailable: This account has no PSA connection yet" in html


def test_the_ticket_status_of_a_ticket_the_psa_does_not_know_says_so(bob_web, account_a, bob, psa_connected):
    session = services.session_create(account=account_a, user=bob, title="Typo in the ticket", psa_ticket_id=777777)

    html = text(hx_get(bob_web, url("ticket-status", session)))

    assert "PSA status unavailable: ConnectWise has no ticket 777777" in html


# The session's own details


def test_editing_the_details_with_htmx_links_a_ticket_and_answers_the_whole_workspace(bob_web, session_a):
    before = state_version(session_a)
    details = {
        "title": "Outlook keeps asking for a password",
        "psa_ticket_id": "48230",
        "intake_text": "From the call.",
    }

    response = hx_post(bob_web, url("session-edit", session_a), details)

    html = text(response)
    assert html.strip().startswith('<div id="workspace"')
    assert "<h1>Outlook keeps asking for a password</h1>" in html
    assert "Ticket #48230" in html
    assert "session-changed" in triggers(response)
    session = Session.objects.get(pk=session_a.pk)
    assert (session.title, session.psa_ticket_id, session.intake_text) == (
        "Outlook keeps asking for a password",
        48230,
        "From the call.",
    )
    assert session.state_version == before + 1


def test_unlinking_the_ticket_makes_the_session_resolve_locally(bob_web, session_a):
    bob_web.post(url("session-edit", session_a), {"title": session_a.title, "psa_ticket_id": ""})

    assert Session.objects.get(pk=session_a.pk).psa_ticket_id is None
    assert "No linked ticket: this session resolves locally" in text(bob_web.get(workspace(session_a)))


def test_a_plain_details_post_redirects_and_an_empty_title_is_refused_in_place(bob_web, session_a):
    saved = bob_web.post(url("session-edit", session_a), {"title": "Renamed", "psa_ticket_id": "1001"})
    assert saved.status_code == 302
    assert saved["Location"] == workspace(session_a) + "#workspace"

    refused = bob_web.post(url("session-edit", session_a), {"title": "  ", "psa_ticket_id": "abc"})
    html = text(refused)
    assert refused.status_code == 400
    assert '<details class="session-details" open>' in html
    assert "This field is required." in html
    assert "Enter a whole number." in html
    assert Session.objects.get(pk=session_a.pk).title == "Renamed"


def test_linking_a_ticket_the_psa_does_not_know_is_refused_on_the_ticket_field(bob_web, session_a, psa_connected):
    response = hx_post(bob_web, url("session-edit", session_a), {"title": session_a.title, "psa_ticket_id": "999999"})

    html = text(response)
    assert '<details class="session-details" open>' in html
    assert "999999" in region(html, "session-header")
    assert Session.objects.get(pk=session_a.pk).psa_ticket_id == 1001

    linked = hx_post(bob_web, url("session-edit", session_a), {"title": session_a.title, "psa_ticket_id": "1002"})
    assert "Ticket #1002" in text(linked)
    assert Session.objects.get(pk=session_a.pk).psa_ticket_id == 1002


def test_a_replaced_fix_stays_readable_under_earlier_fixes(bob_web, bob, session_a):
    first = services.fix_set(session=session_a, user=bob, title="Recreate the Outlook profile", confidence_pct=60)
    services.fix_record_outcome(fix=first, outcome="applied_partial", outcome_notes="Prompts came back after a day.")
    services.fix_set(session=session_a, user=bob, title="Clear the cached credentials", confidence_pct=85)

    fix_region = region(text(bob_web.get(workspace(session_a))), "fix")

    assert "Clear the cached credentials" in fix_region
    earlier = fix_region[fix_region.index("Earlier fixes (1)") :]
    assert "Recreate the Outlook profile" in earlier
    assert "Applied — partly fixed" in earlier
    assert "Prompts came back after a day." in earlier


def test_the_list_filters_resolved_and_escalated_sessions_apart(bob_web, bob, account_a):
    resolved = services.session_create(account=account_a, user=bob, title="Resolved printer")
    escalated = services.session_create(account=account_a, user=bob, title="Escalated VPN")
    from drafting.kinds import DraftKind
    from handoff.services import handoff_post

    handoff_post(session=resolved, kind=DraftKind.RESOLUTION_NOTE, markdown="## Problem\n\nx", user=bob)
    handoff_post(session=escalated, kind=DraftKind.ESCALATION_PACKAGE, markdown="## Problem\n\nx", user=bob)

    only_resolved = text(bob_web.get(reverse("home"), {"status": "resolved"}))
    only_escalated = text(bob_web.get(reverse("home"), {"status": "escalated"}))

    assert "Resolved printer" in only_resolved and "Escalated VPN" not in only_resolved
    assert "Escalated VPN" in only_escalated and "Resolved printer" not in only_escalated


def test_linking_a_ticket_another_open_session_works_is_refused_with_a_link_to_it(bob_web, bob, account_a, session_a):
    from sessions import services

    other = services.session_create(account=account_a, user=bob, title="Printer on reception")

    response = hx_post(bob_web, url("session-edit", other), {"title": other.title, "psa_ticket_id": "1001"})

    html = text(response)
    assert '<details class="session-details" open>' in html
    assert "Ticket #1001 is already being worked in the open session" in html
    assert f'<a href="{workspace(session_a)}">Open “{session_a.title}”</a>' in html
    assert Session.objects.get(pk=other.pk).psa_ticket_id is None
