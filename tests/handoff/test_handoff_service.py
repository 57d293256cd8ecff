"""The rules beneath Confirm & post: exactly one note per handoff, resuming where a run stopped."""

import uuid

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from drafting.kinds import DraftKind
from flowpilot.errors import DomainError
from handoff import run, services
from handoff.models import Handoff
from handoff.tasks import MAX_BACKOFF_SECONDS, retry_countdown
from psa import writeback
from psa.providers.base import NoteKind, PsaTransientError
from psa.writeback import find_posted_note
from tests.support.ci import require_postgresql
from tests.support.clients import wait_for

TEXT = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


@pytest.fixture
def queued_handoff(session_a, bob, psa_connected, monkeypatch):
    """A resolution handoff queued for ticket 1001 whose task never ran: the test runs (or loses) it."""
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda handoff, **options: None)
    return services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)


class WorkerDied(BaseException):
    """Stands in for SIGKILL: nothing after it runs, not even `except Exception` handlers."""


def test_a_run_that_died_after_the_note_resumes_without_posting_again(queued_handoff, simulator, monkeypatch):
    def die(*args, **kwargs):
        raise WorkerDied

    handoff = queued_handoff
    monkeypatch.setattr(writeback, "transition_and_verify", die)
    with pytest.raises(WorkerDied):
        run.handoff_run(handoff_id=handoff.pk)
    assert Handoff.objects.get(pk=handoff.pk).note_id == simulator.notes_for(1001)[0]["id"]

    monkeypatch.undo()
    finished = run.handoff_run(handoff_id=handoff.pk)

    assert finished.state == "succeeded"
    assert finished.attempts == 2
    assert len(simulator.notes_for(1001)) == 1


def test_a_note_whose_answer_was_lost_is_found_on_the_ticket_not_posted_again(queued_handoff, simulator):
    handoff = queued_handoff
    Handoff.objects.filter(pk=handoff.pk).update(attempts=1)  # an earlier attempt died before recording its note
    simulator.set_faults(drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]})
    with pytest.raises(Exception, match="dropped"):
        run.handoff_run(handoff_id=handoff.pk)

    finished = run.handoff_run(handoff_id=handoff.pk)

    assert finished.state == "succeeded"
    assert finished.note_id == simulator.notes_for(1001)[0]["id"]
    assert len(simulator.notes_for(1001)) == 1


def test_a_duplicate_delivery_right_after_an_unanswered_note_waits_before_it_looks(queued_handoff, simulator, settings):
    """A broker redelivers the task (its visibility timeout passed) just as the first attempt gives up waiting:
    that delivery must not look on the ticket before the slow note lands, or it posts the note twice."""
    # Every PSA call gets the read timeout, so it is wide enough that only the slow note outlasts it; the note
    # lands 1 s after the first attempt gave up on it and 1 s before the wait that timeout asks for is over.
    settings.FLOWPILOT_PSA_READ_TIMEOUT_SECONDS = 2.0
    simulator.set_faults(slow={"method": "POST", "route": "notes", "seconds": 3.0, "apply_late": True, "count": 1})
    handoff = queued_handoff
    with pytest.raises(PsaTransientError, match="did not answer in time"):
        run.handoff_run(handoff_id=handoff.pk)

    with pytest.raises(PsaTransientError, match="did not answer in time") as deferred:
        run.handoff_run(handoff_id=handoff.pk)  # at once, as a duplicate delivery would

    assert 0 < deferred.value.retry_after <= 2.0
    assert Handoff.objects.get(pk=handoff.pk).attempts == 1  # refused before it counted
    assert simulator.state()["requests"]["POST notes"] == 1
    wait_for(lambda: simulator.notes_for(1001), timeout=10, what="the slow note to land")
    finished = wait_for(
        lambda: _run_unless_deferred(handoff), timeout=10, what="the wait the timeout asked for to pass"
    )
    assert (finished.state, finished.attempts) == ("succeeded", 2)
    assert simulator.state()["requests"]["POST notes"] == 1
    assert finished.note_id == simulator.notes_for(1001)[0]["id"]


def _run_unless_deferred(handoff):
    try:
        return run.handoff_run(handoff_id=handoff.pk)
    except PsaTransientError:
        return None


def test_a_task_whose_handoff_was_deleted_is_dropped(queued_handoff):
    handoff_id = queued_handoff.pk
    Handoff.objects.filter(pk=handoff_id).delete()

    assert run.handoff_run(handoff_id=handoff_id) is None
    assert run.handoff_give_up(handoff_id=handoff_id, code="internal_error", message="x") is None


def test_finding_a_posted_note_matches_text_and_kind(psa_connected, simulator):
    from psa.services import provider_for

    provider = provider_for(psa_connected)
    started = timezone.now()
    provider.post_note(1001, text="Other text", kind=NoteKind.RESOLUTION)
    internal = provider.post_note(1001, text=TEXT, kind=NoteKind.INTERNAL)

    assert find_posted_note(provider, 1001, text=TEXT, kind=NoteKind.RESOLUTION, since=started) is None
    assert find_posted_note(provider, 1001, text=TEXT + "\n", kind=NoteKind.INTERNAL, since=started).id == internal.id


