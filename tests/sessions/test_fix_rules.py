"""Rules the database itself keeps, so no code path can break them."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import OperationalError

from sessions import services
from sessions.models import SuggestedFix
from tests.support.ci import require_postgresql


def test_the_database_refuses_a_second_active_fix(fix_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        SuggestedFix.objects.create(session=fix_a.session, title="Rogue", confidence_pct=10)


def test_the_database_refuses_a_confidence_over_100(session_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        SuggestedFix.objects.create(session=session_a, title="Too sure", confidence_pct=101)


def test_the_database_refuses_a_partial_outcome_without_notes(fix_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        SuggestedFix.objects.filter(pk=fix_a.pk).update(outcome="applied_partial", outcome_notes="")


def test_superseded_fixes_stay_for_the_record(fix_a, bob):
    newer = services.fix_set(session=fix_a.session, user=bob, title="Newer", confidence_pct=65)
    assert list(fix_a.session.fixes.values_list("title", flat=True)) == ["Newer", fix_a.title]
    assert SuggestedFix.objects.get(pk=fix_a.pk).superseded_at is not None
    assert newer.is_active


@pytest.mark.django_db(transaction=True)
def test_concurrent_fixes_leave_exactly_one_active(account_a, bob):
    require_postgresql("Racing writers on row locks")
    session = services.session_create(account=account_a, user=bob, title="Race")
    errors = []

    def set_fix(n):
        try:
            services.fix_set(session=session, user=bob, title=f"Fix {n}", confidence_pct=n)
        except (IntegrityError, OperationalError) as exc:  # pragma: no cover - the failure we guard against
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=set_fix, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SuggestedFix.objects.filter(session=session).count() == 10
    assert SuggestedFix.objects.filter(session=session, superseded_at__isnull=True).count() == 1
    session.refresh_from_db()
    assert session.state_version == 11
