"""The rules beneath Confirm & post: exactly one note per handoff, resuming where a run stopped."""

import uuid

import psycopg
import pytest
from django.db import connection

from handoff import services
from handoff.kinds import DraftKind
from handoff.models import Handoff
from handoff.tasks import MAX_BACKOFF_SECONDS, retry_countdown
from psa.providers.base import NoteKind
from psa.writeback import find_posted_note
from tests.conftest import require_postgresql, wait_for

TEXT = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


@pytest.fixture
def queued_handoff(session_a, bob, psa_connected, monkeypatch):
    """A resolution handoff queued for ticket 1001 whose task never ran: the test runs (or loses) it."""
    monkeypatch.setattr(services, "_enqueue", lambda handoff: None)
    return services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)


class WorkerDied(BaseException):
    """Stands in for SIGKILL: nothing after it runs, not even `except Exception` handlers."""


def test_a_run_that_died_after_the_note_resumes_without_posting_again(queued_handoff, simulator, monkeypatch):
    def die(*args, **kwargs):
        raise WorkerDied

    handoff = queued_handoff
    monkeypatch.setattr(services, "transition_and_verify", die)
    with pytest.raises(WorkerDied):
        services.handoff_run(handoff_id=handoff.pk)
    assert Handoff.objects.get(pk=handoff.pk).note_id == simulator.notes_for(1001)[0]["id"]

    monkeypatch.undo()
    finished = services.handoff_run(handoff_id=handoff.pk)

    assert finished.state == "succeeded"
    assert finished.attempts == 2
    assert len(simulator.notes_for(1001)) == 1


def test_a_note_whose_answer_was_lost_is_found_on_the_ticket_not_posted_again(queued_handoff, simulator):
    handoff = queued_handoff
    Handoff.objects.filter(pk=handoff.pk).update(attempts=1)  # an earlier attempt died before recording its note
    simulator.set_faults(drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]})
    with pytest.raises(Exception, match="dropped"):
        services.handoff_run(handoff_id=handoff.pk)

    finished = services.handoff_run(handoff_id=handoff.pk)

    assert finished.state == "succeeded"
    assert finished.note_id == simulator.notes_for(1001)[0]["id"]
    assert len(simulator.notes_for(1001)) == 1


def test_finding_a_posted_note_matches_text_and_kind(psa_connected, simulator):
    from psa.services import provider_for

    provider = provider_for(psa_connected)
    provider.post_note(1001, text="Other text", kind=NoteKind.RESOLUTION)
    internal = provider.post_note(1001, text=TEXT, kind=NoteKind.INTERNAL)

    assert find_posted_note(provider, 1001, text=TEXT, kind=NoteKind.RESOLUTION) is None
    assert find_posted_note(provider, 1001, text=TEXT + "\n", kind=NoteKind.INTERNAL).id == internal.id


def test_a_failed_handoff_with_a_note_on_the_ticket_must_be_retried_not_posted_again(
    session_a, bob, psa_connected, simulator
):
    simulator.set_faults(silent_status_rejection=True)
    services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    with pytest.raises(services.DomainError) as refused:
        services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT + " edited", user=bob)

    assert refused.value.code == "handoff_needs_retry"
    assert len(simulator.notes_for(1001)) == 1


def test_the_handoff_records_the_draft_it_came_from(session_a, bob, psa_connected, model_off):
    from handoff.drafting import draft_generate

    draft = draft_generate(session_id=session_a.pk, kind=DraftKind.RESOLUTION_NOTE)

    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    assert handoff.draft == draft
    assert (handoff.drafted_markdown, handoff.drafted_state_version) == (draft.markdown, draft.state_version)
    assert handoff.markdown == TEXT
    assert handoff.created_by == bob


@pytest.mark.parametrize(
    ("retries", "retry_after", "expected"),
    [(0, None, 0.01), (3, None, 0.08), (0, 7.0, 7.0), (2, 0.0, 0.04), (30, None, MAX_BACKOFF_SECONDS)],
)
def test_retries_back_off_and_honour_retry_after(retries, retry_after, expected):
    assert retry_countdown(retries, retry_after) == pytest.approx(expected)


def test_a_huge_retry_after_is_capped():
    assert retry_countdown(0, 86_400) == MAX_BACKOFF_SECONDS * 5


def test_a_rejection_fails_the_handoff_with_the_psas_own_message(session_a, bob, psa_connected, monkeypatch):
    from psa.providers.base import PsaValidationError
    from psa.providers.connectwise import ConnectWiseProvider

    def rejected(*args, **kwargs):
        raise PsaValidationError("ServiceNote object is invalid: text may not be longer than 4000 characters")

    monkeypatch.setattr(ConnectWiseProvider, "post_note", rejected)

    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    assert (handoff.state, handoff.error_code) == ("failed", "psa_rejected")
    assert "may not be longer than 4000 characters" in handoff.error_message
    assert handoff.markdown == TEXT


def test_a_duplicate_delivery_while_another_run_holds_the_handoff_posts_nothing(queued_handoff, simulator):
    require_postgresql("The advisory lock between runs")
    handoff = queued_handoff
    other = psycopg.connect(
        host=connection.settings_dict["HOST"] or "127.0.0.1",
        port=connection.settings_dict["PORT"] or 5432,
        user=connection.settings_dict["USER"],
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [uuid.UUID(str(handoff.pk)).int >> 65])

        assert services.handoff_run(handoff_id=handoff.pk) is None
        assert simulator.notes_for(1001) == []
    finally:
        other.close()  # like a worker dying: the lock goes with its connection (once the server notices)

    finished = wait_for(lambda: services.handoff_run(handoff_id=handoff.pk), timeout=10, what="the lock to go")
    assert finished.state == "succeeded"
    assert len(simulator.notes_for(1001)) == 1


def test_an_unexpected_error_fails_the_handoff_instead_of_leaving_it_posting(
    session_a, bob, psa_connected, simulator, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "transition_and_verify", broken)

    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    assert (handoff.state, handoff.error_code) == ("failed", "internal_error")
    assert "The text is kept" in handoff.error_message
    assert "a bug" in caplog.text  # for the admins, not the engineer
    monkeypatch.undo()
    assert services.handoff_retry(handoff=handoff).state == "succeeded"
    assert len(simulator.notes_for(1001)) == 1


def test_a_handoff_whose_task_was_lost_can_be_retried_once_stale(queued_handoff, simulator, monkeypatch):
    handoff = queued_handoff
    monkeypatch.undo()

    with pytest.raises(services.DomainError) as too_soon:
        services.handoff_retry(handoff=handoff)
    Handoff.objects.filter(pk=handoff.pk).update(updated_at=handoff.updated_at - Handoff.STALE_AFTER)
    retried = services.handoff_retry(handoff=handoff)

    assert too_soon.value.code == "handoff_not_failed"
    assert retried.state == "succeeded"
    assert len(simulator.notes_for(1001)) == 1
