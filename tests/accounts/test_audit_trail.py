"""The audit trail: one row per change (the PSA connection, settings, members, templates, posts), written in
the same transaction as the change (a change refused or rolled back leaves none), never a secret, never
edited or deleted, read by admins only (`GET /api/account/audit/`, newest first)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from accounts import services
from accounts.models import Account, AuditEvent, AuditTrailImmutable, Membership
from drafting.kinds import DraftKind
from flowpilot.errors import InvalidInput
from handoff import services as handoff_services
from handoff.models import Handoff
from psa import services as psa_services
from psa import writeback
from psa.models import PsaConnection
from sessions import services as session_services
from sessions.models import ScriptTemplate, Session
from tests.support.clients import api_client_for, web_client_for
from tests.support.data import PASSWORD

AUDIT = reverse("api-audit")
CONNECTION = reverse("api-psa-connection")
PRIVATE_KEY = "Priv4te-Key-Never-In-The-Audit"
CW_FIELDS = {
    "site_url": "https://psa.example.com",
    "company_id": "acme-company",
    "public_key": "acme-public",
    "client_id": "acme-client",
}
TEXT = "## Problem\n\nOutlook prompted.\n\n## What we confirmed\n\n- x\n\n## Root cause\n\ny\n\n## Resolution\n\nz"


def events(account, action=None):
    rows = AuditEvent.objects.filter(account=account)
    return list(rows.filter(action=action) if action else rows)


@pytest.fixture
def local_session(account_a, bob):
    return session_services.session_create(account=account_a, user=bob, title="Printer offline")


# One row per kind of change, with who did it


def test_saving_the_psa_connection_names_the_fields_and_that_a_secret_changed_never_its_value(
    alice_api, alice, account_a
):
    alice_api.put(CONNECTION, {**CW_FIELDS, "private_key": PRIVATE_KEY}, format="json")
    alice_api.put(CONNECTION, {**CW_FIELDS, "company_id": "acme-2"}, format="json")
    alice_api.put(CONNECTION, {**CW_FIELDS, "company_id": "acme-2", "private_key": PRIVATE_KEY + "2"}, format="json")

    first, second, third = sorted(events(account_a, "psa_connection.saved"), key=lambda event: event.pk)
    assert first.actor == alice and first.actor_username == "alice"
    assert first.details["created"] is True and first.details["secrets_changed"] == ["private_key"]
    assert second.details == {
        "provider": "connectwise",
        "created": False,
        "changed": ["company_id"],
        "secrets_changed": [],
    }
    assert (third.details["changed"], third.details["secrets_changed"]) == ([], ["private_key"])
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert PRIVATE_KEY not in stored and "acme-2" not in stored and "acme-public" not in stored


def test_settings_changes_record_each_value_before_and_after(alice_api, alice, account_a):
    alice_api.patch(reverse("api-account-settings"), {"resolved_status_id": 5}, format="json")
    alice_api.patch(reverse("api-account-settings"), {"resolved_status_id": 5}, format="json")  # no change: no row
    alice_api.patch(reverse("api-account-settings"), {"resolved_status_id": None}, format="json")

    added, unset = sorted(events(account_a, "settings.changed"), key=lambda event: event.pk)
    assert added.actor == alice
    assert added.details == {"cw_resolved_status_id": {"from": None, "to": 5}}
    assert unset.details == {"cw_resolved_status_id": {"from": 5, "to": None}}


def test_the_model_per_action_is_a_settings_change_too(account_a, alice):
    from llm.actions import account_models_update

    with transaction.atomic():
        account_models_update(account=account_a, changes={"resolution_note": "claude-haiku-4-5"}, actor=alice)

    (event,) = events(account_a, "settings.changed")
    assert event.details == {"resolution_note_model": {"from": None, "to": "claude-haiku-4-5"}}


def test_member_changes_are_each_recorded(alice_api, alice, bob, account_a):
    alice_api.post(reverse("api-members"), {"username": "erin", "role": "engineer"}, format="json")
    alice_api.patch(reverse("api-member", args=[bob.pk]), {"role": "admin"}, format="json")
    alice_api.patch(reverse("api-member", args=[bob.pk]), {"is_active": False}, format="json")
    alice_api.patch(reverse("api-member", args=[bob.pk]), {"is_active": True}, format="json")

    recorded = [(event.action, event.target, event.details) for event in reversed(events(account_a))]
    assert recorded[-4:] == [
        ("member.added", "erin", {"role": "engineer", "invited": True}),
        ("member.role_changed", "bob", {"from": "engineer", "to": "admin"}),
        ("member.deactivated", "bob", {}),
        ("member.reactivated", "bob", {}),
    ]
    assert {event.actor for event in events(account_a) if event.action.startswith("member.")} == {alice}


def test_an_accepted_invite_is_recorded_as_the_member_joining(account_a, alice):
    added = services.member_add(account=account_a, actor=alice, username="erin", role="engineer")

    services.invite_accept(token=added.invite_token, password=PASSWORD)

    (joined,) = events(account_a, "member.joined")
    assert joined.actor == added.membership.user
    assert added.invite_token not in json.dumps(list(AuditEvent.objects.values()), default=str)


def test_creating_a_template_over_rest_and_changing_it_in_admin_are_recorded(alice_api, alice, account_a):
    body = {"name": "Flush DNS", "slug": "flush-dns", "language": "cmd", "body": "ipconfig /flushdns"}
    alice_api.post(reverse("api-script-templates"), body, format="json")
    template = ScriptTemplate.objects.get(slug="flush-dns")
    admin = web_client_for(alice)

    response = admin.post(
        reverse("admin:ai_sessions_scripttemplate_change", args=[template.pk]),
        {**body, "name": "Flush the DNS cache", "description": "", "parameters_schema": '{"parameters": []}'},
    )

    assert response.status_code == 302
    created, changed = sorted(
        [*events(account_a, "template.created"), *events(account_a, "template.changed")], key=lambda e: e.pk
    )
    assert (created.target, created.actor) == ("flush-dns", alice)
    assert (changed.target, changed.details, changed.actor) == ("flush-dns", {"changed": ["name"]}, alice)


def test_a_template_added_in_admin_is_recorded(alice, account_a):
    response = web_client_for(alice).post(
        reverse("admin:ai_sessions_scripttemplate_add"),
        {"name": "Flush DNS", "slug": "flush-dns", "language": "cmd", "body": "ipconfig /flushdns"}
        | {"description": "", "parameters_schema": '{"parameters": []}'},
    )

    assert response.status_code == 302
    assert ScriptTemplate.objects.get(slug="flush-dns").account == account_a
    (created,) = events(account_a, "template.created")
    assert created.actor == alice


def test_a_template_deleted_in_admin_is_recorded(alice, account_a, template_a):
    response = web_client_for(alice).post(
        reverse("admin:ai_sessions_scripttemplate_delete", args=[template_a.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not ScriptTemplate.objects.filter(pk=template_a.pk).exists()
    (deleted,) = events(account_a, "template.deleted")
    assert (deleted.target, deleted.details, deleted.actor) == ("map-drive", {"name": "Map drive"}, alice)


def test_templates_deleted_together_in_admin_are_each_recorded(alice, account_a, template_a):
    other = session_services.template_create(account=account_a, name="Flush DNS", slug="flush-dns", body="echo")

    response = web_client_for(alice).post(
        reverse("admin:ai_sessions_scripttemplate_changelist"),
        {"action": "delete_selected", "_selected_action": [template_a.pk, other.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not ScriptTemplate.objects.filter(account=account_a).exists()
    deleted = events(account_a, "template.deleted")
    assert sorted(event.target for event in deleted) == ["flush-dns", "map-drive"]
    assert {event.actor for event in deleted} == {alice}


def test_a_template_change_refused_while_saving_is_an_error_on_the_form_not_a_500(
    alice, account_a, template_a, monkeypatch
):
    """The form checks what it can; a concurrent save may still take the slug between its check and the save."""

    def slug_taken_meanwhile(**kwargs):
        raise InvalidInput("A template with the slug 'flush-dns' already exists.", field="slug")

    monkeypatch.setattr(session_services, "template_update", slug_taken_meanwhile)
    admin = web_client_for(alice)
    url = reverse("admin:ai_sessions_scripttemplate_change", args=[template_a.pk])

    response = admin.post(
        url,
        {"name": "Flush DNS", "slug": "flush-dns", "language": "powershell", "body": template_a.body}
        | {"description": "", "parameters_schema": json.dumps(template_a.parameters_schema)},
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(url, 302)]
    assert "already exists" in response.content.decode()
    assert ScriptTemplate.objects.get(pk=template_a.pk).slug == "map-drive"


def test_every_post_is_recorded_with_who_and_which_ticket(bob_api, bob, session_a, psa_connected, account_a):
    response = bob_api.post(reverse("api-resolution-post", args=[session_a.pk]), {"markdown": TEXT}, format="json")

    (posted,) = events(account_a, "handoff.posted")
    assert posted.actor == bob
    assert posted.target == "Ticket #1001"
    assert posted.details == {
        "kind": "resolution_note",
        "session": str(session_a.pk),
        "ticket_id": 1001,
        "handoff": response.json()["id"],
    }


@pytest.mark.parametrize("where", ["api", "page"])
def test_a_retried_post_is_recorded_with_who_retried_it_and_which_ticket(
    where, alice, bob, session_a, psa_connected, account_a, simulator, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(writeback, "transition_and_verify", broken)
    failed = handoff_services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)
    assert failed.state == "failed"
    monkeypatch.undo()

    if where == "api":
        response = api_client_for(alice).post(reverse("api-handoff-retry", args=[failed.pk]), format="json")
        assert response.status_code == 202
    else:
        web_client_for(alice).post(reverse("handoff-retry", args=[failed.pk]))

    assert Handoff.objects.get(pk=failed.pk).state == "succeeded"
    (retried,) = events(account_a, "handoff.retried")
    assert (retried.actor_username, retried.target, retried.action_label) == ("alice", "Ticket #1001", "Post retried")
    assert retried.details == {
        "kind": "resolution_note",
        "session": str(session_a.pk),
        "ticket_id": 1001,
        "handoff": str(failed.pk),
        "confirm_closed_ticket": False,
    }


def test_a_post_is_labelled_as_requested_since_it_is_recorded_before_the_psa_answers(bob_api, local_session):
    bob_api.post(reverse("api-escalation-post", args=[local_session.pk]), {"markdown": TEXT}, format="json")

    assert AuditEvent.objects.get(action="handoff.posted").action_label == "Post requested"


def test_a_local_close_is_recorded_as_a_post_without_a_ticket(bob_api, local_session, account_a):
    bob_api.post(reverse("api-escalation-post", args=[local_session.pk]), {"markdown": TEXT}, format="json")

    (posted,) = events(account_a, "handoff.posted")
    assert posted.details["ticket_id"] is None and posted.details["kind"] == "escalation_package"


# A failed change leaves no row


def test_refused_changes_leave_no_audit_row(alice_api, bob_api, alice, bob, session_a, account_a, template_a):
    before = len(events(account_a))

    assert alice_api.put(CONNECTION, {**CW_FIELDS, "site_url": "ftp://x"}, format="json").status_code == 400
    assert alice_api.put(CONNECTION, CW_FIELDS, format="json").status_code == 400  # no private key stored yet
    assert (
        alice_api.patch(reverse("api-account-settings"), {"resolved_status_id": -1}, format="json").status_code == 400
    )
    body = {"name": "Map", "slug": "map-drive", "body": "x"}  # the slug is taken
    assert alice_api.post(reverse("api-script-templates"), body, format="json").status_code == 400
    body = {"username": "erin", "role": "engineer", "password": "short"}
    assert alice_api.post(reverse("api-members"), body, format="json").status_code == 400
    assert (
        alice_api.patch(reverse("api-member", args=[alice.pk]), {"role": "engineer"}, format="json").status_code == 409
    )
    Session.objects.filter(pk=session_a.pk).update(status=Session.Status.RESOLVED)
    response = bob_api.post(reverse("api-resolution-post", args=[session_a.pk]), {"markdown": TEXT}, format="json")
    assert response.status_code == 409

    assert len(events(account_a)) == before


def test_a_change_whose_audit_row_cannot_be_written_is_rolled_back(
    account_a, alice, bob, template_a, local_session, monkeypatch
):
    """The row and the change share one transaction: no change goes unrecorded."""

    def fail(**kwargs):
        raise RuntimeError("the database refused the audit row")

    monkeypatch.setattr(AuditEvent.objects, "create", fail)

    with pytest.raises(RuntimeError):
        services.member_update(membership=bob.membership, actor=alice, role="admin")
    with pytest.raises(RuntimeError):
        services.member_add(account=account_a, actor=alice, username="erin", role="engineer", password=PASSWORD)
    with pytest.raises(RuntimeError):
        services.account_settings_update(account=account_a, changes={"resolved_status_id": 5}, actor=alice)
    with pytest.raises(RuntimeError):
        session_services.template_create(account=account_a, actor=alice, name="T", slug="t", body="echo")
    with pytest.raises(RuntimeError):
        session_services.template_delete(template=template_a, actor=alice)
    with pytest.raises(RuntimeError):
        psa_services.psa_connection_save(account=account_a, actor=alice, **CW_FIELDS, private_key=PRIVATE_KEY)
    with pytest.raises(RuntimeError):
        handoff_services.handoff_post(session=local_session, kind=DraftKind.ESCALATION_PACKAGE, markdown=TEXT, user=bob)

    assert Membership.objects.get(user=bob).role == "engineer"
    assert not Membership.objects.filter(user__username="erin").exists()
    assert account_a.settings.preferences == {}
    assert not ScriptTemplate.objects.filter(slug="t").exists()
    assert ScriptTemplate.objects.filter(pk=template_a.pk).exists()
    assert not PsaConnection.objects.filter(account=account_a).exists()
    assert not Handoff.objects.filter(session=local_session).exists()
    assert Session.objects.get(pk=local_session.pk).status == Session.Status.OPEN


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused():
    """Outside a transaction the row would commit on its own, whatever became of the change."""
    account = Account.objects.create(name="Solo MSP")

    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.audit_record(account=account, actor=None, action="settings.changed")

    assert not AuditEvent.objects.exists()


# Append-only, and who may read it


def test_an_audit_row_can_be_neither_changed_nor_deleted(account_a, alice):
    with transaction.atomic():
        event = services.audit_record(account=account_a, actor=alice, action="settings.changed", target="x")

    event.target = "rewritten"
    with pytest.raises(AuditTrailImmutable):
        event.save()
    with pytest.raises(AuditTrailImmutable):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).target == "x"


def test_the_trail_refuses_bulk_changes_and_deletes_too(account_a, alice):
    """A queryset's update() and delete() write SQL without the instance's save() or delete()."""
    with transaction.atomic():
        event = services.audit_record(account=account_a, actor=alice, action="settings.changed", target="x")
    rows = AuditEvent.objects.filter(account=account_a)

    with pytest.raises(AuditTrailImmutable):
        rows.update(target="rewritten")
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.update(target="rewritten")
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.bulk_update([event], ["target"])
    with pytest.raises(AuditTrailImmutable):
        rows.delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.all().delete()

    assert list(AuditEvent.objects.values_list("pk", "target")) == [(event.pk, "x")]


def test_an_account_with_a_trail_cannot_be_deleted_so_its_trail_stays(account_a, alice):
    with transaction.atomic():
        services.audit_record(account=account_a, actor=alice, action="settings.changed", target="x")

    with pytest.raises(ProtectedError):
        account_a.delete()

    assert Account.objects.filter(pk=account_a.pk).exists()
    assert len(events(account_a)) == 1


def test_a_deleted_users_rows_stay_under_their_name(account_a, alice, bob):
    with transaction.atomic():
        services.audit_record(account=account_a, actor=bob, action="template.created", target="t")

    bob.delete()

    (event,) = events(account_a, "template.created")
    assert (event.actor, event.actor_username) == (None, "bob")


def test_every_action_the_code_records_has_a_label():
    """A new kind of change shows in words on the Audit page, not as its code."""
    recorded = set()
    for path in Path(settings.BASE_DIR).glob("*/*.py"):
        if path.parts[-2] in {"tests", ".venv"}:
            continue
        text = path.read_text()
        recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
        recorded |= set(re.findall(r'_audit\(\w+, "([a-z_]+\.[a-z_]+)"\)', text))

    assert {"member.mfa_enabled", "member.mfa_disabled", "template.deleted", "handoff.retried"} <= recorded
    assert sorted(recorded - set(AuditEvent.ACTIONS)) == []


def test_the_audit_page_names_second_factor_changes_in_words(alice, account_a):
    with transaction.atomic():
        services.audit_record(account=account_a, actor=alice, action="member.mfa_enabled", target="alice")
        services.audit_record(account=account_a, actor=alice, action="member.mfa_disabled", target="alice")

    page = web_client_for(alice).get(reverse("audit")).content.decode()

    assert "Two-factor sign-in turned on" in page and "Two-factor sign-in turned off" in page
    assert "member.mfa_enabled" not in page


def test_django_admin_shows_the_trail_read_only(alice, account_a):
    with transaction.atomic():
        event = services.audit_record(account=account_a, actor=alice, action="settings.changed", target="x")
    admin = web_client_for(alice)

    assert admin.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    assert admin.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    admin.post(reverse("admin:accounts_auditevent_change", args=[event.pk]), {"target": "rewritten"})
    assert admin.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).target == "x"


def test_admins_read_their_accounts_trail_newest_first_and_paginated(alice_api, alice, account_a, account_b, charlie):
    with transaction.atomic():
        for number in range(3):
            services.audit_record(account=account_a, actor=alice, action="settings.changed", target=f"change {number}")
        services.audit_record(account=account_b, actor=charlie, action="settings.changed", target="Globex change")

    body = alice_api.get(AUDIT, {"page_size": 2}).json()

    assert body["count"] == 3
    assert [event["target"] for event in body["results"]] == ["change 2", "change 1"]
    assert set(body["results"][0]) == {"id", "created_at", "actor", "action", "target", "details"}
    assert body["results"][0]["actor"] == "alice"
    assert alice_api.get(AUDIT, {"page": 2, "page_size": 2}).json()["results"][0]["target"] == "change 0"


def test_engineers_may_not_read_the_trail(bob_api):
    response = bob_api.get(AUDIT)

    assert response.status_code == 403
    assert response.json()["detail"] == "Only an account admin may do this."
