"""The rules facts and checks share: an edit marks the row edited, a delete is soft and can be undone, each
of those moves state_version once (and a repeat nothing), a closed session refuses them, and what is
deleted never reaches a draft."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from drafting.bundle import build_bundle, load_session_for_drafting
from flowpilot.errors import DomainError
from sessions import services
from sessions.models import DiagnosticCheck, Fact, Session


@pytest.fixture
def check_a(session_a):
    return services.check_record(session=session_a, name="Ping the mail host", result="passed")


def version(session) -> int:
    return Session.objects.get(pk=session.pk).state_version


def close(session) -> None:
    Session.objects.filter(pk=session.pk).update(status="resolved", closed_as="resolved_local")


class TestStateVersion:
    def test_it_rises_when_a_check_is_edited(self, check_a):
        before = version(check_a.session)
        services.check_update(check=check_a, changes={"result": "failed"})
        assert version(check_a.session) == before + 1

    def test_it_rises_once_when_a_check_is_deleted_twice(self, check_a):
        before = version(check_a.session)
        services.check_delete(check=check_a)
        services.check_delete(check=DiagnosticCheck.objects.get(pk=check_a.pk))
        assert version(check_a.session) == before + 1

    def test_it_rises_when_a_deleted_fact_or_check_is_restored_and_not_for_a_live_one(self, fact_a, check_a):
        services.fact_delete(fact=fact_a)
        services.check_delete(check=check_a)
        before = version(fact_a.session)

        services.fact_restore(fact=fact_a)
        services.check_restore(check=check_a)
        services.fact_restore(fact=fact_a)  # already back: nothing to undo

        assert version(fact_a.session) == before + 2
        assert Fact.objects.live().filter(pk=fact_a.pk).exists()
        assert DiagnosticCheck.objects.live().filter(pk=check_a.pk).exists()


class TestEdited:
    def test_an_edit_marks_the_row_edited_and_a_delete_and_undo_do_not(self, fact_a, check_a):
        services.fact_delete(fact=fact_a)
        services.fact_restore(fact=fact_a)
        fact_a.refresh_from_db()
        assert fact_a.edited_at is None

        services.fact_update(fact=fact_a, changes={"text": "Modern auth is on; legacy auth is blocked."})
        services.check_update(check=check_a, changes={"output_summary": "0% loss"})

        fact_a.refresh_from_db()
        check_a.refresh_from_db()
        assert fact_a.edited_at is not None and fact_a.edited_at > fact_a.created_at
        assert check_a.edited_at is not None and check_a.edited_at > check_a.created_at

    def test_an_edit_that_changes_nothing_does_not_mark_it(self, check_a):
        services.check_update(check=check_a, changes={"name": check_a.name})
        check_a.refresh_from_db()
        assert check_a.edited_at is None

    def test_an_edit_of_a_row_deleted_meanwhile_is_refused_and_changes_nothing(self, fact_a, check_a):
        services.fact_delete(fact=Fact.objects.get(pk=fact_a.pk))  # another tab deletes it
        services.check_delete(check=DiagnosticCheck.objects.get(pk=check_a.pk))
        before = version(fact_a.session)

        with pytest.raises(DomainError, match="This fact was deleted meanwhile"):
            services.fact_update(fact=fact_a, changes={"text": "Too late"})
        with pytest.raises(DomainError, match="This check was deleted meanwhile"):
            services.check_update(check=check_a, changes={"name": "Too late"})

        assert Fact.objects.get(pk=fact_a.pk).text == "Modern auth is enabled on the tenant."
        assert version(fact_a.session) == before

    def test_unknown_check_fields_are_refused_by_name(self, check_a):
        with pytest.raises(DomainError, match="Unknown check fields: session"):
            services.check_update(check=check_a, changes={"session": None})


class TestClosedSession:
    @pytest.mark.parametrize(
        ("write", "check_deleted"),
        [
            (lambda fact, check: services.check_update(check=check, changes={"name": "Changed"}), False),
            (lambda fact, check: services.check_delete(check=check), False),
            (lambda fact, check: services.check_restore(check=check), True),
            (lambda fact, check: services.fact_restore(fact=fact), False),
        ],
        ids=["check edit", "check delete", "check restore", "fact restore"],
    )
    def test_it_refuses_every_write(self, fact_a, check_a, write, check_deleted):
        services.fact_delete(fact=fact_a)
        if check_deleted:
            services.check_delete(check=check_a)
        close(fact_a.session)
        before = version(fact_a.session)

        with pytest.raises(DomainError) as refused:
            write(fact_a, check_a)

        assert refused.value.code == "session_closed"
        assert version(fact_a.session) == before
        assert Fact.objects.get(pk=fact_a.pk).deleted_at is not None
        assert DiagnosticCheck.objects.get(pk=check_a.pk).name == "Ping the mail host"


class TestDrafts:
    def test_a_deleted_check_never_reaches_a_draft_and_an_undone_one_does_again(self, session_a, check_a):
        kept = services.check_record(session=session_a, name="DNS lookup of autodiscover", result="passed")
        services.check_delete(check=check_a)

        names = [check["name"] for check in build_bundle(load_session_for_drafting(session_a.pk))["checks"]]
        assert names == [kept.name]

        services.check_restore(check=check_a)
        names = [check["name"] for check in build_bundle(load_session_for_drafting(session_a.pk))["checks"]]
        assert names == [check_a.name, kept.name]

    def test_a_restored_fact_reaches_the_draft_again(self, session_a, fact_a):
        services.fact_delete(fact=fact_a)
        assert build_bundle(load_session_for_drafting(session_a.pk))["facts"] == []

        services.fact_restore(fact=fact_a)

        facts = build_bundle(load_session_for_drafting(session_a.pk))["facts"]
        assert [fact["text"] for fact in facts] == [fact_a.text]


def test_the_migration_marks_facts_edited_before_it_as_edited_then(session_a, bob, check_a):
    """Rows made before `edited_at` existed: a live fact changed after it was added was edited then."""
    migration = importlib.import_module("sessions.migrations.0003_check_edit_delete_and_row_times")
    edited = services.fact_add(session=session_a, user=bob, text="Edited later")
    untouched = services.fact_add(session=session_a, user=bob, text="Never edited")
    deleted = services.fact_add(session=session_a, user=bob, text="Deleted later")
    Fact.objects.filter(pk__in=[edited.pk, deleted.pk]).update(updated_at=edited.created_at + timedelta(hours=1))
    Fact.objects.filter(pk=deleted.pk).update(deleted_at=edited.created_at + timedelta(hours=1))

    migration.backfill_times(apps, None)

    assert Fact.objects.get(pk=edited.pk).edited_at == edited.created_at + timedelta(hours=1)
    assert Fact.objects.get(pk=untouched.pk).edited_at is None
    assert Fact.objects.get(pk=deleted.pk).edited_at is None
    check = DiagnosticCheck.objects.get(pk=check_a.pk)
    assert check.updated_at == check.created_at