def test_a_failed_handoff_with_a_note_on_the_ticket_must_be_retried_not_posted_again(
    session_a, bob, psa_connected, simulator
):
    simulator.set_faults(silent_status_rejection=True)
    services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    with pytest.raises(DomainError) as refused:
        services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT + " edited", user=bob)

    assert refused.value.code == "handoff_needs_retry"
    assert len(simulator.notes_for(1001)) == 1


def test_the_handoff_records_the_draft_it_came_from(session_a, bob, psa_connected, model_off):
    from drafting.pipeline import draft_generate

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

        assert run.handoff_run(handoff_id=handoff.pk) is None
        assert simulator.notes_for(1001) == []
    finally:
        other.close()  # like a worker dying: the lock goes with its connection (once the server notices)

    finished = wait_for(lambda: run.handoff_run(handoff_id=handoff.pk), timeout=10, what="the lock to go")
    assert finished.state == "succeeded"
    assert len(simulator.notes_for(1001)) == 1


def test_an_unexpected_error_fails_the_handoff_instead_of_leaving_it_posting(
    session_a, bob, psa_connected, simulator, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(writeback, "transition_and_verify", broken)

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

    with pytest.raises(DomainError) as too_soon:
        services.handoff_retry(handoff=handoff)
    Handoff.objects.filter(pk=handoff.pk).update(updated_at=handoff.updated_at - Handoff.STALE_AFTER)
    retried = services.handoff_retry(handoff=handoff)

    assert too_soon.value.code == "handoff_not_failed"
    assert retried.state == "succeeded"
    assert len(simulator.notes_for(1001)) == 1


def test_the_post_runs_only_once_its_handoff_is_committed(session_a, bob, psa_connected, simulator, monkeypatch):
    from django.db import connection

    from handoff import tasks
    from tests.support.commits import _code_blocks

    open_blocks = []
    real_run = tasks.handoff_run

    def run(*, handoff_id):
        open_blocks.append(len(_code_blocks(connection)))  # the code's own transactions open at this moment
        return real_run(handoff_id=handoff_id)

    monkeypatch.setattr(tasks, "handoff_run", run)
    handoff = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    assert open_blocks == [0]
    assert handoff.state == "succeeded"


def test_a_retry_while_the_queue_is_down_keeps_the_handoff_failed_with_its_text(queued_handoff, monkeypatch):
    from kombu.exceptions import OperationalError

    from handoff import tasks

    handoff = queued_handoff
    monkeypatch.undo()
    Handoff.objects.filter(pk=handoff.pk).update(updated_at=handoff.updated_at - Handoff.STALE_AFTER)

    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.post_handoff, "delay", broker_down)
    with pytest.raises(DomainError) as refused:
        services.handoff_retry(handoff=handoff)

    kept = Handoff.objects.get(pk=handoff.pk)  # a lost task's handoff (0 attempts) is not deleted on a retry
    assert refused.value.code == "service_unavailable"
    assert (kept.state, kept.error_code, kept.markdown) == ("failed", "queue_unavailable", TEXT)


def test_a_new_post_after_one_that_lost_its_answer_and_gave_up_finds_the_note(session_a, bob, psa_connected, simulator):
    # The ticket is read (open), the note applied but its answer dropped; every lookup then fails: the
    # handoff gives up unrecorded.
    simulator.set_faults(
        drop_connection={"count": 1, "after_apply": True, "methods": ["POST"]},
        server_error={"count": 10, "status": 503, "methods": ["GET"], "skip": 1},
    )
    gave_up = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)
    assert (gave_up.state, gave_up.note_id) == ("failed", None)
    assert len(simulator.notes_for(1001)) == 1
    simulator.set_faults()

    again = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)

    (note,) = simulator.notes_for(1001)
    assert again.state == "succeeded"
    assert again.note_id == note["id"]
    assert simulator.state()["requests"]["POST notes"] == 1


def test_a_retry_reports_only_what_its_own_attempt_verified(session_a, bob, account_a, psa_connected, simulator):
    from accounts.services import account_settings_update

    simulator.set_faults(silent_status_rejection=True)
    failed = services.handoff_post(session=session_a, kind=DraftKind.RESOLUTION_NOTE, markdown=TEXT, user=bob)
    assert (failed.error_code, failed.status_verified) == ("status_verification_failed", False)
    account_settings_update(account=account_a, changes={"cw_resolved_status_id": None})  # the admin unset it

    retried = services.handoff_retry(handoff=failed)

    assert retried.state == "succeeded"
    assert (retried.target_status_id, retried.status_verified, retried.verified_status_id) == (None, None, None)
    assert retried.status_transition_skipped_reason.startswith("No target status is configured")


def test_a_retry_inside_the_wait_the_psa_asked_for_is_refused_in_words(queued_handoff):
    from datetime import timedelta

    Handoff.objects.filter(pk=queued_handoff.pk).update(
        state="failed", not_before=timezone.now() + timedelta(seconds=30), attempts=1
    )

    with pytest.raises(DomainError, match=r"retry in (29|30) s") as refused:
        services.handoff_retry(handoff=Handoff.objects.get(pk=queued_handoff.pk))
    assert refused.value.code == "retry_too_soon"
    assert Handoff.objects.get(pk=queued_handoff.pk).state == "failed"


def test_a_bad_retry_after_never_defers_an_attempt_more_than_five_minutes():
    assert run.seconds_to_wait(1e12) == run.LONGEST_WAIT_SECONDS == 300
    assert run.seconds_to_wait(None) == 0
