"""Django admin keeps an account admin inside their own account: other accounts' rows are never
listed and their ids are 404. Engineers have no admin; superusers see everything."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import AccountSettings
from sessions.models import ScriptTemplate, Session
from tests.support.clients import web_client_for
from tests.support.data import PARAMETER_SCHEMA


def hidden_inputs(html: str) -> dict:
    """The inline formsets' management fields and ids, as the browser would send them back."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def test_an_account_admin_sees_her_accounts_models(alice_web):
    html = alice_web.get(reverse("admin:index")).content.decode()
    for label in ("Troubleshooting sessions", "Script templates", "Account settings"):
        assert label in html


def test_changelists_show_only_her_accounts_rows(alice_web, session_a, session_b, template_a, template_b):
    sessions = alice_web.get(reverse("admin:ai_sessions_session_changelist")).content.decode()
    assert session_a.title in sessions
    assert session_b.title not in sessions
    templates = alice_web.get(reverse("admin:ai_sessions_scripttemplate_changelist"))
    assert list(templates.context["cl"].queryset) == [template_a]
    settings = alice_web.get(reverse("admin:accounts_accountsettings_changelist"))
    assert [s.account.name for s in settings.context["cl"].queryset] == ["Acme MSP"]


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_another_accounts_objects_are_404(alice_web, session_b, template_b, account_b, view):
    for model, pk in (
        ("ai_sessions_session", session_b.pk),
        ("ai_sessions_scripttemplate", template_b.pk),
        ("accounts_accountsettings", account_b.settings.pk),
    ):
        assert alice_web.get(reverse(f"admin:{model}_{view}", args=[pk])).status_code == 404, model
    assert (
        alice_web.post(reverse("admin:ai_sessions_session_delete", args=[session_b.pk]), {"post": "yes"}).status_code
        == 404
    )
    assert Session.objects.filter(pk=session_b.pk).exists()


def test_engineers_have_no_admin(bob):
    response = web_client_for(bob).get(reverse("admin:ai_sessions_session_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def template_form(**overrides):
    form = {
        "name": "Flush DNS",
        "slug": "flush-dns",
        "language": "cmd",
        "description": "",
        "body": "ipconfig /flushdns",
        "parameters_schema": json.dumps({"parameters": []}),
    }
    return {**form, **overrides}


def test_she_adds_a_template_to_her_account(alice_web, account_a):
    response = alice_web.post(reverse("admin:ai_sessions_scripttemplate_add"), template_form())
    assert response.status_code == 302
    assert ScriptTemplate.objects.get(slug="flush-dns").account == account_a


def test_a_slug_clashes_only_within_her_account(alice_web, template_a, template_b):
    url = reverse("admin:ai_sessions_scripttemplate_add")
    response = alice_web.post(url, template_form(slug="map-drive"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"] == ["Your account already has a template with this slug."]
    template_a.delete()
    assert alice_web.post(url, template_form(slug="map-drive")).status_code == 302  # Globex's slug is no clash
    assert ScriptTemplate.objects.filter(slug="map-drive").count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {"parameters_schema": json.dumps({"parameters": [{"key": "x", "field_type": "colour"}]})},
            "parameters_schema",
        ),
        ({"body": "nslookup {{ host }}"}, "body"),
        ({"parameters_schema": "{not json"}, "parameters_schema"),
    ],
)
def test_a_bad_template_shows_form_errors(alice_web, overrides, field):
    response = alice_web.post(reverse("admin:ai_sessions_scripttemplate_add"), template_form(**overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ScriptTemplate.objects.exists()


def test_she_sets_the_connectwise_status_ids(alice_web, account_a):
    url = reverse("admin:accounts_accountsettings_change", args=[account_a.settings.pk])
    response = alice_web.post(
        url, {"cw_resolved_status_id": "42", "cw_escalated_status_id": "", "background_drafts": "on"}
    )
    assert response.status_code == 302
    assert AccountSettings.objects.get(account=account_a).preferences == {"cw_resolved_status_id": 42}
    for bad in ("0", "abc", "-5"):
        response = alice_web.post(
            url, {"cw_resolved_status_id": bad, "cw_escalated_status_id": "", "background_drafts": "on"}
        )
        assert response.status_code == 200
        assert "cw_resolved_status_id" in response.context["adminform"].form.errors
    assert AccountSettings.objects.get(account=account_a).preferences == {"cw_resolved_status_id": 42}


def test_editing_a_session_in_admin_goes_through_the_service(alice_web, session_a, fact_a):
    url = reverse("admin:ai_sessions_session_change", args=[session_a.pk])
    before = Session.objects.get(pk=session_a.pk).state_version
    form = hidden_inputs(alice_web.get(url).content.decode())
    form.update(
        title="Outlook password loop (renamed)",
        problem_summary=session_a.problem_summary,
        problem_domain=session_a.problem_domain,
        psa_ticket_id=str(session_a.psa_ticket_id),
    )
    response = alice_web.post(url, form)
    assert response.status_code == 302
    session = Session.objects.get(pk=session_a.pk)
    assert session.title == "Outlook password loop (renamed)"
    assert session.state_version == before + 1


def test_a_superuser_sees_every_account(session_a, session_b, db):
    root = get_user_model().objects.create_superuser("root", password="root-password-123")
    html = web_client_for(root).get(reverse("admin:ai_sessions_session_changelist")).content.decode()
    assert session_a.title in html
    assert session_b.title in html


def test_she_adds_a_template_with_parameters(alice_web, account_a):
    form = template_form(
        slug="map",
        body="net use {{ letter }}: {{ share }} {{ password }} {{ retries }}",
        parameters_schema=json.dumps(PARAMETER_SCHEMA),
    )
    assert alice_web.post(reverse("admin:ai_sessions_scripttemplate_add"), form).status_code == 302


def test_drafts_and_handoffs_are_read_only_and_scoped_in_admin(client, alice, charlie, session_a, psa_connected):
    from django.urls import reverse

    from drafting.kinds import DraftKind
    from handoff.models import Handoff
    from handoff.services import handoff_post

    handoff = handoff_post(session=session_a, kind=DraftKind.ESCALATION_PACKAGE, markdown="## Problem\n\nx", user=alice)
    change_url = reverse("admin:handoff_handoff_change", args=[handoff.pk])

    client.force_login(alice)
    assert client.get(reverse("admin:handoff_handoff_changelist")).status_code == 200
    page = client.get(change_url)
    assert page.status_code == 200
    assert b'name="markdown"' not in page.content  # shown, not editable
    assert client.post(change_url, {"markdown": "changed"}).status_code == 403
    assert Handoff.objects.get(pk=handoff.pk).markdown == "## Problem\n\nx"

    client.force_login(charlie)
    assert client.get(change_url).status_code == 404
    assert str(handoff.pk) not in client.get(reverse("admin:handoff_handoff_changelist")).content.decode()
