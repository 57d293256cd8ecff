"""A database migrated on the layout before the drafting app existed migrates forward with every session,
draft, edit and handoff intact: Draft and DraftEdit changed app, not table."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from drafting.models import Draft, DraftEdit
from handoff.models import Handoff
from sessions.models import Session

BEFORE = [("handoff", "0003_draft_edit"), ("drafting", None), ("llm", None)]


def migrate(targets):
    """Migrate to `targets`; the models as they were there (those apps' states, without the unapplied ones)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1] is not None]).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_drafts_edits_and_handoffs_survive_the_move_to_the_drafting_app(account_a, bob):
    old = migrate(BEFORE)
    try:
        assert "draft" in old.all_models["handoff"] and "draft" not in old.all_models["drafting"]
        OldSession = old.get_model("ai_sessions", "Session")
        OldDraft = old.get_model("handoff", "Draft")
        OldDraftEdit = old.get_model("handoff", "DraftEdit")
        OldHandoff = old.get_model("handoff", "Handoff")
        session = OldSession.objects.create(account_id=account_a.pk, created_by_id=bob.pk, title="Before the move")
        draft = OldDraft.objects.create(
            session=session,
            kind="resolution_note",
            state_version=3,
            markdown="## Problem\n\nOld.",
            drafted_by="offline",
        )
        OldDraftEdit.objects.create(
            session=session, kind="resolution_note", markdown="## Problem\n\nEdited.", based_on_state_version=3
        )
        OldHandoff.objects.create(
            session=session, kind="resolution_note", markdown="## Problem\n\nPosted.", draft=draft, ticket_id=48213
        )
    finally:
        migrate(latest())

    moved = Session.objects.get(title="Before the move")
    assert Draft.objects.get(session=moved).markdown == "## Problem\n\nOld."
    assert DraftEdit.objects.get(session=moved).markdown == "## Problem\n\nEdited."
    handoff = Handoff.objects.get(session=moved)
    assert (handoff.markdown, handoff.ticket_id) == ("## Problem\n\nPosted.", 48213)
    assert handoff.draft == Draft.objects.get(session=moved)
    assert Draft._meta.db_table == "handoff_draft" and DraftEdit._meta.db_table == "handoff_draftedit"


@pytest.mark.django_db(transaction=True)
def test_the_move_has_a_way_back(account_a):
    """Migrating back to before the move is possible (a rollback of a deploy) and forward again."""
    migrate(BEFORE)
    migrate(latest())
    assert Draft.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_open_sessions_that_shared_a_ticket_keep_their_work_and_the_oldest_keeps_the_ticket(account_a, bob):
    """One open session per ticket (sessions 0002): a database from before the rule may hold several; the
    oldest keeps the ticket, each later one is unlinked and its intake says where the ticket went."""
    old = migrate([("ai_sessions", "0001_initial")])
    try:
        OldSession = old.get_model("ai_sessions", "Session")
        first = OldSession.objects.create(account_id=account_a.pk, title="First", psa_ticket_id=48213)
        later = OldSession.objects.create(
            account_id=account_a.pk, title="Later", psa_ticket_id=48213, intake_content={"text": "Called at 9."}
        )
        closed = OldSession.objects.create(
            account_id=account_a.pk, title="Done", psa_ticket_id=48213, status="resolved", closed_as="resolved"
        )
    finally:
        migrate(latest())

    assert Session.objects.get(pk=first.pk).psa_ticket_id == 48213
    assert Session.objects.get(pk=closed.pk).psa_ticket_id == 48213  # closed sessions hold no ticket
    unlinked = Session.objects.get(pk=later.pk)
    assert unlinked.psa_ticket_id is None
    assert unlinked.intake_text.startswith("Called at 9.\n\n[FlowPilot] This session was linked to ticket #48213")
    assert str(first.pk) in unlinked.intake_text
